"""What the bot has just asked a person to answer with a plain message.

While the time zone is asked, a shared location or a typed city answers it: the
place sets the zone and is not kept as anyone's last known position. While a
new timer asks what the person is going to do, their next words become its
note. Only the question is remembered, in memory, for ten minutes: a restart
forgets it, and the next message is kept as context again, as it always is.

A timer waiting for "replace the running one?" waits here too, as long.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Question(StrEnum):
    ZONE = "zone"
    TIMER_NOTE = "timer_note"


@dataclass(frozen=True)
class Asked:
    question: Question
    # Inside the guided first run: the answer leads on to the next step.
    guided: bool
    until: datetime


# Short: a location shared while the zone is asked is not kept for the contacts.
ANSWER_WITHIN = timedelta(minutes=10)
# People who asked at once, at most; the oldest question goes first.
MAX_OPEN = 10_000


class Questions:
    """Open questions by Telegram user id; bounded, each forgotten soon after it was asked."""

    def __init__(self) -> None:
        self._open: OrderedDict[int, Asked] = OrderedDict()
        self._held: OrderedDict[int, tuple[object, datetime]] = OrderedDict()

    def ask(self, user_id: int, question: Question, *, guided: bool, now: datetime) -> None:
        self._open.pop(user_id, None)
        self._open[user_id] = Asked(question, guided, now + ANSWER_WITHIN)
        while len(self._open) > MAX_OPEN:
            self._open.popitem(last=False)

    def asked(self, user_id: int, now: datetime) -> Asked | None:
        """Return the open question for ``user_id``, if one is open."""
        asked = self._open.get(user_id)
        if asked is not None and asked.until <= now:
            del self._open[user_id]
            return None
        return asked

    def answered(self, user_id: int) -> None:
        self._open.pop(user_id, None)

    def hold(self, user_id: int, thing: object, now: datetime) -> None:
        """Keep ``thing`` for ``user_id`` until they confirm it (see :meth:`take`)."""
        self._held.pop(user_id, None)
        self._held[user_id] = (thing, now + ANSWER_WITHIN)
        while len(self._held) > MAX_OPEN:
            self._held.popitem(last=False)

    def take(self, user_id: int, now: datetime) -> object | None:
        """Return and forget what is held for ``user_id``, unless it is too old."""
        held = self._held.pop(user_id, None)
        return None if held is None or held[1] <= now else held[0]
