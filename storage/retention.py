"""Forget what is no longer needed: the daily (here hourly) prune.

- delivered or failed messages older than 48 hours whose alert is over (or that
  belonged to none), and that no waiting message is queued behind;
- records of message ids older than 48 hours: Telegram cannot delete older
  messages anyway;
- kept words, places and trail points beyond the context retention, even for
  someone who sends nothing new;
- closed incidents, and settled "are you OK?" asks, after the history retention.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.database import Transaction
from storage.timestamps import to_db

# Telegram lets a bot delete (and so a chat keep track of) messages this old at most.
MESSAGE_LIFE = timedelta(hours=48)


async def prune(
    tx: Transaction, now: datetime, *, context_retention: timedelta, history_retention: timedelta
) -> dict[str, int]:
    """Delete what the retention rules allow; return how many rows of each kind."""
    recent = to_db(now - MESSAGE_LIFE)
    context_since = to_db(now - context_retention)
    history_since = to_db(now - history_retention)
    counts = {
        "messages": await tx.execute(
            "DELETE FROM outbox WHERE status != 'pending' AND created_at < ? "
            "AND (incident_id IS NULL OR incident_id IN "
            "(SELECT id FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?)) "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS later WHERE later.after_id = outbox.id "
            "AND later.status = 'pending')",
            (recent, recent),
        ),
        "message ids": await tx.execute("DELETE FROM chat_messages WHERE sent_at < ?", (recent,)),
        "context": await tx.execute(
            "DELETE FROM context_items WHERE updated_at < ?", (context_since,)
        ),
        "trail": await tx.execute(
            "DELETE FROM trail_points WHERE recorded_at < ?", (context_since,)
        ),
        "incidents": await tx.execute(
            "DELETE FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?",
            (history_since,),
        ),
        "asks": await tx.execute(
            "DELETE FROM asks WHERE settled_at IS NOT NULL AND settled_at < ?", (history_since,)
        ),
    }
    return {kind: count for kind, count in counts.items() if count}
