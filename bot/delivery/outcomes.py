"""Classify Telegram's answer to a send: pure, no I/O, the time passed in.

Errors are values here: the worker acts on an :data:`Outcome`, never on an
exception. PTB raises these (``telegram.error``), classified as follows:

- ``RetryAfter`` (429): Telegram asks us to wait; :class:`RetryAt` exactly
  ``retry_after`` from now, marked ``flood`` (the whole chat waits).
- ``ChatMigrated``: a group became a supergroup; :class:`FollowChat` at once.
- ``Forbidden`` (403: blocked, never started, removed from the group):
  :class:`GiveUp`, unreachable.
- ``BadRequest`` "chat not found" (and its kin): :class:`GiveUp`, unreachable.
- Any other ``BadRequest``: our message was wrong; :class:`GiveUp`, reachable.
- ``TimedOut``: maybe delivered, answer lost. Sending again risks a duplicate,
  not sending risks a loss: :class:`RetryAt` with backoff.
- Other ``NetworkError`` (5xx, connection lost) and any other
  ``TelegramError``: :class:`RetryAt` with backoff.

The same holds for ``getChatMember``, asked right before a duress or PIN-failure
alert goes to a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)

MAX_BACKOFF = timedelta(minutes=5)
# What Telegram says, lower-cased, when the chat itself is gone or unknown.
_UNREACHABLE_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid")


@dataclass(frozen=True)
class Sent:
    """Telegram accepted the message and gave it ``message_id``."""

    message_id: int


@dataclass(frozen=True)
class RetryAt:
    """Try the row again at ``at``; ``flood`` when Telegram itself asked us to wait."""

    at: datetime
    reason: str
    flood: bool = False


@dataclass(frozen=True)
class GiveUp:
    """The row can never be delivered; ``unreachable`` when the chat itself is lost."""

    reason: str
    unreachable: bool


@dataclass(frozen=True)
class FollowChat:
    """The group moved to ``new_chat_id``; its rows follow it and go out at once."""

    new_chat_id: int


Outcome = Sent | RetryAt | GiveUp | FollowChat


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after ``attempts`` failed tries: 2 s, 4 s, ... up to 5 min."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 20)), MAX_BACKOFF)


def classify(error: TelegramError, now: datetime, attempts: int) -> Outcome:
    """Return what to do with a row whose send (after ``attempts`` tries) raised ``error``."""
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
        return RetryAt(now + delay, "retry after", flood=True)
    if isinstance(error, ChatMigrated):
        return FollowChat(error.new_chat_id)
    if isinstance(error, Forbidden):
        return GiveUp(error.message, unreachable=True)
    if isinstance(error, BadRequest):
        chat_gone = any(text in error.message.lower() for text in _UNREACHABLE_BAD_REQUESTS)
        return GiveUp(error.message, unreachable=chat_gone)
    if isinstance(error, TimedOut):
        return RetryAt(now + backoff(attempts), "timed out")
    return RetryAt(now + backoff(attempts), type(error).__name__)
