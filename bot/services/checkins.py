"""The activist's use cases: set a plan, check in, pause, resume, raise SOS.

Each use case reads the clock once, then in one transaction loads the watch,
applies the pure transition, saves it with a compare-and-set and queues the
messages its effects call for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.core import watches as machine
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.plans import DailyPlan, IntervalPlan, Plan
from bot.core.watches import Refusal, Transition, Watch
from bot.services.effects import record_effects
from bot.settings import CheckinSettings
from storage import watches as watch_repository
from storage.database import Database

MAX_DAILY_TIMES = 12
MAX_GRACE = timedelta(days=1)
MAX_REMINDER = timedelta(days=2)


class Problem(StrEnum):
    """Why a requested setting is not acceptable; the handler explains it."""

    INTERVAL_TOO_SHORT = "interval_too_short"
    TIMES_TOO_CLOSE = "times_too_close"
    TOO_MANY_TIMES = "too_many_times"
    PAUSE_TOO_LONG = "pause_too_long"
    GRACE_TOO_LONG = "grace_too_long"
    REMINDER_TOO_LONG = "reminder_too_long"


class ConcurrentChangeError(RuntimeError):
    """Raised when the watch changed between reading and saving inside one transaction.

    The database lock makes this impossible within one process; it means a
    second process is writing the same database file.
    """


@dataclass(frozen=True)
class Outcome:
    """What a use case did: the watch as saved, the effects it queued, and when."""

    watch: Watch
    effects: tuple[machine.Effect, ...]
    at: datetime


Result = Outcome | Refusal | Problem


class CheckinService:
    """Run the activist's check-in use cases."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: CheckinSettings,
        policy: AlertPolicy,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._policy = policy
        self._on_queued = on_queued

    def new_watch(self, person: Person) -> Watch:
        """Return the watch a person has before they set anything."""
        reminder = self._settings.default_reminder
        return Watch(
            person_id=person.id,
            zone=self._settings.default_timezone,
            grace=self._settings.default_grace,
            reminders=() if reminder is None else (reminder,),
        )

    async def watch_of(self, person: Person) -> Watch:
        """Return the person's watch (a fresh one if they never set anything)."""
        async with self._database.snapshot() as tx:
            watch = await watch_repository.load(tx, person.id)
        return watch or self.new_watch(person)

    async def look(self, person: Person) -> Outcome:
        """Return the person's watch as it stands now, changing nothing."""
        now = self._clock.now()
        return Outcome(await self.watch_of(person), (), now)

    async def check_in(self, person: Person, *, duress: bool = False) -> Result:
        window = self._settings.daily_window
        return await self._apply(
            person, lambda w, now: machine.check_in(w, now, window), duress=duress
        )

    async def set_interval(self, person: Person, every: timedelta | None) -> Result:
        """Arm an interval plan (the configured default when ``every`` is None)."""
        every = every or self._settings.default_interval
        if every < self._settings.min_interval:
            return Problem.INTERVAL_TOO_SHORT
        return await self._set_plan(person, IntervalPlan(every))

    async def set_daily(self, person: Person, times: list[time]) -> Result:
        """Arm a plan of daily times; slots must be at least ``min_interval`` apart."""
        ordered = sorted(set(times))
        if len(ordered) > MAX_DAILY_TIMES:
            return Problem.TOO_MANY_TIMES
        minutes = [t.hour * 60 + t.minute for t in ordered]
        # The gap from the last slot to the first one of the next day counts too.
        gaps = [b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 1440], strict=True)]
        if len(ordered) > 1 and min(gaps) * 60 < self._settings.min_interval.total_seconds():
            return Problem.TIMES_TOO_CLOSE
        return await self._set_plan(person, DailyPlan(tuple(ordered)))

    async def _set_plan(self, person: Person, plan: Plan) -> Result:
        window = self._settings.daily_window
        return await self._apply(person, lambda w, now: machine.set_plan(w, plan, now, window))

    async def set_zone(self, person: Person, zone: str) -> Result:
        window = self._settings.daily_window
        return await self._apply(person, lambda w, now: machine.set_zone(w, zone, now, window))

    async def set_grace(self, person: Person, grace: timedelta) -> Result:
        if grace > MAX_GRACE:
            return Problem.GRACE_TOO_LONG
        return await self._apply(person, lambda w, _now: machine.set_grace(w, grace))

    async def set_reminder(self, person: Person, before: timedelta | None) -> Result:
        """Remind ``before`` each deadline, or never when ``before`` is None."""
        if before is not None and before > MAX_REMINDER:
            return Problem.REMINDER_TOO_LONG
        reminders = () if before is None else (before,)
        return await self._apply(person, lambda w, now: machine.set_reminders(w, reminders, now))

    async def pause(self, person: Person, duration: timedelta, *, duress: bool = False) -> Result:
        if duration > self._settings.max_pause:
            return Problem.PAUSE_TOO_LONG
        return await self._apply(
            person, lambda w, now: machine.pause(w, now + duration), duress=duress
        )

    async def resume(self, person: Person, *, duress: bool = False) -> Result:
        window = self._settings.daily_window
        return await self._apply(
            person, lambda w, now: machine.resume(w, now, window), duress=duress
        )

    async def raise_duress(self, person: Person) -> Result:
        """Alert every contact silently, changing nothing the phone could show."""
        return await self._apply(person, lambda w, _now: Transition(w), duress=True)

    async def raise_sos(self, person: Person) -> Result:
        return await self._apply(person, machine.raise_sos)

    async def _apply(
        self,
        person: Person,
        change: Callable[[Watch, datetime], Transition | Refusal],
        *,
        duress: bool = False,
    ) -> Result:
        """Apply ``change`` to the person's watch and queue its effects, atomically.

        Under ``duress`` (the duress PIN unlocked the change) the change happens as
        asked, so the phone shows exactly what it always shows, but the contacts
        get a duress alert instead of any all-clear. The outcome reports the
        effects as if nothing were wrong, for the reply to be identical.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            watch = await watch_repository.load(tx, person.id)
            if watch is None:
                watch = await watch_repository.create(tx, self.new_watch(person))
            result = change(watch, now)
            if isinstance(result, Refusal):
                return result
            # Compare-and-set against the version read above (see ConcurrentChangeError).
            saved = await watch_repository.save(tx, result.watch)
            if saved is None:
                raise ConcurrentChangeError("the watch changed while it was being updated")
            effects: tuple[machine.Effect, ...] = result.effects
            if duress:
                alarm = machine.RaiseAlert(machine.AlertReason.DURESS, now, watch.last_checkin_at)
                kept = [e for e in effects if not isinstance(e, machine.AllClear)]
                effects = (*kept, alarm)
            queued = await record_effects(tx, person, effects, now, self._policy)
        if queued:
            self._on_queued()
        return Outcome(saved, result.effects, now)
