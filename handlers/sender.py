"""Who sent an update: the person, their translator and the message to answer."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update

from bot.context import BotContext
from bot.core.people import Person
from bot.i18n import Translator


@dataclass(frozen=True)
class Sender:
    person: Person
    tr: Translator
    message: Message

    @property
    def argument(self) -> str:
        """Return what follows the command word, stripped (``""`` if nothing)."""
        text = self.message.text or ""
        parts = text.split(maxsplit=1)
        return parts[1].strip() if len(parts) == 2 else ""


async def identify(update: Update, context: BotContext) -> Sender | None:
    """Return the sender of a private message, recording them on first contact."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or user.is_bot:
        return None
    services = context.services
    person = await services.people.meet(user.id, user.language_code, user.full_name)
    return Sender(person, services.translations[person.language], message)
