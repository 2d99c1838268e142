"""Checking in: ``/checkin``, ``/ok`` and the "I'm OK" button."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.core.gated import CheckIn, Unlock
from bot.core.watches import AllClear
from bot.i18n import Translations
from bot.keyboards import checkin_keyboard, checkin_labels
from bot.services.checkins import Outcome
from handlers.gate import run_gated
from handlers.phrases import answer, next_deadline
from handlers.sender import Sender, identify


async def check_in(update: Update, context: BotContext) -> None:
    """Check in, after the PIN if the person has one."""
    sender = await identify(update, context)
    if sender is None:
        return
    await run_gated(sender, context, CheckIn(), perform_check_in)


async def perform_check_in(
    sender: Sender, context: BotContext, _: CheckIn, unlock: Unlock = Unlock.REAL
) -> None:
    """Record the check-in and confirm it with the next deadline.

    Under duress the reply is the same, to the byte: it is computed from what
    the phone is shown, whatever happens behind it.
    """
    tr = sender.tr
    result = await context.services.checkins.check_in(sender.person, unlock)
    if not isinstance(result, Outcome):  # pragma: no cover - a check-in is never refused
        await answer(sender, context, result, lambda _: "")
        return
    lines = [tr("✅ Checked in.")]
    if any(isinstance(effect, AllClear) for effect in result.effects):
        lines.append(tr("Your contacts are being told that you are safe."))
    lines.append(next_deadline(result.watch, tr, result.at))
    reply = await sender.message.reply_text("\n".join(lines), reply_markup=checkin_keyboard(tr))
    await context.services.discretion.forget_exchange(
        sender.person, [sender.message.message_id, reply.message_id]
    )


def build(translations: Translations) -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    # The button's label in any language: a keyboard sent before /lang keeps the old one.
    button = filters.Text(sorted(checkin_labels(translations)))
    return [
        CommandHandler(["checkin", "ok"], check_in, filters=private),
        MessageHandler(private & button & filters.UpdateType.MESSAGE, check_in),
    ]
