"""Where each coordinator's dashboard of a team is, so it can be edited in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Transaction
from storage.timestamps import to_db


@dataclass(frozen=True)
class DashboardMessage:
    id: int
    team_id: int
    person_id: int
    chat_id: int
    message_id: int


async def remember(
    tx: Transaction, team_id: int, person_id: int, chat_id: int, message_id: int, now: datetime
) -> int:
    """Record the message that now shows the team to this coordinator (one per pair)."""
    await tx.execute(
        "INSERT INTO dashboards (team_id, person_id, chat_id, message_id, opened_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (team_id, person_id) DO UPDATE SET "
        "chat_id = excluded.chat_id, message_id = excluded.message_id, "
        "opened_at = excluded.opened_at",
        (team_id, person_id, chat_id, message_id, to_db(now)),
    )
    row = await tx.fetch_one(
        "SELECT id FROM dashboards WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    return 0 if row is None else int(row["id"])


async def opened_since(tx: Transaction, since: datetime) -> list[DashboardMessage]:
    """Return the dashboards opened or refreshed since ``since``."""
    rows = await tx.fetch_all(
        "SELECT id, team_id, person_id, chat_id, message_id FROM dashboards "
        "WHERE opened_at >= ? ORDER BY id",
        (to_db(since),),
    )
    return [DashboardMessage(*(int(value) for value in row)) for row in rows]


async def forget(tx: Transaction, dashboard_id: int) -> None:
    await tx.execute("DELETE FROM dashboards WHERE id = ?", (dashboard_id,))
