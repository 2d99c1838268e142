"""Queue alerts to contacts: the first fan-out, escalation, repeats, acknowledgement, all-clear.

Everything here runs inside the caller's transaction, next to the state change
that causes it (invariant 2). Alerts are rendered only when sent, in each
recipient's language, so a repeat carries the newest context.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.contacts import Contact, ContactStatus, is_spared
from bot.core.incidents import AlertPolicy, Escalate, Incident, Repeat, advance, opened, wake_at
from bot.core.outbox import (
    PRIORITY_ALERT,
    PRIORITY_ALERT_MORE,
    PRIORITY_ALL_CLEAR,
    PRIORITY_EDIT,
    PRIORITY_SOS,
    PRIORITY_SOS_MORE,
    PRIORITY_WARNING,
    OutboxKind,
)
from bot.core.people import Person
from bot.core.teams import AuditEvent
from bot.core.watches import AlertReason
from bot.services import oversight
from bot.settings import AlertSettings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import teams as team_repository
from storage.database import Transaction
from storage.outbox import NewMessage

logger = logging.getLogger(__name__)

# A location older than this is not worth a map pin of its own in an alert.
LOCATION_HORIZON = timedelta(days=7)
# The newest photos and voice notes an alert passes on (oldest of them first),
# found among the last MEDIA_SCAN items.
MEDIA_PER_ALERT = 3
MEDIA_SCAN = 20


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def policy_of(settings: AlertSettings) -> AlertPolicy:
    """Return the escalation policy the operator configured."""
    return AlertPolicy(settings.escalate_after, settings.repeat_every, settings.repeat_max)


def priority_of(reason: AlertReason, *, first_text: bool = True) -> int:
    """Return how urgent a row about an incident is: SOS and coercion first, then
    every contact's first alert text before anything else about an alert."""
    if reason in (AlertReason.MISSED, AlertReason.TIMER, AlertReason.ASK):
        return PRIORITY_ALERT if first_text else PRIORITY_ALERT_MORE
    return PRIORITY_SOS if first_text else PRIORITY_SOS_MORE


def _message_for(
    incident: Incident,
    contact: Contact,
    kind: OutboxKind,
    payload: dict[str, str | None],
    *,
    priority: int | None = None,
    after_previous: bool = False,
) -> NewMessage:
    """Return one message about ``incident`` to ``contact``'s chat, to be queued."""
    return NewMessage(
        person_id=incident.person_id,
        incident_id=incident.id,
        contact_id=contact.id,
        chat_id=contact.chat_id,
        kind=kind,
        priority=priority_of(incident.reason, first_text=_is_first_text(kind, payload))
        if priority is None
        else priority,
        payload=payload,
        after_previous=after_previous,
    )


def _is_first_text(kind: OutboxKind, payload: dict[str, str | None]) -> bool:
    return kind is OutboxKind.ALERT and payload.get("repeat") in (None, "0")


@dataclass(frozen=True)
class Attachments:
    """What an alert carries after its text; the same for every contact of one incident."""

    has_location: bool
    # Telegram message ids of the photos and voice notes to pass on, oldest first.
    media: tuple[int, ...]


async def attachments_of(
    tx: Transaction, person_id: int, now: datetime, *, with_media: bool = True
) -> Attachments:
    """Look up, once per incident, the last location and the newest media to pass on."""
    return (await attachments_among(tx, [person_id], now, with_media=with_media))[person_id]


async def attachments_among(
    tx: Transaction, person_ids: Sequence[int], now: datetime, *, with_media: bool = True
) -> dict[int, Attachments]:
    """Return :func:`attachments_of` for each of ``person_ids``, in two queries for all."""
    since = now - LOCATION_HORIZON
    located = await context_repository.latest_locations(tx, person_ids, since)
    media = (
        await context_repository.recent_media_among(
            tx, person_ids, since, MEDIA_SCAN, MEDIA_PER_ALERT
        )
        if with_media
        else {}
    )
    return {
        person_id: Attachments(
            person_id in located,
            tuple(item.telegram_message_id for item in reversed(media.get(person_id, []))),
        )
        for person_id in person_ids
    }


@dataclass(frozen=True)
class ReadAhead:
    """What opening alerts reads about each of many people, read for all of them at once.

    The contacts come without their names (``display_name`` is empty).

    ``attachments`` has an entry for everyone read, contacts or not.
    """

    contacts: dict[int, list[Contact]]
    attachments: dict[int, Attachments]
    # Who among them is looked after by a team (whose coordinators hear of alerts).
    in_team: frozenset[int] = frozenset()


async def read_ahead(tx: Transaction, person_ids: Sequence[int], now: datetime) -> ReadAhead:
    """Read the contacts and attachments of ``person_ids``, who may each open an alert now.

    The caller must not change them before the alerts are opened, in the same transaction.
    """
    return ReadAhead(
        # Nameless: queueing an alert never needs a contact's name (it is rendered
        # when sent), and opening thousands of names is a good part of a sweep.
        await contact_repository.contacts_among(tx, person_ids, named=False),
        await attachments_among(tx, person_ids, now),
        await team_repository.members_among(tx, person_ids),
    )


def alert_messages(
    incident: Incident, contact: Contact, attachments: Attachments, repeat: int = 0
) -> list[NewMessage]:
    """Return the alert for one contact: the text, then the last location, then media.

    Each message follows the one before it in the chat, so the pieces arrive in order.
    ``attachments`` come from :func:`attachments_of`, once per incident.
    """
    messages = [_message_for(incident, contact, OutboxKind.ALERT, {"repeat": str(repeat)})]
    if attachments.has_location:
        # A repeat's map pin is left out at sending if the place has not changed.
        pin: dict[str, str | None] = {"repeat": str(repeat)} if repeat else {}
        messages.append(
            _message_for(incident, contact, OutboxKind.ALERT_LOCATION, pin, after_previous=True)
        )
    if repeat:
        # A repeat is a reminder: the photos and voice notes went out the first time.
        return messages
    for telegram_message_id in attachments.media:
        payload: dict[str, str | None] = {"item": str(telegram_message_id)}
        messages.append(
            _message_for(incident, contact, OutboxKind.ALERT_MEDIA, payload, after_previous=True)
        )
    return messages


async def open_alert(
    tx: Transaction,
    person: Person,
    reason: AlertReason,
    due_at: datetime,
    now: datetime,
    offline_since: datetime | None,
    policy: AlertPolicy,
    *,
    wrong_pins: int | None = None,
    started_at: datetime | None = None,
    note: str | None = None,
    asker: str | None = None,
    known: ReadAhead | None = None,
) -> Incident:
    """Open an incident and alert tier 1 (every tier for an SOS).

    ``known``: the person's contacts and attachments, if already read (see :func:`read_ahead`).
    """
    unsaved = opened(
        Incident(
            0,
            person.id,
            reason,
            due_at,
            now,
            offline_since=offline_since,
            wrong_pins=wrong_pins,
            started_at=started_at,
            note=note,
            asker=asker,
        )
    )
    incident_id = await incident_repository.open_incident(tx, unsaved, wake_at(unsaved, policy))
    # Built anew rather than copied: this runs once per alert of a sweep of thousands.
    incident = opened(
        Incident(
            incident_id,
            person.id,
            reason,
            due_at,
            now,
            offline_since=offline_since,
            wrong_pins=wrong_pins,
            started_at=started_at,
            note=note,
            asker=asker,
        )
    )
    # A group the activist is in gets no duress or PIN-failure alert: the
    # others' alert says so (rendered when sent).
    if known is None or person.id not in known.attachments:
        known = await read_ahead(tx, [person.id], now)
    alerted = [
        contact
        for contact in known.contacts.get(person.id, [])
        if contact.status is ContactStatus.ACTIVE
        and (contact.tier == 1 or incident.escalated_at is not None)
        and not is_spared(contact, reason)
    ]
    attachments = known.attachments[person.id]
    messages = [m for c in alerted for m in alert_messages(incident, c, attachments)]
    await outbox_repository.add_many(tx, messages, now)
    logger.info(
        "incident %d opened for person %d: %s, %d contact(s) alerted%s",
        incident_id,
        person.id,
        reason.value,
        len(alerted),
        " (late: the bot was offline)" if offline_since is not None else "",
    )
    if person.id in known.in_team:
        detail = {"reason": reason.value, "since": due_at.isoformat(), "alerted": str(len(alerted))}
        await oversight.report(tx, person, AuditEvent.ALERT_OPENED, now, detail=detail)
    return incident


async def advance_incident(
    tx: Transaction, incident: Incident, now: datetime, policy: AlertPolicy
) -> bool:
    """Escalate and repeat what is due; ``False`` if the incident changed meanwhile."""
    updated, actions = advance(incident, now, policy)
    alerted = set(await incident_repository.alerted_contacts(tx, incident.id))
    contacts = [
        c
        for c in await contact_repository.contacts_of(tx, incident.person_id)
        if c.status is ContactStatus.ACTIVE and not is_spared(c, incident.reason)
    ]
    messages: list[NewMessage] = []
    for action in actions:
        if isinstance(action, Repeat):
            repeated = [c for c in contacts if c.id in alerted]
            if repeated:
                attachments = await attachments_of(tx, incident.person_id, now, with_media=False)
                for contact in repeated:
                    messages += alert_messages(updated, contact, attachments, action.number)
        elif isinstance(action, Escalate):
            escalated = [c for c in contacts if c.tier == 2 and c.id not in alerted]
            if escalated:
                attachments = await attachments_of(tx, incident.person_id, now)
                for contact in escalated:
                    messages += alert_messages(updated, contact, attachments)
            logger.info(
                "incident %d escalated: %d tier-2 contact(s) alerted", incident.id, len(escalated)
            )
            detail = {"reason": incident.reason.value, "alerted": str(len(escalated))}
            await oversight.report(
                tx, incident.person_id, AuditEvent.ALERT_ESCALATED, now, detail=detail
            )
    await outbox_repository.add_many(tx, messages, now)
    # Compare-and-set: an acknowledgement or all-clear may have landed meanwhile.
    return await incident_repository.save(tx, updated, wake_at(updated, policy))


async def _alerted(
    tx: Transaction, incident: Incident, leaving_out: int | None = None
) -> list[Contact]:
    """Return the contacts alerted about ``incident`` who can still be told more of it."""
    found = []
    for contact_id in await incident_repository.alerted_contacts(tx, incident.id):
        contact = await contact_repository.contact_by_id(tx, contact_id)
        if (
            contact is None
            or contact.id == leaving_out
            or contact.status is not ContactStatus.ACTIVE
            or is_spared(contact, incident.reason)
        ):
            continue
        found.append(contact)
    return found


async def acknowledge(tx: Transaction, incident: Incident, contact: Contact, now: datetime) -> bool:
    """Record that ``contact`` took the incident and tell the others; ``False`` if too late."""
    if not incident.is_active:
        return False
    taken = replace(incident, acknowledged_by=contact.id, acknowledged_at=now)
    if not await incident_repository.save(tx, taken, None):
        return False
    told = await _alerted(tx, incident, leaving_out=contact.id)
    payload: dict[str, str | None] = {"by": str(contact.id)}
    await outbox_repository.add_many(
        tx, [_message_for(incident, o, OutboxKind.ACKNOWLEDGED, payload) for o in told], now
    )
    logger.info("incident %d acknowledged by contact %d", incident.id, contact.id)
    # The taker's own alert was settled by their press (see handlers.buttons).
    await _bring_alerts_up_to_date(tx, taken, now, leaving_out=contact.id)
    detail = {"reason": incident.reason.value, "by": contact.display_name}
    await oversight.report(
        tx, incident.person_id, AuditEvent.ALERT_ACKNOWLEDGED, now, detail=detail
    )
    return True


async def _bring_alerts_up_to_date(
    tx: Transaction, incident: Incident, now: datetime, leaving_out: int | None = None
) -> None:
    """Queue an edit of every alert text of ``incident`` already in a chat: each will
    say who took it or that all is clear, and lose its "I'm on it" button."""
    edits = [
        NewMessage(
            person_id=incident.person_id,
            incident_id=incident.id,
            contact_id=sent.contact_id,
            chat_id=sent.chat_id,
            kind=OutboxKind.ALERT_EDIT,
            priority=PRIORITY_EDIT,
            payload={"alert": str(sent.row_id), "repeat": sent.repeat},
        )
        for sent in await outbox_repository.sent_alerts(tx, incident.id)
        if sent.contact_id != leaving_out
    ]
    await outbox_repository.add_many(tx, edits, now)


async def all_clear(tx: Transaction, person: Person, checked_in_at: datetime) -> int:
    """Close the person's open incidents and tell everyone alerted; return rows queued."""
    payload = {"checked_in_at": _iso(checked_in_at)}
    closed = await incident_repository.close_open(tx, person.id, checked_in_at)
    messages = [
        _message_for(incident, contact, OutboxKind.ALL_CLEAR, payload, priority=PRIORITY_ALL_CLEAR)
        for incident in closed
        for contact in await _alerted(tx, incident)
    ]
    await outbox_repository.add_many(tx, messages, checked_in_at)
    for incident in closed:
        logger.info("incident %d closed: person %d checked in", incident.id, person.id)
        await _bring_alerts_up_to_date(tx, incident, checked_in_at)
        detail = {"reason": incident.reason.value}
        await oversight.report(tx, person, AuditEvent.ALERT_CLOSED, checked_in_at, detail=detail)
    return len(messages)


async def warn_unreachable(
    tx: Transaction, person: Person, contact: Contact, now: datetime, reason: str
) -> None:
    """Tell the activist, in plain words, that a contact cannot be reached.

    While a duress incident is open the phone may be in other hands, and a notice
    there would timestamp the alert: the activist's other reachable contacts are
    told instead (each in their language, protected), and the phone nothing.
    """
    logger.info(
        "contact %d (tier %d %s) of person %d cannot be reached",
        contact.id,
        contact.tier,
        "group" if contact.is_group else "person",
        person.id,
    )
    await oversight.report(
        tx, person, AuditEvent.CONTACT_UNREACHABLE, now, detail={"contact": contact.display_name}
    )
    if await incident_repository.has_open(tx, person.id, [AlertReason.DURESS]):
        for other in await contact_repository.contacts_of(tx, person.id):
            if (
                other.id == contact.id
                or other.status is not ContactStatus.ACTIVE
                or is_spared(other, AlertReason.DURESS)
            ):
                continue
            await outbox_repository.add(
                tx,
                person_id=person.id,
                contact_id=other.id,
                chat_id=other.chat_id,
                kind=OutboxKind.UNREACHABLE_RELAYED,
                priority=PRIORITY_WARNING,
                payload={"contact": contact.display_name},
                now=now,
            )
        return
    await outbox_repository.add(
        tx,
        person_id=person.id,
        contact_id=contact.id,
        chat_id=person.telegram_user_id,
        kind=OutboxKind.CONTACT_UNREACHABLE,
        priority=PRIORITY_WARNING,
        payload={"reason": reason, "contact": contact.display_name},
        now=now,
    )


async def group_skipped(tx: Transaction, incident: Incident, group: Contact, now: datetime) -> int:
    """Tell the others alerted about ``incident`` that ``group`` was left out; return how many.

    The group turned out, right before sending, to have the activist in it.
    """
    payload: dict[str, str | None] = {"group": group.display_name}
    others = await _alerted(tx, incident, leaving_out=group.id)
    messages = [_message_for(incident, o, OutboxKind.GROUP_SKIPPED, payload) for o in others]
    await outbox_repository.add_many(tx, messages, now)
    return len(messages)
