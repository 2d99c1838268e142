"""``/sos``: alert every contact at once, no questions asked."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.services.checkins import Outcome
from handlers.sender import identify


async def sos(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    result = await context.services.checkins.raise_sos(sender.person)
    if isinstance(result, Outcome) and result.effects:
        text = tr(
            "🆘 SOS raised. Your contacts are being alerted now, with your last messages "
            "and location. Send your location if you can. When you are safe, check in with /ok."
        )
    else:
        text = tr("🆘 Your SOS is already raised. When you are safe, check in with /ok.")
    if not await context.services.contacts.contacts_of(sender.person):
        text += "\n\n" + tr(
            "You have no contacts yet, so nobody could be alerted. Invite one with /invite."
        )
    await sender.message.reply_text(text)


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("sos", sos, filters=filters.ChatType.PRIVATE)
