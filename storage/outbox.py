"""The outbox: rows written with the state change that causes them, drained by delivery."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime

from bot.core.outbox import OutboxKind, OutboxMessage
from storage.database import Transaction
from storage.timestamps import from_db, to_db


def _message(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        incident_id=row["incident_id"],
        chat_id=row["chat_id"],
        kind=OutboxKind(row["kind"]),
        priority=int(row["priority"]),
        payload=json.loads(row["payload"]),
        attempts=int(row["attempts"]),
        created_at=from_db(row["created_at"]),
    )


async def add(
    tx: Transaction,
    *,
    person_id: int,
    chat_id: int | None,
    kind: OutboxKind,
    priority: int,
    payload: Mapping[str, str | None],
    now: datetime,
    incident_id: int | None = None,
) -> int:
    """Queue one message, ready to send at ``now``; return its id."""
    return await tx.insert(
        "INSERT INTO outbox (person_id, incident_id, chat_id, kind, priority, payload, "
        "created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            incident_id,
            chat_id,
            kind.value,
            priority,
            json.dumps(dict(payload), sort_keys=True),
            to_db(now),
            to_db(now),
        ),
    )


async def next_ready(tx: Transaction, now: datetime) -> OutboxMessage | None:
    """Return the most urgent pending message addressed to a chat and ready by ``now``."""
    row = await tx.fetch_one(
        "SELECT * FROM outbox WHERE status = 'pending' AND chat_id IS NOT NULL "
        "AND next_attempt_at <= ? ORDER BY priority, next_attempt_at, id LIMIT 1",
        (to_db(now),),
    )
    return None if row is None else _message(row)


async def next_attempt_at(tx: Transaction) -> datetime | None:
    """Return when the next pending message addressed to a chat becomes ready."""
    row = await tx.fetch_one(
        "SELECT MIN(next_attempt_at) AS at FROM outbox "
        "WHERE status = 'pending' AND chat_id IS NOT NULL"
    )
    return None if row is None or row["at"] is None else from_db(row["at"])


async def mark_sent(
    tx: Transaction, message_id: int, telegram_message_id: int, now: datetime
) -> None:
    """Record that Telegram accepted the message and gave it ``telegram_message_id``."""
    await tx.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?, "
        "attempts = attempts + 1, last_error = NULL WHERE id = ?",
        (to_db(now), telegram_message_id, message_id),
    )


async def retry_later(tx: Transaction, message_id: int, at: datetime, error: str) -> None:
    """Count a failed attempt and try again at ``at``."""
    await tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
        "WHERE id = ?",
        (to_db(at), error, message_id),
    )


async def mark_failed(tx: Transaction, message_id: int, error: str) -> None:
    """Give up on a message that can never be delivered; ``error`` says why."""
    await tx.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
        (error, message_id),
    )


async def for_person(tx: Transaction, person_id: int) -> list[OutboxMessage]:
    """Return every message queued because of ``person_id``, oldest first."""
    rows = await tx.fetch_all("SELECT * FROM outbox WHERE person_id = ? ORDER BY id", (person_id,))
    return [_message(row) for row in rows]
