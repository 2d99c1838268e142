"""Handle updates concurrently, one chat's strictly in order.

PTB handles one update at a time by default: a slow reply to one person (PTB's
rate limiter, a slow disk) holds everyone back, an SOS included. With
:class:`ChatOrder` different chats' updates run concurrently, while each chat's
run one after another in the order Telegram sent them: a PIN answer never
overtakes its prompt, a check-in never overtakes the ``/pin`` before it, and
the flood guard counts a person's updates in order.

The key is the chat: a person's private chat has their user id as its id, so all
their private updates share one key; a group (a contact, a duty chat) keeps its
own membership changes and codes in order. An update with no chat (an inline
query) is keyed by its user, and one with neither runs unordered.

Two lanes bound how many run at once. Urgent updates (SOS, check-ins, PIN
answers, button presses) get a wide lane; everything else, strangers' texts
included, a narrow one: replies wait in PTB's rate limiter in the order they
were sent, so the narrow lane is what keeps a flood of strangers' texts from
queueing thousands of replies ahead of an SOS alert.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

# PTB's own semaphore is taken before an update waits for its chat's turn, so
# it must never be what bounds concurrency: one chat's backlog would hold slots
# while waiting and stall everyone. The lanes below bound it instead.
_UNBOUNDED = 1_000_000
URGENT_LANE = 4096
ORDINARY_LANE = 32


def chat_key(update: object) -> int | None:
    """Return the key that orders ``update`` among others: its chat, else its user."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrder(BaseUpdateProcessor):
    """Run updates of different chats concurrently and each chat's in arrival order."""

    def __init__(
        self,
        is_urgent: Callable[[object], bool],
        urgent: int = URGENT_LANE,
        ordinary: int = ORDINARY_LANE,
    ) -> None:
        super().__init__(_UNBOUNDED)
        self._is_urgent = is_urgent
        self._urgent = asyncio.Semaphore(urgent)
        self._ordinary = asyncio.Semaphore(ordinary)
        # The last update of each chat still waiting or running: the next one waits for it.
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._closed = False

    async def initialize(self) -> None:
        self._closed = False

    async def shutdown(self) -> None:
        self._closed = True

    def close(self) -> None:
        """Drop updates that have not started yet, so stopping waits only for running ones.

        Telegram already counts them delivered, as it does the updates PTB drops
        from its queue when it stops.
        """
        self._closed = True

    @property
    def waiting_chats(self) -> int:
        """Return how many chats have an update waiting or running."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update, then for a lane, then run ``update``.

        Order matters: the chat's turn comes before the lane, so a chat's backlog
        waits without holding a lane that other chats need.
        """
        key = chat_key(update)
        previous: asyncio.Future[None] | None = None
        mine: asyncio.Future[None] | None = None
        if key is not None:
            # Taken synchronously, before any await: PTB starts the tasks in the
            # order it received the updates, so the chain follows that order.
            previous = self._tails.get(key)
            mine = asyncio.get_running_loop().create_future()
            self._tails[key] = mine
        try:
            if previous is not None:
                # shield: a cancelled predecessor must still hand over the turn.
                await asyncio.shield(previous)
            lane = self._urgent if self._is_urgent(update) else self._ordinary
            async with lane:
                if self._closed:
                    _discard(coroutine)
                    return
                await coroutine
        finally:
            if mine is not None and key is not None:
                mine.set_result(None)
                if self._tails.get(key) is mine:
                    del self._tails[key]
            # A coroutine never started (cancelled while waiting) must be closed, not leaked.
            _discard(coroutine)


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a coroutine that will not run (harmless on one that already ran)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()
