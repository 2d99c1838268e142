"""The benchmark runs: each starts the real bot process on a fresh copy of a template."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Figure, percentile
from bench.harness import (
    QueuedAlerts,
    add_started_chats,
    bot_process,
    check_alive,
    copy_database,
    cpu_seconds,
    memory_mb,
    sim_user,
    wait_until,
    write_config,
)
from bench.seed import DUE_AT, Seeded
from bench.settings import SETTINGS
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.limits import COUNTED_METHODS

# The bot's clock reaches the seeded deadline this long after it is spawned.
LEAD_SECONDS = 3.0
# Catch-up: the bot comes back this long after the missed deadlines.
OFFLINE_AFTER_DUE = 600.0
# Burst: the SOS is raised this long after the deadline, while the burst is going out.
SOS_AFTER_SECONDS = 10.0


@dataclass(frozen=True)
class Run:
    """Where one run keeps its files."""

    directory: Path
    template: Seeded
    key_file: Path

    def prepare(self, name: str, fake: FakeTelegram) -> tuple[Path, Path, Path]:
        """Copy the template, write the settings; return (config, database, log)."""
        directory = self.directory / name
        database = copy_database(self.template.path, directory / "bot.sqlite3")
        config = write_config(directory, database, self.key_file, fake.base_url)
        return config, database, directory / "bot.log"


def _register(fake: FakeTelegram, seeded: Seeded) -> None:
    people = [*seeded.due, seeded.sos]
    add_started_chats(fake, people)
    add_started_chats(fake, (chat for p in people for chat in seeded.contact_chats(p)))


def _offset_for(wall_moment: float) -> float:
    """Return the clock offset that makes the bot read DUE_AT at ``wall_moment``."""
    return DUE_AT.timestamp() - wall_moment


async def queue_lag(run: Run, name: str, p50: Figure, p99: Figure, queued: Figure) -> None:
    """Deadlines of ``due`` watches pass in one second while the bot runs: how late queued?

    The fake enforces Telegram's limits, as Telegram would: unlimited, delivery would send
    about 180 messages a second and take the database from the sweeper far more often.
    """
    seeded = run.template
    async with FakeTelegram(limits=True) as fake:
        _register(fake, seeded)
        config, database, log = run.prepare(name, fake)
        probe = QueuedAlerts(database)
        probe.start()
        try:
            deadline_wall = time.time() + LEAD_SECONDS
            deadline = time.monotonic() + LEAD_SECONDS
            async with bot_process(config, _offset_for(deadline_wall), log) as process:
                await fake.wait_until_polling(timeout=60)
                finished = await wait_until(
                    lambda: len(probe.seen) >= len(seeded.due), run_timeout(), process, log
                )
                check_alive(process, log)
        finally:
            probe.stop()
    lags = [seen - deadline for seen in probe.seen.values()]
    if not lags:
        for figure in (p50, p99, queued):
            figure.add(None)
        return
    p50.add(percentile(lags, 0.50))
    p99.add(percentile(lags, 0.99) if finished else None)
    queued.add(max(lags) if finished else None)


async def catch_up(
    run: Run, name: str, queued: Figure, polling: Figure, first: Figure | None = None
) -> None:
    """Deadlines passed while the bot was stopped: from spawn to every alert queued."""
    seeded = run.template
    async with FakeTelegram(limits=True) as fake:
        _register(fake, seeded)
        config, database, log = run.prepare(name, fake)
        probe = QueuedAlerts(database)
        probe.start()
        try:
            spawned_wall, spawned = time.time(), time.monotonic()
            offset = _offset_for(spawned_wall - OFFLINE_AFTER_DUE)
            async with bot_process(config, offset, log) as process:
                await fake.wait_until_polling(timeout=120)
                polling.add(time.monotonic() - spawned)
                finished = await wait_until(
                    lambda: len(probe.seen) >= len(seeded.due), run_timeout(), process, log
                )
        finally:
            probe.stop()
    queued.add(max(probe.seen.values()) - spawned if finished and probe.seen else None)
    if first is not None:
        first.add(min(probe.seen.values()) - spawned if probe.seen else None)


async def burst(
    run: Run,
    name: str,
    rate: Figure,
    refused: Figure,
    first_alerts: Figure,
    sos: Figure,
) -> None:
    """Every due activist's 3 contacts alerted at once through a fake enforcing the limits."""
    seeded = run.template
    async with FakeTelegram(limits=True) as fake:
        _register(fake, seeded)
        config, _, log = run.prepare(name, fake)
        contacts = {chat for p in seeded.due for chat in seeded.contact_chats(p)}
        sos_contacts = set(seeded.contact_chats(seeded.sos))
        first: dict[int, float] = {}
        seen_calls = 0

        def all_alerted() -> bool:
            nonlocal seen_calls
            calls = fake.calls
            for call in calls[seen_calls:]:
                chat = call.params.get("chat_id")
                if call.method == "sendMessage" and call.status == 200 and chat in contacts:
                    first.setdefault(int(chat), call.monotonic)
            seen_calls = len(calls)
            return len(first) >= len(contacts)

        deadline_wall = time.time() + LEAD_SECONDS
        deadline = time.monotonic() + LEAD_SECONDS
        async with bot_process(config, _offset_for(deadline_wall), log) as process:
            await fake.wait_until_polling(timeout=60)
            await asyncio.sleep(max(0.0, deadline + SOS_AFTER_SECONDS - time.monotonic()))
            index = len(fake.calls)
            raised = time.monotonic()
            await sim_user(fake, seeded.sos).send("/sos")
            try:
                call = await fake.wait_for_call(
                    "sendMessage",
                    predicate=lambda c: c.status == 200 and c.params["chat_id"] in sos_contacts,
                    since=index,
                    timeout=60,
                )
                sos.add(call.monotonic - raised)
            except TimeoutError:
                sos.add(None)
            finished = await wait_until(all_alerted, burst_timeout(), process, log)
            ended = time.monotonic()
        sends = [c for c in fake.calls if c.method in COUNTED_METHODS]
        accepted = [c.monotonic for c in sends if c.status == 200 and c.monotonic <= ended]
        refused.add(sum(1 for c in sends if c.status == 429))
        window = (max(accepted) - min(accepted)) if len(accepted) > 1 else 0.0
        rate.add(len(accepted) / window if window > 0 else None)
        first_alerts.add(max(first.values()) - deadline if finished else None)
        if not finished:
            first_alerts.note = f"({len(first)} of {len(contacts)} within {burst_timeout():.0f} s)"


async def idle(run: Run, name: str, startup: Figure, rss: Figure, cpu: Figure) -> None:
    """Nothing due for an hour: start-up time, resident memory and CPU while idle."""
    async with FakeTelegram() as fake:
        config, _, log = run.prepare(name, fake)
        spawned_wall, spawned = time.time(), time.monotonic()
        offset = _offset_for(spawned_wall + 3600)
        async with bot_process(config, offset, log) as process:
            await fake.wait_until_polling(timeout=60)
            startup.add(time.monotonic() - spawned)
            await asyncio.sleep(2.0)  # let start-up work settle
            check_alive(process, log)
            before, at = cpu_seconds(process.pid), time.monotonic()
            await asyncio.sleep(idle_seconds())
            used = cpu_seconds(process.pid) - before
            cpu.add(100 * used / (time.monotonic() - at))
            rss.add(memory_mb(process.pid))


def run_timeout() -> float:
    return SETTINGS.run_timeout


def burst_timeout() -> float:
    return SETTINGS.burst_timeout


def idle_seconds() -> float:
    return SETTINGS.idle_seconds
