"""Damaged rows and Telegram errors never silence anyone, nor tell things out of order.

Reproductions of the security review's H4: one context item, the instructions
or a contact's name that cannot be opened (sealed for another row, or under
another key) must not stop the activist's SOS or missed-deadline alert.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.database import Database
from tests.conditions import eventually
from tests.conftest import RunningBot, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_alerts_e2e import (
    ALERT_SETTINGS,
    GRACE_ENDS,
    T0,
    activist_with_plan,
    add_contact,
    say,
    sweep_at,
)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def damage(bot: RunningBot, sql: str) -> None:
    """Write to the bot's database behind its back, as a failing disk or a bad restore would."""
    database = await Database.open(bot.settings.storage.path)
    try:
        async with database.transaction() as tx:
            assert await tx.execute(sql) >= 1
    finally:
        await database.close()


async def test_an_unreadable_context_item_is_left_out_and_the_sos_still_alerts(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await kept(azat, "First words")
    await kept(azat, "Last words")
    # The newest item gets the ciphertext of the other: its row binding refuses it.
    await damage(
        bot,
        "UPDATE context_items SET body = (SELECT body FROM context_items ORDER BY id LIMIT 1) "
        "WHERE id = (SELECT max(id) FROM context_items)",
    )
    assert (await say(azat, "/sos"))["text"].startswith("🆘 SOS raised.")
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🆘 SOS from Azat.")
    assert "First words" in alert
    assert "Last words" not in alert
    assert "⚠️ 1 kept message could not be read and is left out." in alert


async def test_unreadable_instructions_and_name_never_stop_a_missed_deadline_alert(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await say(azat, "/instructions Call lawyer Begench")
    await kept(azat, "On my way to the office")
    await damage(bot, "UPDATE instructions SET body = 'v1.AAAA'")
    await damage(bot, "UPDATE contacts SET display_name = 'v1.AAAA'")
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=1))
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🚨 Azat missed a check-in.")
    assert "On my way to the office" in alert
    assert "Call lawyer" not in alert
    assert "⚠️ 1 kept message could not be read and is left out." in alert
    rows = await query(bot, "SELECT reason FROM incidents")
    assert [row["reason"] for row in rows] == ["missed"]


async def test_an_alert_delayed_by_an_error_carries_its_all_clear_and_is_never_overtaken(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    bot.fake.inject_fault("sendMessage", chat_id=dilbar.id, kind="bad_gateway")
    await say(azat, "/sos")
    await eventually(lambda: _failed_once(bot, dilbar.id), what="the SOS to Dilbar failing once")
    assert (await say(azat, "/ok"))["text"].startswith("✅ Checked in.")
    bot.clock.advance(timedelta(seconds=3))
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🆘 SOS from Azat.")
    assert "✅ Update: Azat checked in at" in alert
    await eventually(lambda: _nothing_pending(bot), what="an empty outbox")
    assert [m.data["text"] for m in dilbar.messages][-1] == alert


async def _failed_once(bot: RunningBot, chat_id: int) -> bool:
    return any(c.status != 200 for c in bot.fake.calls_to("sendMessage", chat_id=chat_id))


async def _nothing_pending(bot: RunningBot) -> bool:
    rows = await query(bot, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
    return rows[0]["n"] == 0
