"""Render an outbox row, from one snapshot of the database, into what to send.

Nothing here talks to Telegram. A row that no longer needs sending raises
:class:`Superseded`; a row that cannot be rendered raises ``ValueError`` or
``LookupError``. Either way the worker records why and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.callbacks import Action, encode
from bot.core.contacts import ContactStatus, is_spared
from bot.core.context import ContextItem, ContextKind
from bot.core.incidents import Incident
from bot.core.outbox import TO_ACTIVIST, OutboxKind, OutboxMessage
from bot.i18n import Translations, Translator
from bot.notices import render_notice
from bot.services import alerting
from bot.settings import AlertSettings
from bot.texts.alerts import (
    AlertView,
    render_acknowledged,
    render_alert,
    render_all_clear,
    render_ask_answered,
    render_drill,
    render_group_skipped,
    render_media_caption,
    render_settled_repeat,
    render_short_repeat,
    render_unreachable_relayed,
)
from bot.texts.keyboards import checkin_keyboard
from bot.texts.timers import timer_buttons
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import phone_views, trail
from storage import watches as watch_repository
from storage.database import Database, Transaction

_CHECKIN_KEYBOARD_KINDS = frozenset(
    {OutboxKind.REMIND, OutboxKind.PROMPT, OutboxKind.PAUSE_ENDED, OutboxKind.ASK_PROMPT}
)


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
    # Not a new message: the text of this one, already in the chat, replaced.
    edit_message_id: int | None = None
    # Sent as a reply to this message of the chat (a short repeat to its alert).
    reply_to: int | None = None


class Superseded(Exception):
    """The row no longer needs sending (a repeat after someone took the alert)."""


class Renderer:
    """Turn outbox rows into :class:`Outgoing` messages in each recipient's language."""

    def __init__(
        self,
        database: Database,
        translations: Translations,
        default_zone: str,
        alerts: AlertSettings,
        retention: timedelta,
    ) -> None:
        self._database = database
        self._translations = translations
        self._default_zone = default_zone
        self._alerts = alerts
        # An alert quotes only what is still within the context retention window.
        self._retention = retention

    async def render(self, message: OutboxMessage, now: datetime) -> Outgoing:
        """Return what to send for ``message``, read from one snapshot.

        The reading runs on the database thread in one trip (an alert reads a
        dozen rows); rendering the text there too is pure.
        """

        async def read(tx: Transaction) -> Outgoing:
            return await self._render_in(tx, message, now)

        return await self._database.inline(read, write=False)

    async def _render_in(self, tx: Transaction, message: OutboxMessage, now: datetime) -> Outgoing:
        """Return what to send for ``message``, reading only through ``tx``."""
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
            markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
            if message.payload.get("timer") == "1":
                markup = timer_buttons(tr, person.id)
            elif message.kind in _CHECKIN_KEYBOARD_KINDS:
                markup = checkin_keyboard(tr)
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
            raise Superseded("the contact was removed")
        tr = self._translations[contact.language]
        if message.kind is OutboxKind.UNREACHABLE_RELAYED:
            about = message.payload.get("contact") or "?"
            return Outgoing(text=render_unreachable_relayed(tr, name, about), protect=True)
        if message.kind is OutboxKind.GROUP_SKIPPED:
            group = message.payload.get("group") or "?"
            return Outgoing(text=render_group_skipped(tr, name, group), protect=True)
        if message.kind is OutboxKind.ASK_ANSWERED:
            at = datetime.fromisoformat(message.payload.get("at") or "")
            return Outgoing(text=render_ask_answered(tr, name, at, zone), protect=True)
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
                raise Superseded("no location any more")
            if message.payload.get("repeat") and message.contact_id is not None:
                pinned = await outbox_repository.last_delivered(
                    tx, incident.id, message.contact_id, OutboxKind.ALERT_LOCATION, message.id
                )
                if pinned is not None and location.updated_at <= pinned.sent_at:
                    raise Superseded("the same map pin is in the chat already")
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
                raise Superseded("the photo or voice note is no longer kept")
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
            # Later worries need no command: the button asks again.
            ask = InlineKeyboardButton(
                tr("❓ Ask {name}: are you OK?", name=name),
                callback_data=encode(Action.ASK, message.person_id),
            )
            return Outgoing(
                text=render_all_clear(tr, name, incident, checked_in_at),
                markup=InlineKeyboardMarkup([[ask]]),
                protect=True,
            )
        if message.kind is OutboxKind.ALERT_EDIT:
            return await self._render_edit(tx, message, incident, name, zone, tr, now)
        return await self._render_alert(tx, message, incident, name, zone, tr, now)

    async def _short_repeat(
        self,
        tx: Transaction,
        message: OutboxMessage,
        incident: Incident,
        name: str,
        tr: Translator,
        items: list[ContextItem],
        repeat: int,
    ) -> Outgoing | None:
        """A repeat when nothing is new since the alert already in the chat: a short
        reminder that answers that alert, instead of the whole alert again."""
        if message.incident_id is None or message.contact_id is None:
            return None
        before = await outbox_repository.last_delivered(
            tx, message.incident_id, message.contact_id, OutboxKind.ALERT, message.id
        )
        if before is None:
            return None
        changed = [item.updated_at for item in items]
        instructions_at = await context_repository.instructions_updated_at(tx, message.person_id)
        if instructions_at is not None:
            changed.append(instructions_at)
        if any(moment > before.sent_at for moment in changed):
            return None
        button = InlineKeyboardButton(
            tr("🙋 I'm on it"), callback_data=encode(Action.ACKNOWLEDGE, incident.id)
        )
        return Outgoing(
            text=render_short_repeat(tr, name, repeat),
            markup=InlineKeyboardMarkup([[button]]),
            protect=True,
            reply_to=before.telegram_message_id,
        )

    async def _render_edit(
        self,
        tx: Transaction,
        message: OutboxMessage,
        incident: Incident,
        name: str,
        zone: str,
        tr: Translator,
        now: datetime,
    ) -> Outgoing:
        """Render an alert already sent as it reads now: who took it, or all clear."""
        sent_as = await outbox_repository.telegram_message_id(
            tx, int(message.payload["alert"] or 0)
        )
        if sent_as is None:
            raise Superseded("the alert to edit is not in the chat")
        repeat = int(message.payload.get("repeat") or 0)
        if repeat:
            # A repeat answers the alert above it: it says only how things stand now.
            taker = await _taker_of(tx, incident)
            text = render_settled_repeat(tr, name, repeat, incident, zone, taker)
            return Outgoing(text=text, protect=True, edit_message_id=sent_as)
        alert = replace(message, kind=OutboxKind.ALERT, payload={"repeat": None})
        current = await self._render_alert(tx, alert, incident, name, zone, tr, now, editing=True)
        return replace(current, markup=None, carries_all_clear=False, edit_message_id=sent_as)

    async def _render_alert(
        self,
        tx: Transaction,
        message: OutboxMessage,
        incident: Incident,
        name: str,
        zone: str,
        tr: Translator,
        now: datetime,
        editing: bool = False,
    ) -> Outgoing:
        repeat = int(message.payload.get("repeat") or 0)
        if repeat and not incident.is_active and not editing:
            raise Superseded("the alert was taken or closed")
        watch = await watch_repository.load(tx, message.person_id)
        settings = self._alerts
        # An item that cannot be opened is left out and counted, never fatal.
        recent = await context_repository.recent_counted(
            tx, message.person_id, now - self._retention, settings.quoted_messages
        )
        if repeat and not editing and message.contact_id is not None:
            short = await self._short_repeat(tx, message, incident, name, tr, recent.items, repeat)
            if short is not None:
                return short
        instructions, broken = await context_repository.instructions_of(tx, message.person_id)
        contacts = await contact_repository.contacts_of(tx, message.person_id)
        spared = [c for c in contacts if is_spared(c, incident.reason)]
        spared_ids = {c.id for c in spared}
        alerted = [
            contact_id
            for contact_id in await incident_repository.alerted_contacts(tx, incident.id)
            if contact_id not in spared_ids
        ]
        taker = await _taker_of(tx, incident)
        view = AlertView(
            name=name,
            zone=zone,
            incident=incident,
            last_checkin_at=None if watch is None else watch.last_checkin_at,
            items=recent.items,
            instructions=instructions,
            others_alerted=max(0, len(alerted) - 1),
            acknowledged_by=taker,
            trail=tuple(await trail.points(tx, message.person_id, now - self._retention)),
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


async def _taker_of(tx: Transaction, incident: Incident) -> str | None:
    """Return the name of the contact who took the incident, if one did."""
    if incident.acknowledged_by is None:
        return None
    taker = await contact_repository.contact_by_id(tx, incident.acknowledged_by)
    return None if taker is None else taker.display_name
