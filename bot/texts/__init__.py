"""What people read: alert, notice, keyboard and setup builders.

Pure functions of a translator and data; nothing here talks to Telegram or the
database.
"""
