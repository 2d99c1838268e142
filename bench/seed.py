"""Seed a benchmark database through the project's own migrations, key and repositories.

Statements go through the real repositories (``storage.people``, ``storage.watches``,
``storage.contacts``, ``storage.context``) inside a real :class:`Transaction` with the
real :class:`Sealer`; only the connection under it is a direct ``sqlite3`` one, so that
100,000 watches are written in seconds instead of one thread hop per statement.

The world seeded (every moment relative to ``T0``, the bot's last tick before the run):

- ``watches`` activists on interval plans of 24-72 h, 30 min grace, a 1 h reminder, in
  six time zones, checked in at ``T0``: nothing of theirs comes due for a day.
- ``due`` of them instead checked in a day before, so that their grace ends at
  ``DUE_AT`` = ``T0`` + 1 h, all in the same second. Each has 3 private contacts,
  2 texts and a location.
- One more activist (the SOS person) with 3 contacts, not due.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.context import ContextKind
from bot.core.plans import IntervalPlan
from bot.core.watches import Watch, check_in, set_plan, tick
from bot.keys import unlock
from bot.settings import Settings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import people as people_repository
from storage import runtime
from storage import watches as watch_repository
from storage.database import Database, Transaction
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DUE_AT = T0 + timedelta(hours=1)
GRACE = timedelta(minutes=30)
REMINDERS = (timedelta(hours=1),)
WINDOW = timedelta(hours=2)
ZONES = ("UTC", "Europe/Moscow", "Asia/Ashgabat", "Asia/Tehran", "Europe/Istanbul", "Asia/Baku")
CONTACTS_PER_DUE = 3
# Telegram ids: activists from here up, their contacts' private chats from CONTACT_BASE.
ACTIVIST_BASE = 10_000_000
CONTACT_BASE = 500_000_000
# Rows per transaction while seeding.
CHUNK = 5_000


@dataclass(frozen=True)
class Seeded:
    """What a template holds: who is due, who raises the SOS, and how long seeding took."""

    path: Path
    watches: int
    due: tuple[int, ...]  # Telegram user ids of the activists due at DUE_AT
    sos: int  # Telegram user id of the activist who will raise an SOS
    seconds: float

    def contact_chats(self, telegram_user_id: int) -> tuple[int, ...]:
        """Return the private chat ids of an activist's contacts."""
        first = CONTACT_BASE + (telegram_user_id - ACTIVIST_BASE) * CONTACTS_PER_DUE
        return tuple(range(first, first + CONTACTS_PER_DUE))


def _chunks(ids: range, size: int) -> Iterator[range]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def seed(settings: Settings, watches: int, due: int) -> Seeded:
    """Create the database of ``settings`` with ``watches`` watches, ``due`` of them due."""
    started = time.perf_counter()
    path = settings.storage.path
    clock = FakeClock(T0)
    database = await Database.open(path)
    try:
        await apply_migrations(database, clock)
        sealer = await unlock(database, settings)
        async with database.transaction() as tx:
            await runtime.set_moment(tx, runtime.LAST_TICK_AT, T0)
    finally:
        await database.close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys=ON")
    # Seeding only: a crash means seeding again, so skip the fsyncs.
    connection.execute("PRAGMA synchronous=OFF")
    tx = Transaction.direct(connection, sealer)
    # Spread the due activists evenly through the population.
    step = max(1, watches // max(1, due))
    due_indexes = set(range(0, step * due, step))
    sos_index = watches  # one more, after everyone else
    try:
        for chunk in _chunks(range(watches + 1), CHUNK):
            connection.execute("BEGIN")
            for index in chunk:
                alerted = index in due_indexes or index == sos_index
                person_id = await _seed_activist(tx, index, alerted)
                if index in due_indexes:
                    await _make_due(tx, person_id)
            connection.execute("COMMIT")
    finally:
        connection.close()
    return Seeded(
        path=path,
        watches=watches,
        due=tuple(sorted(ACTIVIST_BASE + i for i in due_indexes)),
        sos=ACTIVIST_BASE + sos_index,
        seconds=time.perf_counter() - started,
    )


async def _seed_activist(tx: Transaction, index: int, with_contacts: bool) -> int:
    """Write one activist checked in at T0 on a 24-72 h plan (with contacts if asked).

    Return the person's id.
    """
    telegram_user_id = ACTIVIST_BASE + index
    person = await people_repository.upsert(tx, telegram_user_id, "en", f"Activist {index}", T0)
    watch = Watch(person.id, ZONES[index % len(ZONES)], GRACE, REMINDERS)
    every = timedelta(hours=24 + (index * 7919) % 49)
    armed = check_in(set_plan(watch, IntervalPlan(every), T0, WINDOW).watch, T0, WINDOW).watch
    await watch_repository.create(tx, armed)
    if not with_contacts:
        return person.id
    first_chat = CONTACT_BASE + index * CONTACTS_PER_DUE
    for n in range(CONTACTS_PER_DUE):
        await contact_repository.upsert_contact(
            tx,
            person_id=person.id,
            chat_id=first_chat + n,
            is_group=False,
            display_name=f"Contact {n} of {index}",
            language="en",
            tier=1,
            now=T0,
        )
    for message_id, text in ((1, "Going to the court hearing"), (2, "Police at the entrance")):
        body = {"text": text}
        await context_repository.record(tx, person.id, message_id, ContextKind.TEXT, body, T0)
    location = {"latitude": 37.95, "longitude": 58.38}
    await context_repository.record(tx, person.id, 3, ContextKind.LOCATION, location, T0)
    return person.id


async def _make_due(tx: Transaction, person_id: int) -> None:
    """Move the activist's last check-in back so that grace ends at DUE_AT."""
    watch = await watch_repository.load(tx, person_id)
    if watch is None or not isinstance(watch.plan, IntervalPlan):
        raise RuntimeError(f"person {person_id} was seeded without an interval plan")
    checked_in_at = DUE_AT - GRACE - watch.plan.every
    armed = check_in(watch, checked_in_at, WINDOW).watch
    # Past the deadline, grace running: the pure machine prompts and waits for DUE_AT.
    waiting = tick(armed, DUE_AT - GRACE).watch
    if waiting.wake_at != DUE_AT:
        raise RuntimeError(f"seeded watch wakes at {waiting.wake_at}, not {DUE_AT}")
    if await watch_repository.save(tx, waiting) is None:
        raise RuntimeError("seeded watch changed while seeding")
