"""Benchmarks: the real bot against the fake Telegram, figures printed against the targets.

Run with ``make bench`` (see ``bench/README.md``). Nothing here is a test: figures are
printed, never asserted.
"""
