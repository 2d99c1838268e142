"""SOS: ``/sos`` alerts every contact at once; the keyboard's button asks once first.

``/sos police at the door`` keeps the words after the command as the person's
last words before the alert goes out. The keyboard's "🆘 SOS" can be pressed by
accident in a pocket, so it asks for one confirming tap; the typed command
never asks.
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.callbacks import SOS_ACTIONS, Action, encode
from bot.context import BotContext
from bot.core.context import ContextKind
from bot.i18n import Translations
from bot.services.checkins import Outcome
from bot.services.lastknown import MAX_TEXT
from bot.texts.keyboards import checkin_keyboard, sos_labels
from handlers.sender import Sender, identify, own_press


async def sos(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    if sender.argument:
        # Said with the SOS: the contacts read it first among the last words.
        await context.services.lastknown.keep(
            sender.person,
            sender.message.message_id,
            ContextKind.TEXT,
            {"text": sender.argument[:MAX_TEXT]},
        )
    await sender.message.reply_text(
        await _raise(sender, context), reply_markup=checkin_keyboard(sender.tr)
    )


async def _raise(sender: Sender, context: BotContext) -> str:
    """Raise the SOS; return what to tell the person."""
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
            "You have no contacts yet, so nobody could be alerted. Invite one with /invite: "
            "I make a link for you to send to a colleague, who accepts with one tap."
        )
    return text


async def ask(update: Update, context: BotContext) -> None:
    """The keyboard's SOS: one confirming tap, so a pocket cannot raise it."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    person = sender.person.id
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("🆘 Yes, alert them now"), callback_data=encode(Action.SOS_GO, person)
                )
            ],
            [InlineKeyboardButton(tr("Cancel"), callback_data=encode(Action.SOS_CANCEL, person))],
        ]
    )
    await sender.message.reply_text(
        tr("Alert all your contacts now, with your last messages and location?"),
        reply_markup=buttons,
    )


async def press(update: Update, context: BotContext) -> None:
    query = update.callback_query
    # A malformed or misplaced press is refused before anything is written.
    pressed = await own_press(update, context, SOS_ACTIONS)
    if query is None or pressed is None:
        return
    await query.answer()
    sender, message = pressed.sender, pressed.message
    tr = sender.tr
    if pressed.callback.action is Action.SOS_CANCEL:
        text = tr("Not sent. Nobody was alerted.")
    else:
        text = await _raise(sender, context)
    with contextlib.suppress(BadRequest):
        await message.edit_text(text, reply_markup=None)


def build(translations: Translations) -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    button = filters.Text(sorted(sos_labels(translations)))
    return [
        CommandHandler("sos", sos, filters=private),
        MessageHandler(private & button & filters.UpdateType.MESSAGE, ask),
        CallbackQueryHandler(press, pattern=f"^({'|'.join(a.value for a in SOS_ACTIONS)}):"),
    ]
