"""``/status``: the plan, the zone, the next deadline and the state, at a glance."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.core.watches import WatchState
from bot.i18n import N_
from handlers.phrases import describe_plan, next_deadline
from handlers.sender import identify

STATES = {
    WatchState.UNARMED: N_("not watching yet (no plan)"),
    WatchState.OK: N_("watching"),
    WatchState.DUE: N_("check-in missed; in grace, contacts not yet alerted"),
    WatchState.OVERDUE: N_("check-in missed; your contacts are being alerted"),
    WatchState.PAUSED: N_("paused"),
    WatchState.SOS: N_("SOS raised; your contacts are being alerted"),
}


async def status(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    view = await context.services.checkins.status(sender.person)
    watch = view.watch
    checked_in_at = watch.last_checkin_at
    last = tr("never") if checked_in_at is None else tr.ago(view.at - checked_in_at)
    reminder = (
        # TRANSLATORS: when a reminder comes: {before} (e.g. "1 hour") before the deadline.
        tr("{before} before", before=tr.duration(watch.reminders[-1], accusative=True))
        if watch.reminders
        else tr("off")
    )
    lines = [
        tr("State: {state}", state=tr(STATES[watch.state])),
        tr("Plan: {plan}", plan=describe_plan(watch, tr)),
        tr("Time zone: {zone}", zone=watch.zone),
        tr("Grace: {grace}", grace=tr.duration(watch.grace)),
        tr("Reminder: {reminder}", reminder=reminder),
        tr("Last check-in: {last}", last=last),
        tr("Contacts: {count}", count=view.contacts)
        + (tr(" ({count} unreachable)", count=view.unreachable) if view.unreachable else ""),
        tr(
            "Emergency instructions: {state}",
            state=tr("set") if view.has_instructions else tr("none"),
        ),
        "",
        next_deadline(watch, tr, view.at),
    ]
    if watch.timer_started_at is not None:
        lines.append(
            tr(
                "The timer was started at {start}.",
                start=tr.moment(watch.timer_started_at, watch.zone),
            )
        )
    await sender.message.reply_text("\n".join(lines))


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("status", status, filters=filters.ChatType.PRIVATE)
