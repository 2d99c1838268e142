"""The sweeper advances due watches in batches: one transaction each, one watch failing alone."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core import phone
from bot.core.context import ContextKind
from bot.core.people import Person
from bot.core.watches import WatchState
from bot.crypto import Sealer, new_key
from bot.services import sweeper as sweeper_module
from bot.services.alerting import policy_of
from bot.services.checkins import CheckinService, Outcome
from bot.services.people import PeopleService
from bot.services.sweeper import Sweeper
from bot.settings import AlertSettings, CheckinSettings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import outbox as outbox_repository
from storage import phone_views
from storage import watches as watch_repository
from storage.database import Database
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
POLICY = policy_of(AlertSettings())
# Past the deadline (12 h) and its grace: every activist armed at T0 is alerted.
MISSED = T0 + 13 * H


class Stack:
    def __init__(self, database: Database, clock: FakeClock) -> None:
        self.database = database
        self.clock = clock
        self.people = PeopleService(database, clock)
        self.checkins = CheckinService(database, clock, CheckinSettings(), POLICY)
        self.sweeper = Sweeper(database, clock, POLICY)

    async def activists(self, count: int, *, first: int = 0) -> list[Person]:
        found = []
        for n in range(first, first + count):
            person = await self.people.meet(1001 + n, "en")
            assert isinstance(await self.checkins.set_interval(person, 12 * H), Outcome)
            found.append(person)
        return found

    async def incidents(self, person: Person) -> int:
        async with self.database.snapshot() as tx:
            row = await tx.fetch_one(
                "SELECT count(*) AS n FROM incidents WHERE person_id = ?", (person.id,)
            )
        assert row is not None
        return int(row["n"])

    async def outbox_rows(self, person: Person) -> list[dict[str, Any]]:
        async with self.database.snapshot() as tx:
            rows = await tx.fetch_all(
                "SELECT id, after_id, contact_id, kind FROM outbox WHERE person_id = ? ORDER BY id",
                (person.id,),
            )
        return [dict(row) for row in rows]

    async def state_of(self, person: Person) -> WatchState:
        async with self.database.snapshot() as tx:
            watch = await watch_repository.load(tx, person.id)
        assert watch is not None
        return watch.state


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    clock = FakeClock(T0)
    await apply_migrations(database, clock)
    built = Stack(database, clock)
    await built.sweeper.start()
    yield built
    await database.close()


async def test_a_watch_whose_effects_raise_is_skipped_and_the_rest_of_its_batch_commits(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, broken, last = await stack.activists(3)
    real = sweeper_module.record_effects
    failing = True

    async def record_effects(tx: Any, person: Person, *args: Any, **kwargs: Any) -> int:
        # The rows are queued, then the watch fails: they must be undone with it.
        queued = await real(tx, person, *args, **kwargs)
        if person.id == broken.id and failing:
            raise RuntimeError("a watch that cannot be advanced")
        return queued

    monkeypatch.setattr(sweeper_module, "record_effects", record_effects)
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 2
    assert [await stack.incidents(p) for p in (first, broken, last)] == [1, 0, 1]
    assert await stack.outbox_rows(broken) == []
    assert await stack.state_of(broken) is WatchState.OK
    # The next tick retries the broken watch, and it goes through.
    failing = False
    assert await stack.sweeper.sweep() == 1
    assert [await stack.incidents(p) for p in (first, broken, last)] == [1, 1, 1]
    assert await stack.state_of(broken) is WatchState.OVERDUE


async def test_a_watch_that_failed_goes_alone_and_never_again_undoes_a_batch(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (broken,) = await stack.activists(1)
    real = sweeper_module.record_effects

    async def record_effects(tx: Any, person: Person, *args: Any, **kwargs: Any) -> int:
        if person.id == broken.id:
            raise RuntimeError("a watch that cannot be advanced")
        return await real(tx, person, *args, **kwargs)

    monkeypatch.setattr(sweeper_module, "record_effects", record_effects)
    stack.clock.set(MISSED)
    others = await stack.activists(2, first=1)
    with caplog.at_level(logging.ERROR, logger=sweeper_module.__name__):
        assert await stack.sweeper.sweep() == 0
    # Alone in its batch the first time: tried, failed, logged once.
    assert [r.message for r in caplog.records] == [f"cannot advance watch {broken.id}; skipping it"]
    caplog.clear()
    stack.clock.set(MISSED + 13 * H)
    with caplog.at_level(logging.ERROR, logger=sweeper_module.__name__):
        assert await stack.sweeper.sweep() == 2
    # Due with the others, it went alone: their batch committed at once.
    assert caplog.records == []
    assert [await stack.incidents(p) for p in (broken, *others)] == [0, 1, 1]


async def test_a_check_in_between_read_and_write_leaves_its_watch_and_commits_the_rest(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, checking_in, last = await stack.activists(3)
    # The one seam between the sweeper's read and its write.
    load_batch: Callable[..., Awaitable[Any]] = stack.sweeper._load_batch

    async def load_then_check_in(*args: Any) -> Any:
        page = await load_batch(*args)
        # Lands after the sweeper read the watches, before it writes them.
        if page.entries:
            assert isinstance(await stack.checkins.check_in(checking_in), Outcome)
        return page

    monkeypatch.setattr(stack.sweeper, "_load_batch", load_then_check_in)
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 2
    assert [await stack.incidents(p) for p in (first, checking_in, last)] == [1, 0, 1]
    # The check-in won: a fresh deadline, nothing due, nothing alerted on the next tick.
    assert await stack.state_of(checking_in) is WatchState.OK
    monkeypatch.undo()
    assert await stack.sweeper.sweep() == 0
    assert await stack.incidents(checking_in) == 0


async def test_one_sweep_advances_more_due_watches_than_one_batch(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper_module, "BATCH", 2)
    people = await stack.activists(5)
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 5
    assert [await stack.incidents(p) for p in people] == [1] * 5
    assert await stack.sweeper.sweep() == 0


async def test_deadlines_passing_during_a_sweep_are_taken_by_it_for_a_while(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper_module, "BATCH", 1)
    # Each is alerted 12 h and a 30 min grace after arming: at ALERT, 3 s and 30 s later.
    alert = T0 + 12 * H + CheckinSettings().default_grace
    (early,) = await stack.activists(1)
    stack.clock.set(T0 + timedelta(seconds=3))
    (soon,) = await stack.activists(1, first=1)
    stack.clock.set(T0 + timedelta(seconds=30))
    (late,) = await stack.activists(1, first=2)
    # Their grace has begun: the prompts are out of the way.
    stack.clock.set(alert - timedelta(seconds=1))
    assert await stack.sweeper.sweep() == 3
    load_batch: Callable[..., Awaitable[Any]] = stack.sweeper._load_batch

    async def load_while_time_passes(*args: Any) -> Any:
        page = await load_batch(*args)
        # Each batch takes the sweep 4 seconds.
        stack.clock.set(stack.clock.now() + timedelta(seconds=4))
        return page

    monkeypatch.setattr(stack.sweeper, "_load_batch", load_while_time_passes)
    stack.clock.set(alert)
    # The first deadline starts it; the one 3 s later is taken on the way; the
    # one 30 s later is past what one sweep follows, and waits for the next.
    assert await stack.sweeper.sweep() == 2
    assert [await stack.incidents(p) for p in (early, soon, late)] == [1, 1, 0]
    stack.clock.set(alert + timedelta(seconds=30))
    assert await stack.sweeper.sweep() == 1
    assert await stack.incidents(late) == 1


async def test_a_broken_row_in_an_early_batch_does_not_stop_later_batches(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweeper_module, "BATCH", 1)
    broken, healthy = await stack.activists(2)
    async with stack.database.transaction() as tx:
        await tx.execute("PRAGMA ignore_check_constraints = ON")
        await tx.execute("UPDATE watches SET state = 'lost' WHERE person_id = ?", (broken.id,))
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 1
    assert await stack.incidents(healthy) == 1
    assert await stack.sweeper.sweep() == 0


async def test_an_alert_to_three_contacts_queues_the_location_and_newest_media_for_each(
    stack: Stack,
) -> None:
    (person,) = await stack.activists(1)
    async with stack.database.transaction() as tx:
        for n in range(3):
            await contact_repository.upsert_contact(
                tx,
                person_id=person.id,
                chat_id=5001 + n,
                is_group=False,
                display_name=f"Contact {n}",
                language="en",
                tier=1,
                now=T0,
            )
        items = [
            (1, ContextKind.PHOTO, {"file_id": "old"}),
            (2, ContextKind.LOCATION, {"latitude": 37.9, "longitude": 58.4}),
            (3, ContextKind.VOICE, {"file_id": "v", "duration": 3}),
            (4, ContextKind.TEXT, {"text": "at the court"}),
            (5, ContextKind.PHOTO, {"file_id": "p5"}),
            (6, ContextKind.PHOTO, {"file_id": "p6"}),
            (7, ContextKind.PHOTO, {"file_id": "unreadable"}),
            (8, ContextKind.TEXT, {"text": "going in"}),
        ]
        for n, (message_id, kind, body) in enumerate(items):
            await context_repository.record(tx, person.id, message_id, kind, body, T0 + n * H)
        # The newest photo cannot be opened: it is left out, not the alert.
        await tx.execute(
            "UPDATE context_items SET body = (SELECT body FROM context_items "
            "WHERE telegram_message_id = 1) WHERE person_id = ? AND telegram_message_id = 7",
            (person.id,),
        )
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 1
    rows = await stack.outbox_rows(person)
    contacts = sorted({row["contact_id"] for row in rows})
    assert len(contacts) == 3
    for contact_id in contacts:
        chain = [row for row in rows if row["contact_id"] == contact_id]
        assert [row["kind"] for row in chain] == [
            "alert",
            "alert_location",
            "alert_media",
            "alert_media",
            "alert_media",
        ]
        # Each row waits for the one before it in the chat.
        assert [row["after_id"] for row in chain] == [None] + [row["id"] for row in chain[:-1]]
    # The newest three readable photos and voice notes, oldest first, for every contact.
    async with stack.database.snapshot() as tx:
        queued = await outbox_repository.for_person(tx, person.id)
    media = [(m.contact_id, m.payload["item"]) for m in queued if m.kind == "alert_media"]
    assert media == [(c, item) for c in contacts for item in ("3", "5", "6")]


async def test_a_duress_episode_begun_between_read_and_write_keeps_the_phone_silent(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    (person,) = await stack.activists(1)
    # The seam between the sweeper's read and its write.
    load_batch: Callable[..., Awaitable[Any]] = stack.sweeper._load_batch

    async def load_then_begin_duress(*args: Any) -> Any:
        page = await load_batch(*args)
        if page.entries:
            async with stack.database.transaction() as tx:
                watch = await watch_repository.load(tx, person.id)
                assert watch is not None
                await phone_views.create(tx, phone.begin(watch, None, has_instructions=False))
        return page

    monkeypatch.setattr(stack.sweeper, "_load_batch", load_then_begin_duress)
    stack.clock.set(T0 + 11 * H)  # the reminder an hour before the deadline
    assert await stack.sweeper.sweep() == 2  # the real watch and the phone's view
    # The phone hears its pretence's reminder only, not the real watch's too.
    assert [row["kind"] for row in await stack.outbox_rows(person)] == ["remind"]


async def test_each_activist_of_a_batch_gets_their_own_place_and_media_and_no_one_elses(
    stack: Stack,
) -> None:
    people = await stack.activists(4)
    # Each activist left something different (read for the whole batch at once):
    # a place and a photo; a text only; nothing; a place too old to pass on.
    left: list[list[tuple[int, ContextKind, dict[str, Any], datetime]]] = [
        [
            (1, ContextKind.LOCATION, {"latitude": 1.0, "longitude": 2.0}, T0),
            (2, ContextKind.PHOTO, {"file_id": "a"}, T0),
        ],
        [(1, ContextKind.TEXT, {"text": "fine"}, T0)],
        [],
        [(1, ContextKind.LOCATION, {"latitude": 3.0, "longitude": 4.0}, T0 - 8 * 24 * H)],
    ]
    async with stack.database.transaction() as tx:
        for n, (person, items) in enumerate(zip(people, left, strict=True)):
            await contact_repository.upsert_contact(
                tx,
                person_id=person.id,
                chat_id=5001 + n,
                is_group=False,
                display_name=f"Contact of {n}",
                language="en",
                tier=1,
                now=T0,
            )
            for message_id, kind, body, at in items:
                await context_repository.record(tx, person.id, message_id, kind, body, at)
    stack.clock.set(MISSED)
    assert await stack.sweeper.sweep() == 4
    kinds = [[row["kind"] for row in await stack.outbox_rows(p)] for p in people]
    assert kinds == [
        ["alert", "alert_location", "alert_media"],
        ["alert"],
        ["alert"],
        ["alert"],
    ]
    for n, person in enumerate(people):
        assert {row["contact_id"] for row in await stack.outbox_rows(person)} == {
            await _contact_id(stack, 5001 + n)
        }


async def _contact_id(stack: Stack, chat_id: int) -> int:
    async with stack.database.snapshot() as tx:
        row = await tx.fetch_one("SELECT id FROM contacts WHERE chat_id = ?", (chat_id,))
    assert row is not None
    return int(row["id"])
