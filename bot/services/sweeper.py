"""The sweeper: find watches whose next moment has come, advance them, queue effects.

APScheduler (PTB's JobQueue) only ticks :meth:`Sweeper.sweep`; every deadline
lives in the database as ``wake_at``, so a restart loses nothing and the first
tick after downtime catches up on everything that came due meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.clock import Clock
from bot.core.incidents import AlertPolicy
from bot.core.watches import Effect, RaiseAlert, tick
from bot.services import alerting, duress
from bot.services.effects import record_effects
from storage import incidents as incident_repository
from storage import people as people_repository
from storage import phone_views, runtime
from storage import watches as watch_repository
from storage.database import Database

logger = logging.getLogger(__name__)

# Enough for one tick to clear a large backlog after an outage; one broken
# row never blocks the others, which are still taken in order of urgency.
BATCH = 1000


class _LostRaceError(Exception):
    """A compare-and-set lost: someone changed the row since it was read."""


class Sweeper:
    """Advance due watches, one transaction each."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: AlertPolicy,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._policy = policy
        self._on_queued = on_queued
        self._started_at: datetime | None = None
        self._offline_since: datetime | None = None
        # Rows that failed once: logged the first time only, retried every tick.
        self._broken: set[tuple[str, int]] = set()

    async def start(self) -> None:
        """Remember when the bot last ticked before this start: it was offline since then."""
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            self._offline_since = await runtime.get_moment(tx, runtime.LAST_TICK_AT)
        self._started_at = now
        if self._offline_since is not None:
            logger.info("the bot was offline since %s; catching up", self._offline_since)

    async def sweep(self) -> int:
        """Advance every watch and incident due by now; return how many were advanced."""
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            due = await watch_repository.due(tx, now, BATCH)
            due_incidents = await incident_repository.due(tx, now, BATCH)
            due_views = await phone_views.due(tx, now, BATCH)
        advanced = 0
        for person_id in due:
            try:
                advanced += await self._advance(person_id, now)
            except Exception:
                # One broken row must not stop the loop that guards everyone else.
                if ("watch", person_id) not in self._broken:
                    self._broken.add(("watch", person_id))
                    logger.exception(
                        "cannot advance the watch of person %s; skipping it", person_id
                    )
        for person_id in due_views:
            try:
                advanced += await self._advance_view(person_id, now)
            except Exception:
                if ("view", person_id) not in self._broken:
                    self._broken.add(("view", person_id))
                    logger.exception(
                        "cannot advance the phone view of person %s; skipping it", person_id
                    )
        for incident_id in due_incidents:
            try:
                advanced += await self._escalate(incident_id, now)
            except Exception:
                if ("incident", incident_id) not in self._broken:
                    self._broken.add(("incident", incident_id))
                    logger.exception("cannot advance incident %s; skipping it", incident_id)
        async with self._database.transaction() as tx:
            await runtime.set_moment(tx, runtime.LAST_TICK_AT, now)
        return advanced

    async def _advance(self, person_id: int, now: datetime) -> int:
        async with self._database.snapshot() as tx:
            watch = await watch_repository.load(tx, person_id)
        if watch is None:
            return 0
        transition = tick(watch, now)
        async with self._database.transaction() as tx:
            # Compare-and-set: a check-in may have landed since the watch was
            # read. Then this transition is stale; the next tick decides anew.
            saved = await watch_repository.save(tx, transition.watch)
            if saved is None:
                logger.info(
                    "the watch of person %s changed meanwhile; next tick retries", person_id
                )
                return 0
            person = await people_repository.by_id(tx, person_id)
            if person is None:  # pragma: no cover - the foreign key forbids it
                raise LookupError(f"person {person_id} has a watch but no row")
            # During a duress episode the phone hears only what its pretence calls for.
            pretending = await phone_views.load(tx, person_id) is not None
            queued = await record_effects(
                tx,
                person,
                transition.effects,
                now,
                self._policy,
                self._offline_for(transition.effects),
                to_phone=not pretending,
            )
        self._broken.discard(("watch", person_id))
        if queued:
            self._on_queued()
        return 1

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

    def _offline_for(self, effects: tuple[Effect, ...]) -> datetime | None:
        """Return since when the bot was offline, if these effects came due during it."""
        if self._offline_since is None or self._started_at is None:
            return None
        missed = [e for e in effects if isinstance(e, RaiseAlert) and e.due_at < self._started_at]
        return self._offline_since if missed else None
