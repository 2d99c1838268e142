"""Crash and downtime: the real ``python -m bot`` process, killed and restarted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.timestamps import from_db
from tests.conditions import eventually
from tests.conftest import TEST_TOKEN, query
from tests.fake_telegram.fixtures import standalone_fake_telegram

ROOT = Path(__file__).resolve().parent.parent
GRACE = timedelta(seconds=1)


async def start_bot(config: Path, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env |= {"TELEGRAM_TOKEN": TEST_TOKEN, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), env=env, cwd=cwd
    )


async def test_a_deadline_missed_while_the_bot_was_killed_is_alerted_once_after_restart(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        config = tmp_path / "settings.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{base_url}"\n'
            f'[storage]\npath = "{database}"\n'
            '[scheduler]\ntick = "1s"\n'
            '[checkins]\nmin_interval = "1s"\ndefault_grace = "1s"\ndefault_reminder = "off"\n',
            "utf-8",
        )
        first = await start_bot(config, tmp_path)
        await control.wait_until_polling(timeout=20)
        user = await control.add_user(first_name="Azat")
        await user.send("/start")
        await user.next_message(timeout=10)
        await user.send("/every 3s")
        await user.next_message(timeout=10)
        rows = await query(database, "SELECT deadline_at FROM watches")
        due_at = from_db(rows[0]["deadline_at"])

        # SIGKILL: no shutdown code runs. Stay down until the grace is long over;
        # the downtime itself is what this test is about.
        first.kill()
        assert await first.wait() == -signal.SIGKILL
        down_until = due_at + GRACE + timedelta(seconds=1)
        await asyncio.sleep(max(0.0, (down_until - datetime.now(UTC)).total_seconds()))

        second = await start_bot(config, tmp_path)
        try:
            alerts = await eventually(
                lambda: query(database, "SELECT payload FROM outbox WHERE kind = 'alert'"),
                timeout=20,
                what="the alert after the restart",
            )
            payload = json.loads(alerts[0]["payload"])
            assert datetime.fromisoformat(payload["due_at"]) == due_at
            offline_since = datetime.fromisoformat(payload["offline_since"])
            assert offline_since <= due_at
            # Let the restarted sweeper tick a few more times: still one alert.
            seen = await query(database, "SELECT value FROM runtime")

            async def ticked_twice() -> bool:
                now = await query(database, "SELECT value FROM runtime")
                return from_db(now[0]["value"]) >= from_db(seen[0]["value"]) + timedelta(seconds=2)

            await eventually(ticked_twice, timeout=20, what="two more sweeps")
            alerts = await query(database, "SELECT id FROM outbox WHERE kind = 'alert'")
            assert len(alerts) == 1
            incidents = await query(database, "SELECT due_at, offline_since FROM incidents")
            assert len(incidents) == 1
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), timeout=15) == 0
