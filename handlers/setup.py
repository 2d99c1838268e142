"""Setting up by buttons: the guided first run of ``/start``, and the same buttons
behind ``/lang``, ``/every``, ``/at``, ``/tz``, ``/grace``, ``/remind``, ``/pause``
and ``/invite`` typed without an argument.

The guided run asks, one message at a time: the language, how often to check
in, the time zone (answered in :mod:`handlers.zone`), grace, and the first
contact; :mod:`bot.texts.setup` builds the questions. Every step can be skipped.
A choice is the same gated action as the typed command: with a PIN set it waits
for the PIN, and the duress PIN works as everywhere. A pressed question keeps its
text and the choice made, so the chat reads as a record of the setup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import time, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import SETUP_ACTIONS, Action, Callback, decode
from bot.context import BotContext
from bot.core.gated import (
    GatedAction,
    Invite,
    Pause,
    SetDaily,
    SetGrace,
    SetInterval,
    SetReminder,
    SetZone,
)
from bot.languages import SUPPORTED_LANGUAGES, guess_language
from bot.services.questions import Question
from bot.texts.keyboards import checkin_keyboard
from bot.texts.setup import (
    LANGUAGE_NAMES,
    SKIP_LABEL,
    Step,
    daily_step,
    done_text,
    grace_step,
    invite_step,
    language_step,
    pause_step,
    plan_step,
    plan_typed_step,
    remind_step,
    zone_step,
)
from bot.zones import OFFERED_ZONES
from handlers import contacts, pause, plans
from handlers.gate import Perform, require_pin
from handlers.help import refresh_chat_menu
from handlers.phrases import answer
from handlers.sender import Sender, identify, translator_for


async def ask_zone(sender: Sender, context: BotContext, guided: bool) -> None:
    """Ask for the zone; a location or city sent next answers it."""
    services = context.services
    text, markup = zone_step(sender.tr, services.clock.now())
    services.questions.ask(
        sender.person.telegram_user_id, Question.ZONE, guided=guided, now=services.clock.now()
    )
    await sender.message.chat.send_message(text, reply_markup=markup)


async def show(
    step: Step, sender: Sender, context: BotContext, guided: bool, edit: Message | None = None
) -> None:
    """Show ``step``: in place of ``edit`` when it has inline buttons, else as a new message."""
    tr = sender.tr
    if step is Step.ZONE:
        await ask_zone(sender, context, guided)
        return
    if step is Step.DONE:
        await sender.message.chat.send_message(done_text(tr), reply_markup=checkin_keyboard(tr))
        return
    text, markup = _inline_step(step, sender, context, guided)
    if edit is not None:
        with contextlib.suppress(BadRequest):
            await edit.edit_text(text, reply_markup=markup)
            return
    await sender.message.chat.send_message(text, reply_markup=markup)


def _inline_step(
    step: Step, sender: Sender, context: BotContext, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    tr = sender.tr
    if step is Step.LANGUAGE:
        return language_step(tr, sender.person.language, True, guided)
    if step is Step.PLAN:
        return plan_step(tr, context.services.settings.checkins, guided)
    if step is Step.DAILY:
        return daily_step(tr, guided)
    if step is Step.PLAN_TYPED:
        return plan_typed_step(tr, guided)
    if step is Step.GRACE:
        return grace_step(tr, context.services.settings.checkins, guided)
    if step is Step.REMIND:
        return remind_step(tr)
    if step is Step.PAUSE:
        return pause_step(tr, context.services.settings.checkins)
    return invite_step(tr, guided)


async def start_guided(update: Update, context: BotContext, sender: Sender, welcome: str) -> None:
    """Say ``welcome`` and ask the first question of the guided run: which language."""
    user = update.effective_user
    code = user.language_code if user is not None else None
    known = guess_language(code) == (code or "").split("-", 1)[0].lower()
    text, markup = language_step(sender.tr, sender.person.language, known, True)
    await sender.message.reply_text(f"{welcome}\n\n{text}", reply_markup=markup)


# What comes after each answered question in the guided run.
_NEXT = {
    Step.PLAN: Step.ZONE,
    Step.DAILY: Step.ZONE,
    Step.ZONE: Step.GRACE,
    Step.GRACE: Step.INVITE,
    Step.INVITE: Step.DONE,
}


async def press(update: Update, context: BotContext) -> None:
    """A setup button: parse it, then act for the presser in their private chat."""
    query = update.callback_query
    if query is None:
        return
    callback = decode(query.data)
    message = query.message
    if callback is None or callback.action not in SETUP_ACTIONS or not isinstance(message, Message):
        tr = await translator_for(context, query.from_user)
        await query.answer(tr("This button no longer works."))
        return
    if message.chat.type != ChatType.PRIVATE or callback.extra not in (None, 1):
        # Settings are made in one's own chat with the bot, never in a group.
        tr = await translator_for(context, query.from_user)
        await query.answer(tr("This button no longer works."))
        return
    sender = await identify(update, context)
    if sender is None:
        return
    refusal = await _PRESSES[callback.action](callback, sender, context, message)
    await query.answer(refusal)


async def _step(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    try:
        step = Step(callback.target)
    except ValueError:
        return sender.tr("This button no longer works.")
    guided = callback.extra == 1
    if step in _WITHIN_THE_PLAN_QUESTION:
        # Finding one's way inside the plan question: the same message changes.
        await show(step, sender, context, guided, edit=pressed)
        return None
    # A skipped question stays in the chat as skipped; the next comes below it.
    await _close(pressed, sender.tr(SKIP_LABEL) if guided else None)
    await show(step, sender, context, guided)
    return None


_WITHIN_THE_PLAN_QUESTION = frozenset({Step.PLAN, Step.DAILY, Step.PLAN_TYPED})


async def _language(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    if not 1 <= callback.target <= len(SUPPORTED_LANGUAGES):
        return sender.tr("This button no longer works.")
    language = SUPPORTED_LANGUAGES[callback.target - 1]
    person = await context.services.people.choose_language(sender.person, language)
    tr = context.services.translations[person.language]
    chosen = Sender(person, tr, sender.message)
    refresh_chat_menu(context, person)
    await _close(pressed, LANGUAGE_NAMES[language])
    if callback.extra == 1:
        await show(Step.PLAN, chosen, context, guided=True)
        return None
    await chosen.message.chat.send_message(
        tr("Language set: English."), reply_markup=checkin_keyboard(tr)
    )
    return None


async def _close(pressed: Message, choice: str | None) -> None:
    """Keep the question with the choice made under it, and take its buttons away."""
    text = pressed.text or ""
    if choice is not None:
        text += f"\n\n→ {choice}"
    with contextlib.suppress(BadRequest):
        await pressed.edit_text(text, reply_markup=None)


async def _gated(
    sender: Sender,
    context: BotContext,
    pressed: Message,
    action: GatedAction,
    perform: Perform,
    choice: str,
    after: Step | None,
) -> str | None:
    """Carry out a choice like its typed command; in the guided run, ask the next question."""
    problem = context.services.checkins.problem_with(action)
    if problem is not None:
        await answer(sender, context, problem, lambda _: "")
        return None
    unlock = await require_pin(sender, context, action)
    # The question shows the choice only once it is made; a PIN may still refuse it.
    await _close(pressed, None if unlock is None else choice)
    if unlock is None:
        return None
    await perform(sender, context, action, unlock)
    if after is not None:
        await show(after, sender, context, guided=True)
    return None


def _next(callback: Callback, asked: Step) -> Step | None:
    return _NEXT[asked] if callback.extra == 1 else None


async def _every(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    every = timedelta(seconds=callback.target)
    choice = sender.tr("Every {duration}", duration=sender.tr.hours(every))
    action = SetInterval(callback.target)
    return await _gated(
        sender,
        context,
        pressed,
        action,
        plans.perform_set_interval,
        choice,
        _next(callback, Step.PLAN),
    )


async def _daily(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    minute = callback.target - 1
    if minute >= 24 * 60:
        return sender.tr("This button no longer works.")
    at = time(minute // 60, minute % 60)
    return await _gated(
        sender,
        context,
        pressed,
        SetDaily((at,)),
        plans.perform_set_daily,
        sender.tr.time_of_day(at),
        _next(callback, Step.DAILY),
    )


async def _zone(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    if not 1 <= callback.target <= len(OFFERED_ZONES):
        return sender.tr("This button no longer works.")
    zone = OFFERED_ZONES[callback.target - 1]
    context.services.questions.answered(sender.person.telegram_user_id)
    return await _gated(
        sender,
        context,
        pressed,
        SetZone(zone),
        plans.perform_set_zone,
        zone,
        _next(callback, Step.ZONE),
    )


async def _grace(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    grace = timedelta(seconds=callback.target)
    return await _gated(
        sender,
        context,
        pressed,
        SetGrace(callback.target),
        plans.perform_set_grace,
        sender.tr.duration(grace),
        _next(callback, Step.GRACE),
    )


async def _remind(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    off = callback.action is Action.REMIND_OFF
    choice = (
        sender.tr("No reminders") if off else sender.tr.duration(timedelta(seconds=callback.target))
    )
    action = SetReminder(None if off else callback.target)
    return await _gated(sender, context, pressed, action, plans.perform_set_reminder, choice, None)


async def _pause(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    choice = sender.tr.duration(timedelta(seconds=callback.target))
    action = Pause(callback.target)
    return await _gated(sender, context, pressed, action, pause.perform_pause, choice, None)


async def _invite(
    callback: Callback, sender: Sender, context: BotContext, pressed: Message
) -> str | None:
    if callback.target not in (1, 2):
        return sender.tr("This button no longer works.")
    tr = sender.tr
    choice = tr("👤 First contact") if callback.target == 1 else tr("👥 Second-line contact")
    return await _gated(
        sender,
        context,
        pressed,
        Invite(callback.target),
        contacts.perform_invite,
        choice,
        _next(callback, Step.INVITE),
    )


_Press = Callable[[Callback, Sender, BotContext, Message], Awaitable[str | None]]
_PRESSES: dict[Action, _Press] = {
    Action.SETUP_STEP: _step,
    Action.SET_LANGUAGE: _language,
    Action.SET_EVERY: _every,
    Action.SET_DAILY: _daily,
    Action.SET_ZONE: _zone,
    Action.SET_GRACE: _grace,
    Action.SET_REMIND: _remind,
    Action.REMIND_OFF: _remind,
    Action.SET_PAUSE: _pause,
    Action.SET_INVITE: _invite,
}


# The step each setting command opens when typed without an argument.
_COMMAND_STEPS = {
    "lang": Step.LANGUAGE,
    "every": Step.PLAN,
    "at": Step.DAILY,
    "grace": Step.GRACE,
    "remind": Step.REMIND,
    "pause": Step.PAUSE,
    "invite": Step.INVITE,
}


async def open_buttons(update: Update, context: BotContext) -> None:
    """A setting command without an argument: the buttons of its step."""
    sender = await identify(update, context)
    if sender is None or sender.message.text is None:
        return
    command = sender.message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
    step = _COMMAND_STEPS[command]
    tr = sender.tr
    if step is Step.GRACE:
        watch = await context.services.checkins.watch_of(sender.person)
        await sender.message.reply_text(tr("Grace is now {grace}.", grace=tr.duration(watch.grace)))
    await show(step, sender, context, guided=False)


class _NoArgument(filters.MessageFilter):
    """A command with nothing after it."""

    def filter(self, message: Message) -> bool:
        text = message.text or ""
        return len(text.split(maxsplit=1)) == 1


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The setup buttons and commands; register before the commands that take arguments
    and before the general button router."""
    private = filters.ChatType.PRIVATE
    pattern = f"^({'|'.join(a.value for a in SETUP_ACTIONS)}):"
    return [
        CommandHandler(list(_COMMAND_STEPS), open_buttons, filters=private & _NoArgument()),
        CallbackQueryHandler(press, pattern=pattern),
    ]
