"""Contacts and alerts end to end: invitations, the alert, acknowledgement, all-clear."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conditions import eventually
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
from tests.fake_telegram import FakeTelegram, SimGroup, SimUser
from tests.fake_telegram.state import StoredMessage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(hours=12)
GRACE_ENDS = DEADLINE + timedelta(minutes=30)
WORDS = "Police are here. If they find me, they will take me. I am hiding"
ALERT_SETTINGS = '[alerts]\nescalate_after = "15m"\nrepeat_every = "10m"\nrepeat_max = 2\n'


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def say(user: SimUser, text: str) -> dict[str, Any]:
    await user.send(text)
    return await user.next_message(timeout=10)


async def settled_alert(chat: SimUser | SimGroup, saying: str | None = None) -> StoredMessage:
    """Return the chat's alert once it has no button left (and says ``saying``)."""

    async def probe() -> StoredMessage | None:
        for message in chat.messages:
            if not (message.text or "").startswith("🚨"):
                continue
            if "reply_markup" in message.data:
                return None
            if saying is None or saying in (message.text or ""):
                return message
        return None

    return await eventually(probe, what="the alert settled in place")


async def invite_code(activist: SimUser, tier: int = 1) -> str:
    reply = await say(activist, f"/invite {tier}")
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", reply["text"])
    assert match is not None, reply["text"]
    return match.group(1)


async def add_contact(activist: SimUser, contact: SimUser, tier: int = 1) -> None:
    code = await invite_code(activist, tier)
    offer = await say(contact, f"/start {code}")
    assert "asks you to be their emergency contact" in offer["text"]
    await contact.press(offer["message_id"], "✅ Accept")
    notice = await activist.next_message(timeout=10)
    assert notice["text"].startswith(f"✅ {contact.first_name}")


async def add_group_contact(activist: SimUser, group: SimGroup, member: SimUser) -> None:
    code = await invite_code(activist)
    await group.send(member, f"/start@StillHereTestBot {code}")
    offer = await group.next_message(timeout=10)
    await group.press(member, offer["message_id"], "✅ Accept")
    notice = await activist.next_message(timeout=10)
    assert notice["text"].startswith("✅ Memorial duty")


async def activist_with_plan(bot: RunningBot, name: str = "Azat") -> SimUser:
    activist = bot.fake.add_user(first_name=name)
    await say(activist, "/start")
    await say(activist, "/every 12h")
    await say(activist, "/remind off")
    return activist


async def sweep_at(bot: RunningBot, moment: datetime) -> None:
    """Move the clock to ``moment`` and wait until a sweep has run at that time."""
    bot.clock.set(moment)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    async def swept() -> bool:
        rows = await query(bot, "SELECT value FROM runtime WHERE key = 'last_tick_at'")
        return bool(rows) and rows[0]["value"] >= stamp

    await eventually(swept, what=f"a sweep at {stamp}")


def sent_to(fake: FakeTelegram, chat_id: int, method: str = "sendMessage") -> list[Any]:
    return [c for c in fake.calls_to(method, chat_id=chat_id) if c.status == 200]


async def test_the_whole_story_alert_acknowledge_all_clear(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    await add_contact(azat, dilbar)
    await add_group_contact(azat, group, merdan)

    await kept(azat, WORDS)
    await say(azat, "/instructions Call lawyer Begench, number in my notebook")
    voice = await azat.send_voice(duration=12)
    assert await azat.reaction_to(voice["message_id"], timeout=10) == ["✍"]
    await azat.share_location(37.95, 58.38, live_period=6 * 3600)
    await azat.next_message(timeout=10)
    location_id = (
        await query(bot, "SELECT telegram_message_id FROM context_items WHERE kind = 'location'")
    )[0]["telegram_message_id"]
    await azat.move_live_location(location_id, 37.9612, 58.3261)

    async def moved() -> bool:
        return any(body.get("latitude") == 37.9612 for _, body in await context_bodies(bot))

    await eventually(moved, what="the live location's move")

    # Azat misses the deadline; when grace ends both contacts are alerted.
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)  # the prompt to Azat himself
    bot.clock.set(GRACE_ENDS)
    for chat in (dilbar, group):
        alert = await chat.next_message(timeout=10)
        assert alert["text"].startswith("🚨 Azat missed a check-in.")
        assert f"“{WORDS}”" in alert["text"]
        assert "Also alerted: 1 other contact." in alert["text"]
        assert "Call lawyer Begench, number in my notebook" in alert["text"]
        location = await chat.next_message(timeout=10)
        assert location["location"]["latitude"] == pytest.approx(37.9612)
        assert location["location"]["longitude"] == pytest.approx(58.3261)
        # The voice note itself follows, by its file id: the contacts can hear it.
        passed_on = await chat.next_message(timeout=10)
        assert passed_on["voice"]["file_id"] == voice["voice"]["file_id"]
        assert passed_on["caption"].startswith("🎤 From Azat")
    for chat_id in (dilbar.id, group.id):
        calls = sent_to(bot.fake, chat_id) + sent_to(bot.fake, chat_id, "sendLocation")
        calls += sent_to(bot.fake, chat_id, "sendVoice")
        alert_calls = [c for c in calls if c.params.get("protect_content")]
        assert len(alert_calls) == 3

    # Dilbar takes it; the group is told who.
    alert_id = next(m for m in dilbar.messages if (m.text or "").startswith("🚨")).message_id
    await dilbar.press(alert_id, "🙋 I'm on it")
    told = await group.next_message(timeout=10)
    assert told["text"] == "🙋 Dilbar is taking care of the alert about Azat."
    # The alerts themselves say so for good and lose the button: Dilbar's by her
    # press, the group's by an edit.
    taken = await settled_alert(dilbar)
    assert taken.text.endswith("Thank you. The other contacts are told that you are on it.")
    in_group = await settled_alert(group, "🙋 Dilbar is already taking care of it.")
    assert in_group.text.startswith("🚨 Azat missed a check-in.")
    # A second press is harmless: answered, nobody told again.
    incident_id = (await query(bot, "SELECT id FROM incidents"))[0]["id"]
    since = len(bot.fake.calls)
    await dilbar.press_raw(alert_id, f"ak:{incident_id}")
    answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
    assert answer.params["text"] == "Dilbar is already on it."

    # No repeats and no escalation follow an acknowledgement.
    messages_before = (len(dilbar.messages), len(group.messages))
    await sweep_at(bot, GRACE_ENDS + timedelta(hours=1))
    assert (len(dilbar.messages), len(group.messages)) == messages_before

    # Azat checks in: both hear the all-clear with how long it lasted.
    await say(azat, "/ok")
    for chat in (dilbar, group):
        clear = await chat.next_message(timeout=10)
        assert clear["text"].startswith("✅ All clear: Azat checked in.")
        # Every alert of the incident now reads all clear.
        await settled_alert(chat, "✅ Update: Azat checked in at ")

    # A stolen copy of the database (with its write-ahead log) shows none of it.
    path = bot.settings.storage.path
    stolen = b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )
    for secret in (
        WORDS,
        "Police",
        "Begench",
        "37.9612",
        "58.3261",
        "Azat",
        "Dilbar",
        "Memorial duty",
    ):
        assert secret.encode() not in stolen, secret


async def test_tier_two_hears_when_nobody_acknowledges_and_repeats_stop_at_the_cap(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    first = bot.fake.add_user(first_name="Dilbar")
    lawyer = bot.fake.add_user(first_name="Lawyer")
    await add_contact(azat, first, tier=1)
    await add_contact(azat, lawyer, tier=2)
    await sweep_at(bot, GRACE_ENDS)
    assert (await first.next_message(timeout=10))["text"].startswith("🚨")
    assert sent_to(bot.fake, lawyer.id) == [] or all(
        not (c.params.get("text") or "").startswith("🚨") for c in sent_to(bot.fake, lawyer.id)
    )
    # Ten minutes: the first repeat, to tier 1 only. Nothing is new, so it is short
    # and answers the alert above instead of sending it all again.
    await sweep_at(bot, GRACE_ENDS + timedelta(minutes=10))
    repeat = await first.next_message(timeout=10)
    assert repeat["text"] == (
        "🔁 Reminder 1: still no news from Azat.\n"
        "Nothing new since the alert above: the same last words and place."
    )
    alert = next(m for m in first.messages if (m.text or "").startswith("🚨"))
    assert repeat["reply_to_message"]["message_id"] == alert.message_id
    assert repeat["reply_markup"]["inline_keyboard"][0][0]["text"] == "🙋 I'm on it"
    # Fifteen minutes: tier 2 is alerted.
    await sweep_at(bot, GRACE_ENDS + timedelta(minutes=15))
    escalated = await lawyer.next_message(timeout=10)
    assert escalated["text"].startswith("🚨 Azat missed a check-in.")
    # Twenty minutes: the second (last) repeat, to both.
    await sweep_at(bot, GRACE_ENDS + timedelta(minutes=20))
    assert (await first.next_message(timeout=10))["text"].startswith("🔁 Reminder 2")
    assert (await lawyer.next_message(timeout=10))["text"].startswith("🔁 Reminder 2")
    # The cap is reached: nothing more, however long it lasts.
    counts = (len(first.messages), len(lawyer.messages))
    await sweep_at(bot, GRACE_ENDS + timedelta(hours=5))
    assert (len(first.messages), len(lawyer.messages)) == counts


async def test_a_repeat_with_news_is_the_whole_alert_and_an_unmoved_pin_is_not_sent_again(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    shared = await azat.share_location(37.95, 58.38)
    assert await azat.reaction_to(shared["message_id"], timeout=10) == ["✍"]
    await sweep_at(bot, GRACE_ENDS)
    assert (await dilbar.next_message(timeout=10))["text"].startswith("🚨")
    assert "location" in await dilbar.next_message(timeout=10)
    # Azat's phone sends more words: the repeat carries them, in full.
    bot.clock.set(GRACE_ENDS + timedelta(minutes=5))
    await kept(azat, "They took my passport")
    await sweep_at(bot, GRACE_ENDS + timedelta(minutes=10))
    repeat = await dilbar.next_message(timeout=10)
    assert repeat["text"].startswith("🔁 Reminder 1: still no news.")
    assert "They took my passport" in repeat["text"]
    # The place has not moved: the same map pin is not sent again.
    await sweep_at(bot, GRACE_ENDS + timedelta(minutes=20))
    second = await dilbar.next_message(timeout=10)
    assert second["text"].startswith("🔁 Reminder 2: still no news from Azat.")
    pins = [c for c in sent_to(bot.fake, dilbar.id, "sendLocation")]
    assert len(pins) == 1
    # Taken: each repeat, too, says so and keeps no button.
    alert = next(m for m in dilbar.messages if (m.text or "").startswith("🚨"))
    await dilbar.press(alert.message_id, "🙋 I'm on it")
    await say(azat, "/ok")

    async def settled() -> bool:
        repeats = [m for m in dilbar.messages if (m.text or "").startswith("🔁")]
        return len(repeats) == 2 and all(
            "reply_markup" not in m.data and "All clear." in (m.text or "") for m in repeats
        )

    await eventually(settled, what="both repeats edited to the all-clear")


async def test_an_alert_shows_the_trail_of_a_moving_live_location_and_pins_the_newest(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    route = [(37.9500, 58.3800), (37.9530, 58.3830), (37.9560, 58.3860), (37.9590, 58.3890)]
    shared = await azat.share_location(*route[0], live_period=6 * 3600)
    assert (await azat.next_message(timeout=10))["text"].startswith("📍 Live location kept")
    for step, place in enumerate(route[1:], start=1):
        bot.clock.set(T0 + timedelta(minutes=4 * step))
        await azat.move_live_location(shared["message_id"], *place)

        async def kept_points(count: int = step + 1) -> bool:
            return len(await query(bot, "SELECT id FROM trail_points")) == count

        await eventually(kept_points, what=f"trail point {step + 1}")
    # Azat stops sharing at 09:20; the alert says so, and how long before it.
    bot.clock.set(T0 + timedelta(minutes=20))
    await azat.stop_live_location(shared["message_id"])

    async def stopped() -> bool:
        return any("live_stopped" in body for _, body in await context_bodies(bot))

    await eventually(stopped, what="the end of the live sharing")
    await sweep_at(bot, GRACE_ENDS)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert "📍 Live location sharing stopped 12 hours ago (Sun, Mar 1 09:20)" in alert
    assert "🗺 Where they have been, newest first:" in alert
    links = re.findall(r"https://www\.openstreetmap\.org/\?mlat=([0-9.]+)&mlon=([0-9.]+)", alert)
    # Newest first: where it stopped (the same place as the last move), then the route back.
    assert [(float(lat), float(lon)) for lat, lon in links] == [route[-1], *reversed(route)]
    assert "north-east of the place before" in alert
    assert "at the place before" in alert
    # The map pin after the text is the newest place.
    pin = await dilbar.next_message(timeout=10)
    assert (pin["location"]["latitude"], pin["location"]["longitude"]) == pytest.approx(route[-1])
    # Sealed like all context: a stolen database does not show the route.
    path = bot.settings.storage.path
    stolen = b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )
    assert b"37.953" not in stolen


async def test_sos_reaches_every_tier_at_once(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    first = bot.fake.add_user(first_name="Dilbar")
    lawyer = bot.fake.add_user(first_name="Lawyer")
    await add_contact(azat, first, tier=1)
    await add_contact(azat, lawyer, tier=2)
    reply = await say(azat, "/sos")
    assert reply["text"].startswith("🆘 SOS raised")
    for contact in (first, lawyer):
        alert = await contact.next_message(timeout=10)
        assert alert["text"].startswith("🆘 SOS from Azat.")


async def test_sos_typed_with_words_keeps_them_as_last_words(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    reply = await say(azat, "/sos police at the door")
    assert reply["text"].startswith("🆘 SOS raised")
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("🆘 SOS from Azat.")
    assert "police at the door" in alert["text"]


async def test_the_keyboards_sos_asks_once_and_a_pocket_press_alerts_nobody(
    bot: RunningBot,
) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    # Pressed by accident, then cancelled: nothing happens.
    await azat.tap("🆘 SOS")
    asked = await azat.next_message(timeout=10)
    assert asked["text"] == "Alert all your contacts now, with your last messages and location?"
    # Confirm is the first button.
    assert asked["reply_markup"]["inline_keyboard"][0][0]["text"] == "🆘 Yes, alert them now"
    since = len(bot.fake.calls)
    await azat.press(asked["message_id"], "Cancel")
    await bot.fake.wait_for_call("editMessageText", chat_id=azat.id, since=since, timeout=10)
    [cancelled] = [m for m in azat.messages if m.message_id == asked["message_id"]]
    assert cancelled.text == "Not sent. Nobody was alerted."
    assert await query(bot, "SELECT * FROM incidents") == []
    # Pressed and confirmed: every contact is alerted.
    await azat.tap("🆘 SOS")
    asked = await azat.next_message(timeout=10)
    await azat.press(asked["message_id"], "🆘 Yes, alert them now")
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("🆘 SOS from Azat.")
    [raised] = [m for m in azat.messages if m.message_id == asked["message_id"]]
    assert (raised.text or "").startswith("🆘 SOS raised.")
    # The button's label was not kept as anyone's last words.
    assert "🆘 SOS\n" not in (alert["text"] or "")
    assert [body.get("text") for _, body in await context_bodies(bot)] == []


async def test_someone_elses_sos_confirmation_changes_nothing(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    [azat_row] = await query(bot, "SELECT id FROM people WHERE telegram_user_id = ?", (azat.id,))
    # A stranger forges Azat's confirmation on a message of their own chat.
    stranger = bot.fake.add_user(first_name="Stranger")
    own = await say(stranger, "/help")
    since = len(bot.fake.calls)
    await stranger.press_raw(own["message_id"], f"so:{azat_row['id']}")
    answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since, timeout=10)
    assert answer.params["text"] == "This button no longer works."
    assert await query(bot, "SELECT * FROM incidents") == []


async def test_faults_delay_one_contact_without_holding_back_the_others(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    limited = bot.fake.add_user(first_name="Limited")
    flaky = bot.fake.add_user(first_name="Flaky")
    gone = bot.fake.add_user(first_name="Gone")
    steady = bot.fake.add_user(first_name="Steady")
    for contact in (limited, flaky, gone, steady):
        await add_contact(azat, contact)
    gone.block_bot()
    bot.fake.inject_fault("sendMessage", chat_id=limited.id, kind="retry_after", retry_after=5)
    bot.fake.inject_fault("sendMessage", chat_id=flaky.id, kind="bad_gateway", times=2)

    await sweep_at(bot, GRACE_ENDS)
    assert (await steady.next_message(timeout=10))["text"].startswith("🚨")
    warning = await azat.next_message(timeout=10)
    assert warning["text"].startswith("⚠️ Your contact Gone cannot be reached")
    assert (await contact_names(bot))["Gone"] == "unreachable"

    # Telegram asked Limited's message to wait 5 s.
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=5))
    assert (await limited.next_message(timeout=10))["text"].startswith("🚨")
    # Backoff: 2 s after the first 502, then 4 s after the second.
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=30))
    assert (await flaky.next_message(timeout=10))["text"].startswith("🚨")
    statuses = [
        c.status
        for c in bot.fake.calls_to("sendMessage", chat_id=flaky.id)
        if str(c.params.get("text", "")).startswith("🚨")
    ]
    assert statuses == [502, 502, 200]


async def test_a_group_that_became_a_supergroup_is_followed(bot: RunningBot) -> None:
    azat = await activist_with_plan(bot)
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    await add_group_contact(azat, group, merdan)
    old_id = group.id
    new_id = group.migrate_to_supergroup()
    await sweep_at(bot, GRACE_ENDS)
    alert = await group.next_message(timeout=10)
    assert alert["chat"]["id"] == new_id
    assert alert["text"].startswith("🚨 Azat missed a check-in.")
    rows = await query(bot, "SELECT chat_id FROM contacts")
    assert [row["chat_id"] for row in rows] == [new_id]
    assert new_id != old_id
