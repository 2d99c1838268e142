"""Store PIN hashes, wrong-PIN counts and lock-outs, and pending PIN prompts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.gated import Unlock
from bot.core.pins import PinRecord
from storage import sealing
from storage.database import Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Prompt:
    """A PIN the bot waits for: to unlock a gated action, or to choose a new PIN."""

    purpose: str
    first_hash: str | None
    created_at: datetime
    # How the prompt itself was opened: a PIN chosen under duress is a duress PIN.
    unlock: Unlock = Unlock.REAL
    # Text the action carries (new instructions), opened from its sealed form.
    pending: str | None = None


async def load(tx: Transaction, person_id: int) -> PinRecord:
    row = await tx.fetch_one("SELECT * FROM pins WHERE person_id = ?", (person_id,))
    if row is None:
        return PinRecord()
    locked = row["locked_until"]
    return PinRecord(
        pin_hash=row["pin_hash"],
        duress_hashes=tuple(str(row["duress_hashes"]).split()),
        failures=int(row["failures"]),
        locked_until=None if locked is None else from_db(locked),
    )


async def save(tx: Transaction, person_id: int, record: PinRecord) -> None:
    locked = None if record.locked_until is None else to_db(record.locked_until)
    await tx.execute(
        "INSERT INTO pins (person_id, pin_hash, duress_hashes, failures, locked_until) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET pin_hash = excluded.pin_hash, "
        "duress_hashes = excluded.duress_hashes, failures = excluded.failures, "
        "locked_until = excluded.locked_until",
        (person_id, record.pin_hash, " ".join(record.duress_hashes), record.failures, locked),
    )


async def set_prompt(tx: Transaction, person_id: int, prompt: Prompt) -> None:
    pending = (
        None
        if prompt.pending is None
        else tx.seal(prompt.pending, sealing.prompt_pending(person_id))
    )
    await tx.execute(
        "INSERT INTO pin_prompts (person_id, purpose, first_hash, created_at, unlock, pending) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO UPDATE SET purpose = excluded.purpose, "
        "first_hash = excluded.first_hash, created_at = excluded.created_at, "
        "unlock = excluded.unlock, pending = excluded.pending",
        (
            person_id,
            prompt.purpose,
            prompt.first_hash,
            to_db(prompt.created_at),
            prompt.unlock.value,
            pending,
        ),
    )


async def load_prompt(tx: Transaction, person_id: int) -> Prompt | None:
    row = await tx.fetch_one("SELECT * FROM pin_prompts WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    pending = row["pending"]
    return Prompt(
        purpose=str(row["purpose"]),
        first_hash=row["first_hash"],
        created_at=from_db(row["created_at"]),
        unlock=Unlock(row["unlock"]),
        pending=None if pending is None else tx.unseal(pending, sealing.prompt_pending(person_id)),
    )


async def clear_prompt(tx: Transaction, person_id: int) -> None:
    await tx.execute("DELETE FROM pin_prompts WHERE person_id = ?", (person_id,))
