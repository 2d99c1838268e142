"""Timed check-ins: ``/timer``, the keyboard's "⏱ Timer", and a running timer's buttons.

``/timer 2h Summoned to the migration office`` starts one with a note; ``/timer
15:30 …`` runs until that time (today or tomorrow); ``/timer`` alone offers
lengths as buttons and then asks what the person is going to do (their next
words become the note). Starting, "I'm back" (a check-in) and "+30 min" / "+1 h"
are gated actions like every check-in: the PIN and the duress PIN apply.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import TIMER_ACTIONS, Action, Callback
from bot.checkin_words import is_checkin_phrase
from bot.context import BotContext
from bot.core.context import ContextKind
from bot.core.gated import CheckIn, ExtendTimer, StartTimer, Unlock
from bot.daytimes import read_time
from bot.durations import DurationError, read_duration
from bot.i18n import Translations, to_minutes
from bot.services.checkins import Outcome
from bot.services.lastknown import MAX_TEXT
from bot.services.questions import Asked, Question
from bot.texts.keyboards import button_labels, checkin_keyboard, timer_labels
from bot.texts.timers import (
    MORE,
    OFFERED,
    ask_length,
    length_buttons,
    replace_buttons,
    replace_question,
    started,
    timer_buttons,
)
from handlers.checkin import perform_check_in
from handlers.gate import run_gated
from handlers.phrases import answer, quote
from handlers.sender import Sender, identify, own_press, recognise

# A note longer than this is cut: an alert quotes it whole.
MAX_NOTE = 500


def read_timer(argument: str) -> StartTimer | None:
    """Return the timer ``argument`` asks for: a length or a time of day, then a note."""
    words = argument.split()
    if not words:
        return None
    first = words[0]
    if ":" not in first:
        # A length may take a few words: "1h 30", "2 hours".
        for count in (3, 2, 1):
            try:
                length = read_duration(" ".join(words[:count]), bare_unit=3_600)
            except DurationError:
                continue
            return StartTimer(seconds=int(length.total_seconds()), note=_note(words[count:]))
    until = read_time(first)
    return None if until is None else StartTimer(until=until, note=_note(words[1:]))


def _note(words: list[str]) -> str:
    return " ".join(words)[:MAX_NOTE]


async def timer(update: Update, context: BotContext) -> None:
    """``/timer <length or time> [note]``; without one (or the keyboard's button): lengths."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    argument = sender.argument if (sender.message.text or "").startswith("/") else ""
    if not argument:
        await sender.message.reply_text(
            ask_length(tr), reply_markup=length_buttons(tr, sender.person.id)
        )
        return
    action = read_timer(argument)
    if action is None:
        await sender.message.reply_text(
            tr(
                "I could not read “{text}” as a length or a time. Examples: "
                "/timer 2h Meeting the lawyer, or /timer 15:30",
                text=quote(argument.split()[0]),
            )
        )
        return
    await _start(sender, context, action)


async def _start(sender: Sender, context: BotContext, action: StartTimer) -> None:
    """Start ``action``; a timer already running is replaced only once confirmed."""
    services = context.services
    watch = await services.checkins.watch_of(sender.person)
    if watch.timer_ends_at is not None:
        services.questions.hold(sender.person.telegram_user_id, action, services.clock.now())
        await sender.message.reply_text(
            replace_question(sender.tr, watch.timer_ends_at, watch.zone),
            reply_markup=replace_buttons(sender.tr, sender.person.id),
        )
        return
    await run_gated(sender, context, action, perform_start)


async def perform_start(
    sender: Sender, context: BotContext, action: StartTimer, unlock: Unlock
) -> None:
    """Start the timer and say until when; without a note, ask for one.

    Under duress the reply is the same, to the byte (it is computed from what
    the phone is shown).
    """
    services = context.services
    result = await services.checkins.start_timer(sender.person, action, unlock)
    ends_at = result.watch.timer_ends_at if isinstance(result, Outcome) else None
    if not isinstance(result, Outcome) or ends_at is None:
        await answer(sender, context, result, lambda _: "")
        return
    watch = result.watch
    if not action.note:
        services.questions.ask(
            sender.person.telegram_user_id, Question.TIMER_NOTE, guided=False, now=result.at
        )
    text = started(sender.tr, ends_at, watch.zone, result.at, watch.grace, bool(action.note))
    await sender.message.reply_text(text, reply_markup=timer_buttons(sender.tr, sender.person.id))


async def perform_extend(
    sender: Sender, context: BotContext, action: ExtendTimer, unlock: Unlock
) -> None:
    """Give the timer more time (a check-in too) and say until when."""
    tr = sender.tr
    result = await context.services.checkins.extend_timer(
        sender.person, timedelta(seconds=action.seconds), unlock
    )
    ends_at = result.watch.timer_ends_at if isinstance(result, Outcome) else None
    if not isinstance(result, Outcome) or ends_at is None:
        await answer(sender, context, result, lambda _: "")
        return
    lines = [
        tr(
            "⏱ Timer extended: back by {end} (in {left}).",
            end=tr.moment(ends_at, result.watch.zone),
            left=tr.duration(to_minutes(ends_at - result.at)),
        )
    ]
    if result.effects:
        lines.append(tr("Your contacts are being told that you are safe."))
    markup = timer_buttons(tr, sender.person.id)
    await sender.message.reply_text("\n".join(lines), reply_markup=markup)


async def press(update: Update, context: BotContext) -> None:
    """A timer's button: checked to be the presser's own before anything is done."""
    query = update.callback_query
    pressed = await own_press(update, context, TIMER_ACTIONS)
    if query is None or pressed is None:
        return
    sender, message = pressed.sender, pressed.message
    done = await _act(pressed.callback, sender, context)
    await query.answer(None if done else sender.tr("This button no longer works."))
    if done:
        # Pressed once: the choice is made; a running timer's buttons come anew.
        with contextlib.suppress(BadRequest):
            await message.edit_reply_markup(reply_markup=None)


async def _act(callback: Callback, sender: Sender, context: BotContext) -> bool:
    """Carry out a timer press; ``False`` for one that cannot be carried out."""
    services = context.services
    user_id = sender.person.telegram_user_id
    if callback.action is Action.TIMER_START:
        if callback.extra not in OFFERED:
            return False
        await _start(sender, context, StartTimer(seconds=(callback.extra or 0) * 60))
        return True
    if callback.action is Action.TIMER_BACK:
        await run_gated(sender, context, CheckIn(), perform_check_in)
        return True
    if callback.action is Action.TIMER_MORE:
        if callback.extra not in MORE:
            return False
        await run_gated(sender, context, ExtendTimer((callback.extra or 0) * 60), perform_extend)
        return True
    held = services.questions.take(user_id, services.clock.now())
    if callback.action is Action.TIMER_KEEP:
        await sender.message.reply_text(sender.tr("The running timer stays as it is."))
        return True
    if not isinstance(held, StartTimer):
        return False
    await run_gated(sender, context, held, perform_start)
    return True


async def answer_note(update: Update, context: BotContext, asked: Asked) -> None:
    """Words sent while a new timer asks what the person is going to do: its note.

    A check-in, an SOS or a command stays what it is. While the phone is shown a
    pretence the words are kept as ordinary last words instead; the reply is the
    same either way.
    """
    sender = await recognise(update, context)
    if not isinstance(sender, Sender):
        return
    services = context.services
    text = (sender.message.text or "").strip()
    if not text or text in button_labels(services.translations) or is_checkin_phrase(text):
        return
    services.questions.answered(sender.person.telegram_user_id)
    note = text[:MAX_NOTE]
    if not await services.checkins.note_timer(sender.person, note):
        await services.lastknown.keep(
            sender.person,
            sender.message.message_id,
            ContextKind.TEXT,
            {"text": text[:MAX_TEXT]},
        )
    await sender.message.reply_text(
        sender.tr("📝 Noted for the timer. Your contacts read it only if you do not come back."),
        reply_markup=checkin_keyboard(sender.tr),
    )
    raise ApplicationHandlerStop


def build(translations: Translations) -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    button = filters.Text(sorted(timer_labels(translations)))
    return [
        CommandHandler("timer", timer, filters=private),
        MessageHandler(private & button & filters.UpdateType.MESSAGE, timer),
        CallbackQueryHandler(press, pattern=f"^({'|'.join(a.value for a in TIMER_ACTIONS)}):"),
    ]
