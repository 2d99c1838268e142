"""Messages in private chats that the bot may delete later (discreet mode, /wipe)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.database import Transaction
from storage.timestamps import to_db


async def track(tx: Transaction, chat_id: int, message_id: int, sent_at: datetime) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO chat_messages (chat_id, message_id, sent_at) VALUES (?, ?, ?)",
        (chat_id, message_id, to_db(sent_at)),
    )


async def delete_later(
    tx: Transaction, chat_id: int, message_ids: Iterable[int], at: datetime
) -> None:
    """Mark messages for deletion at ``at``."""
    for message_id in message_ids:
        await tx.execute(
            "INSERT INTO chat_messages (chat_id, message_id, sent_at, delete_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, message_id) "
            "DO UPDATE SET delete_at = excluded.delete_at",
            (chat_id, message_id, to_db(at), to_db(at)),
        )


async def due(tx: Transaction, now: datetime, limit: int) -> list[tuple[int, int]]:
    """Return (chat, message) pairs whose deletion is due by ``now``."""
    rows = await tx.fetch_all(
        "SELECT chat_id, message_id FROM chat_messages WHERE delete_at IS NOT NULL "
        "AND delete_at <= ? ORDER BY delete_at LIMIT ?",
        (to_db(now), limit),
    )
    return [(int(row["chat_id"]), int(row["message_id"])) for row in rows]


async def in_chat_since(tx: Transaction, chat_id: int, since: datetime) -> list[int]:
    """Return the ids of tracked messages in ``chat_id`` sent since ``since``."""
    rows = await tx.fetch_all(
        "SELECT message_id FROM chat_messages WHERE chat_id = ? AND sent_at >= ? "
        "ORDER BY message_id",
        (chat_id, to_db(since)),
    )
    return [int(row["message_id"]) for row in rows]


async def forget(tx: Transaction, chat_id: int, message_ids: Iterable[int] | None = None) -> None:
    """Stop tracking the given messages (all of the chat's when ``None``)."""
    if message_ids is None:
        await tx.execute("DELETE FROM chat_messages WHERE chat_id = ?", (chat_id,))
        return
    for message_id in message_ids:
        await tx.execute(
            "DELETE FROM chat_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
