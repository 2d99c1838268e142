"""Plan settings typed with an argument: ``/every``, ``/at``, ``/grace``, ``/remind``.

The same commands without one show buttons, and ``/tz`` lives with the other
zone answers (both in :mod:`handlers.setup`).

Each changes when an alert fires, so each is a gated action: with a PIN set it
waits for the PIN (and follows the duress policy) like a check-in does.
"""

from __future__ import annotations

from datetime import time, timedelta

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.core.gated import (
    SetDaily,
    SetGrace,
    SetInterval,
    SetReminder,
    SetZone,
    Unlock,
)
from bot.daytimes import read_time, split_times
from bot.durations import DurationError, read_duration
from bot.texts.keyboards import checkin_keyboard
from handlers.gate import run_gated
from handlers.help import refresh_chat_menu
from handlers.phrases import answer, bad_duration, plan_set, quote
from handlers.sender import Sender, identify

# The words that switch reminders off, in every language the bot speaks.
OFF_WORDS = frozenset({"off", "no", "none", "выкл", "нет", "отключить", "ýok", "öçür"})


async def every(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    try:
        # "/every 12" means hours.
        seconds = int(read_duration(sender.argument, bare_unit=3_600).total_seconds())
    except DurationError:
        await sender.message.reply_text(bad_duration(sender.tr, sender.argument, "/every 12h"))
        return
    await run_gated(sender, context, SetInterval(seconds), perform_set_interval)


async def perform_set_interval(
    sender: Sender, context: BotContext, action: SetInterval, unlock: Unlock
) -> None:
    every = None if action.seconds is None else timedelta(seconds=action.seconds)
    result = await context.services.checkins.set_interval(sender.person, every, unlock)
    refresh_chat_menu(context, sender.person)
    contacts = await context.services.contacts.contacts_of(sender.person)
    # Something is due from now on: show the keyboard to check in with.
    markup = checkin_keyboard(sender.tr)
    await answer(sender, context, result, plan_set(sender.tr, bool(contacts)), markup=markup)


async def at(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    times: list[time] = []
    for word in split_times(sender.argument):
        at = read_time(word)
        if at is None:
            await sender.message.reply_text(
                tr(
                    "I could not read “{text}” as a time of day. Write times as HH:MM, or "
                    "just the hour. Example: /at 09:00 21:00",
                    text=quote(word),
                )
            )
            return
        times.append(at)
    await run_gated(sender, context, SetDaily(tuple(sorted(set(times)))), perform_set_daily)


async def perform_set_daily(
    sender: Sender, context: BotContext, action: SetDaily, unlock: Unlock
) -> None:
    result = await context.services.checkins.set_daily(sender.person, action.times, unlock)
    refresh_chat_menu(context, sender.person)
    contacts = await context.services.contacts.contacts_of(sender.person)
    # Something is due from now on: show the keyboard to check in with.
    markup = checkin_keyboard(sender.tr)
    done = plan_set(sender.tr, bool(contacts), context.services.clock.now())
    await answer(sender, context, result, done, markup=markup)


async def perform_set_zone(
    sender: Sender, context: BotContext, action: SetZone, unlock: Unlock
) -> None:
    tr = sender.tr
    result = await context.services.checkins.set_zone(sender.person, action.zone, unlock)
    # The zone may have been asked with its own keyboard: bring the usual one back.
    await answer(
        sender,
        context,
        result,
        lambda _: tr("Time zone set: {zone}.", zone=action.zone),
        markup=checkin_keyboard(tr),
    )


async def set_grace(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    try:
        # "/grace 30" means minutes.
        grace = read_duration(sender.argument, bare_unit=60)
    except DurationError:
        await sender.message.reply_text(bad_duration(tr, sender.argument, "/grace 30m"))
        return
    await run_gated(sender, context, SetGrace(int(grace.total_seconds())), perform_set_grace)


async def perform_set_grace(
    sender: Sender, context: BotContext, action: SetGrace, unlock: Unlock
) -> None:
    tr = sender.tr
    grace = timedelta(seconds=action.seconds)
    result = await context.services.checkins.set_grace(sender.person, grace, unlock)
    await answer(
        sender,
        context,
        result,
        lambda _: tr(
            "Grace set: your contacts are alerted {grace} after a missed check-in.",
            grace=tr.duration(grace),
        ),
    )


async def set_reminder(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    argument = sender.argument.casefold()
    if argument in OFF_WORDS:
        await run_gated(sender, context, SetReminder(None), perform_set_reminder)
        return
    try:
        before = read_duration(argument, bare_unit=60)
    except DurationError:
        await sender.message.reply_text(bad_duration(tr, sender.argument, "/remind 1h"))
        return
    await run_gated(sender, context, SetReminder(int(before.total_seconds())), perform_set_reminder)


async def perform_set_reminder(
    sender: Sender, context: BotContext, action: SetReminder, unlock: Unlock
) -> None:
    tr = sender.tr
    before = None if action.seconds is None else timedelta(seconds=action.seconds)
    result = await context.services.checkins.set_reminder(sender.person, before, unlock)
    if before is None:
        await answer(sender, context, result, lambda _: tr("Reminders are off."))
        return
    await answer(
        sender,
        context,
        result,
        lambda _: tr(
            "Reminder set: {before} before each deadline.",
            before=tr.duration(before, accusative=True),
        ),
    )


def build() -> list[CommandHandler[BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("every", every, filters=private),
        CommandHandler("at", at, filters=private),
        CommandHandler("grace", set_grace, filters=private),
        CommandHandler("remind", set_reminder, filters=private),
    ]
