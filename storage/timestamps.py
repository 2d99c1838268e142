"""Convert aware datetimes to and from the one text form stored in ``*_at`` columns.

A fixed-width UTC form (``2026-11-27T23:53:22.000000Z``) sorts as text in time
order, so indexed comparisons such as ``wake_at <= ?`` are correct.
"""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db(moment: datetime) -> str:
    """Return the stored form of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    """Return the aware UTC datetime a stored ``*_at`` value holds."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
