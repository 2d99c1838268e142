"""The delivery worker: drain the outbox, most urgent first, never losing a message.

A row is marked sent only after Telegram answered with a message id. A crash
between sending and marking repeats one message; it never drops one. A timeout
may mean "delivered, answer lost", so it is retried like any transient error.

Errors, as Telegram reports them through PTB:
- ``RetryAfter``: Telegram asks us to wait; retry after exactly that long.
- ``TimedOut``, other ``NetworkError``s (5xx, connection lost): retry with backoff.
- ``Forbidden`` (blocked, never started), ``BadRequest`` (chat not found): permanent;
  the row is marked failed with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from telegram import Bot, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.clock import Clock
from bot.core.outbox import OutboxMessage
from bot.i18n import Translations
from bot.keyboards import checkin_keyboard
from bot.notices import render_notice
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import watches as watch_repository
from storage.database import Database

logger = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after ``attempts`` failed tries: 2 s, 4 s, ... up to 5 min."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 20)), _MAX_BACKOFF)


class DeliveryWorker:
    """Send what the outbox holds, one message at a time, in priority order."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        bot: Bot,
        translations: Translations,
        default_zone: str,
        poll_interval: float,
    ) -> None:
        self._database = database
        self._clock = clock
        self._bot = bot
        self._translations = translations
        self._default_zone = default_zone
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the worker that new rows were queued."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, waking on new rows or every poll interval."""
        while not stop.is_set():
            # Clear before draining: a row queued while we drain sets it again.
            self._wake.clear()
            try:
                await self.deliver_ready()
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
        while True:
            now = self._clock.now()
            async with self._database.snapshot() as tx:
                message = await outbox_repository.next_ready(tx, now)
            if message is None:
                return attempted
            await self._deliver(message, now)
            attempted += 1

    async def _deliver(self, message: OutboxMessage, now: datetime) -> None:
        if message.chat_id is None:  # pragma: no cover - next_ready only returns addressed rows
            return
        try:
            text, markup = await self._render(message, now)
        except (ValueError, LookupError) as error:
            logger.error("outbox row %s cannot be rendered: %s", message.id, error)
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, f"render: {error}")
            return
        try:
            sent = await self._bot.send_message(message.chat_id, text, reply_markup=markup)
        except RetryAfter as error:
            wait = error.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            await self._retry(message, now + delay, "retry after")
        except (Forbidden, BadRequest) as error:
            logger.warning("outbox row %s cannot be delivered: %s", message.id, error.message)
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, error.message)
        except TimedOut:
            # Maybe delivered: sending again risks a duplicate, not sending risks a loss.
            await self._retry(message, now + backoff(message.attempts), "timed out")
        except (NetworkError, TelegramError) as error:
            await self._retry(message, now + backoff(message.attempts), type(error).__name__)
        else:
            async with self._database.transaction() as tx:
                await outbox_repository.mark_sent(
                    tx, message.id, sent.message_id, self._clock.now()
                )

    async def _retry(self, message: OutboxMessage, at: datetime, reason: str) -> None:
        logger.info("outbox row %s: %s; retrying at %s", message.id, reason, at)
        async with self._database.transaction() as tx:
            await outbox_repository.retry_later(tx, message.id, at, reason)

    async def _render(
        self, message: OutboxMessage, now: datetime
    ) -> tuple[str, ReplyKeyboardMarkup]:
        async with self._database.snapshot() as tx:
            person = await people_repository.by_id(tx, message.person_id)
            watch = await watch_repository.load(tx, message.person_id)
        if person is None:
            raise LookupError(f"person {message.person_id} is gone")
        tr = self._translations[person.language]
        zone = watch.zone if watch is not None else self._default_zone
        return render_notice(message, tr, zone, now), checkin_keyboard(tr)
