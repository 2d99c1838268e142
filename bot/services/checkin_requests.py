"""A check-in as it arrives from the phone (``/checkin``, ``/ok``, the button): one commit.

Everything a check-in touches is read and written in one write transaction: who
sent it, whether a PIN must be asked first, the check-in itself with the
messages it queues (invariant 2), the discreet deletion of the exchange, and
whatever message tracking waited in memory. Before, it took four commits and
as many trips for the database lock; under a burst of check-ins each commit is
a disk flush.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.core.gated import CheckIn
from bot.core.people import Person
from bot.languages import guess_language
from bot.services.checkins import CheckinService, Result
from bot.services.discretion import DiscretionService, write_taken
from bot.services.pins import PinService
from storage import people as people_repository
from storage.database import Database, Transaction


@dataclass(frozen=True)
class CheckinRequest:
    """Who asked to check in, and the message they asked with."""

    telegram_user_id: int
    language_code: str | None
    display_name: str
    message_id: int


@dataclass(frozen=True)
class Answered:
    """What came of a request: the result, or ``None`` when the PIN was asked for."""

    person: Person
    result: Result | None
    # Whether the phone believes in discreet mode: the reply is to disappear too.
    discreet: bool


class CheckinRequests:
    """Take check-ins from the phone, each in one transaction."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        checkins: CheckinService,
        pins: PinService,
        discretion: DiscretionService,
    ) -> None:
        self._database = database
        self._clock = clock
        self._checkins = checkins
        self._pins = pins
        self._discretion = discretion

    async def check_in(self, request: CheckinRequest) -> Answered:
        """Record the sender, then ask for the PIN or check in; all in one transaction.

        1. Write the tracking that waited in memory (this very message's included).
        2. Record the sender, as :meth:`PeopleService.meet` does.
        3. Ask for the PIN if the phone has one (the prompt is the only write), or
           check in for real or under duress, with the messages that queues.
        4. Tell whether the phone believes in discreet mode; the request's deletion
           is planned in memory with the reply's (see :mod:`bot.services.discretion`).
        """
        now = self._clock.now()
        taken = self._discretion.take_pending()

        async def work(tx: Transaction) -> tuple[Answered, bool]:
            await write_taken(tx, taken)
            person = await people_repository.upsert(
                tx,
                request.telegram_user_id,
                guess_language(request.language_code),
                request.display_name[:64],
                now,
            )
            result: Result | None = None
            queued = False
            unlock = await self._pins.gate_within(tx, person, CheckIn(), now)
            if unlock is not None:
                result, queued = await self._checkins.check_in_within(tx, person, unlock, now)
            discreet = await self._discretion.is_discreet_within(tx, person)
            return Answered(person, result, discreet), queued

        # All of it on the database thread in one trip: a burst of check-ins
        # would otherwise cross between threads once per statement.
        try:
            answered, queued = await self._database.inline(work)
        except BaseException:
            self._discretion.put_back(taken)
            raise
        person, discreet = answered.person, answered.discreet
        if discreet:
            self._discretion.delete_soon(person, [request.message_id])
        if queued:
            self._checkins.wake()
        return answered
