"""The use cases of contacts: invite with consent, list, remove, leave, acknowledge, drill."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core.contacts import Contact, ContactStatus
from bot.core.outbox import PRIORITY_ALERT, PRIORITY_NOTICE, OutboxKind
from bot.core.people import Person
from bot.services import alerting
from bot.settings import AlertSettings
from storage import contacts as contact_repository
from storage import drills
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage.database import Database, Transaction

logger = logging.getLogger(__name__)

# 24 random bytes: 192 bits, 32 URL-safe characters (a deep link allows 64).
INVITE_BYTES = 24
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}$")


class InviteProblem(StrEnum):
    # Unknown, expired, used or malformed: deliberately one answer for all, so a
    # stranger guessing codes learns nothing.
    INVALID = "invalid"
    OWN = "own"


class AckOutcome(StrEnum):
    TAKEN = "taken"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class InviteOffer:
    invite_id: int
    activist_name: str
    tier: int


@dataclass(frozen=True)
class Invitation:
    code: str
    tier: int
    expires_at: datetime


@dataclass(frozen=True)
class Acknowledgement:
    outcome: AckOutcome
    # Who has it: the presser (TAKEN) or whoever was first (ALREADY).
    taken_by: str | None = None


def hash_code(code: str) -> str:
    """Return what the database keeps of an invitation code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


class ContactService:
    """Run the use cases of contacts; every message to a third party goes via the outbox."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: AlertSettings,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._on_queued = on_queued

    async def create_invite(self, person: Person, tier: int) -> Invitation:
        """Return a fresh single-use invitation for a tier-``tier`` contact."""
        now = self._clock.now()
        code = secrets.token_urlsafe(INVITE_BYTES)
        expires_at = now + self._settings.invite_lifetime
        async with self._database.transaction() as tx:
            await contact_repository.add_invite(
                tx, person.id, tier, hash_code(code), now, expires_at
            )
        return Invitation(code, tier, expires_at)

    def decoy_invite(self, tier: int) -> Invitation:
        """Return an invitation that looks real but leads nowhere (it is never stored)."""
        now = self._clock.now()
        return Invitation(
            secrets.token_urlsafe(INVITE_BYTES), tier, now + self._settings.invite_lifetime
        )

    async def open_invite(
        self, code: str, user_id: int, chat_id: int
    ) -> InviteOffer | InviteProblem:
        """Look up an invitation someone opened; remember who, so only they can answer."""
        if not _CODE_SHAPE.match(code):
            return InviteProblem.INVALID
        now = self._clock.now()
        async with self._database.transaction() as tx:
            invite = await contact_repository.invite_by_hash(tx, hash_code(code))
            if invite is None or not invite.is_open(now):
                return InviteProblem.INVALID
            activist = await people_repository.by_id(tx, invite.person_id)
            if activist is None:
                return InviteProblem.INVALID
            if activist.telegram_user_id == user_id:
                return InviteProblem.OWN
            await contact_repository.mark_opened(tx, invite.id, user_id, chat_id)
        return InviteOffer(invite.id, activist.display_name, invite.tier)

    async def answer_invite(
        self,
        invite_id: int,
        *,
        user_id: int,
        chat_id: int,
        accept: bool,
        name: str,
        language: str,
        is_group: bool,
    ) -> Contact | InviteProblem | None:
        """Accept (returning the new contact) or decline (``None``) an opened invitation."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            invite = await contact_repository.invite_by_id(tx, invite_id)
            if (
                invite is None
                or not invite.is_open(now)
                or invite.opened_by_user != user_id
                or invite.opened_in_chat != chat_id
            ):
                return InviteProblem.INVALID
            activist = await people_repository.by_id(tx, invite.person_id)
            if activist is None or not await contact_repository.mark_used(tx, invite.id, now):
                return InviteProblem.INVALID
            contact = None
            if accept:
                contact = await contact_repository.upsert_contact(
                    tx,
                    person_id=activist.id,
                    chat_id=chat_id,
                    is_group=is_group,
                    display_name=name[:64],
                    language=language,
                    tier=invite.tier,
                    now=now,
                )
            await self._tell_activist(
                tx,
                activist,
                OutboxKind.INVITE_ANSWERED,
                {
                    "accepted": "yes" if accept else "no",
                    # Declining reveals nothing about who declined.
                    "contact": name[:64] if accept else None,
                    "tier": str(invite.tier),
                },
                now,
            )
        self._on_queued()
        return contact

    async def tell_directly(self, bot: Bot, contact: Contact, text: str) -> bool:
        """Send ``text`` to a contact now, without the outbox; ``False`` if it failed.

        Only for a farewell whose sender is about to be deleted, when no row
        could outlive them in the outbox.
        """
        try:
            await bot.send_message(contact.chat_id, text)
        except TelegramError as error:
            logger.warning("could not tell a contact goodbye: %s", type(error).__name__)
            return False
        return True

    async def contacts_of(self, person: Person) -> list[Contact]:
        async with self._database.snapshot() as tx:
            return await contact_repository.contacts_of(tx, person.id)

    async def owned(self, person: Person, contact_id: int) -> Contact | None:
        """Return the contact if it is one of the person's own."""
        async with self._database.snapshot() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
        return contact if contact is not None and contact.person_id == person.id else None

    async def remove(self, person: Person, contact_id: int) -> Contact | None:
        """Remove one of the person's own contacts; ``None`` if it is not theirs."""
        async with self._database.transaction() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
            if contact is None or contact.person_id != person.id:
                return None
            await contact_repository.remove_contact(tx, contact.id)
        return contact

    async def watched_from(self, chat_id: int) -> list[tuple[Contact, str]]:
        """Return the contact rows of this chat with the name of the activist each watches."""
        async with self._database.snapshot() as tx:
            found = []
            for contact in await contact_repository.contacts_in_chat(tx, chat_id):
                activist = await people_repository.by_id(tx, contact.person_id)
                if activist is not None:
                    found.append((contact, activist.display_name))
        return found

    async def leave(self, contact_id: int, chat_id: int) -> str | None:
        """Stop being a contact (only from the contact's own chat); return the activist's name."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
            if contact is None or contact.chat_id != chat_id:
                return None
            activist = await people_repository.by_id(tx, contact.person_id)
            await contact_repository.remove_contact(tx, contact.id)
            if activist is None:
                return None
            await self._tell_activist(
                tx, activist, OutboxKind.CONTACT_LEFT, {"contact": contact.display_name}, now
            )
        self._on_queued()
        return activist.display_name

    async def acknowledge(self, incident_id: int, chat_id: int) -> Acknowledgement:
        """Record that the contact in ``chat_id`` takes the incident; tell the others."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            incident = await incident_repository.load(tx, incident_id)
            if incident is None:
                return Acknowledgement(AckOutcome.NOT_ALLOWED)
            alerted = set(await incident_repository.alerted_contacts(tx, incident.id))
            contact = next(
                (
                    c
                    for c in await contact_repository.contacts_in_chat(tx, chat_id)
                    if c.person_id == incident.person_id and c.id in alerted
                ),
                None,
            )
            if contact is None:
                return Acknowledgement(AckOutcome.NOT_ALLOWED)
            if incident.acknowledged_by is not None:
                first = await contact_repository.contact_by_id(tx, incident.acknowledged_by)
                return Acknowledgement(AckOutcome.ALREADY, first.display_name if first else None)
            if not await alerting.acknowledge(tx, incident, contact, now):
                return Acknowledgement(AckOutcome.ALREADY)
        self._on_queued()
        return Acknowledgement(AckOutcome.TAKEN, contact.display_name)

    async def start_drill(self, person: Person) -> int:
        """Send a clearly marked test alert to every reachable contact; return how many."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            contacts = [
                c
                for c in await contact_repository.contacts_of(tx, person.id)
                if c.status is ContactStatus.ACTIVE
            ]
            if not contacts:
                return 0
            drill_id = await drills.add(tx, person.id, now)
            for contact in contacts:
                await outbox_repository.add(
                    tx,
                    person_id=person.id,
                    contact_id=contact.id,
                    drill_id=drill_id,
                    chat_id=contact.chat_id,
                    kind=OutboxKind.DRILL,
                    priority=PRIORITY_ALERT,
                    payload={},
                    now=now,
                )
        self._on_queued()
        return len(contacts)

    async def confirm_drill(self, drill_id: int, chat_id: int) -> bool:
        """Record the confirmation of the contact in ``chat_id``; ``False`` if not theirs."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            person_id = await drills.person_of(tx, drill_id)
            if person_id is None:
                return False
            contact = next(
                (
                    c
                    for c in await contact_repository.contacts_in_chat(tx, chat_id)
                    if c.person_id == person_id
                ),
                None,
            )
            activist = await people_repository.by_id(tx, person_id)
            if contact is None or activist is None:
                return False
            confirmed = await drills.confirm(tx, drill_id, contact.id, now)
            if confirmed:
                await self._tell_activist(
                    tx, activist, OutboxKind.DRILL_CONFIRMED, {"contact": contact.display_name}, now
                )
        if confirmed:
            self._on_queued()
        return True

    async def _tell_activist(
        self,
        tx: Transaction,
        activist: Person,
        kind: OutboxKind,
        payload: dict[str, str | None],
        now: datetime,
    ) -> None:
        await outbox_repository.add(
            tx,
            person_id=activist.id,
            chat_id=activist.telegram_user_id,
            kind=kind,
            priority=PRIORITY_NOTICE,
            payload=payload,
            now=now,
        )
