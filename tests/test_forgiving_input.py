"""What people type for durations, times of day and zones, read as they meant it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.daytimes import read_time, split_times
from bot.durations import MAX_DURATION, DurationError, format_duration, read_duration
from bot.zones import (
    LIKELY_ZONES,
    OFFERED_ZONES,
    canonical_zone,
    find_zone,
    offset_label,
    read_offset,
    zones_at_offset,
)

HOUR = 3_600


@pytest.mark.parametrize(
    ("text", "bare_unit", "expected"),
    [
        ("12", HOUR, timedelta(hours=12)),
        ("30", 60, timedelta(minutes=30)),
        ("12 hours", None, timedelta(hours=12)),
        ("12ч", None, timedelta(hours=12)),
        ("12 часов", None, timedelta(hours=12)),
        ("12 saat", None, timedelta(hours=12)),
        ("12 sagat", None, timedelta(hours=12)),
        ("1w", None, timedelta(weeks=1)),
        ("2 дня", None, timedelta(days=2)),
        ("3 gün", None, timedelta(days=3)),
        ("30 мин", None, timedelta(minutes=30)),
        ("1.5h", None, timedelta(minutes=90)),
        ("1,5 ч", None, timedelta(minutes=90)),
        ("1h 30", None, timedelta(minutes=90)),
        ("1 hour and 30 minutes", None, timedelta(minutes=90)),
        ("1h30m", None, timedelta(minutes=90)),
        ("90S", None, timedelta(seconds=90)),
    ],
)
def test_durations_are_read_as_people_write_them(
    text: str, bare_unit: int | None, expected: timedelta
) -> None:
    assert read_duration(text, bare_unit) == expected


@pytest.mark.parametrize(
    "text",
    ["", "12", "banana", "1h1h", "h", "12x", "-3h", "0h", "3651d", "12 hours ago", "1.234h"],
)
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationError):
        read_duration(text)


@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_the_compact_form_reads_the_same_forgivingly(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert read_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("9", time(9)),
        ("09:00", time(9)),
        ("9.30", time(9, 30)),
        ("0930", time(9, 30)),
        ("21", time(21)),
        ("9pm", time(21)),
        ("12am", time(0)),
        ("23:59", time(23, 59)),
    ],
)
def test_times_of_day_are_read_as_people_write_them(word: str, expected: time) -> None:
    assert read_time(word) == expected


@pytest.mark.parametrize("word", ["24", "9:60", "13pm", "abc", "9:5", "", "-1"])
def test_what_is_not_a_time_of_day_is_refused(word: str) -> None:
    assert read_time(word) is None


def test_a_list_of_times_splits_on_spaces_commas_and_and() -> None:
    assert split_times("9:30 21") == ["9:30", "21"]
    assert split_times("9, 21:00 and 3 pm") == ["9", "21:00", "3pm"]
    assert split_times("  ") == []


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Asia/Ashgabat", "Asia/Ashgabat"),
        ("asia/ashgabat", "Asia/Ashgabat"),
        ("Ashgabat", "Asia/Ashgabat"),
        ("Ашхабад", "Asia/Ashgabat"),
        ("Aşgabat", "Asia/Ashgabat"),
        ("asgabat", "Asia/Ashgabat"),
        ("Москва", "Europe/Moscow"),
        ("Moskwa", "Europe/Moscow"),
        ("new york", "America/New_York"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_zones_are_found_by_city_in_every_language(text: str, zone: str) -> None:
    assert find_zone(text) == zone


def test_an_unknown_place_is_no_zone() -> None:
    assert find_zone("Mars") is None


NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("UTC+5", 300), ("gmt-3:30", -210), ("+5", 300), ("UTC+05:30", 330), ("UTC\u22125", -300)],
)
def test_offsets_are_read(text: str, minutes: int) -> None:
    assert read_offset(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["UTC+15", "5", "UTC+5:75", "Asia/Ashgabat"])
def test_what_is_not_an_offset_is_refused(text: str) -> None:
    assert read_offset(text) is None


def test_an_offset_maps_to_real_zones_the_likely_one_first() -> None:
    zones = zones_at_offset(timedelta(hours=5), NOW, LIKELY_ZONES["tk"])
    assert zones[0] == "Asia/Ashgabat"
    assert "Asia/Tashkent" in zones
    # Half hours too, and an offset no city has now falls back to a fixed zone.
    assert zones_at_offset(timedelta(hours=5, minutes=30), NOW) == ["Asia/Kolkata"]
    assert zones_at_offset(timedelta(hours=-12), NOW) == ["Etc/GMT+12"]
    assert offset_label("Etc/GMT+12", NOW) == "UTC-12"


def test_every_offered_zone_is_a_real_zone_and_none_twice() -> None:
    assert all(canonical_zone(zone) == zone for zone in OFFERED_ZONES)
    assert len(set(OFFERED_ZONES)) == len(OFFERED_ZONES)
    assert all(set(likely) <= set(OFFERED_ZONES) for likely in LIKELY_ZONES.values())
