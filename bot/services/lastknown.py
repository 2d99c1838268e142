"""Keep what the activist sends as last-known context, and their emergency instructions."""

from __future__ import annotations

from collections.abc import Mapping

from bot.clock import Clock
from bot.core.context import ContextKind
from bot.core.people import Person
from bot.settings import CheckinSettings
from storage import context as context_repository
from storage.database import Database

# Telegram caps a message at 4096 characters; anything longer came from
# somewhere else and is clipped, not refused, so nothing the activist said is lost.
MAX_TEXT = 4096
MAX_INSTRUCTIONS = 2000


class LastKnownService:
    """Record context items and instructions within the retention window."""

    def __init__(self, database: Database, clock: Clock, settings: CheckinSettings) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings

    async def keep(
        self,
        person: Person,
        telegram_message_id: int,
        kind: ContextKind,
        body: Mapping[str, str | float | int | None],
    ) -> None:
        """Keep one message (or the new state of an edited one), dropping what is too old."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await context_repository.record(tx, person.id, telegram_message_id, kind, body, now)
            await context_repository.prune(
                tx,
                person.id,
                keep=self._settings.context_items,
                oldest=now - self._settings.context_retention,
            )

    async def set_instructions(self, person: Person, text: str) -> None:
        async with self._database.transaction() as tx:
            await context_repository.set_instructions(tx, person.id, text, self._clock.now())

    async def clear_instructions(self, person: Person) -> bool:
        async with self._database.transaction() as tx:
            return await context_repository.clear_instructions(tx, person.id)

    async def has_instructions(self, person: Person) -> bool:
        async with self._database.snapshot() as tx:
            return await context_repository.load_instructions(tx, person.id) is not None
