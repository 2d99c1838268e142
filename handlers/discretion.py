"""Discretion on the phone: ``/discreet on|off``, ``/wipe``, ``/forget``, and message tracking."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, TypeHandler, filters

from bot.callbacks import Action, encode
from bot.context import BotContext
from bot.core.gated import Forget, Unlock, Wipe
from bot.i18n import Translator
from handlers.gate import require_pin
from handlers.sender import Sender, identify

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
    buttons = [
        [
            InlineKeyboardButton(
                tr("🧹 Yes, wipe"), callback_data=encode(Action.WIPE, sender.person.id)
            )
        ],
        [
            InlineKeyboardButton(
                tr("🧹 Wipe, and my instructions too"),
                callback_data=encode(Action.WIPE_ALL, sender.person.id),
            )
        ],
    ]
    await sender.message.reply_text(
        tr(
            "Wipe this chat? I delete:\n"
            "• every message here that Telegram still lets me delete (the last 48 hours);\n"
            "• what I kept for your contacts: your texts, places, photos and voice notes.\n\n"
            "Your plan, your contacts and your emergency instructions stay, unless you "
            "choose to delete the instructions too."
        ),
        reply_markup=InlineKeyboardMarkup(buttons),
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


async def confirm(sender: Sender, context: BotContext, action: Wipe | Forget) -> str:
    """Carry on with a confirmed wipe or forget, after the PIN if there is one."""
    unlock = await require_pin(sender, context, action)
    if unlock is None:
        return sender.tr("🔒 Enter your PIN.")
    if isinstance(action, Wipe):
        await perform_wipe(sender, context, action, unlock)
    else:
        await perform_forget(sender, context, action, unlock)
    return sender.tr("Done.")


async def perform_wipe(sender: Sender, context: BotContext, action: Wipe, unlock: Unlock) -> None:
    """Wipe the chat and what was kept; under duress the contacts keep what they may need."""
    await context.services.discretion.wipe(
        context.bot, sender.person, unlock, instructions=action.instructions
    )
    await context.bot.send_message(
        sender.person.telegram_user_id,
        sender.tr("🧹 Done: this chat and what I kept are wiped, as far as Telegram allows."),
    )


async def perform_forget(sender: Sender, context: BotContext, _: Forget, unlock: Unlock) -> None:
    """Forget the person; under duress the phone is shown it, and the watch goes on."""
    services = context.services
    if unlock is Unlock.DURESS:
        await services.discretion.pretend_forgotten(context.bot, sender.person)
    else:
        for contact in await services.contacts.real_contacts_of(sender.person):
            goodbye = _goodbye(services.translations[contact.language], sender.person.display_name)
            await services.contacts.tell_directly(context.bot, contact, goodbye)
        await services.discretion.wipe(context.bot, sender.person)
        await services.people.forget(sender.person)
    await context.bot.send_message(
        sender.person.telegram_user_id,
        sender.tr("Everything about you is deleted. Send /start to begin again."),
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
