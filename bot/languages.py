"""The languages the bot speaks and the first guess of a person's language."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("en", "ru", "tk")
DEFAULT_LANGUAGE = "en"


def guess_language(language_code: str | None) -> str:
    """Return the supported language closest to Telegram's ``language_code``.

    Telegram sends an IETF tag such as ``ru`` or ``en-GB`` (or nothing); only its
    primary subtag matters here.
    """
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.split("-", 1)[0].strip().lower()
    return primary if primary in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
