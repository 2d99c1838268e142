"""Logs an operator can read: one line per incident event, one per outage, never content."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conditions import eventually
from tests.conftest import RunningBot, kept, make_settings, run_bot
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

WORDS = "Police at the door, they have a warrant"


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


def lines(caplog: pytest.LogCaptureFixture, *names: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name in names]


async def test_a_whole_alert_story_is_in_the_log_by_ids_and_nothing_else(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await kept(azat, WORDS)
    await sweep_at(bot, GRACE_ENDS)
    alert = await dilbar.next_message(timeout=10)
    await dilbar.press(alert["message_id"], "🙋 I'm on it")
    await eventually(
        lambda: _logged(caplog, "acknowledged by contact"), what="the acknowledgement logged"
    )
    await say(azat, "/ok")
    await eventually(lambda: _logged(caplog, "closed"), what="the all-clear logged")
    story = lines(caplog, "bot.services.alerting")
    assert story == [
        "incident 1 opened for person 1: missed, 1 contact(s) alerted",
        "incident 1 acknowledged by contact 1",
        "incident 1 closed: person 1 checked in",
    ]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("Police", "Azat", "Dilbar", str(azat.id), str(dilbar.id)):
        assert secret not in everything


async def _logged(caplog: pytest.LogCaptureFixture, words: str) -> bool | None:
    return True if any(words in r.getMessage() for r in caplog.records) else None


async def test_a_telegram_outage_is_one_line_when_it_starts_and_one_when_it_ends(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot.fake.inject_fault("getUpdates", kind="server_error", times=2)
    await eventually(
        lambda: _logged(caplog, "cannot reach Telegram"), timeout=20, what="the outage line"
    )
    # Someone writes meanwhile: the first poll that gets through brings it at once.
    user = bot.fake.add_user()
    await user.send("/help")
    await user.next_message(timeout=20)
    await eventually(lambda: _logged(caplog, "Telegram answers again"), what="the recovery line")
    outage = lines(caplog, "bot.heartbeat")
    assert len([line for line in outage if line.startswith("cannot reach Telegram")]) == 1
    assert len([line for line in outage if line.startswith("Telegram answers again")]) == 1
    # No traceback from the library at each retry.
    assert not [r for r in caplog.records if r.name.startswith("telegram") and r.exc_info]
    assert caplog.records[-1].levelno < logging.ERROR


async def test_an_update_the_library_cannot_parse_is_skipped_by_type_and_the_bot_goes_on(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    azat = bot.fake.add_user(first_name="Azat")
    bot.fake.inject_update(
        {
            "message": {
                "message_id": 1,
                "date": "soon",
                "chat": {"id": azat.id, "type": "private", "first_name": "Zuhra Secretname"},
                "text": "my words",
            }
        }
    )
    await azat.send("/start")
    reply = await azat.next_message(timeout=10)
    assert "Still Here" in reply["text"]
    skipped = [r.getMessage() for r in caplog.records if r.name == "bot.tracking"]
    assert "skipped an update the library cannot parse (type: ['message'])" in skipped
    assert bot.fake.pending_updates == []
    # Asked again and again, the same batch would stall the bot: it was fetched once more.
    assert len(bot.fake.calls_to("getUpdates")) < 20
