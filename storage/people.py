"""Store and load :class:`bot.core.people.Person` rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.core.people import Person
from storage import sealing
from storage.database import Transaction
from storage.timestamps import from_db, to_db


def person_from(tx: Transaction, row: sqlite3.Row) -> Person:
    """Return the person of a ``people`` row (its columns may come joined to others)."""
    return Person(
        id=int(row["id"]),
        telegram_user_id=int(row["telegram_user_id"]),
        language=str(row["language"]),
        display_name=tx.unseal(
            row["display_name"], sealing.person_name(int(row["telegram_user_id"]))
        )
        if row["display_name"]
        else "",
        created_at=from_db(row["created_at"]),
        seen_at=from_db(row["seen_at"]),
    )


async def upsert(
    tx: Transaction, telegram_user_id: int, language: str, display_name: str, now: datetime
) -> Person:
    """Insert the person if new, else mark them seen under their current name;
    keep any language already chosen."""
    await tx.execute(
        """
        INSERT INTO people (telegram_user_id, language, display_name, created_at, seen_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (telegram_user_id) DO UPDATE SET
            seen_at = excluded.seen_at, display_name = excluded.display_name
        """,
        (
            telegram_user_id,
            language,
            tx.seal(display_name, sealing.person_name(telegram_user_id)),
            to_db(now),
            to_db(now),
        ),
    )
    row = await tx.fetch_one("SELECT * FROM people WHERE telegram_user_id = ?", (telegram_user_id,))
    if row is None:  # pragma: no cover - the statement above guarantees the row
        raise sqlite3.IntegrityError("person vanished inside its own transaction")
    return person_from(tx, row)


async def by_telegram_user_id(tx: Transaction, telegram_user_id: int) -> Person | None:
    """Return the person behind a Telegram user id, or ``None`` for a stranger."""
    row = await tx.fetch_one("SELECT * FROM people WHERE telegram_user_id = ?", (telegram_user_id,))
    return None if row is None else person_from(tx, row)


async def known_among(tx: Transaction, telegram_user_ids: Iterable[int]) -> set[int]:
    """Return which of these Telegram user ids belong to people the bot knows."""
    wanted = sorted(set(telegram_user_ids))
    known: set[int] = set()
    # SQLite caps the parameters of one statement; 500 stays far below any build's cap.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT telegram_user_id FROM people WHERE telegram_user_id IN ({marks})"  # noqa: S608 -- placeholders only
        rows = await tx.fetch_all(sql, chunk)
        known.update(int(row["telegram_user_id"]) for row in rows)
    return known


async def by_id(tx: Transaction, person_id: int) -> Person | None:
    """Return the person with internal id ``person_id``."""
    row = await tx.fetch_one("SELECT * FROM people WHERE id = ?", (person_id,))
    return None if row is None else person_from(tx, row)


async def is_watched(tx: Transaction, telegram_user_id: int) -> bool:
    """Return whether the person has an armed plan or at least one contact.

    A watch in SOS without a plan does not count: a stranger's /sos arms nothing
    that a contact could hear about.
    """
    row = await tx.fetch_one(
        """
        SELECT EXISTS (
            SELECT 1 FROM watches JOIN people ON people.id = watches.person_id
            WHERE people.telegram_user_id = ?1 AND watches.state != 'unarmed'
                AND (watches.plan_every_seconds IS NOT NULL OR watches.plan_times IS NOT NULL)
        ) OR EXISTS (
            SELECT 1 FROM contacts JOIN people ON people.id = contacts.person_id
            WHERE people.telegram_user_id = ?1
        ) AS watched
        """,
        (telegram_user_id,),
    )
    return bool(row is not None and row["watched"])


async def set_language(tx: Transaction, person_id: int, language: str) -> None:
    """Record the language the person chose."""
    await tx.execute("UPDATE people SET language = ? WHERE id = ?", (language, person_id))


async def set_discreet(tx: Transaction, person_id: int, on: bool) -> None:
    await tx.execute("UPDATE people SET discreet = ? WHERE id = ?", (int(on), person_id))


async def is_discreet(tx: Transaction, person_id: int) -> bool:
    row = await tx.fetch_one("SELECT discreet FROM people WHERE id = ?", (person_id,))
    return bool(row is not None and row["discreet"])


async def forget(tx: Transaction, person_id: int) -> None:
    """Delete the person and, through the foreign keys, everything about them."""
    await tx.execute("DELETE FROM people WHERE id = ?", (person_id,))
