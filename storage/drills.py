"""Store drills and who confirmed them."""

from __future__ import annotations

from datetime import datetime

from storage.database import Transaction
from storage.timestamps import to_db


async def add(tx: Transaction, person_id: int, now: datetime) -> int:
    return await tx.insert(
        "INSERT INTO drills (person_id, created_at) VALUES (?, ?)", (person_id, to_db(now))
    )


async def person_of(tx: Transaction, drill_id: int) -> int | None:
    """Return the id of the person who ran the drill, if it exists."""
    row = await tx.fetch_one("SELECT person_id FROM drills WHERE id = ?", (drill_id,))
    return None if row is None else int(row["person_id"])


async def confirm(tx: Transaction, drill_id: int, contact_id: int, now: datetime) -> bool:
    """Record a confirmation; ``False`` if this contact had already confirmed."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO drill_confirmations (drill_id, contact_id, confirmed_at) "
        "VALUES (?, ?, ?)",
        (drill_id, contact_id, to_db(now)),
    )
    return added == 1
