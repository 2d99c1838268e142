"""Per-person rate limits: a flood of updates, and guessing invitation codes.

Kept in memory on purpose: a limit that resets on restart costs an attacker a
restart they cannot cause, and nobody's safety depends on it.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
INVITE_WINDOW = timedelta(hours=1)
INVITE_ATTEMPTS = 10
_MAX_TRACKED = 10_000


class FloodGuard:
    """Count recent updates and invitation attempts per Telegram user."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._updates: dict[int, deque[datetime]] = {}
        self._invites: dict[int, deque[datetime]] = {}
        self._warned: dict[int, datetime] = {}

    def allow_update(self, user_id: int, now: datetime) -> bool:
        """Record an update; ``False`` once the user sent more than the limit in a minute."""
        return _record(self._updates, user_id, now, WINDOW, self._limit)

    def should_warn(self, user_id: int, now: datetime) -> bool:
        """Return ``True`` once per window, to tell a flooding user why they get no answers."""
        last = self._warned.get(user_id)
        if last is not None and now - last < WINDOW:
            return False
        self._warned[user_id] = now
        return True

    def allow_invite_attempt(self, user_id: int, now: datetime) -> bool:
        """Record an invitation code tried; ``False`` past the hourly limit."""
        return _record(self._invites, user_id, now, INVITE_WINDOW, INVITE_ATTEMPTS)


def _record(
    table: dict[int, deque[datetime]], user_id: int, now: datetime, window: timedelta, limit: int
) -> bool:
    if len(table) > _MAX_TRACKED:
        # Strangers come and go: forget everyone quiet for a whole window.
        for quiet in [key for key, seen in table.items() if not seen or now - seen[-1] >= window]:
            del table[quiet]
    times = table.setdefault(user_id, deque())
    while times and now - times[0] >= window:
        times.popleft()
    times.append(now)
    return len(times) <= limit
