"""The flood limit end to end: content and strangers are limited, a watched person's
SOS, check-ins and PIN answers never are (security review H2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import RunningBot, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_alerts_e2e import activist_with_plan, add_contact, say

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LIMIT = 5
TOO_MUCH = "You are sending too much. Wait a minute, then go on."
KEPT = "✍"


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(
        tmp_path, fake_telegram.base_url, f"[security]\nflood_limit = {LIMIT}\n"
    )
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def flood_with_photos(bot: RunningBot, user: SimUser, count: int = 2 * LIMIT) -> None:
    """Start a fresh minute, send ``count`` photos and read what the bot answers:
    one acknowledgement per photo within the limit, then one warning."""
    bot.clock.advance(timedelta(minutes=1))
    photos = [await user.send_photo() for _ in range(count)]
    # The photos within the limit are marked kept; then one warning, and nothing more.
    assert (await user.next_message(timeout=10))["text"] == TOO_MUCH
    for photo in photos[:LIMIT]:
        assert await user.reaction_to(photo["message_id"], timeout=10) == [KEPT]


async def test_sos_after_a_flood_of_photos_alerts_the_contact_and_is_answered(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await flood_with_photos(bot, azat)

    reply = await say(azat, "/sos")

    assert reply["text"].startswith("🆘 SOS raised. Your contacts are being alerted now")
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("🆘 SOS from Azat.")
    assert [row["reason"] for row in await query(bot, "SELECT reason FROM incidents")] == ["sos"]


async def test_a_contact_alone_without_a_plan_is_enough_for_the_sos_to_pass_a_flood(
    bot: RunningBot,
) -> None:
    azat = bot.fake.add_user(first_name="Azat")
    await say(azat, "/start")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await flood_with_photos(bot, azat)

    assert (await say(azat, "/sos"))["text"].startswith("🆘 SOS raised.")
    assert (await dilbar.next_message(timeout=10))["text"].startswith("🆘 SOS from Azat.")


async def test_a_check_in_after_a_flood_is_recorded_and_does_not_count_as_content(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    await flood_with_photos(bot, azat)

    reply = await say(azat, "/ok")

    assert reply["text"].startswith("✅ Checked in.")
    [watch] = await query(bot, "SELECT last_checkin_at FROM watches")
    assert watch["last_checkin_at"].startswith("2026-03-01T09:01")
    # In a fresh minute, check-ins leave the whole allowance to content.
    bot.clock.advance(timedelta(minutes=1))
    for _ in range(LIMIT):
        assert (await say(azat, "✅ I'm OK"))["text"].startswith("✅ Checked in.")
    for _ in range(LIMIT):
        await kept(azat, "still here, note")


async def test_the_pin_asked_for_a_check_in_during_a_flood_is_taken(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    await say(azat, "/pin")
    await say(azat, "2468")
    await say(azat, "2468")
    await flood_with_photos(bot, azat)

    assert (await say(azat, "/checkin"))["text"] == "🔒 Enter your PIN."
    await azat.send("2468")

    assert (await azat.next_message(timeout=10))["text"].startswith("✅ Checked in.")


async def test_a_stranger_flooding_sos_is_still_limited(bot: RunningBot) -> None:
    stranger = bot.fake.add_user(first_name="Stranger")
    calm = bot.fake.add_user(first_name="Calm")
    for _ in range(2 * LIMIT):
        await stranger.send("/sos")
    answers = [(await stranger.next_message(timeout=10))["text"] for _ in range(LIMIT + 1)]
    assert answers[-1] == TOO_MUCH
    assert all(answer.startswith("🆘") for answer in answers[:-1])
    # Updates are handled in order: once the calm user is answered, the flood was too.
    assert (await say(calm, "/help"))["text"].startswith("I watch over you.")
    assert len(bot.fake.calls_to("sendMessage", chat_id=stranger.id)) == LIMIT + 1


async def test_a_contact_who_floods_and_then_blocks_the_bot_is_noticed_at_once(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    bot.clock.advance(timedelta(minutes=1))
    for number in range(2 * LIMIT):
        await dilbar.send(f"message {number}")
    dilbar.block_bot()
    notice = await azat.next_message(timeout=10)
    assert notice["text"].startswith("⚠️ Your contact Dilbar cannot be reached")
