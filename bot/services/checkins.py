"""The activist's use cases: set a plan, check in, pause, resume, raise SOS.

Each use case reads the clock once, then in one transaction loads the watch,
applies the pure transition, saves it with a compare-and-set and queues the
messages its effects call for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.core import gated
from bot.core import watches as machine
from bot.core.contacts import ContactStatus
from bot.core.gated import Unlock
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.core.plans import DailyPlan, IntervalPlan, Plan, next_slot, plan_text
from bot.core.teams import AuditEvent, TeamDefaults
from bot.core.watches import Effect, Refusal, Transition, Watch
from bot.services import asks, duress, oversight
from bot.services.effects import record_effects
from bot.settings import CheckinSettings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import incidents as incident_repository
from storage import timers
from storage import watches as watch_repository
from storage.database import Database, Transaction

MAX_DAILY_TIMES = 12
MAX_REMINDER = timedelta(days=2)


def _daily_problem(times: Sequence[time], min_interval: timedelta) -> Problem | None:
    ordered = sorted(set(times))
    if len(ordered) > MAX_DAILY_TIMES:
        return Problem.TOO_MANY_TIMES
    minutes = [t.hour * 60 + t.minute for t in ordered]
    # The gap from the last slot to the first one of the next day counts too.
    gaps = [b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 1440], strict=True)]
    if len(ordered) > 1 and min(gaps) * 60 < min_interval.total_seconds():
        return Problem.TIMES_TOO_CLOSE
    return None


class Problem(StrEnum):
    """Why a requested setting is not acceptable; the handler explains it."""

    INTERVAL_TOO_SHORT = "interval_too_short"
    INTERVAL_TOO_LONG = "interval_too_long"
    TIMES_TOO_CLOSE = "times_too_close"
    TOO_MANY_TIMES = "too_many_times"
    PAUSE_TOO_LONG = "pause_too_long"
    GRACE_TOO_LONG = "grace_too_long"
    REMINDER_TOO_LONG = "reminder_too_long"
    TIMER_TOO_SHORT = "timer_too_short"
    TIMER_TOO_LONG = "timer_too_long"


@dataclass(frozen=True)
class Outcome:
    """What a use case did: the watch as the phone is shown it, the effects, and when."""

    watch: Watch
    effects: tuple[machine.Effect, ...]
    at: datetime
    # A check-in that ended a running timer (the reply says so).
    timer_ended: bool = False


@dataclass(frozen=True)
class StatusView:
    """Everything ``/status`` shows, as the phone is to believe it."""

    watch: Watch
    contacts: int
    unreachable: int
    has_instructions: bool
    at: datetime


Result = Outcome | Refusal | Problem
Change = Callable[[Watch, datetime], Transition | Refusal]
# What the trail of the person's teams records of a change: the event and its detail.
Audit = tuple[AuditEvent, dict[str, str]]
# Done in the same transaction after a change to the real watch was saved, at
# the change's moment; returns how many messages it queued.
AfterReal = Callable[[Transaction, Watch, datetime], Awaitable[int]]
# The extensions a timer's buttons offer (bot.texts.timers.MORE); nothing else is
# taken, even from a forged button or a stored PIN prompt.
TIMER_EXTENSIONS = (timedelta(minutes=30), timedelta(hours=1))
# The alerts the watch itself raises (and a check-in on it ends).
_WATCH_REASONS = frozenset(
    {machine.AlertReason.MISSED, machine.AlertReason.TIMER, machine.AlertReason.SOS}
)


class CheckinService:
    """Run the activist's check-in use cases.

    Every change takes an :class:`Unlock`: ``REAL`` changes the real watch (and
    the phone's view, while a duress episode shows the phone a pretence);
    ``DURESS`` changes only the phone's view and keeps the silent alarm going
    (see :mod:`bot.services.duress`). Replies are rendered from what the phone
    is shown, so both look alike to the byte.
    """

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
        self._pretence = duress.Pretence(policy, self.new_watch)

    @property
    def pretence(self) -> duress.Pretence:
        """Return the door to the duress episode, for the other services to share."""
        return self._pretence

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
        """Return the person's watch as their phone is shown it."""
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            watch = view.watch if view is not None else await watch_repository.load(tx, person.id)
        return watch or self.new_watch(person)

    async def status(self, person: Person) -> StatusView:
        """Return what ``/status`` shows: plan, state, contacts, instructions, as believed."""
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            watch = view.watch if view is not None else await watch_repository.load(tx, person.id)
            hidden = frozenset() if view is None else view.hidden_contacts
            contacts = [
                c for c in await contact_repository.contacts_of(tx, person.id) if c.id not in hidden
            ]
            if view is not None:
                has_instructions = view.has_instructions
            else:
                instructions = await context_repository.load_instructions(tx, person.id)
                has_instructions = instructions is not None
        return StatusView(
            watch=watch or self.new_watch(person),
            contacts=len(contacts),
            unreachable=sum(1 for c in contacts if c.status is ContactStatus.UNREACHABLE),
            has_instructions=has_instructions,
            at=now,
        )

    def problem_with(self, action: gated.GatedAction) -> Problem | None:
        """Return why a setting cannot be taken, checked before the PIN is even asked."""
        limits = self._settings
        if isinstance(action, gated.SetInterval) and action.seconds is not None:
            every = timedelta(seconds=action.seconds)
            if every < limits.min_interval:
                return Problem.INTERVAL_TOO_SHORT
            if every > limits.max_interval:
                return Problem.INTERVAL_TOO_LONG
        if isinstance(action, gated.SetDaily):
            return _daily_problem(action.times, limits.min_interval)
        if isinstance(action, gated.SetGrace) and action.seconds > limits.max_grace.total_seconds():
            return Problem.GRACE_TOO_LONG
        if isinstance(action, gated.SetReminder):
            longest = MAX_REMINDER.total_seconds()
            return Problem.REMINDER_TOO_LONG if (action.seconds or 0) > longest else None
        if isinstance(action, gated.Pause) and action.seconds > limits.max_pause.total_seconds():
            return Problem.PAUSE_TOO_LONG
        if isinstance(action, gated.StartTimer) and action.seconds is not None:
            return self.timer_problem(timedelta(seconds=action.seconds))
        if isinstance(action, gated.ExtendTimer):
            allowed = {int(extension.total_seconds()) for extension in TIMER_EXTENSIONS}
            return None if action.seconds in allowed else Problem.TIMER_TOO_LONG
        return None

    def timer_problem(self, length: timedelta) -> Problem | None:
        """Return why a timer this long cannot be set: the plan's bounds apply."""
        if length < self._settings.min_interval:
            return Problem.TIMER_TOO_SHORT
        if length > self._settings.max_interval:
            return Problem.TIMER_TOO_LONG
        return None

    async def check_in(self, person: Person, unlock: Unlock = Unlock.REAL) -> Result:
        """Record a check-in; a real one also ends every alert and any duress episode."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            outcome, queued = await self.check_in_within(tx, person, unlock, now)
        if queued:
            self._on_queued()
        return outcome

    async def check_in_within(
        self, tx: Transaction, person: Person, unlock: Unlock, now: datetime
    ) -> tuple[Result, bool]:
        """Do what :meth:`check_in` does inside the caller's transaction.

        Return the result and whether messages were queued; the caller wakes
        delivery (``wake``) once the transaction committed.
        """
        window = self._settings.daily_window
        if unlock is Unlock.DURESS:
            view = await self._pretence.begin(tx, person, now)
            shown = await self._show(
                tx, person, view, lambda w, at: machine.check_in(w, at, window), now
            )
            if isinstance(shown, Outcome):
                shown = replace(shown, timer_ended=view.watch.has_timer)
            return shown, True
        watch = await self._real_watch(tx, person)
        result = machine.check_in(watch, now, window)
        if watch.has_timer:
            # "I'm back": what the timer said is no longer needed.
            await timers.forget(tx, person.id)
        # Compare-and-set against the version read in this transaction: the
        # sweeper's own transaction cannot interleave, but a lost race still fails loudly.
        saved = await self._save(tx, result.watch)
        await duress.end(tx, person.id)
        effects = result.effects
        # Alerts the watch itself does not know of (duress, wrong PINs) end too.
        if not effects and await incident_repository.open_ones(tx, person.id):
            effects = (machine.AllClear(now),)
        queued = await record_effects(tx, person, effects, now, self._policy)
        queued += await asks.answer_waiting(tx, person, now)
        return Outcome(saved, effects, now, timer_ended=watch.has_timer), bool(queued)

    def wake(self) -> None:
        """Tell delivery that messages were queued by a transaction that committed."""
        self._on_queued()

    async def set_interval(
        self, person: Person, every: timedelta | None, unlock: Unlock = Unlock.REAL
    ) -> Result:
        """Adopt an interval plan (the configured default when ``every`` is None)."""
        every = every or self._settings.default_interval
        problem = self.problem_with(gated.SetInterval(int(every.total_seconds())))
        if problem is not None:
            return problem
        return await self._set_plan(person, IntervalPlan(every), unlock)

    async def set_daily(
        self, person: Person, times: Sequence[time], unlock: Unlock = Unlock.REAL
    ) -> Result:
        """Adopt a plan of daily times; slots must be at least ``min_interval`` apart."""
        ordered = tuple(sorted(set(times)))
        problem = self.problem_with(gated.SetDaily(ordered))
        if problem is not None:
            return problem
        return await self._set_plan(person, DailyPlan(ordered), unlock)

    async def _set_plan(self, person: Person, plan: Plan, unlock: Unlock) -> Result:
        window = self._settings.daily_window
        return await self._apply(
            person,
            lambda w, now: machine.set_plan(w, plan, now, window),
            unlock,
            (AuditEvent.PLAN_CHANGED, {"plan": plan_text(plan)}),
        )

    async def set_zone(self, person: Person, zone: str, unlock: Unlock = Unlock.REAL) -> Result:
        window = self._settings.daily_window
        return await self._apply(
            person,
            lambda w, now: machine.set_zone(w, zone, now, window),
            unlock,
            (AuditEvent.ZONE_CHANGED, {"zone": zone}),
        )

    async def set_grace(
        self, person: Person, grace: timedelta, unlock: Unlock = Unlock.REAL
    ) -> Result:
        problem = self.problem_with(gated.SetGrace(int(grace.total_seconds())))
        if problem is not None:
            return problem
        return await self._apply(
            person,
            lambda w, _now: machine.set_grace(w, grace),
            unlock,
            (AuditEvent.GRACE_CHANGED, {"seconds": str(int(grace.total_seconds()))}),
        )

    async def set_reminder(
        self, person: Person, before: timedelta | None, unlock: Unlock = Unlock.REAL
    ) -> Result:
        """Remind ``before`` each deadline, or never when ``before`` is None."""
        seconds = None if before is None else int(before.total_seconds())
        problem = self.problem_with(gated.SetReminder(seconds))
        if problem is not None:
            return problem
        reminders = () if before is None else (before,)
        return await self._apply(
            person,
            lambda w, now: machine.set_reminders(w, reminders, now),
            unlock,
            (AuditEvent.REMINDERS_CHANGED, {"seconds": "off" if seconds is None else str(seconds)}),
        )

    async def pause(
        self, person: Person, duration: timedelta, unlock: Unlock = Unlock.REAL
    ) -> Result:
        problem = self.problem_with(gated.Pause(int(duration.total_seconds())))
        if problem is not None:
            return problem
        return await self._apply(
            person,
            lambda w, now: machine.pause(w, now + duration),
            unlock,
            (AuditEvent.PAUSED, {"seconds": str(int(duration.total_seconds()))}),
        )

    async def resume(self, person: Person, unlock: Unlock = Unlock.REAL) -> Result:
        window = self._settings.daily_window
        return await self._apply(
            person,
            lambda w, now: machine.resume(w, now, window),
            unlock,
            (AuditEvent.RESUMED, {}),
        )

    async def adopt_defaults(self, person: Person, defaults: TeamDefaults) -> Watch | None:
        """Give someone without a plan a team's default plan, grace and reminders, at once.

        Nothing happens (``None``) if they have a plan already, the team has no
        default plan, or their phone is in a duress episode. Each change is in
        the trail like one the person made.
        """
        if defaults.plan is None:
            return None
        now = self._clock.now()
        window = self._settings.daily_window
        async with self._database.transaction() as tx:
            watch = await self._real_watch(tx, person)
            if watch.plan is not None or await duress.view_of(tx, person.id) is not None:
                return None
            effects: list[Effect] = []
            audits: list[tuple[AuditEvent, dict[str, str]]] = []
            if defaults.grace is not None:
                grace = machine.set_grace(watch, defaults.grace)
                if isinstance(grace, Transition):
                    watch, effects = grace.watch, [*effects, *grace.effects]
                    seconds = str(int(defaults.grace.total_seconds()))
                    audits.append((AuditEvent.GRACE_CHANGED, {"seconds": seconds}))
            if defaults.reminders is not None:
                reminded = machine.set_reminders(watch, defaults.reminders, now)
                watch, effects = reminded.watch, [*effects, *reminded.effects]
                first = defaults.reminders[0] if defaults.reminders else None
                seconds = "off" if first is None else str(int(first.total_seconds()))
                audits.append((AuditEvent.REMINDERS_CHANGED, {"seconds": seconds}))
            planned = machine.set_plan(watch, defaults.plan, now, window)
            watch = await self._save(tx, planned.watch)
            await record_effects(
                tx, person, (*effects, *planned.effects), now, self._policy, to_phone=True
            )
            audits.append((AuditEvent.PLAN_CHANGED, {"plan": plan_text(defaults.plan)}))
            for event, detail in audits:
                await oversight.record(tx, person, event, now, detail)
        self._on_queued()
        return watch

    async def start_timer(
        self, person: Person, action: gated.StartTimer, unlock: Unlock = Unlock.REAL
    ) -> Result:
        """Start a timed check-in (replacing a running one); its note is kept sealed.

        A timer "until 15:30" ends at the next 15:30 in the zone of the watch
        it is set on.
        """
        now = self._clock.now()
        until = action.until
        if until is not None:
            zone = (await self.watch_of(person)).zone
            problem = self.timer_problem(next_slot(DailyPlan((until,)), zone, now) - now)
        else:
            problem = self.problem_with(action)
        if problem is not None:
            return problem
        if unlock is Unlock.REAL and await self._alert_beyond_the_watch(person):
            return Refusal.OPEN_ALERT
        seconds = timedelta(seconds=action.seconds or 0)
        reminder = self._settings.timer_reminder
        window = self._settings.daily_window

        def change(watch: Watch, at: datetime) -> Transition | Refusal:
            ends_at = (
                at + seconds if until is None else next_slot(DailyPlan((until,)), watch.zone, at)
            )
            return machine.start_timer(watch, at, ends_at, reminder, window)

        async def keep_note(tx: Transaction, watch: Watch, at: datetime) -> int:
            if watch.timer_started_at is not None:
                await timers.keep_note(tx, person.id, watch.timer_started_at, action.note)
            # A sign of life like a check-in: whoever asked "are you OK?" hears so.
            return await asks.answer_waiting(tx, person, at)

        return await self._apply(person, change, unlock, after_real=keep_note)

    async def extend_timer(
        self, person: Person, by: timedelta, unlock: Unlock = Unlock.REAL
    ) -> Result:
        """Give the running timer more time; it counts as a check-in."""
        problem = self.problem_with(gated.ExtendTimer(int(by.total_seconds())))
        if problem is not None:
            return problem
        if unlock is Unlock.REAL and await self._alert_beyond_the_watch(person):
            return Refusal.OPEN_ALERT
        window = self._settings.daily_window

        async def answer_asks(tx: Transaction, _: Watch, at: datetime) -> int:
            return await asks.answer_waiting(tx, person, at)

        return await self._apply(
            person,
            lambda w, now: machine.extend_timer(w, now, by, window),
            unlock,
            after_real=answer_asks,
        )

    async def _alert_beyond_the_watch(self, person: Person) -> bool:
        """Whether an alert the watch does not know of is open (a duress PIN, wrong PINs,
        an unanswered ask): only a check-in ends it, which a timer is not."""
        async with self._database.snapshot() as tx:
            return any(
                incident.reason not in _WATCH_REASONS
                for incident in await incident_repository.open_ones(tx, person.id)
            )

    async def note_timer(self, person: Person, note: str) -> bool:
        """Keep ``note`` for the timer that runs; ``False`` if none runs for real.

        While the phone is shown a pretence, the real timer (if any) keeps what
        it had: the words are the caller's to keep as ordinary last words.
        """
        async with self._database.transaction() as tx:
            if await duress.view_of(tx, person.id) is not None:
                return False
            watch = await watch_repository.load(tx, person.id)
            if watch is None or watch.timer_started_at is None:
                return False
            await timers.keep_note(tx, person.id, watch.timer_started_at, note)
        return True

    async def raise_sos(self, person: Person) -> Result:
        """Raise the alarm at once; never behind a PIN, always for real."""
        return await self._apply(person, machine.raise_sos, Unlock.REAL)

    async def _apply(
        self,
        person: Person,
        change: Change,
        unlock: Unlock,
        audit: Audit | None = None,
        *,
        after_real: AfterReal | None = None,
    ) -> Result:
        """Apply ``change`` for real (and to the phone's view, if any), atomically.

        1. Change the real watch and queue its effects; while the phone is shown
           a pretence, messages meant for the phone come from the pretence instead.
        2. Change the phone's view the same way, and answer from it.
        3. Record ``audit`` in the trail of the person's teams, if the change was made.
        """
        if unlock is Unlock.DURESS:
            return await self._pretend(person, change, audit)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            watch = await self._real_watch(tx, person)
            view = await duress.view_of(tx, person.id)
            result = change(watch, now)
            queued = 0
            if isinstance(result, Transition):
                watch = await self._save(tx, result.watch)
                queued = await record_effects(
                    tx, person, result.effects, now, self._policy, to_phone=view is None
                )
                if audit is not None:
                    await oversight.record(tx, person, audit[0], now, audit[1])
                if after_real is not None:
                    queued += await after_real(tx, watch, now)
            outcome: Result = (
                result if isinstance(result, Refusal) else Outcome(watch, result.effects, now)
            )
            if view is not None:
                outcome = await self._show(tx, person, view, change, now)
        if queued or view is not None:
            self._on_queued()
        return outcome

    async def _pretend(self, person: Person, change: Change, audit: Audit | None) -> Result:
        """Apply ``change`` to the phone's view only, keeping the silent alarm going.

        The trail records what it really was: asked for with the duress PIN, not done.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            view = await self._pretence.begin(tx, person, now)
            outcome = await self._show(tx, person, view, change, now)
            if audit is not None and not isinstance(outcome, Refusal):
                detail = {**audit[1], "under_duress": "yes"}
                await oversight.record(tx, person, audit[0], now, detail)
        self._on_queued()
        return outcome

    async def _show(
        self, tx: Transaction, person: Person, view: PhoneView, change: Change, now: datetime
    ) -> Result:
        """Apply ``change`` to what the phone is shown; queue only what the phone expects."""
        shown = change(view.watch, now)
        if isinstance(shown, Refusal):
            return shown
        view = await duress.save_view(tx, replace(view, watch=shown.watch))
        await record_effects(tx, person, shown.effects, now, self._policy, alerts=False)
        return Outcome(view.watch, shown.effects, now)

    async def _real_watch(self, tx: Transaction, person: Person) -> Watch:
        watch = await watch_repository.load(tx, person.id)
        if watch is None:
            watch = await watch_repository.create(tx, self.new_watch(person))
        return watch

    async def _save(self, tx: Transaction, watch: Watch) -> Watch:
        # Compare-and-set against the version read in this transaction.
        saved = await watch_repository.save(tx, watch)
        if saved is None:
            raise duress.ConcurrentChangeError("the watch changed while it was being updated")
        return saved
