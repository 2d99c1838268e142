"""The core story, played against the fake Telegram: ``python -m demo``."""
