"""Convert aware datetimes to and from the one text form stored in ``*_at`` columns.

A fixed-width UTC form (``2026-11-27T23:53:22.000000Z``) sorts as text in time
order, so indexed comparisons such as ``wake_at <= ?`` are correct.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

_WIDTH = len("2026-11-27T23:53:22.000000Z")


# A sweep writes the same few moments (its "now", the deadlines of a crowd) over
# and over: the text of the last ones is kept (the form costs microseconds).
@functools.lru_cache(maxsize=1024)
def to_db(moment: datetime) -> str:
    """Return the stored form of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    # isoformat is many times faster than strftime and, with a naive UTC value
    # and microseconds always written, gives exactly the fixed-width form.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db(text: str) -> datetime:
    """Return the aware UTC datetime a stored ``*_at`` value holds."""
    # fromisoformat is many times faster than strptime but takes other forms
    # too: insist on the one we write (it reads its "Z" as UTC).
    if len(text) != _WIDTH or text[10] != "T" or not text.endswith("Z"):
        raise ValueError(f"not a stored moment: {text!r}")
    return datetime.fromisoformat(text)
