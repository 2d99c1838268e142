"""The trail of places: where the person's shared locations have been, a few minutes apart.

Points of one sharing are kept at least ``every`` apart; the newest position is
always kept (it stands in for the point after the last spaced one until it is
``every`` old itself), and so is the first point of each sharing. At most
``limit`` points stay, besides the first of the newest sharing, and none older
than the retention window.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.context import TrailPoint
from bot.crypto import SealBrokenError
from storage import sealing
from storage.database import Transaction
from storage.timestamps import from_db, to_db


async def add(
    tx: Transaction,
    person_id: int,
    telegram_message_id: int,
    body: Mapping[str, str | float | int | None],
    now: datetime,
    *,
    every: timedelta,
    limit: int,
    oldest: datetime,
) -> None:
    """Record a position of the sharing ``telegram_message_id`` at ``now``."""
    rows = await tx.fetch_all(
        "SELECT id, telegram_message_id, recorded_at FROM trail_points WHERE person_id = ? "
        "ORDER BY recorded_at DESC, id DESC LIMIT 2",
        (person_id,),
    )
    sealed = _seal(tx, person_id, telegram_message_id, now, body)
    newest = rows[0] if rows else None
    before = rows[1] if len(rows) > 1 else None
    # The newest point stands in for "where they are now" while it is closer than
    # ``every`` to the one before it in the same sharing: a new position replaces it.
    provisional = (
        newest is not None
        and before is not None
        and int(newest["telegram_message_id"]) == telegram_message_id
        and int(before["telegram_message_id"]) == telegram_message_id
        and from_db(newest["recorded_at"]) - from_db(before["recorded_at"]) < every
    )
    if provisional and newest is not None:
        await tx.execute(
            "UPDATE trail_points SET recorded_at = ?, body = ? WHERE id = ?",
            (to_db(now), sealed, int(newest["id"])),
        )
    else:
        await tx.execute(
            "INSERT INTO trail_points (person_id, telegram_message_id, recorded_at, body) "
            "VALUES (?, ?, ?, ?)",
            (person_id, telegram_message_id, to_db(now), sealed),
        )
    await _prune(tx, person_id, telegram_message_id, limit, oldest)


async def _prune(
    tx: Transaction, person_id: int, sharing: int, limit: int, oldest: datetime
) -> None:
    first_of_sharing = await tx.fetch_one(
        "SELECT id FROM trail_points WHERE person_id = ? AND telegram_message_id = ? "
        "ORDER BY recorded_at, id LIMIT 1",
        (person_id, sharing),
    )
    keep_first = -1 if first_of_sharing is None else int(first_of_sharing["id"])
    await tx.execute(
        "DELETE FROM trail_points WHERE person_id = ? AND (recorded_at < ? OR (id != ? AND id "
        "NOT IN (SELECT id FROM trail_points WHERE person_id = ? "
        "ORDER BY recorded_at DESC, id DESC LIMIT ?)))",
        (person_id, to_db(oldest), keep_first, person_id, limit),
    )


async def points(tx: Transaction, person_id: int, since: datetime) -> list[TrailPoint]:
    """Return the person's trail since ``since``, oldest first; unreadable points are left out."""
    rows = await tx.fetch_all(
        "SELECT * FROM trail_points WHERE person_id = ? AND recorded_at >= ? "
        "ORDER BY recorded_at, id",
        (person_id, to_db(since)),
    )
    found = []
    for row in rows:
        recorded_at = from_db(row["recorded_at"])
        identity = sealing.trail_body(
            person_id, int(row["telegram_message_id"]), str(row["recorded_at"])
        )
        try:
            body = json.loads(tx.unseal(row["body"], identity))
            point = TrailPoint(
                int(row["telegram_message_id"]),
                recorded_at,
                float(body["latitude"]),
                float(body["longitude"]),
            )
        except (SealBrokenError, ValueError, KeyError, TypeError):
            continue
        found.append(point)
    return found


async def forget(tx: Transaction, person_id: int) -> None:
    """Delete the person's whole trail."""
    await tx.execute("DELETE FROM trail_points WHERE person_id = ?", (person_id,))


def _seal(
    tx: Transaction,
    person_id: int,
    telegram_message_id: int,
    now: datetime,
    body: Mapping[str, str | float | int | None],
) -> str:
    place = {"latitude": body.get("latitude"), "longitude": body.get("longitude")}
    identity = sealing.trail_body(person_id, telegram_message_id, to_db(now))
    return tx.seal(json.dumps(place), identity)
