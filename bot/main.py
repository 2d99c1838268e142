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
from bot.crypto import KeyUnusableError
from bot.keys import rotate
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from storage.database import Database, StorageError
from storage.migrations import MigrationError, apply_migrations

logger = logging.getLogger("bot")

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_CONFIG = 2
DEFAULT_CONFIG = Path("settings.toml")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the bot and return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the Still Here bot.")
    parser.add_argument(
        "command",
        nargs="?",
        choices=("run", "rotate-key"),
        default="run",
        help="run the bot (default), or re-encrypt the database under a new key "
        "(stop the bot first)",
    )
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

    secrets = [settings.token.reveal()] + ([settings.key.reveal()] if settings.key else [])
    configure_logging(settings.logging.level, secrets)
    try:
        if args.command == "rotate-key":
            rewritten = asyncio.run(_rotate_key(settings))
            print(
                f"Re-encrypted {rewritten} values. The new key is in "
                f"{settings.security.key_file}: back it up now; the old key no longer works."
            )
        else:
            asyncio.run(_run_until_signal(settings))
    except KeyUnusableError as error:
        logger.error("cannot use the encryption key: %s", error)
        return EXIT_CONFIG
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


async def _rotate_key(settings: Settings) -> int:
    clock = SystemClock()
    database = await Database.open(settings.storage.path)
    try:
        await apply_migrations(database, clock)
        return await rotate(database, settings, clock)
    finally:
        await database.close()


async def _run_until_signal(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, SystemClock(), stop)
