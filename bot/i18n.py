"""Translations and locale-aware formatting of times and durations.

Every user-visible string is an English message in the code, passed to a
:class:`Translator` named ``tr`` (or marked with :func:`N_` where it is
translated later; ``tr.plural`` for counted forms), extracted into
``bot/locale/messages.pot`` and translated in
``bot/locale/<lang>/LC_MESSAGES/messages.po``. The ``.po`` files are compiled in
memory at start, so there is no build step and no generated file to forget.

Messages use ``{name}`` placeholders filled with :meth:`str.format`; values are
inserted as they are, so text typed by users is never interpreted.
"""

from __future__ import annotations

import gettext
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.units import format_unit

from bot.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# Keywords for extraction: the tooling and the catalog test both use these.
EXTRACT_KEYWORDS = {"tr": None, "N_": None, "plural": (1, 2)}

_Unit = Literal["day", "hour", "minute", "second"]
_UNITS: tuple[tuple[_Unit, int], ...] = (
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


# Languages whose dates spell out the month and weekday.
_FULL_NAMES = frozenset({"tk"})

# Russian unit names whose accusative differs from the nominative CLDR gives.
_RU_ACCUSATIVE = (("минута", "минуту"), ("секунда", "секунду"), ("неделя", "неделю"))


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


# TRANSLATORS: how long ago something happened, when it was under a minute ago.
JUST_NOW = N_("just now")


def to_minutes(value: timedelta) -> timedelta:
    """Return ``value`` rounded to whole minutes (at least one), for "in 59 minutes"."""
    minutes = max(1, round(value.total_seconds() / 60))
    return timedelta(minutes=minutes)


class Translator:
    """Translate and format for one language."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def __call__(self, message: str, /, **values: object) -> str:
        """Return ``message`` translated, with ``{placeholders}`` filled from ``values``."""
        return self._translations.gettext(message).format(**values)

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """Return the form for ``count`` translated; ``{count}`` is filled too."""
        return self._translations.ngettext(singular, plural, count).format(count=count, **values)

    def moment(self, at: datetime, zone: str) -> str:
        """Return ``at`` as a weekday, date and time in ``zone``: ``Sun, Mar 1 14:05``."""
        tz = ZoneInfo(zone)
        if self.language in _FULL_NAMES:
            # CLDR's short Turkmen names read as other words ("few", "sen", "siş"):
            # months and weekdays are written out, as Turkmen writes them.
            day = format_datetime(at, "d MMMM, EEEE", tzinfo=tz, locale=self.language)
        else:
            day = format_skeleton("MMMEd", at, tzinfo=tz, locale=self.language)
        clock = format_skeleton("Hm", at, tzinfo=tz, locale=self.language)
        return f"{day} {clock}"

    def time_of_day(self, value: time) -> str:
        """Return a wall-clock time such as ``21:00``."""
        return f"{value.hour:02d}:{value.minute:02d}"

    def duration(self, value: timedelta, *, accusative: bool = False) -> str:
        """Return an exact duration in words: ``1 hour 30 minutes``.

        ``accusative``: the form after a preposition that takes it, where the
        language has one: Russian "раз в 21 минуту", "за 1 минуту" (CLDR gives
        the nominative only; of the units used, just the feminine singulars differ).
        """
        text = self._duration(value)
        if accusative and self.language == "ru":
            for nominative, accusative_form in _RU_ACCUSATIVE:
                text = re.sub(rf"\b{nominative}\b", accusative_form, text)
        return text

    def distance(self, metres: float) -> str:
        """Return a distance as people say it: ``350 m``, ``2.4 km``."""
        if metres < 1_000:
            value, unit = float(max(10, round(metres / 10) * 10)), "length-meter"
        else:
            value, unit = round(metres / 1_000, 1), "length-kilometer"
        return format_unit(value, unit, length="short", locale=self.language)

    def hours(self, value: timedelta) -> str:
        """Return whole hours as hours, however many: ``24 hours``, not ``1 day``."""
        hours = max(1, round(value.total_seconds() / 3_600))
        return format_timedelta(
            timedelta(hours=hours), granularity="hour", threshold=1_000_000, locale=self.language
        )

    def _duration(self, value: timedelta) -> str:
        remaining = int(value.total_seconds())
        parts: list[str] = []
        for unit, size in _UNITS:
            count, remaining = divmod(remaining, size)
            if count:
                parts.append(
                    format_timedelta(
                        timedelta(seconds=count * size),
                        granularity=unit,
                        threshold=1_000_000,
                        locale=self.language,
                    )
                )
        if not parts:
            return format_timedelta(timedelta(0), granularity="second", locale=self.language)
        return " ".join(parts)

    def ago(self, value: timedelta) -> str:
        """Return a past duration, rounded as people say it: ``3 hours ago``.

        Under a minute (or a clock that stepped back) it is "just now", never
        "in 0 seconds".
        """
        if value < timedelta(minutes=1):
            return self(JUST_NOW)
        return format_timedelta(-value, add_direction=True, locale=self.language)


class Translations:
    """Every supported language's translator, loaded once at start."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._translators = {
            language: Translator(language, _load(locale_dir, language))
            for language in SUPPORTED_LANGUAGES
        }

    def __getitem__(self, language: str) -> Translator:
        """Return the translator for ``language``, English for anything unknown."""
        return self._translators.get(language, self._translators[DEFAULT_LANGUAGE])

    def all(self) -> list[Translator]:
        return list(self._translators.values())


def _load(locale_dir: Path, language: str) -> gettext.NullTranslations:
    path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
