"""When sweeps run: every tick, and at the very moment something falls due between ticks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import make_settings, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_alerts_e2e import GRACE_ENDS, T0, activist_with_plan, add_contact

# Far longer than the test waits: an alert that came only with the next tick would time out.
SLOW_TICK = '[scheduler]\ntick = "60s"\n'


async def test_grace_ending_between_two_ticks_alerts_at_its_moment_not_a_tick_later(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake_telegram.base_url, SLOW_TICK)
    clock = FakeClock(T0)
    async with run_bot(fake_telegram, settings, clock) as bot:
        azat = await activist_with_plan(bot)
        dilbar = bot.fake.add_user(first_name="Dilbar")
        await add_contact(azat, dilbar)
    # Back half a second before grace ends: the sweep at start prompts Azat, and the
    # next tick is a minute away.
    clock.set(GRACE_ENDS - timedelta(milliseconds=500))
    async with run_bot(fake_telegram, settings, clock):
        prompt = await azat.next_message(timeout=10)
        assert prompt["text"].startswith("⚠️ Your check-in was due")
        clock.set(GRACE_ENDS)
        alert = await dilbar.next_message(timeout=10)
        assert alert["text"].startswith("🚨 Azat missed a check-in.")
