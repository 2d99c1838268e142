"""A bot that remembers what it sent to private chats, so it can delete it later."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message
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
