"""``/pin``, ``/duress`` and the answers to "Enter your PIN".

The entry handler runs in a group before every other handler: while the bot
waits for a PIN, an all-digit message is taken as the answer, deleted from the
chat at once, and never reaches the context handler. Other messages pass through
untouched, so nothing the activist writes is lost to a pending prompt.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.services.pins import SET_DURESS, SET_PIN, Verdict
from handlers import checkin, contacts, discretion, pause
from handlers.gate import require_pin
from handlers.sender import Sender, identify

PIN = "pin"
PIN_OFF = "pin_off"
DURESS = "duress"
# Handlers in this group run before the default group 0.
ENTRY_GROUP = -1


async def set_pin(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    if sender.argument.lower() == "off":
        if await require_pin(sender, context, PIN_OFF):
            await _perform(PIN_OFF, sender, context, duress=False)
        return
    if await require_pin(sender, context, PIN):
        await _perform(PIN, sender, context, duress=False)


async def set_duress(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    if (await context.services.pins.record(sender.person)).pin_hash is None:
        await sender.message.reply_text(sender.tr("Set a PIN first with /pin."))
        return
    if await require_pin(sender, context, DURESS):
        await _perform(DURESS, sender, context, duress=False)


async def enter_pin(update: Update, context: BotContext) -> None:
    """Take an all-digit message as the PIN the bot asked for, if it asked."""
    sender = await identify(update, context)
    if sender is None or not await context.services.pins.is_waiting(sender.person):
        return
    # The PIN must not stay on the phone a moment longer than needed.
    with contextlib.suppress(TelegramError):
        await sender.message.delete()
    submission = await context.services.pins.submit(sender.person, sender.message.text or "")
    tr = sender.tr
    replies = {
        Verdict.BAD_SHAPE: tr("A PIN is 4 to 12 digits. Try again."),
        Verdict.ASK_AGAIN: tr("Send the same PIN again to confirm it."),
        Verdict.MISMATCH: tr("The two entries differ; nothing changed. Start again."),
        Verdict.SAME_AS_OTHER: tr(
            "The duress PIN and the PIN must differ; nothing changed. Start again."
        ),
        Verdict.PIN_SET: tr(
            "🔒 PIN set. I will ask for it to check in, pause, resume and change contacts."
        ),
        Verdict.DURESS_SET: tr("🔒 Duress PIN set."),
        Verdict.WRONG: tr("Wrong PIN. Try again."),
    }
    if submission.verdict in replies:
        await sender.message.reply_text(replies[submission.verdict])
    elif submission.action is not None:
        duress = submission.verdict is Verdict.DURESS
        await _perform(submission.action, sender, context, duress=duress)
    raise ApplicationHandlerStop


async def _perform(action: str, sender: Sender, context: BotContext, *, duress: bool) -> None:
    """Carry out the action the PIN unlocked, exactly as it looks without a PIN."""
    tr = sender.tr
    pins = context.services.pins
    if action == checkin.CHECKIN:
        await checkin.perform_check_in(sender, context, duress=duress)
    elif action.startswith(pause.PAUSE):
        seconds = int(action.removeprefix(pause.PAUSE))
        await pause.perform_pause(sender, context, timedelta(seconds=seconds), duress=duress)
    elif action == pause.RESUME:
        await pause.perform_resume(sender, context, duress=duress)
    elif action.startswith(contacts.INVITE):
        tier = int(action.removeprefix(contacts.INVITE))
        await contacts.perform_invite(sender, context, tier, duress=duress)
    elif action.startswith(contacts.REMOVE):
        contact_id = int(action.removeprefix(contacts.REMOVE))
        await contacts.perform_remove(sender, context, contact_id, duress=duress)
    elif action in (discretion.WIPE, discretion.FORGET):
        await discretion.perform(action, sender, context, duress=duress)
    elif action == PIN:
        await pins.ask(sender.person, SET_PIN)
        await sender.message.reply_text(
            tr("Send the PIN you want, 4 to 12 digits. I delete it from this chat at once.")
        )
    elif action == PIN_OFF:
        if not duress:
            await pins.remove(sender.person)
        await sender.message.reply_text(tr("PIN removed."))
    elif action == DURESS:
        await pins.ask(sender.person, SET_DURESS)
        await sender.message.reply_text(
            tr(
                "Send your duress PIN, different from your PIN. Entered wherever I ask for "
                "your PIN, it looks like the PIN, and silently alerts all your contacts."
            )
        )


def build() -> list[BaseHandler[Update, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("pin", set_pin, filters=private),
        CommandHandler("duress", set_duress, filters=private),
    ]


def build_entry() -> MessageHandler[BotContext, None]:
    """Return the handler for PIN entries; register it in :data:`ENTRY_GROUP`."""
    digits = filters.Regex(r"^\s*[0-9]+\s*$")
    return MessageHandler(
        filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & digits, enter_pin
    )
