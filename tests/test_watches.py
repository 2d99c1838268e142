"""The check-in state machine, transition by transition, then as properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.plans import DailyPlan, IntervalPlan, next_slot
from bot.core.watches import (
    AlertReason,
    AllClear,
    PauseEnded,
    Prompt,
    RaiseAlert,
    Refusal,
    Remind,
    Transition,
    Watch,
    WatchState,
    check_in,
    pause,
    raise_sos,
    resume,
    set_grace,
    set_plan,
    set_reminders,
    set_zone,
    tick,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
WINDOW = 2 * H


def new_watch(**changes: object) -> Watch:
    fields: dict[str, object] = {
        "person_id": 1,
        "zone": "UTC",
        "grace": 30 * M,
        "reminders": (H,),
    }
    fields.update(changes)
    return Watch(**fields)  # type: ignore[arg-type]


def armed(every: timedelta = 12 * H, at: datetime = T0, **changes: object) -> Watch:
    result = set_plan(new_watch(**changes), IntervalPlan(every), at, WINDOW)
    return result.watch


def transitioned(result: Transition | Refusal) -> Transition:
    assert isinstance(result, Transition), result
    return result


# --- arming and checking in -------------------------------------------------


def test_a_new_watch_has_nothing_to_wake_for() -> None:
    watch = new_watch()
    assert watch.state is WatchState.UNARMED
    assert watch.wake_at is None
    assert tick(watch, T0 + 1000 * H) == Transition(watch)


def test_an_interval_plan_arms_with_the_deadline_one_interval_away() -> None:
    watch = armed()
    assert watch.state is WatchState.OK
    assert watch.deadline_at == T0 + 12 * H
    assert watch.wake_at == T0 + 11 * H  # the reminder comes first
    assert watch.last_checkin_at is None


def test_a_check_in_moves_the_deadline_to_one_interval_after_it() -> None:
    result = check_in(armed(), T0 + 5 * H, WINDOW)
    assert result.watch.deadline_at == T0 + 17 * H
    assert result.watch.last_checkin_at == T0 + 5 * H
    assert result.effects == ()


def test_a_check_in_without_a_plan_is_recorded_and_arms_nothing() -> None:
    result = check_in(new_watch(), T0, WINDOW)
    assert result.watch.state is WatchState.UNARMED
    assert result.watch.last_checkin_at == T0
    assert result.watch.wake_at is None


# --- the road to an alert ---------------------------------------------------


@pytest.mark.parametrize(
    ("at", "state", "effects"),
    [
        (T0 + 10 * H, WatchState.OK, ()),
        (T0 + 11 * H, WatchState.OK, (Remind(T0 + 12 * H),)),
        # The deadline passed unnoticed: the reminder is stale, only the prompt is fresh.
        (T0 + 12 * H, WatchState.DUE, (Prompt(T0 + 12 * H, T0 + 12.5 * H),)),
        (T0 + 12 * H + 29 * M, WatchState.DUE, (Prompt(T0 + 12 * H, T0 + 12.5 * H),)),
        # Grace passed too: the prompt is stale, the alert never is.
        (T0 + 12.5 * H, WatchState.OVERDUE, (RaiseAlert(AlertReason.MISSED, T0 + 12 * H, None),)),
    ],
)
def test_one_late_tick_emits_only_what_is_still_fresh(
    at: datetime, state: WatchState, effects: tuple[object, ...]
) -> None:
    result = tick(armed(), at)
    assert result.watch.state is state
    assert result.effects == effects


def test_tick_by_tick_the_activist_is_reminded_then_prompted_then_contacts_alerted() -> None:
    watch = armed()
    seen = []
    for at in (T0 + 11 * H, T0 + 12 * H, T0 + 12.5 * H):
        result = tick(watch, at)
        watch = result.watch
        seen.append((watch.state, result.effects))
    assert seen == [
        (WatchState.OK, (Remind(T0 + 12 * H),)),
        (WatchState.DUE, (Prompt(T0 + 12 * H, T0 + 12.5 * H),)),
        (WatchState.OVERDUE, (RaiseAlert(AlertReason.MISSED, T0 + 12 * H, None),)),
    ]
    assert watch.wake_at is None


def test_a_tick_after_a_long_outage_alerts_once_with_the_original_due_time() -> None:
    result = tick(armed(), T0 + 30 * 24 * H)
    assert result.watch.state is WatchState.OVERDUE
    assert result.effects == (RaiseAlert(AlertReason.MISSED, T0 + 12 * H, None),)
    assert tick(result.watch, T0 + 60 * 24 * H).effects == ()


def test_several_reminders_due_at_once_produce_one_reminder() -> None:
    watch = armed(reminders=(3 * H, 2 * H, H))
    result = tick(watch, T0 + 11.5 * H)
    assert result.effects == (Remind(T0 + 12 * H),)
    assert result.watch.reminders_done == 3
    assert result.watch.wake_at == T0 + 12 * H


def test_a_reminder_longer_than_the_interval_does_not_fire_at_once() -> None:
    watch = armed(every=30 * M, reminders=(H,))
    assert watch.reminders_done == 1
    assert watch.wake_at == T0 + 30 * M


def test_a_check_in_while_due_ends_the_grace_without_an_all_clear() -> None:
    due = tick(armed(), T0 + 12 * H).watch
    result = check_in(due, T0 + 12 * H + 5 * M, WINDOW)
    assert result.watch.state is WatchState.OK
    assert result.effects == ()
    assert result.watch.deadline_at == T0 + 24 * H + 5 * M


def test_a_check_in_while_overdue_gives_the_all_clear() -> None:
    overdue = tick(armed(), T0 + 13 * H).watch
    result = check_in(overdue, T0 + 14 * H, WINDOW)
    assert result.effects == (AllClear(T0 + 14 * H),)
    assert result.watch.state is WatchState.OK
    assert result.watch.deadline_at == T0 + 26 * H


def test_changing_the_plan_while_overdue_keeps_the_alert_open() -> None:
    overdue = tick(armed(), T0 + 13 * H).watch
    result = set_plan(overdue, IntervalPlan(6 * H), T0 + 14 * H, WINDOW)
    assert result.watch.state is WatchState.OVERDUE
    assert result.watch.plan == IntervalPlan(6 * H)


def test_a_longer_grace_is_refused_while_due_and_a_shorter_one_alerts_sooner() -> None:
    due = tick(armed(), T0 + 12 * H).watch
    assert set_grace(due, 2 * H) == Refusal.CHECK_IN_FIRST
    shorter = transitioned(set_grace(due, 10 * M)).watch
    assert shorter.wake_at == T0 + 12 * H + 10 * M
    alert = RaiseAlert(AlertReason.MISSED, T0 + 12 * H, None)
    assert tick(shorter, T0 + 12 * H + 10 * M).effects == (alert,)


def test_a_longer_grace_outside_a_due_deadline_is_taken() -> None:
    assert transitioned(set_grace(armed(), 2 * H)).watch.grace == 2 * H


# Each command a captor might type during grace, as a plan change: none may
# move the pending deadline or stop the alert.
PLAN_CHANGES = [
    ("every 12h", lambda w, now: set_plan(w, IntervalPlan(12 * H), now, WINDOW)),
    ("every 7d", lambda w, now: set_plan(w, IntervalPlan(7 * 24 * H), now, WINDOW)),
    ("every 15m", lambda w, now: set_plan(w, IntervalPlan(15 * M), now, WINDOW)),
    ("at 08:00", lambda w, now: set_plan(w, DailyPlan((time(8, 0),)), now, WINDOW)),
    ("tz UTC", lambda w, now: set_zone(w, "UTC", now, WINDOW)),
    ("tz Kiritimati", lambda w, now: set_zone(w, "Pacific/Kiritimati", now, WINDOW)),
]


@pytest.mark.parametrize(("name", "change"), PLAN_CHANGES, ids=[n for n, _ in PLAN_CHANGES])
def test_a_plan_change_during_grace_keeps_the_deadline_and_the_alert_fires(
    name: str, change: object
) -> None:
    due = tick(armed(), T0 + 12 * H + M).watch
    changed = transitioned(change(due, T0 + 12 * H + 2 * M))  # type: ignore[operator]
    assert changed.watch.state is WatchState.DUE
    assert changed.watch.deadline_at == T0 + 12 * H
    assert changed.watch.last_checkin_at is None
    alert = RaiseAlert(AlertReason.MISSED, T0 + 12 * H, None)
    assert tick(changed.watch, T0 + 14 * H).effects == (alert,)


@pytest.mark.parametrize(("name", "change"), PLAN_CHANGES, ids=[n for n, _ in PLAN_CHANGES])
def test_a_plan_change_while_waiting_never_moves_the_deadline_away(
    name: str, change: object
) -> None:
    watch = armed()
    changed = transitioned(change(watch, T0 + 6 * H))  # type: ignore[operator]
    assert changed.watch.state is WatchState.OK
    assert changed.watch.deadline_at is not None
    assert changed.watch.deadline_at <= T0 + 12 * H
    # Not a check-in: repeating it forever never feeds the alarm.
    assert changed.watch.last_checkin_at is None


def test_a_shorter_plan_brings_the_deadline_closer() -> None:
    changed = set_plan(armed(), IntervalPlan(2 * H), T0 + H, WINDOW).watch
    assert changed.deadline_at == T0 + 3 * H
    assert changed.plan == IntervalPlan(2 * H)


def test_a_longer_plan_keeps_the_deadline_and_governs_from_the_next_check_in() -> None:
    changed = set_plan(armed(), IntervalPlan(24 * H), T0 + H, WINDOW).watch
    assert changed.deadline_at == T0 + 12 * H
    assert check_in(changed, T0 + 2 * H, WINDOW).watch.deadline_at == T0 + 26 * H


def test_a_plan_change_while_paused_keeps_the_pause() -> None:
    paused = transitioned(pause(armed(), T0 + 48 * H)).watch
    changed = set_plan(paused, IntervalPlan(H), T0 + H, WINDOW).watch
    assert changed.state is WatchState.PAUSED
    assert changed.paused_until == T0 + 48 * H


def test_reminders_can_be_changed_and_switched_off() -> None:
    watch = armed()
    two = set_reminders(watch, (30 * M, 2 * H), T0).watch
    assert two.reminders == (2 * H, 30 * M)
    assert two.wake_at == T0 + 10 * H
    off = set_reminders(watch, (), T0).watch
    assert off.wake_at == T0 + 12 * H


# --- pause and resume -------------------------------------------------------


def test_pause_holds_every_deadline_until_it_ends_by_itself() -> None:
    paused = transitioned(pause(armed(), T0 + 3 * 24 * H)).watch
    assert paused.state is WatchState.PAUSED
    assert paused.wake_at == T0 + 72 * H
    assert tick(paused, T0 + 71 * H).effects == ()
    result = tick(paused, T0 + 72 * H)
    assert result.effects == (PauseEnded(T0 + 72 * H, T0 + 84 * H),)
    assert result.watch.state is WatchState.OK


def test_a_pause_that_ended_during_an_outage_resumes_at_its_end_and_alerts() -> None:
    paused = transitioned(pause(armed(), T0 + 24 * H)).watch
    result = tick(paused, T0 + 100 * H)
    assert result.watch.state is WatchState.OVERDUE
    assert result.effects == (
        PauseEnded(T0 + 24 * H, T0 + 36 * H),
        RaiseAlert(AlertReason.MISSED, T0 + 36 * H, None),
    )


def test_pause_is_refused_without_a_plan_or_with_an_open_alert() -> None:
    assert pause(new_watch(), T0 + H) is Refusal.NO_PLAN
    overdue = tick(armed(), T0 + 13 * H).watch
    assert pause(overdue, T0 + 20 * H) is Refusal.OPEN_ALERT


def test_resume_counts_as_a_check_in_and_needs_a_pause() -> None:
    paused = transitioned(pause(armed(), T0 + 72 * H)).watch
    result = transitioned(resume(paused, T0 + 2 * H, WINDOW))
    assert result.watch.state is WatchState.OK
    assert result.watch.deadline_at == T0 + 14 * H
    assert result.watch.last_checkin_at == T0 + 2 * H
    assert resume(result.watch, T0 + 3 * H, WINDOW) is Refusal.NOT_PAUSED


def test_a_check_in_while_paused_is_recorded_and_the_pause_goes_on() -> None:
    paused = transitioned(pause(armed(), T0 + 72 * H)).watch
    result = check_in(paused, T0 + H, WINDOW)
    assert result.watch.state is WatchState.PAUSED
    assert result.watch.last_checkin_at == T0 + H


# --- SOS --------------------------------------------------------------------


def test_sos_alerts_at_once_from_any_state_and_only_once() -> None:
    for watch in (new_watch(), armed(), transitioned(pause(armed(), T0 + 9 * H)).watch):
        result = raise_sos(watch, T0 + H)
        assert result.watch.state is WatchState.SOS
        assert result.effects == (RaiseAlert(AlertReason.SOS, T0 + H, None),)
        assert raise_sos(result.watch, T0 + 2 * H).effects == ()
        assert result.watch.wake_at is None


def test_a_check_in_after_sos_gives_the_all_clear_and_rearms() -> None:
    sos = raise_sos(armed(), T0 + H).watch
    result = check_in(sos, T0 + 2 * H, WINDOW)
    assert result.effects == (AllClear(T0 + 2 * H),)
    assert result.watch.state is WatchState.OK
    assert result.watch.deadline_at == T0 + 14 * H


# --- daily times ------------------------------------------------------------


def daily(*times: str, zone: str = "Asia/Ashgabat", at: datetime = T0) -> Watch:
    plan = DailyPlan(tuple(time.fromisoformat(t) for t in times))
    return set_plan(new_watch(zone=zone), plan, at, WINDOW).watch


def test_daily_times_are_in_the_activists_zone() -> None:
    # T0 is 14:00 in Ashgabat (UTC+5); the next slot is 21:00 local = 16:00 UTC.
    watch = daily("09:00", "21:00")
    assert watch.deadline_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_a_check_in_inside_the_window_before_a_slot_satisfies_it() -> None:
    watch = daily("09:00", "21:00")
    # 20:00 local: one hour before the 21:00 slot, inside the two-hour window.
    result = check_in(watch, datetime(2026, 3, 1, 15, 0, tzinfo=UTC), WINDOW)
    assert result.watch.deadline_at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


def test_a_check_in_before_the_window_leaves_the_slot_due() -> None:
    watch = daily("09:00", "21:00")
    result = check_in(watch, datetime(2026, 3, 1, 12, 0, tzinfo=UTC), WINDOW)
    assert result.watch.deadline_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_one_check_in_satisfies_only_one_of_two_close_slots() -> None:
    watch = daily("20:00", "21:00")
    result = check_in(watch, datetime(2026, 3, 1, 14, 30, tzinfo=UTC), WINDOW)
    assert result.watch.deadline_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_moving_zone_brings_a_daily_deadline_closer_at_once() -> None:
    watch = daily("21:00", zone="Europe/Berlin")
    moved = set_zone(watch, "Asia/Ashgabat", T0, WINDOW).watch
    assert moved.deadline_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_moving_zone_further_west_waits_for_the_next_check_in() -> None:
    watch = daily("21:00")
    moved = set_zone(watch, "Europe/Berlin", T0, WINDOW).watch
    assert moved.deadline_at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    after = check_in(moved, datetime(2026, 3, 1, 17, 0, tzinfo=UTC), WINDOW).watch
    assert after.deadline_at == datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


# --- properties -------------------------------------------------------------

steps = st.lists(st.integers(min_value=0, max_value=6 * 3600), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    gaps=steps,
    every_minutes=st.integers(min_value=15, max_value=48 * 60),
    grace_minutes=st.integers(min_value=0, max_value=600),
)
def test_no_sequence_of_ticks_alerts_twice_for_one_deadline(
    gaps: list[int], every_minutes: int, grace_minutes: int
) -> None:
    watch = armed(every=every_minutes * M, grace=grace_minutes * M)
    now = T0
    alerts = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        result = tick(watch, now)
        watch = result.watch
        alerts += [e for e in result.effects if isinstance(e, RaiseAlert)]
    assert len(alerts) == len({a.due_at for a in alerts}) <= 1


@settings(max_examples=300, deadline=None)
@given(
    gaps=steps,
    every_minutes=st.integers(min_value=15, max_value=24 * 60),
    grace_minutes=st.integers(min_value=0, max_value=600),
    pause_hours=st.one_of(st.none(), st.integers(min_value=1, max_value=72)),
    checkins=st.sets(st.integers(min_value=0, max_value=39), max_size=5),
)
def test_a_tick_after_any_outage_lands_where_tick_by_tick_would(
    gaps: list[int],
    every_minutes: int,
    grace_minutes: int,
    pause_hours: int | None,
    checkins: set[int],
) -> None:
    start = armed(every=every_minutes * M, grace=grace_minutes * M, reminders=(2 * H, H))
    if pause_hours is not None:
        start = transitioned(pause(start, T0 + pause_hours * H)).watch
    # Two runs: one ticks at every step, the other only when something else
    # happens (a check-in) and at the end. Both must agree on the state.
    stepwise = lazy = start
    now = T0
    stepwise_alerts = lazy_alerts = 0
    for index, gap in enumerate(gaps):
        now += timedelta(seconds=gap)
        step = tick(stepwise, now)
        stepwise = step.watch
        stepwise_alerts += sum(isinstance(e, RaiseAlert) for e in step.effects)
        if index in checkins:
            late = tick(lazy, now)
            lazy_alerts += sum(isinstance(e, RaiseAlert) for e in late.effects)
            stepwise = check_in(stepwise, now, WINDOW).watch
            lazy = check_in(late.watch, now, WINDOW).watch
    final = tick(lazy, now)
    lazy_alerts += sum(isinstance(e, RaiseAlert) for e in final.effects)
    assert final.watch == stepwise
    assert lazy_alerts == stepwise_alerts


@settings(max_examples=200, deadline=None)
@given(
    state_gap=st.integers(min_value=0, max_value=100 * 3600),
    checkin_gap=st.integers(min_value=0, max_value=3600),
    every_minutes=st.integers(min_value=15, max_value=7 * 24 * 60),
)
def test_a_check_in_always_rearms_one_interval_ahead(
    state_gap: int, checkin_gap: int, every_minutes: int
) -> None:
    watch = tick(armed(every=every_minutes * M), T0 + timedelta(seconds=state_gap)).watch
    at = T0 + timedelta(seconds=state_gap + checkin_gap)
    result = check_in(watch, at, WINDOW)
    assert result.watch.state is WatchState.OK
    assert result.watch.deadline_at == at + every_minutes * M
    assert result.watch.wake_at is not None
    assert result.watch.wake_at > at
    assert (AllClear(at) in result.effects) == watch.has_open_alert


DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Ashgabat", "UTC"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(DST_ZONES),
    slots=st.sets(
        st.times().map(lambda t: t.replace(second=0, microsecond=0)), min_size=1, max_size=4
    ),
    start_hours=st.integers(min_value=0, max_value=366 * 24),
)
def test_daily_slots_come_once_a_day_each_across_dst_changes(
    zone: str, slots: set[time], start_hours: int
) -> None:
    plan = DailyPlan(tuple(sorted(slots)))
    moment = datetime(2026, 1, 1, tzinfo=UTC) + start_hours * H
    seen: list[datetime] = []
    for _ in range(3 * len(slots) + 1):
        moment = next_slot(plan, zone, moment)
        seen.append(moment)
    assert seen == sorted(set(seen)), "slots must strictly increase"
    # Over any run of len(slots) consecutive deadlines, a day (give or take the
    # hour a DST change moves) passes: no slot was skipped or doubled.
    width = len(slots)
    for first, last in zip(seen, seen[width:], strict=False):
        assert 23 * H <= last - first <= 25 * H


def test_a_slot_in_the_spring_forward_gap_still_happens_once() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29; a 02:30 slot fires at 03:30 local.
    plan = DailyPlan((time(2, 30),))
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    first = next_slot(plan, "Europe/Berlin", before)
    second = next_slot(plan, "Europe/Berlin", first)
    third = next_slot(plan, "Europe/Berlin", second)
    assert first == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert second == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    assert third - second == 24 * H


def test_a_slot_in_the_repeated_autumn_hour_happens_once() -> None:
    # Berlin repeats 02:00-03:00 on 2026-10-25; the slot is the first 02:30.
    plan = DailyPlan((time(2, 30),))
    first = next_slot(plan, "Europe/Berlin", datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    second = next_slot(plan, "Europe/Berlin", first)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


ZONES = ["UTC", "Asia/Ashgabat", "Pacific/Kiritimati", "America/Adak", "Europe/Berlin"]
changes = st.lists(
    st.tuples(
        st.sampled_from(["every", "at", "zone", "remind", "grace", "tick"]),
        st.integers(min_value=0, max_value=3 * 3600),
        st.integers(min_value=0, max_value=10**6),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(changes=changes)
def test_no_sequence_of_setting_changes_without_a_check_in_delays_a_missed_alert(
    changes: list[tuple[str, int, int]],
) -> None:
    """Whatever a captor changes (plan, zone, reminders, grace), the alert still comes.

    Grace may grow only outside a due deadline, which the PIN guards; here every
    change lands before the deadline or during grace, and grace only grows
    before the first deadline came, so the alert is due by the original end of
    grace at the latest.
    """
    watch = armed()
    latest = T0 + 12 * H + 30 * M
    now = T0
    alerts: list[datetime] = []
    for kind, seconds, value in changes:
        now = min(now + timedelta(seconds=seconds), latest)
        result = tick(watch, now)
        watch = result.watch
        alerts += [e.due_at for e in result.effects if isinstance(e, RaiseAlert)]
        changed: Transition | Refusal
        if kind == "every":
            changed = set_plan(watch, IntervalPlan(15 * M + timedelta(seconds=value)), now, WINDOW)
        elif kind == "at":
            slot = time(value % 24, value % 60)
            changed = set_plan(watch, DailyPlan((slot,)), now, WINDOW)
        elif kind == "zone":
            changed = set_zone(watch, ZONES[value % len(ZONES)], now, WINDOW)
        elif kind == "remind":
            changed = set_reminders(watch, (timedelta(seconds=value % 7200),), now)
        elif kind == "grace" and watch.state is WatchState.DUE:
            changed = set_grace(watch, timedelta(seconds=value % 86400))
        else:
            continue
        if isinstance(changed, Transition):
            watch = changed.watch
        assert watch.last_checkin_at is None
    result = tick(watch, latest)
    alerts += [e.due_at for e in result.effects if isinstance(e, RaiseAlert)]
    assert alerts, "a missed deadline was never alerted"
    assert alerts[0] <= T0 + 12 * H
