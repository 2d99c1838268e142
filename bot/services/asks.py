"""Asking "are you OK?": the activist answers with a check-in, or everyone hears.

A contact (a person or a group chat) may ask an activist they watch, and a
coordinator a member of their team (from the member's card); the
activist gets a prompt to check in, and the asker is told "<name> is OK" when
they do. No check-in by ``[checkins] ask_timeout`` opens an alert to every
contact, carrying the last words and places like any alert. The asker learns
nothing else: no place, no plan, no state, unless that alert fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.core.contacts import Contact, ContactStatus, is_spared
from bot.core.gated import Unlock
from bot.core.incidents import AlertPolicy
from bot.core.outbox import PRIORITY_ALL_CLEAR, PRIORITY_PROMPT, OutboxKind
from bot.core.people import Person
from bot.core.watches import AlertReason
from bot.services import alerting, duress
from bot.settings import CheckinSettings
from storage import asks as ask_repository
from storage import contacts as contact_repository
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import teams as team_repository
from storage.asks import Ask, Asker
from storage.database import Database, Transaction

DAY = timedelta(days=1)


class AskProblem(StrEnum):
    """Why an ask was not sent; the handler explains it."""

    # The chat is not (or no longer) an active contact of that activist.
    NOT_WATCHING = "not_watching"
    # The activist turned asks off.
    TURNED_OFF = "turned_off"
    # This contact asked ``ask_limit`` times in the last 24 hours.
    LIMIT = "limit"
    # An alert about the activist is open: the contacts already know.
    ALERT_OPEN = "alert_open"
    # An alert is open that this chat is spared (it may be open on the activist's phone).
    NOT_NOW = "not_now"


@dataclass(frozen=True)
class AskSent:
    """An ask went out (or one was already waiting): the activist must answer by ``answer_by``."""

    name: str
    answer_by: datetime
    already: bool = False


@dataclass(frozen=True)
class Watched:
    """An activist a chat watches, as the chat knows them."""

    person_id: int
    name: str


class AskService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: CheckinSettings,
        pretence: duress.Pretence,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._pretence = pretence
        self._on_queued = on_queued

    async def set_asks(self, person: Person, on: bool, unlock: Unlock) -> None:
        """Let contacts ask "are you OK?", or not; under duress the phone only believes it."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            if unlock is Unlock.DURESS:
                view = await self._pretence.begin(tx, person, now)
                await duress.save_view(tx, replace(view, asks_off=not on))
            else:
                await ask_repository.set_off(tx, person.id, not on)
                shown = await duress.view_of(tx, person.id)
                if shown is not None and shown.asks_off is not None:
                    await duress.save_view(tx, replace(shown, asks_off=None))
        if unlock is Unlock.DURESS:
            self._on_queued()

    async def asks_on(self, person: Person) -> bool:
        """Return whether contacts may ask, as the person's phone is to believe."""
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            if view is not None and view.asks_off is not None:
                return not view.asks_off
            return not await ask_repository.is_off(tx, person.id)

    async def watched_by(self, chat_id: int) -> list[Watched]:
        """Return the activists ``chat_id`` is an active contact of."""
        async with self._database.snapshot() as tx:
            found = []
            for contact in await contact_repository.contacts_in_chat(tx, chat_id):
                if contact.status is not ContactStatus.ACTIVE:
                    continue
                person = await people_repository.by_id(tx, contact.person_id)
                if person is not None:
                    found.append(Watched(person.id, person.display_name))
        return found

    async def ask(self, chat_id: int, person_id: int) -> AskSent | AskProblem:
        """Ask ``person_id`` whether they are OK, on behalf of the contact in ``chat_id``."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            outcome = await self._ask(tx, chat_id, person_id, now)
        if isinstance(outcome, AskSent) and not outcome.already:
            self._on_queued()
        return outcome

    async def _ask(
        self, tx: Transaction, chat_id: int, person_id: int, now: datetime
    ) -> AskSent | AskProblem:
        contact = next(
            (
                c
                for c in await contact_repository.contacts_in_chat(tx, chat_id)
                if c.person_id == person_id and c.status is ContactStatus.ACTIVE
            ),
            None,
        )
        person = await people_repository.by_id(tx, person_id)
        if contact is None or person is None:
            return AskProblem.NOT_WATCHING
        return await self._send(tx, person, Asker(contact_id=contact.id), contact, now)

    async def ask_as_coordinator(
        self, coordinator: Person, team_id: int, member_id: int
    ) -> AskSent | AskProblem:
        """Ask a member of ``team_id`` whether they are OK, on behalf of its coordinator."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            member = await people_repository.by_id(tx, member_id)
            if (
                member is None
                or not await team_repository.is_coordinator(tx, team_id, coordinator.id)
                or not await team_repository.is_member(tx, team_id, member_id)
            ):
                return AskProblem.NOT_WATCHING
            asker = Asker(coordinator_id=coordinator.id, team_id=team_id)
            outcome = await self._send(tx, member, asker, coordinator, now)
        if isinstance(outcome, AskSent) and not outcome.already:
            self._on_queued()
        return outcome

    async def _send(
        self,
        tx: Transaction,
        person: Person,
        asker: Asker,
        who: Contact | Person,
        now: datetime,
    ) -> AskSent | AskProblem:
        """Prompt ``person`` for ``asker`` (``who``), unless anything stands in the way."""
        problem = await self._why_not(tx, asker, who, person, now)
        if problem is not None:
            return problem
        waiting = await ask_repository.waiting(tx, person.id)
        if waiting:
            return AskSent(person.display_name, waiting[0].answer_by, already=True)
        answer_by = now + self._settings.ask_timeout
        await ask_repository.add(tx, person.id, asker, now, answer_by)
        await outbox_repository.add(
            tx,
            person_id=person.id,
            chat_id=person.telegram_user_id,
            kind=OutboxKind.ASK_PROMPT,
            priority=PRIORITY_PROMPT,
            payload={"asker": who.display_name, "answer_by": answer_by.isoformat()},
            now=now,
        )
        return AskSent(person.display_name, answer_by)

    async def _why_not(
        self, tx: Transaction, asker: Asker, who: Contact | Person, person: Person, now: datetime
    ) -> AskProblem | None:
        open_incidents = await incident_repository.open_ones(tx, person.id)
        if open_incidents:
            told = [
                i
                for i in open_incidents
                if not (isinstance(who, Contact) and is_spared(who, i.reason))
            ]
            # A chat spared a silent alert must not learn of it from a refusal.
            return AskProblem.ALERT_OPEN if told else AskProblem.NOT_NOW
        if await ask_repository.is_off(tx, person.id):
            return AskProblem.TURNED_OFF
        asked = await ask_repository.count_since(tx, person.id, asker, now - DAY)
        if asked >= self._settings.ask_limit:
            return AskProblem.LIMIT
        return None


async def expire(tx: Transaction, ask_id: int, now: datetime, policy: AlertPolicy) -> bool:
    """No answer in time: alert every contact, unless an alert is open already.

    Return whether messages were queued.
    """
    ask = await ask_repository.load(tx, ask_id)
    if ask is None or ask.settled_at is not None:
        return False
    person = await people_repository.by_id(tx, ask.person_id)
    if person is None or not await ask_repository.settle(tx, ask.id, now, answered=False):
        return False
    if await incident_repository.open_ones(tx, person.id):
        # The contacts are being alerted already (an SOS, a duress PIN ...).
        return False
    await alerting.open_alert(
        tx,
        person,
        AlertReason.ASK,
        ask.answer_by,
        now,
        None,
        policy,
        started_at=ask.asked_at,
        asker=await _asker_name(tx, ask),
    )
    return True


async def _asker_name(tx: Transaction, ask: Ask) -> str:
    if ask.contact_id is not None:
        contact = await contact_repository.contact_by_id(tx, ask.contact_id)
        return "?" if contact is None else contact.display_name
    coordinator = (
        None
        if ask.coordinator_id is None
        else await people_repository.by_id(tx, ask.coordinator_id)
    )
    return "?" if coordinator is None else coordinator.display_name


async def answer_waiting(tx: Transaction, person: Person, now: datetime) -> int:
    """A real check-in answers every waiting ask: each asker hears that the person is OK."""
    answered = 0
    for ask in await ask_repository.waiting(tx, person.id):
        if not await ask_repository.settle(tx, ask.id, now, answered=True):
            continue
        if ask.contact_id is None:
            answered += await _tell_coordinator(tx, person, ask, now)
            continue
        contact = await contact_repository.contact_by_id(tx, ask.contact_id)
        if contact is None or contact.status is not ContactStatus.ACTIVE:
            continue
        await outbox_repository.add(
            tx,
            person_id=person.id,
            contact_id=contact.id,
            chat_id=contact.chat_id,
            kind=OutboxKind.ASK_ANSWERED,
            priority=PRIORITY_ALL_CLEAR,
            payload={"at": now.isoformat()},
            now=now,
        )
        answered += 1
    return answered


async def _tell_coordinator(tx: Transaction, person: Person, ask: Ask, now: datetime) -> int:
    """Tell the coordinator who asked that the member is OK, in a team notice."""
    if ask.coordinator_id is None or ask.team_id is None:
        return 0
    coordinator = await people_repository.by_id(tx, ask.coordinator_id)
    team = await team_repository.by_id(tx, ask.team_id)
    if coordinator is None or team is None:
        return 0
    await outbox_repository.add(
        tx,
        person_id=coordinator.id,
        chat_id=coordinator.telegram_user_id,
        kind=OutboxKind.TEAM_NOTICE,
        priority=PRIORITY_ALL_CLEAR,
        payload={
            "event": "ask_answered",
            "team": team.name,
            "subject": person.display_name,
            "at": now.isoformat(),
        },
        now=now,
    )
    return 1
