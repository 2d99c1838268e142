"""The pieces every benchmark run shares: a workspace, the fake, the bot process, probes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_telegram.state import ChatState

TOKEN = "123:BENCH"  # noqa: S105 -- the fake's token, not a secret
ROOT = Path(__file__).resolve().parent.parent
# How often the probe looks for newly queued alerts (the reviewer used 20 ms).
POLL_SECONDS = 0.01


def write_config(directory: Path, database: Path, key_file: Path, base_url: str) -> Path:
    """Write production-like settings (1 s tick) pointing at ``database`` and the fake."""
    config = directory / "settings.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n'
        f'[storage]\npath = "{database}"\n'
        f'[security]\nkey_file = "{key_file}"\n'
        '[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    return config


def copy_database(template: Path, target: Path) -> Path:
    """Copy a seeded (closed, checkpointed) database file for one run, on disk.

    Flushed before the bot starts: otherwise the disk is still writing the copy's
    tens of megabytes back while the bot runs, and every commit's flush waits
    behind that, which a bot restarting on its own database never meets.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    with target.open("rb") as copied:
        os.fsync(copied.fileno())
    return target


def add_started_chats(fake: FakeTelegram, chat_ids: Iterable[int]) -> None:
    """Make private chats the bot may write to (their people pressed Start)."""
    for chat_id in chat_ids:
        info = {"id": chat_id, "type": "private", "first_name": f"P{chat_id}"}
        fake.world.chats[chat_id] = ChatState(info=info, started=True)


def sim_user(fake: FakeTelegram, telegram_user_id: int) -> SimUser:
    """Return a simulated person for an already added private chat."""
    user = {"id": telegram_user_id, "is_bot": False, "first_name": f"P{telegram_user_id}"}
    user["language_code"] = "en"
    return SimUser(fake.world, user)


@contextlib.asynccontextmanager
async def bot_process(
    config: Path, clock_offset: float, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run ``python -m bench.bot_process`` until the block ends, then kill it.

    Killed, not stopped: the run is over and nothing it left behind is measured.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STILLHERE_"))}
    env |= {
        "TELEGRAM_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
        "BENCH_CLOCK_OFFSET": repr(clock_offset),
    }
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bot_process",
            "--config",
            str(config),
            env=env,
            cwd=ROOT,
            stderr=stderr,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


def check_alive(process: asyncio.subprocess.Process, log: Path) -> None:
    """Raise with the bot's log if it died."""
    if process.returncode is not None:
        tail = log.read_text("utf-8", "replace")[-3000:]
        raise RuntimeError(f"the bot exited with {process.returncode}:\n{tail}")


@dataclass
class QueuedAlerts:
    """Watch a database from a second connection and note when each alert became visible.

    An incident's outbox rows commit in the same transaction as the watch's new state,
    so the moment they are visible is the moment the alert is queued.
    ``outbox.created_at`` cannot tell: it holds the sweep's ``now``, not its commit.
    """

    path: Path
    seen: dict[int, float] = field(default_factory=dict)  # person id -> time.monotonic()
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll, name="queued-alerts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _poll(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=5000")
        last = 0
        try:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT id, person_id FROM outbox WHERE id > ? AND incident_id IS NOT NULL "
                    "ORDER BY id",
                    (last,),
                ).fetchall()
                now = time.monotonic()
                for row_id, person_id in rows:
                    self.seen.setdefault(int(person_id), now)
                    last = max(last, int(row_id))
                self._stop.wait(POLL_SECONDS)
        finally:
            connection.close()


@dataclass
class RecordedCheckins:
    """Watch a database from a second connection and count check-ins recorded since ``since``.

    A check-in commits the watch's ``last_checkin_at``; counting those rows tells how
    fast the bot records check-ins, whatever pace Telegram lets it answer them at.
    """

    path: Path
    since: str  # the stored form of the moment after which check-ins count
    counts: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, recorded)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll, name="recorded-checkins", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def reached(self, count: int) -> float | None:
        """Return when at least ``count`` check-ins were first seen recorded."""
        return next((at for at, seen in self.counts if seen >= count), None)

    def _poll(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._stop.is_set():
                (count,) = connection.execute(
                    "SELECT count(*) FROM watches WHERE last_checkin_at > ?", (self.since,)
                ).fetchone()
                self.counts.append((time.monotonic(), int(count)))
                self._stop.wait(POLL_SECONDS)
        finally:
            connection.close()


async def wait_until(predicate: Any, timeout: float, process: Any, log: Path) -> bool:  # noqa: ASYNC109 -- a bounded benchmark wait
    """Poll ``predicate`` every 50 ms until true (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        check_alive(process, log)
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, key: str = "VmRSS") -> float:
    """Return a process's resident memory (or peak, ``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(key)
