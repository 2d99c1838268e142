"""Plan settings: ``/every``, ``/at``, ``/tz``, ``/grace``, ``/remind``.

Each changes when an alert fires, so each is a gated action: with a PIN set it
waits for the PIN (and follows the duress policy) like a check-in does.
"""

from __future__ import annotations

import re
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
from bot.durations import DurationError, parse_duration
from bot.zones import canonical_zone, similar_zones
from handlers.gate import run_gated
from handlers.phrases import answer, bad_duration, plan_set, quote
from handlers.sender import Sender, identify

_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")


async def every(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    seconds = None
    if sender.argument:
        try:
            seconds = int(parse_duration(sender.argument).total_seconds())
        except DurationError:
            await sender.message.reply_text(bad_duration(sender.tr, sender.argument, "/every 12h"))
            return
    await run_gated(sender, context, SetInterval(seconds), perform_set_interval)


async def perform_set_interval(
    sender: Sender, context: BotContext, action: SetInterval, unlock: Unlock
) -> None:
    every = None if action.seconds is None else timedelta(seconds=action.seconds)
    result = await context.services.checkins.set_interval(sender.person, every, unlock)
    contacts = await context.services.contacts.contacts_of(sender.person)
    await answer(sender, context, result, plan_set(sender.tr, bool(contacts)))


async def at(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    words = sender.argument.split()
    if not words:
        await sender.message.reply_text(
            tr("Give one or more times of day as HH:MM. Example: /at 09:00 21:00")
        )
        return
    times: list[time] = []
    for word in words:
        match = _TIME.match(word)
        if match is None:
            await sender.message.reply_text(
                tr(
                    "I could not read “{text}” as a time of day. Write times as HH:MM. "
                    "Example: /at 09:00 21:00",
                    text=quote(word),
                )
            )
            return
        times.append(time(int(match.group(1)), int(match.group(2))))
    await run_gated(sender, context, SetDaily(tuple(sorted(set(times)))), perform_set_daily)


async def perform_set_daily(
    sender: Sender, context: BotContext, action: SetDaily, unlock: Unlock
) -> None:
    result = await context.services.checkins.set_daily(sender.person, action.times, unlock)
    contacts = await context.services.contacts.contacts_of(sender.person)
    await answer(sender, context, result, plan_set(sender.tr, bool(contacts)))


async def set_zone(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    if not sender.argument:
        watch = await context.services.checkins.watch_of(sender.person)
        await sender.message.reply_text(
            tr(
                "Your time zone is {zone}. To change it, send it as Area/City, "
                "e.g. /tz Asia/Ashgabat",
                zone=watch.zone,
            )
        )
        return
    zone = canonical_zone(sender.argument)
    if zone is None:
        suggestions = similar_zones(sender.argument)
        text = tr("I do not know the time zone “{text}”.", text=quote(sender.argument))
        if suggestions:
            text += " " + tr("Did you mean: {zones}?", zones=", ".join(suggestions))
        else:
            text += " " + tr("Write it as Area/City, e.g. /tz Asia/Ashgabat or /tz Europe/Moscow")
        await sender.message.reply_text(text)
        return
    await run_gated(sender, context, SetZone(zone), perform_set_zone)


async def perform_set_zone(
    sender: Sender, context: BotContext, action: SetZone, unlock: Unlock
) -> None:
    tr = sender.tr
    result = await context.services.checkins.set_zone(sender.person, action.zone, unlock)
    await answer(sender, context, result, lambda _: tr("Time zone set: {zone}.", zone=action.zone))


async def set_grace(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    if not sender.argument:
        watch = await context.services.checkins.watch_of(sender.person)
        await sender.message.reply_text(
            tr(
                "Grace is {grace}: after a missed check-in I prompt you, and your contacts "
                "are alerted when it is over. Change it like this: /grace 30m",
                grace=tr.duration(watch.grace),
            )
        )
        return
    try:
        grace = parse_duration(sender.argument)
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
    argument = sender.argument.lower()
    if not argument:
        await sender.message.reply_text(
            tr("Say how long before each deadline to remind you, or off. Example: /remind 1h")
        )
        return
    if argument == "off":
        await run_gated(sender, context, SetReminder(None), perform_set_reminder)
        return
    try:
        before = parse_duration(argument)
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
        lambda _: tr("Reminder set: {before} before each deadline.", before=tr.duration(before)),
    )


def build() -> list[CommandHandler[BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("every", every, filters=private),
        CommandHandler("at", at, filters=private),
        CommandHandler("tz", set_zone, filters=private),
        CommandHandler("grace", set_grace, filters=private),
        CommandHandler("remind", set_reminder, filters=private),
    ]
