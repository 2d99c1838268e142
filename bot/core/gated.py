"""Actions the PIN guards, as typed data with one codec, and the one duress policy.

Everything that changes when or whether an alert fires is a gated action: the
plan, the zone, grace, reminders, pause and resume, the emergency instructions,
contacts, the PINs themselves, wipe and forget (and, of course, a check-in).
When the person has a PIN, the action waits in a PIN prompt (stored as the
text :func:`encode` returns) and is carried out once the PIN arrives.

The PIN that arrives decides how (:class:`Unlock`):

- the true PIN, or no PIN at all: the action is done for real; if the phone is
  being shown a pretence (a duress episode is open) it is shown the change too;
- a duress PIN: the action follows :data:`DURESS_POLICY`. The phone shows exactly
  what success shows, now and in every later view, while the server keeps
  watching with the real plan, contacts and instructions, and the contacts are
  alerted silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum


class Unlock(StrEnum):
    """How a gated action was unlocked."""

    # The true PIN, or no PIN is set: the activist's own wish.
    REAL = "real"
    # A duress PIN (or the phone believes there is no PIN while one is set).
    DURESS = "duress"


@dataclass(frozen=True)
class CheckIn:
    pass


@dataclass(frozen=True)
class Pause:
    seconds: int


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class SetInterval:
    # ``None``: the configured default interval.
    seconds: int | None


@dataclass(frozen=True)
class SetDaily:
    times: tuple[time, ...]


@dataclass(frozen=True)
class SetZone:
    zone: str


@dataclass(frozen=True)
class SetGrace:
    seconds: int


@dataclass(frozen=True)
class SetReminder:
    # ``None``: no reminders.
    seconds: int | None


@dataclass(frozen=True)
class SetInstructions:
    # Never part of the encoded action: it waits sealed beside the prompt.
    text: str


@dataclass(frozen=True)
class ClearInstructions:
    pass


@dataclass(frozen=True)
class Invite:
    tier: int


@dataclass(frozen=True)
class RemoveContact:
    contact_id: int


@dataclass(frozen=True)
class SetPin:
    pass


@dataclass(frozen=True)
class PinOff:
    pass


@dataclass(frozen=True)
class SetDuress:
    pass


@dataclass(frozen=True)
class Wipe:
    # The emergency instructions too; by default they stay.
    instructions: bool = False


@dataclass(frozen=True)
class Forget:
    pass


@dataclass(frozen=True)
class LeaveTeam:
    team_id: int


@dataclass(frozen=True)
class StartTimer:
    """A timed check-in: ``seconds`` from when it is unlocked, or until ``until`` (local)."""

    seconds: int | None = None
    until: time | None = None
    # What the activist is doing; like instructions, it waits sealed beside the prompt.
    note: str = ""


@dataclass(frozen=True)
class ExtendTimer:
    seconds: int


@dataclass(frozen=True)
class SetAsks:
    """Whether contacts may ask "are you OK?"."""

    on: bool


GatedAction = (
    CheckIn
    | Pause
    | Resume
    | SetInterval
    | SetDaily
    | SetZone
    | SetGrace
    | SetReminder
    | SetInstructions
    | ClearInstructions
    | Invite
    | RemoveContact
    | SetPin
    | PinOff
    | SetDuress
    | Wipe
    | Forget
    | LeaveTeam
    | StartTimer
    | ExtendTimer
    | SetAsks
)


class UnderDuress(StrEnum):
    """What a gated action does when a duress PIN unlocked it (always with a silent alert)."""

    # Done on the phone's view only: the phone believes it, the server ignores it.
    PRETEND = "pretend"
    # Hands out a look-alike that leads nowhere (an invitation nobody can accept).
    DECOY = "decoy"


# The one duress policy. Every entry also raises the duress alarm; a PIN chosen
# at a prompt opened this way becomes one more duress PIN, never the PIN.
DURESS_POLICY: Mapping[type[GatedAction], UnderDuress] = {
    CheckIn: UnderDuress.PRETEND,
    Pause: UnderDuress.PRETEND,
    Resume: UnderDuress.PRETEND,
    SetInterval: UnderDuress.PRETEND,
    SetDaily: UnderDuress.PRETEND,
    SetZone: UnderDuress.PRETEND,
    SetGrace: UnderDuress.PRETEND,
    SetReminder: UnderDuress.PRETEND,
    SetInstructions: UnderDuress.PRETEND,
    ClearInstructions: UnderDuress.PRETEND,
    Invite: UnderDuress.DECOY,
    RemoveContact: UnderDuress.PRETEND,
    SetPin: UnderDuress.PRETEND,
    PinOff: UnderDuress.PRETEND,
    SetDuress: UnderDuress.PRETEND,
    Wipe: UnderDuress.PRETEND,
    Forget: UnderDuress.PRETEND,
    LeaveTeam: UnderDuress.PRETEND,
    StartTimer: UnderDuress.PRETEND,
    ExtendTimer: UnderDuress.PRETEND,
    SetAsks: UnderDuress.PRETEND,
}

_NAMES: Mapping[type[GatedAction], str] = {
    CheckIn: "ok",
    Pause: "pause",
    Resume: "resume",
    SetInterval: "every",
    SetDaily: "at",
    SetZone: "tz",
    SetGrace: "grace",
    SetReminder: "remind",
    SetInstructions: "instructions",
    ClearInstructions: "instructions_off",
    Invite: "invite",
    RemoveContact: "remove_contact",
    SetPin: "pin",
    PinOff: "pin_off",
    SetDuress: "duress",
    Wipe: "wipe",
    Forget: "forget",
    LeaveTeam: "leave_team",
    StartTimer: "timer",
    ExtendTimer: "timer_more",
    SetAsks: "asks",
}
_BARE: Mapping[str, GatedAction] = {
    "ok": CheckIn(),
    "resume": Resume(),
    "instructions_off": ClearInstructions(),
    "pin": SetPin(),
    "pin_off": PinOff(),
    "duress": SetDuress(),
    "wipe": Wipe(),
    "forget": Forget(),
}
# Matched whole (fullmatch): "$" would also accept a trailing newline.
_FORMAT = re.compile(r"([a-z_]{2,16})(?::(.{1,64}))?")
_SECONDS = re.compile(r"[1-9][0-9]{0,9}")
_TIMES = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](,([01][0-9]|2[0-3]):[0-5][0-9]){0,23}")
_ZONE = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")


def encode(action: GatedAction) -> str:
    """Return the stored form of ``action`` (without any text it carries)."""
    name = _NAMES[type(action)]
    if isinstance(action, Pause | SetGrace):
        return f"{name}:{action.seconds}"
    if isinstance(action, SetInterval):
        return name if action.seconds is None else f"{name}:{action.seconds}"
    if isinstance(action, SetReminder):
        return f"{name}:off" if action.seconds is None else f"{name}:{action.seconds}"
    if isinstance(action, SetDaily):
        return f"{name}:" + ",".join(f"{t.hour:02d}:{t.minute:02d}" for t in action.times)
    if isinstance(action, SetZone):
        return f"{name}:{action.zone}"
    if isinstance(action, Invite):
        return f"{name}:{action.tier}"
    if isinstance(action, RemoveContact):
        return f"{name}:{action.contact_id}"
    if isinstance(action, LeaveTeam):
        return f"{name}:{action.team_id}"
    if isinstance(action, Wipe) and action.instructions:
        return f"{name}:all"
    if isinstance(action, StartTimer):
        if action.until is not None:
            return f"{name}:@{action.until.hour:02d}:{action.until.minute:02d}"
        return f"{name}:{action.seconds}"
    if isinstance(action, ExtendTimer):
        return f"{name}:{action.seconds}"
    if isinstance(action, SetAsks):
        return f"{name}:{'on' if action.on else 'off'}"
    return name


def text_of(action: GatedAction) -> str | None:
    """Return the text an action carries, to be kept sealed while the PIN is awaited."""
    if isinstance(action, StartTimer):
        return action.note or None
    return action.text if isinstance(action, SetInstructions) else None


def decode(stored: str, text: str | None = None) -> GatedAction | None:
    """Return the action ``stored`` stands for, or ``None`` for anything malformed."""
    match = _FORMAT.fullmatch(stored)
    if match is None:
        return None
    name, argument = match.group(1), match.group(2)
    if argument is None:
        if name == "every":
            return SetInterval(None)
        if name == "instructions":
            return None if text is None else SetInstructions(text)
        return _BARE.get(name)
    if name == "timer":
        return _timer(argument, text or "")
    return _with_argument(name, argument)


def _timer(argument: str, note: str) -> StartTimer | None:
    if argument.startswith("@") and _TIMES.fullmatch(argument[1:]) and len(argument) == 6:
        return StartTimer(until=time.fromisoformat(argument[1:]), note=note)
    if _SECONDS.fullmatch(argument):
        return StartTimer(seconds=int(argument), note=note)
    return None


def _with_argument(name: str, argument: str) -> GatedAction | None:
    seconds = int(argument) if _SECONDS.fullmatch(argument) else None
    if name == "pause" and seconds is not None:
        return Pause(seconds)
    if name == "grace" and (seconds is not None or argument == "0"):
        return SetGrace(seconds or 0)
    if name == "every" and seconds is not None:
        return SetInterval(seconds)
    if name == "remind":
        return SetReminder(None) if argument == "off" else _reminder(seconds)
    if name == "at" and _TIMES.fullmatch(argument):
        return SetDaily(tuple(time.fromisoformat(t) for t in argument.split(",")))
    if name == "tz" and _ZONE.fullmatch(argument):
        return SetZone(argument)
    if name == "invite" and argument in ("1", "2"):
        return Invite(int(argument))
    if name == "remove_contact" and seconds is not None:
        return RemoveContact(seconds)
    if name == "leave_team" and seconds is not None:
        return LeaveTeam(seconds)
    if name == "wipe" and argument == "all":
        return Wipe(instructions=True)
    if name == "timer_more" and seconds is not None:
        return ExtendTimer(seconds)
    if name == "asks" and argument in ("on", "off"):
        return SetAsks(argument == "on")
    return None


def _reminder(seconds: int | None) -> SetReminder | None:
    return None if seconds is None else SetReminder(seconds)
