"""Is the bot watching? Answered from outside the process: the lock and the database.

``python -m bot health`` must answer even when the bot is frozen, so it never
asks the process anything. It reads:

- the database's lock (:mod:`bot.instance`): nobody holds it, no bot runs;
- ``runtime.last_tick_at``: the sweeper ticked within the last 3 ticks or 5 s,
  whichever is longer, or the bot is stuck;
- the outbox: no alert (nor all-clear) has waited undelivered beyond
  ``[monitoring] stuck_after``;
- ``runtime.telegram_at``: Telegram answered within the last 2 minutes (a long
  poll that returns empty counts).

The database is opened read-only; in WAL mode a frozen writer blocks no reader.
The bot itself runs the same checks for its heartbeat, from the same facts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.outbox import PRIORITY_ALL_CLEAR
from bot.instance import is_running
from storage import runtime
from storage.timestamps import from_db

# Telegram must have answered this recently (a long poll lasts at most a minute).
TELEGRAM_WITHIN = timedelta(minutes=2)
_SHORTEST_TICK_WINDOW = timedelta(seconds=5)
_TICKS = 3
# How long the read-only connection waits for a lock before giving up.
_BUSY_SECONDS = 2.0


@dataclass(frozen=True)
class Facts:
    """What the health checks look at, however they were read."""

    last_tick_at: datetime | None
    telegram_at: datetime | None
    # When the oldest alert (or all-clear) still waiting to be delivered was queued.
    oldest_alert_at: datetime | None


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    # One line for an operator (and the monitor's /fail ping); never content.
    reason: str


def judge(facts: Facts, now: datetime, tick: timedelta, stuck_after: timedelta) -> Verdict:
    """Return whether a running bot with these ``facts`` is watching, and why not."""
    window = max(tick * _TICKS, _SHORTEST_TICK_WINDOW)
    if facts.last_tick_at is None:
        return Verdict(False, "the bot has not ticked yet")
    silent = now - facts.last_tick_at
    if silent > window:
        return Verdict(False, f"the bot has not ticked for {_span(silent)} (frozen or stuck?)")
    if facts.oldest_alert_at is not None and now - facts.oldest_alert_at > stuck_after:
        waited = _span(now - facts.oldest_alert_at)
        return Verdict(False, f"an alert has waited {waited} undelivered (is Telegram reachable?)")
    if facts.telegram_at is None or now - facts.telegram_at > TELEGRAM_WITHIN:
        since = (
            "since the start"
            if facts.telegram_at is None
            else f"for {_span(now - facts.telegram_at)}"
        )
        return Verdict(False, f"Telegram has not answered {since}")
    return Verdict(True, "ok: ticking, alerts delivered, Telegram answering")


def _span(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def read_facts(connection: sqlite3.Connection) -> Facts:
    """Read the facts with a plain sqlite3 connection (no key needed: none is sealed)."""

    def moment(key: str) -> datetime | None:
        row = connection.execute("SELECT value FROM runtime WHERE key = ?", (key,)).fetchone()
        return None if row is None else from_db(row[0])

    oldest = connection.execute(
        "SELECT min(created_at) FROM outbox WHERE status = 'pending' AND priority <= ?",
        (PRIORITY_ALL_CLEAR,),
    ).fetchone()[0]
    return Facts(
        moment(runtime.LAST_TICK_AT),
        moment(runtime.TELEGRAM_AT),
        None if oldest is None else from_db(oldest),
    )


def check(database: Path, now: datetime, tick: timedelta, stuck_after: timedelta) -> Verdict:
    """Return the health of the bot running on ``database``, from outside it."""
    if not database.exists():
        return Verdict(False, f"no database at {database}: the bot has never run here")
    try:
        running = is_running(database)
    except PermissionError:
        return Verdict(False, f"cannot read {database}'s lock: run health as the bot's user")
    if not running:
        return Verdict(False, f"no bot is running on {database}")
    uri = f"{database.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=_BUSY_SECONDS)
        try:
            facts = read_facts(connection)
        finally:
            connection.close()
    except sqlite3.Error as error:
        return Verdict(False, f"cannot read the database: {type(error).__name__}")
    return judge(facts, now, tick, stuck_after)
