"""A dead-man's switch for the dead-man's switch: ping an outside monitor while healthy.

Every ``[monitoring] heartbeat_every`` the bot judges its own health from the
facts ``python -m bot health`` reads (see :mod:`bot.health`), logs a line when
it changes (an alert stuck, Telegram silent, and back), and, when a URL is
configured, pings it: a GET while healthy, a POST to ``<url>/fail`` with the
one-line reason when not (the convention of Healthchecks and its hosted
service). A bot that stops, freezes or loses its network stops pinging, and the
monitor tells the operator. Failing to reach the monitor is logged, never fatal.

:class:`TelegramLink` follows whether Telegram answers: one line when an outage
starts, one when it ends, instead of a traceback at every retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from telegram.error import Conflict, TelegramError
from telegram.request import HTTPXRequest

from bot.clock import Clock
from bot.health import Facts, Verdict, judge
from bot.settings import Secret

logger = logging.getLogger(__name__)

_TIMEOUT = httpx.Timeout(10.0)


class Heartbeat:
    """Ping the monitor with the bot's health; remember whether the last ping got through."""

    def __init__(
        self,
        url: Secret | None,
        facts: Callable[[], Awaitable[Facts]],
        clock: Clock,
        tick: timedelta,
        stuck_after: timedelta,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        self._facts = facts
        self._clock = clock
        self._tick = tick
        self._stuck_after = stuck_after
        self._transport = transport
        self._reached: bool | None = None
        self._healthy: bool | None = None

    async def beat(self) -> Verdict:
        """Judge the bot's health and tell the monitor; return the verdict."""
        verdict = judge(await self._facts(), self._clock.now(), self._tick, self._stuck_after)
        if verdict.healthy != self._healthy:
            # One line when health changes, not one per beat.
            log = logger.info if verdict.healthy else logger.warning
            log("health: %s", verdict.reason)
            self._healthy = verdict.healthy
        if self._url is None:
            return verdict
        url = self._url.reveal()
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT, transport=self._transport) as client:
                if verdict.healthy:
                    response = await client.get(url)
                else:
                    response = await client.post(f"{url}/fail", content=verdict.reason.encode())
            reached = response.status_code < 400
            problem = f"HTTP {response.status_code}"
        except httpx.HTTPError as error:
            reached, problem = False, type(error).__name__
        if reached != self._reached:
            if reached:
                logger.info("the heartbeat monitor is reached")
            else:
                # The URL is a secret: never in the log.
                logger.warning("cannot reach the heartbeat monitor (%s); trying on", problem)
            self._reached = reached
        return verdict


class TelegramLink:
    """Whether Telegram answers: a moment for health, a line per outage for the log."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.answered_at: datetime | None = None
        self._down_since: datetime | None = None

    def answered(self) -> None:
        now = self._clock.now()
        self.answered_at = now
        if self._down_since is not None:
            logger.info("Telegram answers again, after %s", now - self._down_since)
            self._down_since = None

    def failed(self, error: TelegramError) -> None:
        """Polling failed (PTB retries by itself): one line when it starts failing."""
        if self._down_since is None:
            self._down_since = self._clock.now()
            if isinstance(error, Conflict):
                logger.warning(
                    "Telegram says another bot polls with this token (Conflict); is a second "
                    "deployment running? Retrying"
                )
            else:
                logger.warning("cannot reach Telegram (%s); retrying", type(error).__name__)


class WatchedRequest(HTTPXRequest):
    """Telegram's HTTP client, noting when Telegram last answered (for health)."""

    def __init__(self, on_answer: Callable[[], None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._on_answer = on_answer

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        status, body = await super().do_request(*args, **kwargs)  # type: ignore[arg-type]
        if status < 500:
            # Telegram itself answered (even a refusal); a 5xx may be a proxy.
            self._on_answer()
        return status, body
