"""Discretion on the phone: ``/discreet on|off``, ``/wipe``, ``/forget``, and message tracking."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, TypeHandler, filters

from bot.callbacks import Action, encode
from bot.context import BotContext
from bot.i18n import Translator
from handlers.gate import require_pin
from handlers.sender import Sender, identify

WIPE = "wipe"
FORGET = "forget"
# Tracking runs before everything, so even a message another handler stops is known.
TRACK_GROUP = -2


async def track(update: Update, context: BotContext) -> None:
    """Remember every message the person sends in a private chat, for /wipe."""
    message = update.message
    if message is None or message.chat.type != message.chat.PRIVATE:
        return
    await context.services.discretion.track(message.chat_id, message.message_id, message.date)


async def discreet(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    choice = sender.argument.lower()
    if choice not in ("on", "off"):
        state = (
            tr("on") if await context.services.discretion.is_discreet(sender.person) else tr("off")
        )
        await sender.message.reply_text(
            tr(
                "Discreet mode is {state}. /discreet on deletes each check-in exchange from "
                "this chat a few minutes after it; /discreet off keeps them.",
                state=state,
            )
        )
        return
    await context.services.discretion.set_discreet(sender.person, choice == "on")
    await sender.message.reply_text(
        tr("Discreet mode on: check-ins will disappear from this chat a few minutes after.")
        if choice == "on"
        else tr("Discreet mode off.")
    )


async def wipe(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    button = InlineKeyboardButton(
        tr("🧹 Yes, wipe"), callback_data=encode(Action.WIPE, sender.person.id)
    )
    await sender.message.reply_text(
        tr(
            "Wipe this chat? I delete every message here that Telegram still lets me delete "
            "(the last 48 hours), and everything you sent me that I kept for your contacts. "
            "Your plan and contacts stay."
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def forget(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    button = InlineKeyboardButton(
        tr("Yes, forget me"), callback_data=encode(Action.FORGET, sender.person.id)
    )
    await sender.message.reply_text(
        tr(
            "Forget you entirely? Your plan, contacts, messages and instructions are deleted "
            "and your contacts are told that you stopped. Nothing will watch over you."
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def confirm(sender: Sender, context: BotContext, action: str) -> str:
    """Carry on with a confirmed wipe or forget, after the PIN if there is one."""
    if await require_pin(sender, context, action):
        await perform(action, sender, context, duress=False)
        return sender.tr("Done.")
    return sender.tr("🔒 Enter your PIN.")


async def perform(action: str, sender: Sender, context: BotContext, *, duress: bool) -> None:
    """Wipe or forget. Under duress it looks the same, but contacts are alerted and
    everything they may need stays."""
    services = context.services
    tr = sender.tr
    if duress:
        await services.checkins.raise_duress(sender.person)
    if action == WIPE:
        await services.discretion.wipe(context.bot, sender.person, keep_context=duress)
        await context.bot.send_message(
            sender.person.telegram_user_id,
            tr("🧹 Done: this chat and what I kept are wiped, as far as Telegram allows."),
        )
        return
    if not duress:
        for contact in await services.contacts.contacts_of(sender.person):
            goodbye = _goodbye(services.translations[contact.language], sender.person.display_name)
            await services.contacts.tell_directly(context.bot, contact, goodbye)
        await services.discretion.wipe(context.bot, sender.person)
        await services.people.forget(sender.person)
    await context.bot.send_message(
        sender.person.telegram_user_id,
        tr("Everything about you is deleted. Send /start to begin again."),
    )


def _goodbye(tr: Translator, name: str) -> str:
    """Return the farewell a contact gets, in the contact's language."""
    return tr("{name} stopped using Still Here: you are no longer their contact.", name=name)


def build() -> list[BaseHandler[Update, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("discreet", discreet, filters=private),
        CommandHandler("wipe", wipe, filters=private),
        CommandHandler("forget", forget, filters=private),
    ]


def build_tracking() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, track)
