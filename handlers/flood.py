"""The first handler of all: drop a flood of updates from one person, and edited commands.

A flood never silences what keeps a watched person safe: :func:`is_vital` picks
out an SOS, a check-in and a PIN answer from the update alone, and only when such
an update comes from someone already over the limit does the database say whether
they are watched (have a plan or a contact). Strangers flooding cost no more than
before, and are still limited whatever they send (security review H2).
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.checkin_words import is_checkin_phrase
from bot.context import BotContext
from bot.languages import guess_language
from bot.texts.keyboards import vital_labels

logger = logging.getLogger(__name__)

# Runs before the PIN entries (-1) and everything else (0).
FLOOD_GROUP = -3

# The commands of handlers/sos.py and handlers/checkin.py.
VITAL_COMMANDS = frozenset({"sos", "ok", "checkin"})
# The same pattern as handlers/pins.py build_entry: what may answer "Enter your PIN".
_PIN_ANSWER = re.compile(r"^\s*[0-9]+\s*$")


def is_vital(text: str | None, *, private: bool, vital_labels: frozenset[str]) -> bool:
    """Return whether a new message is an SOS, a check-in or a PIN answer.

    Mirrors the filters of the handlers that act on them, all private-chat only:
    the commands (any case, with or without ``@bot``), the check-in and SOS buttons'
    labels in any language, a message that only says one is fine, and an all-digit message.
    """
    if not private or text is None:
        return False
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0][1:].split("@", 1)[0]
        return command.lower() in VITAL_COMMANDS
    return text in vital_labels or _PIN_ANSWER.search(text) is not None or is_checkin_phrase(text)


def is_urgent(update: object, vital_labels: frozenset[str]) -> bool:
    """Return whether an update must not wait behind ordinary ones (see :mod:`bot.updates`).

    Vital messages, button presses (an SOS confirmation, "I'm on it") and
    Telegram telling us the bot was blocked or removed.
    """
    if not isinstance(update, Update):
        return False
    if update.callback_query is not None or update.my_chat_member is not None:
        return True
    message = update.message
    return message is not None and is_vital(
        message.text, private=message.chat.type == ChatType.PRIVATE, vital_labels=vital_labels
    )


async def limit(update: Update, context: BotContext) -> None:
    edited = update.edited_message
    if edited is not None and (edited.text or "").startswith("/"):
        # PTB's command handlers also match edited messages: editing an old
        # message into "/sos" or "/ok" must not act. Edits of texts and live
        # locations pass on, to update the kept context.
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None or edited is not None or update.my_chat_member is not None:
        # Edits (a live location moving every few seconds) are not a flood: an
        # activist sharing their position must never be silenced for it. Nor is
        # Telegram telling us a contact blocked the bot: that must land at once.
        return
    services = context.services
    now = services.clock.now()
    message = update.message
    vital = message is not None and is_vital(
        message.text,
        private=message.chat.type == ChatType.PRIVATE,
        vital_labels=vital_labels(services.translations),
    )
    if vital:
        # Order matters: the database is asked only once the count is over.
        if services.flood.allow_vital(user.id, now) or await services.people.is_watched(user.id):
            return
    elif services.flood.allow_update(user.id, now):
        return
    if services.flood.should_warn(user.id, now) and update.effective_chat is not None:
        tr = services.translations[guess_language(user.language_code)]
        logger.warning("a user is over the update limit; ignoring them for a while")
        await context.bot.send_message(
            update.effective_chat.id, tr("You are sending too much. Wait a minute, then go on.")
        )
    raise ApplicationHandlerStop


def build() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, limit)
