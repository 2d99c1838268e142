"""Keep what the activist sends as last-known context, and their emergency instructions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from bot.clock import Clock
from bot.core.context import ContextKind
from bot.core.gated import Unlock
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.services import duress
from bot.settings import CheckinSettings
from storage import context as context_repository
from storage import trail
from storage.database import Database, Transaction

# Telegram caps a message at 4096 characters; anything longer came from
# somewhere else and is clipped, not refused, so nothing the activist said is lost.
MAX_TEXT = 4096
MAX_INSTRUCTIONS = 2000


class LastKnownService:
    """Record context items and instructions within the retention window."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: CheckinSettings,
        pretence: duress.Pretence | None = None,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._pretence = pretence
        self._on_queued = on_queued

    async def keep(
        self,
        person: Person,
        telegram_message_id: int,
        kind: ContextKind,
        body: Mapping[str, str | float | int | None],
    ) -> None:
        """Keep one message (or the new state of an edited one), dropping what is too old."""
        now = self._clock.now()
        settings = self._settings
        async with self._database.transaction() as tx:
            await context_repository.record(tx, person.id, telegram_message_id, kind, body, now)
            await context_repository.prune(
                tx,
                person.id,
                keep=settings.context_items,
                oldest=now - settings.context_retention,
            )
            if kind is ContextKind.LOCATION:
                await trail.add(
                    tx,
                    person.id,
                    telegram_message_id,
                    body,
                    now,
                    every=settings.trail_every,
                    limit=settings.trail_points,
                    oldest=now - settings.context_retention,
                )

    async def set_instructions(
        self, person: Person, text: str, unlock: Unlock = Unlock.REAL
    ) -> None:
        """Keep the instructions; under duress the real ones stay and the phone believes."""
        await self._change_instructions(person, text, unlock)

    async def clear_instructions(self, person: Person, unlock: Unlock = Unlock.REAL) -> bool:
        """Delete the instructions; return whether the phone believed there were some."""
        return await self._change_instructions(person, None, unlock)

    async def _change_instructions(self, person: Person, text: str | None, unlock: Unlock) -> bool:
        now = self._clock.now()
        async with self._database.transaction() as tx:
            view = await duress.view_of(tx, person.id)
            had = await context_repository.load_instructions(tx, person.id) is not None
            if unlock is Unlock.DURESS:
                view = await self._begin(tx, person, now)
            elif text is None:
                await context_repository.clear_instructions(tx, person.id)
            else:
                await context_repository.set_instructions(tx, person.id, text, now)
            if view is not None:
                had = view.has_instructions
                await duress.save_view(tx, replace(view, has_instructions=text is not None))
        if unlock is Unlock.DURESS:
            self._on_queued()
        return had

    async def has_instructions(self, person: Person) -> bool:
        """Return whether the person's phone is to believe instructions are set."""
        async with self._database.snapshot() as tx:
            view = await duress.view_of(tx, person.id)
            if view is not None:
                return view.has_instructions
            return await context_repository.load_instructions(tx, person.id) is not None

    async def _begin(self, tx: Transaction, person: Person, now: datetime) -> PhoneView:
        pretence = self._pretence or duress.pretence_needed()
        return await pretence.begin(tx, person, now)
