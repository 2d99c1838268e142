"""The outbox: rows written with the state change that causes them, drained by delivery."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.outbox import OutboxKind, OutboxMessage
from bot.crypto import SealBrokenError
from storage import sealing
from storage.database import Transaction
from storage.timestamps import from_db, to_db


def _payload(tx: Transaction, row: sqlite3.Row) -> str:
    """Open a row's payload, bound to the row and its chat (or, if older, to person and kind)."""
    person_id, kind = int(row["person_id"]), str(row["kind"])
    try:
        return tx.unseal(
            row["payload"],
            sealing.outbox_payload(int(row["id"]), int(row["chat_id"]), person_id, kind),
        )
    except SealBrokenError:
        return tx.unseal(row["payload"], sealing.legacy_outbox_payload(person_id, kind))


def _message(tx: Transaction, row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        incident_id=row["incident_id"],
        contact_id=row["contact_id"],
        drill_id=row["drill_id"],
        chat_id=int(row["chat_id"]),
        kind=OutboxKind(row["kind"]),
        priority=int(row["priority"]),
        payload=json.loads(_payload(tx, row)),
        attempts=int(row["attempts"]),
        created_at=from_db(row["created_at"]),
    )


@dataclass(frozen=True)
class NewMessage:
    """One message to queue; see :func:`add_many`."""

    person_id: int
    chat_id: int
    kind: OutboxKind
    priority: int
    payload: Mapping[str, str | None]
    incident_id: int | None = None
    contact_id: int | None = None
    drill_id: int | None = None
    # The row that must be sent (or have failed) before this one...
    after_id: int | None = None
    # ...or the message just before this one in the same call.
    after_previous: bool = False


_INSERT = (
    "INSERT INTO outbox (id, person_id, incident_id, contact_id, drill_id, after_id, chat_id, "
    "kind, priority, payload, created_at, next_attempt_at)"
)


def _json(payload: Mapping[str, str | None]) -> str:
    """Return a payload's JSON, the same for the same payload."""
    # An alert's payloads ({"repeat": "0"}, {}) repeat thousands of times in a
    # sweep: remember those, and only those made of numbers (nothing of anyone's).
    if all(value is None or value.isdigit() for value in payload.values()):
        return _numbers_json(tuple(sorted(payload.items())))
    return json.dumps(dict(payload), sort_keys=True)


@functools.lru_cache(maxsize=64)
def _numbers_json(items: tuple[tuple[str, str | None], ...]) -> str:
    return json.dumps(dict(items), sort_keys=True)


async def add_many(tx: Transaction, messages: Sequence[NewMessage], now: datetime) -> list[int]:
    """Queue ``messages``, ready to send at ``now``; return their ids.

    Each payload is sealed bound to its row's id and chat, so it cannot be moved
    to another row; the ids are reserved first (:meth:`Transaction.reserve_ids`).
    The rows are written with the transaction's next statement, together with
    any queued meanwhile (:meth:`Transaction.insert_later`).
    """
    if not messages:
        return []
    if messages[0].after_previous:
        raise ValueError("the first message has no previous one to follow")
    first_id = await tx.reserve_ids("outbox", len(messages))
    moment = to_db(now)
    rows: list[tuple[object, ...]] = []
    for row_id, message in enumerate(messages, start=first_id):
        identity = sealing.outbox_payload(
            row_id, message.chat_id, message.person_id, message.kind.value
        )
        payload = tx.seal(_json(message.payload), identity)
        rows.append(
            (
                row_id,
                message.person_id,
                message.incident_id,
                message.contact_id,
                message.drill_id,
                row_id - 1 if message.after_previous else message.after_id,
                message.chat_id,
                message.kind.value,
                message.priority,
                payload,
                moment,
                moment,
            )
        )
    tx.insert_later(_INSERT, rows, level=1)
    return list(range(first_id, first_id + len(rows)))


async def add(
    tx: Transaction,
    *,
    person_id: int,
    chat_id: int,
    kind: OutboxKind,
    priority: int,
    payload: Mapping[str, str | None],
    now: datetime,
    incident_id: int | None = None,
    contact_id: int | None = None,
    drill_id: int | None = None,
    after_id: int | None = None,
) -> int:
    """Queue one message, ready to send at ``now``; return its id.

    ``after_id``: the row that must be sent (or have failed) before this one,
    so an alert's location never arrives before the alert itself.
    """
    message = NewMessage(
        person_id=person_id,
        chat_id=chat_id,
        kind=kind,
        priority=priority,
        payload=payload,
        incident_id=incident_id,
        contact_id=contact_id,
        drill_id=drill_id,
        after_id=after_id,
    )
    (row_id,) = await add_many(tx, [message], now)
    return row_id


async def move_chat(tx: Transaction, old_chat_id: int, new_chat_id: int) -> None:
    """Send the pending rows of a chat to the chat it became, sealed anew for it."""
    rows = await tx.fetch_all(
        "SELECT * FROM outbox WHERE chat_id = ? AND status = 'pending'", (old_chat_id,)
    )
    for row in rows:
        try:
            plaintext = _payload(tx, row)
        except SealBrokenError:
            continue  # quarantined when it comes up; nothing to carry over
        identity = sealing.outbox_payload(
            int(row["id"]), new_chat_id, int(row["person_id"]), str(row["kind"])
        )
        await tx.execute(
            "UPDATE outbox SET chat_id = ?, payload = ? WHERE id = ?",
            (new_chat_id, tx.seal(plaintext, identity), int(row["id"])),
        )


@dataclass(frozen=True)
class Ready:
    """Rows ready to send, and rows that cannot be opened (to be quarantined)."""

    messages: list[OutboxMessage]
    broken: list[int]


async def ready(
    tx: Transaction,
    now: datetime,
    limit: int,
    *,
    skip_chats: Collection[int] = (),
    skip_rows: Collection[int] = (),
) -> Ready:
    """Return up to ``limit`` pending messages ready by ``now``, most urgent first.

    Only the oldest pending row of each chat is a candidate: a chat's rows go
    out strictly in order, and a row waiting for a retry holds its whole chat
    (an all-clear never overtakes the alert it clears). A row whose payload
    cannot be opened is returned in ``broken`` instead, never raised: one
    damaged row must not stop delivery to everyone else.

    ``skip_chats`` (being sent to, or paced) and ``skip_rows`` are left out, so
    that the rows returned are all sendable now. A skipped row still holds its
    chat: nothing of that chat is returned in its place.
    """
    rows = await tx.fetch_all(
        "SELECT * FROM outbox AS o WHERE status = 'pending' AND next_attempt_at <= ? "
        "AND NOT EXISTS (SELECT 1 FROM outbox AS e "
        "WHERE e.chat_id = o.chat_id AND e.status = 'pending' AND e.id < o.id) "
        "AND (after_id IS NULL OR NOT EXISTS "
        "(SELECT 1 FROM outbox AS p WHERE p.id = o.after_id AND p.status = 'pending')) "
        # Lists as JSON: one parameter however many chats wait.
        "AND o.chat_id NOT IN (SELECT value FROM json_each(?)) "
        "AND o.id NOT IN (SELECT value FROM json_each(?)) "
        "ORDER BY priority, next_attempt_at, id LIMIT ?",
        (to_db(now), json.dumps(sorted(skip_chats)), json.dumps(sorted(skip_rows)), limit),
    )
    chosen: list[OutboxMessage] = []
    broken: list[int] = []
    for row in rows:
        try:
            chosen.append(_message(tx, row))
        except (SealBrokenError, ValueError):
            broken.append(int(row["id"]))
    return Ready(chosen, broken)


async def quarantine(tx: Transaction, message_id: int) -> None:
    """Set aside a row that cannot be opened, so it never blocks its chat again."""
    await tx.execute(
        "UPDATE outbox SET status = 'failed', last_error = 'quarantined: cannot be opened' "
        "WHERE id = ? AND status = 'pending'",
        (message_id,),
    )


async def mark_sent(
    tx: Transaction, message_id: int, telegram_message_id: int, now: datetime
) -> None:
    """Record that Telegram accepted the message and gave it ``telegram_message_id``."""
    await tx.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?, "
        "attempts = attempts + 1, last_error = NULL WHERE id = ?",
        (to_db(now), telegram_message_id, message_id),
    )


@dataclass(frozen=True)
class SentAlert:
    """An alert text Telegram accepted, by the outbox row that sent it."""

    row_id: int
    contact_id: int
    chat_id: int
    telegram_message_id: int
    repeat: str | None


async def sent_alerts(tx: Transaction, incident_id: int) -> list[SentAlert]:
    """Return the alert texts of ``incident_id`` already in someone's chat, oldest first."""
    rows = await tx.fetch_all(
        "SELECT * FROM outbox WHERE incident_id = ? AND kind = 'alert' AND status = 'sent' "
        "AND telegram_message_id IS NOT NULL AND contact_id IS NOT NULL ORDER BY id",
        (incident_id,),
    )
    found = []
    for row in rows:
        try:
            repeat = json.loads(_payload(tx, row)).get("repeat")
        except (SealBrokenError, ValueError):
            # A row that cannot be opened is not worth failing an all-clear for.
            continue
        found.append(
            SentAlert(
                row_id=int(row["id"]),
                contact_id=int(row["contact_id"]),
                chat_id=int(row["chat_id"]),
                telegram_message_id=int(row["telegram_message_id"]),
                repeat=repeat,
            )
        )
    return found


@dataclass(frozen=True)
class Delivered:
    """When an earlier message reached a chat, and the id Telegram gave it."""

    sent_at: datetime
    telegram_message_id: int


async def last_delivered(
    tx: Transaction, incident_id: int, contact_id: int, kind: OutboxKind, before_id: int
) -> Delivered | None:
    """Return the newest message of ``kind`` about the incident sent to the contact
    before row ``before_id``, if there is one."""
    row = await tx.fetch_one(
        "SELECT sent_at, telegram_message_id FROM outbox WHERE incident_id = ? "
        "AND contact_id = ? AND kind = ? AND status = 'sent' AND id < ? "
        "AND telegram_message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        (incident_id, contact_id, kind.value, before_id),
    )
    if row is None or row["sent_at"] is None:
        return None
    return Delivered(from_db(row["sent_at"]), int(row["telegram_message_id"]))


async def telegram_message_id(tx: Transaction, row_id: int) -> int | None:
    """Return the id Telegram gave the message sent by outbox row ``row_id``, if sent."""
    row = await tx.fetch_one(
        "SELECT telegram_message_id FROM outbox WHERE id = ? AND status = 'sent'", (row_id,)
    )
    return None if row is None or row[0] is None else int(row[0])


async def drop_all_clear_carried_by(tx: Transaction, alert_id: int) -> None:
    """Drop the pending all-clear that the sent alert ``alert_id`` already carried."""
    await tx.execute(
        "UPDATE outbox SET status = 'failed', last_error = 'superseded: sent with the alert' "
        "WHERE status = 'pending' AND kind = 'all_clear' AND (incident_id, contact_id) = "
        "(SELECT incident_id, contact_id FROM outbox WHERE id = ?)",
        (alert_id,),
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
    return [_message(tx, row) for row in rows]


async def oldest_pending(tx: Transaction, most_urgent: int) -> datetime | None:
    """Return when the oldest undelivered row of priority ``most_urgent`` or lower was queued."""
    row = await tx.fetch_one(
        "SELECT min(created_at) FROM outbox WHERE status = 'pending' AND priority <= ?",
        (most_urgent,),
    )
    return None if row is None or row[0] is None else from_db(row[0])
