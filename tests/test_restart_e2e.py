"""Crash and downtime: the real ``python -m bot`` process, killed and restarted."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.timestamps import from_db
from tests.conditions import eventually
from tests.conftest import query, start_bot_process
from tests.fake_telegram.fixtures import standalone_fake_telegram

GRACE = timedelta(seconds=1)


def fast_config(tmp_path: Path, base_url: str, database: Path, extra: str = "") -> Path:
    """Write settings for a real process whose deadlines pass in seconds."""
    config = tmp_path / "settings.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n'
        f'[storage]\npath = "{database}"\n'
        '[scheduler]\ntick = "1s"\n'
        '[checkins]\nmin_interval = "1s"\ndefault_grace = "1s"\ndefault_reminder = "off"\n' + extra,
        "utf-8",
    )
    return config


async def test_a_deadline_missed_while_the_bot_was_killed_is_alerted_once_after_restart(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        config = fast_config(tmp_path, base_url, database)
        first = await start_bot_process(config, tmp_path)
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

        second = await start_bot_process(config, tmp_path)
        try:
            opened = await eventually(
                lambda: query(database, "SELECT due_at, offline_since FROM incidents"),
                timeout=20,
                what="the alert after the restart",
            )
            assert from_db(opened[0]["due_at"]) == due_at
            assert from_db(opened[0]["offline_since"]) <= due_at
            # Let the restarted sweeper tick a few more times: still one alert.
            seen = await query(database, "SELECT value FROM runtime WHERE key = 'last_tick_at'")

            async def ticked_twice() -> bool:
                now = await query(database, "SELECT value FROM runtime WHERE key = 'last_tick_at'")
                return from_db(now[0]["value"]) >= from_db(seen[0]["value"]) + timedelta(seconds=2)

            await eventually(ticked_twice, timeout=20, what="two more sweeps")
            incidents = await query(database, "SELECT due_at, offline_since FROM incidents")
            assert len(incidents) == 1
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), timeout=15) == 0


async def test_a_crash_in_the_middle_of_a_fan_out_loses_no_alert_and_repeats_at_most_one(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        config = fast_config(
            tmp_path, base_url, database, '[alerts]\nrepeat_max = 0\nescalate_after = "1d"\n'
        )
        first = await start_bot_process(config, tmp_path)
        await control.wait_until_polling(timeout=20)
        activist = await control.add_user(first_name="Azat")
        await activist.send("/start")
        await activist.next_message(timeout=10)
        contacts = []
        for number in range(12):
            contact = await control.add_user(first_name=f"Contact{number}")
            await activist.send("/invite 1")
            invitation = await activist.next_message(timeout=10)
            code = invitation["text"].split("?start=")[1].split()[0]
            await contact.send(f"/start {code}")
            offer = await contact.next_message(timeout=10)
            await contact.press(offer["message_id"], "✅ Accept")
            await activist.next_message(timeout=10)  # "... accepted your invitation"
            # Every alert send takes effect at once but is answered only 1.5 s later:
            # a crash in that window leaves a delivered message not marked as sent.
            await control.inject_fault("sendMessage", chat_id=contact.id, kind="slow", delay=1.5)
            contacts.append(contact)

        await activist.send("/every 2s")
        await activist.next_message(timeout=10)
        first_alert = await contacts[0].next_message(timeout=20)
        assert first_alert["text"].startswith("🚨 Azat missed a check-in.")
        first.kill()
        assert await first.wait() == -signal.SIGKILL
        pending = await query(
            database, "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'alert' AND status = 'pending'"
        )
        assert pending[0]["n"] > 0, "the crash came after the fan-out; nothing was tested"

        second = await start_bot_process(config, tmp_path)
        try:
            await eventually(
                lambda: _all_sent(database), timeout=30, what="every alert marked as sent"
            )
            for contact in contacts:
                texts = [
                    m["message"].get("text", "")
                    for m in await contact.messages()
                    if m["message"].get("text", "").startswith("🚨")
                ]
                assert 1 <= len(texts) <= 2, (contact.id, texts)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), timeout=15) == 0


async def _all_sent(database: Path) -> bool:
    rows = await query(database, "SELECT status FROM outbox WHERE kind = 'alert'")
    return len(rows) == 12 and all(row["status"] == "sent" for row in rows)
