"""Who sent an update: the person, their translator and the message to answer."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update, User
from telegram.constants import ChatType

from bot.callbacks import Action, Callback, decode
from bot.context import BotContext
from bot.core.people import Person
from bot.i18n import Translator
from bot.languages import guess_language


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


@dataclass(frozen=True)
class Stranger:
    """Someone the bot has no record of, answered in the language Telegram suggests."""

    tr: Translator
    message: Message


async def translator_for(context: BotContext, user: User) -> Translator:
    """Return the language ``user`` chose with /lang, or else the one their phone suggests.

    Reads only: a press or a message from a stranger must cost no row.
    """
    services = context.services
    person = await services.people.find(user.id)
    language = person.language if person is not None else guess_language(user.language_code)
    return services.translations[language]


async def recognise(update: Update, context: BotContext) -> Sender | Stranger | None:
    """Return the sender of a message if the bot knows them, else a :class:`Stranger`.

    Unlike :func:`identify`, this writes nothing: a stranger's texts must cost
    no row, or thousands of made-up accounts could fill the disk and hold the
    database lock an SOS needs.
    """
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or user.is_bot:
        return None
    services = context.services
    person = await services.people.find(user.id)
    if person is None:
        return Stranger(services.translations[guess_language(user.language_code)], message)
    return Sender(person, services.translations[person.language], message)


@dataclass(frozen=True)
class OwnPress:
    """A button pressed in a private chat by the very person it is about."""

    callback: Callback
    sender: Sender
    message: Message


async def own_press(
    update: Update, context: BotContext, actions: frozenset[Action]
) -> OwnPress | None:
    """Return a press on one of ``actions`` about the presser themselves, in their chat.

    Anything else (malformed, elsewhere, someone else's) is answered "no longer
    works" before anything is written, and ``None`` returned.
    """
    query = update.callback_query
    if query is None:
        return None
    callback = decode(query.data)
    message = query.message
    valid = (
        callback is not None
        and callback.action in actions
        and isinstance(message, Message)
        and message.chat.type == ChatType.PRIVATE
    )
    sender = await identify(update, context) if valid else None
    if (
        callback is None
        or not isinstance(message, Message)
        or sender is None
        or sender.person.id != callback.target
    ):
        tr = await translator_for(context, query.from_user)
        await query.answer(tr("This button no longer works."))
        return None
    return OwnPress(callback, sender, message)
