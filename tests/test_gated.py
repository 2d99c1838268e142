"""The codec of PIN-gated actions: every action survives the round trip, nothing else decodes."""

from __future__ import annotations

import typing
from datetime import time, timedelta

import pytest

from bot.core import gated
from bot.core.gated import (
    DURESS_POLICY,
    CheckIn,
    ClearInstructions,
    ExtendTimer,
    Forget,
    GatedAction,
    Invite,
    LeaveTeam,
    Pause,
    PinOff,
    RemoveContact,
    Resume,
    SetAsks,
    SetDaily,
    SetDuress,
    SetGrace,
    SetInstructions,
    SetInterval,
    SetPin,
    SetReminder,
    SetZone,
    StartTimer,
    Wipe,
    decode,
    encode,
    text_of,
)
from bot.services.checkins import TIMER_EXTENSIONS
from bot.texts.timers import MORE
from handlers.pins import PERFORM

EVERY_ACTION_TYPE = frozenset(typing.get_args(GatedAction))

ONE_OF_EACH: list[GatedAction] = [
    CheckIn(),
    Pause(3 * 86400),
    Resume(),
    SetInterval(12 * 3600),
    SetInterval(None),
    SetDaily((time(8, 0),)),
    SetDaily((time(0, 0), time(9, 5), time(23, 59))),
    SetZone("UTC"),
    SetZone("Pacific/Kiritimati"),
    SetZone("America/Argentina/Buenos_Aires"),
    SetZone("Etc/GMT+5"),
    SetGrace(0),
    SetGrace(300),
    SetGrace(86400),
    SetReminder(3600),
    SetReminder(None),
    SetInstructions("My lawyer is Begench: call Memorial, +993 12 34 56"),
    ClearInstructions(),
    Invite(1),
    Invite(2),
    RemoveContact(17),
    LeaveTeam(3),
    SetPin(),
    PinOff(),
    SetDuress(),
    Wipe(),
    Forget(),
    StartTimer(seconds=7200, note="Summoned to the migration office, Lenina 5"),
    StartTimer(seconds=900),
    StartTimer(until=time(15, 30), note="Meeting the lawyer"),
    StartTimer(until=time(0, 5)),
    ExtendTimer(1800),
    SetAsks(on=False),
    SetAsks(on=True),
]


def test_the_examples_cover_every_action_type() -> None:
    assert {type(action) for action in ONE_OF_EACH} == EVERY_ACTION_TYPE


@pytest.mark.parametrize("action", ONE_OF_EACH, ids=repr)
def test_every_action_survives_encode_and_decode(action: GatedAction) -> None:
    stored = encode(action)
    assert decode(stored, text_of(action)) == action


@pytest.mark.parametrize("action", ONE_OF_EACH, ids=repr)
def test_the_stored_form_never_holds_the_instructions_text_and_fits_the_format(
    action: GatedAction,
) -> None:
    stored = encode(action)
    assert len(stored) <= 16 + 1 + 64
    assert "Begench" not in stored
    assert ("Begench" in (text_of(action) or "")) is isinstance(action, SetInstructions)
    assert "Lenina" not in stored
    assert "lawyer" not in stored


def test_instructions_without_their_text_do_not_decode() -> None:
    assert decode(encode(SetInstructions("anything"))) is None
    assert decode("instructions", "call Memorial") == SetInstructions("call Memorial")


HOSTILE = [
    "",
    " ",
    ":",
    "ok:",
    "OK",
    " ok",
    "ok ",
    "ok\n",
    "unknown",
    "x",
    "sudo",
    "checkin",
    "pause",
    "pause:0",
    "pause:-1",
    "pause:+5",
    "pause:1e9",
    "pause:3d",
    "pause:99999999999",
    "pause:" + "9" * 64,
    "pause:0x10",
    "pause: 10",
    "pause:10 ",
    "pause:\uff11\uff10",  # fullwidth digits
    "timer",
    "timer:0",
    "timer:-5",
    "timer:@25:00",
    "timer:@9:30",
    "timer:@09:30,10:00",
    "timer_more:",
    "timer_more:0",
    "asks:maybe",
    "asks",
    "every:0",
    "every:-43200",
    "every:12h",
    "every:99999999999",
    "grace",
    "grace:-1",
    "grace:00",
    "grace:99999999999",
    "remind",
    "remind:0",
    "remind:-1",
    "remind:on",
    "remind:OFF",
    "invite",
    "invite:0",
    "invite:3",
    "invite:-1",
    "invite:01",
    "invite:1:2",
    "remove_contact",
    "remove_contact:0",
    "remove_contact:-5",
    "remove_contact:abc",
    "leave_team",
    "leave_team:0",
    "leave_team:x",
    "at",
    "at:",
    "at:25:00",
    "at:24:00",
    "at:8:00",
    "at:08:60",
    "at:08:00,",
    "at:,08:00",
    "at:08:00;rm",
    "at:08:00,09:00,10:00,11:00,12:00,13:00,14:00,15:00,16:00,17:00,18:00,19:00,20:00",
    "tz",
    "tz:",
    "tz:../../etc",
    "tz:../../etc/passwd",
    "tz:Europe/Moscow; DROP TABLE watches",
    "tz:Asia/Ashgabat\n",
    "pause:600\n",
    "tz:Asia Ashgabat",
    "tz:" + "A" * 65,
    "ok:1",
    "resume:now",
    "wipe:some",
    "forget:me",
    "pin:2468",
    "pin_off:1",
    "duress:1357",
    "instructions_off:1",
    "new_pin",
    "new_duress",
    "a" * 17,
    "pause:" + "1" * 65,
    "ok" * 40,
    "pause:10\x00",
    "ok\x00",
    "pause:\u0661\u0660",  # Arabic-Indic digits
]


@pytest.mark.parametrize("stored", HOSTILE, ids=repr)
def test_a_malformed_stored_action_decodes_to_none(stored: str) -> None:
    assert decode(stored) is None
    assert decode(stored, "some text") is None


@pytest.mark.parametrize("action_type", sorted(EVERY_ACTION_TYPE, key=lambda t: t.__name__))
def test_every_action_type_has_a_duress_policy_and_a_way_to_be_performed(
    action_type: type[GatedAction],
) -> None:
    assert action_type in DURESS_POLICY
    assert action_type in PERFORM


def test_the_policy_and_the_dispatch_table_hold_nothing_but_action_types() -> None:
    assert set(DURESS_POLICY) == EVERY_ACTION_TYPE
    assert set(PERFORM) == EVERY_ACTION_TYPE


def test_every_class_in_the_module_that_is_an_action_is_in_the_union() -> None:
    dataclasses = {
        value
        for value in vars(gated).values()
        if isinstance(value, type)
        and value.__module__ == gated.__name__
        and hasattr(value, "__dataclass_fields__")
    }
    assert dataclasses == EVERY_ACTION_TYPE


def test_a_wipe_of_the_instructions_too_survives_the_pin_prompt() -> None:
    from bot.core.gated import Wipe, decode, encode

    assert decode(encode(Wipe(instructions=True))) == Wipe(instructions=True)
    assert decode(encode(Wipe())) == Wipe()
    assert decode("wipe:everything") is None


def test_the_timer_buttons_offer_exactly_the_extensions_the_service_takes() -> None:
    assert tuple(timedelta(minutes=m) for m in MORE) == TIMER_EXTENSIONS
