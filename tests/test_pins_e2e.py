"""The PIN and the duress PIN, end to end: what the phone shows, what contacts get."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningBot, context_bodies, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_alerts_e2e import add_contact, say

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def enter(user: SimUser, pin: str) -> dict[str, Any]:
    """Send a PIN and return the bot's answer."""
    return await say(user, pin)


async def set_pins(user: SimUser, pin: str, duress: str | None = None) -> None:
    assert (await say(user, "/pin"))["text"].startswith("Send the PIN you want")
    assert (await enter(user, pin))["text"] == "Send the same PIN again to confirm it."
    assert (await enter(user, pin))["text"].startswith("🔒 PIN set.")
    if duress is not None:
        assert (await say(user, "/duress"))["text"] == "🔒 Enter your PIN."
        assert (await enter(user, pin))["text"].startswith("Send your duress PIN")
        await enter(user, duress)
        assert (await enter(user, duress))["text"] == "🔒 Duress PIN set."


async def test_with_a_pin_a_check_in_needs_it_and_the_pin_never_stays_in_the_chat(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    await say(azat, "/every 12h")
    await set_pins(azat, "2468")
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    assert (await enter(azat, "1111"))["text"] == "Wrong PIN. Try again."
    assert (await query(bot, "SELECT last_checkin_at FROM watches"))[0]["last_checkin_at"] is None
    assert (await enter(azat, "2468"))["text"].startswith("✅ Checked in.")
    assert (await query(bot, "SELECT last_checkin_at FROM watches"))[0]["last_checkin_at"]
    # Every message that held a PIN was deleted; nothing with a PIN was kept as context.
    deleted = {c.params["message_id"] for c in bot.fake.calls_to("deleteMessage", chat_id=azat.id)}
    assert len(deleted) == 4  # 2468 twice to set it, 1111, 2468
    assert await context_bodies(bot) == []
    stored = await query(bot, "SELECT pin_hash FROM pins")
    assert "2468" not in stored[0]["pin_hash"]


async def test_text_sent_while_a_pin_is_awaited_is_kept_not_swallowed(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    await set_pins(azat, "2468")
    await say(azat, "/ok")
    await kept(azat, "They are at the door")
    assert [body["text"] for _, body in await context_bodies(bot)] == ["They are at the door"]


async def test_the_duress_pin_must_differ_and_needs_a_pin_first(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    assert (await say(azat, "/duress"))["text"] == "Set a PIN first with /pin."
    await set_pins(azat, "2468")
    await say(azat, "/duress")
    await enter(azat, "2468")
    same = await enter(azat, "2468")
    assert same["text"].startswith("The duress PIN and the PIN must differ")
    # The attempt is over: "12" now is ordinary words, kept, and sets no PIN.
    await kept(azat, "12")


async def _duress_or_not(
    fake: FakeTelegram, tmp_path: Path, last_pin: str
) -> tuple[list[Any], str]:
    """Run one scenario; return the calls to the activist's chat and what the contact got."""
    tmp_path.mkdir()  # noqa: ASYNC240 -- a test's own scratch folder, instant
    settings = make_settings(tmp_path, fake.base_url)
    async with run_bot(fake, settings, FakeClock(T0)) as bot:
        azat = fake.add_user(first_name="Azat")
        dilbar = fake.add_user(first_name="Dilbar")
        await say(azat, "/start")
        await say(azat, "/every 12h")
        await add_contact(azat, dilbar)
        await set_pins(azat, "2468", duress="1357")
        since = len(fake.calls)
        await say(azat, "/ok")
        await enter(azat, last_pin)
        await say(azat, "/status")
        contact_got = ""
        if last_pin == "1357":
            contact_got = (await dilbar.next_message(timeout=10))["text"]
        calls = [
            (c.method, c.params)
            for c in fake.calls[since:]
            if c.params.get("chat_id") == azat.id and c.method != "getUpdates"
        ]
        assert bot.task.done() is False
    return calls, contact_got


async def test_the_duress_pin_leaves_the_phone_byte_for_byte_the_same_and_alerts_everyone(
    tmp_path: Path,
) -> None:
    from tests.fake_telegram import FakeTelegram as Fake

    async with Fake() as normal_fake:
        normal, _ = await _duress_or_not(normal_fake, tmp_path / "normal", "2468")
    async with Fake() as duress_fake:
        forced, alert = await _duress_or_not(duress_fake, tmp_path / "duress", "1357")
    assert forced == normal
    assert [method for method, _ in normal] == [
        "sendMessage",
        "deleteMessage",
        "sendMessage",
        "sendMessage",
    ]
    assert alert.startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    assert "Do not reply to messages from their phone" in alert


async def test_five_wrong_pins_alert_the_contacts_and_the_phone_only_says_wrong_pin(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    await add_contact(azat, dilbar)
    await set_pins(azat, "2468")
    await say(azat, "/ok")
    for attempt in range(5):
        assert (await enter(azat, f"000{attempt}"))["text"] == "Wrong PIN. Try again."
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith(
        "⚠️ POSSIBLE COERCION: a wrong PIN was entered 5 times on Azat's phone."
    )
    reasons = [row["reason"] for row in await query(bot, "SELECT reason FROM incidents")]
    assert reasons == ["pin_failures"]
    # A sixth wrong PIN does not alert again.
    await enter(azat, "0009")
    assert len(await query(bot, "SELECT reason FROM incidents")) == 1


async def test_an_invitation_forced_with_the_duress_pin_leads_nowhere(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    captor = bot.fake.add_user(first_name="Captor")
    await say(azat, "/start")
    await add_contact(azat, dilbar)
    await set_pins(azat, "2468", duress="1357")
    assert (await say(azat, "/invite 1"))["text"] == "🔒 Enter your PIN."
    link = (await enter(azat, "1357"))["text"]
    assert link.startswith("Send this link to the person you want as your tier 1 contact.")
    code = link.split("?start=")[1].split()[0]
    assert len(code) == 32
    # It opens like a real one, but accepting it makes nobody a contact.
    offer = await say(captor, f"/start {code}")
    assert offer["text"].startswith("Azat asks you to be their emergency contact")
    since = len(bot.fake.calls)
    await captor.press(offer["message_id"], "✅ Accept")
    answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since, timeout=10)
    assert answer.params["text"] == "This invitation is no longer valid."
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    assert len(await query(bot, "SELECT * FROM contacts")) == 1
