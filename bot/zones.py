"""IANA time zone names as people type them."""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import re
import sys
import unicodedata
import zoneinfo
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale

from bot.languages import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)


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


# Zones a button can name, by position: append only, never reorder, so a button
# sent before an upgrade still names the zone it showed. The fixed offsets come
# last, for a "UTC+5" that no city below matches.
OFFERED_ZONES: tuple[str, ...] = (
    "UTC",
    "Asia/Ashgabat",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Tashkent",
    "Asia/Almaty",
    "Asia/Bishkek",
    "Asia/Dushanbe",
    "Asia/Baku",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Europe/Kyiv",
    "Europe/Minsk",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Paris",
    "Europe/Warsaw",
    "Europe/Vilnius",
    "Europe/Riga",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Samara",
    "Europe/Kaliningrad",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Asia/Dubai",
    "Asia/Riyadh",
    "Asia/Tehran",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Perth",
    "Australia/Eucla",
    "Australia/Darwin",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Fiji",
    "Pacific/Kiritimati",
    "Africa/Cairo",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Atlantic/Azores",
    "America/Noronha",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/Halifax",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Marquesas",
    "Pacific/Honolulu",
    "Pacific/Pago_Pago",
    *(f"Etc/GMT{hours:+d}" for hours in range(-14, 13) if hours != 0),
)

# A short list of zones to offer first, by the language the person speaks.
LIKELY_ZONES: dict[str, tuple[str, ...]] = {
    "en": (
        "Asia/Ashgabat",
        "Europe/Istanbul",
        "Europe/Moscow",
        "Europe/Berlin",
        "Europe/London",
        "UTC",
    ),
    "ru": (
        "Europe/Moscow",
        "Asia/Ashgabat",
        "Asia/Tashkent",
        "Asia/Almaty",
        "Europe/Istanbul",
        "Europe/Kyiv",
    ),
    "tk": (
        "Asia/Ashgabat",
        "Europe/Istanbul",
        "Europe/Moscow",
        "Asia/Tashkent",
        "Asia/Dubai",
        "UTC",
    ),
}

_OFFSET = re.compile(
    r"^(?:utc|gmt)?\s*(?P<sign>[+\-\u2212])\s*(?P<hours>[0-9]{1,2})(?:[:.]?(?P<minutes>[0-9]{2}))?$"
)


def _fold(text: str) -> str:
    """Return ``text`` for comparison: case, accents, spaces and ``_`` do not matter."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", bare)


@functools.cache
def _zones_by_city() -> dict[str, str]:
    """Return folded city names (from the zone names and CLDR in every language) to zones."""
    zones = _zones_by_folded_name()
    cities: dict[str, str] = {}
    for name in sorted(zones.values()):
        if "/" in name and not name.startswith("Etc/"):
            cities.setdefault(_fold(name.rsplit("/", 1)[-1]), name)
    for language in SUPPORTED_LANGUAGES:
        for zone, names in Locale.parse(language).time_zones.items():
            city = names.get("city")
            canonical = zones.get(zone.casefold())
            if city and canonical is not None:
                cities.setdefault(_fold(city), canonical)
    return cities


def find_zone(text: str) -> str | None:
    """Return the zone ``text`` names: ``Asia/Ashgabat``, ``Ashgabat``, ``Ашхабад``, ``Aşgabat``."""
    return canonical_zone(text) or _zones_by_city().get(_fold(text))


def city_of(zone: str, language: str) -> str:
    """Return the zone's city in ``language`` (CLDR), or the last part of its name."""
    names = Locale.parse(language).time_zones.get(zone)
    city = names.get("city") if names else None
    return str(city) if city else zone.rsplit("/", 1)[-1].replace("_", " ")


def read_offset(text: str) -> timedelta | None:
    """Return the offset in ``UTC+5``, ``GMT-03:30`` or ``+5``, or ``None``."""
    match = _OFFSET.match(text.strip().casefold())
    if match is None:
        return None
    hours, minutes = int(match.group("hours")), int(match.group("minutes") or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if match.group("sign") in "-\u2212" else offset


def zones_at_offset(offset: timedelta, at: datetime, first: tuple[str, ...] = ()) -> list[str]:
    """Return the offered zones whose clocks are ``offset`` from UTC at ``at``,
    those in ``first`` first; a fixed ``Etc/GMT`` zone only when no city matches."""
    ordered = [*first, *(zone for zone in OFFERED_ZONES if zone not in first)]
    matches = [
        zone
        for zone in ordered
        if not zone.startswith("Etc/") and ZoneInfo(zone).utcoffset(at) == offset
    ]
    if matches:
        return matches
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    # POSIX names count the other way: Etc/GMT-5 is five hours ahead of UTC.
    fixed = f"Etc/GMT{-hours:+d}"
    return [fixed] if rest == 0 and fixed in OFFERED_ZONES else []


def offset_label(zone: str, at: datetime) -> str:
    """Return ``UTC+5`` or ``UTC+5:30``: the zone's offset at ``at``."""
    offset = ZoneInfo(zone).utcoffset(at) or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# Run in a child process: the polygon data costs about 35 MB of memory once
# loaded, which the bot would then carry for its whole life for a lookup each
# person makes about once. Coordinates travel on stdin, never on a command line
# that other local users could read.
_LOOKUP = (
    "import sys, tzfpy\n"
    "lat, lon = (float(v) for v in sys.stdin.read().split())\n"
    "print(tzfpy.get_tz(lon, lat))\n"
)
LOOKUP_TIMEOUT = 10.0


async def zone_at(latitude: float, longitude: float) -> str | None:
    """Return the time zone at a place, offline, or ``None`` if it cannot be told."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            _LOOKUP,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        logger.warning("could not start the time zone lookup", exc_info=True)
        return None
    try:
        out, _ = await asyncio.wait_for(
            child.communicate(f"{latitude!r} {longitude!r}".encode()), LOOKUP_TIMEOUT
        )
    except TimeoutError:
        child.kill()
        await child.wait()
        logger.warning("the time zone lookup took longer than %.0f s", LOOKUP_TIMEOUT)
        return None
    if child.returncode != 0:
        logger.warning("the time zone lookup failed (exit %s)", child.returncode)
        return None
    return canonical_zone(out.decode("ascii", "replace").strip())
