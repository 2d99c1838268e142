"""Timed check-ins in the watch machine: beside the plan, the sooner deadline governs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.plans import IntervalPlan
from bot.core.watches import (
    AlertReason,
    AllClear,
    Prompt,
    RaiseAlert,
    Refusal,
    Remind,
    WatchState,
    check_in,
    extend_timer,
    pause,
    raise_sos,
    set_plan,
    set_reminders,
    start_timer,
    tick,
)
from tests.test_watches import T0, WINDOW, H, M, armed, new_watch, transitioned

TEN = 10 * M


def test_a_timer_shorter_than_the_plan_governs_and_is_missed_as_a_timer() -> None:
    watch = armed(12 * H)
    started = T0 + H
    timed = transitioned(start_timer(watch, started, started + 2 * H, TEN, WINDOW)).watch
    assert timed.deadline_at == started + 2 * H
    assert timed.timer_governs
    # Starting counts as a sign of life: the plan counts from now.
    assert timed.last_checkin_at == started
    # The timer's own reminder, ten minutes before its end, not the plan's hour.
    assert timed.wake_at == started + 2 * H - TEN
    reminded = tick(timed, started + 2 * H - TEN)
    assert reminded.effects == (Remind(started + 2 * H, timer=True),)
    prompted = tick(reminded.watch, started + 2 * H)
    assert prompted.effects == (Prompt(started + 2 * H, started + 2 * H + 30 * M, timer=True),)
    missed = tick(prompted.watch, started + 2 * H + 30 * M)
    assert missed.effects == (
        RaiseAlert(AlertReason.TIMER, started + 2 * H, started, started_at=started),
    )
    assert missed.watch.state is WatchState.OVERDUE


def test_a_plan_deadline_before_the_timer_end_governs_and_a_check_in_ends_the_timer() -> None:
    watch = armed(3 * H)
    timed = transitioned(start_timer(watch, T0, T0 + 5 * H, TEN, WINDOW)).watch
    assert timed.deadline_at == T0 + 3 * H
    assert not timed.timer_governs
    # The plan's reminder, an hour before its deadline.
    assert timed.wake_at == T0 + 2 * H
    due = tick(timed, T0 + 3 * H)
    assert due.effects[-1] == Prompt(T0 + 3 * H, T0 + 3 * H + 30 * M, timer=False)
    checked = check_in(due.watch, T0 + 3 * H + M, WINDOW).watch
    assert not checked.has_timer
    assert checked.deadline_at == T0 + 6 * H + M


def test_a_missed_plan_deadline_during_a_timer_is_a_missed_check_in() -> None:
    timed = transitioned(start_timer(armed(H), T0, T0 + 4 * H, TEN, WINDOW)).watch
    alert = [e for e in tick(timed, T0 + 2 * H).effects if isinstance(e, RaiseAlert)]
    assert [a.reason for a in alert] == [AlertReason.MISSED]


def test_i_am_back_is_a_check_in_that_ends_the_timer_without_an_alert() -> None:
    timed = transitioned(start_timer(armed(12 * H), T0, T0 + 2 * H, TEN, WINDOW)).watch
    back = check_in(timed, T0 + H, WINDOW)
    assert back.effects == ()
    assert back.watch.timer_ends_at is None
    assert back.watch.timer_started_at is None
    assert back.watch.deadline_at == T0 + 13 * H
    assert tick(back.watch, T0 + 2 * H + H).effects == ()


def test_extending_moves_the_end_and_counts_as_a_check_in() -> None:
    timed = transitioned(start_timer(armed(12 * H), T0, T0 + 2 * H, TEN, WINDOW)).watch
    prompted = tick(timed, T0 + 2 * H + M).watch
    assert prompted.state is WatchState.DUE
    extended = transitioned(extend_timer(prompted, T0 + 2 * H + 5 * M, 30 * M, WINDOW))
    # It had ended: the half hour counts from now; the start stays.
    assert extended.watch.timer_ends_at == T0 + 2 * H + 35 * M
    assert extended.watch.timer_started_at == T0
    assert extended.watch.state is WatchState.OK
    assert extended.watch.deadline_at == T0 + 2 * H + 35 * M
    early = transitioned(start_timer(armed(12 * H), T0, T0 + 2 * H, TEN, WINDOW)).watch
    later = transitioned(extend_timer(early, T0 + H, H, WINDOW)).watch
    assert later.timer_ends_at == T0 + 3 * H


def test_extending_after_the_alert_sends_the_all_clear() -> None:
    timed = transitioned(start_timer(armed(12 * H), T0, T0 + H, TEN, WINDOW)).watch
    overdue = tick(timed, T0 + 2 * H).watch
    assert overdue.state is WatchState.OVERDUE
    extended = transitioned(extend_timer(overdue, T0 + 2 * H, H, WINDOW))
    assert extended.effects == (AllClear(T0 + 2 * H),)
    assert extended.watch.timer_ends_at == T0 + 3 * H


def test_nothing_to_extend_without_a_timer() -> None:
    assert extend_timer(armed(), T0, H, WINDOW) is Refusal.NO_TIMER


def test_a_timer_without_a_plan_ends_in_no_plan() -> None:
    timed = transitioned(start_timer(new_watch(), T0, T0 + H, None, WINDOW)).watch
    assert timed.state is WatchState.OK
    assert timed.deadline_at == T0 + H
    assert timed.wake_at == T0 + H
    back = check_in(timed, T0 + 30 * M, WINDOW).watch
    assert back.state is WatchState.UNARMED
    assert back.wake_at is None


def test_a_new_timer_replaces_the_running_one() -> None:
    first = transitioned(start_timer(armed(12 * H), T0, T0 + 4 * H, TEN, WINDOW)).watch
    second = transitioned(start_timer(first, T0 + H, T0 + 2 * H, TEN, WINDOW)).watch
    assert second.timer_started_at == T0 + H
    assert second.deadline_at == T0 + 2 * H


def test_refused_while_paused_or_alerting_and_a_pause_waits_for_the_timer() -> None:
    paused = transitioned(pause(armed(), T0 + 10 * H)).watch
    assert start_timer(paused, T0, T0 + H, TEN, WINDOW) is Refusal.PAUSED
    sos = raise_sos(armed(), T0).watch
    assert start_timer(sos, T0, T0 + H, TEN, WINDOW) is Refusal.OPEN_ALERT
    timed = transitioned(start_timer(armed(), T0, T0 + H, TEN, WINDOW)).watch
    assert pause(timed, T0 + 10 * H) is Refusal.TIMER_RUNNING


def test_a_shorter_plan_can_bring_the_deadline_before_the_timer_end() -> None:
    timed = transitioned(start_timer(armed(12 * H), T0, T0 + 4 * H, TEN, WINDOW)).watch
    replanned = set_plan(timed, IntervalPlan(H), T0 + 10 * M, WINDOW).watch
    assert replanned.deadline_at == T0 + H + 10 * M
    assert not replanned.timer_governs
    assert replanned.has_timer


def test_new_reminders_leave_the_timer_reminder_alone() -> None:
    timed = transitioned(start_timer(armed(12 * H), T0, T0 + 2 * H, TEN, WINDOW)).watch
    changed = set_reminders(timed, (30 * M,), T0 + M).watch
    assert changed.reminders == (30 * M,)
    assert changed.wake_at == T0 + 2 * H - TEN


@given(
    minutes=st.integers(min_value=15, max_value=60 * 24 * 7),
    every_hours=st.integers(min_value=1, max_value=48),
    late=st.integers(min_value=0, max_value=60 * 24 * 10),
)
def test_whatever_comes_first_one_alert_at_the_sooner_deadline(
    minutes: int, every_hours: int, late: int
) -> None:
    """However late the tick, exactly one alert, for the sooner of plan and timer."""
    ends = T0 + minutes * M
    plan_deadline = T0 + every_hours * H
    timed = transitioned(start_timer(armed(every_hours * H), T0, ends, TEN, WINDOW)).watch
    sooner = min(ends, plan_deadline)
    result = tick(timed, sooner + 30 * M + late * M)
    alerts = [e for e in result.effects if isinstance(e, RaiseAlert)]
    assert len(alerts) == 1
    assert alerts[0].due_at == sooner
    assert alerts[0].reason is (AlertReason.TIMER if ends <= plan_deadline else AlertReason.MISSED)
