"""The real bot, with production wiring, against the fake Telegram Bot API."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

from bot.app import serve
from storage.migrations import load_migrations
from tests.conditions import eventually
from tests.conftest import (
    TEST_TOKEN,
    RunningBot,
    make_settings,
    query,
    run_bot,
    start_bot_process,
)
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.fixtures import standalone_fake_telegram


async def test_the_bot_answers_start_and_records_the_person(bot: RunningBot) -> None:
    user = bot.fake.add_user(first_name="Azat", language_code="ru")
    await user.send("/start")
    reply = await user.next_message(timeout=10)
    assert "Still Here" in reply["text"]
    rows = await query(bot, "SELECT language FROM people WHERE telegram_user_id = ?", (user.id,))
    assert rows == [{"language": "ru"}]


async def test_the_database_is_migrated_before_the_bot_polls(bot: RunningBot) -> None:
    rows = await query(bot, "SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in rows] == [m.version for m in load_migrations()]


async def test_polling_survives_server_errors_on_get_updates(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.inject_fault("getUpdates", kind="server_error", times=2)
    fake_telegram.inject_fault("getUpdates", kind="bad_gateway", times=1)
    async with run_bot(fake_telegram, make_settings(tmp_path, fake_telegram.base_url)):
        # run_bot returned: a long poll is in progress after the three failures.
        user = fake_telegram.add_user()
        await user.send("/start")
        reply = await user.next_message(timeout=20)
        assert "Still Here" in reply["text"]
    statuses = [c.status for c in fake_telegram.calls_to("getUpdates")]
    assert statuses[:4] == [500, 500, 502, 200]


async def test_start_up_waits_for_telegram_to_come_back(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.inject_fault("getMe", kind="server_error", times=2)
    async with run_bot(fake_telegram, make_settings(tmp_path, fake_telegram.base_url)):
        user = fake_telegram.add_user()
        await user.send("/start")
        assert "Still Here" in (await user.next_message(timeout=10))["text"]
    assert [c.status for c in fake_telegram.calls_to("getMe")][:3] == [500, 500, 200]


async def test_a_stop_during_start_up_retries_ends_cleanly(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.inject_fault("getMe", kind="server_error", times=1000)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(make_settings(tmp_path, fake_telegram.base_url), FakeClock(), stop)
    )
    await fake_telegram.wait_for_call("getMe", timeout=10)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert not fake_telegram.calls_to("getUpdates")


async def test_the_real_process_answers_start_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    async with standalone_fake_telegram(tmp_path) as (base_url, control):
        config = tmp_path / "settings.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{base_url}"\n[storage]\npath = "db.sqlite3"\n', "utf-8"
        )
        process = await start_bot_process(config, tmp_path, capture_stderr=True)
        assert process.stderr is not None
        try:
            await control.wait_until_polling(timeout=20)
            user = await control.add_user(first_name="Azat")
            await user.send("/start")
            reply = await user.next_message(timeout=10)
            assert "Still Here" in reply["text"]
        finally:
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), timeout=10)
            log = (await process.stderr.read()).decode()
        assert returncode == 0, log
        assert "database closed" in log
        assert TEST_TOKEN.split(":")[1] not in log
        assert (tmp_path / "db.sqlite3").exists()


async def test_a_token_telegram_rejects_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    async with standalone_fake_telegram(tmp_path, token="999:OTHER") as (base_url, _control):
        config = tmp_path / "settings.toml"
        config.write_text(f'[telegram]\nbase_url = "{base_url}"\n', "utf-8")
        process = await start_bot_process(config, tmp_path, capture_stderr=True)
        assert process.stderr is not None
        returncode = await asyncio.wait_for(process.wait(), timeout=20)
        log = (await process.stderr.read()).decode()
    assert returncode == 2
    assert "Telegram rejected the bot token" in log
    assert "Traceback" not in log


async def test_missed_deadlines_are_caught_up_even_while_telegram_is_unreachable(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    clock = FakeClock()
    async with run_bot(fake_telegram, settings, clock):
        user = fake_telegram.add_user()
        await user.send("/every 12h")
        await user.next_message(timeout=10)
    # Down for a day; when it comes back, Telegram does not answer at first.
    clock.advance(timedelta(days=1))
    fake_telegram.inject_fault("getMe", kind="server_error", times=1000)
    stop = asyncio.Event()
    since = len(fake_telegram.calls)
    task = asyncio.create_task(serve(settings, clock, stop))
    try:
        opened = await eventually(
            lambda: query(settings.storage.path, "SELECT offline_since FROM incidents"),
            what="the catch-up before Telegram answers",
        )
        assert opened[0]["offline_since"] is not None
        later = fake_telegram.calls[since:]
        assert all(call.method == "getMe" and call.status == 500 for call in later)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
