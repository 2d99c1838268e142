"""The reply keyboard with the check-in button, in the person's language."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import N_, Translations, Translator

CHECKIN_LABEL = N_("✅ I'm OK")


def checkin_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    """Return the persistent keyboard whose one button checks in."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(tr(CHECKIN_LABEL))]], resize_keyboard=True, is_persistent=True
    )


def checkin_labels(translations: Translations) -> frozenset[str]:
    """Return the button's label in every language: a keyboard sent before a
    language change still shows the old one."""
    return frozenset(tr(CHECKIN_LABEL) for tr in translations.all())
