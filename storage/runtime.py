"""Small facts about the running bot, kept across restarts."""

from __future__ import annotations

from datetime import datetime

from storage.database import Transaction
from storage.timestamps import from_db, to_db

LAST_TICK_AT = "last_tick_at"


async def get_moment(tx: Transaction, key: str) -> datetime | None:
    """Return the moment stored under ``key``, if any."""
    row = await tx.fetch_one("SELECT value FROM runtime WHERE key = ?", (key,))
    return None if row is None else from_db(row["value"])


async def set_moment(tx: Transaction, key: str, moment: datetime) -> None:
    """Store ``moment`` under ``key``."""
    await tx.execute(
        "INSERT INTO runtime (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, to_db(moment)),
    )
