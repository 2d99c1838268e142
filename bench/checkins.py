"""Check-in capacity: the real bot process answering ``/checkin`` from seeded activists.

The fake Telegram runs without limits, so what is measured is the bot itself: how many
check-ins it records per second when they are offered as fast as possible (seen
committed in the database by a second connection), how many it answers per second
(replies pass the bot's own safety net at Telegram's 30 messages a second, so that
figure cannot exceed it), and how late a reply comes (update offered → the reply's
``sendMessage`` seen by the fake) at a steady 20 check-ins a second. Each check-in comes
from a different activist, as in life: one person's updates are handled in order,
different people's need not wait for each other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bench.figures import Figure, percentile
from bench.harness import (
    TOKEN,
    RecordedCheckins,
    add_started_chats,
    bot_process,
    check_alive,
    copy_database,
    sim_user,
    wait_until,
    write_config,
)
from bench.seed import ACTIVIST_BASE, T0, Seeded, seed
from bench.settings import SETTINGS
from bot.settings import load_settings
from storage.timestamps import to_db
from tests.fake_telegram import FakeTelegram

CAPACITY_TARGET = "≥ 300/s"
LATENCY_TARGET = "≤ 50 ms"
# Check-ins offered at once for the capacity figure, each from another activist.
BURST = 3_000
# The steady rate of the latency figure, and for how long it is offered.
STEADY_RATE = 20.0
STEADY_SECONDS = 10.0
# The bot's clock stands this long after the seeded check-ins: nothing is due, so the
# sweeper and delivery stay idle and only check-ins are measured.
CLOCK_AFTER_T0 = 600.0


async def template(root: Path, watches: int) -> Seeded:
    """Seed activists on armed plans (none due) for the check-in runs."""
    directory = root / "checkin"
    directory.mkdir(parents=True)
    config = directory / "seed.toml"
    config.write_text(
        f'[storage]\npath = "{directory / "bot.sqlite3"}"\n'
        f'[security]\nkey_file = "{directory / "bot.key"}"\n',
        encoding="utf-8",
    )
    seeded = await seed(load_settings(config, {"TELEGRAM_TOKEN": TOKEN}), watches, 0)
    print(f"seeded checkin: {watches:,} watches, in {seeded.seconds:.1f} s", flush=True)
    return seeded


async def run(
    root: Path,
    seeded: Seeded,
    name: str,
    capacity: Figure,
    answered: Figure,
    p50: Figure,
    p99: Figure,
) -> None:
    """Start the bot on a fresh copy; offer a steady 20/s, then a burst as fast as possible."""
    steady = int(STEADY_RATE * STEADY_SECONDS)
    people = [ACTIVIST_BASE + i for i in range(min(seeded.watches, steady + BURST))]
    directory = root / "runs" / name
    async with FakeTelegram() as fake:
        add_started_chats(fake, people)
        database = copy_database(seeded.path, directory / "bot.sqlite3")
        config = write_config(directory, database, seeded.path.parent / "bot.key", fake.base_url)
        log = directory / "bot.log"
        offset = T0.timestamp() + CLOCK_AFTER_T0 - time.time()
        async with bot_process(config, offset, log) as process:
            await fake.wait_until_polling(timeout=60)
            replies = _Replies(fake)
            latencies = await _steady(fake, replies, people[:steady], process, log)
            p50.add(percentile(latencies, 0.50) * 1000 if latencies else None)
            p99.add(percentile(latencies, 0.99) * 1000 if len(latencies) == steady else None)
            recorded = RecordedCheckins(database, to_db(T0 + timedelta(seconds=CLOCK_AFTER_T0)))
            recorded.start()
            try:
                burst = await _burst(fake, replies, recorded, people[steady:], process, log)
            finally:
                recorded.stop()
            capacity.add(burst[0])
            answered.add(burst[1])


class _Replies:
    """Note when the fake first saw a check-in reply in each chat."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake
        self._read = 0
        self.seen: dict[int, float] = {}

    def update(self) -> None:
        calls = self._fake.calls
        for call in calls[self._read :]:
            text = call.params.get("text")
            if call.method == "sendMessage" and isinstance(text, str) and text.startswith("✅"):
                self.seen.setdefault(int(call.params["chat_id"]), call.monotonic)
        self._read = len(calls)

    def count(self, people: Sequence[int]) -> int:
        self.update()
        return sum(1 for person in people if person in self.seen)


async def _steady(
    fake: FakeTelegram,
    replies: _Replies,
    people: Sequence[int],
    process: asyncio.subprocess.Process,
    log: Path,
) -> list[float]:
    """Offer one check-in every 1/20 s; return each reply's latency in seconds."""
    offered: dict[int, float] = {}
    start = time.monotonic()
    for index, person in enumerate(people):
        # Offer on a fixed schedule, not "sleep after each": the rate stays 20/s.
        await asyncio.sleep(max(0.0, start + index / STEADY_RATE - time.monotonic()))
        offered[person] = time.monotonic()
        await sim_user(fake, person).send("/checkin")
    await wait_until(lambda: replies.count(people) >= len(people), 60, process, log)
    check_alive(process, log)
    return [replies.seen[p] - offered[p] for p in people if p in replies.seen]


async def _burst(
    fake: FakeTelegram,
    replies: _Replies,
    recorded: RecordedCheckins,
    people: Sequence[int],
    process: asyncio.subprocess.Process,
    log: Path,
) -> tuple[float | None, float | None]:
    """Offer every check-in at once; return check-ins recorded, then answered, per second."""
    await wait_until(lambda: bool(recorded.counts), 10, process, log)
    before = recorded.counts[-1][1] if recorded.counts else None
    offered = time.monotonic()
    for person in people:
        await sim_user(fake, person).send("/checkin")
    done = await wait_until(
        lambda: replies.count(people) >= len(people), SETTINGS.run_timeout, process, log
    )
    check_alive(process, log)
    if not done or not people:
        return None, None
    last = max(replies.seen[p] for p in people)
    # The steady part's check-ins were recorded before: count on from there.
    all_recorded = recorded.reached((before or 0) + len(people))
    rate = (
        None if before is None or all_recorded is None else len(people) / (all_recorded - offered)
    )
    return rate, len(people) / (last - offered)


async def measure(root: Path) -> list[Figure]:
    """Seed, then run the check-in figures ``SETTINGS.runs`` times."""
    seeded = await template(root, SETTINGS.watches)
    capacity = Figure(
        f"check-ins recorded per second, {BURST:,} offered at once (fake without limits)",
        CAPACITY_TARGET,
        "/s",
    )
    answered = Figure("  … answered per second (Telegram allows about 30)", "-", "/s")
    p50 = Figure(f"  … reply latency p50 at {STEADY_RATE:.0f}/s offered", "-", " ms")
    p99 = Figure(f"  … reply latency p99 at {STEADY_RATE:.0f}/s offered", LATENCY_TARGET, " ms")
    for index in range(SETTINGS.runs):
        await run(root, seeded, f"checkin-{index}", capacity, answered, p50, p99)
        print(
            f"  checkin run {index + 1}: {capacity.values[-1]} /s, p99 {p99.values[-1]} ms",
            flush=True,
        )
    return [capacity, answered, p50, p99]
