"""``/pin``, ``/duress``, the answers to "Enter your PIN", and digits sent unasked.

The entry handler runs in a group before every other handler: while the bot
waits for a PIN, an all-digit message is taken as the answer, deleted from the
chat at once, and never reaches the context handler. Digits that could be a PIN
from a person who has one are deleted too, prompt or no prompt. Other messages
pass through untouched, so nothing the activist writes is lost to a prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
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
from bot.core import gated
from bot.core.context import ContextKind
from bot.core.gated import GatedAction, PinOff, SetDuress, SetPin, Unlock
from bot.services.pins import LooseDigits, Verdict
from handlers import (
    asks,
    checkin,
    contacts,
    discretion,
    lastknown,
    pause,
    plans,
    teams,
    timer,
)
from handlers.gate import Perform, run_gated
from handlers.sender import Sender, identify, recognise

# Handlers in this group run before the default group 0.
ENTRY_GROUP = -1


async def set_pin(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    if sender.argument.lower() == "off":
        await run_gated(sender, context, PinOff(), perform_pin_off)
    else:
        await run_gated(sender, context, SetPin(), perform_set_pin)


async def set_duress(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    if not await context.services.pins.is_set(sender.person):
        await sender.message.reply_text(sender.tr("Set a PIN first with /pin."))
        return
    await run_gated(sender, context, SetDuress(), perform_set_duress)


async def perform_set_pin(sender: Sender, context: BotContext, _: SetPin, unlock: Unlock) -> None:
    await context.services.pins.choose_new(sender.person, duress_pin=False, unlock=unlock)
    await sender.message.reply_text(
        sender.tr("Send the PIN you want, 4 to 12 digits. I delete it from this chat at once.")
    )


async def perform_pin_off(sender: Sender, context: BotContext, _: PinOff, unlock: Unlock) -> None:
    await context.services.pins.remove(sender.person, unlock)
    await sender.message.reply_text(sender.tr("PIN removed."))


async def perform_set_duress(
    sender: Sender, context: BotContext, _: SetDuress, unlock: Unlock
) -> None:
    await context.services.pins.choose_new(sender.person, duress_pin=True, unlock=unlock)
    await sender.message.reply_text(
        sender.tr(
            "Send your duress PIN, different from your PIN. Entered wherever I ask for "
            "your PIN, it looks like the PIN, and silently alerts all your contacts."
        )
    )


async def enter_pin(update: Update, context: BotContext) -> None:
    """Take an all-digit message as the PIN the bot asked for, or keep it off the record."""
    sender = await recognise(update, context)
    if not isinstance(sender, Sender):
        # A stranger has no PIN and no prompt: their digits are any text to them.
        return
    pins = context.services.pins
    text = sender.message.text or ""
    if not await pins.is_waiting(sender.person):
        await _unasked(sender, context, text)
        return
    # The PIN must not stay on the phone a moment longer than needed.
    await _delete(sender)
    submission = await pins.submit(sender.person, text)
    tr = sender.tr
    replies = {
        Verdict.NOTHING_ASKED: tr("No PIN was asked for. To check in, send /ok."),
        Verdict.BAD_SHAPE: tr("A PIN is 4 to 12 digits. Try again."),
        Verdict.ASK_AGAIN: tr("Send the same PIN again to confirm it."),
        Verdict.MISMATCH: tr("The two entries differ; nothing changed. Start again."),
        Verdict.SAME_AS_OTHER: tr(
            "The duress PIN and the PIN must differ; nothing changed. Start again."
        ),
        Verdict.PIN_SET: tr(
            "🔒 PIN set. I will ask for it before anything that changes when or whether "
            "your contacts are alerted: checking in, your plan, pausing, contacts, wipe."
        ),
        Verdict.DURESS_SET: tr("🔒 Duress PIN set."),
        Verdict.WRONG: tr("Wrong PIN. Try again."),
    }
    if submission.verdict in replies:
        await sender.message.reply_text(replies[submission.verdict])
    elif submission.action is not None:
        action = submission.action
        await PERFORM[type(action)](sender, context, action, submission.unlock)
    raise ApplicationHandlerStop


async def _unasked(sender: Sender, context: BotContext, text: str) -> None:
    """Digits with no prompt open: never keep a PIN as words for the contacts."""
    loose = await context.services.pins.loose_digits(sender.person, text)
    if loose is LooseDigits.NOT_MINE:
        return
    if loose is LooseDigits.DELETE:
        await _delete(sender)
        await sender.message.reply_text(
            sender.tr(
                "🔒 I deleted that message: digits that could be your PIN are never kept. "
                "No PIN was asked for; to check in, send /ok."
            )
        )
    else:
        # Exactly what the context handler answers, with nothing kept.
        await lastknown.mark_kept(sender.message, sender.tr, ContextKind.TEXT, {})
    raise ApplicationHandlerStop


async def _delete(sender: Sender) -> None:
    with contextlib.suppress(TelegramError):
        await sender.message.delete()


# What each gated action does once unlocked; every action has one entry.
PERFORM: Mapping[type[GatedAction], Perform] = {
    gated.CheckIn: checkin.perform_check_in,
    gated.Pause: pause.perform_pause,
    gated.Resume: pause.perform_resume,
    gated.SetInterval: plans.perform_set_interval,
    gated.SetDaily: plans.perform_set_daily,
    gated.SetZone: plans.perform_set_zone,
    gated.SetGrace: plans.perform_set_grace,
    gated.SetReminder: plans.perform_set_reminder,
    gated.SetInstructions: lastknown.perform_set_instructions,
    gated.ClearInstructions: lastknown.perform_clear_instructions,
    gated.Invite: contacts.perform_invite,
    gated.RemoveContact: contacts.perform_remove,
    gated.SetPin: perform_set_pin,
    gated.PinOff: perform_pin_off,
    gated.SetDuress: perform_set_duress,
    gated.Wipe: discretion.perform_wipe,
    gated.Forget: discretion.perform_forget,
    gated.LeaveTeam: teams.perform_leave_team,
    gated.StartTimer: timer.perform_start,
    gated.ExtendTimer: timer.perform_extend,
    gated.SetAsks: asks.perform_set_asks,
}


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
