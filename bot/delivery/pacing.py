"""Pace sends inside Telegram's flood limits, so that Telegram never has to say 429.

Telegram states its limits only as guidance: about 30 messages a second per bot,
about one a second per private chat (short bursts tolerated), 20 a minute per
group. Each is a token bucket here, paced a little under Telegram's figure: our
clock and Telegram's differ by the jitter of every request on its way, and a
429 costs far more (the whole chat waits, often seconds) than the margin does.

Telegram does not say which limit a 429 was about. One chat refused is taken to
be that chat's own limit (the outbox holds that chat, see ``storage.outbox``);
a second chat refused while the first still waits means the bot as a whole went
over, and then every chat waits as long as Telegram asked.

Pure bookkeeping: the time (monotonic seconds) is read from the function passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PaceSettings:
    """The rates and bursts we allow ourselves, each under Telegram's."""

    # Telegram's overall cap is about 30/s; the worker leaves the rest for replies
    # to people, sent outside the worker.
    overall_per_second: float = 28.0
    # Small: sends evenly spread, so a burst never meets a bucket Telegram emptied.
    overall_burst: float = 4.0
    # One a second after a burst of 3 (Telegram's, as the fake enforces it), with
    # a 10 % margin for the jitter between our clock and Telegram's.
    private_per_second: float = 1 / 1.1
    private_burst: float = 3.0
    # 20 a minute, one token and 10 % under.
    group_per_minute: float = 18.0
    group_burst: float = 19.0


@dataclass
class _Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` a second."""

    rate: float
    capacity: float
    updated: float
    tokens: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def level(self, now: float) -> float:
        """Return the tokens there are at ``now`` (and remember them)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens

    def free_at(self, now: float) -> float:
        """Return the moment one whole token is there."""
        missing = 1 - self.level(now)
        return now if missing <= 0 else now + missing / self.rate


def is_group(chat_id: int) -> bool:
    """Tell whether a chat id is a group's (groups, supergroups and channels are negative)."""
    return chat_id < 0


class Pacer:
    """Decide which chats may be sent to now, and how much of the overall budget is left."""

    def __init__(
        self,
        settings: PaceSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or PaceSettings()
        self._monotonic = monotonic
        s = self.settings
        self._overall = _Bucket(s.overall_per_second, s.overall_burst, monotonic())
        self._chats: dict[int, _Bucket] = {}
        # Chats out of tokens -> the moment they have one again.
        self._held: dict[int, float] = {}
        # Chats Telegram refused (429) -> the moment it said to come back.
        self._refused: dict[int, float] = {}
        # Everyone waits until then: Telegram signalled a flood of the whole bot.
        self._all_held_until = 0.0

    def overall_room(self) -> int:
        """Return how many sends the overall budget allows right now."""
        now = self._monotonic()
        if now < self._all_held_until:
            return 0
        return int(self._overall.level(now))

    def held_chats(self) -> set[int]:
        """Return the chats that must not be sent to now (out of tokens)."""
        now = self._monotonic()
        for chat_id in [c for c, at in self._held.items() if at <= now]:
            del self._held[chat_id]
        return set(self._held)

    def take(self, chat_id: int) -> None:
        """Spend one token of the chat and one of the overall budget on a send."""
        now = self._monotonic()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._new_bucket(chat_id, now)
        bucket.level(now)
        bucket.tokens -= 1
        self._overall.level(now)
        self._overall.tokens -= 1
        if bucket.tokens < 1:
            self._held[chat_id] = bucket.free_at(now)
        if len(self._chats) > 4 * len(self._held) + 1024:
            self._forget_rested(now)

    def refused(self, chat_id: int, seconds: float) -> bool:
        """Note a 429 for ``chat_id``; return ``True`` if it means the whole bot must wait."""
        now = self._monotonic()
        until = now + seconds
        others_waiting = any(c != chat_id and at > now for c, at in self._refused.items())
        self._refused = {c: at for c, at in self._refused.items() if at > now}
        self._refused[chat_id] = until
        if others_waiting:
            self._all_held_until = max(self._all_held_until, until)
        return others_waiting

    def next_release(self) -> float | None:
        """Return the seconds until a held chat or the overall budget frees, if any is held."""
        now = self._monotonic()
        moments = list(self._held.values())
        if now < self._all_held_until:
            moments.append(self._all_held_until)
        else:
            moments.append(self._overall.free_at(now))
        future = [at - now for at in moments if at > now]
        return min(future) if future else None

    def _new_bucket(self, chat_id: int, now: float) -> _Bucket:
        s = self.settings
        if is_group(chat_id):
            bucket = _Bucket(s.group_per_minute / 60, s.group_burst, now)
        else:
            bucket = _Bucket(s.private_per_second, s.private_burst, now)
        self._chats[chat_id] = bucket
        return bucket

    def _forget_rested(self, now: float) -> None:
        """Drop the buckets that are full again: a new one would be the same."""
        for chat_id in [c for c, b in self._chats.items() if b.level(now) >= b.capacity]:
            del self._chats[chat_id]
