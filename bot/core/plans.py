"""Check-in plans and the deadlines they produce.

Two kinds of plan: an interval ("every 12h": the deadline is the last check-in
plus the interval) and daily times ("at 09:00 and 21:00" in the activist's own
IANA zone). Daily deadlines are computed from wall-clock times in the zone on
each local date, so a DST change moves the UTC moment and never skips or
doubles a slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class IntervalPlan:
    """Check in at least once every ``every``."""

    every: timedelta


@dataclass(frozen=True)
class DailyPlan:
    """Check in by each of ``times`` (local wall-clock times) every day."""

    times: tuple[time, ...]

    def __post_init__(self) -> None:
        if not self.times:
            raise ValueError("a daily plan needs at least one time")
        if list(self.times) != sorted(set(self.times)):
            raise ValueError("daily times must be sorted and distinct")


Plan = IntervalPlan | DailyPlan


def plan_text(plan: Plan) -> str:
    """Return a plan as the audit trail records it: ``every:43200`` or ``at:09:00,21:00``."""
    if isinstance(plan, IntervalPlan):
        return f"every:{int(plan.every.total_seconds())}"
    return "at:" + ",".join(f"{t.hour:02d}:{t.minute:02d}" for t in plan.times)


def first_deadline(plan: Plan, zone: str, start: datetime) -> datetime:
    """Return the first deadline of a plan armed (or resumed) at ``start``."""
    if isinstance(plan, IntervalPlan):
        return start + plan.every
    return next_slot(plan, zone, start)


def deadline_after_checkin(
    plan: Plan, zone: str, checked_in_at: datetime, window: timedelta
) -> datetime:
    """Return the deadline that follows a check-in at ``checked_in_at``.

    For daily times, a check-in inside ``window`` before a slot satisfies that
    slot, so the deadline becomes the slot after it. One check-in satisfies at
    most one upcoming slot: with slots an hour apart and a two-hour window, a
    check-in does not skip both.
    """
    if isinstance(plan, IntervalPlan):
        return checked_in_at + plan.every
    upcoming = next_slot(plan, zone, checked_in_at)
    if upcoming - window <= checked_in_at:
        return next_slot(plan, zone, upcoming)
    return upcoming


def next_slot(plan: DailyPlan, zone: str, after: datetime) -> datetime:
    """Return the first daily slot strictly after ``after``, as an aware UTC datetime."""
    tz = ZoneInfo(zone)
    local_date = after.astimezone(tz).date()
    # Every slot of the next local date lies after `after`, so the answer is
    # among the slots of yesterday, today and tomorrow; yesterday counts when the
    # zone's clocks just went back.
    candidates = (
        # fold=0: an ambiguous wall time (clocks going back) means its first
        # occurrence; a nonexistent one (clocks going forward) maps to the same
        # instant shifted by the gap, so the slot still happens exactly once.
        datetime.combine(local_date + timedelta(days=offset), slot, tzinfo=tz).astimezone(UTC)
        for offset in (-1, 0, 1)
        for slot in plan.times
    )
    return min(moment for moment in candidates if moment > after)
