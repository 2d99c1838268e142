"""Small facts about the running bot, kept across restarts."""

from __future__ import annotations

from datetime import datetime

from storage.database import Transaction
from storage.timestamps import from_db, to_db

LAST_TICK_AT = "last_tick_at"
# When Telegram last answered (for health); written with a tick, at most every
# TELEGRAM_EVERY, so it costs no write of its own.
TELEGRAM_AT = "telegram_at"


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


async def next_wake(tx: Transaction) -> datetime | None:
    """Return the earliest moment anything is due: a watch, an incident, a phone's view, an ask."""
    row = await tx.fetch_one(
        "SELECT min(at) FROM ("
        "SELECT min(wake_at) AS at FROM watches WHERE wake_at IS NOT NULL "
        "UNION ALL SELECT min(wake_at) FROM incidents WHERE wake_at IS NOT NULL "
        "UNION ALL SELECT min(wake_at) FROM phone_views WHERE wake_at IS NOT NULL "
        "UNION ALL SELECT min(wake_at) FROM asks WHERE wake_at IS NOT NULL)"
    )
    return None if row is None or row[0] is None else from_db(row[0])
