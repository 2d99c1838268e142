"""What a timed check-in shows the activist: its buttons and the words around them."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Action, encode
from bot.i18n import Translator, to_minutes

# The lengths offered as buttons, and the extensions a running timer offers, in minutes.
OFFERED = (30, 60, 120, 240)
MORE = (30, 60)


def timer_buttons(tr: Translator, person_id: int) -> InlineKeyboardMarkup:
    """Return the buttons of a running timer: "I'm back" first, then more time."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("🏠 I'm back"), callback_data=encode(Action.TIMER_BACK, person_id)
                )
            ],
            [
                InlineKeyboardButton(
                    tr("+30 min"), callback_data=encode(Action.TIMER_MORE, person_id, MORE[0])
                ),
                InlineKeyboardButton(
                    tr("+1 h"), callback_data=encode(Action.TIMER_MORE, person_id, MORE[1])
                ),
            ],
        ]
    )


def length_buttons(tr: Translator, person_id: int) -> InlineKeyboardMarkup:
    """Return the lengths a timer can be started with by one tap."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr.duration(timedelta(minutes=minutes)),
                    callback_data=encode(Action.TIMER_START, person_id, minutes),
                )
                for minutes in OFFERED[:2]
            ],
            [
                InlineKeyboardButton(
                    tr.duration(timedelta(minutes=minutes)),
                    callback_data=encode(Action.TIMER_START, person_id, minutes),
                )
                for minutes in OFFERED[2:]
            ],
        ]
    )


def ask_length(tr: Translator) -> str:
    return tr(
        "⏱ A timer watches one risky errand: a summons, a meeting, a night away. "
        "If you do not press “I'm back” in time, your contacts are alerted with what "
        "you said you were doing.\n\n"
        "How long? Tap a length, or type it with a note, for example:\n"
        "/timer 2h Summoned to the migration office, Lenina 5\n"
        "/timer 15:30 Meeting the lawyer"
    )


def started(
    tr: Translator, ends_at: datetime, zone: str, now: datetime, grace: timedelta, note: bool
) -> str:
    """Confirm a timer; without a note, ask for one."""
    lines = [
        tr(
            "⏱ Timer running: back by {end} (in {left}).",
            end=tr.moment(ends_at, zone),
            left=tr.duration(to_minutes(ends_at - now)),
        ),
        tr(
            "Press “I'm back” when you are safe. If you have not by then, I remind you, and "
            "{grace} later your contacts are alerted.",
            grace=tr.duration(grace),
        ),
    ]
    if not note:
        lines.append(
            tr(
                "What are you going to do, and where? Send it as a message if you like: your "
                "contacts read it only if you do not come back."
            )
        )
    return "\n".join(lines)


def replace_question(tr: Translator, ends_at: datetime, zone: str) -> str:
    return tr(
        "A timer is already running, until {end}. Replace it with the new one?",
        end=tr.moment(ends_at, zone),
    )


def replace_buttons(tr: Translator, person_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("Replace it"), callback_data=encode(Action.TIMER_REPLACE, person_id)
                ),
                InlineKeyboardButton(
                    tr("Keep the running one"),
                    callback_data=encode(Action.TIMER_KEEP, person_id),
                ),
            ]
        ]
    )
