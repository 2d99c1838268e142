"""The activist's check-in cycle end to end: the real bot against the fake Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations
from bot.texts.keyboards import CHECKIN_LABEL, LOCATION_LABEL, SOS_LABEL, TIMER_LABEL
from storage.database import Database
from tests.conditions import eventually
from tests.conftest import RunningBot, context_bodies, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_pins_e2e import enter, set_pins

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TRANSLATIONS = Translations()


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def say(user: SimUser, text: str) -> str:
    """Send ``text`` and return the text of the bot's next message to this user."""
    await user.send(text)
    reply = await user.next_message(timeout=10)
    return str(reply.get("text", ""))


async def watch_row(bot: RunningBot, user: SimUser) -> dict[str, Any]:
    rows = await query(
        bot,
        "SELECT w.* FROM watches w JOIN people p ON p.id = w.person_id "
        "WHERE p.telegram_user_id = ?",
        (user.id,),
    )
    assert len(rows) == 1
    return rows[0]


async def incidents(bot: RunningBot) -> list[dict[str, Any]]:
    return await query(bot, "SELECT * FROM incidents ORDER BY id")


@pytest.mark.parametrize("language", ["en", "ru", "tk"])
async def test_an_activist_sets_a_plan_checks_in_is_reminded_and_misses_the_deadline(
    bot: RunningBot, language: str
) -> None:
    tr = TRANSLATIONS[language]
    user = bot.fake.add_user(first_name="Azat", language_code=language)
    await say(user, "/start")
    reply = await say(user, "/every 12h")
    assert reply.startswith(
        tr(
            "Plan set: check in {plan}.",
            plan=tr("every {duration}", duration=tr.duration(timedelta(hours=12))),
        )
    )
    # The plan is set: the keyboard to check in with is there, with SOS and the location.
    keyboard = user.reply_keyboard
    assert keyboard is not None
    assert [[b["text"] for b in row] for row in keyboard["keyboard"]] == [
        [tr(CHECKIN_LABEL), tr(SOS_LABEL)],
        [tr(LOCATION_LABEL), tr(TIMER_LABEL)],
    ]
    assert keyboard["keyboard"][1][0]["request_location"] is True
    assert keyboard["is_persistent"] is True
    row = await watch_row(bot, user)
    assert row["state"] == "ok"
    assert row["deadline_at"] == "2026-03-01T21:00:00.000000Z"

    # An hour later the activist presses the button: the deadline moves.
    bot.clock.advance(timedelta(hours=1))
    await user.tap(tr(CHECKIN_LABEL))
    reply = (await user.next_message(timeout=10))["text"]
    assert reply.startswith(tr("✅ Checked in."))
    assert (await watch_row(bot, user))["deadline_at"] == "2026-03-01T22:00:00.000000Z"

    # One hour before the deadline: the reminder arrives.
    bot.clock.set(datetime(2026, 3, 1, 21, 0, tzinfo=UTC))
    reminder = await user.next_message(timeout=10)
    assert reminder["text"].startswith("⏰")
    assert tr.moment(datetime(2026, 3, 1, 22, 0, tzinfo=UTC), "UTC") in reminder["text"]

    # The deadline passes: the activist is prompted, nobody else hears yet.
    bot.clock.set(datetime(2026, 3, 1, 22, 0, tzinfo=UTC))
    prompt = await user.next_message(timeout=10)
    assert prompt["text"].startswith("⚠️")
    assert await incidents(bot) == []

    # Grace (30 minutes by default) ends: the incident opens with the true due time.
    bot.clock.set(datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    opened = await eventually(lambda: incidents(bot), what="the overdue alert")
    assert len(opened) == 1
    assert opened[0]["reason"] == "missed"
    assert opened[0]["due_at"] == "2026-03-01T22:00:00.000000Z"
    assert opened[0]["offline_since"] is None
    assert (await watch_row(bot, user))["state"] == "overdue"

    # The activist checks in: the incident closes.
    reply = await say(user, "/ok")
    assert tr("Your contacts are being told that you are safe.") in reply
    closed = await incidents(bot)
    assert len(closed) == 1
    assert closed[0]["closed_at"] == "2026-03-01T22:30:00.000000Z"


async def test_pause_resumes_by_itself_and_says_so(bot: RunningBot) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    await say(user, "/every 12h")
    reply = await say(user, "/pause 2h")
    assert reply.startswith("⏸")
    assert (await watch_row(bot, user))["state"] == "paused"
    bot.clock.advance(timedelta(hours=2))
    resumed = await user.next_message(timeout=10)
    assert resumed["text"].startswith("▶️ Your pause ended")
    row = await watch_row(bot, user)
    assert row["state"] == "ok"
    assert row["deadline_at"] == "2026-03-01T23:00:00.000000Z"


async def test_resume_ends_a_pause_early_and_pause_needs_a_plan(bot: RunningBot) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    assert "/every 12h" in await say(user, "/pause 1h")
    await say(user, "/every 12h")
    await say(user, "/pause 3d")
    assert (await say(user, "/resume")).startswith("▶️ Resumed")
    assert (await watch_row(bot, user))["state"] == "ok"
    assert await say(user, "/resume") == "Your watch is not paused."
    assert "at most 14 days" in await say(user, "/pause 30d")


async def test_sos_without_contacts_opens_an_incident_and_says_nobody_was_alerted(
    bot: RunningBot,
) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    reply = await say(user, "/sos")
    assert reply.startswith("🆘 SOS raised")
    assert "You have no contacts yet" in reply
    opened = await incidents(bot)
    assert [row["reason"] for row in opened] == ["sos"]
    assert (await say(user, "/sos")).startswith("🆘 Your SOS is already raised")
    assert len(await incidents(bot)) == 1


async def test_messages_and_a_moving_live_location_are_kept_as_context(bot: RunningBot) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    text = "Police are here. If they find me, they will take me. I am hiding"
    await kept(user, text)
    # A live location is followed: that is worth saying in words.
    await user.share_location(37.95, 58.38, live_period=3600)
    assert (await user.next_message(timeout=10))["text"].startswith("📍 Live location")
    items = await query(bot, "SELECT * FROM context_items ORDER BY id")
    location_id = items[-1]["telegram_message_id"]
    await user.move_live_location(location_id, 37.96, 58.40)

    async def moved() -> dict[str, Any] | None:
        locations = [body for kind, body in await context_bodies(bot) if kind == "location"]
        return locations[0] if locations and locations[0]["latitude"] == 37.96 else None

    body = await eventually(moved, what="the live location's move")
    assert body["longitude"] == 58.40
    assert body["live_until"] is not None
    items = await context_bodies(bot)
    assert [kind for kind, _ in items] == ["text", "location"]
    assert items[0][1]["text"] == text

    photo = await user.send_photo(caption="the van outside")
    assert await user.reaction_to(photo["message_id"], timeout=10) == ["✍"]
    voice = await user.send_voice(duration=7)
    assert await user.reaction_to(voice["message_id"], timeout=10) == ["✍"]
    kinds = [row["kind"] for row in await query(bot, "SELECT kind FROM context_items ORDER BY id")]
    assert kinds == ["text", "location", "photo", "voice"]


async def test_context_keeps_only_the_newest_items(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake_telegram.base_url, "[checkins]\ncontext_items = 3\n")
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as bot:
        user = bot.fake.add_user()
        await say(user, "/start")
        for number in range(5):
            await kept(user, f"note {number}")
        texts = [body["text"] for _, body in await context_bodies(bot)]
    assert texts == ["note 2", "note 3", "note 4"]


@pytest.mark.parametrize("language", ["en", "ru", "tk"])
async def test_bad_inputs_get_a_clear_translated_answer(bot: RunningBot, language: str) -> None:
    tr = TRANSLATIONS[language]
    user = bot.fake.add_user(language_code=language)
    await say(user, "/start")
    answers = {
        "/every banana": tr(
            "I could not read “{text}” as a duration. Write it like 90m, 12h, 2d or 1h30m. "
            "Example: {example}",
            text="banana",
            example="/every 12h",
        ),
        "/every 1s": tr(
            "That is too short: the shortest interval is {minimum}. Example: /every 12h",
            minimum=tr.duration(timedelta(minutes=15)),
        ),
        "/at 25:00": tr(
            "I could not read “{text}” as a time of day. Write times as HH:MM, or "
            "just the hour. Example: /at 09:00 21:00",
            text="25:00",
        ),
        "/frobnicate": tr(
            "I do not know the command {command}. /help lists what I can do.",
            command="/frobnicate",
        ),
    }
    for text, expected in answers.items():
        assert await say(user, text) == expected
    zone_answer = await say(user, "/tz Mars/Base")
    assert zone_answer.startswith(tr("I do not know the time zone “{text}”.", text="Mars/Base"))
    long_text = "x" * 5000
    assert await say(user, long_text) == tr(
        "📝 Kept for your contacts, clipped to the first {limit} characters.", limit=4096
    )
    [(_, body)] = await context_bodies(bot)
    assert len(body["text"]) == 4096


async def test_time_zone_and_daily_times_set_the_deadline_in_local_time(bot: RunningBot) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    assert (await say(user, "/tz asia/ashgabat")).startswith("Time zone set: Asia/Ashgabat.")
    reply = await say(user, "/at 21:00 09:00")
    assert reply.startswith("Plan set: check in daily at 09:00, 21:00 (Asia/Ashgabat).")
    # 09:00 UTC is 14:00 in Ashgabat: the next slot is 21:00 local, 16:00 UTC.
    assert (await watch_row(bot, user))["deadline_at"] == "2026-03-01T16:00:00.000000Z"
    status = await say(user, "/status")
    assert "Plan: daily at 09:00, 21:00 (Asia/Ashgabat)" in status
    assert "State: watching" in status


async def test_language_can_be_changed_and_the_old_button_still_checks_in(
    bot: RunningBot,
) -> None:
    user = bot.fake.add_user(language_code="en")
    await say(user, "/start")
    await say(user, "/every 12h")
    russian = TRANSLATIONS["ru"]
    assert await say(user, "/lang ru") == russian("Language set: English.")
    assert (await say(user, TRANSLATIONS["en"](CHECKIN_LABEL))).startswith(
        russian("✅ Checked in.")
    )
    assert (await say(user, "/lang xx")).startswith(
        russian("Choose a language: /lang en (English), /lang ru (Русский), /lang tk (Türkmençe).")
    )


async def test_an_unexpected_failure_gets_a_translated_apology_and_the_bot_goes_on(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.fake.add_user(language_code="ru")
    await say(user, "/start")
    # Break the database under the bot: the next /status cannot read instructions.
    database = await Database.open(bot.settings.storage.path)
    async with database.transaction() as tx:
        await tx.execute("ALTER TABLE instructions RENAME TO instructions_gone")
    await database.close()
    apology = await say(user, "/status")
    assert apology == TRANSLATIONS["ru"](
        "Something went wrong on our side. Please try again in a minute."
    )
    assert "unhandled error while processing update" in caplog.text
    assert await say(user, "/every 12h") != apology


PRIVATE = {"type": "all_private_chats"}
GROUPS = {"type": "all_group_chats"}


async def test_the_command_menus_are_published_per_scope_and_language(bot: RunningBot) -> None:
    for language in ("en", "ru", "tk"):
        commands = bot.fake.commands(PRIVATE, language_code=language)
        names = [command["command"] for command in commands]
        # Checking in and SOS come first: under stress nobody scrolls.
        assert names[:3] == ["ok", "sos", "status"]
        assert "duress" not in names
        assert commands[0]["description"] == TRANSLATIONS[language]("Check in: I am safe")
        # A group can only ask after someone it watches, or stop being their contact.
        group = bot.fake.commands(GROUPS, language_code=language)
        assert [command["command"] for command in group] == ["ask", "leave"]
    assert bot.fake.commands(PRIVATE)[0]["description"] == "Check in: I am safe"
    assert [command["command"] for command in bot.fake.commands(GROUPS)] == ["ask", "leave"]


@pytest.mark.parametrize("choose", ["/lang tk", "button"])
async def test_a_person_who_chose_turkmen_gets_a_turkmen_menu_in_their_chat(
    bot: RunningBot, choose: str
) -> None:
    # Telegram has no Turkmen interface: the phone says English.
    user = bot.fake.add_user(language_code="en")
    if choose == "button":
        welcome = await say_message(user, "/start")
        await user.press(welcome["message_id"], "Türkmençe")
    else:
        await say(user, choose)
    chat_scope = {"type": "chat", "chat_id": user.id}
    menu = await eventually(lambda: _commands(bot, chat_scope), what="the chat's own command menu")
    assert menu[0]["description"] == TRANSLATIONS["tk"]("Check in: I am safe")
    assert menu[0]["description"] != "Check in: I am safe"


async def _commands(bot: RunningBot, scope: dict[str, Any]) -> list[dict[str, Any]]:
    return bot.fake.commands(scope)


async def say_message(user: SimUser, text: str) -> dict[str, Any]:
    await user.send(text)
    return await user.next_message(timeout=10)


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("en", "ok"),
        ("en", "I\u2019m OK 👍"),
        ("ru", "Я в порядке."),
        ("tk", "men gowy"),
        ("en", "ок"),
    ],
)
async def test_typing_that_one_is_fine_is_a_check_in_and_never_kept_as_last_words(
    bot: RunningBot, language: str, typed: str
) -> None:
    user = bot.fake.add_user(language_code=language)
    await say(user, "/start")
    await say(user, "/every 12h")
    bot.clock.set(T0 + timedelta(hours=2))
    tr = TRANSLATIONS[language]
    assert (await say(user, typed)).startswith(tr("✅ Checked in."))
    assert (await watch_row(bot, user))["last_checkin_at"] == "2026-03-01T11:00:00.000000Z"
    assert await context_bodies(bot) == []
    # A message that says more is kept for the contacts, as before.
    await kept(user, "Ok, police at the door")
    assert [body["text"] for _, body in await context_bodies(bot)] == ["Ok, police at the door"]


async def test_a_typed_check_in_asks_for_the_pin_like_any_other(bot: RunningBot) -> None:
    user = bot.fake.add_user()
    await say(user, "/start")
    await say(user, "/every 12h")
    await set_pins(user, "4826")
    bot.clock.set(T0 + timedelta(hours=2))
    assert await say(user, "ok") == "🔒 Enter your PIN."
    assert (await watch_row(bot, user))["last_checkin_at"] is None
    assert (await enter(user, "4826"))["text"].startswith("✅ Checked in.")
    assert (await watch_row(bot, user))["last_checkin_at"] == "2026-03-01T11:00:00.000000Z"
    assert await context_bodies(bot) == []


async def test_button_pop_ups_speak_the_language_chosen_not_the_phones(bot: RunningBot) -> None:
    russian = TRANSLATIONS["ru"]
    user = bot.fake.add_user(language_code="en")
    await say(user, "/start")
    await say(user, "/lang ru")
    await user.send("/status")
    status = await user.next_message(timeout=10)
    for data in ("zz:1", "ak:999", "dc:999"):
        since = len(bot.fake.calls)
        await user.press_raw(status["message_id"], data)
        popup = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
        assert popup.params.get("text") == russian("This button no longer works."), (data, popup)
    # Someone who never chose a language hears their phone's.
    stranger = bot.fake.add_user(language_code="tk")
    await stranger.send("/help")
    mine = await stranger.next_message(timeout=10)
    since = len(bot.fake.calls)
    await stranger.press_raw(mine["message_id"], "zz:1")
    popup = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
    assert popup.params["text"] == TRANSLATIONS["tk"]("This button no longer works.")
