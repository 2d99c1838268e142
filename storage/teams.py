"""Store teams, their coordinators and members, their one-time links and audit trail."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.people import Person
from bot.core.teams import AuditEntry, AuditEvent, Team, TeamDefaults, TeamLink, TeamLinkKind
from bot.crypto import SealBrokenError
from storage import onetime, sealing
from storage.database import Transaction, chunks, marks
from storage.people import person_from
from storage.timestamps import from_db, to_db
from storage.watches import plan_columns, plan_from, reminders_from, reminders_value

logger = logging.getLogger(__name__)


def _name(tx: Transaction, row: sqlite3.Row) -> str:
    """Return the team's name; "?" (logged by id) if it cannot be opened."""
    try:
        return tx.unseal(row["name"], sealing.team_name(int(row["id"])))
    except SealBrokenError:
        logger.error("the name of team %s cannot be opened", row["id"])
        return "?"


def _duty_chat_name(tx: Transaction, row: sqlite3.Row) -> str | None:
    if row["duty_chat_name"] is None:
        return None
    try:
        return tx.unseal(row["duty_chat_name"], sealing.duty_chat_name(int(row["id"])))
    except SealBrokenError:
        logger.error("the duty chat's name of team %s cannot be opened", row["id"])
        return "?"


def _team(tx: Transaction, row: sqlite3.Row) -> Team:
    grace = row["default_grace_seconds"]
    reminders = row["default_reminders"]
    return Team(
        id=int(row["id"]),
        name=_name(tx, row),
        defaults=TeamDefaults(
            plan=plan_from(row["default_every_seconds"], row["default_times"]),
            grace=None if grace is None else timedelta(seconds=int(grace)),
            reminders=None if reminders is None else reminders_from(reminders),
        ),
        duty_chat_id=row["duty_chat_id"],
        duty_tier=int(row["duty_tier"]),
        duty_chat_name=_duty_chat_name(tx, row),
    )


async def create(tx: Transaction, name: str, now: datetime) -> Team:
    """Record a new team called ``name``."""
    team_id = await tx.insert("INSERT INTO teams (name, created_at) VALUES ('', ?)", (to_db(now),))
    # Sealed once the row has its id: the name is bound to its team.
    await tx.execute(
        "UPDATE teams SET name = ? WHERE id = ?",
        (tx.seal(name, sealing.team_name(team_id)), team_id),
    )
    return Team(team_id, name)


async def by_id(tx: Transaction, team_id: int) -> Team | None:
    row = await tx.fetch_one("SELECT * FROM teams WHERE id = ?", (team_id,))
    return None if row is None else _team(tx, row)


async def set_defaults(tx: Transaction, team_id: int, defaults: TeamDefaults) -> None:
    """Replace the plan, grace and reminders a joining member gets."""
    every, times = plan_columns(defaults.plan)
    await tx.execute(
        "UPDATE teams SET default_every_seconds = ?, default_times = ?, "
        "default_grace_seconds = ?, default_reminders = ? WHERE id = ?",
        (
            every,
            times,
            None if defaults.grace is None else int(defaults.grace.total_seconds()),
            None if defaults.reminders is None else reminders_value(defaults.reminders),
            team_id,
        ),
    )


async def set_duty_tier(tx: Transaction, team_id: int, tier: int) -> None:
    """Make the duty chat a contact of this tier, for every member now and to come."""
    await tx.execute("UPDATE teams SET duty_tier = ? WHERE id = ?", (tier, team_id))
    await tx.execute("UPDATE contacts SET tier = ? WHERE duty_of = ?", (tier, team_id))


async def set_duty_chat(tx: Transaction, team_id: int, chat_id: int, name: str) -> None:
    """Make ``chat_id`` (called ``name``) the team's duty chat."""
    await tx.execute(
        "UPDATE teams SET duty_chat_id = ?, duty_chat_name = ? WHERE id = ?",
        (chat_id, tx.seal(name, sealing.duty_chat_name(team_id)), team_id),
    )


async def add_coordinator(tx: Transaction, team_id: int, person_id: int, now: datetime) -> bool:
    """Make the person a coordinator of the team; ``False`` if they already were."""
    changed = await tx.execute(
        "INSERT INTO coordinators (team_id, person_id, added_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (team_id, person_id, to_db(now)),
    )
    return changed == 1


async def remove_coordinator(tx: Transaction, team_id: int, person_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM coordinators WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    return changed == 1


async def is_coordinator(tx: Transaction, team_id: int, person_id: int) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM coordinators WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    return row is not None


async def coordinated_by(tx: Transaction, person_id: int) -> list[Team]:
    """Return the teams ``person_id`` coordinates, oldest first."""
    rows = await tx.fetch_all(
        "SELECT t.* FROM teams AS t JOIN coordinators AS c ON c.team_id = t.id "
        "WHERE c.person_id = ? ORDER BY t.id",
        (person_id,),
    )
    return [_team(tx, row) for row in rows]


async def coordinators_of(tx: Transaction, team_id: int) -> list[Person]:
    rows = await tx.fetch_all(
        "SELECT p.* FROM people AS p JOIN coordinators AS c ON c.person_id = p.id "
        "WHERE c.team_id = ? ORDER BY c.added_at, p.id",
        (team_id,),
    )
    return [person_from(tx, row) for row in rows]


async def add_member(tx: Transaction, team_id: int, person_id: int, now: datetime) -> bool:
    """Make the person a member of the team; ``False`` if they already were."""
    changed = await tx.execute(
        "INSERT INTO members (team_id, person_id, joined_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (team_id, person_id, to_db(now)),
    )
    return changed == 1


async def remove_member(tx: Transaction, team_id: int, person_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM members WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    return changed == 1


async def is_member(tx: Transaction, team_id: int, person_id: int) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 FROM members WHERE team_id = ? AND person_id = ?", (team_id, person_id)
    )
    return row is not None


async def members_of(tx: Transaction, team_id: int) -> list[Person]:
    rows = await tx.fetch_all(
        "SELECT p.* FROM people AS p JOIN members AS m ON m.person_id = p.id "
        "WHERE m.team_id = ? ORDER BY m.joined_at, p.id",
        (team_id,),
    )
    return [person_from(tx, row) for row in rows]


async def members_among(tx: Transaction, person_ids: Sequence[int]) -> frozenset[int]:
    """Return which of ``person_ids`` are members of any team, in one query."""
    found: set[int] = set()
    for chunk in chunks(person_ids):
        rows = await tx.fetch_all(
            f"SELECT DISTINCT person_id FROM members WHERE person_id IN ({marks(chunk)})",  # noqa: S608 -- only "?" marks are interpolated
            chunk,
        )
        found.update(int(row["person_id"]) for row in rows)
    return frozenset(found)


async def teams_of_member(tx: Transaction, person_id: int) -> list[Team]:
    """Return the teams that look after ``person_id``, oldest first."""
    rows = await tx.fetch_all(
        "SELECT t.* FROM teams AS t JOIN members AS m ON m.team_id = t.id "
        "WHERE m.person_id = ? ORDER BY t.id",
        (person_id,),
    )
    return [_team(tx, row) for row in rows]


def _link(row: sqlite3.Row) -> TeamLink:
    return TeamLink(
        id=int(row["id"]),
        team_id=int(row["team_id"]),
        kind=TeamLinkKind(row["kind"]),
        created_by=int(row["created_by"]),
        expires_at=from_db(row["expires_at"]),
        opened_by_user=row["opened_by_user"],
        opened_in_chat=row["opened_in_chat"],
        used_at=None if row["used_at"] is None else from_db(row["used_at"]),
    )


async def add_link(
    tx: Transaction,
    team_id: int,
    kind: TeamLinkKind,
    created_by: int,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO team_invites (team_id, kind, created_by, code_hash, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (team_id, kind.value, created_by, code_hash, to_db(now), to_db(expires_at)),
    )


async def link_by_hash(tx: Transaction, code_hash: str) -> TeamLink | None:
    row = await tx.fetch_one("SELECT * FROM team_invites WHERE code_hash = ?", (code_hash,))
    return None if row is None else _link(row)


async def link_by_id(tx: Transaction, link_id: int) -> TeamLink | None:
    row = await tx.fetch_one("SELECT * FROM team_invites WHERE id = ?", (link_id,))
    return None if row is None else _link(row)


async def mark_link_opened(tx: Transaction, link_id: int, user_id: int, chat_id: int) -> bool:
    """Bind the link to its first opener; ``True`` if it is bound to this one."""
    return await onetime.bind_to_first_opener(tx, "team_invites", link_id, user_id, chat_id)


async def mark_link_contested(tx: Transaction, link_id: int, now: datetime) -> bool:
    """Record that someone else opened a bound link; ``True`` only the first time."""
    return await onetime.note_contested(tx, "team_invites", link_id, now)


async def mark_link_used(tx: Transaction, link_id: int, now: datetime) -> bool:
    """Use the link once; ``False`` if it was already used (a double press)."""
    return await onetime.use(tx, "team_invites", link_id, now)


async def record_event(
    tx: Transaction,
    team_id: int,
    event: AuditEvent,
    now: datetime,
    *,
    subject: Person | None = None,
    actor: Person | None = None,
    detail: Mapping[str, str] | None = None,
) -> int:
    """Add an event to the team's audit trail, with the names as they are now; return its id."""
    event_id = await tx.insert(
        "INSERT INTO audit_events (team_id, person_id, actor_id, event, detail, created_at) "
        "VALUES (?, ?, ?, ?, '', ?)",
        (
            team_id,
            None if subject is None else subject.id,
            None if actor is None else actor.id,
            event.value,
            to_db(now),
        ),
    )
    body = {
        "subject": None if subject is None else subject.display_name,
        "actor": None if actor is None else actor.display_name,
        "detail": dict(detail or {}),
    }
    await tx.execute(
        "UPDATE audit_events SET detail = ? WHERE id = ?",
        (
            tx.seal(json.dumps(body, sort_keys=True), sealing.audit_detail(event_id, team_id)),
            event_id,
        ),
    )
    return event_id


def _entry(tx: Transaction, row: sqlite3.Row) -> AuditEntry:
    event_id, team_id = int(row["id"]), int(row["team_id"])
    try:
        body = json.loads(tx.unseal(row["detail"], sealing.audit_detail(event_id, team_id)))
    except (SealBrokenError, ValueError):
        logger.error("audit event %s cannot be opened", event_id)
        body = {"subject": "?", "actor": "?", "detail": {}}
    return AuditEntry(
        id=event_id,
        team_id=team_id,
        event=AuditEvent(row["event"]),
        created_at=from_db(row["created_at"]),
        subject=body.get("subject"),
        actor=body.get("actor"),
        detail={str(k): str(v) for k, v in (body.get("detail") or {}).items()},
    )


async def events(
    tx: Transaction, team_id: int, limit: int, before_id: int | None = None
) -> list[AuditEntry]:
    """Return up to ``limit`` of the team's events older than ``before_id``, newest first."""
    rows = await tx.fetch_all(
        "SELECT * FROM audit_events WHERE team_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (team_id, before_id if before_id is not None else 2**62, limit),
    )
    return [_entry(tx, row) for row in rows]


async def team_of_event(tx: Transaction, event_id: int) -> int | None:
    """Return the team an audit event belongs to."""
    row = await tx.fetch_one("SELECT team_id FROM audit_events WHERE id = ?", (event_id,))
    return None if row is None else int(row["team_id"])


async def prune_events(tx: Transaction, older_than: datetime) -> int:
    """Delete the events recorded before ``older_than``; return how many."""
    return await tx.execute("DELETE FROM audit_events WHERE created_at < ?", (to_db(older_than),))
