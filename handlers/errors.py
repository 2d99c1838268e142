"""The last line of defence: log an unexpected error and tell the person plainly.

Following PTB's error-handler example in shape only: log first, then inform.
Nothing from the update (texts, names, ids) goes into the log or anywhere else:
only the update's number, the exception's type and where it was raised. The
exception's own message is left out, because a library may quote the input
that upset it ("invalid literal ...: 'Police are here'").
"""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.languages import guess_language

logger = logging.getLogger(__name__)


async def handle_error(update: object, context: BotContext) -> None:
    """Log the error without update contents and apologise in a private chat."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    frames = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
    logger.error(
        "unhandled error while processing update %s: %s\n%s",
        update_id,
        type(error).__name__,
        frames.rstrip(),
    )
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        return
    # The database may be what failed: take the language from Telegram, not from storage.
    user = update.effective_user
    tr = context.services.translations[guess_language(user.language_code if user else None)]
    try:
        await context.bot.send_message(
            chat.id, tr("Something went wrong on our side. Please try again in a minute.")
        )
    except TelegramError as error:
        # Telegram itself may be what failed; the error above is already logged.
        logger.warning("could not send the apology: %s", type(error).__name__)
