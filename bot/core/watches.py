"""The check-in state machine: a watch, the transitions that move it, their effects.

Pure functions over frozen dataclasses: ``(watch, now, ...) -> Transition`` or a
:class:`Refusal`. Nothing here reads a clock or touches I/O; the services persist
the new watch and turn the effects into outbox rows in one transaction.

A watch stores ``deadline_at``, the *logical* moment the next (or pending)
check-in is due, and exposes :attr:`Watch.wake_at`, the next moment something
must happen to it. :func:`tick` applies everything that came due up to ``now``
in order, so a tick after an outage of any length lands in the same state as
ticking every second would, and each deadline's effects are emitted at most once.
Stale reminders and prompts (whose moment passed while nobody could act on them)
are dropped; an alert never is. ``watches.md`` beside this module draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from bot.core.plans import DailyPlan, Plan, deadline_after_checkin

_T = TypeVar("_T")


class WatchState(StrEnum):
    UNARMED = "unarmed"  # no plan yet: nothing can be missed
    OK = "ok"  # waiting for the next deadline
    DUE = "due"  # deadline passed, in grace; the activist was prompted
    OVERDUE = "overdue"  # grace passed; the contacts are being alerted
    PAUSED = "paused"  # no deadline until paused_until
    SOS = "sos"  # the activist raised the alarm


class AlertReason(StrEnum):
    MISSED = "missed"
    SOS = "sos"
    # Checked in (or paused, resumed …) with the duress PIN: possible coercion.
    DURESS = "duress"
    # Too many wrong PINs in a row on the activist's phone.
    PIN_FAILURES = "pin_failures"
    # A timed check-in (/timer) ended and its grace passed without "I'm back".
    TIMER = "timer"
    # A contact asked "are you OK?" and no answer came in time.
    ASK = "ask"


class Refusal(StrEnum):
    """Why a command cannot change the watch; the handler explains it."""

    NO_PLAN = "no_plan"
    OPEN_ALERT = "open_alert"
    NOT_PAUSED = "not_paused"
    # A check-in is due now: this change would postpone the alert.
    CHECK_IN_FIRST = "check_in_first"
    # A timer runs: it must end (a check-in) before a pause.
    TIMER_RUNNING = "timer_running"
    # No timer runs, so there is none to extend.
    NO_TIMER = "no_timer"
    # Paused: a timer needs the watch running.
    PAUSED = "paused"


# Effects: what must happen in the world because of a transition.


@dataclass(frozen=True)
class Remind:
    """Remind the activist that a check-in is due at ``deadline_at``.

    ``timer``: the deadline is the end of a timed check-in, not the plan's.
    """

    deadline_at: datetime
    timer: bool = False


@dataclass(frozen=True)
class Prompt:
    """Tell the activist the deadline passed; contacts hear at ``grace_ends_at``."""

    deadline_at: datetime
    grace_ends_at: datetime
    timer: bool = False


@dataclass(frozen=True)
class RaiseAlert:
    """Alert the contacts. ``due_at`` is the logical moment: the missed deadline or the SOS.

    ``started_at``: for a missed timer, when the timer was started.
    """

    reason: AlertReason
    due_at: datetime
    last_checkin_at: datetime | None
    started_at: datetime | None = None


@dataclass(frozen=True)
class AllClear:
    """Tell everyone alerted that the activist checked in at ``checked_in_at``."""

    checked_in_at: datetime


@dataclass(frozen=True)
class PauseEnded:
    """Tell the activist the pause ended at ``ended_at`` and the next deadline."""

    ended_at: datetime
    deadline_at: datetime


Effect = Remind | Prompt | RaiseAlert | AllClear | PauseEnded


@dataclass(frozen=True)
class Watch:
    """One activist's promise to check in, and where it stands."""

    person_id: int
    zone: str
    grace: timedelta
    # Offsets before the deadline, largest first (so their moments are in time order).
    reminders: tuple[timedelta, ...]
    plan: Plan | None = None
    state: WatchState = WatchState.UNARMED
    deadline_at: datetime | None = None
    # How many of `reminders` were handled (sent or skipped) for `deadline_at`.
    reminders_done: int = 0
    last_checkin_at: datetime | None = None
    paused_until: datetime | None = None
    # A timed check-in (/timer): when it started and ends, and the reminder
    # before its end. While it runs the deadline is the sooner of its end and
    # the plan's next deadline; any check-in ends it.
    timer_started_at: datetime | None = None
    timer_ends_at: datetime | None = None
    timer_reminder: timedelta | None = None
    # Bumped by the repository on every save; the compare-and-set reads it.
    version: int = 0

    def __post_init__(self) -> None:
        if list(self.reminders) != sorted(set(self.reminders), reverse=True):
            raise ValueError("reminder offsets must be distinct and largest first")

    @property
    def has_timer(self) -> bool:
        return self.timer_ends_at is not None

    @property
    def timer_governs(self) -> bool:
        """Return whether the current deadline is the end of the timer (not the plan's)."""
        return self.timer_ends_at is not None and self.deadline_at == self.timer_ends_at

    @property
    def offsets(self) -> tuple[timedelta, ...]:
        """Return the reminder offsets of the current deadline: the timer's or the plan's."""
        if self.timer_governs:
            return () if self.timer_reminder is None else (self.timer_reminder,)
        return self.reminders

    @property
    def wake_at(self) -> datetime | None:
        """Return the next moment something must happen to this watch, if any."""
        if self.state is WatchState.PAUSED:
            return self.paused_until
        if self.deadline_at is None:
            return None
        if self.state is WatchState.OK:
            offsets = self.offsets
            if self.reminders_done < len(offsets):
                return self.deadline_at - offsets[self.reminders_done]
            return self.deadline_at
        if self.state is WatchState.DUE:
            return self.deadline_at + self.grace
        return None

    @property
    def grace_ends_at(self) -> datetime | None:
        """Return when contacts would be alerted about the current deadline."""
        return None if self.deadline_at is None else self.deadline_at + self.grace

    @property
    def has_open_alert(self) -> bool:
        return self.state in (WatchState.OVERDUE, WatchState.SOS)


@dataclass(frozen=True)
class Transition:
    watch: Watch
    effects: tuple[Effect, ...] = ()


def tick(watch: Watch, now: datetime) -> Transition:
    """Apply everything that came due up to ``now``, earliest first."""
    effects: list[Effect] = []
    while (wake := watch.wake_at) is not None and wake <= now:
        watch, step_effects = _step(watch, now)
        effects.extend(step_effects)
    return Transition(watch, tuple(effects))


def _step(watch: Watch, now: datetime) -> tuple[Watch, list[Effect]]:
    """Apply the one thing due at ``watch.wake_at``."""
    if watch.state is WatchState.PAUSED:
        # Resume at the logical end of the pause, not when the bot noticed it.
        ended_at = _required(watch.paused_until, "paused_until")
        resumed = _armed(watch, _plan_of(watch), ended_at, checkin=False)
        return resumed, [PauseEnded(ended_at, _required(resumed.deadline_at, "deadline_at"))]
    deadline_at = _required(watch.deadline_at, "deadline_at")
    timer = watch.timer_governs
    offsets = watch.offsets
    if watch.state is WatchState.OK and watch.reminders_done < len(offsets):
        done = _reminders_passed(offsets, deadline_at, now)
        fresh = now < deadline_at
        return replace(watch, reminders_done=done), [Remind(deadline_at, timer)] if fresh else []
    if watch.state is WatchState.OK:
        grace_ends_at = deadline_at + watch.grace
        prompt: list[Effect] = [Prompt(deadline_at, grace_ends_at, timer)]
        return replace(watch, state=WatchState.DUE), prompt if now < grace_ends_at else []
    # DUE and grace is over: the promise is broken.
    if timer:
        alert = RaiseAlert(
            AlertReason.TIMER, deadline_at, watch.last_checkin_at, watch.timer_started_at
        )
    else:
        alert = RaiseAlert(AlertReason.MISSED, deadline_at, watch.last_checkin_at)
    return replace(watch, state=WatchState.OVERDUE), [alert]


class InvalidWatchError(ValueError):
    """Raised when a stored watch contradicts itself (a field its state needs is empty)."""


def _required(value: _T | None, name: str) -> _T:
    if value is None:
        raise InvalidWatchError(f"watch has no {name} in a state that needs it")
    return value


def _plan_of(watch: Watch) -> Plan:
    if watch.plan is None:
        raise InvalidWatchError("watch has no plan in a state that needs it")
    return watch.plan


def _reminders_passed(
    reminders: tuple[timedelta, ...], deadline_at: datetime, moment: datetime
) -> int:
    """Return how many reminders of ``deadline_at`` lie at or before ``moment``."""
    return sum(1 for offset in reminders if deadline_at - offset <= moment)


def _with_deadline(watch: Watch, deadline_at: datetime, now: datetime) -> Watch:
    """Return the watch waiting for ``deadline_at``; reminders already past count as handled.

    A reminder whose moment is past (a deadline closer than its offset) would
    fire at once, so it counts as handled.
    """
    moved = replace(watch, deadline_at=deadline_at)
    return replace(moved, reminders_done=_reminders_passed(moved.offsets, deadline_at, now))


def _without_timer(watch: Watch) -> Watch:
    return replace(watch, timer_started_at=None, timer_ends_at=None, timer_reminder=None)


def _armed(
    watch: Watch, plan: Plan, start: datetime, *, checkin: bool, window: timedelta = timedelta(0)
) -> Watch:
    """Return the watch in OK with its next deadline counted from ``start``, and no timer."""
    deadline_at = deadline_after_checkin(plan, watch.zone, start, window)
    armed = replace(
        _without_timer(watch),
        plan=plan,
        state=WatchState.OK,
        paused_until=None,
        last_checkin_at=start if checkin else watch.last_checkin_at,
    )
    return _with_deadline(armed, deadline_at, start)


def check_in(watch: Watch, now: datetime, window: timedelta) -> Transition:
    """Record a check-in at ``now``: re-arm the deadline and end any open alert.

    While paused the check-in is recorded and the pause goes on.
    """
    effects: tuple[Effect, ...] = (AllClear(now),) if watch.has_open_alert else ()
    if watch.state is WatchState.PAUSED:
        return Transition(replace(watch, last_checkin_at=now), effects)
    if watch.plan is None:
        cleared = replace(
            _without_timer(watch),
            state=WatchState.UNARMED,
            deadline_at=None,
            last_checkin_at=now,
            reminders_done=0,
        )
        return Transition(cleared, effects)
    return Transition(_armed(watch, watch.plan, now, checkin=True, window=window), effects)


def start_timer(
    watch: Watch, now: datetime, ends_at: datetime, reminder: timedelta | None, window: timedelta
) -> Transition | Refusal:
    """Start a timed check-in ending at ``ends_at``, replacing any running one.

    Starting is a sign of life like a check-in (it is PIN-gated like one): the
    plan counts from now, and the deadline is the sooner of the plan's and
    the timer's end. Refused while paused, and while an alert is open (the
    activist must check in first, which tells the contacts they are safe).
    """
    if watch.state is WatchState.PAUSED:
        return Refusal.PAUSED
    if watch.has_open_alert:
        return Refusal.OPEN_ALERT
    checked = check_in(watch, now, window)
    return Transition(_timed(checked.watch, now, now, ends_at, reminder), checked.effects)


def extend_timer(
    watch: Watch, now: datetime, by: timedelta, window: timedelta
) -> Transition | Refusal:
    """Move the running timer's end ``by`` later (from now, if it already ended).

    Asking for more time is a sign of life: it counts as a check-in, so a
    pending deadline is met and an open alert ends.
    """
    ends_at, started_at = watch.timer_ends_at, watch.timer_started_at
    if ends_at is None or started_at is None:
        return Refusal.NO_TIMER
    checked = check_in(watch, now, window)
    extended = _timed(checked.watch, now, started_at, max(ends_at, now) + by, watch.timer_reminder)
    return Transition(extended, checked.effects)


def _timed(
    watch: Watch,
    now: datetime,
    started_at: datetime,
    ends_at: datetime,
    reminder: timedelta | None,
) -> Watch:
    """Return ``watch`` (just checked in) with a timer from ``started_at`` to ``ends_at``."""
    deadline_at = ends_at if watch.deadline_at is None else min(watch.deadline_at, ends_at)
    timed = replace(
        watch,
        state=WatchState.OK,
        timer_started_at=started_at,
        timer_ends_at=ends_at,
        timer_reminder=reminder,
    )
    return _with_deadline(timed, deadline_at, now)


def set_plan(watch: Watch, plan: Plan, now: datetime, window: timedelta) -> Transition:
    """Adopt ``plan``: it governs from the next check-in.

    A plan change is not a check-in and never clears what is pending: a
    deadline already passed (grace running), an open alert and a pause stay as
    they are. A waiting deadline may come closer (a shorter plan), never move
    away; only the first plan is armed from ``now``.
    """
    if watch.state is WatchState.UNARMED:
        return Transition(_armed(watch, plan, now, checkin=False, window=window))
    if watch.state is not WatchState.OK or watch.deadline_at is None:
        return Transition(replace(watch, plan=plan))
    sooner = deadline_after_checkin(plan, watch.zone, now, window)
    if sooner >= watch.deadline_at:
        return Transition(replace(watch, plan=plan))
    return Transition(_with_deadline(replace(watch, plan=plan), sooner, now))


def set_zone(watch: Watch, zone: str, now: datetime, window: timedelta) -> Transition:
    """Move the watch to another time zone; a daily plan's next slot may come closer."""
    moved = replace(watch, zone=zone)
    if not isinstance(moved.plan, DailyPlan):
        return Transition(moved)
    return set_plan(moved, moved.plan, now, window)


def set_grace(watch: Watch, grace: timedelta) -> Transition | Refusal:
    """Change how long after a deadline the contacts are alerted.

    While a deadline has passed and grace is running, grace may shrink but not
    grow: a longer grace would push back an alert that is already on its way.
    """
    if watch.state is WatchState.DUE and grace > watch.grace:
        return Refusal.CHECK_IN_FIRST
    return Transition(replace(watch, grace=grace))


def set_reminders(watch: Watch, reminders: tuple[timedelta, ...], now: datetime) -> Transition:
    """Change the reminder offsets; reminders already past count as handled."""
    ordered = tuple(sorted(set(reminders), reverse=True))
    if watch.timer_governs:
        # The timer's own reminder stands; the new ones apply to the plan's deadlines.
        return Transition(replace(watch, reminders=ordered))
    if watch.state is not WatchState.OK or watch.deadline_at is None:
        return Transition(replace(watch, reminders=ordered, reminders_done=0))
    done = _reminders_passed(ordered, watch.deadline_at, now)
    return Transition(replace(watch, reminders=ordered, reminders_done=done))


def pause(watch: Watch, until: datetime) -> Transition | Refusal:
    """Suspend deadlines until ``until``; refused without a plan or with an open alert."""
    if watch.plan is None:
        return Refusal.NO_PLAN
    if watch.has_open_alert:
        return Refusal.OPEN_ALERT
    if watch.has_timer:
        return Refusal.TIMER_RUNNING
    return Transition(replace(watch, state=WatchState.PAUSED, paused_until=until, deadline_at=None))


def resume(watch: Watch, now: datetime, window: timedelta) -> Transition | Refusal:
    """End a pause early; resuming is a sign of life and counts as a check-in."""
    if watch.state is not WatchState.PAUSED:
        return Refusal.NOT_PAUSED
    return Transition(_armed(watch, _plan_of(watch), now, checkin=True, window=window))


def raise_sos(watch: Watch, now: datetime) -> Transition:
    """Raise the alarm at once, whatever the plan; a second SOS adds nothing."""
    if watch.state is WatchState.SOS:
        return Transition(watch)
    alert = RaiseAlert(AlertReason.SOS, now, watch.last_checkin_at)
    return Transition(replace(watch, state=WatchState.SOS, paused_until=None), (alert,))
