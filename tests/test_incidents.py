"""Escalation, repeats and acknowledgement of an incident, as pure transitions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callbacks import Action, Callback, decode, encode
from bot.core.incidents import AlertPolicy, Escalate, Incident, Repeat, advance, opened, wake_at
from bot.core.watches import AlertReason

T0 = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
M = timedelta(minutes=1)
POLICY = AlertPolicy(escalate_after=15 * M, repeat_every=10 * M, repeat_max=2)


def missed() -> Incident:
    return opened(Incident(1, 1, AlertReason.MISSED, T0 - 30 * M, T0))


def test_a_missed_check_in_repeats_at_ten_escalates_at_fifteen_and_stops_at_the_cap() -> None:
    incident = missed()
    assert wake_at(incident, POLICY) == T0 + 10 * M
    steps = []
    for minutes in (10, 15, 20, 30, 600):
        incident, actions = advance(incident, T0 + minutes * M, POLICY)
        steps.append(actions)
    assert steps == [(Repeat(1),), (Escalate(),), (Repeat(2),), (), ()]
    assert wake_at(incident, POLICY) is None


def test_an_sos_reaches_every_tier_at_once_and_only_repeats() -> None:
    incident = opened(Incident(1, 1, AlertReason.SOS, T0, T0))
    assert incident.escalated_at == T0
    _, actions = advance(incident, T0 + 15 * M, POLICY)
    assert actions == (Repeat(1),)


def test_after_an_outage_due_repeats_collapse_into_one_and_count() -> None:
    incident, actions = advance(missed(), T0 + 5 * 60 * M, POLICY)
    assert actions == (Repeat(2), Escalate())
    assert incident.repeats == 2


def test_an_acknowledged_or_closed_incident_does_nothing_more() -> None:
    taken = replace(missed(), acknowledged_by=7, acknowledged_at=T0 + M)
    assert advance(taken, T0 + 60 * M, POLICY) == (taken, ())
    assert wake_at(taken, POLICY) is None
    closed = replace(missed(), closed_at=T0 + M)
    assert wake_at(closed, POLICY) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=20))
def test_no_sequence_of_ticks_escalates_twice_or_repeats_past_the_cap(gaps: list[int]) -> None:
    incident = missed()
    now = T0
    escalations = repeats = 0
    for gap in gaps:
        now += gap * M
        incident, actions = advance(incident, now, POLICY)
        escalations += sum(isinstance(a, Escalate) for a in actions)
        repeats += sum(isinstance(a, Repeat) for a in actions)
    assert escalations <= 1
    assert repeats <= POLICY.repeat_max


@given(
    st.sampled_from(list(Action)),
    st.integers(min_value=1, max_value=10**12 - 1),
    st.none() | st.integers(min_value=1, max_value=10**12 - 1),
)
def test_callback_data_round_trips_and_fits_telegrams_limit(
    action: Action, target: int, extra: int | None
) -> None:
    data = encode(action, target, extra)
    assert len(data.encode()) <= 64
    assert decode(data) == Callback(action, target, extra)


@given(st.text(max_size=80))
def test_any_other_callback_data_is_rejected_without_raising(data: str) -> None:
    result = decode(data)
    assert result is None or encode(result.action, result.target) == data
