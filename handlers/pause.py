"""``/pause <duration>`` and ``/resume``."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.core.gated import Pause, Resume, Unlock
from bot.durations import DurationError, read_duration
from handlers.gate import run_gated
from handlers.phrases import answer, bad_duration
from handlers.sender import Sender, identify


async def pause(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    try:
        # "/pause 6" means hours.
        duration = read_duration(sender.argument, bare_unit=3_600)
    except DurationError:
        await sender.message.reply_text(bad_duration(tr, sender.argument, "/pause 3d"))
        return
    await run_gated(sender, context, Pause(int(duration.total_seconds())), perform_pause)


async def perform_pause(sender: Sender, context: BotContext, action: Pause, unlock: Unlock) -> None:
    tr = sender.tr
    duration = timedelta(seconds=action.seconds)
    result = await context.services.checkins.pause(sender.person, duration, unlock)
    await answer(
        sender,
        context,
        result,
        lambda _: tr("⏸ Paused. I will resume by myself; /resume ends the pause sooner."),
    )


async def resume(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    await run_gated(sender, context, Resume(), perform_resume)


async def perform_resume(sender: Sender, context: BotContext, _: Resume, unlock: Unlock) -> None:
    tr = sender.tr
    result = await context.services.checkins.resume(sender.person, unlock)
    await answer(sender, context, result, lambda _: tr("▶️ Resumed; this counts as a check-in."))


def build() -> list[CommandHandler[BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("pause", pause, filters=private),
        CommandHandler("resume", resume, filters=private),
    ]
