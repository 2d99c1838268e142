"""Invitations, contact lists, leaving and drills, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import (
    RunningBot,
    contact_names,
    context_bodies,
    kept,
    make_settings,
    query,
    run_bot,
)
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_alerts_e2e import add_contact, invite_code, say

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOT_VALID = (
    "This invitation link is not valid: it may have expired or been used already. "
    "Ask the person who sent it for a new one."
)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def test_expired_used_random_and_malformed_codes_all_get_the_same_answer(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    stranger = bot.fake.add_user(first_name="Stranger")
    friend = bot.fake.add_user(first_name="Friend")

    used = await invite_code(azat)
    offer = await say(friend, f"/start {used}")
    await friend.press(offer["message_id"], "✅ Accept")
    assert (await azat.next_message(timeout=10))["text"].startswith("✅ Friend accepted")
    expiring = await invite_code(azat)
    bot.clock.advance(timedelta(hours=24, seconds=1))
    for code in (used, expiring, "A" * 32, "../../etc/passwd", "x" * 200, "%00"):
        reply = await say(stranger, f"/start {code}")
        assert reply["text"] == NOT_VALID
        assert "Azat" not in reply["text"]
    assert list(await contact_names(bot)) == ["Friend"]


async def test_only_the_person_who_opened_the_link_can_accept_it(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    invitee = bot.fake.add_user(first_name="Invitee")
    intruder = bot.fake.add_user(first_name="Intruder")
    code = await invite_code(azat)
    offer = await say(invitee, f"/start {code}")
    invite_id = (await query(bot, "SELECT id FROM invites"))[0]["id"]
    # The intruder forges the accept button of the invitee's offer in their own chat.
    mine = await say(intruder, "/help")
    since = len(bot.fake.calls)
    await intruder.press_raw(mine["message_id"], f"ia:{invite_id}")
    answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
    assert answer.params["text"] == "This invitation is no longer valid."
    assert await query(bot, "SELECT * FROM contacts") == []
    # The invitee still can.
    await invitee.press(offer["message_id"], "✅ Accept")
    notice = await azat.next_message(timeout=10)
    assert notice["text"].startswith("✅ Invitee accepted")


async def test_declining_tells_the_activist_nothing_more(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    shy = bot.fake.add_user(first_name="Shy")
    offer = await say(shy, f"/start {await invite_code(azat)}")
    await shy.press(offer["message_id"], "Decline")
    notice = await azat.next_message(timeout=10)
    assert notice["text"] == "Your invitation was declined."
    assert await query(bot, "SELECT * FROM contacts") == []


async def test_own_link_forged_buttons_and_garbage_callbacks_are_answered_harmlessly(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    code = await invite_code(azat)
    assert (await say(azat, f"/start {code}"))["text"].startswith("This is your own invitation")
    helper = await say(azat, "/help")
    for data in ("ak:999", "rc:1", "zz:1", "ak:-1", "ak:1:2", "", "💥" * 10):
        since = len(bot.fake.calls)
        await azat.press_raw(helper["message_id"], data)
        answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
        assert answer.params["text"] == "This button no longer works."


async def test_contacts_list_remove_and_leave(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    assert (await say(azat, "/contacts"))["text"].startswith("You have no contacts yet")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    await add_contact(azat, dilbar)
    await add_contact(azat, merdan, tier=2)
    listing = await say(azat, "/contacts")
    assert "• Dilbar (person), tier 1: active" in listing["text"]
    assert "• Merdan (person), tier 2: active" in listing["text"]
    since = len(bot.fake.calls)
    await azat.press(listing["message_id"], "Remove Merdan")
    assert (await azat.next_message(timeout=10))["text"] == "Merdan is no longer your contact."
    assert list(await contact_names(bot)) == ["Dilbar"]
    # The list it was pressed in is refreshed in place: Merdan and his button are gone.
    await bot.fake.wait_for_call("editMessageText", chat_id=azat.id, since=since, timeout=10)
    [refreshed] = [m for m in azat.messages if m.message_id == listing["message_id"]]
    assert "Merdan" not in (refreshed.text or "")
    assert "• Dilbar (person), tier 1: active" in (refreshed.text or "")
    rows = refreshed.data["reply_markup"]["inline_keyboard"]
    assert [[button["text"] for button in row] for row in rows] == [["Remove Dilbar"]]

    offer = await say(dilbar, "/leave")
    await dilbar.press(offer["message_id"], "Stop being Azat's contact")
    told = await azat.next_message(timeout=10)
    assert told["text"] == "Dilbar is no longer your contact."
    assert await query(bot, "SELECT * FROM contacts") == []
    assert (await say(dilbar, "/leave"))["text"] == "This chat is nobody's contact."


async def test_a_drill_is_confirmed_by_each_contact(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    assert (await say(azat, "/drill"))["text"].startswith("You have no reachable contacts")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    assert (await say(azat, "/drill"))["text"].startswith("🧪 Test alert sent to 1 contact.")
    test_alert = await dilbar.next_message(timeout=10)
    assert test_alert["text"].startswith("🧪 DRILL")
    await dilbar.press(test_alert["message_id"], "✅ Received")
    confirmed = await azat.next_message(timeout=10)
    assert confirmed["text"] == "🧪 Dilbar confirmed your drill."
    status = await say(azat, "/status")
    assert "Contacts: 1" in status["text"]


async def test_a_contacts_own_messages_are_nobodys_last_words(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    await add_contact(azat, dilbar)
    await kept(azat, "Going to the office")
    # Dilbar is answered like anyone, and nothing of hers is stored.
    await kept(dilbar, "What happened to Azat?")
    assert [body.get("text") for _, body in await context_bodies(bot)] == ["Going to the office"]


async def test_an_invitation_comes_ready_to_forward_with_a_word_of_why(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    invitation = await say(azat, "/invite 1")
    [[share]] = invitation["reply_markup"]["inline_keyboard"]
    assert share["text"] == "📤 Send it to a colleague"
    url = urlsplit(share["url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "t.me", "/share/url")
    fields = parse_qs(url.query)
    code = invitation["text"].split("?start=", 1)[1].split()[0]
    assert fields["url"] == [f"https://t.me/StillHereTestBot?start={code}"]
    assert fields["text"][0].startswith("Azat asks you to be their emergency contact")
