"""``/start`` in a private chat: meet the person, say what the bot is for, set it up."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from handlers import setup
from handlers.sender import identify


async def start(update: Update, context: BotContext) -> None:
    """Greet the person and ask the first question of the guided setup."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    text = tr(
        "Welcome to Still Here.\n\n"
        "You promise to check in on a schedule. If you miss a check-in, the colleagues "
        "you chose are alerted with your last words and your last known place, so that "
        "the first hours are not lost.\n\n"
        "A few taps set it up; you can skip any question and come back to it later."
    )
    await setup.start_guided(update, context, sender, text)


def build() -> CommandHandler[BotContext, None]:
    """Return the handler for ``/start`` in private chats."""
    return CommandHandler("start", start, filters=filters.ChatType.PRIVATE)
