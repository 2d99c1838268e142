"""Translated phrases several handlers share, and the standard answer to a use case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import ReplyKeyboardMarkup

from bot.context import BotContext
from bot.core.plans import DailyPlan, IntervalPlan
from bot.core.watches import Refusal, Watch, WatchState
from bot.i18n import Translator, to_minutes
from bot.services.checkins import MAX_DAILY_TIMES, MAX_REMINDER, Problem, Result
from bot.settings import CheckinSettings
from handlers.sender import Sender


def describe_plan(watch: Watch, tr: Translator) -> str:
    """Return the plan in words: ``every 12 hours`` or ``daily at 09:00, 21:00 (Asia/Ashgabat)``."""
    if isinstance(watch.plan, IntervalPlan):
        # TRANSLATORS: completes "check in {plan}"; {duration} is e.g. "12 hours".
        return tr("every {duration}", duration=tr.duration(watch.plan.every, accusative=True))
    if isinstance(watch.plan, DailyPlan):
        times = ", ".join(tr.time_of_day(t) for t in watch.plan.times)
        # TRANSLATORS: completes "check in {plan}"; {times} is e.g. "09:00, 21:00".
        return tr("daily at {times} ({zone})", times=times, zone=watch.zone)
    return tr("no plan yet")


def next_deadline(watch: Watch, tr: Translator, now: datetime) -> str:
    """Return when the next check-in is due, or why there is no deadline."""
    if watch.state is WatchState.PAUSED and watch.paused_until is not None:
        return tr(
            "Paused until {until}; nothing is due before then.",
            until=tr.moment(watch.paused_until, watch.zone),
        )
    if watch.deadline_at is None:
        return tr("Nothing is due: set a plan with /every 12h or /at 09:00 21:00.")
    if watch.timer_governs:
        return timer_line(watch, tr, now)
    if watch.deadline_at <= now:
        line = tr(
            "Your check-in was due at {deadline}. Check in now.",
            deadline=tr.moment(watch.deadline_at, watch.zone),
        )
    else:
        line = tr(
            "Next check-in due by {deadline} (in {left}).",
            deadline=tr.moment(watch.deadline_at, watch.zone),
            left=tr.duration(to_minutes(watch.deadline_at - now)),
        )
    if watch.has_timer:
        line += "\n" + timer_line(watch, tr, now)
    return line


def timer_line(watch: Watch, tr: Translator, now: datetime) -> str:
    """Say when the running timer ends (the caller knows one runs)."""
    ends_at = watch.timer_ends_at or now
    if ends_at <= now:
        return tr(
            "⏱ Your timer ended at {end}. Press “I'm back” or check in now.",
            end=tr.moment(ends_at, watch.zone),
        )
    return tr(
        "⏱ Timer: back by {end} (in {left}).",
        end=tr.moment(ends_at, watch.zone),
        left=tr.duration(to_minutes(ends_at - now)),
    )


def explain_refusal(refusal: Refusal, tr: Translator) -> str:
    if refusal is Refusal.NO_PLAN:
        return tr("You have no plan yet. Set one first: /every 12h or /at 09:00 21:00.")
    if refusal is Refusal.OPEN_ALERT:
        return tr(
            "Your contacts are being alerted about you. Check in first with /ok "
            "to tell them you are safe, then try again."
        )
    if refusal is Refusal.CHECK_IN_FIRST:
        return tr(
            "Your check-in is due now, so a longer grace would delay the alert. "
            "Check in first with /ok, then change it."
        )
    if refusal is Refusal.TIMER_RUNNING:
        return tr(
            "A timer is running. Press “I'm back” (or check in with /ok) to end it, then pause."
        )
    if refusal is Refusal.NO_TIMER:
        return tr("No timer is running. Start one with /timer 2h.")
    if refusal is Refusal.PAUSED:
        return tr(
            "Your watch is paused, so a timer would not be watched. Resume with /resume, "
            "then start the timer."
        )
    return tr("Your watch is not paused.")


def explain_problem(problem: Problem, tr: Translator, settings: CheckinSettings) -> str:
    if problem is Problem.INTERVAL_TOO_SHORT:
        return tr(
            "That is too short: the shortest interval is {minimum}. Example: /every 12h",
            minimum=tr.duration(settings.min_interval),
        )
    if problem is Problem.INTERVAL_TOO_LONG:
        return tr(
            "That is too long: the longest interval is {maximum}. Example: /every 12h",
            maximum=tr.duration(settings.max_interval),
        )
    if problem is Problem.TIMES_TOO_CLOSE:
        return tr(
            "Those times are too close together: leave at least {minimum} between them.",
            minimum=tr.duration(settings.min_interval),
        )
    if problem is Problem.TOO_MANY_TIMES:
        return tr("At most {count} times a day, please.", count=MAX_DAILY_TIMES)
    if problem is Problem.PAUSE_TOO_LONG:
        return tr(
            "A pause can last at most {maximum}. Example: /pause 3d",
            maximum=tr.duration(settings.max_pause),
        )
    if problem is Problem.TIMER_TOO_SHORT:
        return tr(
            "That is too short: a timer runs at least {minimum}. Example: /timer 2h",
            minimum=tr.duration(settings.min_interval),
        )
    if problem is Problem.TIMER_TOO_LONG:
        return tr(
            "That is too long: a timer runs at most {maximum}. Example: /timer 2h",
            maximum=tr.duration(settings.max_interval),
        )
    if problem is Problem.GRACE_TOO_LONG:
        return tr("Grace can be at most {maximum}.", maximum=tr.duration(settings.max_grace))
    return tr(
        "A reminder can come at most {maximum} before the deadline.",
        maximum=tr.duration(MAX_REMINDER),
    )


# A hostile or mistaken argument is quoted back clipped, never in full.
_QUOTE_LIMIT = 40


def quote(text: str) -> str:
    """Return user text short enough to quote back in a reply."""
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


def bad_duration(tr: Translator, text: str, example: str) -> str:
    return tr(
        "I could not read “{text}” as a duration. Write it like 90m, 12h, 2d or 1h30m. "
        "Example: {example}",
        text=quote(text),
        example=example,
    )


async def answer(
    sender: Sender,
    context: BotContext,
    result: Result,
    done: Callable[[Watch], str],
    markup: ReplyKeyboardMarkup | None = None,
) -> None:
    """Reply with ``done(watch)`` and the next deadline, or explain why nothing changed.

    ``markup``: a reply keyboard to show with the answer, whatever it is.
    """
    tr = sender.tr
    if isinstance(result, Refusal):
        text = explain_refusal(result, tr)
    elif isinstance(result, Problem):
        text = explain_problem(result, tr, context.services.settings.checkins)
    else:
        deadline = next_deadline(result.watch, tr, result.at)
        text = done(result.watch) + "\n" + deadline
    await sender.message.reply_text(text, reply_markup=markup)


def why_tomorrow(watch: Watch, tr: Translator, now: datetime) -> str | None:
    """Say why a new daily plan's first deadline is tomorrow, when it is."""
    if not isinstance(watch.plan, DailyPlan) or watch.deadline_at is None:
        return None
    zone = ZoneInfo(watch.zone)
    local_now = now.astimezone(zone)
    if watch.deadline_at.astimezone(zone).date() == local_now.date():
        return None
    if any(datetime.combine(local_now.date(), t, zone) > local_now for t in watch.plan.times):
        # Not because today's times have passed (an earlier deadline still stands).
        return None
    times = ", ".join(tr.time_of_day(t) for t in watch.plan.times)
    # TRANSLATORS: {times} is one or more times of day, e.g. "08:00" or "07:00, 08:00".
    return tr.plural(
        "Today's {times} has passed, so your first check-in is due tomorrow.",
        "Today's {times} have passed, so your first check-in is due tomorrow.",
        len(watch.plan.times),
        times=times,
    )


def plan_set(
    tr: Translator, has_contacts: bool, now: datetime | None = None
) -> Callable[[Watch], str]:
    """Confirm a new plan, warning when nobody could be alerted yet.

    With ``now``, a daily plan whose first deadline is tomorrow says why.
    """

    def done(watch: Watch) -> str:
        text = tr("Plan set: check in {plan}.", plan=describe_plan(watch, tr))
        tomorrow = None if now is None else why_tomorrow(watch, tr, now)
        if tomorrow is not None:
            text += "\n" + tomorrow
        if not has_contacts:
            text += "\n" + tr(
                "⚠️ You have no contacts yet: if you miss a check-in, nobody can be alerted. "
                "Invite one with /invite."
            )
        return text

    return done
