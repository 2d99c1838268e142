"""A bot that remembers what it sent to private chats, so it can delete it later.

It also survives an update the library cannot parse: PTB would log the raw
update (user ids, names, texts) at CRITICAL and fetch the same batch again and
again, stalling the bot. Here each update of such a batch is parsed alone, and
one that cannot be stands in as an empty update (so polling moves past it),
logged by type only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

logger = logging.getLogger(__name__)

SentCallback = Callable[[Message], Awaitable[None]]


class SentHook:
    """Where the tracking bot reports sent messages; set once the services exist."""

    def __init__(self) -> None:
        self.on_sent: SentCallback | None = None


class TrackingBot(ExtBot[Any]):
    """PTB's bot, telling ``hook.on_sent`` about every message it sends to a private chat."""

    def __init__(self, *args: Any, hook: SentHook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # PTB freezes its bot after __init__; the hook itself stays mutable.
        with self._unfrozen():
            self._hook = hook

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise
        except Exception:  # one update in the batch cannot be parsed
            logger.warning("a batch of updates could not be parsed; parsing them one by one")
        offset = kwargs.get("offset", args[0] if args else None)
        raw = await self._post(
            "getUpdates",
            {"offset": offset, "timeout": 0, "allowed_updates": kwargs.get("allowed_updates")},
        )
        return tuple(self._parse_alone(entry) for entry in raw or [])

    def _parse_alone(self, raw: Any) -> Update:
        try:
            update = Update.de_json(raw, self)
        except Exception:
            kinds = [key for key in raw if key != "update_id"] if isinstance(raw, dict) else []
            # The type only: the update itself holds user ids, names and texts.
            logger.warning("skipped an update the library cannot parse (type: %s)", kinds)
            update = Update(update_id=int(raw["update_id"]))
        if update is None:  # pragma: no cover - de_json returns None only for None
            raise ValueError("an empty update")
        return update

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        message = await super().send_message(*args, **kwargs)
        await self._tell(message)
        return message

    async def send_location(self, *args: Any, **kwargs: Any) -> Message:
        message = await super().send_location(*args, **kwargs)
        await self._tell(message)
        return message

    async def _tell(self, message: Message) -> None:
        on_sent = self._hook.on_sent
        if on_sent is None or message.chat.type != message.chat.PRIVATE:
            return
        try:
            await on_sent(message)
        except Exception:
            # The message went out; failing to remember it only costs a later deletion.
            logger.exception("could not record a sent message for later deletion")
