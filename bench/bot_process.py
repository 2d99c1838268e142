"""Run the real bot (``bot.app.serve``, production wiring) on a clock shifted in time.

``python -m bench.bot_process --config PATH`` behaves as ``python -m bot --config PATH``
except for the clock: it reads the machine's wall clock plus ``BENCH_CLOCK_OFFSET``
seconds, so the benchmark can place the bot just before (or long after) the seeded
deadlines and know the wall moment at which the bot's clock reaches them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import serve
from bot.logs import configure_logging
from bot.settings import load_settings


class ShiftedClock:
    """Tell the wall-clock time moved by a fixed offset; it runs at the real rate."""

    def __init__(self, offset: timedelta) -> None:
        self._offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


async def _run(config: Path, offset: timedelta) -> None:
    settings = load_settings(config, os.environ)
    configure_logging(settings.logging.level, [settings.token.reveal()])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, ShiftedClock(offset), stop)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_process")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    offset = timedelta(seconds=float(os.environ.get("BENCH_CLOCK_OFFSET", "0")))
    asyncio.run(_run(args.config, offset))


if __name__ == "__main__":
    main()
