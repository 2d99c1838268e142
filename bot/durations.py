"""Parse and format durations written with units: ``90s``, ``15m``, ``12h``, ``2d``, ``1h30m``.

One parser serves the settings file and the commands people type, so what an
operator writes in ``settings.toml`` and what an activist types after ``/every``
mean the same thing.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS: dict[str, int] = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_PART = re.compile(r"([0-9]{1,6})([dhms])")
# Bounded so a hostile "/every 99999999999d" cannot overflow datetime arithmetic.
MAX_DURATION = timedelta(days=3_650)


class DurationError(ValueError):
    """Raised when a text is not a duration such as ``12h`` or ``1h30m``."""


def parse_duration(text: str) -> timedelta:
    """Return the duration written in ``text``, or raise :class:`DurationError`.

    Units must appear at most once each and from largest to smallest
    (``1d12h``, not ``12h1d``); upper case and surrounding spaces are accepted.
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise DurationError("empty duration")
    seconds = 0
    position = 0
    last_rank = -1
    ranks = list(_UNITS)
    while position < len(compact):
        match = _PART.match(compact, position)
        if match is None:
            raise DurationError(f"not a duration: {text!r}")
        rank = ranks.index(match.group(2))
        if rank <= last_rank:
            raise DurationError(f"units out of order or repeated: {text!r}")
        last_rank = rank
        seconds += int(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    result = timedelta(seconds=seconds)
    if result <= timedelta(0):
        raise DurationError(f"duration must be positive: {text!r}")
    if result > MAX_DURATION:
        raise DurationError(f"duration too long: {text!r}")
    return result


def format_duration(value: timedelta) -> str:
    """Return ``value`` in the same notation :func:`parse_duration` reads (``1h30m``)."""
    remaining = int(value.total_seconds())
    if remaining <= 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNITS.items():
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# Unit words people type in English, Russian and Turkmen, case-folded; the value
# is the unit's length in seconds. "м" is minutes (Russian has no month here).
_WORDS: dict[int, tuple[str, ...]] = {
    1: (
        "s",
        "sec",
        "secs",
        "second",
        "seconds",
        "\u0441",  # the Cyrillic letter es, as in Russian "30 seconds"
        "сек",
        "секунда",
        "секунды",
        "секунд",
        "sek",
        "sekunt",
    ),
    60: (
        "m",
        "min",
        "mins",
        "minute",
        "minutes",
        "м",
        "мин",
        "минута",
        "минуты",
        "минут",
        "минуту",
        "minut",
        "minutlap",
    ),
    3_600: (
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "ч",
        "час",
        "часа",
        "часов",
        "часы",
        "sag",
        "sagat",
        "saat",
        "sagatlap",
    ),
    86_400: (
        "d",
        "day",
        "days",
        "д",
        "дн",
        "день",
        "дня",
        "дней",
        "сут",
        "сутки",
        "суток",
        "gün",
        "gun",
        "günlük",
    ),
    604_800: (
        "w",
        "wk",
        "wks",
        "week",
        "weeks",
        "н",
        "нед",
        "неделя",
        "недели",
        "недель",
        "неделю",
        "hepde",
        "hepdelik",
    ),
}
_UNIT_OF_WORD = {word: size for size, words in _WORDS.items() for word in words}
# A number, then an optional unit word (letters only), then an optional dot.
_READ_PART = re.compile(r"\s*([0-9]{1,6}(?:[.,][0-9]{1,2})?)\s*([^\W\d_]*)\.?\s*(?:and|и|we|,)?")


def read_duration(text: str, bare_unit: int | None = None) -> timedelta:
    """Return the duration a person typed, as forgiving as it can safely be.

    Reads ``12h``, ``12 hours``, ``12ч``, ``12 saat``, ``1w``, ``1.5h``,
    ``1h 30``, ``2 дня 3 часа``; a lone number is in ``bare_unit`` seconds
    (hours for a plan, say). Each unit at most once; raises
    :class:`DurationError` for anything else.
    """
    folded = text.strip().casefold()
    if not folded:
        raise DurationError("empty duration")
    seconds = 0.0
    seen: list[int] = []
    position = 0
    while position < len(folded):
        match = _READ_PART.match(folded, position)
        if match is None or match.end() == position:
            raise DurationError(f"not a duration: {text!r}")
        number = float(match.group(1).replace(",", "."))
        word = match.group(2)
        if word:
            unit = _UNIT_OF_WORD.get(word)
        elif len(seen) == 0 and match.end() == len(folded):
            unit = bare_unit
        elif seen and seen[-1] == 3_600:
            unit = 60  # "1h 30": the minutes after the hours.
        else:
            unit = None
        if unit is None or unit in seen:
            raise DurationError(f"not a duration: {text!r}")
        seen.append(unit)
        seconds += number * unit
        position = match.end()
    result = timedelta(seconds=round(seconds))
    if result <= timedelta(0):
        raise DurationError(f"duration must be positive: {text!r}")
    if result > MAX_DURATION:
        raise DurationError(f"duration too long: {text!r}")
    return result
