"""``/lang en|ru|tk``: choose the language the bot speaks to you."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.languages import SUPPORTED_LANGUAGES
from bot.texts.keyboards import checkin_keyboard
from handlers.help import refresh_chat_menu
from handlers.sender import identify


async def choose_language(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    choice = sender.argument.lower()
    if choice not in SUPPORTED_LANGUAGES:
        await sender.message.reply_text(
            sender.tr(
                "Choose a language: /lang en (English), /lang ru (Русский), /lang tk (Türkmençe)."
            )
        )
        return
    person = await context.services.people.choose_language(sender.person, choice)
    tr = context.services.translations[person.language]
    refresh_chat_menu(context, person)
    await sender.message.reply_text(tr("Language set: English."), reply_markup=checkin_keyboard(tr))


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("lang", choose_language, filters=filters.ChatType.PRIVATE)
