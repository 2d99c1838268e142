"""Incidents: alerts about one person, open until the all-clear."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.core.incidents import Incident
from bot.core.watches import AlertReason
from bot.crypto import SealBrokenError
from storage import sealing
from storage.database import Transaction
from storage.timestamps import from_db, to_db

logger = logging.getLogger(__name__)


def _optional(value: str | None) -> datetime | None:
    return None if value is None else from_db(value)


def _db(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def _detail(tx: Transaction, row: sqlite3.Row) -> dict[str, str]:
    """Open what a timer or ask alert carries; a damaged one is left out, never fatal
    (an empty note, which the alert reports as unreadable)."""
    if row["detail"] is None:
        return {}
    identity = sealing.incident_detail(int(row["id"]), int(row["person_id"]))
    try:
        opened = json.loads(tx.unseal(str(row["detail"]), identity))
    except (SealBrokenError, ValueError):
        logger.warning("the detail of incident %s cannot be opened; left out", row["id"])
        return {"note": ""}
    return {k: str(v) for k, v in opened.items()} if isinstance(opened, dict) else {}


def _incident(tx: Transaction, row: sqlite3.Row) -> Incident:
    detail = _detail(tx, row)
    return Incident(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        reason=AlertReason(row["reason"]),
        due_at=from_db(row["due_at"]),
        opened_at=from_db(row["opened_at"]),
        offline_since=_optional(row["offline_since"]),
        escalated_at=_optional(row["escalated_at"]),
        repeats=int(row["repeats"]),
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=_optional(row["acknowledged_at"]),
        closed_at=_optional(row["closed_at"]),
        version=int(row["version"]),
        wrong_pins=row["wrong_pins"],
        started_at=_optional(row["started_at"]),
        note=detail.get("note"),
        asker=detail.get("asker"),
    )


_OPEN = (
    "INSERT INTO incidents (id, person_id, reason, due_at, opened_at, offline_since, "
    "wrong_pins, escalated_at, wake_at, started_at, detail)"
)


async def open_incident(tx: Transaction, incident: Incident, wake_at: datetime | None) -> int:
    """Record a new alert (``incident``, whose id is not yet known) and return its id.

    The row is written with the transaction's next statement (see
    :meth:`Transaction.insert_later`): a sweep opens thousands together.
    """
    incident_id = await tx.reserve_ids("incidents", 1)
    detail = {
        key: value
        for key, value in (("note", incident.note), ("asker", incident.asker))
        if value is not None
    }
    sealed = (
        tx.seal(json.dumps(detail), sealing.incident_detail(incident_id, incident.person_id))
        if detail
        else None
    )
    tx.insert_later(
        _OPEN,
        [
            (
                incident_id,
                incident.person_id,
                incident.reason.value,
                to_db(incident.due_at),
                to_db(incident.opened_at),
                _db(incident.offline_since),
                incident.wrong_pins,
                _db(incident.escalated_at),
                _db(wake_at),
                _db(incident.started_at),
                sealed,
            )
        ],
        level=0,
    )
    return incident_id


async def load(tx: Transaction, incident_id: int) -> Incident | None:
    row = await tx.fetch_one("SELECT * FROM incidents WHERE id = ?", (incident_id,))
    return None if row is None else _incident(tx, row)


async def save(tx: Transaction, incident: Incident, wake_at: datetime | None) -> bool:
    """Write the incident if nobody changed it since it was read (compare-and-set)."""
    changed = await tx.execute(
        "UPDATE incidents SET escalated_at = ?, repeats = ?, acknowledged_by = ?, "
        "acknowledged_at = ?, closed_at = ?, wake_at = ?, version = version + 1 "
        "WHERE id = ? AND version = ?",
        (
            _db(incident.escalated_at),
            incident.repeats,
            incident.acknowledged_by,
            _db(incident.acknowledged_at),
            _db(incident.closed_at),
            _db(wake_at),
            incident.id,
            incident.version,
        ),
    )
    return changed == 1


async def due(tx: Transaction, now: datetime, limit: int) -> list[int]:
    """Return the ids of incidents whose escalation or repeat is due by ``now``."""
    rows = await tx.fetch_all(
        "SELECT id FROM incidents WHERE wake_at IS NOT NULL AND wake_at <= ? "
        "ORDER BY wake_at LIMIT ?",
        (to_db(now), limit),
    )
    return [int(row["id"]) for row in rows]


async def open_ones(tx: Transaction, person_id: int) -> list[Incident]:
    rows = await tx.fetch_all(
        "SELECT * FROM incidents WHERE person_id = ? AND closed_at IS NULL ORDER BY id",
        (person_id,),
    )
    return [_incident(tx, row) for row in rows]


async def has_open(tx: Transaction, person_id: int, reasons: Iterable[AlertReason]) -> bool:
    """Return whether ``person_id`` has an open incident for one of ``reasons``."""
    wanted = [reason.value for reason in reasons]
    if not wanted:
        return False
    marks = ", ".join("?" for _ in wanted)
    row = await tx.fetch_one(
        f"SELECT 1 FROM incidents WHERE person_id = ? AND closed_at IS NULL "  # noqa: S608 -- only "?" marks are interpolated
        f"AND reason IN ({marks}) LIMIT 1",
        (person_id, *wanted),
    )
    return row is not None


async def close_open(tx: Transaction, person_id: int, now: datetime) -> list[Incident]:
    """Close every open incident of ``person_id``; return them as they were."""
    open_incidents = await open_ones(tx, person_id)
    await tx.execute(
        "UPDATE incidents SET closed_at = ?, wake_at = NULL, version = version + 1 "
        "WHERE person_id = ? AND closed_at IS NULL",
        (to_db(now), person_id),
    )
    return open_incidents


async def alerted_contacts(tx: Transaction, incident_id: int) -> list[int]:
    """Return the ids of contacts an alert of this incident was queued for."""
    rows = await tx.fetch_all(
        "SELECT DISTINCT contact_id FROM outbox WHERE incident_id = ? AND kind = 'alert' "
        "AND contact_id IS NOT NULL ORDER BY contact_id",
        (incident_id,),
    )
    return [int(row["contact_id"]) for row in rows]
