"""The use cases about people as such: meeting someone, and whether anyone watches over them."""

from __future__ import annotations

from dataclasses import replace

from bot.clock import Clock
from bot.core.people import Person
from bot.languages import SUPPORTED_LANGUAGES, guess_language
from storage import people as people_repository
from storage.database import Database


class PeopleService:
    """Record the people who talk to the bot."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def meet(
        self, telegram_user_id: int, language_code: str | None, display_name: str = ""
    ) -> Person:
        """Return the person behind ``telegram_user_id``, recording them on first contact.

        The language is guessed from Telegram only the first time; later the
        person's own choice wins.
        """
        now = self._clock.now()
        async with self._database.transaction() as tx:
            return await people_repository.upsert(
                tx, telegram_user_id, guess_language(language_code), display_name[:64], now
            )

    async def find(self, telegram_user_id: int) -> Person | None:
        """Return the person behind ``telegram_user_id`` without recording a stranger."""
        async with self._database.snapshot() as tx:
            return await people_repository.by_telegram_user_id(tx, telegram_user_id)

    async def is_watched(self, telegram_user_id: int) -> bool:
        """Return whether someone would miss this person: they have a plan or a contact."""
        async with self._database.snapshot() as tx:
            return await people_repository.is_watched(tx, telegram_user_id)

    async def choose_language(self, person: Person, language: str) -> Person:
        """Make ``language`` (one of the supported ones) the person's language."""
        if language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        async with self._database.transaction() as tx:
            await people_repository.set_language(tx, person.id, language)
        return replace(person, language=language)

    async def forget(self, person: Person) -> None:
        """Delete the person and everything stored about them."""
        async with self._database.transaction() as tx:
            await people_repository.forget(tx, person.id)
