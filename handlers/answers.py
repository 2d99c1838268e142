"""Plain messages that answer what the bot has just asked: a time zone, a timer's note."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import BotContext
from bot.services.questions import Question
from handlers import timer, zone


async def _answer(update: Update, context: BotContext) -> None:
    services = context.services
    user = update.effective_user
    # Memory first: every message passes here, and almost none answers a question.
    asked = None if user is None else services.questions.asked(user.id, services.clock.now())
    if asked is None:
        return
    if asked.question is Question.ZONE:
        await zone.answer_question(update, context, asked)
    elif asked.question is Question.TIMER_NOTE:
        await timer.answer_note(update, context, asked)


def build() -> MessageHandler[BotContext, Any]:
    """Register in the PIN entry's group, after it: before anything keeps context."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return MessageHandler(private & (filters.LOCATION | (filters.TEXT & ~filters.COMMAND)), _answer)
