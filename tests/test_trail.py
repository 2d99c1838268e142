"""The trail of places: which positions are kept, and how an alert shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.context import TrailPoint
from bot.crypto import Sealer, new_key
from bot.i18n import Translations
from bot.texts.trail import bearing, direction, distance_m, map_link, render_trail
from storage import context as context_repository
from storage import trail
from storage.database import Database
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EVERY = timedelta(minutes=3)
SHARING = 500


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    await apply_migrations(db, FakeClock())
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO people (telegram_user_id, language, created_at, seen_at) "
            "VALUES (7, 'en', 'x', 'x')"
        )
    yield db
    await db.close()


async def move(
    db: Database,
    minutes: float,
    *,
    sharing: int = SHARING,
    limit: int = 12,
    latitude: float = 37.95,
) -> None:
    """Record a position ``minutes`` after T0."""
    now = T0 + timedelta(minutes=minutes)
    async with db.transaction() as tx:
        await trail.add(
            tx,
            1,
            sharing,
            {"latitude": latitude + minutes / 1000, "longitude": 58.38},
            now,
            every=EVERY,
            limit=limit,
            oldest=now - timedelta(days=7),
        )


async def minutes_kept(db: Database) -> list[float]:
    async with db.snapshot() as tx:
        points = await trail.points(tx, 1, T0 - timedelta(days=1))
    return [(p.recorded_at - T0).total_seconds() / 60 for p in points]


async def test_a_live_location_keeps_a_point_every_few_minutes_and_the_newest(
    database: Database,
) -> None:
    for minute in range(11):
        await move(database, minute)
    # A point at least 3 minutes after the last kept one, and always the newest.
    assert await minutes_kept(database) == [0, 3, 6, 9, 10]
    async with database.snapshot() as tx:
        newest = (await trail.points(tx, 1, T0))[-1]
    assert newest.latitude == pytest.approx(37.96)


async def test_the_first_point_of_a_sharing_is_kept_beyond_the_limit(database: Database) -> None:
    for minute in range(0, 31, 3):
        await move(database, minute, limit=3)
    assert await minutes_kept(database) == [0, 24, 27, 30]


async def test_a_new_sharing_starts_with_a_point_of_its_own(database: Database) -> None:
    await move(database, 0)
    await move(database, 1)
    await move(database, 2, sharing=SHARING + 1)
    await move(database, 2.5, sharing=SHARING + 1)
    # The first point of each sharing stays; the newest position stands for now.
    assert await minutes_kept(database) == [0, 1, 2, 2.5]


async def test_points_older_than_retention_are_dropped(database: Database) -> None:
    await move(database, 0)
    await move(database, 8 * 24 * 60)
    assert await minutes_kept(database) == [8 * 24 * 60]


async def test_wiping_the_context_wipes_the_trail(database: Database) -> None:
    await move(database, 0)
    await move(database, 5)
    async with database.transaction() as tx:
        await context_repository.forget_all(tx, 1, instructions=False)
    assert await minutes_kept(database) == []


async def test_a_point_sealed_for_another_row_is_left_out(database: Database) -> None:
    await move(database, 0)
    await move(database, 5)
    async with database.transaction() as tx:
        await tx.execute(
            "UPDATE trail_points SET body = (SELECT body FROM trail_points ORDER BY id LIMIT 1) "
            "WHERE id = (SELECT MAX(id) FROM trail_points)"
        )
    assert await minutes_kept(database) == [0]


def point(latitude: float, longitude: float, minutes: int = 0) -> TrailPoint:
    return TrailPoint(SHARING, T0 + timedelta(minutes=minutes), latitude, longitude)


def test_distance_and_direction_between_two_places() -> None:
    start = point(37.9500, 58.3800)
    north = point(37.9600, 58.3800)
    east = point(37.9500, 58.3900)
    assert distance_m(start, north) == pytest.approx(1112, rel=0.01)
    assert bearing(start, north) == pytest.approx(0, abs=0.5)
    assert bearing(start, east) == pytest.approx(90, abs=0.5)
    tr = Translations()["ru"]
    assert direction(tr, 44) == tr("north-east")
    assert direction(tr, 359) == tr("north")
    assert map_link(start) == (
        "https://www.openstreetmap.org/?mlat=37.95000&mlon=58.38000#map=17/37.95000/58.38000"
    )


def test_an_alert_lists_the_trail_newest_first_with_distance_direction_and_links() -> None:
    tr = Translations()["en"]
    points = [point(37.9500, 58.3800, 0), point(37.9500, 58.3800, 3), point(37.9530, 58.3830, 6)]
    lines = render_trail(tr, points, "Asia/Ashgabat", T0 + timedelta(minutes=16))
    assert lines[1] == "🗺 Where they have been, newest first:"
    assert lines[2].startswith("• Sun, Mar 1 14:06, 10 minutes ago — 420 m north-east of")
    assert lines[3] == "  " + map_link(points[2])
    assert lines[4].endswith("— at the place before")
    assert lines[6] == "• Sun, Mar 1 14:00, 16 minutes ago"
    # One place is no trail: the last-location line says it all.
    assert render_trail(tr, points[:1], "UTC", T0) == []
