"""Discretion on the activist's phone: discreet mode, /wipe and /forget.

The bot tracks the messages of each private chat (both sides) so it can delete
them later: in discreet mode each check-in exchange a few minutes after it
happened, and everything on /wipe. Telegram lets a bot delete messages in a
private chat for 48 hours; older ones stay, and the bot says so.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core.people import Person
from storage import chat_messages
from storage import context as context_repository
from storage import people as people_repository
from storage.database import Database

logger = logging.getLogger(__name__)

# Telegram refuses to delete a bot's or a user's message in a private chat after this.
DELETABLE_FOR = timedelta(hours=48)
# deleteMessages takes at most this many ids per call.
_BATCH = 100


class DiscretionService:
    """Track, schedule and carry out deletions in private chats."""

    def __init__(self, database: Database, clock: Clock, delay: timedelta) -> None:
        self._database = database
        self._clock = clock
        self._delay = delay

    async def track(self, chat_id: int, message_id: int, sent_at: datetime) -> None:
        async with self._database.transaction() as tx:
            await chat_messages.track(tx, chat_id, message_id, sent_at)

    async def set_discreet(self, person: Person, on: bool) -> None:
        async with self._database.transaction() as tx:
            await people_repository.set_discreet(tx, person.id, on)

    async def is_discreet(self, person: Person) -> bool:
        async with self._database.snapshot() as tx:
            return await people_repository.is_discreet(tx, person.id)

    async def forget_exchange(self, person: Person, message_ids: Iterable[int]) -> None:
        """In discreet mode, delete these messages of a check-in exchange after the delay."""
        if not await self.is_discreet(person):
            return
        async with self._database.transaction() as tx:
            await chat_messages.delete_later(
                tx, person.telegram_user_id, message_ids, self._clock.now() + self._delay
            )

    async def delete_due(self, bot: Bot) -> int:
        """Delete the messages whose time has come; return how many were attempted."""
        async with self._database.snapshot() as tx:
            due = await chat_messages.due(tx, self._clock.now(), _BATCH)
        for chat_id, message_id in due:
            # Already gone, or too old: either way nothing more can be done.
            with contextlib.suppress(TelegramError):
                await bot.delete_message(chat_id, message_id)
        async with self._database.transaction() as tx:
            for chat_id, message_id in due:
                await chat_messages.forget(tx, chat_id, [message_id])
        return len(due)

    async def wipe(self, bot: Bot, person: Person, *, keep_context: bool = False) -> int:
        """Delete what can be deleted of the chat, and (unless told not to) all context.

        Returns how many messages were asked to be deleted.
        """
        chat_id = person.telegram_user_id
        async with self._database.snapshot() as tx:
            ids = await chat_messages.in_chat_since(tx, chat_id, self._clock.now() - DELETABLE_FOR)
        for start in range(0, len(ids), _BATCH):
            try:
                await bot.delete_messages(chat_id, ids[start : start + _BATCH])
            except TelegramError as error:
                logger.warning("could not delete a batch of messages: %s", type(error).__name__)
        async with self._database.transaction() as tx:
            await chat_messages.forget(tx, chat_id)
            if not keep_context:
                await context_repository.forget_all(tx, person.id)
        return len(ids)
