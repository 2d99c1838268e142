"""The delivery worker: drain the outbox, most urgent first, never losing a message.

A row is marked sent only after Telegram answered with a message id. A crash
between sending and marking repeats one message; it never drops one. A timeout
may mean "delivered, answer lost", so it is retried like any transient error.
Several chats are served at once, so one slow or rate-limited chat does not
hold back the others; one chat's rows go out one at a time, in order.

Errors, as Telegram reports them through PTB:
- ``RetryAfter``: Telegram asks us to wait; retry after exactly that long.
- ``ChatMigrated``: a group became a supergroup; follow it and send at once.
- ``TimedOut``, other ``NetworkError``s (5xx, connection lost): retry with backoff.
- ``Forbidden`` (blocked, never started, removed from the group) and
  ``BadRequest`` "chat not found": permanent. A contact is marked unreachable
  and the activist is told in plain words.
- Any other ``BadRequest``: our message was wrong; the row fails and is logged.

The same holds for ``getChatMember``, asked right before a duress or PIN-failure
alert goes to a group: a group with the activist in it is skipped, not sent to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.alert_texts import (
    AlertView,
    render_acknowledged,
    render_alert,
    render_all_clear,
    render_drill,
    render_group_skipped,
    render_media_caption,
    render_unreachable_relayed,
)
from bot.callbacks import Action, encode
from bot.clock import Clock
from bot.core.contacts import SILENT_REASONS, Contact, ContactStatus, is_spared
from bot.core.context import ContextKind
from bot.core.incidents import Incident
from bot.core.outbox import SILENT_KINDS, TO_ACTIVIST, OutboxKind, OutboxMessage
from bot.i18n import Translations, Translator
from bot.keyboards import checkin_keyboard
from bot.membership import is_in_group
from bot.notices import render_notice
from bot.services import alerting
from bot.services.discretion import DiscretionService
from bot.settings import AlertSettings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import phone_views
from storage import watches as watch_repository
from storage.database import Database, Transaction

logger = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(minutes=5)
# Chats served at once; Telegram allows about 30 messages a second overall.
PARALLEL_CHATS = 8
_CHECKIN_KEYBOARD_KINDS = frozenset({OutboxKind.REMIND, OutboxKind.PROMPT, OutboxKind.PAUSE_ENDED})
_UNREACHABLE_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid")
_ALERT_KINDS = frozenset({OutboxKind.ALERT, OutboxKind.ALERT_LOCATION, OutboxKind.ALERT_MEDIA})


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after ``attempts`` failed tries: 2 s, 4 s, ... up to 5 min."""
    return min(timedelta(seconds=2 ** min(attempts + 1, 20)), _MAX_BACKOFF)


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message ready to send: a text or a location."""

    text: str | None = None
    location: tuple[float, float] | None = None
    # A photo or voice note by Telegram file id, with ``text`` as its caption.
    photo: str | None = None
    voice: str | None = None
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
    protect: bool = False
    # An alert that already carries the all-clear of its closed incident: once
    # sent, the separate all-clear to the same chat is not needed.
    carries_all_clear: bool = False


class _Superseded(Exception):
    """The row no longer needs sending (a repeat after someone took the alert)."""


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
        self._translations = translations
        self._default_zone = default_zone
        self._poll_interval = poll_interval
        self._alerts = alerts or AlertSettings()
        # An alert quotes only what is still within the context retention window.
        self._retention = retention
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

    async def _deliver(self, message: OutboxMessage, now: datetime) -> None:
        if message.id in self._accepted:
            # Telegram has it already; only the mark is missing.
            await self._mark_sent(message.id)
            return
        try:
            outgoing = await self._render(message, now)
        except _Superseded as skipped:
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, f"superseded: {skipped}")
            return
        except (ValueError, LookupError) as error:
            logger.error("outbox row %s cannot be rendered: %s", message.id, error)
            async with self._database.transaction() as tx:
                await outbox_repository.mark_failed(tx, message.id, f"render: {error}")
            return
        try:
            # Asks Telegram first for a silent alert to a group: its errors are
            # handled like a failed send (transient: retry; 403: unreachable).
            if await self._must_spare(message):
                return
            message_id = await self._send(message.chat_id, outgoing)
        except RetryAfter as error:
            wait = error.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=wait)
            await self._retry(message, now + delay, "retry after")
        except ChatMigrated as error:
            async with self._database.transaction() as tx:
                await contact_repository.move_chat(tx, message.chat_id, error.new_chat_id)
            logger.info("outbox row %s: the group moved to a supergroup; following it", message.id)
            self.wake()
        except Forbidden as error:
            await self._give_up(message, error.message, unreachable=True)
        except BadRequest as error:
            chat_gone = any(text in error.message.lower() for text in _UNREACHABLE_BAD_REQUESTS)
            await self._give_up(message, error.message, unreachable=chat_gone)
        except TimedOut:
            # Maybe delivered: sending again risks a duplicate, not sending risks a loss.
            await self._retry(message, now + backoff(message.attempts), "timed out")
        except (NetworkError, TelegramError) as error:
            await self._retry(message, now + backoff(message.attempts), type(error).__name__)
        else:
            self._accepted[message.id] = (message_id, self._clock.now())
            if outgoing.carries_all_clear:
                self._carried.add(message.id)
            await self._mark_sent(message.id)

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

    async def _must_spare(self, message: OutboxMessage) -> bool:
        """Skip the row if it is a silent alert to a group the activist is in; ``True`` if so.

        Duress and PIN-failure alerts (and the notices that go with them) must not
        reach a group that may be open on the activist's seized phone. A group
        known to include them is skipped at once; any other group is asked about
        right before sending, since people join groups after accepting.
        """
        if message.contact_id is None or (
            message.kind not in _ALERT_KINDS and message.kind not in SILENT_KINDS
        ):
            return False
        async with self._database.snapshot() as tx:
            contact = await contact_repository.contact_by_id(tx, message.contact_id)
            person = await people_repository.by_id(tx, message.person_id)
            incident = (
                None
                if message.incident_id is None
                else await incident_repository.load(tx, message.incident_id)
            )
        if contact is None or person is None or not contact.is_group:
            return False
        if message.kind in _ALERT_KINDS and (
            incident is None or incident.reason not in SILENT_REASONS
        ):
            return False
        if contact.includes_activist is not True and not await is_in_group(
            self._bot, message.chat_id, person.telegram_user_id
        ):
            return False
        await self._spare(message, contact, incident)
        return True

    async def _spare(
        self, message: OutboxMessage, group: Contact, incident: Incident | None
    ) -> None:
        """Flag the group as including the activist, drop the row, tell the others once."""
        now = self._clock.now()
        told = 0
        async with self._database.transaction() as tx:
            await contact_repository.set_includes_activist(tx, group.id, True)
            await outbox_repository.mark_failed(tx, message.id, "skipped: the activist is a member")
            # The first alert text tells the others; its location, media and repeats
            # are skipped without a word (the group is flagged now).
            first_alert = message.kind is OutboxKind.ALERT and not int(
                message.payload.get("repeat") or 0
            )
            if incident is not None and first_alert:
                told = await alerting.group_skipped(tx, incident, group, now)
        logger.warning(
            "outbox row %s skipped: the activist is a member of group contact %s",
            message.id,
            group.id,
        )
        if told:
            self.wake()

    async def _send(self, chat_id: int, outgoing: Outgoing) -> int:
        if outgoing.photo is not None:
            sent = await self._bot.send_photo(
                chat_id, outgoing.photo, caption=outgoing.text, protect_content=outgoing.protect
            )
        elif outgoing.voice is not None:
            sent = await self._bot.send_voice(
                chat_id, outgoing.voice, caption=outgoing.text, protect_content=outgoing.protect
            )
        elif outgoing.location is not None:
            latitude, longitude = outgoing.location
            sent = await self._bot.send_location(
                chat_id, latitude=latitude, longitude=longitude, protect_content=outgoing.protect
            )
        else:
            sent = await self._bot.send_message(
                chat_id,
                outgoing.text or "",
                reply_markup=outgoing.markup,
                protect_content=outgoing.protect,
            )
        return sent.message_id

    async def _retry(self, message: OutboxMessage, at: datetime, reason: str) -> None:
        logger.info("outbox row %s: %s; retrying at %s", message.id, reason, at)
        async with self._database.transaction() as tx:
            await outbox_repository.retry_later(tx, message.id, at, reason)

    async def _give_up(self, message: OutboxMessage, reason: str, *, unreachable: bool) -> None:
        """Record a permanent failure; a contact who cannot be reached is surfaced."""
        logger.warning("outbox row %s cannot be delivered: %s", message.id, reason)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await outbox_repository.mark_failed(tx, message.id, reason)
            if not unreachable or message.contact_id is None:
                return
            contact = await contact_repository.contact_by_id(tx, message.contact_id)
            person = await people_repository.by_id(tx, message.person_id)
            if contact is None or person is None:
                return
            # Only the first failure warns: one message per contact, not per alert.
            if await contact_repository.mark_unreachable(tx, contact.id):
                await alerting.warn_unreachable(tx, person, contact, now, reason)
        self.wake()

    async def _render(self, message: OutboxMessage, now: datetime) -> Outgoing:
        async with self._database.snapshot() as tx:
            person = await people_repository.by_id(tx, message.person_id)
            watch = await watch_repository.load(tx, message.person_id)
            if person is None:
                raise LookupError(f"person {message.person_id} is gone")
            zone = watch.zone if watch is not None else self._default_zone
            if message.kind in TO_ACTIVIST:
                # The phone is shown times in the zone it believes in (see bot.core.phone).
                view = await phone_views.load(tx, message.person_id)
                zone = view.watch.zone if view is not None else zone
                tr = self._translations[person.language]
                markup = checkin_keyboard(tr) if message.kind in _CHECKIN_KEYBOARD_KINDS else None
                return Outgoing(text=render_notice(message, tr, zone, now), markup=markup)
            return await self._render_for_contact(tx, message, person.display_name, zone, now)

    async def _render_for_contact(
        self, tx: Transaction, message: OutboxMessage, name: str, zone: str, now: datetime
    ) -> Outgoing:
        contact = (
            None
            if message.contact_id is None
            else await contact_repository.contact_by_id(tx, message.contact_id)
        )
        if contact is None:
            raise _Superseded("the contact was removed")
        tr = self._translations[contact.language]
        if message.kind is OutboxKind.UNREACHABLE_RELAYED:
            about = message.payload.get("contact") or "?"
            return Outgoing(text=render_unreachable_relayed(tr, name, about), protect=True)
        if message.kind is OutboxKind.GROUP_SKIPPED:
            group = message.payload.get("group") or "?"
            return Outgoing(text=render_group_skipped(tr, name, group), protect=True)
        if message.kind is OutboxKind.DRILL:
            if message.drill_id is None:
                raise ValueError("a drill row without its drill")
            button = InlineKeyboardButton(
                tr("✅ Received"), callback_data=encode(Action.CONFIRM_DRILL, message.drill_id)
            )
            return Outgoing(text=render_drill(tr, name), markup=InlineKeyboardMarkup([[button]]))
        incident = (
            None
            if message.incident_id is None
            else await incident_repository.load(tx, message.incident_id)
        )
        if incident is None:
            raise LookupError(f"outbox row {message.id} lost its incident")
        if message.kind is OutboxKind.ALERT_LOCATION:
            location = await context_repository.latest_location(
                tx, message.person_id, now - alerting.LOCATION_HORIZON
            )
            if location is None:
                raise _Superseded("no location any more")
            body = location.body
            return Outgoing(
                location=(float(body["latitude"] or 0), float(body["longitude"] or 0)),
                protect=True,
            )
        if message.kind is OutboxKind.ALERT_MEDIA:
            item = await context_repository.item(
                tx, message.person_id, int(message.payload.get("item") or 0)
            )
            if item is None:
                raise _Superseded("the photo or voice note is no longer kept")
            file_id = str(item.body.get("file_id") or "")
            caption = render_media_caption(tr, name, item.kind, now - item.updated_at)
            if item.kind is ContextKind.PHOTO:
                return Outgoing(photo=file_id, text=caption, protect=True)
            return Outgoing(voice=file_id, text=caption, protect=True)
        if message.kind is OutboxKind.ACKNOWLEDGED:
            taker = await contact_repository.contact_by_id(tx, int(message.payload["by"] or 0))
            taker_name = taker.display_name if taker is not None else "?"
            return Outgoing(text=render_acknowledged(tr, name, taker_name), protect=True)
        if message.kind is OutboxKind.ALL_CLEAR:
            checked_in_at = datetime.fromisoformat(message.payload["checked_in_at"] or "")
            return Outgoing(text=render_all_clear(tr, name, incident, checked_in_at), protect=True)
        return await self._render_alert(tx, message, incident, name, zone, tr, now)

    async def _render_alert(
        self,
        tx: Transaction,
        message: OutboxMessage,
        incident: Incident,
        name: str,
        zone: str,
        tr: Translator,
        now: datetime,
    ) -> Outgoing:
        repeat = int(message.payload.get("repeat") or 0)
        if repeat and not incident.is_active:
            raise _Superseded("the alert was taken or closed")
        watch = await watch_repository.load(tx, message.person_id)
        settings = self._alerts
        # An item that cannot be opened is left out and counted, never fatal.
        recent = await context_repository.recent_counted(
            tx, message.person_id, now - self._retention, settings.quoted_messages
        )
        instructions, broken = await context_repository.instructions_of(tx, message.person_id)
        contacts = await contact_repository.contacts_of(tx, message.person_id)
        spared = [c for c in contacts if is_spared(c, incident.reason)]
        spared_ids = {c.id for c in spared}
        alerted = [
            contact_id
            for contact_id in await incident_repository.alerted_contacts(tx, incident.id)
            if contact_id not in spared_ids
        ]
        taker = (
            None
            if incident.acknowledged_by is None
            else await contact_repository.contact_by_id(tx, incident.acknowledged_by)
        )
        view = AlertView(
            name=name,
            zone=zone,
            incident=incident,
            last_checkin_at=None if watch is None else watch.last_checkin_at,
            items=recent.items,
            instructions=instructions,
            others_alerted=max(0, len(alerted) - 1),
            acknowledged_by=None if taker is None else taker.display_name,
            repeat=repeat,
            now=now,
            spared_groups=tuple(c.display_name for c in spared if c.status is ContactStatus.ACTIVE),
            unreadable=recent.unreadable + int(broken),
        )
        markup = None
        if incident.is_active:
            button = InlineKeyboardButton(
                tr("🙋 I'm on it"), callback_data=encode(Action.ACKNOWLEDGE, incident.id)
            )
            markup = InlineKeyboardMarkup([[button]])
        return Outgoing(
            text=render_alert(tr, view, settings.quote_length),
            markup=markup,
            protect=True,
            carries_all_clear=incident.closed_at is not None,
        )
