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
