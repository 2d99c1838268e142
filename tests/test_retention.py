"""The prune: what is past retention goes, what an open alert or a waiting message needs stays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import retention
from storage.database import Database
from storage.migrations import apply_migrations
from storage.timestamps import to_db
from tests.fake_clock import FakeClock

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = to_db(NOW - timedelta(days=3))
RECENT = to_db(NOW - timedelta(hours=1))
ANCIENT = to_db(NOW - timedelta(days=100))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "db.sqlite3")
    await apply_migrations(database, FakeClock(NOW))
    yield database
    await database.close()


async def _seed(database: Database) -> None:
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO people (id, telegram_user_id, language, display_name, created_at, "
            "seen_at) VALUES (1, 7, 'en', 'x', ?, ?)",
            (ANCIENT, ANCIENT),
        )
        for incident_id, closed_at in ((1, OLD), (2, None), (3, ANCIENT), (4, RECENT)):
            await tx.execute(
                "INSERT INTO incidents (id, person_id, reason, due_at, opened_at, closed_at) "
                "VALUES (?, 1, 'missed', ?, ?, ?)",
                (incident_id, ANCIENT, ANCIENT, closed_at),
            )
        rows = [
            # id, incident, after, status, created
            (1, 1, None, "sent", OLD),  # an over alert, old: goes
            (2, 2, None, "sent", OLD),  # an alert still open: stays (edits need it)
            (3, None, None, "sent", OLD),  # a notice, old: goes
            (4, None, None, "sent", RECENT),  # a notice, recent: stays
            (5, None, None, "pending", OLD),  # waiting: stays, however old
            (6, None, None, "failed", OLD),  # failed long ago: goes
            (7, None, None, "sent", OLD),  # old, but row 8 waits behind it: stays
            (8, None, 7, "pending", RECENT),
            (9, 4, None, "sent", OLD),  # its alert closed an hour ago: stays
        ]
        for row_id, incident_id, after_id, status, created in rows:
            await tx.execute(
                "INSERT INTO outbox (id, person_id, incident_id, after_id, chat_id, kind, "
                "priority, payload, status, created_at, next_attempt_at) "
                "VALUES (?, 1, ?, ?, 7, 'remind', 40, '{}', ?, ?, ?)",
                (row_id, incident_id, after_id, status, created, created),
            )
        for message_id, sent_at in ((1, OLD), (2, RECENT)):
            await tx.execute(
                "INSERT INTO chat_messages (chat_id, message_id, sent_at) VALUES (7, ?, ?)",
                (message_id, sent_at),
            )
        for item_id, at in ((1, to_db(NOW - timedelta(days=8))), (2, RECENT)):
            await tx.execute(
                "INSERT INTO context_items (id, person_id, telegram_message_id, kind, body, "
                "created_at, updated_at) VALUES (?, 1, ?, 'text', 'sealed', ?, ?)",
                (item_id, item_id, at, at),
            )
            await tx.execute(
                "INSERT INTO trail_points (person_id, telegram_message_id, recorded_at, body) "
                "VALUES (1, ?, ?, 'sealed')",
                (item_id, at),
            )


async def test_the_prune_takes_what_is_past_retention_and_nothing_still_needed(
    database: Database,
) -> None:
    await _seed(database)
    async with database.transaction() as tx:
        counts = await retention.prune(
            tx, NOW, context_retention=timedelta(days=7), history_retention=timedelta(days=90)
        )
    async with database.snapshot() as tx:
        outbox = [int(r["id"]) for r in await tx.fetch_all("SELECT id FROM outbox ORDER BY id")]
        incidents = [int(r["id"]) for r in await tx.fetch_all("SELECT id FROM incidents")]
        messages = [int(r[0]) for r in await tx.fetch_all("SELECT message_id FROM chat_messages")]
        context = [int(r[0]) for r in await tx.fetch_all("SELECT id FROM context_items")]
        trail = await tx.fetch_all("SELECT recorded_at FROM trail_points")
    assert outbox == [2, 4, 5, 7, 8, 9]
    # The incident closed 100 days ago is forgotten; the others stay.
    assert sorted(incidents) == [1, 2, 4]
    assert messages == [2]
    assert context == [2]
    assert [r[0] for r in trail] == [RECENT]
    assert counts == {
        "messages": 3,
        "message ids": 1,
        "context": 1,
        "trail": 1,
        "incidents": 1,
    }
    # A second prune finds nothing more.
    async with database.transaction() as tx:
        again = await retention.prune(
            tx, NOW, context_retention=timedelta(days=7), history_retention=timedelta(days=90)
        )
    assert again == {}
