"""Incidents: alerts about one person, open until the all-clear."""

from __future__ import annotations

from datetime import datetime

from bot.core.watches import AlertReason
from storage.database import Transaction
from storage.timestamps import to_db


async def open_incident(
    tx: Transaction,
    person_id: int,
    reason: AlertReason,
    due_at: datetime,
    now: datetime,
    offline_since: datetime | None,
) -> int:
    """Record a new alert about ``person_id`` and return its id."""
    return await tx.insert(
        "INSERT INTO incidents (person_id, reason, due_at, opened_at, offline_since) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            person_id,
            reason.value,
            to_db(due_at),
            to_db(now),
            None if offline_since is None else to_db(offline_since),
        ),
    )


async def close_open(tx: Transaction, person_id: int, now: datetime) -> list[int]:
    """Close every open incident of ``person_id``; return their ids."""
    rows = await tx.fetch_all(
        "SELECT id FROM incidents WHERE person_id = ? AND closed_at IS NULL ORDER BY id",
        (person_id,),
    )
    await tx.execute(
        "UPDATE incidents SET closed_at = ? WHERE person_id = ? AND closed_at IS NULL",
        (to_db(now), person_id),
    )
    return [int(row["id"]) for row in rows]
