"""What the bot has just asked a person to answer with a plain message.

While the time zone is asked, a shared location or a typed city answers it: the
place sets the zone and is not kept as anyone's last known position. Only the
question is remembered, in memory, for ten minutes: a restart forgets it, and
the next location is kept as context again, as it always is.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Question(StrEnum):
    ZONE = "zone"


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
