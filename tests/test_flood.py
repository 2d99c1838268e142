"""The flood limit's pure parts: which updates are vital, and how they are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Chat, Message, Update, User

from bot.i18n import Translations
from bot.services.flood import FloodGuard
from bot.texts.keyboards import checkin_labels, sos_labels, vital_labels
from handlers import checkin, pins
from handlers.flood import is_vital

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LABELS = vital_labels(Translations())

VITAL_CASES = [
    # (text, private, vital)
    ("/sos", True, True),
    ("/SOS", True, True),
    ("/sos@StillHereTestBot", True, True),
    ("/sos they are at the door", True, True),
    ("/ok", True, True),
    ("/checkin", True, True),
    ("/checkin@StillHereTestBot", True, True),
    ("✅ I'm OK", True, True),
    ("2468", True, True),
    (" 2468 ", True, True),
    ("000000000000", True, True),
    ("/sos", False, False),
    ("✅ I'm OK", False, False),
    ("2468", False, False),
    ("/start", True, False),
    ("/status", True, False),
    ("/okay", True, False),
    ("/sosx", True, False),
    ("/ sos", True, False),
    ("/", True, False),
    ("sos", True, False),
    # Typed, saying only that one is fine: a check-in too.
    ("ok", True, True),
    ("I'm OK", True, True),
    ("✅ I'm OK!", True, True),
    ("ok", False, False),
    ("Ok, police at the door", True, False),
    ("24 68 !", True, False),
    ("24a8", True, False),
    ("", True, False),
    (None, True, False),
]


@pytest.mark.parametrize(("text", "private", "vital"), VITAL_CASES)
def test_sos_check_ins_and_pin_answers_in_private_are_vital_and_nothing_else_is(
    text: str | None, private: bool, vital: bool
) -> None:
    assert is_vital(text, private=private, vital_labels=LABELS) is vital


def test_the_check_in_and_sos_buttons_are_vital_in_every_language() -> None:
    translations = Translations()
    assert len(checkin_labels(translations)) == len(translations.all())
    for label in checkin_labels(translations) | sos_labels(translations):
        assert is_vital(label, private=True, vital_labels=LABELS)


def _update(text: str, *, private: bool = True) -> Update:
    chat = Chat(1, Chat.PRIVATE if private else Chat.GROUP)
    user = User(1, "Azat", is_bot=False)
    return Update(1, message=Message(1, T0, chat, from_user=user, text=text))


@pytest.mark.parametrize(
    ("text", "private"),
    [(text, private) for text, private, _ in VITAL_CASES if text and not text.startswith("/")],
)
def test_the_table_agrees_with_the_pin_and_button_handlers_own_filters(
    text: str, private: bool
) -> None:
    update = _update(text, private=private)
    handlers = [pins.build_entry(), checkin.build(Translations())[1]]
    acted_on = any(handler.check_update(update) for handler in handlers)
    assert acted_on is is_vital(text, private=private, vital_labels=LABELS)


def test_vital_updates_leave_the_content_allowance_untouched() -> None:
    guard = FloodGuard(limit=3)
    for _ in range(3):
        assert guard.allow_vital(7, T0)
    assert [guard.allow_update(7, T0) for _ in range(4)] == [True, True, True, False]


def test_a_vital_update_is_over_the_limit_only_when_it_and_the_rest_of_the_minute_are() -> None:
    guard = FloodGuard(limit=3)
    assert guard.allow_update(7, T0)
    assert guard.allow_update(7, T0)
    assert guard.allow_vital(7, T0)
    assert not guard.allow_vital(7, T0)
    assert guard.allow_vital(8, T0)
    assert guard.allow_vital(7, T0 + timedelta(minutes=1))
