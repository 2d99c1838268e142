""" "Are you OK?" end to end: a contact asks, the activist answers or everyone hears."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.callbacks import Action, encode
from tests.conftest import RunningBot, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.scenarios import DURESS, PIN, activist_and_contact, texts
from tests.test_alerts_e2e import ALERT_SETTINGS, T0, add_contact, say, sweep_at
from tests.test_pins_e2e import enter

M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


def alerts(user: SimUser) -> list[str]:
    return [text for text in texts(user) if text.startswith("🚨")]


async def test_a_contact_asks_and_the_activist_answers_in_time(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    asked = await say(dilbar, "/ask")
    assert asked["text"] == (
        "❓ I asked Azat whether they are OK. If they do not check in within 15 minutes, "
        "every contact of theirs is alerted with their last words and places."
    )
    prompt = await azat.next_message(timeout=10)
    assert prompt["text"] == (
        "❓ Dilbar asks: are you OK? Check in by Sun, Mar 1 09:15 (in 15 minutes): if you "
        "do not, all your contacts are alerted."
    )
    await sweep_at(bot, T0 + 5 * M)
    assert (await say(azat, "✅ I'm OK"))["text"].startswith("✅ Checked in.")
    told = await dilbar.next_message(timeout=10)
    assert told["text"] == (
        "✅ Azat is OK: they checked in at Sun, Mar 1 09:05, answering “are you OK?”."
    )
    await sweep_at(bot, T0 + H)
    assert alerts(dilbar) == []
    assert await query(bot, "SELECT * FROM incidents") == []


async def test_no_answer_alerts_every_contact_naming_the_asker(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    merdan = bot.fake.add_user(first_name="Merdan")
    await add_contact(azat, merdan, tier=2)
    await kept(azat, "Going to the court hearing")
    await say(dilbar, "/ask")
    await azat.next_message(timeout=10)
    await sweep_at(bot, T0 + 14 * M)
    assert alerts(dilbar) == []
    await sweep_at(bot, T0 + 15 * M)
    for contact in (dilbar, merdan):
        alert = (await contact.next_message(timeout=10))["text"]
        assert alert.startswith(
            "🚨 Azat did not answer Dilbar's “are you OK?” of Sun, Mar 1 09:00."
        ), alert
        assert "An answer was due: Sun, Mar 1 09:15" in alert
        assert "Going to the court hearing" in alert
    assert [r["reason"] for r in await query(bot, "SELECT reason FROM incidents")] == ["ask"]
    # Asking again while the alert is open is pointless: the alert says it all.
    assert (await say(dilbar, "/ask"))["text"] == (
        "An alert about Azat is already open: see the alert in this chat."
    )
    back = await say(azat, "/ok")
    assert "Your contacts are being told that you are safe." in back["text"]
    all_clear = await dilbar.next_message(timeout=10)
    assert all_clear["text"].startswith("✅")
    # The all-clear carries the button to ask again later.
    markup = all_clear["reply_markup"]["inline_keyboard"]
    assert markup[0][0]["text"] == "❓ Ask Azat: are you OK?"


async def test_one_contact_may_ask_three_times_a_day(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    for minutes in (0, 20, 40):
        await sweep_at(bot, T0 + minutes * M)
        assert (await say(dilbar, "/ask"))["text"].startswith("❓ I asked Azat")
        await say(azat, "/ok")
        assert (await dilbar.next_message(timeout=10))["text"].startswith("✅ Azat is OK")
    refused = await say(dilbar, "/ask")
    assert refused["text"] == (
        "You have asked Azat as often as allowed in 24 hours. If you are worried, call "
        "them, or talk with their other contacts."
    )
    assert len(await query(bot, "SELECT * FROM asks")) == 3
    # A day after the first ask (Azat checked in meanwhile: his plan is every 12 h).
    await sweep_at(bot, T0 + 12 * H)
    await say(azat, "/ok")
    await sweep_at(bot, T0 + 24 * H + M)
    assert (await say(dilbar, "/ask"))["text"].startswith("❓ I asked Azat")


async def test_asking_twice_while_waiting_sends_one_prompt(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    await say(dilbar, "/ask")
    again = await say(dilbar, "/ask")
    assert again["text"].startswith("❓ Azat was already asked and has 15 minutes left")
    assert (await azat.next_message(timeout=10))["text"].startswith("❓ Dilbar asks")
    assert len(await query(bot, "SELECT * FROM outbox WHERE kind = 'ask_prompt'")) == 1


async def test_asks_turned_off_behind_the_pin_and_a_duress_pin_only_pretends(
    bot: RunningBot,
) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=PIN, duress=DURESS)
    # Under duress the phone is told asks are off; they stay on.
    assert (await say(azat, "/asks off"))["text"] == "🔒 Enter your PIN."
    assert (await enter(azat, DURESS))["text"] == (
        "✅ Your contacts can no longer ask whether you are OK."
    )
    assert (await say(azat, "/asks"))["text"].startswith(
        "Your contacts cannot ask whether you are OK."
    )
    assert (await query(bot, "SELECT asks_off FROM people WHERE telegram_user_id = ?", (azat.id,)))[
        0
    ]["asks_off"] == 0
    # (The duress PIN raised the silent alarm, so an ask now meets the open alert.)
    assert (await dilbar.next_message(timeout=10))["text"].startswith("⚠️ POSSIBLE COERCION")
    await say(azat, "/ok")
    assert (await enter(azat, PIN))["text"].startswith("✅ Checked in.")
    assert (await dilbar.next_message(timeout=10))["text"].startswith("✅ All clear")
    # With the true PIN it is off for real.
    await say(azat, "/asks off")
    assert (await enter(azat, PIN))["text"] == (
        "✅ Your contacts can no longer ask whether you are OK."
    )
    assert (await say(dilbar, "/ask"))["text"] == ("Azat has turned “are you OK?” requests off.")


async def test_strangers_and_forged_ask_buttons_learn_nothing(bot: RunningBot) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    stranger = bot.fake.add_user(first_name="Stranger")
    refused = await say(stranger, "/ask")
    assert refused["text"] == (
        "Only an emergency contact can ask someone whether they are OK, and this chat is "
        "nobody's contact."
    )
    azat_id = (await query(bot, "SELECT id FROM people WHERE telegram_user_id = ?", (azat.id,)))[0][
        "id"
    ]
    since = len(bot.fake.calls)
    await stranger.press_raw(refused["message_id"], encode(Action.ASK, azat_id))
    popup = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
    assert popup.params.get("text") == "This button no longer works."
    assert await query(bot, "SELECT * FROM asks") == []
    assert all("Azat" not in text for text in texts(stranger))


async def test_a_contact_of_two_chooses_whom_to_ask(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    bahar = bot.fake.add_user(first_name="Bahar")
    await say(bahar, "/start")
    await say(bahar, "/every 12h")
    await add_contact(bahar, dilbar)
    choice = await say(dilbar, "/ask")
    assert choice["text"] == "Whom do you want to ask?"
    await dilbar.press(choice["message_id"], "❓ Ask Bahar: are you OK?")
    assert (await dilbar.next_message(timeout=10))["text"].startswith("❓ I asked Bahar")
    assert (await bahar.next_message(timeout=10))["text"].startswith("❓ Dilbar asks")
    assert not [t for t in texts(azat) if t.startswith("❓")]
    # /contacts lists whom Dilbar watches, with the same buttons.
    listed = await say(dilbar, "/contacts")
    assert "You are the emergency contact of: Azat, Bahar." in listed["text"]
