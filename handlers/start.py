"""``/start`` in a private chat: meet the person and say what the bot is for."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext

WELCOME = (
    "Welcome to Still Here.\n\n"
    "You promise to check in on a schedule. If you miss a check-in, the colleagues "
    "you chose are alerted with your last words and your last known place, so that "
    "the first hours are not lost."
)


async def start(update: Update, context: BotContext) -> None:
    """Record the person and greet them."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    await context.services.people.meet(user.id, user.language_code)
    await message.reply_text(WELCOME)


def build() -> CommandHandler[BotContext, None]:
    """Return the handler for ``/start`` in private chats."""
    return CommandHandler("start", start, filters=filters.ChatType.PRIVATE)
