"""The setup's questions and their buttons: the guided first run and each setting's choices.

Pure builders of a translator and settings (see :mod:`handlers.setup` for what a
press does). A button's ``callback_data`` names the choice itself: a step, a
position in a list plus one, seconds, or a minute of the day plus one; its
``extra`` is 1 inside the guided run, which then asks the next question.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from enum import IntEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.callbacks import Action, encode
from bot.i18n import N_, Translator
from bot.languages import SUPPORTED_LANGUAGES
from bot.settings import CheckinSettings
from bot.zones import LIKELY_ZONES, city_of, offset_label


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
ZONE_LABEL_SEPARATOR = " · "


def guided_extra(guided: bool) -> int | None:
    return 1 if guided else None


def choice_button(label: str, action: Action, target: int, guided: bool) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(action, target, guided_extra(guided)))


def button_rows(
    buttons: Sequence[InlineKeyboardButton], width: int
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def skip_button(tr: Translator, to: Step) -> InlineKeyboardButton:
    return choice_button(tr(SKIP_LABEL), Action.SETUP_STEP, to, True)


def language_step(
    tr: Translator, current: str, known: bool, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The language question; ``known``: the phone's language is one the bot speaks."""
    buttons = [
        choice_button(
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
    tr: Translator, settings: CheckinSettings, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    every = [
        # TRANSLATORS: a button; {duration} is e.g. "12 hours" (how often to check in).
        choice_button(
            tr("Every {duration}", duration=tr.hours(choice)), Action.SET_EVERY, s, guided
        )
        for choice in EVERY_CHOICES
        if settings.min_interval <= choice <= settings.max_interval
        for s in (int(choice.total_seconds()),)
    ]
    more = [
        choice_button(tr("Daily at a set time…"), Action.SETUP_STEP, Step.DAILY, guided),
        choice_button(tr("Other…"), Action.SETUP_STEP, Step.PLAN_TYPED, guided),
    ]
    rows = [*button_rows(every, 3), more]
    if guided:
        rows.append([skip_button(tr, Step.ZONE)])
    text = tr(
        "How often should you check in? If you miss a check-in, I remind you, and then "
        "alert the contacts you chose."
    )
    return text, InlineKeyboardMarkup(rows)


def daily_step(tr: Translator, guided: bool) -> tuple[str, InlineKeyboardMarkup]:
    times = [
        choice_button(tr.time_of_day(t), Action.SET_DAILY, t.hour * 60 + t.minute + 1, guided)
        for t in DAILY_CHOICES
    ]
    rows = [
        *button_rows(times, 3),
        [
            choice_button(tr("◀ Back"), Action.SETUP_STEP, Step.PLAN, guided),
            choice_button(tr("Other…"), Action.SETUP_STEP, Step.PLAN_TYPED, guided),
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
    back = choice_button(tr("◀ Back"), Action.SETUP_STEP, Step.PLAN, guided)
    rows = [[back, skip_button(tr, Step.ZONE)]] if guided else [[back]]
    return text, InlineKeyboardMarkup(rows)


def zone_step(tr: Translator, now: datetime) -> tuple[str, ReplyKeyboardMarkup]:
    """The zone question: a reply keyboard, for Telegram's "share location" button."""
    likely = LIKELY_ZONES.get(tr.language, LIKELY_ZONES["en"])
    labels = [
        KeyboardButton(
            f"{city_of(zone, tr.language)}{ZONE_LABEL_SEPARATOR}{offset_label(zone, now)}"
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
    tr: Translator, settings: CheckinSettings, guided: bool
) -> tuple[str, InlineKeyboardMarkup]:
    longest = settings.max_grace
    choices = [
        choice_button(tr.duration(choice), Action.SET_GRACE, int(choice.total_seconds()), guided)
        for choice in GRACE_CHOICES
        if choice <= longest
    ]
    rows = button_rows(choices, 4)
    if guided:
        rows.append([skip_button(tr, Step.INVITE)])
    text = tr(
        "After a missed check-in, how long should I wait before I alert your contacts? "
        "Meanwhile I remind you to check in. This wait is your grace time."
    )
    return text, InlineKeyboardMarkup(rows)


def remind_step(tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    choices = [
        choice_button(tr.duration(choice), Action.SET_REMIND, int(choice.total_seconds()), False)
        for choice in REMIND_CHOICES
    ]
    rows = [
        *button_rows(choices, 4),
        [choice_button(tr("No reminders"), Action.REMIND_OFF, 1, False)],
    ]
    text = tr("How long before each deadline should I remind you?")
    return text, InlineKeyboardMarkup(rows)


def pause_step(tr: Translator, settings: CheckinSettings) -> tuple[str, InlineKeyboardMarkup]:
    longest = settings.max_pause
    choices = [
        choice_button(tr.duration(choice), Action.SET_PAUSE, int(choice.total_seconds()), False)
        for choice in PAUSE_CHOICES
        if choice <= longest
    ]
    text = tr(
        "Pause for how long? Nothing is due and nobody is alerted until then; "
        "/resume ends it sooner. Or type it, e.g. /pause 2d"
    )
    return text, InlineKeyboardMarkup(button_rows(choices, 3))


def invite_step(tr: Translator, guided: bool) -> tuple[str, InlineKeyboardMarkup]:
    tiers = [
        choice_button(tr("👤 Invite a contact"), Action.SET_INVITE, 1, guided),
    ]
    if guided:
        text = tr(
            "Last step: invite your first contact, a colleague who would act if you go "
            "silent. I make a link for you to send them; they accept with one tap."
        )
        rows = [tiers, [choice_button(tr("Later ▶"), Action.SETUP_STEP, Step.DONE, True)]]
    else:
        text = tr(
            "Whom do you invite? A first contact is alerted when grace ends; a second-line "
            "contact later, if nobody has taken the alert."
        )
        rows = [
            [choice_button(tr("👤 First contact"), Action.SET_INVITE, 1, False)],
            [choice_button(tr("👥 Second-line contact"), Action.SET_INVITE, 2, False)],
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
