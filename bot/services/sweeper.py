"""The sweeper: find watches whose next moment has come, advance them, queue effects.

APScheduler (PTB's JobQueue) only ticks :meth:`Sweeper.sweep`; every deadline
lives in the database as ``wake_at``, so a restart loses nothing and the first
tick after downtime catches up on everything that came due meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core.incidents import AlertPolicy
from bot.core.watches import AlertReason, Effect, Prompt, RaiseAlert, Transition, tick
from bot.services import alerting, asks, duress
from bot.services.effects import record_effects
from storage import asks as ask_repository
from storage import incidents as incident_repository
from storage import people as people_repository
from storage import phone_views, runtime
from storage import watches as watch_repository
from storage.database import Database, Transaction
from storage.watches import DuePage, DueWatch, UnreadableWatch

logger = logging.getLogger(__name__)

# Watches advanced per transaction: large enough that the fixed cost of a batch
# (its reads, its commit, the trips to the database thread) is small beside its
# watches (500 take about 150 ms on 2 cores, 15-20 % faster in all than 200);
# small enough that a check-in or SOS waiting for the database waits briefly.
BATCH = 500


# How long one sweep goes on taking the deadlines that pass while it runs: long
# enough for any crowd, short enough that escalations are never held back long.
FOLLOW_FOR = timedelta(seconds=10)

# When Telegram last answered is stored this often at most (health asks for 2 min).
TELEGRAM_EVERY = timedelta(seconds=20)

# A sweep this large, or this slow, is logged.
LOG_CROWD = 100
LOG_SLOW_SECONDS = 1.0


class _LostRaceError(Exception):
    """A compare-and-set lost: someone changed the row since it was read."""


@dataclass
class _Written:
    """What writing one batch did, watch by watch."""

    saved: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    queued: int = 0


class Sweeper:
    """Advance due watches in batches, one transaction per batch."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: AlertPolicy,
        on_queued: Callable[[], None] = lambda: None,
        catch_up_grace: timedelta = timedelta(0),
    ) -> None:
        self._database = database
        self._clock = clock
        self._policy = policy
        self._on_queued = on_queued
        self._started_at: datetime | None = None
        self._offline_since: datetime | None = None
        self._catch_up_grace = catch_up_grace
        # Until then, alerts for deadlines missed during the downtime wait, and
        # the activists are prompted once (whom, by person id).
        self._hold_until: datetime | None = None
        self._prompted: set[int] = set()
        # Rows that failed once: logged the first time only, retried every tick.
        self._broken: set[tuple[str, int]] = set()
        # The catch-up at start runs beside the first ticks: one sweep at a time.
        self._sweeping = asyncio.Lock()
        # The earliest moment anything is due, as the last sweep left it: the
        # wiring may sweep right then instead of at the next tick.
        self.next_wake: datetime | None = None
        # The moment the last sweep advanced everything due by.
        self.swept_at: datetime | None = None
        # When Telegram last answered, as the wiring hears it, and as last stored.
        self.telegram_at: datetime | None = None
        self._telegram_stored: datetime | None = None

    async def start(self) -> None:
        """Remember when the bot last ticked before this start: it was offline since then."""
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            self._offline_since = await runtime.get_moment(tx, runtime.LAST_TICK_AT)
        self._started_at = now
        if self._offline_since is not None:
            logger.info("the bot was offline since %s; catching up", self._offline_since)
            if self._catch_up_grace > timedelta(0):
                self._hold_until = now + self._catch_up_grace
                logger.info(
                    "deadlines missed while offline prompt first and alert from %s",
                    self._hold_until,
                )

    @property
    def offline_for(self) -> timedelta | None:
        """Return how long the bot was down before this start (``None``: first start)."""
        if self._offline_since is None or self._started_at is None:
            return None
        return self._started_at - self._offline_since

    async def sweep(self) -> int:
        """Advance every watch and incident due by now; return how many were advanced.

        Sweeps until nothing is due, each row at most once: a row that could
        not be advanced (broken, or changed meanwhile) waits for the next tick.
        """
        async with self._sweeping:
            started = time.monotonic()
            advanced = await self._sweep_all()
        took = time.monotonic() - started
        # Content-free and rare: a catch-up or a crowd of deadlines, worth an operator's eye.
        if advanced >= LOG_CROWD or took >= LOG_SLOW_SECONDS:
            logger.info("swept %d due items in %.2f s", advanced, took)
        return advanced

    async def _sweep_all(self) -> int:
        advanced, now = await self._sweep_watches(self._clock.now())
        advanced += await self._sweep_each("view", phone_views.due, self._advance_view, now)
        advanced += await self._sweep_each("incident", incident_repository.due, self._escalate, now)
        advanced += await self._sweep_each("ask", ask_repository.due, self._expire_ask, now)
        telegram_at = self.telegram_at
        # Bookkeeping only ("still alive", when Telegram answered): not worth a disk
        # flush every second. What matters was committed, durably, on its own.
        async with self._database.transaction(durable=False) as tx:
            await runtime.set_moment(tx, runtime.LAST_TICK_AT, now)
            if telegram_at is not None and (
                self._telegram_stored is None
                or telegram_at - self._telegram_stored >= TELEGRAM_EVERY
            ):
                await runtime.set_moment(tx, runtime.TELEGRAM_AT, telegram_at)
                self._telegram_stored = telegram_at
            self.next_wake = await runtime.next_wake(tx)
        self.swept_at = now
        return advanced

    async def _sweep_watches(self, now: datetime) -> tuple[int, datetime]:
        """Advance due watches a batch at a time, most overdue first, until none is left.

        Deadlines that pass meanwhile are taken too, for up to ``FOLLOW_FOR``: a
        crowd coming due over a second goes out in one sweep instead of waiting
        for the next tick. Return how many were advanced, and the moment by
        which every due watch was.
        """
        advanced = 0
        after = watch_repository.START
        until = now + FOLLOW_FOR
        while True:
            page = await self._load_batch(now, after)
            if not page.entries:
                return advanced, now
            after = page.last
            advanced += await self._advance_batch(page.entries, now)
            # Never backwards, should the wall clock be set back meanwhile.
            now = max(now, min(self._clock.now(), until))

    async def _load_batch(self, now: datetime, after: watch_repository.Cursor) -> DuePage:
        async def load(tx: Transaction) -> DuePage:
            return await watch_repository.due_page(tx, now, after, BATCH)

        return await self._database.inline(load, write=False)

    async def _advance_batch(self, entries: list[DueWatch | UnreadableWatch], now: datetime) -> int:
        """Apply the pure transition to each watch, then write the batch in one transaction."""
        steps: list[tuple[DueWatch, Transition]] = []
        for entry in entries:
            if isinstance(entry, UnreadableWatch):
                self._skip("watch", entry.person_id, entry.error)
                continue
            try:
                steps.append((entry, tick(entry.watch, now)))
            except Exception as error:  # one broken watch must not stop the rest
                self._skip("watch", entry.watch.person_id, error)
        held: list[tuple[DueWatch, Transition]] = []
        if self._hold_until is not None:
            going: list[tuple[DueWatch, Transition]] = []
            for step in steps:
                (held if self._held(step[1], now) else going).append(step)
            steps = going
        if held:
            await self._prompt_held(held, now)
        # A watch that failed before goes alone, so that it fails alone.
        alone = [step for step in steps if ("watch", step[0].watch.person_id) in self._broken]
        together = [
            step for step in steps if ("watch", step[0].watch.person_id) not in self._broken
        ]
        advanced = await self._one_by_one(alone, now)
        if len(together) > 1:
            try:
                return advanced + await self._write(together, now)
            except Exception:
                # Something in the batch failed (one poisoned watch, or the
                # commit): write each watch in a transaction of its own, so that
                # it cannot hold back the rest.
                logger.exception(
                    "a batch of %d watches failed; writing them one by one", len(together)
                )
        return advanced + await self._one_by_one(together, now)

    async def _one_by_one(self, steps: list[tuple[DueWatch, Transition]], now: datetime) -> int:
        advanced = 0
        for step in steps:
            try:
                advanced += await self._write([step], now)
            except Exception as error:  # logged once by _skip
                self._skip("watch", step[0].watch.person_id, error)
        return advanced

    async def _write(self, steps: list[tuple[DueWatch, Transition]], now: datetime) -> int:
        """Save each watch and queue its effects, all in one transaction; return how many.

        The whole batch runs on the database thread in one trip, and its rows go
        out in a few multi-row statements at the end. Any error undoes the whole
        batch (the caller then writes the watches one by one).
        """

        async def write(tx: Transaction) -> _Written:
            written = _Written()
            # Read inside the write transaction, not with the batch: a duress
            # episode may begin meanwhile without touching the watch's version.
            pretending = await watch_repository.pretending_among(
                tx, [entry.watch.person_id for entry, _ in steps]
            )
            # Compare-and-set, all at once: a check-in may have landed since a
            # watch was read. Then its transition is stale; the next tick decides anew.
            saved = await watch_repository.save_all(tx, [t.watch for _, t in steps])
            # Whoever opens an alert now: their contacts and attachments, read
            # for the whole batch at once (nothing below changes them).
            known = await alerting.read_ahead(
                tx,
                [
                    entry.watch.person_id
                    for entry, transition in steps
                    if entry.watch.person_id in saved
                    and any(isinstance(e, RaiseAlert) for e in transition.effects)
                ],
                now,
            )
            for entry, transition in steps:
                person_id = entry.watch.person_id
                if person_id not in saved:
                    written.lost.append(person_id)
                    continue
                written.queued += await record_effects(
                    tx,
                    entry.person,
                    transition.effects,
                    now,
                    self._policy,
                    self._offline_for(transition.effects),
                    # During a duress episode the phone hears only what its pretence calls for.
                    to_phone=person_id not in pretending,
                    known=known,
                )
                written.saved.append(person_id)
            return written

        written = await self._database.inline(write)
        for person_id in written.lost:
            logger.info("the watch of person %s changed meanwhile; next tick retries", person_id)
        for person_id in written.saved:
            self._broken.discard(("watch", person_id))
        if written.queued:
            self._on_queued()
        return len(written.saved)

    async def _sweep_each(
        self,
        what: str,
        due: Callable[[Transaction, datetime, int], Awaitable[list[int]]],
        advance: Callable[[int, datetime], Awaitable[int]],
        now: datetime,
    ) -> int:
        """Advance each due row of one kind until none is left, each at most once."""
        tried: set[int] = set()
        advanced = 0
        while True:
            async with self._database.snapshot() as tx:
                # Rows tried in this sweep may still be due: ask for that many more.
                ids = [i for i in await due(tx, now, BATCH + len(tried)) if i not in tried]
            if not ids:
                return advanced
            for row_id in ids:
                tried.add(row_id)
                try:
                    advanced += await advance(row_id, now)
                except Exception as error:  # one broken row must not stop the rest
                    self._skip(what, row_id, error)

    def _skip(self, what: str, row_id: int, error: Exception) -> None:
        """Log a row that cannot be advanced, the first time only; it is retried every tick."""
        # One broken row must not stop the loop that guards everyone else.
        if (what, row_id) not in self._broken:
            self._broken.add((what, row_id))
            logger.error("cannot advance %s %s; skipping it", what, row_id, exc_info=error)

    async def _advance_view(self, person_id: int, now: datetime) -> int:
        """Send the phone the reminders and prompts its pretence calls for; never alerts."""
        async with self._database.transaction() as tx:
            view = await phone_views.load(tx, person_id)
            person = await people_repository.by_id(tx, person_id)
            if view is None or person is None:
                return 0
            transition = tick(view.watch, now)
            # Compare-and-set inside this transaction: a pretended change landing
            # between the read and the save would make the save fail loudly.
            await duress.save_view(tx, replace(view, watch=transition.watch))
            queued = await record_effects(
                tx, person, transition.effects, now, self._policy, alerts=False
            )
        self._broken.discard(("view", person_id))
        if queued:
            self._on_queued()
        return 1

    async def _escalate(self, incident_id: int, now: datetime) -> int:
        try:
            async with self._database.transaction() as tx:
                incident = await incident_repository.load(tx, incident_id)
                if incident is None:
                    return 0
                if not await alerting.advance_incident(tx, incident, now, self._policy):
                    # Raising rolls back the rows queued above; the next tick decides anew.
                    raise _LostRaceError
        except _LostRaceError:
            logger.info("incident %s changed meanwhile; next tick retries", incident_id)
            return 0
        self._on_queued()
        return 1

    async def _expire_ask(self, ask_id: int, now: datetime) -> int:
        """An "are you OK?" went unanswered: every contact is alerted."""
        async with self._database.transaction() as tx:
            queued = await asks.expire(tx, ask_id, now, self._policy)
        self._broken.discard(("ask", ask_id))
        if queued:
            self._on_queued()
        return 1

    def _held(self, transition: Transition, now: datetime) -> bool:
        """Whether this transition alerts about a deadline missed while the bot was down,
        during the catch-up grace: then it waits (the watch stays due, unchanged)."""
        if self._hold_until is None or self._started_at is None or now >= self._hold_until:
            return False
        started_at = self._started_at
        return any(
            isinstance(effect, RaiseAlert) and effect.due_at < started_at
            for effect in transition.effects
        )

    async def _prompt_held(self, held: list[tuple[DueWatch, Transition]], now: datetime) -> None:
        """Prompt each held activist once: check in before the alert goes out."""
        hold_until = self._hold_until
        fresh = [step for step in held if step[0].watch.person_id not in self._prompted]
        if hold_until is None or not fresh:
            return
        async with self._database.transaction() as tx:
            pretending = await watch_repository.pretending_among(
                tx, [entry.watch.person_id for entry, _ in fresh]
            )
            for entry, transition in fresh:
                alert = next(e for e in transition.effects if isinstance(e, RaiseAlert))
                if entry.watch.person_id not in pretending:
                    prompt = Prompt(alert.due_at, hold_until, alert.reason is AlertReason.TIMER)
                    await record_effects(tx, entry.person, (prompt,), now, self._policy)
        self._prompted.update(entry.watch.person_id for entry, _ in fresh)
        self._on_queued()

    def _offline_for(self, effects: tuple[Effect, ...]) -> datetime | None:
        """Return since when the bot was offline, if these effects came due during it."""
        if self._offline_since is None or self._started_at is None:
            return None
        missed = [e for e in effects if isinstance(e, RaiseAlert) and e.due_at < self._started_at]
        return self._offline_since if missed else None
