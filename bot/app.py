"""The composition root: build the PTB application and run it until told to stop.

:func:`serve` is what ``python -m bot`` runs, and what the in-process end-to-end
tests run too, so production and tests share one wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from functools import partial
from typing import cast

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ContextTypes, JobQueue
from telegram.request import HTTPXRequest

import handlers
from bot.clock import Clock
from bot.context import BotApplication, BotContext, BotData, Services
from bot.core.outbox import PRIORITY_ALL_CLEAR
from bot.crypto import KeyUnusableError
from bot.delivery import DeliveryWorker
from bot.health import Facts
from bot.heartbeat import Heartbeat, TelegramLink, WatchedRequest
from bot.i18n import Translations
from bot.instance import AlreadyRunningError, InstanceLock
from bot.keys import unlock
from bot.membership import is_in_group
from bot.services.alerting import policy_of
from bot.services.asks import AskService
from bot.services.checkin_requests import CheckinRequests
from bot.services.checkins import CheckinService
from bot.services.contacts import ContactService
from bot.services.discretion import DiscretionService
from bot.services.flood import FloodGuard
from bot.services.lastknown import LastKnownService
from bot.services.people import PeopleService
from bot.services.pins import PinService
from bot.services.questions import Questions
from bot.services.sweeper import Sweeper
from bot.services.teams import TeamService
from bot.settings import Settings
from bot.texts.keyboards import vital_labels
from bot.tracking import SentHook, TrackingBot
from bot.updates import ChatOrder
from bot.version import VERSION
from handlers.dashboards import keep_dashboards
from handlers.flood import is_urgent
from handlers.help import publish_menus
from storage import outbox as outbox_repository
from storage import retention
from storage.database import Database
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)
# How often data past its retention is deleted.
PRUNE_EVERY = timedelta(hours=1)

# PTB 22 reads this on every access to a time period (RetryAfter.retry_after,
# Location.live_period): opt in to timedelta values now instead of a
# deprecation warning on each read.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# PTB's limiter is only a safety net at Telegram's own caps (30/s overall, 20/min
# per group): the delivery worker paces itself under them (bot.delivery.pacing,
# 28/s), so its sends never wait in here. What can still meet the net is the
# worker's traffic plus replies to people, which handlers send outside the worker.
TELEGRAM_OVERALL_RATE = 30

# Connections to Telegram for ordinary calls: updates are handled concurrently and
# the delivery worker's senders send at once; PTB's default of one connection would
# queue every call behind the others (and fail them after its 1 s pool timeout).
CONNECTIONS = 64

# The one-shot sweep at the moment something falls due between two ticks.
_PRECISE = "sweep-at-moment"

# How long to wait between attempts to reach Telegram at start-up.
_FIRST_RETRY_DELAY = 1.0
_MAX_RETRY_DELAY = 60.0


class StartupError(Exception):
    """Raised when the bot cannot start for a reason the operator must fix."""


def build_application(
    settings: Settings,
    requests: tuple[HTTPXRequest, HTTPXRequest],
    hook: SentHook,
    translations: Translations,
) -> BotApplication:
    """Return the PTB application, not yet wired to services or handlers.

    ``requests`` (for ordinary calls, then for ``getUpdates``) are passed in so
    the caller can close them even if the application never finished starting.
    Updates are handled concurrently, each chat's in order (see :mod:`bot.updates`).
    """
    labels = vital_labels(translations)
    bot = TrackingBot(
        settings.token.reveal(),
        base_url=settings.telegram.base_url,
        request=requests[0],
        get_updates_request=requests[1],
        rate_limiter=AIORateLimiter(overall_max_rate=TELEGRAM_OVERALL_RATE),
        hook=hook,
    )
    application: BotApplication = (
        Application.builder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(ChatOrder(partial(is_urgent, vital_labels=labels)))
        .build()
    )
    return application


async def serve(settings: Settings, clock: Clock, stop: asyncio.Event) -> None:
    """Take the database's lock, then run the bot on it until ``stop`` is set.

    A second bot on the same database is refused (:mod:`bot.instance`): it would
    send every alert twice.
    """
    logger.info("still-here %s starting", VERSION)
    lock = InstanceLock(settings.storage.path)
    try:
        await asyncio.to_thread(lock.acquire)
    except AlreadyRunningError as error:
        raise StartupError(str(error)) from None
    try:
        await _serve(settings, clock, stop)
    finally:
        lock.release()


async def _serve(settings: Settings, clock: Clock, stop: asyncio.Event) -> None:
    """Open the database, migrate it, and run the bot until ``stop`` is set.

    1. Open the database and apply migrations (refusing a newer database).
    2. Wire the services, the handlers, the sweeper and the delivery worker.
    3. Reach Telegram, retrying with backoff while the network is down.
    4. Tick the sweeper, deliver and poll for updates until ``stop`` is set,
       then stop in reverse order and close everything.
    """
    database = await Database.open(settings.storage.path)
    try:
        await apply_migrations(database, clock)
        try:
            await unlock(database, settings)
        except KeyUnusableError as error:
            raise StartupError(str(error)) from None
        translations = Translations()
        # Each answer from Telegram is noted for health (see bot.health).
        link = TelegramLink(clock)
        telegram_heard: list[Sweeper] = []

        def heard() -> None:
            link.answered()
            for sweeper in telegram_heard:
                sweeper.telegram_at = link.answered_at

        requests = (
            WatchedRequest(heard, connection_pool_size=CONNECTIONS),
            WatchedRequest(heard),
        )
        hook = SentHook()
        application = build_application(settings, requests, hook, translations)
        worker = DeliveryWorker(
            database,
            clock,
            application.bot,
            translations,
            settings.checkins.default_timezone,
            poll_interval=settings.scheduler.tick.total_seconds(),
            alerts=settings.alerts,
            retention=settings.checkins.context_retention,
        )
        policy = policy_of(settings.alerts)
        sweeper = Sweeper(
            database,
            clock,
            policy,
            on_queued=worker.wake,
            catch_up_grace=settings.scheduler.catch_up_grace,
        )
        telegram_heard.append(sweeper)
        checkins = CheckinService(database, clock, settings.checkins, policy, on_queued=worker.wake)
        discretion = DiscretionService(
            database,
            clock,
            settings.security.discreet_delay,
            pretence=checkins.pretence,
            new_watch=checkins.new_watch,
            on_queued=worker.wake,
        )
        worker.discretion = discretion
        hook.on_sent = lambda message: discretion.track(
            message.chat_id, message.message_id, message.date
        )
        pins = PinService(database, clock, policy, checkins.pretence, on_queued=worker.wake)
        application.bot_data.services = Services(
            settings=settings,
            clock=clock,
            translations=translations,
            people=PeopleService(database, clock),
            checkins=checkins,
            checkin_requests=CheckinRequests(database, clock, checkins, pins, discretion),
            contacts=ContactService(
                database,
                clock,
                settings.alerts,
                on_queued=worker.wake,
                pretence=checkins.pretence,
                is_in_group=partial(is_in_group, application.bot),
            ),
            lastknown=LastKnownService(
                database,
                clock,
                settings.checkins,
                pretence=checkins.pretence,
                on_queued=worker.wake,
            ),
            pins=pins,
            discretion=discretion,
            flood=FloodGuard(settings.security.flood_limit),
            sweeper=sweeper,
            teams=TeamService(
                database,
                clock,
                settings.security.admins,
                settings.teams.link_lifetime,
                on_queued=worker.wake,
                pretence=checkins.pretence,
            ),
            questions=Questions(),
            asks=AskService(
                database, clock, settings.checkins, checkins.pretence, on_queued=worker.wake
            ),
        )
        handlers.register(application, translations)
        catching_up: asyncio.Task[None] | None = None
        try:
            await sweeper.start()
            # Catch up at once on whatever came due while the bot was down, even
            # before Telegram answers (the alerts wait in the outbox, not in limbo),
            # but beside connecting: an SOS must not wait for a long backlog.
            catching_up = asyncio.create_task(_catch_up(application), name="catch-up")
            if not await _connect(application, translations, stop, link):
                return
            await application.start()
            _schedule_sweeps(application, settings)
            _schedule_heartbeat(application, settings, database, sweeper, clock)
            _schedule_prune(application, settings, database)
            delivering = asyncio.create_task(worker.run(stop))
            logger.info("Still Here is running")
            await stop.wait()
            logger.info("stopping")
            await delivering
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            # Updates not yet started are dropped, as PTB drops its queue: stopping
            # waits only for the ones already running.
            if isinstance(application.update_processor, ChatOrder):
                application.update_processor.close()
            await application.stop()
            await discretion.flush()
        finally:
            if catching_up is not None:
                # Whatever it did not finish, the next start catches up on.
                catching_up.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await catching_up
            await application.shutdown()
            # An application whose start-up never reached Telegram skips its
            # shutdown; close the HTTP clients ourselves (closing twice is harmless).
            for request in requests:
                await request.shutdown()
    finally:
        await database.close()
        logger.info("database closed")


def _schedule_heartbeat(
    application: BotApplication,
    settings: Settings,
    database: Database,
    sweeper: Sweeper,
    clock: Clock,
) -> None:
    """Judge health every ``heartbeat_every``: log its changes, ping the monitor if one is set."""
    monitoring = settings.monitoring
    if application.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        return

    async def facts() -> Facts:
        async with database.snapshot() as tx:
            oldest = await outbox_repository.oldest_pending(tx, PRIORITY_ALL_CLEAR)
        return Facts(sweeper.swept_at, sweeper.telegram_at, oldest)

    heartbeat = Heartbeat(
        monitoring.heartbeat_url, facts, clock, settings.scheduler.tick, monitoring.stuck_after
    )

    async def beat(_: BotContext) -> None:
        try:
            await heartbeat.beat()
        except Exception:
            logger.exception("the heartbeat failed; the next one tries again")

    application.job_queue.run_repeating(
        beat,
        interval=monitoring.heartbeat_every,
        # After the first sweeps and the first answer from Telegram, not before.
        first=monitoring.heartbeat_every,
        name="heartbeat",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


def _schedule_sweeps(application: BotApplication, settings: Settings) -> None:
    """Tick the sweeper; APScheduler holds no deadline, only the rhythm."""
    if application.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        raise StartupError("python-telegram-bot was installed without its job queue")
    application.job_queue.run_repeating(
        _sweep,
        interval=settings.scheduler.tick,
        first=settings.scheduler.tick,
        name="sweeper",
        # Never skip a late tick, never run two at once, fold a backlog into one run.
        job_kwargs={"misfire_grace_time": None, "max_instances": 1, "coalesce": True},
    )
    # Messages tracked for discretion wait in memory until a transaction takes them.
    application.job_queue.run_repeating(
        _flush_tracking,
        interval=settings.scheduler.tick,
        first=settings.scheduler.tick,
        name="tracking",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    application.job_queue.run_repeating(
        # Every tick; each dashboard is edited at most every 5 s, so a change
        # shows within about 6 s.
        keep_dashboards,
        interval=settings.scheduler.tick,
        first=settings.scheduler.tick,
        name="dashboards",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


def _schedule_prune(application: BotApplication, settings: Settings, database: Database) -> None:
    """Delete what is past its retention, soon after start and then every ``PRUNE_EVERY``."""
    if application.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        return
    application.job_queue.run_repeating(
        partial(_prune, database=database),
        interval=PRUNE_EVERY,
        first=settings.scheduler.tick,
        name="prune",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


async def _prune(context: BotContext, database: Database) -> None:
    """Delete what is past its retention; a failure waits for the next round."""
    services = context.services
    settings = services.settings
    try:
        pruned = await services.teams.prune(settings.teams.audit_retention)
        async with database.transaction() as tx:
            counts = await retention.prune(
                tx,
                services.clock.now(),
                context_retention=settings.checkins.context_retention,
                history_retention=settings.storage.history_retention,
            )
    except Exception:
        logger.exception("pruning failed; the next round tries again")
        return
    if pruned:
        counts["audit events"] = pruned
    if counts:
        logger.info(
            "pruned past their retention: %s",
            ", ".join(f"{count} {kind}" for kind, count in counts.items()),
        )


async def _catch_up(application: BotApplication) -> None:
    """Sweep once at start; a failure is logged, and the ticks that follow try again."""
    services = application.bot_data.services
    if services is None:  # pragma: no cover - serve() wires the services first
        return
    try:
        advanced = await services.sweeper.sweep()
    except Exception:
        logger.exception("the catch-up sweep at start failed; the next tick tries again")
        return
    offline = services.sweeper.offline_for
    if offline is not None:
        logger.info("caught up: %d due item(s) after %s offline", advanced, offline)
    _aim(services, application.job_queue)


async def _sweep(context: BotContext) -> None:
    """Sweep (every tick, and at a moment something falls due between two ticks)."""
    await context.services.sweeper.sweep()
    # The context's own type parameters are lost on its job queue: say them again.
    _aim(context.services, cast("JobQueue[BotContext] | None", context.job_queue))


def _aim(services: Services, job_queue: JobQueue[BotContext] | None) -> None:
    """Sweep again at the moment the next thing falls due, if that comes before the next tick.

    A deadline between two ticks is then swept at its moment, not up to a tick
    later; the ticks go on as ever, so a one-shot lost in a crash costs nothing.
    """
    sweeper = services.sweeper
    due, swept_at = sweeper.next_wake, sweeper.swept_at
    # Due by the sweep's own moment and still there: a row that cannot be advanced
    # now (the ticks retry it), not a reason to sweep again at once, forever.
    if job_queue is None or due is None or swept_at is None or due <= swept_at:
        return
    delay = max(0.0, (due - services.clock.now()).total_seconds())
    if delay < services.settings.scheduler.tick.total_seconds() and not (
        job_queue.get_jobs_by_name(_PRECISE)
    ):
        job_queue.run_once(_sweep, when=delay, name=_PRECISE)


async def _flush_tracking(context: BotContext) -> None:
    await context.services.discretion.flush()


async def _connect(
    application: BotApplication,
    translations: Translations,
    stop: asyncio.Event,
    link: TelegramLink,
) -> bool:
    """Initialise the bot, publish its menu and start polling; ``False`` if stopped first."""
    delay = _FIRST_RETRY_DELAY
    while True:
        try:
            await application.initialize()
            await publish_menus(application.bot, translations)
            if application.updater is None:  # pragma: no cover - the builder always adds one
                raise StartupError("the application was built without an updater")
            await application.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=link.failed
            )
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
