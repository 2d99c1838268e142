"""The command line: read settings, set up logging, run until SIGINT or SIGTERM.

``python -m bot`` runs the bot; ``health``, ``backup DEST``, ``restore SRC`` and
``rotate-key`` are the operator's other commands (none of them needs the token).

Exit codes: 0 after a clean stop (or a healthy bot, a backup made ...); 2 when
the operator must fix something (settings, token, a database from a newer
version, a bot already running on the database); 1 for anything unexpected, and
for an unhealthy bot.
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

from bot import health
from bot.app import StartupError, serve
from bot.backup import BackupError, backup, restore
from bot.clock import SystemClock
from bot.crypto import KeyUnusableError
from bot.instance import AlreadyRunningError, InstanceLock
from bot.keys import rotate
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.version import VERSION
from storage.database import Database, StorageError
from storage.migrations import MigrationError, apply_migrations

logger = logging.getLogger("bot")

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_UNHEALTHY = 1
EXIT_CONFIG = 2
DEFAULT_CONFIG = Path("settings.toml")
COMMANDS = ("run", "health", "backup", "restore", "rotate-key")
# The commands that never talk to Telegram, so need no token.
_OFFLINE = frozenset({"health", "backup", "restore", "rotate-key"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Run the Still Here bot, or look after it.",
        epilog="Exit codes: 0 done (or healthy); 1 unexpected error (or unhealthy); "
        "2 something to fix first, said on stderr.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=COMMANDS,
        default="run",
        help="run the bot (default); health: is a bot running and watching (exit 0) or "
        "not (exit 1, and why); backup DEST: a consistent copy of the database while it "
        "runs; restore SRC: put a backup in place (stop the bot first); rotate-key: "
        "re-encrypt under a new key (stop the bot first)",
    )
    parser.add_argument("path", nargs="?", type=Path, help="DEST of backup, SRC of restore")
    parser.add_argument(
        "--config",
        type=Path,
        help=f"settings file (default: ./{DEFAULT_CONFIG}, or built-in defaults if absent)",
    )
    parser.add_argument(
        "--key-out",
        type=Path,
        help="rotate-key: write the new key here (when the key file is a read-only secret)",
    )
    parser.add_argument("--version", action="version", version=f"still-here {VERSION}")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the command and return the process exit code."""
    # Everything the bot writes (database, key, lock, backups) is for its user alone.
    os.umask(0o077)
    parser = _parser()
    args = parser.parse_args(argv)
    command: str = args.command
    if command in ("backup", "restore") and args.path is None:
        parser.error(f"{command} needs a path: python -m bot {command} PATH")
    config: Path | None = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG

    try:
        settings = load_settings(
            config,
            os.environ if environ is None else environ,
            need_token=command not in _OFFLINE,
        )
    except SettingsError as error:
        print(_describe(error, config), file=sys.stderr)
        return EXIT_CONFIG

    secrets = [settings.token.reveal()] + ([settings.key.reveal()] if settings.key else [])
    if settings.monitoring.heartbeat_url is not None:
        secrets.append(settings.monitoring.heartbeat_url.reveal())
    configure_logging(
        settings.logging.level, [s for s in secrets if s], style=settings.logging.format
    )
    try:
        return _dispatch(command, args, settings)
    except KeyUnusableError as error:
        logger.error("cannot use the encryption key: %s", error)
        return EXIT_CONFIG
    except (StartupError, StorageError, MigrationError, AlreadyRunningError) as error:
        logger.error("cannot start: %s", error)
        return EXIT_CONFIG
    except BackupError as error:
        logger.error("%s", error)
        return EXIT_CONFIG
    except Exception:
        # Logged through the redacting formatter rather than printed raw by Python.
        logger.exception("Still Here stopped because of an unexpected error")
        return EXIT_CRASH


def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if command == "health":
        verdict = health.check(
            settings.storage.path,
            SystemClock().now(),
            settings.scheduler.tick,
            settings.monitoring.stuck_after,
        )
        print(verdict.reason)
        return EXIT_OK if verdict.healthy else EXIT_UNHEALTHY
    if command == "backup":
        printed = backup(settings, args.path)
        note = f"; it needs the key with fingerprint {printed}" if printed else ""
        print(f"Backed up to {args.path} (checked{note}). Keep the key apart from it.")
        return EXIT_OK
    if command == "restore":
        restore(settings, args.path)
        print(f"Restored {args.path} to {settings.storage.path}. Start the bot now.")
        return EXIT_OK
    if command == "rotate-key":
        rewritten, key_file = asyncio.run(_rotate_key(settings, args.key_out))
        print(
            f"Re-encrypted {rewritten} values. The new key is in {key_file}: back it up "
            "now, and keep the old key with the backups made under it."
        )
        return EXIT_OK
    asyncio.run(_run_until_signal(settings))
    return EXIT_OK


def _describe(error: SettingsError, config: Path | None) -> str:
    if len(error.problems) == 1 and "\n" in error.problems[0]:
        return error.problems[0]
    source = f"in {config}" if config is not None else "in the environment"
    lines = [f"Still Here cannot start: {len(error.problems)} problem(s) {source}:"]
    lines += [f"  - {problem}" for problem in error.problems]
    return "\n".join(lines)


async def _rotate_key(settings: Settings, key_out: Path | None) -> tuple[int, Path]:
    # No bot may run meanwhile: it would go on sealing under the old key.
    with InstanceLock(settings.storage.path, wait=1.0):
        database = await Database.open(settings.storage.path)
        try:
            await apply_migrations(database, SystemClock())
            return await rotate(database, settings, key_out)
        finally:
            await database.close()


async def _run_until_signal(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, SystemClock(), stop)
