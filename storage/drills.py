"""Store drills and who confirmed them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.database import Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Drill:
    id: int
    person_id: int
    created_at: datetime
    # The coordinator who started it for the person, and for which team (None: the person).
    started_by: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class DrillOutcome:
    """A drill and, for each contact it went to, when they confirmed (None: not yet)."""

    drill: Drill
    confirmed: dict[int, datetime | None]


async def add(
    tx: Transaction,
    person_id: int,
    now: datetime,
    *,
    started_by: int | None = None,
    team_id: int | None = None,
) -> int:
    return await tx.insert(
        "INSERT INTO drills (person_id, created_at, started_by, team_id) VALUES (?, ?, ?, ?)",
        (person_id, to_db(now), started_by, team_id),
    )


def _drill(row: sqlite3.Row) -> Drill:
    return Drill(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        created_at=from_db(row["created_at"]),
        started_by=row["started_by"],
        team_id=row["team_id"],
    )


async def by_id(tx: Transaction, drill_id: int) -> Drill | None:
    row = await tx.fetch_one("SELECT * FROM drills WHERE id = ?", (drill_id,))
    return None if row is None else _drill(row)


async def person_of(tx: Transaction, drill_id: int) -> int | None:
    """Return the id of the person who ran the drill, if it exists."""
    drill = await by_id(tx, drill_id)
    return None if drill is None else drill.person_id


async def confirm(tx: Transaction, drill_id: int, contact_id: int, now: datetime) -> bool:
    """Record a confirmation; ``False`` if this contact had already confirmed."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO drill_confirmations (drill_id, contact_id, confirmed_at) "
        "VALUES (?, ?, ?)",
        (drill_id, contact_id, to_db(now)),
    )
    return added == 1


async def latest_of(tx: Transaction, person_id: int) -> DrillOutcome | None:
    """Return the person's latest drill with who it went to and who confirmed, if any."""
    row = await tx.fetch_one(
        "SELECT * FROM drills WHERE person_id = ? ORDER BY id DESC LIMIT 1", (person_id,)
    )
    if row is None:
        return None
    drill = _drill(row)
    asked = await tx.fetch_all(
        "SELECT DISTINCT contact_id FROM outbox WHERE drill_id = ? AND contact_id IS NOT NULL",
        (drill.id,),
    )
    confirmed: dict[int, datetime | None] = {int(r["contact_id"]): None for r in asked}
    for answer in await tx.fetch_all(
        "SELECT contact_id, confirmed_at FROM drill_confirmations WHERE drill_id = ?",
        (drill.id,),
    ):
        confirmed[int(answer["contact_id"])] = from_db(answer["confirmed_at"])
    return DrillOutcome(drill, confirmed)
