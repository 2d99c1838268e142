"""The first handler of all: drop a flood of updates from one person, and edited commands."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.languages import guess_language

logger = logging.getLogger(__name__)

# Runs before the PIN entries (-1) and everything else (0).
FLOOD_GROUP = -3


async def limit(update: Update, context: BotContext) -> None:
    edited = update.edited_message
    if edited is not None and (edited.text or "").startswith("/"):
        # PTB's command handlers also match edited messages: editing an old
        # message into "/sos" or "/ok" must not act. Edits of texts and live
        # locations pass on, to update the kept context.
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or edited is not None:
        # Edits (a live location moving every few seconds) are not a flood: an
        # activist sharing their position must never be silenced for it.
        return
    services = context.services
    now = services.clock.now()
    if services.flood.allow_update(user.id, now):
        return
    if services.flood.should_warn(user.id, now) and update.effective_chat is not None:
        tr = services.translations[guess_language(user.language_code)]
        logger.warning("a user is over the update limit; ignoring them for a while")
        await context.bot.send_message(
            update.effective_chat.id, tr("You are sending too much. Wait a minute, then go on.")
        )
    raise ApplicationHandlerStop


def build() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, limit)
