"""The one codec for inline-button ``callback_data``: encode, and parse-or-reject.

Telegram returns callback data exactly as the bot set it, but a client can
forge any string up to 64 bytes, so every button press is parsed here and
anything else is rejected; handlers then check that the presser may act on
the target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    ACCEPT_INVITE = "ia"
    DECLINE_INVITE = "id"
    ACKNOWLEDGE = "ak"
    REMOVE_CONTACT = "rc"
    LEAVE = "lv"
    CONFIRM_DRILL = "dc"
    WIPE = "wp"
    # Wipe, and the emergency instructions too.
    WIPE_ALL = "wa"
    FORGET = "fg"
    # Teams (see handlers.teams).
    ACCEPT_TEAM = "ta"
    DECLINE_TEAM = "td"
    TEAM_COORDINATOR_LINK = "tk"
    TEAM_MEMBER_LINK = "te"
    TEAM_DUTY_LINK = "tu"
    AUDIT = "au"
    AUDIT_OLDER = "ao"
    LEAVE_TEAM = "lt"
    # The dashboard (team), a member's card (team, member) and, from the card, a
    # contact invitation for the member (team, member).
    DASHBOARD = "db"
    MEMBER_CARD = "mc"
    CARD_INVITE_TIER_1 = "c1"
    CARD_INVITE_TIER_2 = "c2"
    # A contact the presser added for a member (contact, team).
    CARD_REMOVE_CONTACT = "cx"
    # A drill for one member (team, member), or, asked then confirmed, for all (team).
    CARD_DRILL = "dm"
    # "Are you OK?" to a member, from their card (team, member).
    CARD_ASK = "ca"
    TEAM_DRILL = "dt"
    TEAM_DRILL_GO = "dg"
    # The team's settings (team), and one choice among them (team, choice).
    TEAM_SETTINGS = "ts"
    TEAM_SETTING = "tv"
    # Another coordinator of the team, to remove (team, person).
    TEAM_REMOVE_COORDINATOR = "rk"
    # A member to take out of the team, from their card, asked then confirmed (team, member).
    CARD_REMOVE_MEMBER = "rm"
    CARD_REMOVE_MEMBER_GO = "rg"
    # Setting up by buttons (see handlers.setup). The target is the choice: a step,
    # a position in a list plus one, seconds, or a minute of the day plus one;
    # ``extra`` is 1 inside the guided first run, which then asks the next question.
    SETUP_STEP = "ss"
    SET_LANGUAGE = "sl"
    SET_EVERY = "se"
    SET_DAILY = "sd"
    SET_ZONE = "sz"
    SET_GRACE = "sg"
    SET_REMIND = "sr"
    REMIND_OFF = "sn"
    SET_PAUSE = "sp"
    SET_INVITE = "si"
    # The keyboard's SOS, confirmed or not (the presser's person id).
    SOS_GO = "so"
    SOS_CANCEL = "sx"
    # A timed check-in (the activist's person id): start one of so many minutes
    # (extra), "I'm back", more minutes (extra), and replacing a running timer
    # with the one asked for just before, or keeping it.
    TIMER_START = "tt"
    TIMER_BACK = "tb"
    TIMER_MORE = "tm"
    TIMER_REPLACE = "tr"
    TIMER_KEEP = "tn"
    # "Are you OK?" about an activist (their person id), pressed by a contact.
    ASK = "qa"


# The buttons handled by handlers.teams; those not named in a set here by handlers.buttons.
TEAM_ACTIONS = frozenset(
    {
        Action.ACCEPT_TEAM,
        Action.DECLINE_TEAM,
        Action.TEAM_COORDINATOR_LINK,
        Action.TEAM_MEMBER_LINK,
        Action.TEAM_DUTY_LINK,
        Action.AUDIT,
        Action.AUDIT_OLDER,
        Action.LEAVE_TEAM,
        Action.DASHBOARD,
        Action.MEMBER_CARD,
        Action.CARD_INVITE_TIER_1,
        Action.CARD_INVITE_TIER_2,
        Action.CARD_REMOVE_CONTACT,
        Action.CARD_DRILL,
        Action.CARD_ASK,
        Action.TEAM_DRILL,
        Action.TEAM_DRILL_GO,
        Action.TEAM_SETTINGS,
        Action.TEAM_SETTING,
        Action.TEAM_REMOVE_COORDINATOR,
        Action.CARD_REMOVE_MEMBER,
        Action.CARD_REMOVE_MEMBER_GO,
    }
)


# The buttons handled by handlers.setup.
SETUP_ACTIONS = frozenset(
    {
        Action.SETUP_STEP,
        Action.SET_LANGUAGE,
        Action.SET_EVERY,
        Action.SET_DAILY,
        Action.SET_ZONE,
        Action.SET_GRACE,
        Action.SET_REMIND,
        Action.REMIND_OFF,
        Action.SET_PAUSE,
        Action.SET_INVITE,
    }
)
# The buttons handled by handlers.sos.
SOS_ACTIONS = frozenset({Action.SOS_GO, Action.SOS_CANCEL})
# The buttons handled by handlers.timer.
TIMER_ACTIONS = frozenset(
    {
        Action.TIMER_START,
        Action.TIMER_BACK,
        Action.TIMER_MORE,
        Action.TIMER_REPLACE,
        Action.TIMER_KEEP,
    }
)


_ID = r"([1-9][0-9]{0,11})"
_FORMAT = re.compile(r"^(" + "|".join(a.value for a in Action) + r"):" + _ID + f"(?::{_ID})?$")


@dataclass(frozen=True)
class Callback:
    action: Action
    target: int
    # A second row id, for buttons about a pair (a team and one of its members).
    extra: int | None = None


def encode(action: Action, target: int, extra: int | None = None) -> str:
    """Return the callback data for pressing ``action`` on row ``target`` (and ``extra``)."""
    if target <= 0 or (extra is not None and extra <= 0):
        raise ValueError("callback targets are row ids, always positive")
    return f"{action.value}:{target}" if extra is None else f"{action.value}:{target}:{extra}"


def decode(data: str | None) -> Callback | None:
    """Return the callback ``data`` stands for, or ``None`` for anything malformed."""
    if data is None:
        return None
    match = _FORMAT.match(data)
    if match is None:
        return None
    extra = match.group(3)
    return Callback(
        Action(match.group(1)), int(match.group(2)), None if extra is None else int(extra)
    )
