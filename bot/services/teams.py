"""The use cases of teams: create one, add coordinators and members by link, leave, audit.

Every answer to someone without the right is the same "not available": a
stranger, a contact or a removed coordinator learns nothing about a team.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.core.contacts import Contact, ContactStatus
from bot.core.dashboards import MemberRow, digest, ordered
from bot.core.gated import Unlock
from bot.core.outbox import PRIORITY_NOTICE, OutboxKind
from bot.core.people import Person
from bot.core.plans import IntervalPlan, Plan, plan_text
from bot.core.teams import AuditEntry, AuditEvent, Team, TeamLink, TeamLinkKind
from bot.core.watches import Watch, WatchState
from bot.services import duress
from bot.services.contacts import hash_code
from storage import contacts as contact_repository
from storage import dashboards as dashboard_repository
from storage import drills
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import teams as team_repository
from storage import watches as watch_repository
from storage.dashboards import DashboardMessage
from storage.database import Database, Transaction
from storage.drills import DrillOutcome

logger = logging.getLogger(__name__)

# A team link's code: a two-letter kind, then 192 random bits (32 URL-safe
# characters), so it can never be taken for a contact invitation (32 alone).
_LINK_BYTES = 24
_PREFIX = {TeamLinkKind.COORDINATOR: "tc", TeamLinkKind.MEMBER: "tm", TeamLinkKind.DUTY_CHAT: "td"}
_CODE_SHAPE = re.compile(r"^t[cmd][A-Za-z0-9_-]{32}$")
NAME_LIMIT = 64
# Audit entries per page of /audit.
AUDIT_PAGE = 10


class TeamProblem(StrEnum):
    # No such team for this person, or no right to it: one answer for both.
    NOT_AVAILABLE = "not_available"
    # Unknown, expired, used, malformed or someone else's link: one answer for all.
    INVALID = "invalid"
    BAD_NAME = "bad_name"
    # The opener is already what the link would make them.
    ALREADY = "already"
    # A team keeps at least one coordinator.
    LAST = "last"


@dataclass(frozen=True)
class TeamInvitation:
    code: str
    kind: TeamLinkKind
    team: Team
    expires_at: datetime


@dataclass(frozen=True)
class LinkOffer:
    """What the opener of a team link is shown before they accept."""

    link_id: int
    kind: TeamLinkKind
    team_name: str
    inviter_name: str


@dataclass(frozen=True)
class Joined:
    kind: TeamLinkKind
    team: Team


@dataclass(frozen=True)
class Dashboard:
    """A team at a glance, for one of its coordinators."""

    team: Team
    coordinator: Person
    rows: list[MemberRow]

    @property
    def digest(self) -> str:
        """What changes when anything shown (other than the passing of time) does."""
        return digest(self.rows) + repr((self.team.name, self.coordinator.language))


@dataclass(frozen=True)
class MemberCard:
    """One member, in more detail, for one of the team's coordinators."""

    team: Team
    row: MemberRow
    watch: Watch | None
    contacts: list[Contact]
    # The coordinators who invited some of the contacts, by person id.
    added_by: dict[int, str]
    # The member's latest drill, who started it and who confirmed it.
    drill: DrillOutcome | None = None
    drill_by: str | None = None


# The choices a coordinator has for the team's settings, by button code: the plan,
# grace and reminders a member without a plan gets on joining (None: none set),
# and the duty chat's tier.
PLAN_CHOICES: dict[int, Plan | None] = {
    1: IntervalPlan(timedelta(hours=6)),
    2: IntervalPlan(timedelta(hours=12)),
    3: IntervalPlan(timedelta(hours=24)),
    4: None,
}
GRACE_CHOICES: dict[int, timedelta | None] = {
    11: timedelta(minutes=15),
    12: timedelta(minutes=30),
    13: timedelta(hours=1),
    14: None,
}
REMINDER_CHOICES: dict[int, tuple[timedelta, ...] | None] = {
    21: (),
    22: (timedelta(minutes=30),),
    23: (timedelta(hours=1),),
    24: None,
}
DUTY_TIER_CHOICES = {31: 1, 32: 2}


# A dashboard is kept up to date this long after it was opened or refreshed.
DASHBOARD_LIFETIME = timedelta(hours=24)
# No dashboard is looked at or edited more often than this (seconds of real time):
# Telegram's limits are kept, a reader can follow, and reading a whole team every
# tick for each open dashboard would cost more than the rest of an idle bot.
DASHBOARD_EDIT_GAP = 5.0


def is_team_code(code: str) -> bool:
    """Return whether ``code`` has the shape of a team link's code."""
    return bool(_CODE_SHAPE.match(code))


class TeamService:
    """Run the use cases of teams; notices to coordinators go via the outbox."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: frozenset[int],
        link_lifetime: timedelta,
        on_queued: Callable[[], None] = lambda: None,
        *,
        pretence: duress.Pretence | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = admins
        self._link_lifetime = link_lifetime
        self._on_queued = on_queued
        self._pretence = pretence
        # Each dashboard's message id, content digest and time.monotonic(), as last shown.
        self._shown: dict[int, tuple[int, str, float]] = {}
        # When each dashboard's team was last read to see whether it changed: a
        # team is read whole for it, so not more often than an edit may happen.
        self._looked_at: dict[int, float] = {}

    def is_admin(self, person: Person) -> bool:
        return person.telegram_user_id in self._admins

    async def create_team(self, admin: Person, name: str) -> Team | TeamProblem:
        """Create a team with ``admin`` as its first coordinator."""
        if not self.is_admin(admin):
            return TeamProblem.NOT_AVAILABLE
        name = " ".join(name.split())
        if not name or len(name) > NAME_LIMIT:
            return TeamProblem.BAD_NAME
        now = self._clock.now()
        async with self._database.transaction() as tx:
            team = await team_repository.create(tx, name, now)
            await team_repository.add_coordinator(tx, team.id, admin.id, now)
            await team_repository.record_event(
                tx, team.id, AuditEvent.TEAM_CREATED, now, actor=admin
            )
        logger.info("team %s created", team.id)
        return team

    async def coordinated_by(self, person: Person) -> list[Team]:
        """Return the teams ``person`` coordinates now."""
        async with self._database.snapshot() as tx:
            return await team_repository.coordinated_by(tx, person.id)

    async def team_for(self, person: Person, team_id: int) -> Team | None:
        """Return the team if ``person`` coordinates it now (every button asks again)."""
        async with self._database.snapshot() as tx:
            if not await team_repository.is_coordinator(tx, team_id, person.id):
                return None
            return await team_repository.by_id(tx, team_id)

    async def make_link(
        self, coordinator: Person, team_id: int, kind: TeamLinkKind
    ) -> TeamInvitation | TeamProblem:
        """Return a one-time link that makes its opener a coordinator or member of the team."""
        now = self._clock.now()
        code = _PREFIX[kind] + secrets.token_urlsafe(_LINK_BYTES)
        expires_at = now + self._link_lifetime
        async with self._database.transaction() as tx:
            if not await team_repository.is_coordinator(tx, team_id, coordinator.id):
                return TeamProblem.NOT_AVAILABLE
            team = await team_repository.by_id(tx, team_id)
            if team is None:
                return TeamProblem.NOT_AVAILABLE
            await team_repository.add_link(
                tx, team_id, kind, coordinator.id, hash_code(code), now, expires_at
            )
        return TeamInvitation(code, kind, team, expires_at)

    async def open_link(self, code: str, user_id: int, chat_id: int) -> LinkOffer | TeamProblem:
        """Look up a team link someone opened; bind it to its first opener.

        1. Unknown, expired, used or malformed: invalid.
        2. The first opener (user and chat) binds it; only they may answer it.
        3. Anyone else gets "invalid" like a wrong code, and the coordinator who
           made it is told, once, that a second person opened the link.
        """
        if not is_team_code(code):
            return TeamProblem.INVALID
        now = self._clock.now()
        contested = False
        async with self._database.transaction() as tx:
            link = await team_repository.link_by_hash(tx, hash_code(code))
            if link is None or not link.is_open(now):
                return TeamProblem.INVALID
            team = await team_repository.by_id(tx, link.team_id)
            inviter = await people_repository.by_id(tx, link.created_by)
            if team is None or inviter is None:
                return TeamProblem.INVALID
            in_group = chat_id != user_id
            if in_group != (link.kind is TeamLinkKind.DUTY_CHAT):
                return TeamProblem.INVALID
            if link.kind is TeamLinkKind.DUTY_CHAT:
                # Only a coordinator may make a group the duty chat: anyone else in
                # the group gets "not valid" and does not take the link.
                opener = await people_repository.by_telegram_user_id(tx, user_id)
                if opener is None or not await team_repository.is_coordinator(
                    tx, team.id, opener.id
                ):
                    return TeamProblem.INVALID
            bound = await team_repository.mark_link_opened(tx, link.id, user_id, chat_id)
            if not bound:
                current = await team_repository.link_by_id(tx, link.id)
                someone_else = current is not None and current.opened_by_user != user_id
                if someone_else and await team_repository.mark_link_contested(tx, link.id, now):
                    await _tell(tx, inviter, team, "link_contested", now)
                    contested = True
        if contested:
            logger.warning("team link %s was opened by a second person", link.id)
            self._on_queued()
        if not bound:
            return TeamProblem.INVALID
        return LinkOffer(link.id, link.kind, team.name, inviter.display_name)

    async def answer_link(
        self,
        link_id: int,
        person: Person,
        chat_id: int,
        *,
        accept: bool,
        chat_title: str | None = None,
    ) -> Joined | TeamProblem | None:
        """Accept (joining the team) or decline (``None``) an opened team link.

        The coordinators of the team are told either way, without any content.
        A duty-chat link is answered in its group (``chat_title``), by the
        coordinator who opened it there, who must still be one.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            link = await team_repository.link_by_id(tx, link_id)
            if (
                link is None
                or not link.is_open(now)
                or not link.is_opened_by(person.telegram_user_id, chat_id)
            ):
                return TeamProblem.INVALID
            team = await team_repository.by_id(tx, link.team_id)
            if team is None or not await team_repository.mark_link_used(tx, link.id, now):
                return TeamProblem.INVALID
            if link.kind is TeamLinkKind.DUTY_CHAT and not await team_repository.is_coordinator(
                tx, team.id, person.id
            ):
                return TeamProblem.INVALID
            result: Joined | TeamProblem | None = None
            if link.kind is TeamLinkKind.DUTY_CHAT:
                if accept:
                    title = (chat_title or "?")[:NAME_LIMIT]
                    result = await self._make_duty_chat(tx, team, person, chat_id, title, now)
            elif not accept:
                event = (
                    "declined_coordinator" if link.kind is TeamLinkKind.COORDINATOR else "declined"
                )
                await self._tell_coordinators(tx, team, event, now, subject=person)
            else:
                result = await self._join(tx, link, team, person, now)
        self._on_queued()
        return result

    async def _join(
        self, tx: Transaction, link: TeamLink, team: Team, person: Person, now: datetime
    ) -> Joined | TeamProblem:
        inviter = await people_repository.by_id(tx, link.created_by)
        if link.kind is TeamLinkKind.COORDINATOR:
            if not await team_repository.add_coordinator(tx, team.id, person.id, now):
                return TeamProblem.ALREADY
            await team_repository.record_event(
                tx, team.id, AuditEvent.COORDINATOR_ADDED, now, subject=person, actor=inviter
            )
            await self._tell_coordinators(tx, team, "coordinator_added", now, subject=person)
            return Joined(link.kind, team)
        if not await team_repository.add_member(tx, team.id, person.id, now):
            return TeamProblem.ALREADY
        await team_repository.record_event(
            tx, team.id, AuditEvent.JOINED, now, subject=person, actor=inviter
        )
        if team.duty_chat_id is not None:
            await self._add_duty_contact(tx, team, person, team.duty_chat_id, now)
        await self._tell_coordinators(tx, team, "joined", now, subject=person)
        return Joined(link.kind, team)

    async def _make_duty_chat(
        self,
        tx: Transaction,
        team: Team,
        coordinator: Person,
        chat_id: int,
        title: str,
        now: datetime,
    ) -> Joined:
        """Make the group the team's duty chat: a contact of every member, told to each."""
        # A new duty chat replaces the old one for every member.
        await contact_repository.remove_duty_contacts(tx, team.id)
        await team_repository.set_duty_chat(tx, team.id, chat_id, title)
        updated = replace(team, duty_chat_id=chat_id, duty_chat_name=title)
        for member in await team_repository.members_of(tx, team.id):
            await self._add_duty_contact(tx, updated, member, chat_id, now)
        await team_repository.record_event(
            tx,
            team.id,
            AuditEvent.DUTY_CHAT_SET,
            now,
            actor=coordinator,
            detail={"chat": title},
        )
        await self._tell_coordinators(
            tx, updated, "duty_chat_set", now, subject=coordinator, detail={"chat": title}
        )
        return Joined(TeamLinkKind.DUTY_CHAT, updated)

    async def _add_duty_contact(
        self, tx: Transaction, team: Team, member: Person, chat_id: int, now: datetime
    ) -> None:
        """Make the duty chat a contact of one member and tell them (a contact they did
        not choose must never come as a surprise)."""
        added = await contact_repository.add_duty_contact(
            tx,
            person_id=member.id,
            chat_id=chat_id,
            display_name=team.duty_chat_name or team.name,
            language=member.language,
            tier=team.duty_tier,
            team_id=team.id,
            now=now,
        )
        if not added:
            return
        view = await duress.view_of(tx, member.id)
        if view is not None and team.id in view.hidden_teams:
            # The phone was shown this team left under duress: the duty chat watches
            # over the member, unseen there, and nothing about it reaches the phone.
            contacts = await contact_repository.contacts_of(tx, member.id)
            duty = {c.id for c in contacts if c.duty_of == team.id}
            await duress.save_view(tx, replace(view, hidden_contacts=view.hidden_contacts | duty))
            return
        await _tell(
            tx,
            member,
            team,
            "duty_chat_added",
            now,
            detail={"chat": team.duty_chat_name or "?", "tier": str(team.duty_tier)},
        )

    async def teams_of_member(self, person: Person) -> list[Team]:
        """Return the teams that look after ``person``, as their phone is to see them."""
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            hidden = frozenset() if view is None else view.hidden_teams
            return [
                t
                for t in await team_repository.teams_of_member(tx, person.id)
                if t.id not in hidden
            ]

    async def leave(
        self, person: Person, team_id: int, unlock: Unlock = Unlock.REAL
    ) -> Team | None:
        """Take ``person`` out of the team and tell its coordinators; ``None`` if not a member.

        Under duress the person stays a member (the team keeps watching, the
        trail says what really happened); only the phone is shown the team left.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            view = await duress.view_of(tx, person.id)
            hidden = frozenset() if view is None else view.hidden_teams
            team = await team_repository.by_id(tx, team_id)
            if (
                team is None
                or team_id in hidden
                or not await team_repository.is_member(tx, team_id, person.id)
            ):
                return None
            if unlock is Unlock.DURESS:
                view = await (self._pretence or duress.pretence_needed()).begin(tx, person, now)
                await team_repository.record_event(
                    tx, team_id, AuditEvent.LEAVE_UNDER_DURESS, now, subject=person, actor=person
                )
            else:
                await team_repository.remove_member(tx, team_id, person.id)
                await contact_repository.remove_duty_contacts(tx, team_id, person_id=person.id)
                await team_repository.record_event(
                    tx, team_id, AuditEvent.LEFT, now, subject=person, actor=person
                )
                await self._tell_coordinators(tx, team, "left", now, subject=person)
            if view is not None:
                await duress.save_view(
                    tx, replace(view, hidden_teams=view.hidden_teams | {team_id})
                )
        self._on_queued()
        return team

    async def audit(
        self, coordinator: Person, team_id: int, before_id: int | None = None
    ) -> list[AuditEntry] | TeamProblem:
        """Return a page of the team's audit trail, newest first, for one of its coordinators."""
        async with self._database.snapshot() as tx:
            if not await team_repository.is_coordinator(tx, team_id, coordinator.id):
                return TeamProblem.NOT_AVAILABLE
            return await team_repository.events(tx, team_id, AUDIT_PAGE, before_id)

    async def team_of_event(self, event_id: int) -> int | None:
        """Return the team an audit event belongs to (rights are checked when it is read)."""
        async with self._database.snapshot() as tx:
            return await team_repository.team_of_event(tx, event_id)

    async def remove_member(
        self, coordinator: Person, team_id: int, person_id: int
    ) -> Person | TeamProblem:
        """Take a member out of the team: coordinators stop seeing them, the duty chat goes.

        The member is told, unless their phone is in a duress episode (it may not
        be the member holding it); the other coordinators hear of it.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            team = await team_repository.by_id(tx, team_id)
            member = await people_repository.by_id(tx, person_id)
            if (
                team is None
                or member is None
                or not await team_repository.is_coordinator(tx, team_id, coordinator.id)
                or not await team_repository.remove_member(tx, team_id, person_id)
            ):
                return TeamProblem.NOT_AVAILABLE
            await contact_repository.remove_duty_contacts(tx, team_id, person_id=person_id)
            await team_repository.record_event(
                tx, team_id, AuditEvent.MEMBER_REMOVED, now, subject=member, actor=coordinator
            )
            view = await duress.view_of(tx, person_id)
            if view is None:
                await _tell(tx, member, team, "member_removed", now, subject=coordinator)
            elif team_id in view.hidden_teams:
                await duress.save_view(
                    tx, replace(view, hidden_teams=view.hidden_teams - {team_id})
                )
            for other in await team_repository.coordinators_of(tx, team_id):
                if other.id != coordinator.id:
                    await _tell(tx, other, team, "left", now, subject=member)
        self._on_queued()
        return member

    async def coordinators(self, coordinator: Person, team_id: int) -> list[Person] | None:
        """Return the team's coordinators, for one of them (``None`` for anyone else)."""
        async with self._database.snapshot() as tx:
            if not await team_repository.is_coordinator(tx, team_id, coordinator.id):
                return None
            return await team_repository.coordinators_of(tx, team_id)

    async def remove_coordinator(
        self, coordinator: Person, team_id: int, person_id: int
    ) -> Person | TeamProblem:
        """Take away a coordinator's right to the team (never its last); tell them and the rest.

        From then on every command and button of theirs about the team answers
        "not available", and their dashboards stop being kept up to date.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            team = await team_repository.by_id(tx, team_id)
            if team is None or not await team_repository.is_coordinator(
                tx, team_id, coordinator.id
            ):
                return TeamProblem.NOT_AVAILABLE
            current = await team_repository.coordinators_of(tx, team_id)
            removed = next((c for c in current if c.id == person_id), None)
            if removed is None:
                return TeamProblem.NOT_AVAILABLE
            if len(current) == 1:
                return TeamProblem.LAST
            await team_repository.remove_coordinator(tx, team_id, person_id)
            await team_repository.record_event(
                tx, team_id, AuditEvent.COORDINATOR_REMOVED, now, subject=removed, actor=coordinator
            )
            await _tell(tx, removed, team, "coordinator_removed", now, subject=coordinator)
            # The others hear of it; whoever removed them knows.
            for other in current:
                if other.id not in (removed.id, coordinator.id):
                    await _tell(tx, other, team, "coordinator_left", now, subject=removed)
        self._on_queued()
        return removed

    async def change_setting(
        self, coordinator: Person, team_id: int, choice: int
    ) -> Team | TeamProblem:
        """Apply one of the setting choices (see ``PLAN_CHOICES`` and the rest); return the team."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            team = await team_repository.by_id(tx, team_id)
            if team is None or not await team_repository.is_coordinator(
                tx, team_id, coordinator.id
            ):
                return TeamProblem.NOT_AVAILABLE
            defaults = team.defaults
            if choice in PLAN_CHOICES:
                plan = PLAN_CHOICES[choice]
                defaults = replace(defaults, plan=plan)
                detail = {"setting": "plan", "value": "none" if plan is None else plan_text(plan)}
            elif choice in GRACE_CHOICES:
                grace = GRACE_CHOICES[choice]
                defaults = replace(defaults, grace=grace)
                value = "none" if grace is None else str(int(grace.total_seconds()))
                detail = {"setting": "grace", "value": value}
            elif choice in REMINDER_CHOICES:
                reminders = REMINDER_CHOICES[choice]
                defaults = replace(defaults, reminders=reminders)
                value = (
                    "none"
                    if reminders is None
                    else "off"
                    if not reminders
                    else str(int(reminders[0].total_seconds()))
                )
                detail = {"setting": "reminders", "value": value}
            elif choice in DUTY_TIER_CHOICES:
                tier = DUTY_TIER_CHOICES[choice]
                await team_repository.set_duty_tier(tx, team_id, tier)
                team = replace(team, duty_tier=tier)
                detail = {"setting": "duty_tier", "value": str(tier)}
            else:
                return TeamProblem.NOT_AVAILABLE
            if defaults != team.defaults:
                await team_repository.set_defaults(tx, team_id, defaults)
                team = replace(team, defaults=defaults)
            await team_repository.record_event(
                tx, team_id, AuditEvent.TEAM_SETTINGS_CHANGED, now, actor=coordinator, detail=detail
            )
        return team

    async def dashboard(self, coordinator: Person, team_id: int) -> Dashboard | TeamProblem:
        """Return the team at a glance, for one of its coordinators."""
        async with self._database.snapshot() as tx:
            if not await team_repository.is_coordinator(tx, team_id, coordinator.id):
                return TeamProblem.NOT_AVAILABLE
            team = await team_repository.by_id(tx, team_id)
            if team is None:
                return TeamProblem.NOT_AVAILABLE
            members = await team_repository.members_of(tx, team_id)
            rows = [(await _member(tx, member))[0] for member in members]
        return Dashboard(team, coordinator, ordered(rows))

    async def member_card(
        self, coordinator: Person, team_id: int, person_id: int
    ) -> MemberCard | TeamProblem:
        """Return one member of the team in detail, for one of its coordinators."""
        async with self._database.snapshot() as tx:
            if not await team_repository.is_coordinator(
                tx, team_id, coordinator.id
            ) or not await team_repository.is_member(tx, team_id, person_id):
                return TeamProblem.NOT_AVAILABLE
            team = await team_repository.by_id(tx, team_id)
            member = await people_repository.by_id(tx, person_id)
            if team is None or member is None:
                return TeamProblem.NOT_AVAILABLE
            row, watch, contacts = await _member(tx, member)
            added_by: dict[int, str] = {}
            for inviter_id in {c.added_by for c in contacts if c.added_by is not None}:
                inviter = await people_repository.by_id(tx, inviter_id)
                added_by[inviter_id] = inviter.display_name if inviter is not None else "?"
            drill = await drills.latest_of(tx, member.id)
            starter = (
                member
                if drill is None or drill.drill.started_by is None
                else await people_repository.by_id(tx, drill.drill.started_by)
            )
        return MemberCard(
            team,
            row,
            watch,
            contacts,
            added_by,
            drill,
            starter.display_name if starter is not None else "?",
        )

    async def remember_dashboard(
        self, coordinator: Person, team_id: int, chat_id: int, message_id: int, shown: Dashboard
    ) -> None:
        """Keep the message that now shows the team to ``coordinator`` up to date."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            dashboard_id = await dashboard_repository.remember(
                tx, team_id, coordinator.id, chat_id, message_id, now
            )
        self._shown[dashboard_id] = (message_id, shown.digest, time.monotonic())

    async def dashboards_to_edit(self) -> list[tuple[DashboardMessage, Dashboard]]:
        """Return the open dashboards whose team changed since they were last shown.

        Each is looked at, and returned, at most once per ``DASHBOARD_EDIT_GAP``;
        one whose coordinator is one no more is forgotten.
        """
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            messages = await dashboard_repository.opened_since(tx, now - DASHBOARD_LIFETIME)
            coordinators = {
                m.person_id: await people_repository.by_id(tx, m.person_id) for m in messages
            }
        due: list[tuple[DashboardMessage, Dashboard]] = []
        for message in messages:
            shown = self._shown.get(message.id)
            moment = time.monotonic()
            looked_at = self._looked_at.get(message.id)
            if (shown is not None and moment - shown[2] < DASHBOARD_EDIT_GAP) or (
                looked_at is not None and moment - looked_at < DASHBOARD_EDIT_GAP
            ):
                continue
            self._looked_at[message.id] = moment
            coordinator = coordinators.get(message.person_id)
            board = (
                TeamProblem.NOT_AVAILABLE
                if coordinator is None
                else await self.dashboard(coordinator, message.team_id)
            )
            if isinstance(board, TeamProblem):
                await self.forget_dashboard(message.id)
            elif shown is None or shown[:2] != (message.message_id, board.digest):
                due.append((message, board))
        return due

    def dashboard_shown(self, message: DashboardMessage, board: Dashboard) -> None:
        """Note that ``message`` now shows ``board``."""
        self._shown[message.id] = (message.message_id, board.digest, time.monotonic())

    async def forget_dashboard(self, dashboard_id: int) -> None:
        """Stop keeping a dashboard up to date (its message is gone, or its right)."""
        async with self._database.transaction() as tx:
            await dashboard_repository.forget(tx, dashboard_id)
        self._shown.pop(dashboard_id, None)
        self._looked_at.pop(dashboard_id, None)

    async def prune(self, retention: timedelta) -> int:
        """Delete audit events older than ``retention``; return how many."""
        async with self._database.transaction() as tx:
            return await team_repository.prune_events(tx, self._clock.now() - retention)

    async def _tell_coordinators(
        self,
        tx: Transaction,
        team: Team,
        event: str,
        now: datetime,
        *,
        subject: Person | None = None,
        detail: dict[str, str] | None = None,
    ) -> None:
        for coordinator in await team_repository.coordinators_of(tx, team.id):
            if subject is not None and coordinator.id == subject.id:
                continue
            await _tell(tx, coordinator, team, event, now, subject=subject, detail=detail)


async def _member(tx: Transaction, member: Person) -> tuple[MemberRow, Watch | None, list[Contact]]:
    """Read one member's state: their watch, open alert and contacts (never content)."""
    watch = await watch_repository.load(tx, member.id)
    contacts = await contact_repository.contacts_of(tx, member.id)
    incidents = await incident_repository.open_ones(tx, member.id)
    alert = min(incidents, key=lambda incident: incident.opened_at) if incidents else None
    taken_by = None
    if alert is not None and alert.acknowledged_by is not None:
        taker = await contact_repository.contact_by_id(tx, alert.acknowledged_by)
        taken_by = taker.display_name if taker is not None else "?"
    row = MemberRow(
        person_id=member.id,
        name=member.display_name,
        state=watch.state if watch is not None else WatchState.UNARMED,
        deadline_at=watch.deadline_at if watch is not None else None,
        paused_until=watch.paused_until if watch is not None else None,
        last_checkin_at=watch.last_checkin_at if watch is not None else None,
        reachable=sum(c.status is ContactStatus.ACTIVE for c in contacts),
        contacts=len(contacts),
        alert=alert.reason if alert is not None else None,
        alert_since=alert.opened_at if alert is not None else None,
        taken_by=taken_by,
    )
    return row, watch, contacts


async def _tell(
    tx: Transaction,
    coordinator: Person,
    team: Team,
    event: str,
    now: datetime,
    *,
    subject: Person | None = None,
    detail: dict[str, str] | None = None,
) -> None:
    """Queue a content-free notice about the team to one person (a coordinator, or a
    member told of the duty chat)."""
    payload: dict[str, str | None] = {
        "event": event,
        "team": team.name,
        "subject": None if subject is None else subject.display_name,
        **(detail or {}),
    }
    await outbox_repository.add(
        tx,
        person_id=coordinator.id,
        chat_id=coordinator.telegram_user_id,
        kind=OutboxKind.TEAM_NOTICE,
        priority=PRIORITY_NOTICE,
        payload=payload,
        now=now,
    )
