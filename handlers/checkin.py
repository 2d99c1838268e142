"""Checking in: ``/checkin``, ``/ok``, the "I'm OK" button and a message that only says so."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.checkin_words import is_checkin_phrase
from bot.context import BotContext
from bot.core.gated import CheckIn, Unlock
from bot.core.watches import AllClear
from bot.i18n import Translations
from bot.services.checkin_requests import CheckinRequest
from bot.services.checkins import Outcome, Result
from bot.texts.keyboards import checkin_keyboard, checkin_labels
from handlers.phrases import answer, next_deadline
from handlers.sender import Sender


async def check_in(update: Update, context: BotContext) -> None:
    """Check in, after the PIN if the person has one: one transaction, then the reply."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or user.is_bot:
        return
    services = context.services
    request = CheckinRequest(user.id, user.language_code, user.full_name, message.message_id)
    answered = await services.checkin_requests.check_in(request)
    sender = Sender(answered.person, services.translations[answered.person.language], message)
    reply: Message | None
    if answered.result is None:
        reply = await message.reply_text(sender.tr("🔒 Enter your PIN."))
    else:
        reply = await _confirm(sender, context, answered.result)
    if answered.discreet and reply is not None:
        services.discretion.delete_soon(answered.person, [reply.message_id])


async def perform_check_in(
    sender: Sender, context: BotContext, _: CheckIn, unlock: Unlock = Unlock.REAL
) -> None:
    """Record the check-in and confirm it with the next deadline.

    Under duress the reply is the same, to the byte: it is computed from what
    the phone is shown, whatever happens behind it.
    """
    result = await context.services.checkins.check_in(sender.person, unlock)
    reply = await _confirm(sender, context, result)
    if reply is not None:
        await context.services.discretion.forget_exchange(
            sender.person, [sender.message.message_id, reply.message_id]
        )


async def _confirm(sender: Sender, context: BotContext, result: Result) -> Message | None:
    """Confirm the check-in with the next deadline; return the reply."""
    tr = sender.tr
    if not isinstance(result, Outcome):  # pragma: no cover - a check-in is never refused
        await answer(sender, context, result, lambda _: "")
        return None
    lines = [tr("✅ Checked in.")]
    if result.timer_ended:
        lines.append(tr("⏱ Your timer is over: welcome back."))
    if any(isinstance(effect, AllClear) for effect in result.effects):
        lines.append(tr("Your contacts are being told that you are safe."))
    lines.append(next_deadline(result.watch, tr, result.at))
    return await sender.message.reply_text("\n".join(lines), reply_markup=checkin_keyboard(tr))


class _CheckinPhrase(filters.MessageFilter):
    """A message that is nothing but "ok", "я в порядке", "men gowy" and the like."""

    def filter(self, message: Message) -> bool:
        return is_checkin_phrase(message.text)


def build(translations: Translations) -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    # The button's label in any language: a keyboard sent before /lang keeps the old one.
    button = filters.Text(sorted(checkin_labels(translations)))
    # Typed, not pressed: it means the same, and must not become the person's last words.
    phrase = filters.TEXT & ~filters.COMMAND & _CheckinPhrase()
    return [
        CommandHandler(["checkin", "ok"], check_in, filters=private),
        MessageHandler(private & (button | phrase) & filters.UpdateType.MESSAGE, check_in),
    ]
