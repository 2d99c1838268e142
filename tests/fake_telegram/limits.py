"""Telegram's flood limits, enforced on request: token buckets in front of every send.

Telegram publishes its limits only as guidance, so this is an interpretation, stated here
once: about 30 messages a second per bot overall, about 1 a second per private chat with
short bursts tolerated (3 here), and 20 a minute per group. A send that finds any of its
buckets empty is refused with 429 and ``retry_after`` (whole seconds, rounded up, as
Telegram gives them) and uses up no token, so a bot that waits as told gets through.
Only methods that post a message count; ``sendChatAction``, edits and reads do not.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Methods that put a new message in a chat (canonical names, as ``methods.lookup`` gives).
COUNTED_METHODS = frozenset({"sendMessage", "sendLocation", "sendPhoto", "sendVoice"})


@dataclass
class Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` a second."""

    rate: float
    capacity: float
    tokens: float = field(init=False)
    updated: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if self.updated is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self) -> float:
        """Return how long until one token is there (0 if one is there now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class LimitSettings:
    """The rates and bursts enforced; the defaults are the interpretation above."""

    overall_per_second: float = 30.0
    overall_burst: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    group_burst: float = 20.0


class RateLimits:
    """Decide for each counted send whether it goes through or gets 429."""

    def __init__(
        self,
        settings: LimitSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or LimitSettings()
        self._monotonic = monotonic
        self._overall = Bucket(self.settings.overall_per_second, self.settings.overall_burst)
        self._chats: dict[int, Bucket] = {}
        self.refused = 0  # how many 429s were answered

    def admit(self, method: str, chat_id: int, is_private: bool) -> int | None:
        """Take one token from every bucket of this send; return ``retry_after`` if refused.

        All buckets are checked before any token is taken: a refused send costs nothing.
        """
        if method not in COUNTED_METHODS:
            return None
        now = self._monotonic()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._new_chat_bucket(is_private)
            self._chats[chat_id] = chat
        buckets = (self._overall, chat)
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait() for bucket in buckets)
        if wait > 0:
            self.refused += 1
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def _new_chat_bucket(self, is_private: bool) -> Bucket:
        if is_private:
            return Bucket(self.settings.private_per_second, self.settings.private_burst)
        return Bucket(self.settings.group_per_minute / 60, self.settings.group_burst)
