"""The answers of last resort: unknown commands and messages we cannot keep."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.phrases import quote
from handlers.sender import recognise


async def unknown_command(update: Update, context: BotContext) -> None:
    sender = await recognise(update, context)
    if sender is None:
        return
    command = (sender.message.text or "").split(maxsplit=1)[0]
    await sender.message.reply_text(
        sender.tr(
            "I do not know the command {command}. /help lists what I can do.",
            command=quote(command),
        )
    )


async def unsupported(update: Update, context: BotContext) -> None:
    sender = await recognise(update, context)
    if sender is None:
        return
    await sender.message.reply_text(
        sender.tr(
            "I keep texts, locations, photos and voice notes for your contacts, "
            "but not this kind of message."
        )
    )


def build() -> list[BaseHandler[Update, Any, Any]]:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private, unsupported),
    ]
