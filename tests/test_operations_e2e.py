"""Running it for years: one instance only, health from outside, heartbeat, backups, versions.

The real ``python -m bot`` against the project's fake Telegram on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import health
from bot.crypto import encode_key, new_key
from tests.conditions import eventually
from tests.conftest import ROOT, TEST_TOKEN, make_settings, run_bot, start_bot_process
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.control import FakeTelegramControl
from tests.fake_telegram.fixtures import standalone_fake_telegram
from tests.test_alerts_e2e import add_contact, say

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` with ``args``, without a token unless ``env`` gives one."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STILLHERE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean | {"PYTHONPATH": str(ROOT)} | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Path, FakeTelegramControl]]:
    """Start the real bot process on a fresh database; stop it with SIGTERM afterwards."""
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        config = tmp_path / "settings.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{base_url}"\n[storage]\npath = "db.sqlite3"\n'
            '[scheduler]\ntick = "1s"\n',
            "utf-8",
        )
        process = await start_bot_process(config, tmp_path, capture_stderr=True)
        try:
            await control.wait_until_polling(timeout=20)
            yield process, config, control
        finally:
            if process.returncode is None:
                os.kill(process.pid, signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=15)


async def health_becomes(config: Path, cwd: Path, code: int, saying: str) -> str:
    """Run ``health`` until it exits ``code`` saying ``saying``; return what it said."""

    async def probe() -> str | None:
        result = await asyncio.to_thread(cli, "health", "--config", str(config), cwd=cwd)
        said = result.stdout.strip()
        return said if result.returncode == code and saying in said else None

    return await eventually(probe, timeout=20, what=f"health exit {code}: {saying}")


async def test_a_second_bot_on_the_same_database_exits_2_naming_the_lock(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as (first, config, _control):
        second = await start_bot_process(config, tmp_path, capture_stderr=True)
        assert second.stderr is not None
        returncode = await asyncio.wait_for(second.wait(), timeout=10)
        log = (await second.stderr.read()).decode()
        assert returncode == 2
        assert "another Still Here is running on this database" in log
        assert "db.sqlite3.lock" in log
        assert "Traceback" not in log
        # The first one goes on, untouched.
        assert first.returncode is None
    assert first.returncode == 0


async def test_health_tells_running_frozen_and_stopped_apart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as (process, config, _control):
        said = await health_becomes(config, tmp_path, 0, "ok")
        assert said == "ok: ticking, alerts delivered, Telegram answering"
        process.send_signal(signal.SIGSTOP)
        try:
            # Frozen: the lock is still held, but nothing ticks. Health still answers.
            started = asyncio.get_running_loop().time()
            await health_becomes(config, tmp_path, 1, "the bot has not ticked for")
            single = await asyncio.to_thread(cli, "health", "--config", str(config), cwd=tmp_path)
            assert single.returncode == 1
            assert asyncio.get_running_loop().time() - started < 30
        finally:
            process.send_signal(signal.SIGCONT)
        await health_becomes(config, tmp_path, 0, "ok")
    await health_becomes(config, tmp_path, 1, "no bot is running on")


async def test_rotate_key_is_refused_while_the_bot_runs_and_works_right_after_it_stops(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as (_process, config, _control):
        refused = await asyncio.to_thread(cli, "rotate-key", "--config", str(config), cwd=tmp_path)
        assert refused.returncode == 2
        assert "another Still Here is running on this database" in refused.stderr
    old_key = (tmp_path / "data" / "stillhere.key").read_text("ascii")
    rotated = cli("rotate-key", "--config", str(config), cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert (tmp_path / "data" / "stillhere.key").read_text("ascii") != old_key
    kept = [p for p in (tmp_path / "data").iterdir() if p.name.startswith("stillhere.key.")]
    assert len(kept) == 1
    assert kept[0].read_text("ascii") == old_key


async def test_rotate_key_writes_the_new_key_where_told_when_the_key_file_is_read_only(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as (_process, config, _control):
        pass
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    key_file = secrets / "key"
    os.replace(tmp_path / "data" / "stillhere.key", key_file)
    old_key = key_file.read_text("ascii")
    key_file.chmod(0o400)
    secrets.chmod(0o500)
    try:
        out = tmp_path / "new.key"
        env = {"STILLHERE_KEY_FILE": str(key_file)}
        rotated = cli(
            "rotate-key", "--config", str(config), "--key-out", str(out), cwd=tmp_path, env=env
        )
        assert rotated.returncode == 0, rotated.stderr
        assert f"The new key is in {out}" in rotated.stdout
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        # Nothing was written beside the secret, which stays as it was.
        assert [p.name for p in secrets.iterdir()] == ["key"]
        assert key_file.read_text("ascii") == old_key
        # The database now opens with the new key only.
        made = cli(
            "backup",
            str(tmp_path / "b.sqlite3"),
            "--config",
            str(config),
            cwd=tmp_path,
            env={"STILLHERE_KEY_FILE": str(out)},
        )
        assert made.returncode == 0, made.stderr
        assert "fingerprint" in made.stdout
    finally:
        secrets.chmod(0o700)


async def test_backup_while_running_then_restore_with_the_right_key_and_not_with_another(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "backups" / "monday.sqlite3"
    copy.parent.mkdir()
    async with running_bot(tmp_path) as (_process, config, control):
        azat = await control.add_user(first_name="Azat")
        await azat.send("/every 12h")
        await azat.next_message(timeout=10)
        made = await asyncio.to_thread(
            cli, "backup", str(copy), "--config", str(config), cwd=tmp_path
        )
        assert made.returncode == 0, made.stderr
        assert "it needs the key with fingerprint" in made.stdout
        # A restore while the bot runs is refused, and changes nothing.
        refused = await asyncio.to_thread(
            cli, "restore", str(copy), "--config", str(config), cwd=tmp_path
        )
        assert refused.returncode == 2
        assert "another Still Here is running" in refused.stderr
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    marker = copy.with_name("monday.sqlite3.key-fingerprint")
    assert len(marker.read_text("ascii").strip()) == 16
    key = (tmp_path / "data" / "stillhere.key").read_text("ascii")
    assert marker.read_text("ascii").strip() not in key
    assert cli("backup", str(copy), "--config", str(config), cwd=tmp_path).returncode == 2

    # The disk is lost: the database is gone, the backup and the key are not.
    (tmp_path / "db.sqlite3").unlink()
    wrong = cli(
        "restore",
        str(copy),
        "--config",
        str(config),
        cwd=tmp_path,
        env={"STILLHERE_KEY": encode_key(new_key())},
    )
    assert wrong.returncode == 2
    assert "the current key does not open" in wrong.stderr
    assert marker.read_text("ascii").strip() in wrong.stderr
    assert not (tmp_path / "db.sqlite3").exists()
    restored = cli("restore", str(copy), "--config", str(config), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert stat.S_IMODE((tmp_path / "db.sqlite3").stat().st_mode) == 0o600
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        plans = connection.execute("SELECT plan_every_seconds FROM watches").fetchall()
    assert plans == [(12 * 3600,)]
    # And the bot starts on it.
    async with running_bot_on(tmp_path, config):
        pass


def _point_at(config: Path, base_url: str) -> None:
    """Point the settings at another fake Telegram."""
    lines = config.read_text("utf-8").splitlines()
    changed = [
        f'base_url = "{base_url}"' if line.startswith("base_url") else line for line in lines
    ]
    config.write_text("\n".join(changed), "utf-8")


@asynccontextmanager
async def running_bot_on(tmp_path: Path, config: Path) -> AsyncIterator[None]:
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        _point_at(config, base_url)
        process = await start_bot_process(config, tmp_path, capture_stderr=True)
        try:
            await control.wait_until_polling(timeout=20)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=15) == 0


def test_the_version_is_printed_and_logged(tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip().startswith("still-here 0.")


async def test_the_first_log_lines_give_the_version_and_each_migration(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as (process, _config, _control):
        pass
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    first = log.splitlines()[0]
    assert "still-here 0." in first
    assert "applied migration 0001_people" in log
    assert "applied migration 0013_coordinator_asks" in log


class Monitor:
    """A heartbeat monitor on 127.0.0.1 that records each ping: (method, path, body)."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, str, str]] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/ping/abc"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        method, path = head.split(" ")[:2]
        length = next(
            (
                int(line.split(":")[1])
                for line in head.split("\r\n")
                if line.lower().startswith("content-length")
            ),
            0,
        )
        body = (await reader.readexactly(length)).decode() if length else ""
        self.pings.append((method, path, body))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
        await writer.drain()
        writer.close()


async def test_the_heartbeat_pings_while_healthy_and_fails_with_the_reason_when_not(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    monitor = Monitor()
    url = await monitor.start()
    settings = make_settings(
        tmp_path,
        fake_telegram.base_url,
        f'[monitoring]\nheartbeat_url = "{url}"\nheartbeat_every = "1s"\nstuck_after = "1m"\n',
    )
    clock = FakeClock(T0)
    try:
        async with run_bot(fake_telegram, settings, clock) as bot:

            def pinged(
                check: Callable[[tuple[str, str, str]], bool],
            ) -> Callable[[], Awaitable[bool | None]]:
                async def probe() -> bool | None:
                    return True if any(check(ping) for ping in monitor.pings) else None

                return probe

            await eventually(pinged(lambda p: p[:2] == ("GET", "/ping/abc")), what="a GET ping")
            azat = bot.fake.add_user(first_name="Azat")
            dilbar = bot.fake.add_user(first_name="Dilbar")
            await say(azat, "/start")
            await add_contact(azat, dilbar)
            # Telegram stops delivering to Dilbar: the SOS waits, undelivered.
            bot.fake.inject_fault(
                "sendMessage", chat_id=dilbar.id, kind="server_error", times=10_000
            )
            await say(azat, "/sos")
            clock.advance(timedelta(minutes=2))
            await eventually(
                pinged(
                    lambda p: (
                        p[:2] == ("POST", "/ping/abc/fail")
                        and p[2].startswith("an alert has waited")
                    )
                ),
                what="a /fail ping with the reason",
            )
    finally:
        await monitor.stop()
    assert TEST_TOKEN not in "".join(body for _, _, body in monitor.pings)


async def test_the_data_folder_and_database_files_are_private_whatever_the_umask(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o022)
    try:
        async with running_bot(tmp_path) as (_process, _config, control):
            user = await control.add_user(first_name="Azat")
            await user.send("/every 12h")
            await user.next_message(timeout=10)
            modes = {
                name: stat.S_IMODE((tmp_path / name).stat().st_mode)
                for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "db.sqlite3.lock")
            }
    finally:
        os.umask(previous)
    assert modes == dict.fromkeys(modes, 0o600)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "stillhere.key").stat().st_mode) == 0o600


def test_health_judges_the_facts_it_reads(tmp_path: Path) -> None:
    """Each condition alone makes the bot unhealthy, with its own one-line reason."""
    now = T0
    tick, stuck = timedelta(seconds=1), timedelta(minutes=5)
    fine = health.Facts(now - timedelta(seconds=1), now - timedelta(seconds=30), None)
    assert health.judge(fine, now, tick, stuck).healthy
    frozen = replace(fine, last_tick_at=now - timedelta(seconds=6))
    assert health.judge(frozen, now, tick, stuck).reason.startswith(
        "the bot has not ticked for 6 s"
    )
    # A slow tick setting widens the window: 3 ticks of 10 s.
    assert health.judge(frozen, now, timedelta(seconds=10), stuck).healthy
    waiting = replace(fine, oldest_alert_at=now - timedelta(minutes=7))
    assert health.judge(waiting, now, tick, stuck).reason.startswith("an alert has waited 7 min")
    silent = replace(fine, telegram_at=now - timedelta(minutes=3))
    assert health.judge(silent, now, tick, stuck).reason == "Telegram has not answered for 3 min"
    never = health.check(tmp_path / "absent.sqlite3", now, tick, stuck)
    assert never.reason.startswith("no database at")
