"""The duress PIN at every PIN prompt: the phone's transcript is the true PIN's, to the byte.

Each scenario is what a captor holding the phone might type. It runs twice on
fresh bots: once answered with the true PIN, once with the duress PIN. The
activist's chat must show exactly the same, now and in the views that follow
(``/status``, ``/contacts``, ``/ok``, the next prompt from the sweeper), while
only the duress run alerts the contact of possible coercion.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conditions import eventually
from tests.conftest import RunningBot, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_alerts_e2e import T0, add_contact, say, sweep_at
from tests.test_pins_e2e import set_pins

TRUE_PIN = "2468"
DURESS_PIN = "1357"
# Typed where the scenario enters "the PIN": the true one, or the duress one.
PIN = "<pin>"
PROMPT = "🔒 Enter your PIN."
# A code in a link, or in a link inside a share button's URL (its "=" encoded).
_CODE = re.compile(r"(start|startgroup)(=|%3D)[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class Press:
    """Press the button labelled ``label`` on the newest bot message that has it."""

    label: str


Step = str | Press


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    # The PIN the phone believes in afterwards (None: it believes there is none).
    pin_after: str | None = PIN
    # Start after a missed check-in has alerted the contact (the captor came late).
    overdue: bool = False


SCENARIOS = [
    Scenario("check in", ("/ok", PIN)),
    Scenario("the pin typed unasked", (PIN,)),
    Scenario("every", ("/every 24h", PIN)),
    Scenario("at", ("/at 08:00", PIN)),
    Scenario("zone", ("/tz Europe/Berlin", PIN)),
    Scenario("grace", ("/grace 2h", PIN)),
    Scenario("reminders off", ("/remind off", PIN)),
    Scenario("pause", ("/pause 3d", PIN)),
    Scenario("pause and resume", ("/pause 3d", PIN, "/resume", PIN)),
    Scenario("instructions off", ("/instructions off", PIN)),
    Scenario("instructions", ("/instructions Everything is fine, ignore alerts", PIN)),
    Scenario("invite", ("/invite 2", PIN)),
    Scenario("remove contact", ("/contacts", Press("Remove Dilbar"), PIN)),
    Scenario("new pin", ("/pin", PIN, "9999", "9999"), pin_after="9999"),
    Scenario("the same pin again", ("/pin", PIN, PIN, PIN)),
    Scenario("pin off", ("/pin off", PIN), pin_after=None),
    Scenario("new duress pin", ("/duress", PIN, "5555", "5555")),
    Scenario("wipe", ("/wipe", Press("🧹 Yes, wipe"), PIN)),
    Scenario("forget", ("/forget", Press("Yes, forget me"), PIN), pin_after=None),
    Scenario("check in after an alert", ("/ok", PIN), overdue=True),
    Scenario("pause after an alert", ("/pause 1d", PIN), overdue=True),
    Scenario("longer grace after an alert", ("/grace 1d", PIN), overdue=True),
    Scenario(
        "remove contact after an alert", ("/contacts", Press("Remove Dilbar"), PIN), overdue=True
    ),
]


@dataclass
class Run:
    transcript: list[tuple[str, dict[str, Any]]]
    contact_got: list[str]


async def _idle(bot: RunningBot) -> None:
    """Wait until the outbox has nothing left to send."""

    async def drained() -> bool:
        rows = await query(bot, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
        return rows[0]["n"] == 0

    await eventually(drained, what="an empty outbox")


async def _step(user: SimUser, step: Step, pin: str, bot: RunningBot) -> dict[str, Any]:
    if isinstance(step, Press):
        message = next(
            m for m in reversed(user.messages) if step.label in str(m.data.get("reply_markup"))
        )
        await user.press(message.data["message_id"], step.label)
        return await user.next_message(timeout=10)
    return await say(user, pin if step == PIN else step)


async def _play(fake: FakeTelegram, tmp_path: Path, scenario: Scenario, pin: str) -> Run:
    """Play ``scenario`` answering with ``pin``; return the phone's transcript and the contact's."""
    tmp_path.mkdir()  # noqa: ASYNC240 -- a test's own scratch folder, instant
    settings = make_settings(tmp_path, fake.base_url)
    async with run_bot(fake, settings, FakeClock(T0)) as bot:
        azat = fake.add_user(first_name="Azat")
        dilbar = fake.add_user(first_name="Dilbar")
        await say(azat, "/start")
        await say(azat, "/every 12h")
        await say(azat, "/instructions Call lawyer Begench")
        await add_contact(azat, dilbar)
        await set_pins(azat, TRUE_PIN, duress=DURESS_PIN)
        if scenario.overdue:
            await sweep_at(bot, T0 + timedelta(hours=12, minutes=31))
            assert (await dilbar.next_message(timeout=10))["text"].startswith("🚨 Azat missed")
        await _idle(bot)
        since = len(fake.calls)
        for step in scenario.steps:
            await _step(azat, step, pin, bot)
        # What the phone shows later, as anyone holding it would look.
        await say(azat, "/status")
        await say(azat, "/contacts")
        if (await say(azat, "/ok"))["text"] == PROMPT:
            believed = scenario.pin_after
            await say(azat, pin if believed == PIN else (believed or ""))
        await sweep_at(bot, bot.clock.now() + timedelta(hours=12, minutes=1))
        await _idle(bot)
        await say(azat, "/status")
        transcript = [
            (call.method, _normal(call.params))
            for call in fake.calls[since:]
            if call.method != "getUpdates"
            and (call.params.get("chat_id") == azat.id or call.method == "answerCallbackQuery")
        ]
        contact_got = [str(m.data.get("text", "")) for m in dilbar.messages]
        assert not bot.task.done()
    return Run(transcript, contact_got)


def _normal(params: dict[str, Any]) -> dict[str, Any]:
    """Drop what differs between any two runs: invitation codes, callback query ids."""
    normal = {k: v for k, v in params.items() if k != "callback_query_id"}
    for field in ("text", "reply_markup"):
        if field in normal:
            written = json.dumps(normal[field], ensure_ascii=False)
            normal[field] = json.loads(_CODE.sub(r"\1\2<code>", written))
    return normal


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_the_duress_pin_shows_the_phone_exactly_what_the_true_pin_shows(
    scenario: Scenario, tmp_path: Path
) -> None:
    async with FakeTelegram() as fake:
        real = await _play(fake, tmp_path / "true", scenario, TRUE_PIN)
    async with FakeTelegram() as fake:
        forced = await _play(fake, tmp_path / "duress", scenario, DURESS_PIN)
    assert forced.transcript == real.transcript
    coercion = [t for t in forced.contact_got if t.startswith("⚠️ POSSIBLE COERCION")]
    assert coercion, forced.contact_got
    assert not any("POSSIBLE COERCION" in t for t in real.contact_got)
    # Nothing the captor does under duress tells the contacts all is well.
    assert not any(t.startswith("✅ All clear") for t in forced.contact_got)


async def _activist_under_watch(bot: RunningBot) -> tuple[SimUser, SimUser]:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    await say(azat, "/every 12h")
    await add_contact(azat, dilbar)
    await set_pins(azat, TRUE_PIN, duress=DURESS_PIN)
    return azat, dilbar


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with run_bot(fake_telegram, make_settings(tmp_path, fake_telegram.base_url)) as running:
        yield running


async def test_a_phone_shown_its_pin_removed_is_freed_by_choosing_the_true_pin_again(
    bot: RunningBot,
) -> None:
    azat, dilbar = await _activist_under_watch(bot)
    assert (await say(azat, "/pin off"))["text"] == PROMPT
    assert (await say(azat, DURESS_PIN))["text"] == "PIN removed."
    assert (await dilbar.next_message(timeout=10))["text"].startswith("⚠️ POSSIBLE COERCION")
    # The phone asks for no PIN now, and nothing done on it ends the alarm.
    assert (await say(azat, "/ok"))["text"].startswith("✅ Checked in.")
    assert (await query(bot, "SELECT count(*) AS n FROM incidents WHERE closed_at IS NULL"))[0][
        "n"
    ] == 1
    # The activist, free again, chooses their true PIN and checks in with it.
    assert (await say(azat, "/pin"))["text"].startswith("Send the PIN you want")
    await say(azat, TRUE_PIN)
    assert (await say(azat, TRUE_PIN))["text"].startswith("🔒 PIN set.")
    assert (await say(azat, "/ok"))["text"] == PROMPT
    done = await say(azat, TRUE_PIN)
    assert "Your contacts are being told that you are safe." in done["text"]
    assert (await dilbar.next_message(timeout=10))["text"].startswith("✅ All clear")
    assert await query(bot, "SELECT * FROM phone_views") == []
    assert await query(bot, "SELECT * FROM incidents WHERE closed_at IS NULL") == []


async def test_a_pin_the_captor_chose_keeps_raising_the_alarm_after_the_all_clear(
    bot: RunningBot,
) -> None:
    azat, dilbar = await _activist_under_watch(bot)
    await say(azat, "/pin")
    await say(azat, DURESS_PIN)
    await say(azat, "9999")
    assert (await say(azat, "9999"))["text"].startswith("🔒 PIN set.")
    assert (await dilbar.next_message(timeout=10))["text"].startswith("⚠️ POSSIBLE COERCION")
    # The true PIN still is the PIN: it checks in and ends the alarm.
    await say(azat, "/ok")
    await say(azat, TRUE_PIN)
    assert (await dilbar.next_message(timeout=10))["text"].startswith("✅ All clear")
    # Later the captor's PIN is accepted as if it were the PIN, and alerts again.
    await say(azat, "/ok")
    assert (await say(azat, "9999"))["text"].startswith("✅ Checked in.")
    assert (await dilbar.next_message(timeout=10))["text"].startswith("⚠️ POSSIBLE COERCION")
