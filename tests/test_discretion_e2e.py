"""Discretion on the phone end to end: discreet mode, /wipe, /forget, flood limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conditions import eventually
from tests.conftest import RunningBot, context_bodies, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_alerts_e2e import add_contact, say

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, "[security]\nflood_limit = 20\n")
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


def deleted_ids(fake: FakeTelegram, chat_id: int) -> set[int]:
    ids: set[int] = set()
    for call in fake.calls_to("deleteMessage", chat_id=chat_id):
        ids.add(int(call.params["message_id"]))
    for call in fake.calls_to("deleteMessages", chat_id=chat_id):
        ids.update(int(i) for i in call.params["message_ids"])
    return ids


async def test_discreet_mode_deletes_each_check_in_exchange_after_the_delay(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    await say(azat, "/every 12h")
    assert (await say(azat, "/discreet on"))["text"].startswith("Discreet mode on")
    sent = await azat.send("/ok")
    reply = await azat.next_message(timeout=10)
    assert deleted_ids(bot.fake, azat.id) == set()
    # The bot schedules the deletion right after replying: wait for that.
    await eventually(
        lambda: query(bot, "SELECT 1 FROM chat_messages WHERE delete_at IS NOT NULL"),
        what="the deletion to be scheduled",
    )
    bot.clock.advance(timedelta(minutes=5))
    await bot.fake.wait_for_call(
        "deleteMessage",
        chat_id=azat.id,
        predicate=lambda c: int(c.params["message_id"]) == reply["message_id"],
        timeout=10,
    )
    assert {sent["message_id"], reply["message_id"]} <= deleted_ids(bot.fake, azat.id)
    assert next(m for m in azat.messages if m.message_id == reply["message_id"]).deleted


async def test_wipe_deletes_every_message_it_may_and_everything_kept(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    first = await azat.send("/start")
    await azat.next_message(timeout=10)
    await kept(azat, "Police are here")
    shared = await azat.share_location(37.95, 58.38)
    assert await azat.reaction_to(shared["message_id"], timeout=10) == ["✍"]
    await say(azat, "/instructions Call my lawyer")
    confirm = await say(azat, "/wipe")
    await azat.press(confirm["message_id"], "🧹 Yes, wipe")
    done = await azat.next_message(timeout=10)
    assert done["text"].startswith("🧹 Done")
    deleted = deleted_ids(bot.fake, azat.id)
    # Every message of the chat before the answer, both sides, was deleted.
    assert set(range(first["message_id"], confirm["message_id"] + 1)) <= deleted
    assert all(m.deleted for m in azat.messages if m.message_id != done["message_id"])
    assert await context_bodies(bot) == []
    # The emergency instructions were not asked to go: they stay for the contacts.
    assert len(await query(bot, "SELECT * FROM instructions")) == 1


async def test_wipe_says_what_it_deletes_and_deletes_the_instructions_only_when_asked(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    await kept(azat, "Police are here")
    await say(azat, "/instructions Call my lawyer")
    confirm = await say(azat, "/wipe")
    assert "your texts, places, photos and voice notes" in confirm["text"]
    assert "your emergency instructions stay" in confirm["text"]
    await azat.press(confirm["message_id"], "🧹 Wipe, and my instructions too")
    done = await azat.next_message(timeout=10)
    assert done["text"].startswith("🧹 Done")
    assert await context_bodies(bot) == []
    assert await query(bot, "SELECT * FROM instructions") == []


async def test_forget_tells_the_contacts_and_deletes_the_person(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    await say(azat, "/every 12h")
    await add_contact(azat, dilbar)
    confirm = await say(azat, "/forget")
    await azat.press(confirm["message_id"], "Yes, forget me")
    assert (await dilbar.next_message(timeout=10))["text"] == (
        "Azat stopped using Still Here: you are no longer their contact."
    )
    assert (await azat.next_message(timeout=10))["text"].startswith("Everything about you")
    for table in ("people", "watches", "contacts", "context_items"):
        rows = await query(bot, f"SELECT * FROM {table}")  # noqa: S608 -- fixed table names
        assert rows == [] or (table == "people" and len(rows) == 1), table
    # Only Dilbar remains: she pressed buttons, so the bot knows her.
    assert len(await query(bot, "SELECT * FROM people")) == 1


async def test_with_a_pin_wipe_asks_for_it_first(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    await say(azat, "/pin")
    await say(azat, "2468")
    await say(azat, "2468")
    await kept(azat, "Keep this")
    confirm = await say(azat, "/wipe")
    await azat.press(confirm["message_id"], "🧹 Yes, wipe")
    assert (await azat.next_message(timeout=10))["text"] == "🔒 Enter your PIN."
    assert len(await context_bodies(bot)) == 1
    await azat.send("2468")
    assert (await azat.next_message(timeout=10))["text"].startswith("🧹 Done")
    assert await context_bodies(bot) == []


async def test_a_flood_is_answered_once_and_then_ignored_while_others_are_served(
    bot: RunningBot,
) -> None:
    flooder = bot.fake.add_user(first_name="Flooder")
    calm = bot.fake.add_user(first_name="Calm")
    # Someone the bot knows: a stranger's texts are answered but never kept.
    await say(flooder, "/start")
    bot.clock.advance(timedelta(minutes=1))
    notes = [await flooder.send(f"note {number}") for number in range(25)]
    warning = await flooder.next_message(timeout=10)
    assert warning["text"] == "You are sending too much. Wait a minute, then go on."
    for note in notes[:20]:
        assert await flooder.reaction_to(note["message_id"], timeout=10) == ["✍"]
    assert (await say(calm, "/help"))["text"].startswith("I watch over you.")
    assert len(await context_bodies(bot)) == 20
    bot.clock.advance(timedelta(minutes=1))
    await kept(flooder, "back again")


async def test_guessing_invitation_codes_is_slowed_down(bot: RunningBot) -> None:
    guesser = bot.fake.add_user(first_name="Guesser")
    for number in range(10):
        reply = await say(guesser, f"/start {'A' * 31}{number}")
        assert reply["text"].startswith("This invitation link is not valid")
    assert (await say(guesser, "/start " + "B" * 32))["text"] == (
        "Too many attempts. Try again in an hour."
    )


async def test_a_live_location_moving_often_is_never_taken_for_a_flood(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    shared = await azat.share_location(37.95, 58.38, live_period=3600)
    await azat.next_message(timeout=10)
    for step in range(40):
        await azat.move_live_location(shared["message_id"], 37.95 + step / 1000, 58.38)
    assert (await say(azat, "/status"))["text"].startswith("State:")

    async def latest() -> bool:
        [(_, body)] = await context_bodies(bot)
        return bool(body["latitude"] == pytest.approx(37.989))

    await eventually(latest, what="the last move to be kept")
