"""Store what a phone believes during a duress episode (see :mod:`bot.core.phone`)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from bot.core.phone import PhoneView
from storage.database import Transaction
from storage.timestamps import to_db
from storage.watches import WATCH_COLUMNS, values_of, watch_from

_VIEW_COLUMNS = (
    "pin_hash, duress_hash, hidden_contacts, has_instructions, discreet, hidden_teams, asks_off"
)


def _ids(value: str) -> frozenset[int]:
    return frozenset(int(i) for i in value.split(",") if i)


def _ids_value(ids: frozenset[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


def _view(row: sqlite3.Row) -> PhoneView:
    discreet = row["discreet"]
    return PhoneView(
        person_id=int(row["person_id"]),
        watch=watch_from(row),
        pin_hash=row["pin_hash"],
        duress_hash=row["duress_hash"],
        hidden_contacts=_ids(str(row["hidden_contacts"])),
        hidden_teams=_ids(str(row["hidden_teams"])),
        has_instructions=bool(row["has_instructions"]),
        discreet=None if discreet is None else bool(discreet),
        asks_off=None if row["asks_off"] is None else bool(row["asks_off"]),
        version=int(row["version"]),
    )


def _values(view: PhoneView) -> tuple[object, ...]:
    return (
        *values_of(view.watch),
        view.pin_hash,
        view.duress_hash,
        _ids_value(view.hidden_contacts),
        int(view.has_instructions),
        None if view.discreet is None else int(view.discreet),
        _ids_value(view.hidden_teams),
        None if view.asks_off is None else int(view.asks_off),
    )


async def load(tx: Transaction, person_id: int) -> PhoneView | None:
    """Return what the person's phone believes, or ``None`` outside a duress episode."""
    row = await tx.fetch_one("SELECT * FROM phone_views WHERE person_id = ?", (person_id,))
    return None if row is None else _view(row)


async def create(tx: Transaction, view: PhoneView) -> PhoneView:
    columns = f"{WATCH_COLUMNS}, {_VIEW_COLUMNS}"
    marks = ", ".join("?" for _ in columns.split(","))
    await tx.execute(
        f"INSERT INTO phone_views (person_id, {columns}, version) "  # noqa: S608 -- fixed columns
        f"VALUES (?, {marks}, 0)",
        (view.person_id, *_values(view)),
    )
    return replace(view, version=0)


async def save(tx: Transaction, view: PhoneView) -> PhoneView | None:
    """Write ``view`` if nobody changed it since it was read (compare-and-set), else ``None``.

    The sweeper (reminders the phone expects) and a handler (a pretended
    change) may race; the loser re-reads on its next turn.
    """
    columns = f"{WATCH_COLUMNS}, {_VIEW_COLUMNS}"
    assignments = ", ".join(f"{column.strip()} = ?" for column in columns.split(","))
    changed = await tx.execute(
        f"UPDATE phone_views SET {assignments}, version = version + 1 "  # noqa: S608
        "WHERE person_id = ? AND version = ?",
        (*_values(view), view.person_id, view.version),
    )
    return replace(view, version=view.version + 1) if changed == 1 else None


async def end(tx: Transaction, person_id: int) -> bool:
    """Forget the pretence (the true PIN checked in); ``True`` if there was one."""
    return await tx.execute("DELETE FROM phone_views WHERE person_id = ?", (person_id,)) == 1


async def due(tx: Transaction, now: datetime, limit: int) -> list[int]:
    """Return the people whose phone expects a reminder or prompt by ``now``."""
    rows = await tx.fetch_all(
        "SELECT person_id FROM phone_views WHERE wake_at IS NOT NULL AND wake_at <= ? "
        "ORDER BY wake_at LIMIT ?",
        (to_db(now), limit),
    )
    return [int(row["person_id"]) for row in rows]
