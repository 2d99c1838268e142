"""Every command that could silence the alarm, with and without a PIN, in grace and outside it.

A captor holding the phone must not be able to push back or clear an alert: with
a PIN set each command waits for it and changes nothing meanwhile; a plan change
never clears a pending deadline; only a check-in does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from storage.timestamps import to_db
from tests.conftest import RunningBot, make_settings, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.scenarios import (
    INSTRUCTIONS,
    PIN,
    activist_and_contact,
    everything_that_decides_an_alert,
    instruction_rows,
    texts,
    watch_row,
)
from tests.test_alerts_e2e import ALERT_SETTINGS, DEADLINE, GRACE_ENDS, T0, say, sweep_at
from tests.test_pins_e2e import enter

IN_GRACE = DEADLINE + timedelta(seconds=1)
OUTSIDE_GRACE = T0 + timedelta(hours=1)
MISSED = "🚨 Azat missed a check-in."
LOCKED = "🔒 Enter your PIN."
STILL_DUE = "Check in now."


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


@dataclass(frozen=True)
class Case:
    """One silencing command and what the activist should read once the true PIN is given."""

    command: str
    # The reply once unlocked, in grace and outside it (a prefix).
    in_grace: str
    outside: str
    # Refused before any PIN is asked: nothing to unlock.
    refused: str | None = None


PLAN_SET = "Plan set: check in every"
CASES = [
    Case("/every 12h", PLAN_SET, PLAN_SET),
    Case("/every 3650d", "", "", refused="That is too long: the longest interval is 7 days."),
    Case("/every 7d", PLAN_SET, PLAN_SET),
    Case("/at 08:00", "Plan set: check in daily at", "Plan set: check in daily at"),
    Case("/tz UTC", "Time zone set: UTC.", "Time zone set: UTC."),
    Case(
        "/tz Pacific/Kiritimati",
        "Time zone set: Pacific/Kiritimati.",
        "Time zone set: Pacific/Kiritimati.",
    ),
    Case(
        "/grace 1d",
        "Your check-in is due now, so a longer grace would delay the alert. Check in first",
        "Grace set: your contacts are alerted 1 day after a missed check-in.",
    ),
    Case(
        "/grace 5m",
        "Grace set: your contacts are alerted 5 minutes after a missed check-in.",
        "Grace set: your contacts are alerted 5 minutes after a missed check-in.",
    ),
    Case("/remind off", "Reminders are off.", "Reminders are off."),
    Case("/pause 3d", "⏸ Paused.", "⏸ Paused."),
    Case("/resume", "Your watch is not paused.", "Your watch is not paused."),
    Case("/instructions off", "Instructions deleted.", "Instructions deleted."),
    Case("/instructions new text", "🔒 Instructions saved.", "🔒 Instructions saved."),
]
IDS = [case.command for case in CASES]


async def prompted_in_grace(bot: RunningBot, azat: SimUser) -> None:
    """Let the deadline pass; Azat is prompted to check in."""
    await sweep_at(bot, IN_GRACE)
    prompt = await azat.next_message(timeout=10)
    assert prompt["text"].startswith("⚠️ Your check-in was due")


async def command_waits_for_the_pin(
    bot: RunningBot, azat: SimUser, dilbar: SimUser, case: Case
) -> None:
    """Send the command: it asks for the PIN (or is refused) and changes nothing meanwhile."""
    before = await everything_that_decides_an_alert(bot)
    contact_saw = texts(dilbar)
    reply = await say(azat, case.command)
    assert reply["text"].startswith(case.refused or LOCKED), reply["text"]
    assert await everything_that_decides_an_alert(bot) == before
    assert texts(dilbar) == contact_saw


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_with_a_pin_no_command_in_grace_stops_the_alert_except_a_pause_by_the_activist(
    bot: RunningBot, case: Case
) -> None:
    azat, dilbar = await activist_and_contact(bot, instructions=True)
    await prompted_in_grace(bot, azat)
    pending = await watch_row(bot)
    assert pending["state"] == "due"
    await command_waits_for_the_pin(bot, azat, dilbar, case)
    if case.refused is None:
        reply = (await enter(azat, PIN))["text"]
        assert reply.startswith(case.in_grace), reply
    after = await watch_row(bot)
    assert after["last_checkin_at"] is None
    if case.command.startswith("/pause"):
        # The activist's own, PIN-confirmed pause is honoured, and says until when.
        assert after["state"] == "paused"
        assert after["paused_until"] == to_db(IN_GRACE + timedelta(days=3))
        assert "Paused until" in reply
        await sweep_at(bot, GRACE_ENDS + timedelta(hours=1))
        assert not any(text.startswith(MISSED) for text in texts(dilbar))
        return
    # The deadline stays passed and grace runs on; the reply says a check-in is still due.
    assert after["state"] == "due"
    assert after["deadline_at"] == pending["deadline_at"]
    assert after["grace_seconds"] <= pending["grace_seconds"]
    if case.refused is None and not case.command.startswith(("/instructions", "/resume")):
        assert STILL_DUE in reply or "Check in first with /ok" in reply, reply
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=1))
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith(MISSED)
    if case.command == "/instructions new text":
        assert "new text" in alert["text"]
    if case.command == "/instructions off":
        assert INSTRUCTIONS not in alert["text"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_with_a_pin_no_command_outside_grace_moves_the_deadline_away_or_checks_in(
    bot: RunningBot, case: Case
) -> None:
    azat, dilbar = await activist_and_contact(bot, instructions=True)
    bot.clock.set(OUTSIDE_GRACE)
    waiting = await watch_row(bot)
    assert waiting["state"] == "ok"
    assert waiting["deadline_at"] == to_db(DEADLINE)
    await command_waits_for_the_pin(bot, azat, dilbar, case)
    if case.refused is None:
        reply = (await enter(azat, PIN))["text"]
        assert reply.startswith(case.outside), reply
    after = await watch_row(bot)
    assert after["last_checkin_at"] is None
    if case.command.startswith("/pause"):
        assert after["state"] == "paused"
        assert after["paused_until"] == to_db(OUTSIDE_GRACE + timedelta(days=3))
        return
    assert after["state"] == "ok"
    assert after["deadline_at"] <= waiting["deadline_at"]
    if case.command == "/instructions off":
        assert await instruction_rows(bot) == []
    # The alert still comes, when the (possibly shorter, or PIN-confirmed longer) grace ends.
    grace = timedelta(seconds=after["grace_seconds"])
    await sweep_at(bot, DEADLINE + grace + timedelta(seconds=1))
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith(MISSED)


WITHOUT_PIN = [
    ("/every 12h", PLAN_SET),
    ("/every 7d", PLAN_SET),
    ("/at 08:00", "Plan set: check in daily at"),
    ("/tz UTC", "Time zone set: UTC."),
    ("/tz Pacific/Kiritimati", "Time zone set: Pacific/Kiritimati."),
    ("/grace 1d", "Your check-in is due now, so a longer grace would delay the alert."),
    ("/grace 5m", "Grace set:"),
    ("/remind off", "Reminders are off."),
    ("/resume", "Your watch is not paused."),
    ("/instructions off", "Instructions deleted."),
    ("/instructions new text", "🔒 Instructions saved."),
]


@pytest.mark.parametrize(("command", "answer"), WITHOUT_PIN, ids=[c for c, _ in WITHOUT_PIN])
async def test_without_a_pin_a_plan_command_in_grace_never_clears_the_pending_deadline(
    bot: RunningBot, command: str, answer: str
) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None, instructions=True)
    await prompted_in_grace(bot, azat)
    pending = await watch_row(bot)
    reply = (await say(azat, command))["text"]
    assert reply.startswith(answer), reply
    after = await watch_row(bot)
    assert (after["state"], after["deadline_at"]) == ("due", pending["deadline_at"])
    assert after["last_checkin_at"] is None
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=1))
    assert (await dilbar.next_message(timeout=10))["text"].startswith(MISSED)


@pytest.mark.parametrize("command", ["/tz UTC", "/every 12h"])
@pytest.mark.parametrize("pin", [None, PIN], ids=["no PIN", "PIN"])
async def test_repeating_a_plan_command_outside_grace_is_never_a_check_in(
    bot: RunningBot, command: str, pin: str | None
) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=pin)
    for hour in range(1, 12):
        bot.clock.set(T0 + timedelta(hours=hour))
        reply = await say(azat, command)
        if pin is not None:
            assert reply["text"] == LOCKED
            reply = await enter(azat, pin)
        assert not reply["text"].startswith("✅ Checked in."), reply["text"]
        row = await watch_row(bot)
        assert row["last_checkin_at"] is None
        assert row["deadline_at"] == to_db(DEADLINE)
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=1))
    assert (await dilbar.next_message(timeout=10))["text"].startswith(MISSED)
