"""The PIN machine: which PIN matched, wrong-PIN lock-outs, and choosing a new PIN.

Pure: the slow hash check is passed in as ``matches(text, stored_hash)``, time
as ``now``. The service loads the record, calls these functions, saves what
they return and queues the alerts they ask for, in one transaction.

Lock-out: every :data:`FAILURE_STEP` wrong PINs in a row the contacts are
alerted and the PIN is refused for the next period of :data:`LOCKOUTS` (the
last one repeats). While locked, every entry looks like a wrong PIN, except a
duress PIN, which still works as it does everywhere (it only raises the alarm).
With these periods an attacker gets at most about 5 guesses a day after the
first day, so a 4-digit PIN cannot be exhausted in 30 days (see the tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

PIN_SHAPE = re.compile(r"^[0-9]{4,12}$")
# Anything that could be a PIN: never kept as context when the person has one.
PIN_LIKE = re.compile(r"^\s*[0-9]{4,12}\s*$")
PROMPT_LIFETIME = timedelta(minutes=10)
FAILURE_STEP = 5
LOCKOUTS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)

Matcher = Callable[[str, str | None], bool]


@dataclass(frozen=True)
class PinRecord:
    """The person's real PINs (hashes) and their wrong-PIN count."""

    pin_hash: str | None = None
    # The activist's own duress PIN first, then any PIN chosen under duress.
    duress_hashes: tuple[str, ...] = ()
    # Wrong PINs since the last true PIN.
    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class Belief:
    """The PINs the phone believes in while a duress episode is open."""

    pin_hash: str | None
    duress_hash: str | None


class Match(StrEnum):
    """What an entered PIN turned out to be."""

    # The true PIN: the activist, free to act.
    TRUE = "true"
    # A duress PIN the phone believes is right: show success, raise the alarm.
    DURESS = "duress"
    # A duress PIN the phone believes is wrong: show "wrong", raise the alarm.
    DURESS_SHOWN_WRONG = "duress_shown_wrong"
    # Wrong (or refused during a lock-out): show "wrong".
    WRONG = "wrong"


@dataclass(frozen=True)
class Check:
    """The outcome of one entered PIN."""

    match: Match
    record: PinRecord
    # The duress hash that matched (the phone will believe it is the PIN).
    matched_hash: str | None = None
    # Set when this entry crossed a lock-out threshold: alert with this count.
    alert_failures: int | None = None


def check(
    record: PinRecord, belief: Belief | None, text: str, now: datetime, matches: Matcher
) -> Check:
    """Decide what ``text`` is, against the real PINs and what the phone believes.

    1. The true PIN unlocks (unless locked out) and clears the count and the lock-out.
    2. A duress PIN always works as a duress PIN, even during a lock-out. While
       the phone is shown a pretence it believes in certain PINs (say, one the
       captor chose); a duress PIN it does not believe in is shown as wrong but
       still raises the alarm.
    3. During a lock-out anything else is refused and looks like a wrong PIN.
    4. Anything else is a wrong PIN; every :data:`FAILURE_STEP` in a row alerts
       and locks for the next, longer period.
    """
    locked = record.is_locked(now)
    if not locked and record.pin_hash is not None and matches(text, record.pin_hash):
        return Check(Match.TRUE, replace(record, failures=0, locked_until=None))
    believed = next((h for h in _believed(belief) if matches(text, h)), None)
    if believed is not None:
        return Check(Match.DURESS, record, matched_hash=believed)
    duress = next((h for h in record.duress_hashes if matches(text, h)), None)
    if duress is not None:
        shown = Match.DURESS if belief is None else Match.DURESS_SHOWN_WRONG
        return Check(shown, record, matched_hash=duress)
    if locked:
        return Check(Match.WRONG, record)
    failures = record.failures + 1
    if failures % FAILURE_STEP:
        return Check(Match.WRONG, replace(record, failures=failures))
    step = min(failures // FAILURE_STEP, len(LOCKOUTS)) - 1
    locked_record = replace(record, failures=failures, locked_until=now + LOCKOUTS[step])
    return Check(Match.WRONG, locked_record, alert_failures=failures)


def _believed(belief: Belief | None) -> tuple[str, ...]:
    """Return the hashes the phone takes for right, when it is shown a pretence."""
    if belief is None:
        return ()
    return tuple(h for h in (belief.pin_hash, belief.duress_hash) if h is not None)


class NewPin(StrEnum):
    """What choosing a new PIN came to."""

    BAD_SHAPE = "bad_shape"
    ASK_AGAIN = "ask_again"
    MISMATCH = "mismatch"
    SAME_AS_OTHER = "same_as_other"
    DONE = "done"


def choose(
    first_hash: str | None, text: str, others: tuple[str | None, ...], matches: Matcher
) -> NewPin:
    """Take one entry of a new PIN: the first (``first_hash`` is None) or its confirmation.

    ``others`` are the PINs it must differ from, as the phone knows them.
    """
    if not PIN_SHAPE.match(text):
        return NewPin.BAD_SHAPE
    if first_hash is None:
        if any(matches(text, other) for other in others if other is not None):
            return NewPin.SAME_AS_OTHER
        return NewPin.ASK_AGAIN
    return NewPin.DONE if matches(text, first_hash) else NewPin.MISMATCH
