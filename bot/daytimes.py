"""Times of day as people type them: ``9``, ``09:00``, ``9.30``, ``0930``, ``9pm``."""

from __future__ import annotations

import re
from datetime import time

_TIME = re.compile(
    r"^(?P<hour>[0-9]{1,2})(?:[:.h]?(?P<minute>[0-9]{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?$"
)
# Between the times of one /at: spaces, commas, semicolons, "and".
_SEPARATORS = re.compile(r"\s*(?:[,;]|\band\b|\bи\b|\bwe\b)\s*|\s+")


def read_time(word: str) -> time | None:
    """Return the time of day ``word`` names, or ``None``."""
    match = _TIME.match(word.strip().casefold())
    if match is None:
        return None
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    half = match.group("half")
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def split_times(text: str) -> list[str]:
    """Return the words of a list of times: ``9:30, 21`` gives ``["9:30", "21"]``."""
    # "9 pm" is one time: glue a detached am/pm to the number before it.
    glued = re.sub(r"\s+(am|pm|a\.m\.|p\.m\.)\b", r"\1", text.strip(), flags=re.IGNORECASE)
    return [word for word in _SEPARATORS.split(glued) if word]
