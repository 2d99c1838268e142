"""The stored form of moments: fixed width, sorting in time order, read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.timestamps import from_db, to_db

MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(MOMENTS, OFFSETS)
def test_a_moment_in_any_zone_is_stored_in_the_utc_form_and_read_back_equal(
    moment: datetime, zone: timezone
) -> None:
    local = moment.astimezone(zone)
    stored = to_db(local)
    assert stored == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert from_db(stored) == moment
    assert from_db(stored).tzinfo == UTC


@given(MOMENTS, MOMENTS)
def test_stored_moments_sort_as_text_in_time_order(first: datetime, second: datetime) -> None:
    assert (to_db(first) < to_db(second)) == (first < second)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27 23:53:22.000000Z",
        "2026-11-27T23:53:22.000000+03:00",
        "2026-11-27T23:53:22Z",
        "20261127T235322.000000000Z",
        "2026-11-27T23:53:22.000000",
        "",
    ],
)
def test_a_value_in_any_other_form_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"stored moment|Invalid isoformat"):
        from_db(text)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 11, 27, 23, 53))
