"""Teams through their service: who may do what, links bound to their first opener, the trail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.gated import Unlock
from bot.core.outbox import OutboxKind
from bot.core.people import Person
from bot.core.teams import AuditEvent, Team, TeamLinkKind
from bot.crypto import Sealer, new_key
from bot.services.alerting import policy_of
from bot.services.checkins import CheckinService
from bot.services.teams import DUTY_TIER_CHOICES, Joined, LinkOffer, TeamProblem, TeamService
from bot.settings import AlertSettings, CheckinSettings
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import phone_views
from storage import teams as team_repository
from storage.database import Database
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = policy_of(AlertSettings())
ADMIN = 100


class Stack:
    def __init__(self, database: Database, clock: FakeClock) -> None:
        self.database = database
        self.clock = clock
        checkins = CheckinService(database, clock, CheckinSettings(), POLICY)
        self.checkins = checkins
        self.teams = TeamService(
            database,
            clock,
            frozenset({ADMIN}),
            timedelta(hours=24),
            pretence=checkins.pretence,
        )

    async def person(self, telegram_user_id: int, name: str) -> Person:
        async with self.database.transaction() as tx:
            return await people_repository.upsert(tx, telegram_user_id, "en", name, T0)

    async def notices(self, person: Person) -> list[dict[str, str | None]]:
        async with self.database.snapshot() as tx:
            rows = await outbox_repository.for_person(tx, person.id)
        return [dict(m.payload) for m in rows if m.kind is OutboxKind.TEAM_NOTICE]

    async def team(self, *members: Person) -> tuple[Person, Team]:
        """Create a team with the admin as its coordinator and enrol ``members``."""
        admin = await self.person(ADMIN, "Admin")
        team = await self.teams.create_team(admin, "Team")
        assert not isinstance(team, TeamProblem)
        for member in members:
            link = await self.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
            assert not isinstance(link, TeamProblem)
            await self.join(member, link.code)
        return admin, team

    async def join(self, person: Person, code: str) -> Joined | TeamProblem | None:
        offer = await self.teams.open_link(code, person.telegram_user_id, person.telegram_user_id)
        assert isinstance(offer, LinkOffer)
        return await self.teams.answer_link(
            offer.link_id, person, person.telegram_user_id, accept=True
        )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    clock = FakeClock(T0)
    await apply_migrations(database, clock)
    yield Stack(database, clock)
    await database.close()


async def test_only_an_admin_creates_a_team_and_becomes_its_first_coordinator(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    stranger = await stack.person(7, "Stranger")
    assert await stack.teams.create_team(stranger, "Memorial") is TeamProblem.NOT_AVAILABLE
    assert await stack.teams.create_team(admin, "   ") is TeamProblem.BAD_NAME
    assert await stack.teams.create_team(admin, "x" * 65) is TeamProblem.BAD_NAME
    team = await stack.teams.create_team(admin, "  Human   Rights Centre ")
    assert not isinstance(team, TeamProblem)
    assert team.name == "Human Rights Centre"
    assert [t.id for t in await stack.teams.coordinated_by(admin)] == [team.id]
    assert await stack.teams.coordinated_by(stranger) == []
    assert await stack.teams.team_for(stranger, team.id) is None
    # The team's name is sealed at rest.
    async with stack.database.snapshot() as tx:
        row = await tx.fetch_one("SELECT name FROM teams WHERE id = ?", (team.id,))
    assert row is not None
    assert "Rights" not in row["name"]


async def test_a_coordinator_link_makes_its_first_opener_a_coordinator_and_tells_the_others(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    second = await stack.person(200, "Dilbar")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.COORDINATOR)
    assert not isinstance(link, TeamProblem)
    offer = await stack.teams.open_link(link.code, 200, 200)
    assert isinstance(offer, LinkOffer)
    assert offer == LinkOffer(offer.link_id, TeamLinkKind.COORDINATOR, "Team", "Admin")
    assert await stack.teams.answer_link(offer.link_id, second, 200, accept=True) == Joined(
        TeamLinkKind.COORDINATOR, team
    )
    assert await stack.teams.team_for(second, team.id) == team
    assert await stack.notices(admin) == [
        {"event": "coordinator_added", "team": "Team", "subject": "Dilbar"}
    ]
    # Single use: a second press, or the same link opened again, does nothing.
    assert await stack.teams.answer_link(offer.link_id, second, 200, accept=True) is (
        TeamProblem.INVALID
    )
    assert await stack.teams.open_link(link.code, 200, 200) is TeamProblem.INVALID


async def test_a_link_opened_by_a_second_person_stays_with_the_first_and_its_maker_hears_once(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    first = await stack.person(300, "Azat")
    intruder = await stack.person(666, "Intruder")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(link, TeamProblem)
    offer = await stack.teams.open_link(link.code, 300, 300)
    assert isinstance(offer, LinkOffer)
    for _ in range(3):
        assert await stack.teams.open_link(link.code, 666, 666) is TeamProblem.INVALID
    assert await stack.teams.answer_link(offer.link_id, intruder, 666, accept=True) is (
        TeamProblem.INVALID
    )
    assert [n["event"] for n in await stack.notices(admin)] == ["link_contested"]
    assert await stack.teams.answer_link(offer.link_id, first, 300, accept=True) == Joined(
        TeamLinkKind.MEMBER, team
    )
    assert [t.id for t in await stack.teams.teams_of_member(first)] == [team.id]
    assert await stack.teams.teams_of_member(intruder) == []


@pytest.mark.parametrize(
    "code",
    [
        "",
        "tm",
        "tx" + "a" * 32,
        # A contact invitation's shape is never a team link.
        "a" * 32,
        "tm" + "a" * 31 + "!",
        "tm" + "a" * 32,
    ],
)
async def test_malformed_or_unknown_codes_are_invalid(stack: Stack, code: str) -> None:
    assert await stack.teams.open_link(code, 1, 1) is TeamProblem.INVALID


async def test_an_expired_link_is_invalid(stack: Stack) -> None:
    admin = await stack.person(ADMIN, "Admin")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(link, TeamProblem)
    stack.clock.set(T0 + timedelta(hours=24))
    assert await stack.teams.open_link(link.code, 300, 300) is TeamProblem.INVALID


async def test_strangers_members_and_removed_coordinators_get_nothing_of_a_team(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    member = await stack.person(300, "Azat")
    removed = await stack.person(200, "Former")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(link, TeamProblem)
    await stack.join(member, link.code)
    async with stack.database.transaction() as tx:
        await team_repository.add_coordinator(tx, team.id, removed.id, T0)
    assert await stack.teams.team_for(removed, team.id) == team
    async with stack.database.transaction() as tx:
        assert await team_repository.remove_coordinator(tx, team.id, removed.id)
    for outsider in (member, removed):
        assert await stack.teams.team_for(outsider, team.id) is None
        assert await stack.teams.audit(outsider, team.id) is TeamProblem.NOT_AVAILABLE
        for kind in TeamLinkKind:
            assert await stack.teams.make_link(outsider, team.id, kind) is (
                TeamProblem.NOT_AVAILABLE
            )
    # A team that does not exist answers the same.
    assert await stack.teams.audit(admin, team.id + 1) is TeamProblem.NOT_AVAILABLE


async def test_joining_declining_and_leaving_are_told_to_coordinators_and_audited(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    azat = await stack.person(300, "Azat")
    other = await stack.person(301, "Other")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    first = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    second = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(first, TeamProblem)
    assert not isinstance(second, TeamProblem)
    assert await stack.join(azat, first.code) == Joined(TeamLinkKind.MEMBER, team)
    offer = await stack.teams.open_link(second.code, 301, 301)
    assert isinstance(offer, LinkOffer)
    assert await stack.teams.answer_link(offer.link_id, other, 301, accept=False) is None
    assert await stack.teams.teams_of_member(other) == []
    assert await stack.teams.leave(azat, team.id) == team
    assert await stack.teams.leave(azat, team.id) is None
    assert [(n["event"], n["subject"]) for n in await stack.notices(admin)] == [
        ("joined", "Azat"),
        ("declined", "Other"),
        ("left", "Azat"),
    ]
    trail = await stack.teams.audit(admin, team.id)
    assert not isinstance(trail, TeamProblem)
    assert [(e.event, e.subject, e.actor) for e in trail] == [
        (AuditEvent.LEFT, "Azat", "Azat"),
        (AuditEvent.JOINED, "Azat", "Admin"),
        (AuditEvent.TEAM_CREATED, None, "Admin"),
    ]
    # Names in the trail are sealed at rest.
    async with stack.database.snapshot() as tx:
        rows = await tx.fetch_all("SELECT detail FROM audit_events")
    assert rows
    assert all("Azat" not in row["detail"] for row in rows)


async def test_the_audit_trail_pages_newest_first_and_old_events_are_pruned(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    people = [await stack.person(400 + n, f"Member {n}") for n in range(12)]
    for n, person in enumerate(people):
        stack.clock.set(T0 + timedelta(days=n))
        link = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
        assert not isinstance(link, TeamProblem)
        await stack.join(person, link.code)
    page = await stack.teams.audit(admin, team.id)
    assert not isinstance(page, TeamProblem)
    assert [e.subject for e in page] == [f"Member {n}" for n in range(11, 1, -1)]
    rest = await stack.teams.audit(admin, team.id, before_id=page[-1].id)
    assert not isinstance(rest, TeamProblem)
    assert [e.subject for e in rest] == ["Member 1", "Member 0", None]
    # Kept 5 days back from the last join: the older ones go.
    assert await stack.teams.prune(timedelta(days=5)) == 7
    kept = await stack.teams.audit(admin, team.id)
    assert not isinstance(kept, TeamProblem)
    assert [e.subject for e in kept] == [f"Member {n}" for n in range(11, 5, -1)]


async def test_leaving_with_the_duress_pin_only_looks_done_and_the_team_keeps_watching(
    stack: Stack,
) -> None:
    azat = await stack.person(300, "Azat")
    admin, team = await stack.team(azat)
    # The captor makes the activist leave: the phone sees it done, as for real.
    assert await stack.teams.leave(azat, team.id, Unlock.DURESS) == team
    assert await stack.teams.teams_of_member(azat) == []
    assert await stack.teams.leave(azat, team.id, Unlock.DURESS) is None
    # The server keeps the membership, the alarm is raised, the trail says what it was.
    async with stack.database.snapshot() as tx:
        assert await team_repository.is_member(tx, team.id, azat.id)
        opened = await tx.fetch_all(
            "SELECT reason FROM incidents WHERE person_id = ? AND closed_at IS NULL", (azat.id,)
        )
    assert [row["reason"] for row in opened] == ["duress"]
    # The coordinators hear of the duress alarm, not of any leaving.
    assert [(n["event"], n.get("reason")) for n in await stack.notices(admin)] == [
        ("joined", None),
        ("alert_opened", "duress"),
    ]
    trail = await stack.teams.audit(admin, team.id)
    assert not isinstance(trail, TeamProblem)
    assert [e.event for e in trail[:2]] == [
        AuditEvent.LEAVE_UNDER_DURESS,
        AuditEvent.ALERT_OPENED,
    ]


async def _duty_offer(stack: Stack, coordinator: Person, team_id: int, group: int) -> LinkOffer:
    link = await stack.teams.make_link(coordinator, team_id, TeamLinkKind.DUTY_CHAT)
    assert not isinstance(link, TeamProblem)
    # Opened in a private chat it is nothing; in the group, by a coordinator, an offer.
    user = coordinator.telegram_user_id
    assert await stack.teams.open_link(link.code, user, user) is TeamProblem.INVALID
    offer = await stack.teams.open_link(link.code, coordinator.telegram_user_id, group)
    assert isinstance(offer, LinkOffer)
    return offer


async def _duty_rows(stack: Stack) -> list[tuple[int, int, int]]:
    async with stack.database.snapshot() as tx:
        rows = await tx.fetch_all(
            "SELECT person_id, chat_id, tier FROM contacts WHERE duty_of IS NOT NULL "
            "ORDER BY person_id"
        )
    return [(r["person_id"], r["chat_id"], r["tier"]) for r in rows]


async def test_the_duty_chat_is_a_contact_of_every_member_now_and_later_and_only_of_members(
    stack: Stack,
) -> None:
    admin = await stack.person(ADMIN, "Admin")
    azat = await stack.person(300, "Azat")
    later = await stack.person(301, "Later")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(link, TeamProblem)
    await stack.join(azat, link.code)
    offer = await _duty_offer(stack, admin, team.id, -500)
    joined = await stack.teams.answer_link(
        offer.link_id, admin, -500, accept=True, chat_title="Duty room"
    )
    assert isinstance(joined, Joined)
    assert joined.team.duty_chat_id == -500
    assert await _duty_rows(stack) == [(azat.id, -500, 2)]
    second = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(second, TeamProblem)
    await stack.join(later, second.code)
    assert await _duty_rows(stack) == [(azat.id, -500, 2), (later.id, -500, 2)]
    # Each member is told, by the group's name; a leaving member loses it.
    assert [n["chat"] for n in await stack.notices(azat)] == ["Duty room"]
    left = await stack.teams.leave(later, team.id)
    assert left is not None
    assert left.id == team.id
    assert await _duty_rows(stack) == [(azat.id, -500, 2)]
    # A new duty chat replaces the old one.
    offer = await _duty_offer(stack, admin, team.id, -600)
    await stack.teams.answer_link(offer.link_id, admin, -600, accept=True, chat_title="New")
    assert await _duty_rows(stack) == [(azat.id, -600, 2)]
    # Made tier 1 in the settings: for the members now and those to come.
    tier_1 = next(code for code, tier in DUTY_TIER_CHOICES.items() if tier == 1)
    changed = await stack.teams.change_setting(admin, team.id, tier_1)
    assert not isinstance(changed, TeamProblem)
    assert changed.duty_tier == 1
    assert await _duty_rows(stack) == [(azat.id, -600, 1)]
    third = await stack.teams.make_link(admin, team.id, TeamLinkKind.MEMBER)
    assert not isinstance(third, TeamProblem)
    await stack.join(later, third.code)
    assert await _duty_rows(stack) == [(azat.id, -600, 1), (later.id, -600, 1)]


async def test_only_a_current_coordinator_can_make_a_group_the_duty_chat(stack: Stack) -> None:
    admin = await stack.person(ADMIN, "Admin")
    other = await stack.person(200, "Other")
    bystander = await stack.person(666, "Bystander")
    team = await stack.teams.create_team(admin, "Team")
    assert not isinstance(team, TeamProblem)
    async with stack.database.transaction() as tx:
        await team_repository.add_coordinator(tx, team.id, other.id, T0)
    link = await stack.teams.make_link(admin, team.id, TeamLinkKind.DUTY_CHAT)
    assert not isinstance(link, TeamProblem)
    # Someone else in the group neither uses nor takes the link.
    assert await stack.teams.open_link(link.code, 666, -500) is TeamProblem.INVALID
    offer = await stack.teams.open_link(link.code, 200, -500)
    assert isinstance(offer, LinkOffer)
    assert (
        await stack.teams.answer_link(offer.link_id, bystander, -500, accept=True, chat_title="X")
        is TeamProblem.INVALID
    )
    # Removed before pressing: the press does nothing.
    async with stack.database.transaction() as tx:
        await team_repository.remove_coordinator(tx, team.id, other.id)
    assert (
        await stack.teams.answer_link(offer.link_id, other, -500, accept=True, chat_title="X")
        is TeamProblem.INVALID
    )
    async with stack.database.snapshot() as tx:
        found = await team_repository.by_id(tx, team.id)
    assert found is not None
    assert found.duty_chat_id is None


async def test_a_plan_changed_with_the_duress_pin_is_in_the_trail_as_what_it_was(
    stack: Stack,
) -> None:
    azat = await stack.person(300, "Azat")
    admin, team = await stack.team(azat)
    await stack.checkins.set_interval(azat, timedelta(hours=12))
    await stack.checkins.set_interval(azat, timedelta(hours=48), Unlock.DURESS)
    trail = await stack.teams.audit(admin, team.id)
    assert not isinstance(trail, TeamProblem)
    changes = [(e.detail.get("plan"), e.detail.get("under_duress")) for e in trail]
    assert ("every:43200", None) in changes
    assert ("every:172800", "yes") in changes


async def test_a_duty_chat_set_after_leaving_under_duress_stays_unseen_on_the_phone(
    stack: Stack,
) -> None:
    azat = await stack.person(300, "Azat")
    admin, team = await stack.team(azat)
    assert await stack.teams.leave(azat, team.id, Unlock.DURESS) is not None
    offer = await _duty_offer(stack, admin, team.id, -500)
    await stack.teams.answer_link(offer.link_id, admin, -500, accept=True, chat_title="Duty")
    # The duty chat watches over Azat for real...
    assert await _duty_rows(stack) == [(azat.id, -500, 2)]
    # ...but the phone, shown the team left, hears nothing of it and does not list it.
    assert [n for n in await stack.notices(azat) if n["event"] == "duty_chat_added"] == []
    async with stack.database.snapshot() as tx:
        view = await phone_views.load(tx, azat.id)
        duty = await tx.fetch_one("SELECT id FROM contacts WHERE duty_of = ?", (team.id,))
    assert view is not None
    assert duty is not None
    assert duty["id"] in view.hidden_contacts
