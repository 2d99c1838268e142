"""Store and load :class:`bot.core.watches.Watch` rows, with a compare-and-set on save."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from bot.core.people import Person
from bot.core.plans import DailyPlan, IntervalPlan, Plan
from bot.core.watches import Watch, WatchState
from storage.database import Transaction, chunks, marks
from storage.people import person_from
from storage.timestamps import from_db, to_db

# Shared with storage.phone_views, whose rows hold a watch too.
WATCH_COLUMNS = (
    "zone, grace_seconds, reminders, plan_every_seconds, plan_times, state, deadline_at, "
    "reminders_done, last_checkin_at, paused_until, wake_at, "
    "timer_started_at, timer_ends_at, timer_reminder_seconds"
)


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else from_db(value)


def _optional_db(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def plan_columns(plan: Plan | None) -> tuple[int | None, str | None]:
    if isinstance(plan, IntervalPlan):
        return int(plan.every.total_seconds()), None
    if isinstance(plan, DailyPlan):
        return None, ",".join(f"{t.hour:02d}:{t.minute:02d}" for t in plan.times)
    return None, None


def plan_from(every_seconds: int | None, times: str | None) -> Plan | None:
    if every_seconds is not None:
        return IntervalPlan(timedelta(seconds=every_seconds))
    if times:
        return DailyPlan(tuple(time.fromisoformat(t) for t in times.split(",")))
    return None


def reminders_value(reminders: tuple[timedelta, ...]) -> str:
    """Return the stored form of reminders: seconds before the deadline, comma-separated."""
    return ",".join(str(int(r.total_seconds())) for r in reminders)


def reminders_from(value: str) -> tuple[timedelta, ...]:
    """Return the reminders of their stored form."""
    return tuple(timedelta(seconds=int(r)) for r in value.split(",")) if value else ()


def values_of(watch: Watch) -> tuple[object, ...]:
    every, times = plan_columns(watch.plan)
    return (
        watch.zone,
        int(watch.grace.total_seconds()),
        reminders_value(watch.reminders),
        every,
        times,
        watch.state.value,
        _optional_db(watch.deadline_at),
        watch.reminders_done,
        _optional_db(watch.last_checkin_at),
        _optional_db(watch.paused_until),
        _optional_db(watch.wake_at),
        _optional_db(watch.timer_started_at),
        _optional_db(watch.timer_ends_at),
        None if watch.timer_reminder is None else int(watch.timer_reminder.total_seconds()),
    )


def watch_from(row: sqlite3.Row) -> Watch:
    return Watch(
        person_id=int(row["person_id"]),
        zone=str(row["zone"]),
        grace=timedelta(seconds=int(row["grace_seconds"])),
        reminders=reminders_from(row["reminders"]),
        plan=plan_from(row["plan_every_seconds"], row["plan_times"]),
        state=WatchState(row["state"]),
        deadline_at=_optional_time(row["deadline_at"]),
        reminders_done=int(row["reminders_done"]),
        last_checkin_at=_optional_time(row["last_checkin_at"]),
        paused_until=_optional_time(row["paused_until"]),
        timer_started_at=_optional_time(row["timer_started_at"]),
        timer_ends_at=_optional_time(row["timer_ends_at"]),
        timer_reminder=None
        if row["timer_reminder_seconds"] is None
        else timedelta(seconds=int(row["timer_reminder_seconds"])),
        version=int(row["version"]),
    )


async def load(tx: Transaction, person_id: int) -> Watch | None:
    """Return the person's watch, or ``None`` if they never had one."""
    row = await tx.fetch_one("SELECT * FROM watches WHERE person_id = ?", (person_id,))
    return None if row is None else watch_from(row)


async def create(tx: Transaction, watch: Watch) -> Watch:
    """Insert a new watch at version 0 and return it."""
    await tx.execute(
        f"INSERT INTO watches (person_id, {WATCH_COLUMNS}, version) "  # noqa: S608 -- fixed column list
        f"VALUES (?, {', '.join('?' for _ in WATCH_COLUMNS.split(','))}, 0)",
        (watch.person_id, *values_of(watch)),
    )
    return replace(watch, version=0)


# Built once: a sweep saves thousands of watches.
_SAVE = (
    "UPDATE watches SET "  # noqa: S608 -- fixed columns
    + ", ".join(f"{column.strip()} = ?" for column in WATCH_COLUMNS.split(","))
    + ", version = version + 1 WHERE person_id = ? AND version = ?"
)


async def save(tx: Transaction, watch: Watch) -> Watch | None:
    """Write ``watch`` if nobody changed it since it was read; return it with its new version.

    Compare-and-set: the update only matches while the stored version is the
    one ``watch`` was read at. ``None`` means another writer (a check-in racing
    the sweeper, say) won; the caller must re-read and decide again.
    """
    changed = await tx.execute(_SAVE, (*values_of(watch), watch.person_id, watch.version))
    return replace(watch, version=watch.version + 1) if changed == 1 else None


async def save_all(tx: Transaction, watches: Sequence[Watch]) -> set[int]:
    """Write each of ``watches`` that nobody changed since it was read; return whose were.

    :func:`save` for many at once (compare-and-set each): the others lost a
    race and must be read and decided anew.
    """
    stored: dict[int, int] = {}
    for chunk in chunks([watch.person_id for watch in watches]):
        rows = await tx.fetch_all(
            f"SELECT person_id, version FROM watches WHERE person_id IN ({marks(chunk)})",  # noqa: S608 -- only "?" marks are interpolated
            chunk,
        )
        stored.update((int(row[0]), int(row[1])) for row in rows)
    current = [watch for watch in watches if stored.get(watch.person_id) == watch.version]
    changed = await tx.execute_many(
        _SAVE, [(*values_of(watch), watch.person_id, watch.version) for watch in current]
    )
    if changed != len(current):
        # Nothing else writes inside this transaction: the same watch given twice.
        raise ValueError("a watch was given twice, or changed inside its own transaction")
    return {watch.person_id for watch in current}


async def due(tx: Transaction, now: datetime, limit: int) -> list[int]:
    """Return the ids of people whose watch must be looked at by ``now``, most overdue first."""
    rows = await tx.fetch_all(
        "SELECT person_id FROM watches WHERE wake_at IS NOT NULL AND wake_at <= ? "
        "ORDER BY wake_at LIMIT ?",
        (to_db(now), limit),
    )
    return [int(row["person_id"]) for row in rows]


@dataclass(frozen=True)
class DueWatch:
    """A due watch with what advancing it needs: its person, and whether a pretence runs."""

    watch: Watch
    person: Person


@dataclass(frozen=True)
class UnreadableWatch:
    """A due watch whose row (or its person's) cannot be read; the others go on."""

    person_id: int
    error: Exception


# Where a page of due watches ended: (stored wake_at, person_id).
Cursor = tuple[str, int]
START: Cursor = ("", 0)


@dataclass(frozen=True)
class DuePage:
    """One batch of due watches in order of urgency, and where the next batch starts."""

    entries: list[DueWatch | UnreadableWatch]
    last: Cursor


async def due_page(tx: Transaction, now: datetime, after: Cursor, limit: int) -> DuePage:
    """Return up to ``limit`` watches due by ``now`` that come after ``after``, most overdue first.

    One query loads the watches and their people.
    Paging on (wake_at, person_id) lets one sweep walk every due watch once,
    past rows it could not advance, without taking any twice.
    """
    rows = await tx.fetch_all(
        "SELECT w.*, p.id AS id, p.telegram_user_id, p.language, p.display_name, "
        "p.created_at, p.seen_at "
        "FROM watches AS w JOIN people AS p ON p.id = w.person_id "
        "WHERE w.wake_at IS NOT NULL AND w.wake_at <= ? AND w.wake_at >= ? "
        "AND (w.wake_at > ? OR w.person_id > ?) "
        "ORDER BY w.wake_at, w.person_id LIMIT ?",
        (to_db(now), after[0], after[0], after[1], limit),
    )
    entries: list[DueWatch | UnreadableWatch] = []
    for row in rows:
        try:
            entries.append(DueWatch(watch_from(row), person_from(tx, row)))
        except Exception as error:  # any damage to one row is that row's alone
            entries.append(UnreadableWatch(int(row["person_id"]), error))
    last = (str(rows[-1]["wake_at"]), int(rows[-1]["person_id"])) if rows else after
    return DuePage(entries, last)


async def pretending_among(tx: Transaction, person_ids: Sequence[int]) -> set[int]:
    """Return which of ``person_ids`` are in a duress episode (their phone has a view)."""
    found: set[int] = set()
    for chunk in chunks(person_ids):
        rows = await tx.fetch_all(
            f"SELECT person_id FROM phone_views WHERE person_id IN ({marks(chunk)})",  # noqa: S608 -- only "?" marks are interpolated
            chunk,
        )
        found.update(int(row["person_id"]) for row in rows)
    return found
