"""The use cases of contacts: invite with consent, list, remove, leave, acknowledge, drill."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from telegram import Bot
from telegram.error import TelegramError

from bot.clock import Clock
from bot.core.contacts import Contact, ContactStatus, Invite
from bot.core.gated import Unlock
from bot.core.outbox import PRIORITY_ALERT, PRIORITY_NOTICE, OutboxKind
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.core.teams import AuditEvent, Team
from bot.core.watches import AlertReason
from bot.membership import MembershipCheck
from bot.services import alerting, duress, oversight
from bot.settings import AlertSettings
from storage import contacts as contact_repository
from storage import drills
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import teams as team_repository
from storage.database import Database, Transaction
from storage.outbox import NewMessage

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
    # For an invitation a coordinator made for the activist: who, and of which team.
    coordinator_name: str | None = None
    team_name: str | None = None


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
        *,
        pretence: duress.Pretence | None = None,
        is_in_group: MembershipCheck | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._on_queued = on_queued
        self._pretence = pretence
        self._is_in_group = is_in_group

    async def invite(self, person: Person, tier: int, unlock: Unlock) -> Invitation:
        """Return an invitation link; under duress a decoy that makes nobody a contact."""
        if unlock is Unlock.DURESS:
            await self._pretend(person)
            return await self.create_decoy_invite(person, tier)
        return await self.create_invite(person, tier)

    async def _pretend(self, person: Person) -> PhoneView:
        """Keep the duress alarm going and return the phone's view (see bot.services.duress)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            view = await self._begin(tx, person, now)
        self._on_queued()
        return view

    async def _begin(self, tx: Transaction, person: Person, now: datetime) -> PhoneView:
        pretence = self._pretence or duress.pretence_needed()
        return await pretence.begin(tx, person, now)

    async def create_invite(self, person: Person, tier: int) -> Invitation:
        """Return a fresh single-use invitation for a tier-``tier`` contact."""
        return await self._add_invite(person, tier, decoy=False)

    async def create_decoy_invite(self, person: Person, tier: int) -> Invitation:
        """Return an invitation, forced under duress, that never makes anyone a contact.

        It is stored and answers exactly like a real one (the offer, a decline,
        expiry), so whoever forced it cannot tell it apart in one step; only
        Accept differs, answering as a real invitation that expired meanwhile.
        """
        return await self._add_invite(person, tier, decoy=True)

    async def _add_invite(self, person: Person, tier: int, *, decoy: bool) -> Invitation:
        now = self._clock.now()
        code = secrets.token_urlsafe(INVITE_BYTES)
        expires_at = now + self._settings.invite_lifetime
        async with self._database.transaction() as tx:
            await contact_repository.add_invite(
                tx, person.id, tier, hash_code(code), now, expires_at, decoy=decoy
            )
        return Invitation(code, tier, expires_at)

    async def invite_for_member(
        self, coordinator: Person, team_id: int, person_id: int, tier: int
    ) -> tuple[Invitation, Person] | None:
        """Return an invitation a coordinator makes for a member of their team, and the member.

        ``None`` unless ``coordinator`` coordinates the team and the person is in it.
        The invitee is shown who asks, for which team and for whom.
        """
        if tier not in (1, 2):
            raise ValueError("contacts are of tier 1 or 2")
        now = self._clock.now()
        code = secrets.token_urlsafe(INVITE_BYTES)
        expires_at = now + self._settings.invite_lifetime
        async with self._database.transaction() as tx:
            member = await self._sponsored(tx, coordinator.id, team_id, person_id)
            if member is None:
                return None
            await contact_repository.add_invite(
                tx,
                person_id,
                tier,
                hash_code(code),
                now,
                expires_at,
                by_coordinator=coordinator.id,
                team_id=team_id,
            )
        return Invitation(code, tier, expires_at), member

    async def remove_for_member(
        self, coordinator: Person, team_id: int, contact_id: int
    ) -> Contact | None:
        """Remove a contact ``coordinator`` added for a member of their team; tell the member.

        ``None`` unless the coordinator still coordinates the team, the contact's
        activist is still in it and this coordinator added the contact. During a
        duress episode the phone is told nothing (it may not be the member holding it).
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
            if contact is None or contact.added_by != coordinator.id:
                return None
            member = await self._sponsored(tx, coordinator.id, team_id, contact.person_id)
            team = await team_repository.by_id(tx, team_id)
            if member is None or team is None:
                return None
            await contact_repository.remove_contact(tx, contact.id)
            await oversight.report(
                tx,
                member,
                AuditEvent.CONTACT_REMOVED,
                now,
                actor=coordinator,
                detail={"contact": contact.display_name},
                notify=False,
            )
            view = await duress.view_of(tx, member.id)
            if view is not None:
                shown = replace(view, hidden_contacts=view.hidden_contacts - {contact.id})
                await duress.save_view(tx, shown)
            else:
                payload: dict[str, str | None] = {
                    "event": "contact_removed_by_coordinator",
                    "team": team.name,
                    "by": coordinator.display_name,
                    "contact": contact.display_name,
                }
                await self._tell_activist(tx, member, OutboxKind.TEAM_NOTICE, payload, now)
        self._on_queued()
        return contact

    async def _sponsored(
        self, tx: Transaction, coordinator_id: int, team_id: int, person_id: int
    ) -> Person | None:
        """Return the member if the coordinator may set up contacts for them (now)."""
        if not await team_repository.is_coordinator(
            tx, team_id, coordinator_id
        ) or not await team_repository.is_member(tx, team_id, person_id):
            return None
        return await people_repository.by_id(tx, person_id)

    async def _sponsor(self, tx: Transaction, invite: Invite) -> tuple[Person, Team] | None:
        """Return the coordinator and team behind a coordinator's invitation, if still so."""
        if invite.by_coordinator is None or invite.team_id is None:
            return None
        if (
            await self._sponsored(tx, invite.by_coordinator, invite.team_id, invite.person_id)
            is None
        ):
            return None
        coordinator = await people_repository.by_id(tx, invite.by_coordinator)
        team = await team_repository.by_id(tx, invite.team_id)
        return None if coordinator is None or team is None else (coordinator, team)

    async def open_invite(
        self, code: str, user_id: int, chat_id: int
    ) -> InviteOffer | InviteProblem:
        """Look up an invitation someone opened; bind it to its first opener.

        1. Unknown, expired or used: invalid.
        2. The first opener (user and chat) binds it; only they may answer it.
        3. Anyone else gets "invalid" like a wrong code, and the activist is told,
           once and content-free, that a second person opened the link.
        """
        if not _CODE_SHAPE.match(code):
            return InviteProblem.INVALID
        now = self._clock.now()
        contested = False
        async with self._database.transaction() as tx:
            invite = await contact_repository.invite_by_hash(tx, hash_code(code))
            if invite is None or not invite.is_open(now):
                return InviteProblem.INVALID
            activist = await people_repository.by_id(tx, invite.person_id)
            if activist is None:
                return InviteProblem.INVALID
            if activist.telegram_user_id == user_id:
                return InviteProblem.OWN
            sponsor = None
            if invite.by_coordinator is not None:
                # The coordinator must still be one, and the activist still in the team.
                sponsor = await self._sponsor(tx, invite)
                if sponsor is None:
                    return InviteProblem.INVALID
            bound = await contact_repository.mark_opened(tx, invite.id, user_id, chat_id)
            if not bound:
                # The first opener reopening it in another chat is no second person.
                current = await contact_repository.invite_by_id(tx, invite.id)
                someone_else = current is not None and current.opened_by_user != user_id
                if someone_else and await contact_repository.mark_contested(tx, invite.id, now):
                    await self._tell_activist(tx, activist, OutboxKind.INVITE_CONTESTED, {}, now)
                    contested = True
        if contested:
            logger.warning("invitation %s was opened by a second person", invite.id)
            self._on_queued()
        if not bound:
            return InviteProblem.INVALID
        if sponsor is None:
            return InviteOffer(invite.id, activist.display_name, invite.tier)
        coordinator, team = sponsor
        return InviteOffer(
            invite.id, activist.display_name, invite.tier, coordinator.display_name, team.name
        )

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
        username: str | None = None,
    ) -> Contact | InviteProblem | None:
        """Accept (returning the new contact) or decline (``None``) an opened invitation.

        1. A group accepting is checked for the activist among its members (before
           the transaction: it asks Telegram); if that fails it stays unknown and is
           checked again before any silent alert.
        2. A decoy is used up: declining it is a real decline; accepting it answers
           like a real invitation that expired, makes no contact and tells nobody.
        """
        includes_activist = (
            await self._activist_in_group(invite_id, user_id, chat_id)
            if accept and is_group
            else None
        )
        now = self._clock.now()
        async with self._database.transaction() as tx:
            invite = await contact_repository.invite_by_id(tx, invite_id)
            if (
                invite is None
                or not invite.is_open(now)
                or not invite.is_opened_by(user_id, chat_id)
            ):
                return InviteProblem.INVALID
            activist = await people_repository.by_id(tx, invite.person_id)
            sponsor = None if invite.by_coordinator is None else await self._sponsor(tx, invite)
            if invite.by_coordinator is not None and sponsor is None:
                # The coordinator lost the right meanwhile, or the activist left the team.
                return InviteProblem.INVALID
            if activist is None or not await contact_repository.mark_used(tx, invite.id, now):
                return InviteProblem.INVALID
            if accept and invite.decoy:
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
                    includes_activist=includes_activist if is_group else False,
                    added_by=invite.by_coordinator,
                )
                detail = {"contact": contact.display_name, "tier": str(invite.tier)}
                await oversight.report(
                    tx,
                    activist,
                    AuditEvent.CONTACT_ADDED,
                    now,
                    actor=activist if sponsor is None else sponsor[0],
                    detail=detail,
                    notify=False,
                )
                view = await duress.view_of(tx, activist.id)
                if view is not None and sponsor is not None:
                    # Someone else may hold the phone: the contact the team set up
                    # watches over the activist unseen there, and nothing of it
                    # (nor of the team) reaches the phone.
                    hidden = replace(view, hidden_contacts=view.hidden_contacts | {contact.id})
                    await duress.save_view(tx, hidden)
                    return contact
                if view is not None and contact.id in view.hidden_contacts:
                    # Invited again for real: the phone sees the contact back.
                    shown = replace(view, hidden_contacts=view.hidden_contacts - {contact.id})
                    await duress.save_view(tx, shown)
            payload: dict[str, str | None] = {
                "accepted": "yes" if accept else "no",
                # Declining reveals nothing about who declined.
                "contact": name[:64] if accept else None,
                "tier": str(invite.tier),
            }
            if accept:
                payload["username"] = username[:64] if username else None
                payload["includes_activist"] = "yes" if includes_activist else "no"
            if sponsor is not None:
                payload["by"], payload["team"] = sponsor[0].display_name, sponsor[1].name
            await self._tell_activist(tx, activist, OutboxKind.INVITE_ANSWERED, payload, now)
        self._on_queued()
        return contact

    async def _activist_in_group(self, invite_id: int, user_id: int, chat_id: int) -> bool | None:
        """Ask Telegram whether the inviting activist is in the accepting group.

        ``None`` when it cannot be told now: the acceptance must not fail for it.
        """
        if self._is_in_group is None:
            return None
        async with self._database.snapshot() as tx:
            invite = await contact_repository.invite_by_id(tx, invite_id)
            if (
                invite is None
                or invite.decoy
                or not invite.is_open(self._clock.now())
                or not invite.is_opened_by(user_id, chat_id)
            ):
                return None
            activist = await people_repository.by_id(tx, invite.person_id)
        if activist is None:
            return None
        try:
            return await self._is_in_group(chat_id, activist.telegram_user_id)
        except TelegramError as error:
            logger.warning(
                "invitation %s: could not check the group's members (%s); checking again "
                "before any silent alert",
                invite_id,
                type(error).__name__,
            )
            return None

    async def note_membership(self, chat_id: int, *, reachable: bool) -> int:
        """Record that the chat blocked or removed the bot, or took it back; tell each activist.

        Telegram says so at once (``my_chat_member``), long before an alert would
        find out. Returns how many contact rows changed; a repeated update changes none.
        """
        now = self._clock.now()
        changed = 0
        async with self._database.transaction() as tx:
            for contact in await contact_repository.contacts_in_chat(tx, chat_id):
                activist = await people_repository.by_id(tx, contact.person_id)
                if activist is None:
                    continue
                if not reachable:
                    if await contact_repository.mark_unreachable(tx, contact.id):
                        changed += 1
                        await alerting.warn_unreachable(
                            tx, activist, contact, now, "blocked or removed the bot"
                        )
                    continue
                if not await contact_repository.mark_reachable(tx, contact.id):
                    continue
                changed += 1
                # Under duress nothing about delivery reaches the phone, good news included.
                if not await incident_repository.has_open(tx, activist.id, [AlertReason.DURESS]):
                    await self._tell_activist(
                        tx,
                        activist,
                        OutboxKind.CONTACT_REACHABLE,
                        {"contact": contact.display_name},
                        now,
                    )
        if changed:
            logger.info("%s contact row(s) changed reachability", changed)
            self._on_queued()
        return changed

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
        """Return the person's contacts as their phone is to see them."""
        async with self._database.snapshot() as tx:
            hidden = await self._hidden(tx, person)
            return [
                c for c in await contact_repository.contacts_of(tx, person.id) if c.id not in hidden
            ]

    async def real_contacts_of(self, person: Person) -> list[Contact]:
        """Return every contact of the person, whatever their phone was shown."""
        async with self._database.snapshot() as tx:
            return await contact_repository.contacts_of(tx, person.id)

    async def owned(self, person: Person, contact_id: int) -> Contact | None:
        """Return the contact if it is one of the person's own, as their phone sees them."""
        async with self._database.snapshot() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
            hidden = await self._hidden(tx, person)
        if contact is None or contact.person_id != person.id or contact.id in hidden:
            return None
        return contact

    async def remove(
        self, person: Person, contact_id: int, unlock: Unlock = Unlock.REAL
    ) -> Contact | None:
        """Remove one of the person's own contacts; ``None`` if it is not theirs.

        Under duress the contact stays and keeps getting alerts; only the phone
        is shown it removed, now and in every later list.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            contact = await contact_repository.contact_by_id(tx, contact_id)
            view = await duress.view_of(tx, person.id)
            hidden = frozenset() if view is None else view.hidden_contacts
            if contact is None or contact.person_id != person.id or contact.id in hidden:
                return None
            if unlock is Unlock.DURESS:
                view = await self._begin(tx, person, now)
            else:
                await contact_repository.remove_contact(tx, contact.id)
            detail = {"contact": contact.display_name}
            if unlock is Unlock.DURESS:
                detail["under_duress"] = "yes"
            await oversight.record(tx, person, AuditEvent.CONTACT_REMOVED, now, detail)
            if view is not None:
                shown = replace(view, hidden_contacts=view.hidden_contacts | {contact.id})
                await duress.save_view(tx, shown)
        if unlock is Unlock.DURESS:
            self._on_queued()
        return contact

    async def _hidden(self, tx: Transaction, person: Person) -> frozenset[int]:
        view = await duress.view_of(tx, person.id)
        return frozenset() if view is None else view.hidden_contacts

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
            await oversight.report(
                tx,
                activist,
                AuditEvent.CONTACT_REMOVED,
                now,
                detail={"contact": contact.display_name, "left": "yes"},
                notify=False,
            )
            if contact.id in await self._hidden(tx, activist):
                # The phone was shown this contact removed long ago: say nothing.
                return activist.display_name
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
            # A contact the phone was shown removed must not confirm a drill on it.
            hidden = await self._hidden(tx, person)
            contacts = [
                c
                for c in await contact_repository.contacts_of(tx, person.id)
                if c.status is ContactStatus.ACTIVE and c.id not in hidden
            ]
            if not contacts:
                return 0
            drill_id = await drills.add(tx, person.id, now)
            detail = {"contacts": str(len(contacts))}
            await oversight.record(tx, person, AuditEvent.DRILL_STARTED, now, detail)
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

    async def drill_for_team(
        self, coordinator: Person, team_id: int, person_id: int | None = None
    ) -> list[tuple[Person, int]] | None:
        """Start a drill for one member of the team, or (``None``) for every member.

        Each member's reachable contacts get a clearly marked test alert to
        confirm; the member is told (not during a duress episode). Return each
        member with how many contacts were asked; ``None`` without the right.
        """
        now = self._clock.now()
        started: list[tuple[Person, int]] = []
        async with self._database.transaction() as tx:
            team = await team_repository.by_id(tx, team_id)
            if team is None or not await team_repository.is_coordinator(
                tx, team_id, coordinator.id
            ):
                return None
            if person_id is None:
                members = await team_repository.members_of(tx, team_id)
            else:
                member = await self._sponsored(tx, coordinator.id, team_id, person_id)
                if member is None:
                    return None
                members = [member]
            for member in members:
                started.append((member, await self._team_drill(tx, coordinator, team, member, now)))
        self._on_queued()
        return started

    async def _team_drill(
        self, tx: Transaction, coordinator: Person, team: Team, member: Person, now: datetime
    ) -> int:
        contacts = [
            c
            for c in await contact_repository.contacts_of(tx, member.id)
            if c.status is ContactStatus.ACTIVE
        ]
        if not contacts:
            return 0
        drill_id = await drills.add(tx, member.id, now, started_by=coordinator.id, team_id=team.id)
        await outbox_repository.add_many(
            tx,
            [
                # Below any real alert: a whole team's drill must not stand before one.
                NewMessage(
                    person_id=member.id,
                    contact_id=contact.id,
                    drill_id=drill_id,
                    chat_id=contact.chat_id,
                    kind=OutboxKind.DRILL,
                    priority=PRIORITY_NOTICE,
                    payload={},
                )
                for contact in contacts
            ],
            now,
        )
        detail = {"contacts": str(len(contacts))}
        await oversight.report(
            tx,
            member,
            AuditEvent.DRILL_STARTED,
            now,
            actor=coordinator,
            detail=detail,
            notify=False,
        )
        if await duress.view_of(tx, member.id) is None:
            payload: dict[str, str | None] = {
                "event": "team_drill",
                "team": team.name,
                "by": coordinator.display_name,
                "count": str(len(contacts)),
            }
            await self._tell_activist(tx, member, OutboxKind.TEAM_NOTICE, payload, now)
        return len(contacts)

    async def confirm_drill(self, drill_id: int, chat_id: int) -> bool:
        """Record the confirmation of the contact in ``chat_id``; ``False`` if not theirs.

        An activist's own drill tells the activist; a team's tells the coordinator
        who started it (if still one), never the phone.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            drill = await drills.by_id(tx, drill_id)
            if drill is None:
                return False
            person_id = drill.person_id
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
                detail = {"contact": contact.display_name}
                await oversight.report(
                    tx, activist, AuditEvent.DRILL_CONFIRMED, now, detail=detail, notify=False
                )
                if drill.started_by is None:
                    await self._tell_activist(
                        tx,
                        activist,
                        OutboxKind.DRILL_CONFIRMED,
                        {"contact": contact.display_name},
                        now,
                    )
                else:
                    await self._tell_starter(tx, drill, activist, contact, now)
        if confirmed:
            self._on_queued()
        return True

    async def _tell_starter(
        self, tx: Transaction, drill: drills.Drill, member: Person, contact: Contact, now: datetime
    ) -> None:
        """Tell the coordinator who started a team drill that a contact confirmed it."""
        if drill.started_by is None or drill.team_id is None:
            return
        starter = await people_repository.by_id(tx, drill.started_by)
        team = await team_repository.by_id(tx, drill.team_id)
        if (
            starter is None
            or team is None
            or not await team_repository.is_coordinator(tx, team.id, starter.id)
        ):
            return
        payload: dict[str, str | None] = {
            "event": "drill_confirmed",
            "team": team.name,
            "subject": member.display_name,
            "contact": contact.display_name,
        }
        await outbox_repository.add(
            tx,
            person_id=starter.id,
            chat_id=starter.telegram_user_id,
            kind=OutboxKind.TEAM_NOTICE,
            priority=PRIORITY_NOTICE,
            payload=payload,
            now=now,
        )

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
