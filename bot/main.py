"""The command line: read settings, set up logging, run until SIGINT or SIGTERM.

Exit codes: 0 after a clean stop; 2 when the operator must fix something
(settings, token, database from a newer version); 1 for anything unexpected.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.app import StartupError, serve
from bot.clock import SystemClock
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from storage.database import StorageError
from storage.migrations import MigrationError

logger = logging.getLogger("bot")

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_CONFIG = 2
DEFAULT_CONFIG = Path("settings.toml")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the bot and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the Still Here bot.")
    parser.add_argument(
        "--config",
        type=Path,
        help=f"settings file (default: ./{DEFAULT_CONFIG}, or built-in defaults if absent)",
    )
    args = parser.parse_args(argv)
    config: Path | None = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG

    try:
        settings = load_settings(config, os.environ if environ is None else environ)
    except SettingsError as error:
        print(_describe(error, config), file=sys.stderr)
        return EXIT_CONFIG

    configure_logging(settings.logging.level, [settings.token.reveal()])
    try:
        asyncio.run(_run_until_signal(settings))
    except (StartupError, StorageError, MigrationError) as error:
        logger.error("cannot start: %s", error)
        return EXIT_CONFIG
    except Exception:
        # Logged through the redacting formatter rather than printed raw by Python.
        logger.exception("Still Here stopped because of an unexpected error")
        return EXIT_CRASH
    return EXIT_OK


def _describe(error: SettingsError, config: Path | None) -> str:
    if len(error.problems) == 1 and "\n" in error.problems[0]:
        return error.problems[0]
    source = f"in {config}" if config is not None else "in the environment"
    lines = [f"Still Here cannot start: {len(error.problems)} problem(s) {source}:"]
    lines += [f"  - {problem}" for problem in error.problems]
    return "\n".join(lines)


async def _run_until_signal(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, SystemClock(), stop)
