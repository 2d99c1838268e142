"""The PIN and the duress PIN: ask for one before a gated action, check it, change it.

PINs are stored as salted scrypt hashes. The bot asks for a PIN by leaving a
prompt in the database (the gated action, encoded by :mod:`bot.core.gated`);
the next all-digit message is the answer, deleted from the chat at once by the
handler. What an answer is (true, duress, wrong, locked out) is decided by the
pure :mod:`bot.core.pins`; this service loads, saves and raises the alarms,
and follows the duress policy of :mod:`bot.services.duress`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.core import pins as machine
from bot.core.gated import GatedAction, Unlock, decode, encode, text_of
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.core.pins import PIN_LIKE, Belief, Match, NewPin, PinRecord
from bot.core.teams import AuditEvent
from bot.core.watches import AlertReason
from bot.services import alerting, duress, oversight
from storage import pins as pin_repository
from storage.database import Database, Transaction
from storage.pins import Prompt

# scrypt cost: about 50 ms here, slow enough to make a stolen hash expensive to guess.
_N, _R, _P = 2**14, 8, 1

# The prompts for choosing a new PIN (the others hold an encoded gated action).
NEW_PIN = "new_pin"
NEW_DURESS = "new_duress"


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


class Verdict(StrEnum):
    NOTHING_ASKED = "nothing_asked"
    BAD_SHAPE = "bad_shape"
    ASK_AGAIN = "ask_again"
    MISMATCH = "mismatch"
    SAME_AS_OTHER = "same_as_other"
    PIN_SET = "pin_set"
    DURESS_SET = "duress_set"
    UNLOCKED = "unlocked"
    WRONG = "wrong"


@dataclass(frozen=True)
class Submission:
    verdict: Verdict
    # For UNLOCKED: the action the PIN unlocked, and how.
    action: GatedAction | None = None
    unlock: Unlock = Unlock.REAL


class LooseDigits(StrEnum):
    """What to do with digits sent while no PIN is asked for."""

    # Not a PIN matter: keep them as context like any text.
    NOT_MINE = "not_mine"
    # The person has a PIN: delete at once, never keep.
    DELETE = "delete"
    # The phone was shown the PIN removed, and these are a real PIN: answer as
    # the context handler would, keep nothing.
    SWALLOW = "swallow"


_SET_VERDICTS = {
    NewPin.BAD_SHAPE: Verdict.BAD_SHAPE,
    NewPin.ASK_AGAIN: Verdict.ASK_AGAIN,
    NewPin.MISMATCH: Verdict.MISMATCH,
    NewPin.SAME_AS_OTHER: Verdict.SAME_AS_OTHER,
}


class PinService:
    """Guard gated actions with the PIN, with the prompts kept in the database."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: AlertPolicy,
        pretence: duress.Pretence,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._policy = policy
        self._pretence = pretence
        self._on_queued = on_queued

    async def gate(self, person: Person, action: GatedAction) -> Unlock | None:
        """Return how ``action`` may go ahead now, or ``None`` once the PIN was asked for.

        Without a PIN it goes ahead for real. A phone that was shown its PIN
        removed (under duress) is not asked either, as it would not be, but
        nobody proved anything: the action is done as the duress policy says.
        """
        async with self._database.transaction() as tx:
            return await self.gate_within(tx, person, action, self._clock.now())

    async def gate_within(
        self, tx: Transaction, person: Person, action: GatedAction, now: datetime
    ) -> Unlock | None:
        """Do what :meth:`gate` does, inside the caller's transaction."""
        record = await pin_repository.load(tx, person.id)
        view = await duress.view_of(tx, person.id)
        if record.pin_hash is None:
            return Unlock.REAL
        if view is not None and view.pin_hash is None:
            return Unlock.DURESS
        prompt = Prompt(encode(action), None, now, pending=text_of(action))
        await pin_repository.set_prompt(tx, person.id, prompt)
        return None

    async def is_set(self, person: Person) -> bool:
        """Return whether the person's phone is to believe a PIN is set."""
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            if view is not None:
                return view.pin_hash is not None
            return (await pin_repository.load(tx, person.id)).pin_hash is not None

    async def is_waiting(self, person: Person) -> bool:
        now = self._clock.now()
        async with self._database.snapshot() as tx:
            prompt = await pin_repository.load_prompt(tx, person.id)
        return prompt is not None and now - prompt.created_at < machine.PROMPT_LIFETIME

    async def choose_new(self, person: Person, *, duress_pin: bool, unlock: Unlock) -> None:
        """Wait for a new PIN (or duress PIN), chosen for real or under duress."""
        now = self._clock.now()
        purpose = NEW_DURESS if duress_pin else NEW_PIN
        async with self._database.transaction() as tx:
            if unlock is Unlock.DURESS:
                await self._begin(tx, person, None, now)
            await pin_repository.set_prompt(tx, person.id, Prompt(purpose, None, now, unlock))
        if unlock is Unlock.DURESS:
            self._on_queued()

    async def remove(self, person: Person, unlock: Unlock) -> None:
        """Remove both PINs; under duress only the phone is shown them removed."""
        now = self._clock.now()
        view: PhoneView | None
        async with self._database.transaction() as tx:
            if unlock is Unlock.DURESS:
                view = await self._begin(tx, person, None, now)
            else:
                await pin_repository.save(tx, person.id, PinRecord())
                view = await duress.view_of(tx, person.id)
            if view is not None:
                await duress.save_view(tx, replace(view, pin_hash=None, duress_hash=None))
            await oversight.record(tx, person, AuditEvent.PIN_REMOVED, now, _how(unlock))
        if unlock is Unlock.DURESS:
            self._on_queued()

    async def loose_digits(self, person: Person, text: str) -> LooseDigits:
        """Decide about digits sent while no prompt is open (or after it expired).

        A duress PIN typed unasked is still a cry for help: it keeps the alarm
        going, and the phone sees nothing but what any digits get.
        """
        if not PIN_LIKE.match(text):
            return LooseDigits.NOT_MINE
        async with self._database.snapshot() as tx:
            record = await pin_repository.load(tx, person.id)
            view = await duress.view_of(tx, person.id)
        if record.pin_hash is None:
            return LooseDigits.NOT_MINE
        digits = text.strip()
        forced = next((h for h in record.duress_hashes if pin_matches(digits, h)), None)
        if forced is not None:
            async with self._database.transaction() as tx:
                await self._begin(tx, person, forced, self._clock.now())
            self._on_queued()
        if view is None or view.pin_hash is not None:
            return LooseDigits.DELETE
        # The phone believes there is no PIN, so digits are kept there as any
        # text would be; but a real PIN must never reach the contacts as words.
        if forced is not None or pin_matches(digits, record.pin_hash):
            return LooseDigits.SWALLOW
        return LooseDigits.NOT_MINE

    async def submit(self, person: Person, text: str) -> Submission:
        """Take ``text`` as the answer to the pending prompt."""
        now = self._clock.now()
        text = text.strip()
        async with self._database.transaction() as tx:
            prompt = await pin_repository.load_prompt(tx, person.id)
            if prompt is None or now - prompt.created_at >= machine.PROMPT_LIFETIME:
                await pin_repository.clear_prompt(tx, person.id)
                return Submission(Verdict.NOTHING_ASKED)
            record = await pin_repository.load(tx, person.id)
            view = await duress.view_of(tx, person.id)
            if prompt.purpose in (NEW_PIN, NEW_DURESS):
                submission = await self._choose(tx, person, prompt, record, view, text, now)
            else:
                submission = await self._unlock(tx, person, prompt, record, view, text, now)
        if submission.unlock is Unlock.DURESS or submission.verdict is Verdict.WRONG:
            # Either may have queued an alert; waking an idle worker costs nothing.
            self._on_queued()
        return submission

    async def _unlock(
        self,
        tx: Transaction,
        person: Person,
        prompt: Prompt,
        record: PinRecord,
        view: PhoneView | None,
        text: str,
        now: datetime,
    ) -> Submission:
        """Check a PIN entered to unlock a gated action."""
        action = decode(prompt.purpose, prompt.pending)
        if action is None:
            await pin_repository.clear_prompt(tx, person.id)
            return Submission(Verdict.NOTHING_ASKED)
        belief = None if view is None else Belief(view.pin_hash, view.duress_hash)
        checked = machine.check(record, belief, text, now, pin_matches)
        if checked.record != record:
            await pin_repository.save(tx, person.id, checked.record)
        if checked.alert_failures is not None:
            await alerting.open_alert(
                tx,
                person,
                AlertReason.PIN_FAILURES,
                now,
                now,
                None,
                self._policy,
                wrong_pins=checked.alert_failures,
            )
        if checked.match is Match.TRUE:
            await pin_repository.clear_prompt(tx, person.id)
            return Submission(Verdict.UNLOCKED, action, Unlock.REAL)
        if checked.match is Match.WRONG:
            return Submission(Verdict.WRONG)
        await self._begin(tx, person, checked.matched_hash, now)
        if checked.match is Match.DURESS_SHOWN_WRONG:
            return Submission(Verdict.WRONG)
        await pin_repository.clear_prompt(tx, person.id)
        return Submission(Verdict.UNLOCKED, action, Unlock.DURESS)

    async def _choose(
        self,
        tx: Transaction,
        person: Person,
        prompt: Prompt,
        record: PinRecord,
        view: PhoneView | None,
        text: str,
        now: datetime,
    ) -> Submission:
        """Take an entry of a new PIN or duress PIN, then store it as the policy says.

        A PIN chosen at a prompt opened with a duress PIN never replaces the
        real one: it becomes one more duress PIN, and the phone believes in it.
        """
        new_duress = prompt.purpose == NEW_DURESS
        pretend = prompt.unlock is Unlock.DURESS
        if pretend and view is None:
            view = await self._begin(tx, person, None, now)
        if pretend and view is not None:
            # It must differ from what the phone knows, not from the real PINs.
            others: tuple[str | None, ...] = (view.pin_hash if new_duress else view.duress_hash,)
        else:
            others = (record.pin_hash,) if new_duress else record.duress_hashes
        step = machine.choose(prompt.first_hash, text, others, pin_matches)
        if step is NewPin.ASK_AGAIN:
            await pin_repository.set_prompt(
                tx, person.id, replace(prompt, first_hash=hash_pin(text))
            )
        elif step is not NewPin.BAD_SHAPE:
            await pin_repository.clear_prompt(tx, person.id)
        if step is not NewPin.DONE or prompt.first_hash is None:
            return Submission(_SET_VERDICTS[step])
        chosen = prompt.first_hash
        if pretend:
            if not pin_matches(text, record.pin_hash):
                record = replace(record, duress_hashes=(*record.duress_hashes, chosen))
        elif new_duress:
            # The activist's own duress PIN is replaced; PINs chosen under duress stay.
            record = replace(record, duress_hashes=(chosen, *record.duress_hashes[1:]))
        else:
            record = replace(record, pin_hash=chosen, failures=0, locked_until=None)
        await pin_repository.save(tx, person.id, record)
        if view is not None:
            shown = (
                replace(view, duress_hash=chosen) if new_duress else replace(view, pin_hash=chosen)
            )
            await duress.save_view(tx, shown)
        # Which PIN, never the PIN; one chosen under duress is recorded as that.
        detail = {"which": "duress" if new_duress else "pin", **_how(prompt.unlock)}
        await oversight.record(tx, person, AuditEvent.PIN_SET, now, detail)
        return Submission(Verdict.DURESS_SET if new_duress else Verdict.PIN_SET)

    async def _begin(
        self, tx: Transaction, person: Person, believed: str | None, now: datetime
    ) -> PhoneView:
        return await self._pretence.begin(tx, person, now, believed)


def _how(unlock: Unlock) -> dict[str, str]:
    """Return what the trail adds to a change made with ``unlock``."""
    return {"under_duress": "yes"} if unlock is Unlock.DURESS else {}
