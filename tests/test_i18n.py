"""The catalogs match the code: every message translated, none stale, placeholders intact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, EXTRACT_KEYWORDS, LOCALE_DIR, Translations
from bot.languages import SUPPORTED_LANGUAGES
from bot.texts.keyboards import CHECKIN_LABEL, checkin_labels

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
# "ма" stands for both март and май.
CYRILLIC_MONTHS = ("янв", "фев", "ма", "апр", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


@cache
def code_messages() -> dict[str, tuple[str, ...]]:
    """Return every message marked in the code: its msgid and all its English forms."""
    found: dict[str, tuple[str, ...]] = {}
    for source in SOURCES:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, keywords=EXTRACT_KEYWORDS
        ):
            forms = (message,) if isinstance(message, str) else tuple(message)
            found[forms[0]] = forms
    return found


@cache
def catalog(language: str) -> Catalog:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def entries(language: str) -> list[Message]:
    return [message for message in catalog(language) if message.id]


def msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def translations_of(message: Message) -> list[str]:
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string or ())


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_code_marks_messages_for_translation() -> None:
    assert CHECKIN_LABEL in code_messages()
    assert len(code_messages()) > 10


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_in_the_code_is_translated_and_not_fuzzy(language: str) -> None:
    by_id = {msgid(message): message for message in entries(language)}
    missing = [text for text in code_messages() if text not in by_id]
    untranslated = [
        text for text in code_messages() if text in by_id and not all(translations_of(by_id[text]))
    ]
    fuzzy = [text for text in code_messages() if text in by_id and by_id[text].fuzzy]
    assert missing == [], f"run python -m tools.catalogs: {language} lacks {missing}"
    assert untranslated == [], f"{language} has no translation for {untranslated}"
    assert fuzzy == [], f"{language} marks as fuzzy {fuzzy}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_no_catalog_keeps_a_message_the_code_no_longer_has(language: str) -> None:
    code = code_messages()
    stale = [msgid(message) for message in entries(language) if msgid(message) not in code]
    assert stale == [], f"run python -m tools.catalogs: {language} still has {stale}"
    assert list(catalog(language).obsolete) == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_translation_keeps_exactly_the_placeholders_of_its_message(language: str) -> None:
    wrong: list[tuple[str, str]] = []
    for message in entries(language):
        forms = code_messages().get(msgid(message), (msgid(message),))
        allowed = [placeholders(form) for form in forms]
        for text in translations_of(message):
            names = placeholders(text)
            if names not in allowed:
                wrong.append((msgid(message), text))
                continue
            try:
                text.format(**{name: "x" for name in names})
            except (IndexError, KeyError, ValueError) as error:
                wrong.append((msgid(message), f"{text} ({error!r})"))
    assert wrong == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_loads_and_answers_in_its_own_language(language: str) -> None:
    tr = Translations()[language]
    assert tr.language == language
    label = tr(CHECKIN_LABEL)
    assert label
    if language == "en":
        assert label == CHECKIN_LABEL
    else:
        assert label != CHECKIN_LABEL, f"{language} shows the English check-in button"


def test_the_check_in_button_has_a_distinct_label_in_every_language() -> None:
    translations = Translations()
    labels = [translations[language](CHECKIN_LABEL) for language in SUPPORTED_LANGUAGES]
    assert len(set(labels)) == len(SUPPORTED_LANGUAGES)
    assert checkin_labels(translations) == frozenset(labels)


def test_durations_are_written_in_the_persons_language() -> None:
    translations = Translations()
    two_hours = timedelta(hours=2)
    assert "hour" in translations["en"].duration(two_hours)
    assert "час" in translations["ru"].duration(two_hours)
    assert "sagat" in translations["tk"].duration(two_hours)
    assert "2" in translations["ru"].duration(two_hours)
    assert "мин" in translations["ru"].duration(timedelta(hours=1, minutes=30))
    assert "minut" in translations["tk"].duration(timedelta(hours=1, minutes=30))


def test_moments_are_written_in_the_persons_language() -> None:
    at = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
    translations = Translations()
    english = translations["en"].moment(at, "Europe/Moscow")
    russian = translations["ru"].moment(at, "Europe/Moscow").lower()
    turkmen = translations["tk"].moment(at, "Asia/Ashgabat").lower()
    assert "12:05" in english
    assert "Mar" in english
    assert "12:05" in russian
    assert any(month in russian for month in CYRILLIC_MONTHS)
    assert "14:05" in turkmen
    # Turkmen writes the month and weekday out: CLDR's short forms read as other words.
    assert turkmen == "1 mart, ýekşenbe 14:05"
    assert len({english, russian, turkmen}) == 3


def test_the_english_catalog_says_exactly_what_the_code_says() -> None:
    for message in entries("en"):
        forms = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        assert tuple(translations_of(message)) == forms, message.id


@pytest.mark.parametrize(("language", "expected"), [("en", "just now"), ("ru", "только что")])
def test_a_moment_ago_is_just_now_never_in_0_seconds(language: str, expected: str) -> None:
    tr = Translations()[language]
    assert tr.ago(timedelta(0)) == expected
    assert tr.ago(timedelta(seconds=-5)) == expected
    assert tr.ago(timedelta(seconds=59)) == expected
    assert tr.ago(timedelta(minutes=3)) != expected


def test_russian_durations_take_the_case_their_preposition_asks_for() -> None:
    tr = Translations()["ru"]
    every = tr("every {duration}", duration=tr.duration(timedelta(minutes=21), accusative=True))
    assert every == "раз в 21 минуту"
    reminder = tr(
        "Reminder set: {before} before each deadline.",
        before=tr.duration(timedelta(hours=1, minutes=1), accusative=True),
    )
    assert reminder == "Напоминание установлено: за 1 час 1 минуту до каждого срока."
    # Plural forms and other languages are left as they are.
    assert tr.duration(timedelta(minutes=22), accusative=True) == "22 минуты"
    assert Translations()["en"].duration(timedelta(minutes=21), accusative=True) == "21 minutes"


def test_every_check_in_label_is_also_a_check_in_phrase() -> None:
    """A keyboard sent before a label changed still checks in: the old label is
    read as a check-in phrase even once it is no longer any language's label."""
    from bot.checkin_words import is_checkin_phrase

    for label in checkin_labels(Translations()):
        assert is_checkin_phrase(label), label


# Words that stay as they are in every language: the alarm's name and the product's.
_UNTRANSLATED_WORDS = frozenset({"SOS"})


@pytest.mark.parametrize("language", ["ru", "tk"])
def test_no_english_is_left_in_a_translation(language: str) -> None:
    """A message copied unchanged into ru or tk must have no words to translate."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    copied = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if not text or text not in ids:
                continue
            words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[a-z_]+\}", "", text)))
            if words - _UNTRANSLATED_WORDS:
                copied.append(text)
    assert copied == []
