"""The delivery worker: drain the outbox, most urgent first, never losing a message.

A row is marked sent only after Telegram answered with a message id. A crash
between sending and marking repeats one message; it never drops one. A timeout
may mean "delivered, answer lost", so it is retried like any transient error
(see :mod:`bot.delivery.outcomes` for every answer Telegram gives).

The worker is a scheduler. A pool of senders each take the next *sendable* row:
the most urgent ready one (SOS first, then breadth-first, see ``storage.outbox``)
of a chat that is neither being sent to nor out of its pace
(:mod:`bot.delivery.pacing`). So a chat that must wait never blocks another, one
chat's rows go out one at a time and in order, and Telegram is never given cause
for a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core.outbox import OutboxMessage
from bot.delivery.messenger import Messenger
from bot.delivery.outcomes import FollowChat, GiveUp, Outcome, RetryAt, Sent, classify
from bot.delivery.pacing import Pacer
from bot.delivery.render import Renderer, Superseded
from bot.delivery.sparing import spare_if_needed
from bot.i18n import Translations
from bot.services import alerting
from bot.services.discretion import DiscretionService
from bot.settings import AlertSettings
from storage import contacts as contact_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage.database import Database

logger = logging.getLogger(__name__)

# Rows in flight at once: enough to keep up 28 a second with slow answers.
SENDERS = 8


@dataclass
class _Round:
    """What one delivery round keeps track of."""

    # Sends in flight, by task; at most one per chat.
    sending: dict[asyncio.Task[None], OutboxMessage] = field(default_factory=dict)
    # Rows not to try again in this round (see DeliveryWorker._collect).
    skipped: set[int] = field(default_factory=set)
    attempted: int = 0
    broken_seen: bool = False


class DeliveryWorker:
    """Send what the outbox holds, in priority order, several chats at a time, paced."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        bot: Bot,
        translations: Translations,
        default_zone: str,
        poll_interval: float,
        alerts: AlertSettings | None = None,
        retention: timedelta = timedelta(days=7),
        pacer: Pacer | None = None,
        senders: int = SENDERS,
    ) -> None:
        self._database = database
        self._clock = clock
        self._bot = bot
        self._messenger = Messenger(bot)
        self._renderer = Renderer(
            database, translations, default_zone, alerts or AlertSettings(), retention
        )
        self._poll_interval = poll_interval
        self._pacer = pacer or Pacer()
        self._senders = senders
        self._wake = asyncio.Event()
        # Set with _wake; a round waiting inside itself listens to this one.
        self._changed = asyncio.Event()
        # Rows Telegram accepted whose "sent" mark is not written yet: row id ->
        # (Telegram's message id, when it was sent).
        self._accepted: dict[int, tuple[int, datetime]] = {}
        self._stop: asyncio.Event | None = None
        # Sent alerts that carried their incident's all-clear (see Outgoing).
        self._carried: set[int] = set()
        # Set by the wiring: deletions due in discreet mode ride on the same loop.
        self.discretion: DiscretionService | None = None

    def wake(self) -> None:
        """Tell the worker that new rows were queued."""
        self._wake.set()
        self._changed.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, waking on new rows or every poll interval.

        Stopping does not wait for the outbox to drain: sends in flight finish,
        the rest stays queued for the next start (``docker stop`` waits 10 s).
        """
        self._stop = stop
        while not stop.is_set():
            # Clear before draining: a row queued while we drain sets it again.
            self._wake.clear()
            try:
                await self.deliver_ready()
                if self.discretion is not None:
                    await self.discretion.delete_due(self._bot)
            except Exception:
                logger.exception("a delivery round failed; retrying on the next round")
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            try:
                await asyncio.wait(
                    waiters, timeout=self._poll_interval, return_when="FIRST_COMPLETED"
                )
            finally:
                for waiter in waiters:
                    waiter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiter

    async def deliver_ready(self) -> int:
        """Send every message that is ready now, paced; return how many were attempted.

        A pool of senders (at most ``senders`` rows in flight) each take the next
        sendable row: the most urgent ready row of a chat that is neither being
        sent to nor paced. A chat that must wait (a group at its 20 a minute, a
        chat after a 429) so never holds back another. The round ends when
        nothing is ready by the clock; rows waiting only for pacing are waited for.
        """
        batch = _Round()
        try:
            while not self._stopping():
                # Cleared before looking: a row queued meanwhile sets it again.
                self._changed.clear()
                seen = await self._pick(batch)
                if batch.broken_seen:
                    batch.broken_seen = False
                    continue  # quarantined rows made room in the same query
                pause = self._pacer.next_release()
                # Idle, and nothing paced (pause is None) or nothing ready for a
                # paced chat either: the round is over.
                idle = not seen and not batch.sending
                if idle and (pause is None or not await self._held_by_pacing(batch)):
                    break
                await self._wait(batch, pause)
        finally:
            # Sends in flight finish; what was not picked stays queued.
            if batch.sending:
                await asyncio.wait(list(batch.sending))
                self._collect(batch)
        return batch.attempted

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def _pick(self, batch: _Round) -> int:
        """Start sending as many sendable rows as senders and budget allow; return how many."""
        room = min(self._senders - len(batch.sending), self._pacer.overall_room())
        if room <= 0:
            return 0
        busy = {message.chat_id for message in batch.sending.values()}
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            ready = await outbox_repository.ready(
                tx, now, room, skip_chats=busy | self._pacer.held_chats(), skip_rows=batch.skipped
            )
        if ready.broken:
            await self._quarantine(ready.broken)
            batch.broken_seen = True
        for message in ready.messages:
            self._pacer.take(message.chat_id)
            task = asyncio.create_task(self._send_one(message, now))
            batch.sending[task] = message
        batch.attempted += len(ready.messages)
        return len(ready.messages)

    async def _held_by_pacing(self, batch: _Round) -> bool:
        """Tell whether a row is ready by the clock but waits for pacing."""
        async with self._database.snapshot() as tx:
            ready = await outbox_repository.ready(tx, self._clock.now(), 1, skip_rows=batch.skipped)
        return bool(ready.messages or ready.broken)

    async def _wait(self, batch: _Round, pause: float | None) -> None:
        """Wait for a send to finish, a row to be queued, pacing to free a chat, or stop."""
        helpers = [asyncio.ensure_future(self._changed.wait())]
        if self._stop is not None:
            helpers.append(asyncio.ensure_future(self._stop.wait()))
        try:
            await asyncio.wait(
                [*batch.sending, *helpers], timeout=pause, return_when="FIRST_COMPLETED"
            )
        finally:
            for helper in helpers:
                helper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await helper
        self._collect(batch)

    def _collect(self, batch: _Round) -> None:
        """Take finished sends out of the pool; set aside rows not to try again this round."""
        for task in [task for task in batch.sending if task.done()]:
            message = batch.sending.pop(task)
            error = task.exception()
            if error is not None:
                # Recording the outcome failed (the database, most likely): the row
                # is still pending. Not again this round, or a full disk would spin.
                logger.error("outbox row %s: delivery failed", message.id, exc_info=error)
                batch.skipped.add(message.id)
            elif message.id in self._accepted:
                # A row whose "sent" mark cannot be written comes back at once;
                # once per round is enough (the next round tries again).
                batch.skipped.add(message.id)

    async def _send_one(self, message: OutboxMessage, now: datetime) -> None:
        """Deliver one row; a 429 is also told to the pacer, which may hold everyone."""
        outcome = await self._deliver(message, now)
        if isinstance(outcome, RetryAt) and outcome.flood:
            seconds = (outcome.at - now).total_seconds()
            if self._pacer.refused(message.chat_id, seconds):
                logger.warning("Telegram refused several chats: every chat waits %.0f s", seconds)

    async def _quarantine(self, broken: list[int]) -> None:
        """Set aside rows that cannot be opened; logged by id, never content."""
        async with self._database.transaction() as tx:
            for message_id in broken:
                await outbox_repository.quarantine(tx, message_id)
        for message_id in broken:
            logger.error("outbox row %s cannot be opened; quarantined", message_id)

    async def _deliver(self, message: OutboxMessage, now: datetime) -> Outcome | None:
        """Render, send and record one row; return Telegram's answer as an outcome."""
        if message.id in self._accepted:
            # Telegram has it already; only the mark is missing.
            await self._mark_sent(message.id)
            return None
        try:
            outgoing = await self._renderer.render(message, now)
        except Superseded as skipped:
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, f"superseded: {skipped}")
            return None
        except (ValueError, LookupError) as error:
            logger.error("outbox row %s cannot be rendered: %s", message.id, error)
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, f"render: {error}")
            return None
        try:
            # Asks Telegram first for a silent alert to a group: its errors are
            # handled like a failed send (transient: retry; 403: unreachable).
            spared = await spare_if_needed(self._database, self._clock, self._messenger, message)
            if spared is not None:
                if spared:
                    self.wake()
                return None
            outcome: Outcome = Sent(await self._messenger.send(message.chat_id, outgoing))
        except TelegramError as error:
            outcome = classify(error, now, message.attempts)
        if isinstance(outcome, Sent):
            self._accepted[message.id] = (outcome.message_id, self._clock.now())
            if outgoing.carries_all_clear:
                self._carried.add(message.id)
            await self._mark_sent(message.id)
        elif isinstance(outcome, RetryAt):
            await self._retry(message, outcome.at, outcome.reason)
        elif isinstance(outcome, FollowChat):
            async with self._database.transaction() as tx:
                await contact_repository.move_chat(tx, message.chat_id, outcome.new_chat_id)
            logger.info("outbox row %s: the group moved to a supergroup; following it", message.id)
            self.wake()
        else:
            await self._give_up(message, outcome)
        return outcome

    async def _mark_sent(self, row_id: int) -> None:
        """Write down a send Telegram accepted; keep it in memory until that succeeds.

        A full disk or a locked database must not turn one alert into a stream:
        while the mark cannot be written, the row is never sent again by this
        process (a crash meanwhile repeats it once, as at-least-once allows).
        """
        message_id, sent_at = self._accepted[row_id]
        try:
            async with self._database.transaction() as tx:
                await outbox_repository.mark_sent(tx, row_id, message_id, sent_at)
                if row_id in self._carried:
                    await outbox_repository.drop_all_clear_carried_by(tx, row_id)
        except Exception:
            logger.warning("outbox row %s was sent but cannot be marked yet; retrying", row_id)
            return
        del self._accepted[row_id]
        self._carried.discard(row_id)

    async def _retry(self, message: OutboxMessage, at: datetime, reason: str) -> None:
        logger.info("outbox row %s: %s; retrying at %s", message.id, reason, at)
        async with self._database.transaction() as tx:
            await outbox_repository.retry_later(tx, message.id, at, reason)

    async def _give_up(self, message: OutboxMessage, outcome: GiveUp) -> None:
        """Record a permanent failure; a contact who cannot be reached is surfaced."""
        logger.warning("outbox row %s cannot be delivered: %s", message.id, outcome.reason)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await outbox_repository.mark_failed(tx, message.id, outcome.reason)
            if not outcome.unreachable or message.contact_id is None:
                return
            contact = await contact_repository.contact_by_id(tx, message.contact_id)
            person = await people_repository.by_id(tx, message.person_id)
            if contact is None or person is None:
                return
            # Only the first failure warns: one message per contact, not per alert.
            if await contact_repository.mark_unreachable(tx, contact.id):
                await alerting.warn_unreachable(tx, person, contact, now, outcome.reason)
        self.wake()
