"""What the activist said they are doing while a timer runs, sealed and bound to its start."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.crypto import SealBrokenError
from storage import sealing
from storage.database import Transaction
from storage.timestamps import to_db

logger = logging.getLogger(__name__)


async def keep_note(tx: Transaction, person_id: int, started_at: datetime, note: str) -> None:
    """Keep ``note`` for the timer started at ``started_at``; an empty note keeps nothing."""
    await forget(tx, person_id)
    if not note:
        return
    stamp = to_db(started_at)
    await tx.execute(
        "INSERT INTO timer_notes (person_id, started_at, body) VALUES (?, ?, ?)",
        (person_id, stamp, tx.seal(note, sealing.timer_note(person_id, stamp))),
    )


# What :func:`note_of` returns for a note that exists but cannot be opened.
UNREADABLE = ""


async def note_of(tx: Transaction, person_id: int, started_at: datetime | None) -> str | None:
    """Return the note of the timer started at ``started_at``, if it has one.

    A note that cannot be opened is :data:`UNREADABLE`: the alert says so.
    """
    if started_at is None:
        return None
    stamp = to_db(started_at)
    row = await tx.fetch_one(
        "SELECT body FROM timer_notes WHERE person_id = ? AND started_at = ?", (person_id, stamp)
    )
    if row is None:
        return None
    try:
        return tx.unseal(str(row["body"]), sealing.timer_note(person_id, stamp))
    except SealBrokenError:
        # The alert still goes out, without the note: never fatal.
        logger.warning("the timer note of person %s cannot be opened; left out", person_id)
        return UNREADABLE


async def forget(tx: Transaction, person_id: int) -> None:
    await tx.execute("DELETE FROM timer_notes WHERE person_id = ?", (person_id,))
