"""Which columns are sealed, the identity each value is bound to, and whole-database resealing.

The repositories seal and open values with these identities; key rotation and
the first start after encryption arrived walk the same list, so a column cannot
be sealed in one place and forgotten in the other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from bot.crypto import SealBrokenError, Sealer
from storage.database import Transaction

KEY_CHECK = "key_check"
_KEY_CHECK_TEXT = "Still Here key check"
_KEY_CHECK_IDENTITY = "runtime.key_check"


def context_body(person_id: int, telegram_message_id: int) -> str:
    return f"context_items.body:{person_id}:{telegram_message_id}"


def trail_body(person_id: int, telegram_message_id: int, recorded_at: str) -> str:
    return f"trail_points.body:{person_id}:{telegram_message_id}:{recorded_at}"


def timer_note(person_id: int, started_at: str) -> str:
    return f"timer_notes.body:{person_id}:{started_at}"


def incident_detail(incident_id: int, person_id: int) -> str:
    return f"incidents.detail:{incident_id}:{person_id}"


def instructions_body(person_id: int) -> str:
    return f"instructions.body:{person_id}"


def person_name(telegram_user_id: int) -> str:
    return f"people.display_name:{telegram_user_id}"


def contact_name(person_id: int, chat_id: int) -> str:
    return f"contacts.display_name:{person_id}:{chat_id}"


def prompt_pending(person_id: int) -> str:
    return f"pin_prompts.pending:{person_id}"


def team_name(team_id: int) -> str:
    return f"teams.name:{team_id}"


def duty_chat_name(team_id: int) -> str:
    return f"teams.duty_chat_name:{team_id}"


def audit_detail(event_id: int, team_id: int) -> str:
    return f"audit_events.detail:{event_id}:{team_id}"


def outbox_payload(row_id: int, chat_id: int, person_id: int, kind: str) -> str:
    """Bind a queued message to its own row and chat: no payload can stand in for another."""
    return f"outbox.payload:{row_id}:{chat_id}:{person_id}:{kind}"


def legacy_outbox_payload(person_id: int, kind: str) -> str:
    """The binding of rows queued before payloads were bound to their row (read only)."""
    return f"outbox.payload:{person_id}:{kind}"


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    key: str
    identity: Callable[[sqlite3.Row], str]
    # An older binding still found in rows written before it changed.
    legacy: Callable[[sqlite3.Row], str] | None = None


def _outbox_identity(row: sqlite3.Row) -> str:
    return outbox_payload(int(row["id"]), int(row["chat_id"]), int(row["person_id"]), row["kind"])


def _legacy_outbox_identity(row: sqlite3.Row) -> str:
    return legacy_outbox_payload(int(row["person_id"]), str(row["kind"]))


def open_value(sealer: Sealer, value: str, spec: SealedColumn, row: sqlite3.Row) -> str:
    """Open a sealed value of ``row``, under its binding or else its legacy one."""
    try:
        return sealer.open(value, spec.identity(row))
    except SealBrokenError:
        if spec.legacy is None:
            raise
        return sealer.open(value, spec.legacy(row))


SEALED_COLUMNS = (
    SealedColumn(
        "context_items",
        "body",
        "id",
        lambda r: context_body(int(r["person_id"]), int(r["telegram_message_id"])),
    ),
    SealedColumn(
        "trail_points",
        "body",
        "id",
        lambda r: trail_body(
            int(r["person_id"]), int(r["telegram_message_id"]), str(r["recorded_at"])
        ),
    ),
    SealedColumn(
        "timer_notes",
        "body",
        "person_id",
        lambda r: timer_note(int(r["person_id"]), str(r["started_at"])),
    ),
    SealedColumn(
        "incidents",
        "detail",
        "id",
        lambda r: incident_detail(int(r["id"]), int(r["person_id"])),
    ),
    SealedColumn(
        "instructions", "body", "person_id", lambda r: instructions_body(int(r["person_id"]))
    ),
    SealedColumn("people", "display_name", "id", lambda r: person_name(int(r["telegram_user_id"]))),
    SealedColumn(
        "contacts",
        "display_name",
        "id",
        lambda r: contact_name(int(r["person_id"]), int(r["chat_id"])),
    ),
    SealedColumn(
        "pin_prompts", "pending", "person_id", lambda r: prompt_pending(int(r["person_id"]))
    ),
    SealedColumn("outbox", "payload", "id", _outbox_identity, legacy=_legacy_outbox_identity),
    SealedColumn("teams", "name", "id", lambda r: team_name(int(r["id"]))),
    SealedColumn("teams", "duty_chat_name", "id", lambda r: duty_chat_name(int(r["id"]))),
    SealedColumn(
        "audit_events",
        "detail",
        "id",
        lambda r: audit_detail(int(r["id"]), int(r["team_id"])),
    ),
)


async def key_fits(tx: Transaction, sealer: Sealer) -> bool | None:
    """Return whether ``sealer`` opens this database's key check (``None``: none yet)."""
    row = await tx.fetch_one("SELECT value FROM runtime WHERE key = ?", (KEY_CHECK,))
    return key_opens(None if row is None else str(row["value"]), sealer)


def key_opens(key_check: str | None, sealer: Sealer) -> bool | None:
    """Return whether ``sealer`` opens a stored key check (``None``: there is none)."""
    if key_check is None:
        return None
    try:
        return sealer.open(key_check, _KEY_CHECK_IDENTITY) == _KEY_CHECK_TEXT
    except SealBrokenError:
        return False


async def reseal_all(tx: Transaction, old: Sealer | None, new: Sealer) -> int:
    """Re-encrypt every sealed value under ``new`` and record the new key check.

    ``old`` is the key the values are sealed with now; ``None`` means they may
    still be plaintext (a database from before encryption), which is sealed as is.
    Returns how many values were rewritten. Runs inside the caller's transaction:
    all or nothing.
    """
    rewritten = 0
    for spec in SEALED_COLUMNS:
        rows = await tx.fetch_all(f"SELECT * FROM {spec.table}")  # noqa: S608 -- fixed names
        for row in rows:
            value = row[spec.column]
            if value is None:
                continue
            identity = spec.identity(row)
            if Sealer.is_sealed(value):
                if old is None:
                    raise SealBrokenError(f"{spec.table}.{spec.column} is sealed under another key")
                plaintext = open_value(old, value, spec, row)
            else:
                plaintext = str(value)
            await tx.execute(
                f"UPDATE {spec.table} SET {spec.column} = ? WHERE {spec.key} = ?",  # noqa: S608
                (new.seal(plaintext, identity), row[spec.key]),
            )
            rewritten += 1
    await tx.execute(
        "INSERT INTO runtime (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEY_CHECK, new.seal(_KEY_CHECK_TEXT, _KEY_CHECK_IDENTITY)),
    )
    return rewritten
