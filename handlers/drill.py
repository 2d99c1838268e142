"""``/drill``: a clearly marked test alert that each contact confirms."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from handlers.sender import identify


async def drill(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    count = await context.services.contacts.start_drill(sender.person)
    if count == 0:
        await sender.message.reply_text(
            tr("You have no reachable contacts to test. Invite one with /invite.")
        )
        return
    await sender.message.reply_text(
        tr.plural(
            "🧪 Test alert sent to {count} contact. I will tell you when they confirm.",
            "🧪 Test alert sent to {count} contacts. I will tell you as each one confirms.",
            count,
        )
    )


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("drill", drill, filters=filters.ChatType.PRIVATE)
