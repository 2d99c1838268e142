"""The PIN and the duress PIN: set them, and check them wherever an action asks for one.

PINs are stored as salted scrypt hashes. The bot asks for a PIN by leaving a
prompt in the database; the next all-digit message is the answer (deleted from
the chat at once by the handler). A duress PIN is accepted exactly like the
PIN, so the phone shows the same thing, and the caller is told to raise a
silent duress alert. Wrong PINs are counted; the moment the count reaches the
limit the contacts are alerted to a possible coercion.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.watches import AlertReason
from bot.services import alerting
from storage import pins as pin_repository
from storage.database import Database, Transaction
from storage.pins import PinRecord

PIN_SHAPE = re.compile(r"^[0-9]{4,12}$")
FAILURE_LIMIT = 5
PROMPT_LIFETIME = timedelta(minutes=10)
# scrypt cost: about 50 ms here, slow enough to make a stolen hash expensive to guess.
_N, _R, _P = 2**14, 8, 1

SET_PIN = "set_pin"
SET_DURESS = "set_duress"
_GATE = "gate:"


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def pin_matches(pin: str, stored: str | None) -> bool:
    if stored is None:
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def gate(action: str) -> str:
    """Return the prompt purpose that allows ``action`` once the PIN is given."""
    return _GATE + action


class Verdict(StrEnum):
    NOTHING_ASKED = "nothing_asked"
    BAD_SHAPE = "bad_shape"
    ASK_AGAIN = "ask_again"
    MISMATCH = "mismatch"
    SAME_AS_OTHER = "same_as_other"
    PIN_SET = "pin_set"
    DURESS_SET = "duress_set"
    ALLOWED = "allowed"
    DURESS = "duress"
    WRONG = "wrong"


@dataclass(frozen=True)
class Submission:
    verdict: Verdict
    # For ALLOWED and DURESS: the action the PIN unlocks (after "gate:").
    action: str | None = None


class PinService:
    """Set PINs and check them, with the prompts kept in the database."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: AlertPolicy,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._policy = policy
        self._on_queued = on_queued

    async def record(self, person: Person) -> PinRecord:
        async with self._database.snapshot() as tx:
            return await pin_repository.load(tx, person.id)

    async def ask(self, person: Person, purpose: str) -> None:
        """Wait for a PIN from ``person`` for ``purpose`` (replacing any earlier prompt)."""
        async with self._database.transaction() as tx:
            await pin_repository.set_prompt(tx, person.id, purpose, None, self._clock.now())

    async def is_waiting(self, person: Person) -> bool:
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            prompt = await pin_repository.load_prompt(tx, person.id)
        return prompt is not None and now - prompt.created_at < PROMPT_LIFETIME

    async def remove(self, person: Person) -> None:
        """Remove both PINs (the caller has checked the PIN)."""
        async with self._database.transaction() as tx:
            await pin_repository.save(tx, person.id, PinRecord(None, None, 0))

    async def submit(self, person: Person, text: str) -> Submission:
        """Take ``text`` as the answer to the pending prompt."""
        now = self._clock.now()
        alerted = False
        async with self._database.transaction() as tx:
            prompt = await pin_repository.load_prompt(tx, person.id)
            if prompt is None or now - prompt.created_at >= PROMPT_LIFETIME:
                await pin_repository.clear_prompt(tx, person.id)
                return Submission(Verdict.NOTHING_ASKED)
            record = await pin_repository.load(tx, person.id)
            if prompt.purpose in (SET_PIN, SET_DURESS):
                return await self._set(tx, person, prompt, record, text, now)
            action = prompt.purpose.removeprefix(_GATE)
            if record.pin_hash is None or pin_matches(text, record.pin_hash):
                verdict = Verdict.ALLOWED
            elif pin_matches(text, record.duress_hash):
                verdict = Verdict.DURESS
            else:
                failures = record.failures + 1
                await pin_repository.save(
                    tx, person.id, PinRecord(record.pin_hash, record.duress_hash, failures)
                )
                if failures == FAILURE_LIMIT:
                    await alerting.open_alert(
                        tx, person, AlertReason.PIN_FAILURES, now, now, None, self._policy
                    )
                    alerted = True
                verdict = Verdict.WRONG
            if verdict is not Verdict.WRONG:
                await pin_repository.clear_prompt(tx, person.id)
                await pin_repository.save(
                    tx, person.id, PinRecord(record.pin_hash, record.duress_hash, 0)
                )
        if alerted:
            self._on_queued()
        return Submission(verdict, None if verdict is Verdict.WRONG else action)

    async def _set(
        self,
        tx: Transaction,
        person: Person,
        prompt: pin_repository.Prompt,
        record: PinRecord,
        text: str,
        now: datetime,
    ) -> Submission:
        """Take the first entry of a new PIN, or its confirmation."""
        if not PIN_SHAPE.match(text):
            return Submission(Verdict.BAD_SHAPE)
        other = record.pin_hash if prompt.purpose == SET_DURESS else record.duress_hash
        if prompt.first_hash is None:
            if pin_matches(text, other):
                await pin_repository.clear_prompt(tx, person.id)
                return Submission(Verdict.SAME_AS_OTHER)
            await pin_repository.set_prompt(tx, person.id, prompt.purpose, hash_pin(text), now)
            return Submission(Verdict.ASK_AGAIN)
        await pin_repository.clear_prompt(tx, person.id)
        if not pin_matches(text, prompt.first_hash):
            return Submission(Verdict.MISMATCH)
        if prompt.purpose == SET_PIN:
            await pin_repository.save(
                tx, person.id, PinRecord(prompt.first_hash, record.duress_hash, 0)
            )
            return Submission(Verdict.PIN_SET)
        await pin_repository.save(tx, person.id, PinRecord(record.pin_hash, prompt.first_hash, 0))
        return Submission(Verdict.DURESS_SET)
