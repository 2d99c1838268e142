from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import MAX_DURATION, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("12h", timedelta(hours=12)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 12H ", timedelta(hours=12)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
    ],
)
def test_parse_duration_reads_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "banana",
        "12",
        "h",
        "12x",
        "1.5h",
        "-3h",
        "0s",
        "0h0m",
        "30m1h",
        "1h1h",
        "1h30",
        "\uff19\uff10s",
        "99999999d",
        "3651d",
    ],
)
def test_parse_duration_rejects_what_is_not_a_positive_duration(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def test_the_longest_duration_is_accepted() -> None:
    assert parse_duration("3650d") == MAX_DURATION


@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_format_duration_round_trips_through_parse(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


def test_format_duration_writes_the_compact_form() -> None:
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_duration(timedelta(days=2)) == "2d"
