"""The clock that services read once per use case.

The core never reads a clock and SQLite never supplies a timestamp: every
moment the bot acts on comes from here, so tests can replace it with a fake.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tell the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """Read the machine's wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
