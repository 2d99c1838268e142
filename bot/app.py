"""The composition root: build the PTB application and run it until told to stop.

:func:`serve` is what ``python -m bot`` runs, and what the in-process end-to-end
tests run too, so production and tests share one wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ContextTypes
from telegram.request import HTTPXRequest

import handlers
from bot.clock import Clock
from bot.context import BotApplication, BotContext, BotData, Services
from bot.people import PeopleService
from bot.settings import Settings
from storage.database import Database
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)

# PTB 22 reads this on every access to a time period (RetryAfter.retry_after,
# Location.live_period): opt in to timedelta values now instead of a
# deprecation warning on each read.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# How long to wait between attempts to reach Telegram at start-up.
_FIRST_RETRY_DELAY = 1.0
_MAX_RETRY_DELAY = 60.0


class StartupError(Exception):
    """Raised when the bot cannot start for a reason the operator must fix."""


def build_application(
    settings: Settings, services: Services, requests: tuple[HTTPXRequest, HTTPXRequest]
) -> BotApplication:
    """Return the PTB application wired with the services and every handler.

    ``requests`` (for ordinary calls, then for ``getUpdates``) are passed in so
    the caller can close them even if the application never finished starting.
    """
    application: BotApplication = (
        Application.builder()
        .token(settings.token.reveal())
        .base_url(settings.telegram.base_url)
        .request(requests[0])
        .get_updates_request(requests[1])
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        # Spreads sends over Telegram's overall and per-group limits.
        .rate_limiter(AIORateLimiter())
        .build()
    )
    application.bot_data.services = services
    handlers.register(application)
    return application


async def serve(settings: Settings, clock: Clock, stop: asyncio.Event) -> None:
    """Open the database, migrate it, and run the bot until ``stop`` is set.

    1. Open the database and apply migrations (refusing a newer database).
    2. Reach Telegram, retrying with backoff while the network is down.
    3. Poll for updates until ``stop`` is set, then stop polling and close everything.
    """
    database = await Database.open(settings.storage.path)
    try:
        await apply_migrations(database, clock)
        services = Services(settings=settings, clock=clock, people=PeopleService(database, clock))
        requests = (HTTPXRequest(), HTTPXRequest())
        application = build_application(settings, services, requests)
        try:
            if not await _connect(application, stop):
                return
            await application.start()
            logger.info("Still Here is running")
            await stop.wait()
            logger.info("stopping")
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
        finally:
            await application.shutdown()
            # An application whose start-up never reached Telegram skips its
            # shutdown; close the HTTP clients ourselves (closing twice is harmless).
            for request in requests:
                await request.shutdown()
    finally:
        await database.close()
        logger.info("database closed")


async def _connect(application: BotApplication, stop: asyncio.Event) -> bool:
    """Initialise the bot and start polling; return ``False`` if stopped first."""
    delay = _FIRST_RETRY_DELAY
    while True:
        try:
            await application.initialize()
            if application.updater is None:  # pragma: no cover - the builder always adds one
                raise StartupError("the application was built without an updater")
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            return True
        except InvalidToken:
            raise StartupError(
                "Telegram rejected the bot token. Check TELEGRAM_TOKEN against what "
                "@BotFather gave you (/mybots, then API Token)."
            ) from None
        except NetworkError as error:
            # TimedOut is a NetworkError too: Telegram or the network is down.
            logger.warning(
                "cannot reach Telegram (%s); trying again in %.0f s", type(error).__name__, delay
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        if stop.is_set():
            return False
        delay = min(delay * 2, _MAX_RETRY_DELAY)
