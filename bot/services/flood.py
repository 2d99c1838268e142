"""Per-person rate limits: a flood of updates, and guessing invitation codes.

Vital updates (an SOS, a check-in, a PIN answer) are counted apart from the
rest. Content never counts them, so a check-in cannot be what silences the
photos that follow it; a vital update is over the limit only when it and all
the rest of the minute are, and the caller then lets it through for a watched
person (security review H2) and drops it for a stranger.

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
        self._vital: dict[int, deque[datetime]] = {}
        self._invites: dict[int, deque[datetime]] = {}
        self._warned: dict[int, datetime] = {}

    def allow_update(self, user_id: int, now: datetime) -> bool:
        """Record an update; ``False`` once the user sent more than the limit in a minute."""
        return _record(self._updates, user_id, now, WINDOW) <= self._limit

    def allow_vital(self, user_id: int, now: datetime) -> bool:
        """Record a vital update; ``False`` once it and every other update of the
        minute are more than the limit. The content allowance stays untouched."""
        vital = _record(self._vital, user_id, now, WINDOW)
        return vital + _count(self._updates, user_id, now, WINDOW) <= self._limit

    def should_warn(self, user_id: int, now: datetime) -> bool:
        """Return ``True`` once per window, to tell a flooding user why they get no answers."""
        last = self._warned.get(user_id)
        if last is not None and now - last < WINDOW:
            return False
        self._warned[user_id] = now
        return True

    def allow_invite_attempt(self, user_id: int, now: datetime) -> bool:
        """Record an invitation code tried; ``False`` past the hourly limit."""
        return _record(self._invites, user_id, now, INVITE_WINDOW) <= INVITE_ATTEMPTS


def _record(
    table: dict[int, deque[datetime]], user_id: int, now: datetime, window: timedelta
) -> int:
    """Record one event at ``now``; return how many fell within the last ``window``."""
    if len(table) > _MAX_TRACKED:
        # Strangers come and go: forget everyone quiet for a whole window.
        for quiet in [key for key, seen in table.items() if not seen or now - seen[-1] >= window]:
            del table[quiet]
    times = table.setdefault(user_id, deque())
    times.append(now)
    return _count(table, user_id, now, window)


def _count(
    table: dict[int, deque[datetime]], user_id: int, now: datetime, window: timedelta
) -> int:
    """Return how many events fell within the last ``window``, forgetting older ones."""
    times = table.get(user_id)
    if times is None:
        return 0
    while times and now - times[0] >= window:
        times.popleft()
    return len(times)
