"""Store last-known context items and standing emergency instructions.

An item or instructions that cannot be opened (a damaged row, a row sealed
under another key) are left out and logged by id, never raised: one unreadable
value must not stop an alert about the person (invariant 1). The readers that
build alerts learn how many were left out, so the alert can say so.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.context import ContextItem, ContextKind
from bot.crypto import SealBrokenError
from storage import sealing, trail
from storage.database import Transaction, chunks, marks
from storage.timestamps import from_db, to_db

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recent:
    """The readable items, newest first, and how many could not be opened."""

    items: list[ContextItem]
    unreadable: int = 0


def _item(tx: Transaction, row: sqlite3.Row) -> ContextItem | None:
    """Return the item of ``row``, or ``None`` (logged by id) if it cannot be opened."""
    identity = sealing.context_body(int(row["person_id"]), int(row["telegram_message_id"]))
    try:
        body = json.loads(tx.unseal(row["body"], identity))
    except (SealBrokenError, ValueError):
        logger.error("context item %s cannot be opened; it is left out", row["id"])
        return None
    return ContextItem(
        telegram_message_id=int(row["telegram_message_id"]),
        kind=ContextKind(row["kind"]),
        body=body,
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


async def record(
    tx: Transaction,
    person_id: int,
    telegram_message_id: int,
    kind: ContextKind,
    body: Mapping[str, str | float | int | None],
    now: datetime,
) -> None:
    """Keep a message as context; an edit of a kept message replaces its body."""
    await tx.execute(
        "INSERT INTO context_items (person_id, telegram_message_id, kind, body, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (person_id, telegram_message_id) DO UPDATE SET "
        "kind = excluded.kind, body = excluded.body, updated_at = excluded.updated_at",
        (
            person_id,
            telegram_message_id,
            kind.value,
            tx.seal(json.dumps(dict(body)), sealing.context_body(person_id, telegram_message_id)),
            to_db(now),
            to_db(now),
        ),
    )


async def prune(tx: Transaction, person_id: int, keep: int, oldest: datetime) -> int:
    """Delete items beyond the newest ``keep`` or last touched before ``oldest``."""
    return await tx.execute(
        "DELETE FROM context_items WHERE person_id = ? AND (updated_at < ? OR id NOT IN "
        "(SELECT id FROM context_items WHERE person_id = ? ORDER BY updated_at DESC, id DESC "
        "LIMIT ?))",
        (person_id, to_db(oldest), person_id, keep),
    )


async def recent(tx: Transaction, person_id: int, since: datetime, limit: int) -> list[ContextItem]:
    """Return up to ``limit`` readable items touched since ``since``, newest first."""
    return (await recent_counted(tx, person_id, since, limit)).items


async def recent_counted(tx: Transaction, person_id: int, since: datetime, limit: int) -> Recent:
    """Return the last ``limit`` items touched since ``since``; count those unreadable."""
    rows = await tx.fetch_all(
        "SELECT * FROM context_items WHERE person_id = ? AND updated_at >= ? "
        "ORDER BY updated_at DESC, id DESC LIMIT ?",
        (person_id, to_db(since), limit),
    )
    items = [_item(tx, row) for row in rows]
    readable = [i for i in items if i is not None]
    return Recent(readable, len(items) - len(readable))


async def instructions_updated_at(tx: Transaction, person_id: int) -> datetime | None:
    """Return when the person's instructions last changed, if they have any."""
    row = await tx.fetch_one(
        "SELECT updated_at FROM instructions WHERE person_id = ?", (person_id,)
    )
    return None if row is None else from_db(row[0])


async def set_instructions(tx: Transaction, person_id: int, text: str, now: datetime) -> None:
    """Store (or replace) the person's emergency instructions."""
    await tx.execute(
        "INSERT INTO instructions (person_id, body, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET body = excluded.body, "
        "updated_at = excluded.updated_at",
        (person_id, tx.seal(text, sealing.instructions_body(person_id)), to_db(now)),
    )


async def clear_instructions(tx: Transaction, person_id: int) -> bool:
    """Delete the person's instructions; return whether there were any."""
    return await tx.execute("DELETE FROM instructions WHERE person_id = ?", (person_id,)) == 1


async def load_instructions(tx: Transaction, person_id: int) -> str | None:
    """Return the person's instructions, if any (and if they can be opened)."""
    return (await instructions_of(tx, person_id))[0]


async def instructions_of(tx: Transaction, person_id: int) -> tuple[str | None, bool]:
    """Return the instructions (``None`` if none or unreadable) and whether they are unreadable."""
    row = await tx.fetch_one("SELECT body FROM instructions WHERE person_id = ?", (person_id,))
    if row is None:
        return None, False
    try:
        return tx.unseal(row["body"], sealing.instructions_body(person_id)), False
    except SealBrokenError:
        logger.error("the instructions of person %s cannot be opened; left out", person_id)
        return None, True


async def latest_location(tx: Transaction, person_id: int, since: datetime) -> ContextItem | None:
    """Return the most recently updated readable location item touched since ``since``."""
    return (await latest_locations(tx, [person_id], since)).get(person_id)


async def latest_locations(
    tx: Transaction, person_ids: Sequence[int], since: datetime
) -> dict[int, ContextItem]:
    """Return, for each of ``person_ids`` who has one, :func:`latest_location`, in one query."""
    found: dict[int, ContextItem] = {}
    for chunk in chunks(person_ids):
        rows = await tx.fetch_all(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY person_id "  # noqa: S608 -- only "?" marks are interpolated
            "ORDER BY updated_at DESC, id DESC) AS newest FROM context_items "
            f"WHERE person_id IN ({marks(chunk)}) AND kind = 'location' AND updated_at >= ?) "
            "WHERE newest <= 5 ORDER BY person_id, newest",
            [*chunk, to_db(since)],
        )
        for row in rows:
            person_id = int(row["person_id"])
            if person_id not in found and (item := _item(tx, row)) is not None:
                found[person_id] = item
    return found


async def recent_media(
    tx: Transaction, person_id: int, since: datetime, scan: int, limit: int
) -> list[ContextItem]:
    """Return up to ``limit`` readable photos and voice notes, newest first.

    Only the last ``scan`` items touched since ``since`` are looked at (as
    :func:`recent` would return them), and only their photos and voice notes
    are opened.
    """
    return (await recent_media_among(tx, [person_id], since, scan, limit)).get(person_id, [])


async def recent_media_among(
    tx: Transaction, person_ids: Sequence[int], since: datetime, scan: int, limit: int
) -> dict[int, list[ContextItem]]:
    """Return, for each of ``person_ids`` who has any, :func:`recent_media`, in one query."""
    found: dict[int, list[ContextItem]] = {}
    for chunk in chunks(person_ids):
        rows = await tx.fetch_all(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY person_id "  # noqa: S608 -- only "?" marks are interpolated
            "ORDER BY updated_at DESC, id DESC) AS newest FROM context_items "
            f"WHERE person_id IN ({marks(chunk)}) AND updated_at >= ?) "
            "WHERE newest <= ? AND kind IN ('photo', 'voice') ORDER BY person_id, newest",
            [*chunk, to_db(since), scan],
        )
        for row in rows:
            media = found.setdefault(int(row["person_id"]), [])
            if len(media) < limit and (item := _item(tx, row)) is not None:
                media.append(item)
    return {person_id: media for person_id, media in found.items() if media}


async def forget_all(tx: Transaction, person_id: int, *, instructions: bool = True) -> None:
    """Delete every context item of the person, and their instructions unless told not to."""
    await tx.execute("DELETE FROM context_items WHERE person_id = ?", (person_id,))
    # The trail of places is context too.
    await trail.forget(tx, person_id)
    if instructions:
        await tx.execute("DELETE FROM instructions WHERE person_id = ?", (person_id,))


async def item(tx: Transaction, person_id: int, telegram_message_id: int) -> ContextItem | None:
    """Return one kept item, if it is still kept."""
    row = await tx.fetch_one(
        "SELECT * FROM context_items WHERE person_id = ? AND telegram_message_id = ?",
        (person_id, telegram_message_id),
    )
    return None if row is None else _item(tx, row)
