"""The sweeper and the check-in service against a real SQLite file: races and catch-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.people import Person
from bot.core.watches import WatchState, tick
from bot.crypto import Sealer, new_key
from bot.services.alerting import policy_of
from bot.services.checkins import CheckinService, Outcome
from bot.services.people import PeopleService
from bot.services.sweeper import Sweeper
from bot.settings import AlertSettings, CheckinSettings
from storage import outbox as outbox_repository
from storage import watches as watch_repository
from storage.database import Database
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
POLICY = policy_of(AlertSettings())


class Stack:
    def __init__(self, database: Database, clock: FakeClock) -> None:
        self.database = database
        self.clock = clock
        self.people = PeopleService(database, clock)
        self.checkins = CheckinService(database, clock, CheckinSettings(), POLICY)
        self.sweeper = Sweeper(database, clock, POLICY)

    async def activist(self, telegram_user_id: int = 1001) -> Person:
        person = await self.people.meet(telegram_user_id, "en")
        result = await self.checkins.set_interval(person, 12 * H)
        assert isinstance(result, Outcome)
        return person

    async def alerts(self, person: Person) -> list[dict[str, object]]:
        """Return the incidents opened about ``person``: what the contacts are alerted about."""
        async with self.database.snapshot() as tx:
            rows = await tx.fetch_all(
                "SELECT reason, due_at, offline_since FROM incidents WHERE person_id = ?",
                (person.id,),
            )
        return [dict(row) for row in rows]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    clock = FakeClock(T0)
    await apply_migrations(database, clock)
    built = Stack(database, clock)
    await built.sweeper.start()
    yield built
    await database.close()


async def test_a_check_in_racing_the_sweeper_wins_and_nothing_is_lost(stack: Stack) -> None:
    person = await stack.activist()
    stack.clock.set(T0 + 12.5 * H)
    # The sweeper read the watch (version v) and decided it is overdue...
    async with stack.database.snapshot() as tx:
        stale = await watch_repository.load(tx, person.id)
    assert stale is not None
    # ...but the check-in commits first, moving the watch to version v + 1.
    assert isinstance(await stack.checkins.check_in(person), Outcome)
    late = tick(stale, stack.clock.now())
    assert late.watch.state is WatchState.OVERDUE
    async with stack.database.transaction() as tx:
        assert await watch_repository.save(tx, late.watch) is None
    # The next sweep sees the fresh watch: nothing is due, nothing is alerted.
    assert await stack.sweeper.sweep() == 0
    assert await stack.alerts(person) == []
    async with stack.database.snapshot() as tx:
        fresh = await watch_repository.load(tx, person.id)
    assert fresh is not None
    assert fresh.state is WatchState.OK
    assert fresh.deadline_at == T0 + 24.5 * H


async def test_of_two_writers_with_the_same_version_exactly_one_wins(stack: Stack) -> None:
    person = await stack.activist()
    async with stack.database.snapshot() as tx:
        watch = await watch_repository.load(tx, person.id)
    assert watch is not None
    async with stack.database.transaction() as tx:
        first = await watch_repository.save(tx, watch)
        second = await watch_repository.save(tx, watch)
    assert first is not None
    assert first.version == watch.version + 1
    assert second is None


async def test_a_sweep_after_an_outage_alerts_once_with_the_due_time_and_the_outage(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    clock = FakeClock(T0)
    await apply_migrations(database, clock)
    stack = Stack(database, clock)
    await stack.sweeper.start()
    person = await stack.activist()
    clock.advance(H)
    await stack.sweeper.sweep()  # the last tick before the bot went down
    # Down for two days; a new process starts and catches up.
    clock.advance(48 * H)
    restarted = Sweeper(database, clock, POLICY)
    await restarted.start()
    assert await restarted.sweep() == 1
    assert await restarted.sweep() == 0
    alerts = await stack.alerts(person)
    await database.close()
    assert alerts == [
        {
            "reason": "missed",
            "due_at": "2026-03-01T21:00:00.000000Z",
            "offline_since": "2026-03-01T10:00:00.000000Z",
        }
    ]


async def test_one_broken_watch_does_not_stop_the_others(stack: Stack) -> None:
    broken = await stack.activist(1)
    healthy = await stack.activist(2)
    async with stack.database.transaction() as tx:
        # A row no code would write: a state this version does not know.
        await tx.execute("PRAGMA ignore_check_constraints = ON")
        await tx.execute("UPDATE watches SET state = 'lost' WHERE person_id = ?", (broken.id,))
    stack.clock.set(T0 + 13 * H)
    assert await stack.sweeper.sweep() == 1
    assert len(await stack.alerts(healthy)) == 1
    assert await stack.alerts(broken) == []


async def test_the_state_change_and_its_messages_commit_together(stack: Stack) -> None:
    person = await stack.activist()
    stack.clock.set(T0 + 11 * H)
    await stack.sweeper.sweep()
    async with stack.database.snapshot() as tx:
        rows = await outbox_repository.for_person(tx, person.id)
        watch = await watch_repository.load(tx, person.id)
    assert [row.kind for row in rows] == ["remind"]
    assert rows[0].payload["deadline_at"] == (T0 + 12 * H).isoformat()
    assert watch is not None
    assert watch.reminders_done == 1
