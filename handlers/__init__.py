"""Telegram adapters: parse an update, call one service, reply.

:func:`register` adds every handler in one ordered list. PTB runs the first
matching handler of a group, so order matters where filters overlap: known
commands first, then the check-in button (a text that must not be kept as
context), then context messages, and the catch-alls for unknown commands and
unsupported messages last.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotApplication, BotContext
from bot.i18n import Translations
from handlers import (
    answers,
    asks,
    buttons,
    checkin,
    contacts,
    discretion,
    drill,
    errors,
    flood,
    help,
    language,
    lastknown,
    membership,
    pause,
    pins,
    plans,
    setup,
    sos,
    start,
    status,
    teams,
    timer,
    unknown,
    zone,
)


def build_handlers(translations: Translations) -> list[BaseHandler[Update, BotContext, Any]]:
    """Return all handlers in the order PTB must try them."""
    return [
        # First: a setting command without an argument shows buttons, whichever
        # module handles it with one.
        *setup.build(),
        zone.build(),
        # Before start.build(): "/start <code>" opens a team link or an invitation;
        # a team link's code has its own shape, so it goes first.
        *teams.build(),
        *contacts.build(),
        start.build(),
        drill.build(),
        *pins.build(),
        *discretion.build(),
        # Before the general button router, which takes every press left.
        *sos.build(translations),
        *timer.build(translations),
        *asks.build(),
        buttons.build(),
        membership.build(),
        help.build(),
        language.build(),
        *plans.build(),
        *pause.build(),
        status.build(),
        *checkin.build(translations),
        *lastknown.build(),
        *unknown.build(),
    ]


def register(application: BotApplication, translations: Translations) -> None:
    """Attach every handler and the error handler to ``application``."""
    # Groups run in order, lowest first: drop floods, then remember every message
    # (for /wipe), then take PIN entries, which must never be kept as context.
    application.add_handler(flood.build(), group=flood.FLOOD_GROUP)
    application.add_handler(discretion.build_tracking(), group=discretion.TRACK_GROUP)
    application.add_handler(pins.build_entry(), group=pins.ENTRY_GROUP)
    # A location or city answering "which time zone?", a timer's note: after the
    # PIN, before context.
    application.add_handler(answers.build(), group=pins.ENTRY_GROUP)
    application.add_handlers(build_handlers(translations))
    application.add_error_handler(errors.handle_error)
