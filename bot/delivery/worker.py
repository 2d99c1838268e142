"""The delivery worker: drain the outbox, most urgent first, never losing a message.

A row is marked sent only after Telegram answered with a message id. A crash
between sending and marking repeats one message; it never drops one. A timeout
may mean "delivered, answer lost", so it is retried like any transient error
(see :mod:`bot.delivery.outcomes` for every answer Telegram gives).
Several chats are served at once, so one slow or rate-limited chat does not
hold back the others; one chat's rows go out one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core.outbox import OutboxMessage
from bot.delivery.messenger import Messenger
from bot.delivery.outcomes import FollowChat, GiveUp, Outcome, RetryAt, Sent, classify
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

# Chats served at once; Telegram allows about 30 messages a second overall.
PARALLEL_CHATS = 8


class DeliveryWorker:
    """Send what the outbox holds, in priority order, several chats at a time."""

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
    ) -> None:
        self._database = database
        self._clock = clock
        self._bot = bot
        self._messenger = Messenger(bot)
        self._renderer = Renderer(
            database, translations, default_zone, alerts or AlertSettings(), retention
        )
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
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
        """Send every message that is ready now; return how many were attempted."""
        attempted = 0
        # A row whose "sent" mark cannot be written comes back at once; once per
        # call is enough (the next round tries again), or a full disk would spin.
        # Only those are left aside: a row waiting after a 429 comes back in turn.
        unmarked: set[int] = set()
        while self._stop is None or not self._stop.is_set():
            now = self._clock.now()
            async with self._database.snapshot() as tx:
                ready = await outbox_repository.ready(tx, now, PARALLEL_CHATS)
            if ready.broken:
                await self._quarantine(ready.broken)
            batch = [message for message in ready.messages if message.id not in unmarked]
            if not batch and not ready.broken:
                return attempted
            await asyncio.gather(*(self._deliver(message, now) for message in batch))
            unmarked.update(message.id for message in batch if message.id in self._accepted)
            attempted += len(batch)
        return attempted

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
