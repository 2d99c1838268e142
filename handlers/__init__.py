"""Telegram adapters: parse an update, call one service, reply.

:func:`register` adds every handler in one ordered list; PTB runs the first
matching handler of a group, so order matters where filters overlap.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import BaseHandler

from bot.context import BotApplication, BotContext
from handlers import errors, start


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    """Return all handlers in the order PTB must try them."""
    return [
        start.build(),
    ]


def register(application: BotApplication) -> None:
    """Attach every handler and the error handler to ``application``."""
    application.add_handlers(build_handlers())
    application.add_error_handler(errors.handle_error)
