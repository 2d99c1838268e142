"""Shared fixtures: the fake Telegram Bot API and the real bot wired against it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import serve
from bot.crypto import Sealer, decode_key
from bot.settings import SchedulerSettings, Settings, TelegramSettings, load_settings
from storage import contacts as contact_repository
from storage import context as context_repository
from storage.database import Database
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_telegram.fixtures import fake_telegram

__all__ = ["fake_telegram"]

TEST_TOKEN = "123:TEST"
T_ANY = datetime(2000, 1, 1, tzinfo=UTC)


def make_settings(tmp_path: Path, base_url: str, toml: str = "") -> Settings:
    """Return settings for a test bot: its own database, the fake's URL, the test token."""
    path = tmp_path / "settings.toml"
    path.write_text(f'[storage]\npath = "bot.sqlite3"\n{toml}', encoding="utf-8")
    settings = load_settings(path, {"TELEGRAM_TOKEN": TEST_TOKEN})
    # A short tick unless the test sets one: sweeps and deliveries a test waits
    # for come within milliseconds instead of the production second.
    scheduler = settings.scheduler
    if "[scheduler]" not in toml:
        scheduler = SchedulerSettings(tick=timedelta(milliseconds=50))
    return replace(settings, telegram=TelegramSettings(base_url=base_url), scheduler=scheduler)


async def kept(user: SimUser, text: str) -> dict[str, Any]:
    """Send ``text`` to keep for the contacts; return it once the bot marked it kept (✍)."""
    sent = await user.send(text)
    assert await user.reaction_to(sent["message_id"], timeout=10) == ["✍"]
    return sent


@dataclass
class RunningBot:
    """The real bot, running in this event loop against the fake Telegram."""

    fake: FakeTelegram
    settings: Settings
    clock: FakeClock
    stop: asyncio.Event
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def run_bot(
    fake: FakeTelegram, settings: Settings, clock: FakeClock | None = None
) -> AsyncIterator[RunningBot]:
    """Run :func:`bot.app.serve` until the block ends; fail if it crashed."""
    stop = asyncio.Event()
    clock = clock or FakeClock()
    task = asyncio.create_task(serve(settings, clock, stop))
    running = RunningBot(fake, settings, clock, stop, task)
    polling = asyncio.create_task(fake.wait_until_polling(timeout=15))
    done, _ = await asyncio.wait({polling, task}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        polling.cancel()
        task.result()
        raise AssertionError("the bot stopped before it started polling")
    polling.result()
    try:
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """Start the real bot against the fake Telegram and stop it after the test."""
    async with run_bot(fake_telegram, make_settings(tmp_path, fake_telegram.base_url)) as running:
        yield running


async def query(
    bot: RunningBot | Path, sql: str, params: tuple[object, ...] = ()
) -> list[dict[str, Any]]:
    """Run a read-only query on a bot's database through a second connection."""
    path = bot if isinstance(bot, Path) else bot.settings.storage.path
    database = await Database.open(path)
    try:
        async with database.snapshot() as tx:
            rows = await tx.fetch_all(sql, params)
    finally:
        await database.close()
    return [dict(row) for row in rows]


def sealer_of(bot: RunningBot | Path) -> Sealer:
    """Return the sealer made from a bot's key file (the test reads what the bot wrote)."""
    key_file = bot if isinstance(bot, Path) else bot.settings.security.key_file
    return Sealer(decode_key(key_file.read_text("ascii"), str(key_file)))


async def context_bodies(bot: RunningBot) -> list[tuple[str, dict[str, Any]]]:
    """Return every kept context item, oldest first, as (kind, decrypted body)."""
    database = await Database.open(bot.settings.storage.path, sealer_of(bot))
    try:
        async with database.snapshot() as tx:
            rows = await tx.fetch_all("SELECT person_id FROM context_items GROUP BY person_id")
            items = []
            for row in rows:
                found = await context_repository.recent(tx, row["person_id"], T_ANY, 10_000)
                items += [(i.created_at, i.telegram_message_id, i) for i in found]
    finally:
        await database.close()
    items.sort(key=lambda entry: (entry[0], entry[1]))
    return [(str(item.kind), dict(item.body)) for _, _, item in items]


async def contact_names(bot: RunningBot) -> dict[str, str]:
    """Return the bot's contacts as {decrypted name: status}."""
    database = await Database.open(bot.settings.storage.path, sealer_of(bot))
    try:
        async with database.snapshot() as tx:
            rows = await tx.fetch_all("SELECT id FROM contacts ORDER BY id")
            contacts = [await contact_repository.contact_by_id(tx, row["id"]) for row in rows]
    finally:
        await database.close()
    return {c.display_name: str(c.status) for c in contacts if c is not None}


ROOT = Path(__file__).resolve().parent.parent


def bot_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a ``python -m bot`` process under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STILLHERE_"))}
    return env | {"TELEGRAM_TOKEN": TEST_TOKEN, "PYTHONPATH": str(ROOT)} | (extra or {})


async def start_bot_process(
    config: Path, cwd: Path, *, capture_stderr: bool = False
) -> asyncio.subprocess.Process:
    """Start the real ``python -m bot --config config`` as a separate process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        env=bot_environment(),
        cwd=cwd,
        stderr=asyncio.subprocess.PIPE if capture_stderr else None,
    )
