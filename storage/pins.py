"""Store PIN hashes, wrong-PIN counts and pending PIN prompts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class PinRecord:
    pin_hash: str | None
    duress_hash: str | None
    failures: int


@dataclass(frozen=True)
class Prompt:
    purpose: str
    first_hash: str | None
    created_at: datetime


async def load(tx: Transaction, person_id: int) -> PinRecord:
    row = await tx.fetch_one("SELECT * FROM pins WHERE person_id = ?", (person_id,))
    if row is None:
        return PinRecord(None, None, 0)
    return PinRecord(row["pin_hash"], row["duress_hash"], int(row["failures"]))


async def save(tx: Transaction, person_id: int, record: PinRecord) -> None:
    await tx.execute(
        "INSERT INTO pins (person_id, pin_hash, duress_hash, failures) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET pin_hash = excluded.pin_hash, "
        "duress_hash = excluded.duress_hash, failures = excluded.failures",
        (person_id, record.pin_hash, record.duress_hash, record.failures),
    )


async def set_prompt(
    tx: Transaction, person_id: int, purpose: str, first_hash: str | None, now: datetime
) -> None:
    await tx.execute(
        "INSERT INTO pin_prompts (person_id, purpose, first_hash, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET purpose = excluded.purpose, "
        "first_hash = excluded.first_hash, created_at = excluded.created_at",
        (person_id, purpose, first_hash, to_db(now)),
    )


async def load_prompt(tx: Transaction, person_id: int) -> Prompt | None:
    row = await tx.fetch_one("SELECT * FROM pin_prompts WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    return Prompt(str(row["purpose"]), row["first_hash"], from_db(row["created_at"]))


async def clear_prompt(tx: Transaction, person_id: int) -> None:
    await tx.execute("DELETE FROM pin_prompts WHERE person_id = ?", (person_id,))
