"""Setting up by buttons: the guided first run of ``/start``, and the same buttons
behind ``/lang``, ``/every``, ``/at``, ``/tz``, ``/grace``, ``/remind``, ``/pause``
and ``/invite`` typed without an argument.

The guided run asks, one message at a time: the language, how often to check
in, the time zone (a shared location, a likely zone or a typed city), grace,
and the first contact. Every step can be skipped. A choice is the same gated
action as the typed command: with a PIN set it waits for the PIN, and the
duress PIN works as everywhere. A pressed question keeps its text and the
choice made, so the chat reads as a record of the setup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta
from enum import IntEnum
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import SETUP_ACTIONS, Action, Callback, decode, encode
from bot.checkin_words import is_checkin_phrase
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
from bot.i18n import N_, Translations, Translator
from bot.keyboards import checkin_keyboard, vital_labels
from bot.languages import SUPPORTED_LANGUAGES, guess_language
from bot.services.questions import Question
from bot.zones import (
    LIKELY_ZONES,
    OFFERED_ZONES,
    city_of,
    find_zone,
    offset_label,
    read_offset,
    similar_zones,
    zone_at,
    zones_at_offset,
)
from handlers import contacts, pause, plans
from handlers.gate import Perform, require_pin
from handlers.help import publish_chat_menu
from handlers.phrases import answer, quote
from handlers.sender import Sender, identify, recognise, translator_for


class Step(IntEnum):
    """The questions of the guided run, as a ``SETUP_STEP`` button names them."""

    LANGUAGE = 1
    PLAN = 2
    DAILY = 3
    PLAN_TYPED = 4
    ZONE = 5
    GRACE = 6
    INVITE = 7
    DONE = 8
    REMIND = 9
    PAUSE = 10


LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "tk": "Türkmençe"}
# Shown to a phone in a language the bot does not speak: the question in all three.
CHOOSE_LANGUAGE = "Choose your language · Выберите язык · Dili saýlaň"

EVERY_CHOICES = (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
DAILY_CHOICES = tuple(time(hour) for hour in (7, 8, 9, 10, 12, 18, 20, 21, 22))
GRACE_CHOICES = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
)
REMIND_CHOICES = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
)
PAUSE_CHOICES = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
)

# TRANSLATORS: a button that leaves a setup question for later.
SKIP_LABEL = N_("Skip ▶")
SHARE_LOCATION_LABEL = N_("📍 Share my location")
# The reply-keyboard button that skips the zone: a typed answer, so it must be
# told apart from a city in every language.
# TRANSLATORS: a keyboard button that leaves the time zone for later. Its text is sent
# back as a message, so it must not be the name of a city.
SKIP_ZONE_LABEL = N_("⏭ Skip")
# A zone button on the reply keyboard reads "Aşgabat · UTC+5"; the answer is the city.
_ZONE_LABEL_SEPARATOR = " · "


def _guided(guided: bool) -> int | None:
    return 1 if guided else None


def _button(label: str, action: Action, target: int, guided: bool) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(action, target, _guided(guided)))


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def _skip(tr: Translator, to: Step) -> InlineKeyboardButton:
    return _button(tr(SKIP_LABEL), Action.SETUP_STEP, to, True)


def language_step(
    tr: Translator, current: str, known: bool, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The language question; ``known``: the phone's language is one the bot speaks."""
    buttons = [
        _button(
            ("✓ " if known and language == current else "") + LANGUAGE_NAMES[language],
            Action.SET_LANGUAGE,
            position + 1,
            guided,
        )
        for position, language in enumerate(SUPPORTED_LANGUAGES)
    ]
    text = tr("Which language should I speak with you?") if known else CHOOSE_LANGUAGE
    return text, InlineKeyboardMarkup([buttons])


def plan_step(
    tr: Translator, context: BotContext, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    settings = context.services.settings.checkins
    every = [
        # TRANSLATORS: a button; {duration} is e.g. "12 hours" (how often to check in).
        _button(tr("Every {duration}", duration=tr.hours(choice)), Action.SET_EVERY, s, guided)
        for choice in EVERY_CHOICES
        if settings.min_interval <= choice <= settings.max_interval
        for s in (int(choice.total_seconds()),)
    ]
    more = [
        _button(tr("Daily at a set time…"), Action.SETUP_STEP, Step.DAILY, guided),
        _button(tr("Other…"), Action.SETUP_STEP, Step.PLAN_TYPED, guided),
    ]
    rows = [*_rows(every, 3), more]
    if guided:
        rows.append([_skip(tr, Step.ZONE)])
    text = tr(
        "How often should you check in? If you miss a check-in, I remind you, and then "
        "alert the contacts you chose."
    )
    return text, InlineKeyboardMarkup(rows)


def daily_step(tr: Translator, guided: bool) -> tuple[str, InlineKeyboardMarkup]:
    times = [
        _button(tr.time_of_day(t), Action.SET_DAILY, t.hour * 60 + t.minute + 1, guided)
        for t in DAILY_CHOICES
    ]
    rows = [
        *_rows(times, 3),
        [
            _button(tr("◀ Back"), Action.SETUP_STEP, Step.PLAN, guided),
            _button(tr("Other…"), Action.SETUP_STEP, Step.PLAN_TYPED, guided),
        ],
    ]
    text = tr(
        "At what time each day? Your check-in is due by then. For several times a day, "
        "type them: /at 9:00 21:00"
    )
    return text, InlineKeyboardMarkup(rows)


def plan_typed_step(tr: Translator, guided: bool) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "Type it as a command: /every 8h to check in every 8 hours, or /at 9:00 21:00 "
        "for fixed times each day."
    )
    back = _button(tr("◀ Back"), Action.SETUP_STEP, Step.PLAN, guided)
    rows = [[back, _skip(tr, Step.ZONE)]] if guided else [[back]]
    return text, InlineKeyboardMarkup(rows)


def zone_step(tr: Translator, now: datetime) -> tuple[str, ReplyKeyboardMarkup]:
    """The zone question: a reply keyboard, for Telegram's "share location" button."""
    likely = LIKELY_ZONES.get(tr.language, LIKELY_ZONES["en"])
    labels = [
        KeyboardButton(
            f"{city_of(zone, tr.language)}{_ZONE_LABEL_SEPARATOR}{offset_label(zone, now)}"
        )
        for zone in likely
    ]
    keyboard = [
        [KeyboardButton(tr(SHARE_LOCATION_LABEL), request_location=True)],
        *[list(labels[i : i + 2]) for i in range(0, len(labels), 2)],
        [KeyboardButton(tr(SKIP_ZONE_LABEL))],
    ]
    text = tr(
        "Which time zone are you in? I show your deadlines in it.\n\n"
        "Tap “📍 Share my location”: only the time zone is kept, not the place. "
        "Or tap a zone below, or type your city, e.g. Aşgabat."
    )
    return text, ReplyKeyboardMarkup(
        keyboard, resize_keyboard=True, one_time_keyboard=True, is_persistent=False
    )


def grace_step(
    tr: Translator, context: BotContext, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    longest = context.services.settings.checkins.max_grace
    choices = [
        _button(tr.duration(choice), Action.SET_GRACE, int(choice.total_seconds()), guided)
        for choice in GRACE_CHOICES
        if choice <= longest
    ]
    rows = _rows(choices, 4)
    if guided:
        rows.append([_skip(tr, Step.INVITE)])
    text = tr(
        "After a missed check-in, how long should I wait before I alert your contacts? "
        "Meanwhile I remind you to check in. This wait is your grace time."
    )
    return text, InlineKeyboardMarkup(rows)


def remind_step(tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    choices = [
        _button(tr.duration(choice), Action.SET_REMIND, int(choice.total_seconds()), False)
        for choice in REMIND_CHOICES
    ]
    rows = [*_rows(choices, 4), [_button(tr("No reminders"), Action.REMIND_OFF, 1, False)]]
    text = tr("How long before each deadline should I remind you?")
    return text, InlineKeyboardMarkup(rows)


def pause_step(tr: Translator, context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    longest = context.services.settings.checkins.max_pause
    choices = [
        _button(tr.duration(choice), Action.SET_PAUSE, int(choice.total_seconds()), False)
        for choice in PAUSE_CHOICES
        if choice <= longest
    ]
    text = tr(
        "Pause for how long? Nothing is due and nobody is alerted until then; "
        "/resume ends it sooner. Or type it, e.g. /pause 2d"
    )
    return text, InlineKeyboardMarkup(_rows(choices, 3))


def invite_step(tr: Translator, guided: bool) -> tuple[str, InlineKeyboardMarkup]:
    tiers = [
        _button(tr("👤 Invite a contact"), Action.SET_INVITE, 1, guided),
    ]
    if guided:
        text = tr(
            "Last step: invite your first contact, a colleague who would act if you go "
            "silent. I make a link for you to send them; they accept with one tap."
        )
        rows = [tiers, [_button(tr("Later ▶"), Action.SETUP_STEP, Step.DONE, True)]]
    else:
        text = tr(
            "Whom do you invite? A first contact is alerted when grace ends; a second-line "
            "contact later, if nobody has taken the alert."
        )
        rows = [
            [_button(tr("👤 First contact"), Action.SET_INVITE, 1, False)],
            [_button(tr("👥 Second-line contact"), Action.SET_INVITE, 2, False)],
        ]
    return text, InlineKeyboardMarkup(rows)


def done_text(tr: Translator) -> str:
    set_up = tr(
        "✅ You are set up.\n\n"
        "When a check-in is due, tap “✅ I'm OK” below. “🆘 SOS” alerts your contacts at "
        "once; “📍 Send location” gives them your place. /status shows your plan, "
        "/help lists everything, and each setting's command without words, like /every, "
        "shows these buttons again."
    )
    kept = tr(
        "Anything else you send me (words, places, photos, voice notes) is kept for your "
        "contacts, for an alert; I mark it with ✍."
    )
    return f"{set_up}\n\n{kept}"


async def ask_zone(sender: Sender, context: BotContext, guided: bool) -> None:
    """Ask for the zone; a location or city sent next answers it."""
    services = context.services
    text, markup = zone_step(sender.tr, services.clock.now())
    services.questions.ask(sender.person.id, Question.ZONE, guided=guided, now=services.clock.now())
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
        return plan_step(tr, context, guided)
    if step is Step.DAILY:
        return daily_step(tr, guided)
    if step is Step.PLAN_TYPED:
        return plan_typed_step(tr, guided)
    if step is Step.GRACE:
        return grace_step(tr, context, guided)
    if step is Step.REMIND:
        return remind_step(tr)
    if step is Step.PAUSE:
        return pause_step(tr, context)
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
    await publish_chat_menu(context, person)
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
    await _close(pressed, choice)
    unlock = await require_pin(sender, context, action)
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
    context.services.questions.answered(sender.person.id)
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


# ---------------------------------------------------------------- the zone, typed or shared


async def answer_zone(sender: Sender, context: BotContext, text: str, guided: bool) -> None:
    """Set the zone ``text`` names (a zone, a city, an offset), or say what would work."""
    tr = sender.tr
    services = context.services
    if _ZONE_LABEL_SEPARATOR in text:
        text = text.split(_ZONE_LABEL_SEPARATOR, 1)[0]
    zone = find_zone(text)
    if zone is not None:
        services.questions.answered(sender.person.id)
        await _set_zone(sender, context, zone, guided)
        return
    offset = read_offset(text)
    if offset is not None:
        now = services.clock.now()
        likely = LIKELY_ZONES.get(tr.language, ())
        candidates = zones_at_offset(offset, now, likely)[:6]
        if candidates:
            buttons = [
                [
                    _button(
                        # TRANSLATORS: a button confirming a time zone: "Aşgabat (Asia/Ashgabat)".
                        tr("✅ {city} ({zone})", city=city_of(zone, tr.language), zone=zone),
                        Action.SET_ZONE,
                        OFFERED_ZONES.index(zone) + 1,
                        guided,
                    )
                ]
                for zone in candidates
            ]
            await sender.message.reply_text(
                # TRANSLATORS: {offset} is an offset from UTC such as "UTC+5".
                tr(
                    "{offset} now is the time in these zones. Which is yours? The zone also "
                    "knows when the clocks change.",
                    offset=offset_label(candidates[0], now),
                ),
                reply_markup=InlineKeyboardMarkup(buttons),
            )
            return
    suggestions = similar_zones(text)
    reply = tr("I do not know the time zone “{text}”.", text=quote(text))
    if suggestions:
        reply += " " + tr("Did you mean: {zones}?", zones=", ".join(suggestions))
    reply += "\n" + tr(
        "Type a city (Aşgabat, Москва, Berlin), a zone name (Asia/Ashgabat) or an offset "
        "(UTC+5), or share your location."
    )
    await sender.message.reply_text(reply)


async def _set_zone(sender: Sender, context: BotContext, zone: str, guided: bool) -> None:
    action = SetZone(zone)
    unlock = await require_pin(sender, context, action)
    if unlock is None:
        return
    await plans.perform_set_zone(sender, context, action, unlock)
    if guided:
        await show(Step.GRACE, sender, context, guided=True)


async def _answer_question(update: Update, context: BotContext) -> None:
    """A message while the zone is asked: a location or text answers it, and is not kept."""
    # Reads only: a stranger's message must cost no row, and a stranger was asked nothing.
    sender = await recognise(update, context)
    if not isinstance(sender, Sender):
        return
    services = context.services
    asked = services.questions.asked(sender.person.id, services.clock.now())
    message = sender.message
    if asked is None or asked.question is not Question.ZONE:
        return
    location = message.location
    if location is not None:
        if location.live_period:
            # A live location is shared for the contacts: keep it as always.
            return
        zone = await zone_at(location.latitude, location.longitude)
        if zone is None:
            await message.reply_text(
                sender.tr(
                    "I could not tell the time zone of that place. Tap a zone or type your city."
                )
            )
        else:
            services.questions.answered(sender.person.id)
            await _set_zone(sender, context, zone, asked.guided)
        raise ApplicationHandlerStop
    text = (message.text or "").strip()
    if not text or text in vital_labels(services.translations) or is_checkin_phrase(text):
        # A check-in or an SOS stays one, whatever was asked.
        return
    if text in _skip_labels(services.translations):
        services.questions.answered(sender.person.id)
        watch = await services.checkins.watch_of(sender.person)
        await message.reply_text(
            sender.tr("Your time zone stays {zone}. /tz changes it.", zone=watch.zone),
            reply_markup=checkin_keyboard(sender.tr),
        )
        if asked.guided:
            await show(Step.GRACE, sender, context, guided=True)
        raise ApplicationHandlerStop
    await answer_zone(sender, context, text, asked.guided)
    raise ApplicationHandlerStop


def _skip_labels(translations: Translations) -> frozenset[str]:
    return frozenset(tr(SKIP_ZONE_LABEL) for tr in translations.all())


async def set_zone(update: Update, context: BotContext) -> None:
    """``/tz <zone, city or offset>`` sets it; ``/tz`` alone asks, with buttons."""
    sender = await identify(update, context)
    if sender is None:
        return
    if sender.argument:
        await answer_zone(sender, context, sender.argument, guided=False)
        return
    watch = await context.services.checkins.watch_of(sender.person)
    await sender.message.reply_text(sender.tr("Your time zone is {zone}.", zone=watch.zone))
    await ask_zone(sender, context, guided=False)


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
        CommandHandler("tz", set_zone, filters=private),
        CallbackQueryHandler(press, pattern=pattern),
    ]


def build_answers() -> MessageHandler[BotContext, Any]:
    """Answers to an open question: register in the PIN entry's group, after it."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return MessageHandler(
        private & (filters.LOCATION | (filters.TEXT & ~filters.COMMAND)), _answer_question
    )
