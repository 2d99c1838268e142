"""Asks: "are you OK?" from a contact or a coordinator, waiting for a check-in until due."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.database import Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Ask:
    id: int
    person_id: int
    # Who asked: a contact, or a coordinator of one of the person's teams.
    contact_id: int | None
    coordinator_id: int | None
    team_id: int | None
    asked_at: datetime
    answer_by: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class Asker:
    """Who asks: a contact (``contact_id``), or a coordinator of ``team_id``."""

    contact_id: int | None = None
    coordinator_id: int | None = None
    team_id: int | None = None


async def add(
    tx: Transaction, person_id: int, asker: Asker, asked_at: datetime, answer_by: datetime
) -> int:
    return await tx.insert(
        "INSERT INTO asks (person_id, contact_id, coordinator_id, team_id, asked_at, "
        "answer_by, wake_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            asker.contact_id,
            asker.coordinator_id,
            asker.team_id,
            to_db(asked_at),
            to_db(answer_by),
            to_db(answer_by),
        ),
    )


def _ask(row: sqlite3.Row) -> Ask:
    settled = row["settled_at"]
    return Ask(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        contact_id=None if row["contact_id"] is None else int(row["contact_id"]),
        coordinator_id=None if row["coordinator_id"] is None else int(row["coordinator_id"]),
        team_id=None if row["team_id"] is None else int(row["team_id"]),
        asked_at=from_db(row["asked_at"]),
        answer_by=from_db(row["answer_by"]),
        settled_at=None if settled is None else from_db(settled),
    )


async def load(tx: Transaction, ask_id: int) -> Ask | None:
    row = await tx.fetch_one("SELECT * FROM asks WHERE id = ?", (ask_id,))
    return None if row is None else _ask(row)


async def waiting(tx: Transaction, person_id: int) -> list[Ask]:
    """Return the asks about ``person_id`` still waiting for an answer, oldest first."""
    rows = await tx.fetch_all(
        "SELECT * FROM asks WHERE person_id = ? AND settled_at IS NULL ORDER BY id", (person_id,)
    )
    return [_ask(row) for row in rows]


async def count_since(tx: Transaction, person_id: int, asker: Asker, since: datetime) -> int:
    """Return how often ``asker`` asked about ``person_id`` since ``since``."""
    row = await tx.fetch_one(
        "SELECT count(*) FROM asks WHERE person_id = ? AND asked_at > ? "
        "AND (contact_id = ? OR coordinator_id = ?)",
        (person_id, to_db(since), asker.contact_id, asker.coordinator_id),
    )
    return 0 if row is None else int(row[0])


async def settle(tx: Transaction, ask_id: int, now: datetime, *, answered: bool) -> bool:
    """Mark the ask answered (or given way to an alert); ``False`` if it was settled already."""
    changed = await tx.execute(
        "UPDATE asks SET settled_at = ?, answered = ?, wake_at = NULL "
        "WHERE id = ? AND settled_at IS NULL",
        (to_db(now), int(answered), ask_id),
    )
    return changed == 1


async def due(tx: Transaction, now: datetime, limit: int) -> list[int]:
    """Return the asks whose answer is overdue by ``now``."""
    rows = await tx.fetch_all(
        "SELECT id FROM asks WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?",
        (to_db(now), limit),
    )
    return [int(row["id"]) for row in rows]


async def set_off(tx: Transaction, person_id: int, off: bool) -> None:
    await tx.execute("UPDATE people SET asks_off = ? WHERE id = ?", (int(off), person_id))


async def is_off(tx: Transaction, person_id: int) -> bool:
    row = await tx.fetch_one("SELECT asks_off FROM people WHERE id = ?", (person_id,))
    return bool(row is not None and row["asks_off"])
