"""``/start`` in a private chat: meet the person and say what the bot is for."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.keyboards import checkin_keyboard
from handlers.sender import identify


async def start(update: Update, context: BotContext) -> None:
    """Record the person, greet them and give them the check-in button."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    text = tr(
        "Welcome to Still Here.\n\n"
        "You promise to check in on a schedule. If you miss a check-in, the colleagues "
        "you chose are alerted with your last words and your last known place, so that "
        "the first hours are not lost.\n\n"
        "1. Set a plan: /every 12h, or fixed times with /at 09:00 21:00 "
        "(your time zone: /tz Asia/Ashgabat).\n"
        "2. Check in with the button below, or /ok.\n"
        "3. In danger? /sos alerts your contacts at once.\n\n"
        "/help lists everything; /lang changes the language."
    )
    await sender.message.reply_text(text, reply_markup=checkin_keyboard(tr))


def build() -> CommandHandler[BotContext, None]:
    """Return the handler for ``/start`` in private chats."""
    return CommandHandler("start", start, filters=filters.ChatType.PRIVATE)
