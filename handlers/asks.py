"""Asking "are you OK?": ``/ask``, its buttons, and ``/asks on|off`` for the activist.

A contact (a person, or anyone in a contact group) asks an activist they watch:
``/ask`` alone when they watch one, a button per activist when several, or the
button under an all-clear and in ``/contacts``. The activist turns asks off or
on with ``/asks off`` / ``/asks on``, a gated action (PIN, duress) like any
setting that decides whether an alert can fire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import Action, decode, encode
from bot.context import BotContext
from bot.core.gated import SetAsks, Unlock
from bot.i18n import Translator, to_minutes
from bot.services.asks import AskProblem, AskSent, Watched
from handlers.gate import run_gated
from handlers.plans import OFF_WORDS
from handlers.sender import Sender, identify, translator_for

ON_WORDS = frozenset({"on", "yes", "вкл", "да", "включить", "hawa", "aç"})


def ask_button(tr: Translator, watched: Watched) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        tr("❓ Ask {name}: are you OK?", name=watched.name),
        callback_data=encode(Action.ASK, watched.person_id),
    )


def told(tr: Translator, outcome: AskSent | AskProblem, name: str, now: datetime) -> str:
    """Say what came of an ask, to the chat that asked."""
    if isinstance(outcome, AskSent):
        left = tr.duration(to_minutes(max(outcome.answer_by - now, timedelta(0))))
        if outcome.already:
            return tr(
                "❓ {name} was already asked and has {left} left to answer. You will hear "
                "when they do; if they do not, every contact of theirs is alerted.",
                name=outcome.name,
                left=left,
            )
        return tr(
            "❓ I asked {name} whether they are OK. If they do not check in within {left}, "
            "every contact of theirs is alerted with their last words and places.",
            name=outcome.name,
            left=left,
        )
    if outcome is AskProblem.TURNED_OFF:
        return tr("{name} has turned “are you OK?” requests off.", name=name)
    if outcome is AskProblem.LIMIT:
        return tr(
            "You have asked {name} as often as allowed in 24 hours. If you are worried, "
            "call them, or talk with their other contacts.",
            name=name,
        )
    if outcome is AskProblem.ALERT_OPEN:
        return tr("An alert about {name} is already open: see the alert in this chat.", name=name)
    if outcome is AskProblem.NOT_NOW:
        return tr("{name} cannot be asked right now.", name=name)
    return tr("You are not {name}'s emergency contact, so you cannot ask them.", name=name)


async def ask(update: Update, context: BotContext) -> None:
    """``/ask``: ask the one activist this chat watches, or offer a button for each."""
    chat = update.effective_chat
    message = update.effective_message
    user = update.effective_user
    if chat is None or message is None or user is None or user.is_bot:
        return
    services = context.services
    tr = await translator_for(context, user)
    watched = await services.asks.watched_by(chat.id)
    if not watched:
        await message.reply_text(
            tr(
                "Only an emergency contact can ask someone whether they are OK, and this "
                "chat is nobody's contact."
            )
        )
        return
    if len(watched) == 1:
        outcome = await services.asks.ask(chat.id, watched[0].person_id)
        await message.reply_text(told(tr, outcome, watched[0].name, services.clock.now()))
        return
    buttons = [[ask_button(tr, one)] for one in watched]
    await message.reply_text(
        tr("Whom do you want to ask?"), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def press(update: Update, context: BotContext) -> None:
    """An ask button: the chat it is pressed in must be an active contact of the activist."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None:
        return
    tr = await translator_for(context, query.from_user)
    callback = decode(query.data)
    if callback is None or callback.action is not Action.ASK or chat is None:
        await query.answer(tr("This button no longer works."))
        return
    services = context.services
    watched = {w.person_id: w for w in await services.asks.watched_by(chat.id)}
    one = watched.get(callback.target)
    if one is None:
        # Nothing about the activist (not even the name) for a chat that does not watch them.
        await query.answer(tr("This button no longer works."))
        return
    outcome = await services.asks.ask(chat.id, one.person_id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.reply_text(told(tr, outcome, one.name, services.clock.now()))


async def set_asks(update: Update, context: BotContext) -> None:
    """``/asks off`` / ``/asks on``; alone, say how it stands."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    word = sender.argument.casefold()
    if word in OFF_WORDS or word in ON_WORDS:
        await run_gated(sender, context, SetAsks(word in ON_WORDS), perform_set_asks)
        return
    on = await context.services.asks.asks_on(sender.person)
    await sender.message.reply_text(
        (
            tr("Your contacts can ask whether you are OK (/ask).")
            if on
            else tr("Your contacts cannot ask whether you are OK.")
        )
        + "\n"
        + tr("/asks off turns it off, /asks on turns it on.")
    )


async def perform_set_asks(
    sender: Sender, context: BotContext, action: SetAsks, unlock: Unlock
) -> None:
    await context.services.asks.set_asks(sender.person, action.on, unlock)
    tr = sender.tr
    await sender.message.reply_text(
        tr(
            "✅ Your contacts can now ask whether you are OK. If you do not answer in time, "
            "all of them are alerted."
        )
        if action.on
        else tr("✅ Your contacts can no longer ask whether you are OK.")
    )


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("ask", ask),
        CommandHandler("asks", set_asks, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(press, pattern=f"^{Action.ASK.value}:"),
    ]
