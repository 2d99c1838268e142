"""Catch-up grace: after a long downtime (or a restore), prompt first, alert later."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SchedulerSettings
from tests.conftest import make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.scenarios import texts
from tests.test_alerts_e2e import T0, activist_with_plan, add_contact, sweep_at

HOLD = timedelta(minutes=10)


@pytest.mark.parametrize("checks_in", [False, True], ids=["no answer", "checks in"])
async def test_deadlines_missed_while_down_prompt_first_and_alert_after_the_catch_up_grace(
    fake_telegram: FakeTelegram, tmp_path: Path, checks_in: bool
) -> None:
    base = make_settings(tmp_path, fake_telegram.base_url)
    settings = replace(
        base, scheduler=SchedulerSettings(tick=base.scheduler.tick, catch_up_grace=HOLD)
    )
    clock = FakeClock(T0)
    async with run_bot(fake_telegram, settings, clock) as bot:
        azat = await activist_with_plan(bot)
        dilbar = bot.fake.add_user(first_name="Dilbar")
        await add_contact(azat, dilbar)
    # Down for a day: the 21:00 deadline and its grace passed meanwhile.
    clock.advance(timedelta(days=1))
    back = clock.now()
    async with run_bot(fake_telegram, settings, clock) as bot:
        prompt = await azat.next_message(timeout=10)
        assert prompt["text"].startswith("⚠️ Your check-in was due at Sun, Mar 1 21:00.")
        assert "alerted at Mon, Mar 2 09:10" in prompt["text"]
        await sweep_at(bot, back + HOLD / 2)
        assert [t for t in texts(dilbar) if t.startswith("🚨")] == []
        assert await query(bot, "SELECT * FROM incidents") == []
        if checks_in:
            await azat.send("/ok")
            assert (await azat.next_message(timeout=10))["text"].startswith("✅ Checked in.")
        await sweep_at(bot, back + HOLD + timedelta(seconds=1))
        if checks_in:
            assert await query(bot, "SELECT * FROM incidents") == []
            assert [t for t in texts(dilbar) if t.startswith("🚨")] == []
        else:
            alert = await dilbar.next_message(timeout=10)
            assert alert["text"].startswith("🚨 Azat missed a check-in.")
            assert "⚠️ The bot was offline from" in alert["text"]
        # One prompt, not one per tick of the hold.
        assert len([t for t in texts(azat) if t.startswith("⚠️ Your check-in was due")]) == 1
