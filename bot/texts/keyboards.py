"""The reply keyboard that stays under the chat: check in, SOS, send the location."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import N_, Translations, Translator

# TRANSLATORS: a button under the chat: the person says they are safe. Keep it short.
# The old label keeps working after a change, so a translation can be improved.
CHECKIN_LABEL = N_("✅ I'm OK")
# TRANSLATORS: a button that alerts every contact (after one confirming tap).
SOS_LABEL = N_("🆘 SOS")
# TRANSLATORS: a button that makes the phone send where the person is now.
LOCATION_LABEL = N_("📍 Send location")
# TRANSLATORS: a button that starts a timed check-in for one risky errand. Keep it short.
TIMER_LABEL = N_("⏱ Timer")


def checkin_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    """Return the persistent keyboard: "I'm OK", "SOS" (asks once before it alerts),
    "Send location" (Telegram asks the phone for the place) and "Timer"."""
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(tr(CHECKIN_LABEL)), KeyboardButton(tr(SOS_LABEL))],
            [
                KeyboardButton(tr(LOCATION_LABEL), request_location=True),
                KeyboardButton(tr(TIMER_LABEL)),
            ],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def in_every_language(label: str, translations: Translations) -> frozenset[str]:
    """Return ``label`` as every language writes it: a keyboard sent before a
    language change still shows the old one."""
    return frozenset(tr(label) for tr in translations.all())


def checkin_labels(translations: Translations) -> frozenset[str]:
    return in_every_language(CHECKIN_LABEL, translations)


def sos_labels(translations: Translations) -> frozenset[str]:
    return in_every_language(SOS_LABEL, translations)


def timer_labels(translations: Translations) -> frozenset[str]:
    return in_every_language(TIMER_LABEL, translations)


def vital_labels(translations: Translations) -> frozenset[str]:
    """Return the labels that must never wait or be dropped: check in and SOS."""
    return checkin_labels(translations) | sos_labels(translations)


def button_labels(translations: Translations) -> frozenset[str]:
    """Return the keyboard's labels that act like commands: never an answer to a question."""
    return vital_labels(translations) | timer_labels(translations)
