from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.incidents import Incident
from bot.core.watches import AlertReason
from storage import contacts as contact_repository
from storage import incidents as incident_repository
from storage.database import Database, StorageError, Transaction
from storage.migrations import (
    MIGRATIONS_DIR,
    DatabaseTooNewError,
    MigrationError,
    apply_migrations,
    load_migrations,
    split_statements,
)
from tests.fake_clock import FakeClock


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "nested" / "bot.sqlite3")
    yield db
    await db.close()


async def tables(db: Database) -> set[str]:
    async with db.snapshot() as tx:
        rows = await tx.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row["name"] for row in rows}


async def recorded_versions(db: Database) -> list[int]:
    async with db.snapshot() as tx:
        rows = await tx.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    return [row["version"] for row in rows]


def write_migrations(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, sql in files.items():
        (directory / name).write_text(sql, encoding="utf-8")
    return directory


async def test_open_creates_the_folder_and_uses_wal_and_foreign_keys(database: Database) -> None:
    assert database.path.parent.is_dir()
    async with database.snapshot() as tx:
        journal = await tx.fetch_one("PRAGMA journal_mode")
        foreign_keys = await tx.fetch_one("PRAGMA foreign_keys")
    assert journal is not None
    assert journal[0] == "wal"
    assert foreign_keys is not None
    assert foreign_keys[0] == 1


async def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not a usable database"):
        await Database.open(path)


async def test_migrating_an_empty_database_reaches_the_newest_version(database: Database) -> None:
    clock = FakeClock()
    known = [migration.version for migration in load_migrations()]
    assert await apply_migrations(database, clock) == known
    assert await recorded_versions(database) == known
    assert "people" in await tables(database)
    async with database.snapshot() as tx:
        row = await tx.fetch_one("SELECT applied_at FROM schema_migrations WHERE version = 1")
    assert row is not None
    assert row["applied_at"] == "2026-03-01T09:00:00.000000Z"


async def test_migrating_a_migrated_database_changes_nothing(database: Database) -> None:
    clock = FakeClock()
    await apply_migrations(database, clock)
    before = await recorded_versions(database)
    assert await apply_migrations(database, clock) == []
    assert await recorded_versions(database) == before


async def test_a_failing_migration_leaves_nothing_behind(
    database: Database, tmp_path: Path
) -> None:
    directory = write_migrations(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE first (id INTEGER PRIMARY KEY);",
            "0002_broken.sql": (
                "CREATE TABLE second (id INTEGER PRIMARY KEY);\n"
                "INSERT INTO first (id) VALUES (1);\n"
                "INSERT INTO no_such_table VALUES (1);\n"
            ),
        },
    )
    with pytest.raises(MigrationError, match="0002_broken failed and was rolled back"):
        await apply_migrations(database, FakeClock(), directory)
    assert await recorded_versions(database) == [1]
    assert "second" not in await tables(database)
    async with database.snapshot() as tx:
        assert await tx.fetch_all("SELECT * FROM first") == []


async def test_a_database_from_a_newer_version_is_refused(
    database: Database, tmp_path: Path
) -> None:
    newer = write_migrations(
        tmp_path / "newer",
        {
            "0001_people.sql": (MIGRATIONS_DIR / "0001_people.sql").read_text("utf-8"),
            "0099_future.sql": "CREATE TABLE future (id INTEGER);",
        },
    )
    await apply_migrations(database, FakeClock(), newer)
    with pytest.raises(DatabaseTooNewError, match="newer version of Still Here") as caught:
        await apply_migrations(database, FakeClock())
    assert "0099" in str(caught.value)


async def test_a_database_whose_migration_names_differ_is_refused(
    database: Database, tmp_path: Path
) -> None:
    other = write_migrations(tmp_path / "other", {"0001_something_else.sql": "SELECT 1;"})
    await apply_migrations(database, FakeClock(), other)
    with pytest.raises(MigrationError, match="under another name"):
        await apply_migrations(database, FakeClock())


def test_badly_named_or_duplicate_migration_files_are_refused(tmp_path: Path) -> None:
    bad_name = write_migrations(tmp_path / "a", {"1_first.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="not named"):
        load_migrations(bad_name)
    duplicate = write_migrations(
        tmp_path / "b", {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}
    )
    with pytest.raises(MigrationError, match="two migration files"):
        load_migrations(duplicate)


def test_statements_split_where_sqlite_says_they_end() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'c;d';
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].endswith("DEFAULT 'a;b');")
    assert "UPDATE t SET x = 'c;d';" in statements[1]
    with pytest.raises(MigrationError, match="incomplete statement"):
        split_statements("CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1;")
    assert split_statements("CREATE TABLE t (x)") == ["CREATE TABLE t (x);"]


async def test_a_failed_transaction_rolls_back_and_the_next_one_proceeds(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())
    insert = (
        "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
        "VALUES (?, 'en', 'x', 'x')"
    )

    async def insert_twice() -> None:
        async with database.transaction() as tx:
            await tx.execute(insert, (1,))
            await tx.execute(insert, (1,))

    with pytest.raises(sqlite3.IntegrityError):
        await insert_twice()
    async with database.transaction() as tx:
        await tx.execute(insert, (2,))
    async with database.snapshot() as tx:
        rows = await tx.fetch_all("SELECT telegram_user_id FROM people")
    assert [row[0] for row in rows] == [2]


async def test_interleaved_transactions_never_see_each_others_uncommitted_work(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with database.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
                "VALUES (7, 'en', 'x', 'x')"
            )
            inside.set()
            await release.wait()
            raise RuntimeError("abandon the write")

    async def reader() -> int:
        async with database.snapshot() as tx:
            rows = await tx.fetch_all("SELECT * FROM people")
        return len(rows)

    writer = asyncio.create_task(slow_writer())
    await inside.wait()
    read = asyncio.create_task(reader())
    release.set()
    with pytest.raises(RuntimeError, match="abandon"):
        await writer
    # The reader waited for the writer's transaction to end, and saw its rollback.
    assert await read == 0


_INSERT_PERSON = (
    "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
    "VALUES (?, 'en', 'x', 'x')"
)


async def _people(database: Database) -> list[int]:
    async with database.snapshot() as tx:
        rows = await tx.fetch_all("SELECT telegram_user_id FROM people ORDER BY id")
    return [row[0] for row in rows]


async def test_inline_work_runs_on_the_database_thread_and_commits_as_one(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())

    async def work(tx: Transaction) -> tuple[int, str]:
        first = await tx.insert(_INSERT_PERSON, (1,))
        await tx.insert(_INSERT_PERSON, (2,))
        return first, threading.current_thread().name

    (row_id, thread) = await database.inline(work)
    assert row_id >= 1
    assert thread != threading.current_thread().name
    assert await _people(database) == [1, 2]


async def test_failing_inline_work_rolls_back_all_of_it_and_the_next_transaction_proceeds(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())

    async def work(tx: Transaction) -> None:
        await tx.insert(_INSERT_PERSON, (1,))
        await tx.insert(_INSERT_PERSON, (1,))

    with pytest.raises(sqlite3.IntegrityError):
        await database.inline(work)
    async with database.transaction() as tx:
        await tx.execute(_INSERT_PERSON, (2,))
    assert await _people(database) == [2]


async def test_inline_work_that_waits_for_anything_else_is_refused_and_rolled_back(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())

    async def work(tx: Transaction) -> None:
        await tx.insert(_INSERT_PERSON, (1,))
        # Anything that suspends would need the event loop, which is not on this thread.
        await asyncio.sleep(0)
        await tx.insert(_INSERT_PERSON, (2,))

    with pytest.raises(RuntimeError, match="waited"):
        await database.inline(work)
    assert await _people(database) == []


async def test_read_only_inline_work_leaves_nothing_behind(database: Database) -> None:
    await apply_migrations(database, FakeClock())

    async def work(tx: Transaction) -> int:
        await tx.insert(_INSERT_PERSON, (1,))
        row = await tx.fetch_one("SELECT count(*) FROM people")
        assert row is not None
        return int(row[0])

    assert await database.inline(work, write=False) == 1
    assert await _people(database) == []


async def test_inline_work_waits_for_a_running_transaction_and_sees_its_outcome(
    database: Database,
) -> None:
    await apply_migrations(database, FakeClock())
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with database.transaction() as tx:
            await tx.execute(_INSERT_PERSON, (7,))
            inside.set()
            await release.wait()

    async def count(tx: Transaction) -> int:
        row = await tx.fetch_one("SELECT count(*) FROM people")
        assert row is not None
        return int(row[0])

    writer = asyncio.create_task(slow_writer())
    await inside.wait()
    counted = asyncio.create_task(database.inline(count, write=False))
    release.set()
    await writer
    assert await counted == 1


async def test_rebuilding_a_table_with_foreign_keys_off_keeps_the_rows_that_point_to_it(
    database: Database, tmp_path: Path
) -> None:
    early = tmp_path / "early"
    early.mkdir()
    for migration in load_migrations()[:3]:
        name = f"{migration.version:04d}_{migration.name}.sql"
        (early / name).write_text(migration.sql, encoding="utf-8")
    await apply_migrations(database, FakeClock(), early)
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
            "VALUES (1, 'en', 'x', 'x')"
        )
        await tx.execute(
            "INSERT INTO incidents (person_id, reason, due_at, opened_at) "
            "VALUES (1, 'sos', 'a', 'b')"
        )
        await tx.execute(
            "INSERT INTO outbox (person_id, incident_id, chat_id, kind, priority, payload, "
            "created_at, next_attempt_at) VALUES (1, 1, 5, 'alert', 0, 'p', 'x', 'x')"
        )
    await apply_migrations(database, FakeClock())
    async with database.snapshot() as tx:
        outbox = await tx.fetch_all("SELECT incident_id FROM outbox")
        incidents = await tx.fetch_all("SELECT id, reason FROM incidents")
        foreign_keys = await tx.fetch_one("PRAGMA foreign_keys")
    assert [row["incident_id"] for row in outbox] == [1]
    assert [(row["id"], row["reason"]) for row in incidents] == [(1, "sos")]
    assert foreign_keys is not None
    assert foreign_keys[0] == 1


async def _person(db: Database) -> int:
    await apply_migrations(db, FakeClock())
    async with db.transaction() as tx:
        return await tx.insert(
            "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
            "VALUES (5, 'en', '2026-03-01T09:00:00.000000Z', '2026-03-01T09:00:00.000000Z')"
        )


async def test_an_invitation_stays_bound_to_its_first_opener_and_is_contested_once(
    database: Database,
) -> None:
    person_id = await _person(database)
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    async with database.transaction() as tx:
        invite_id = await contact_repository.add_invite(
            tx, person_id, 1, "hash", now, now + timedelta(days=1), decoy=True
        )
        assert await contact_repository.mark_opened(tx, invite_id, 10, 10)
        assert not await contact_repository.mark_opened(tx, invite_id, 11, 11)
        assert not await contact_repository.mark_opened(tx, invite_id, 10, -100)
        assert await contact_repository.mark_opened(tx, invite_id, 10, 10)
        assert await contact_repository.mark_contested(tx, invite_id, now)
        assert not await contact_repository.mark_contested(tx, invite_id, now)
        invite = await contact_repository.invite_by_id(tx, invite_id)
    assert invite is not None
    assert invite.decoy
    assert invite.is_opened_by(10, 10)


async def test_has_open_sees_only_open_incidents_of_the_reasons_asked(database: Database) -> None:
    person_id = await _person(database)
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    async with database.transaction() as tx:
        await incident_repository.open_incident(
            tx, Incident(0, person_id, AlertReason.SOS, now, now), None
        )
        assert await incident_repository.has_open(tx, person_id, [AlertReason.SOS])
        assert not await incident_repository.has_open(tx, person_id, [AlertReason.DURESS])
        assert not await incident_repository.has_open(tx, person_id, [])
        await incident_repository.open_incident(
            tx, Incident(0, person_id, AlertReason.DURESS, now, now), None
        )
        assert await incident_repository.has_open(tx, person_id, [AlertReason.DURESS])
        await incident_repository.close_open(tx, person_id, now)
        assert not await incident_repository.has_open(
            tx, person_id, [AlertReason.DURESS, AlertReason.SOS]
        )


async def _family(database: Database) -> None:
    async with database.transaction() as tx:
        await tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)")
        await tx.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, "
            "parent_id INTEGER NOT NULL REFERENCES parent (id))"
        )


async def _ids(database: Database, table: str) -> list[int]:
    async with database.snapshot() as tx:
        rows = await tx.fetch_all(f"SELECT id FROM {table} ORDER BY id")  # noqa: S608 -- test tables
    return [int(row[0]) for row in rows]


_PARENT = "INSERT INTO parent (id, name)"
_CHILD = "INSERT INTO child (id, parent_id)"


async def _run(
    database: Database, work: Callable[[Transaction], Awaitable[None]], inline: bool
) -> None:
    """Run ``work`` in one transaction, on the database thread or through the event loop."""
    if inline:
        await database.inline(work)
        return
    async with database.transaction() as tx:
        await work(tx)


async def _in_part(tx: Transaction, work: Callable[[], Awaitable[None]]) -> None:
    async with tx.savepoint():
        await work()


async def test_rows_inserted_later_are_there_for_the_next_read_and_at_the_commit(
    database: Database,
) -> None:
    await _family(database)
    async with database.transaction() as tx:
        # More than one multi-row statement holds.
        tx.insert_later(_PARENT, [(n, f"p{n}") for n in range(1, 1201)], level=0)
        row = await tx.fetch_one("SELECT count(*), max(name) FROM parent")
        assert row is not None
        assert (row[0], row[1]) == (1200, "p999")
        tx.insert_later(_PARENT, [(1201, "last")], level=0)
    assert await _ids(database, "parent") == list(range(1, 1202))


async def test_rows_others_refer_to_are_written_first_whatever_order_they_came_in(
    database: Database,
) -> None:
    await _family(database)

    async def work(tx: Transaction) -> None:
        tx.insert_later(_CHILD, [(1, 7)], level=1)
        tx.insert_later(_PARENT, [(7, "p")], level=0)
        tx.insert_later(_CHILD, [(2, 7)], level=1)

    await database.inline(work)
    assert await _ids(database, "child") == [1, 2]


async def test_a_failed_part_takes_its_later_rows_with_it_and_a_kept_part_keeps_them(
    database: Database,
) -> None:
    await _family(database)
    async with database.transaction() as tx:
        tx.insert_later(_PARENT, [(1, "before")], level=0)

        async def failing() -> None:
            tx.insert_later(_PARENT, [(2, "undone")], level=0)
            raise RuntimeError("this part fails")

        with pytest.raises(RuntimeError):
            await _in_part(tx, failing)
        async with tx.savepoint():
            tx.insert_later(_PARENT, [(3, "kept")], level=0)
        tx.insert_later(_PARENT, [(4, "after")], level=0)
    assert await _ids(database, "parent") == [1, 3, 4]


async def test_a_part_whose_later_rows_break_a_rule_is_undone_as_a_whole(
    database: Database,
) -> None:
    await _family(database)
    async with database.transaction() as tx:

        async def breaking() -> None:
            tx.insert_later(_PARENT, [(1, "p")], level=0)
            tx.insert_later(_CHILD, [(1, 99)], level=1)  # no parent 99

        with pytest.raises(sqlite3.IntegrityError):
            await _in_part(tx, breaking)
        tx.insert_later(_PARENT, [(2, "kept")], level=0)
    assert await _ids(database, "parent") == [2]
    assert await _ids(database, "child") == []


@pytest.mark.parametrize("inline", [False, True])
async def test_later_rows_that_break_a_rule_fail_the_transaction_and_leave_nothing(
    database: Database, inline: bool
) -> None:
    await _family(database)

    async def work(tx: Transaction) -> None:
        tx.insert_later(_PARENT, [(1, "p")], level=0)
        tx.insert_later(_CHILD, [(1, 99)], level=1)  # no parent 99

    with pytest.raises(sqlite3.IntegrityError):
        await _run(database, work, inline)
    assert await _ids(database, "parent") == []
    async with database.transaction() as tx:
        tx.insert_later(_PARENT, [(2, "next")], level=0)
    assert await _ids(database, "parent") == [2]


@pytest.mark.parametrize("inline", [False, True])
async def test_a_commit_that_fails_ends_the_transaction_and_the_next_one_proceeds(
    database: Database, inline: bool
) -> None:
    await _family(database)

    async def work(tx: Transaction) -> None:
        # Checked at COMMIT only, which then fails and leaves the transaction open.
        await tx.execute("PRAGMA defer_foreign_keys = ON")
        await tx.execute("INSERT INTO child (id, parent_id) VALUES (1, 99)")

    with pytest.raises(sqlite3.IntegrityError):
        await _run(database, work, inline)
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO parent (id, name) VALUES (5, 'next')")
    assert await _ids(database, "parent") == [5]
    assert await _ids(database, "child") == []


async def test_reserved_ids_follow_the_largest_and_never_repeat_within_a_transaction(
    database: Database,
) -> None:
    await _family(database)
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO parent (id, name) VALUES (41, 'there')")
        first = await tx.reserve_ids("parent", 3)
        second = await tx.reserve_ids("parent", 1)
        tx.insert_later(
            _PARENT, [(n, "new") for n in (first, first + 1, first + 2, second)], level=0
        )
    assert (first, second) == (42, 45)
    async with database.transaction() as tx:
        assert await tx.reserve_ids("parent", 1) == 46


async def test_a_transaction_that_need_not_be_durable_skips_only_its_own_flush(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:

        async def synchronous(tx: Transaction) -> int:
            row = await tx.fetch_one("PRAGMA synchronous")
            assert row is not None
            return int(row[0])

        async with database.transaction(durable=False) as tx:
            assert await synchronous(tx) == 1  # NORMAL: no flush at this commit
        async with database.transaction() as tx:
            assert await synchronous(tx) == 2  # FULL again for everything else
        with pytest.raises(RuntimeError):
            async with database.transaction(durable=False):
                raise RuntimeError("undone")
        async with database.snapshot() as tx:
            assert await synchronous(tx) == 2
    finally:
        await database.close()
