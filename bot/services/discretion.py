"""Discretion on the activist's phone: discreet mode, /wipe and /forget.

The bot tracks the messages of each private chat (both sides) so it can delete
them later: in discreet mode each check-in exchange a few minutes after it
happened, and everything on /wipe. Telegram lets a bot delete messages in a
private chat for 48 hours; older ones stay, and the bot says so.

Tracking costs no commit of its own: the messages seen and sent, and the
deletions planned for messages only just sent, wait in memory and are written
by the next transaction that takes them (a check-in's, or the tick's flush), and
only for people the bot knows, so a stranger's texts write nothing. A crash
loses at most a tick of them, which costs a later deletion, never a message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core import phone
from bot.core.gated import Unlock
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.core.watches import Watch
from bot.services import duress
from storage import chat_messages
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import people as people_repository
from storage.database import Database, Transaction

logger = logging.getLogger(__name__)

# Telegram refuses to delete a bot's or a user's message in a private chat after this.
DELETABLE_FOR = timedelta(hours=48)
# deleteMessages takes at most this many ids per call.
_BATCH = 100


@dataclass(frozen=True)
class Pending:
    """Tracking taken from memory: messages (chat, message, sent at) and deletions
    planned (chat, message, delete at)."""

    tracked: list[tuple[int, int, datetime]]
    planned: list[tuple[int, int, datetime]]


async def write_taken(tx: Transaction, taken: Pending) -> None:
    """Write tracking taken from memory inside ``tx``, for known people only.

    It touches nothing but ``tx``, so it may run on the database thread.
    """
    if not taken.tracked and not taken.planned:
        return
    chats = {chat for chat, _, _ in taken.tracked} | {chat for chat, _, _ in taken.planned}
    known = await people_repository.known_among(tx, chats)
    for chat_id, message_id, sent_at in taken.tracked:
        if chat_id in known:
            await chat_messages.track(tx, chat_id, message_id, sent_at)
    for chat_id, message_id, at in taken.planned:
        if chat_id in known:
            await chat_messages.delete_later(tx, chat_id, [message_id], at)


class DiscretionService:
    """Track, schedule and carry out deletions in private chats."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        delay: timedelta,
        pretence: duress.Pretence | None = None,
        new_watch: Callable[[Person], Watch] | None = None,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._delay = delay
        self._pretence = pretence
        # The watch a newcomer has: what a phone shown "everything deleted" believes.
        self._new_watch = new_watch
        self._on_queued = on_queued
        # Not yet written: messages to track (chat, message, sent at), and
        # deletions planned (chat, message, delete at).
        self._tracked: list[tuple[int, int, datetime]] = []
        self._planned: list[tuple[int, int, datetime]] = []

    async def track(self, chat_id: int, message_id: int, sent_at: datetime) -> None:
        """Remember a message of a private chat, to be written with the next transaction."""
        self._tracked.append((chat_id, message_id, sent_at))

    def delete_soon(self, person: Person, message_ids: Iterable[int]) -> None:
        """Plan the deletion of messages of a discreet person's chat, written later."""
        at = self._clock.now() + self._delay
        self._planned += [(person.telegram_user_id, m, at) for m in message_ids]

    def take_pending(self) -> Pending:
        """Take what waits in memory, to be written by :func:`write_taken`.

        Call it on the event loop, where the buffers are filled; if the write
        fails, :meth:`put_back` the entries for the next transaction.
        """
        taken = Pending(self._tracked, self._planned)
        self._tracked, self._planned = [], []
        return taken

    def put_back(self, taken: Pending) -> None:
        """Return entries whose write failed, to be written by the next transaction."""
        self._tracked[:0], self._planned[:0] = taken.tracked, taken.planned

    async def write_pending(self, tx: Transaction) -> None:
        """Write what waits in memory inside ``tx``, for known people only.

        If ``tx`` rolls back, the entries are put back for the next one.
        """
        taken = self.take_pending()
        try:
            await write_taken(tx, taken)
        except BaseException:
            self.put_back(taken)
            raise

    async def flush(self) -> None:
        """Write what waits in memory; a buffer of strangers' messages only writes nothing."""
        if not self._tracked and not self._planned:
            return
        chats = {chat for chat, _, _ in self._tracked} | {chat for chat, _, _ in self._planned}
        async with self._database.snapshot() as tx:
            known = await people_repository.known_among(tx, chats)
        if not known:
            # Only strangers: forget them without taking the write lock (entries
            # added meanwhile, of chats not looked at, stay).
            self._tracked = [entry for entry in self._tracked if entry[0] not in chats]
            self._planned = [entry for entry in self._planned if entry[0] not in chats]
            return
        async with self._database.transaction() as tx:
            await self.write_pending(tx)

    async def set_discreet(self, person: Person, on: bool) -> None:
        async with self._database.transaction() as tx:
            await people_repository.set_discreet(tx, person.id, on)
            view = await duress.view_of(tx, person.id)
            if view is not None and view.discreet is not None:
                # The phone is shown what it just asked for: the truth again.
                await duress.save_view(tx, replace(view, discreet=None))

    async def is_discreet(self, person: Person) -> bool:
        """Return whether discreet mode is on, as the person's phone is to believe."""
        async with self._database.snapshot() as tx:
            return await self.is_discreet_within(tx, person)

    async def forget_exchange(self, person: Person, message_ids: Iterable[int]) -> None:
        """In discreet mode, delete these messages of a check-in exchange after the delay.

        The deletions are seen on the phone, so they follow discreet mode as the
        phone believes it (see :mod:`bot.core.phone`).
        """
        if await self.is_discreet(person):
            self.delete_soon(person, message_ids)

    async def is_discreet_within(self, tx: Transaction, person: Person) -> bool:
        """Return whether discreet mode is on as the phone believes, inside ``tx``."""
        view = await duress.view_of(tx, person.id)
        if view is not None and view.discreet is not None:
            return view.discreet
        return await people_repository.is_discreet(tx, person.id)

    async def delete_due(self, bot: Bot) -> int:
        """Delete the messages whose time has come; return how many were attempted."""
        await self.flush()
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

    async def wipe(
        self,
        bot: Bot,
        person: Person,
        unlock: Unlock = Unlock.REAL,
        *,
        instructions: bool = False,
    ) -> int:
        """Delete what can be deleted of the chat, and everything kept as context;
        the emergency instructions too when ``instructions`` says so.

        Under duress the chat is wiped just the same (the phone must see it),
        but what the contacts may need stays: context and instructions. The
        phone believes them gone. Returns how many messages were asked to be deleted.
        """
        deleted = await self._delete_chat(bot, person)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await chat_messages.forget(tx, person.telegram_user_id)
            view = await duress.view_of(tx, person.id)
            if unlock is Unlock.DURESS:
                view = await self._begin(tx, person, now)
            else:
                await context_repository.forget_all(tx, person.id, instructions=instructions)
            if view is not None and instructions:
                await duress.save_view(tx, replace(view, has_instructions=False))
        if unlock is Unlock.DURESS:
            self._on_queued()
        return deleted

    async def pretend_forgotten(self, bot: Bot, person: Person) -> None:
        """Show the phone everything deleted, and keep watching: ``/forget`` under duress."""
        await self._delete_chat(bot, person)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await chat_messages.forget(tx, person.telegram_user_id)
            view = await self._begin(tx, person, now)
            contacts = await contact_repository.contacts_of(tx, person.id)
            blank = self._blank(person)
            shown = phone.forgotten(view, blank, frozenset(c.id for c in contacts))
            await duress.save_view(tx, shown)
        self._on_queued()

    async def _delete_chat(self, bot: Bot, person: Person) -> int:
        chat_id = person.telegram_user_id
        # What waits in memory is part of the chat too.
        await self.flush()
        async with self._database.snapshot() as tx:
            ids = await chat_messages.in_chat_since(tx, chat_id, self._clock.now() - DELETABLE_FOR)
        for start in range(0, len(ids), _BATCH):
            try:
                await bot.delete_messages(chat_id, ids[start : start + _BATCH])
            except TelegramError as error:
                logger.warning("could not delete a batch of messages: %s", type(error).__name__)
        return len(ids)

    async def _begin(self, tx: Transaction, person: Person, now: datetime) -> PhoneView:
        pretence = self._pretence or duress.pretence_needed()
        return await pretence.begin(tx, person, now)

    def _blank(self, person: Person) -> Watch:
        if self._new_watch is None:  # pragma: no cover - the wiring always passes new_watch
            raise LookupError("the duress policy needs a newcomer's watch")
        return self._new_watch(person)
