"""IANA time zone names as people type them."""

from __future__ import annotations

import difflib
import functools
import zoneinfo


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def canonical_zone(text: str) -> str | None:
    """Return the IANA name ``text`` means (case-insensitive, spaces as ``_``), or ``None``."""
    folded = text.strip().replace(" ", "_").casefold()
    return _zones_by_folded_name().get(folded)


def similar_zones(text: str, limit: int = 3) -> list[str]:
    """Return up to ``limit`` zone names close to ``text``, for a helpful answer."""
    folded = text.strip().replace(" ", "_").casefold()
    zones = _zones_by_folded_name()
    matches = difflib.get_close_matches(folded, list(zones), n=limit, cutoff=0.6)
    if not matches:
        # "Ashgabat" alone: look for zones whose city part matches.
        matches = [key for key in zones if key.rsplit("/", 1)[-1] == folded][:limit]
    return [zones[key] for key in matches]
