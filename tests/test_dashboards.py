"""The order of a dashboard: what a coordinator must look at first comes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.dashboards import MemberRow, digest, ordered
from bot.core.watches import AlertReason, WatchState

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def row(
    person_id: int,
    state: WatchState = WatchState.OK,
    deadline: datetime | None = None,
    alert_since: datetime | None = None,
) -> MemberRow:
    return MemberRow(
        person_id=person_id,
        name=f"P{person_id}",
        state=state,
        deadline_at=deadline,
        paused_until=None,
        last_checkin_at=None,
        reachable=1,
        contacts=1,
        alert=None if alert_since is None else AlertReason.MISSED,
        alert_since=alert_since,
    )


def test_open_alerts_then_the_late_then_the_nearest_deadline_then_the_rest() -> None:
    rows = [
        row(1, WatchState.UNARMED),
        row(2, deadline=T0 + 5 * H),
        row(3, WatchState.OVERDUE, T0 - H, alert_since=T0 - H / 2),
        row(4, WatchState.DUE, T0 - H / 4),
        row(5, deadline=T0 + H),
        row(6, WatchState.PAUSED),
        row(7, WatchState.OVERDUE, T0 - 2 * H, alert_since=T0 - 2 * H),
    ]
    assert [r.person_id for r in ordered(rows)] == [7, 3, 4, 5, 2, 1, 6]


@given(st.lists(st.integers(min_value=1, max_value=50), unique=True, max_size=12), st.randoms())
def test_the_order_does_not_depend_on_the_order_read(ids: list[int], rng: object) -> None:
    rows = [row(i, deadline=T0 + (i % 5) * H) for i in ids]
    shuffled = list(rows)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert ordered(shuffled) == ordered(rows)


def test_the_digest_changes_with_a_state_and_not_otherwise() -> None:
    rows = [row(1, deadline=T0 + H), row(2)]
    assert digest(rows) == digest([row(1, deadline=T0 + H), row(2)])
    assert digest(rows) != digest([row(1, WatchState.DUE, T0 + H), row(2)])
