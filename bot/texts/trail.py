"""The trail of places in an alert: when, how far and which way, and a map link for each."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from bot.core.context import TrailPoint
from bot.i18n import N_, Translator

_EARTH_RADIUS_M = 6_371_000.0
# Below this, two positions are the same place (a phone's fix wanders this much).
SAME_PLACE_M = 25.0
# Clockwise from north, one per 45 degrees.
_DIRECTIONS = (
    N_("north"),
    N_("north-east"),
    N_("east"),
    N_("south-east"),
    N_("south"),
    N_("south-west"),
    N_("west"),
    N_("north-west"),
)


def distance_m(a: TrailPoint, b: TrailPoint) -> float:
    """Return the distance from ``a`` to ``b`` in metres (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing(a: TrailPoint, b: TrailPoint) -> float:
    """Return the direction from ``a`` to ``b`` in degrees clockwise from north."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlon = math.radians(b.longitude - a.longitude)
    x = math.sin(dlon) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def direction(tr: Translator, degrees: float) -> str:
    """Return the compass direction of ``degrees`` in words."""
    return tr(_DIRECTIONS[round(degrees / 45) % 8])


def map_link(point: TrailPoint) -> str:
    """Return an OpenStreetMap link centred on the point, with a marker."""
    lat, lon = f"{point.latitude:.5f}", f"{point.longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def render_trail(
    tr: Translator, points: Sequence[TrailPoint], zone: str, now: datetime
) -> list[str]:
    """Return the alert's lines about the trail, newest place first; none for one place."""
    if len(points) < 2:
        return []
    lines = ["", tr("🗺 Where they have been, newest first:")]
    for index in range(len(points) - 1, -1, -1):
        point = points[index]
        when = tr(
            "{moment}, {ago}",
            moment=tr.moment(point.recorded_at, zone),
            ago=tr.ago(now - point.recorded_at),
        )
        if index == 0:
            lines.append(f"• {when}")
        else:
            before = points[index - 1]
            metres = distance_m(before, point)
            if metres < SAME_PLACE_M:
                moved = tr("at the place before")
            else:
                moved = tr(
                    # TRANSLATORS: e.g. "350 m north-east of the place before".
                    "{distance} {direction} of the place before",
                    distance=tr.distance(metres),
                    direction=direction(tr, bearing(before, point)),
                )
            lines.append(f"• {when} — {moved}")
        lines.append(f"  {map_link(point)}")
    return lines
