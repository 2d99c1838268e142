"""Setting up with buttons only: the guided first run, and each setting's buttons.

The real bot against the fake Telegram, as a person on a phone would do it:
pressing buttons and sharing a location, never typing a command's syntax.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import Action, encode
from bot.i18n import Translations
from bot.texts.keyboards import CHECKIN_LABEL, LOCATION_LABEL, SOS_LABEL, TIMER_LABEL
from bot.texts.setup import SHARE_LOCATION_LABEL, SKIP_LABEL, SKIP_ZONE_LABEL, done_text, zone_step
from tests.conditions import eventually
from tests.conftest import RunningBot, context_bodies, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TRANSLATIONS = Translations()
# Aşgabat, and a point in Berlin.
ASHGABAT = (37.95, 58.38)
BERLIN = (52.52, 13.40)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def watch_of(bot: RunningBot, user: SimUser) -> dict[str, Any]:
    [row] = await query(
        bot,
        "SELECT w.*, p.language FROM watches w JOIN people p ON p.id = w.person_id "
        "WHERE p.telegram_user_id = ?",
        (user.id,),
    )
    return row


def buttons(message: dict[str, Any]) -> list[list[str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[button["text"] for button in row] for row in rows]


def current(user: SimUser, message: dict[str, Any]) -> dict[str, Any]:
    """Return ``message`` as it reads now, after the bot's edits."""
    [stored] = [m for m in user.messages if m.message_id == message["message_id"]]
    return stored.data


async def press_and_see_edit(
    bot: RunningBot, user: SimUser, message: dict[str, Any], button: str
) -> dict[str, Any]:
    """Press ``button`` on ``message`` and return the message once the bot edited it."""
    since = len(bot.fake.calls)
    await user.press(message["message_id"], button)
    await bot.fake.wait_for_call("editMessageText", chat_id=user.id, since=since, timeout=10)
    return current(user, message)


async def test_a_new_person_sets_up_in_turkmen_with_buttons_only(bot: RunningBot) -> None:
    tr = TRANSLATIONS["tk"]
    user = bot.fake.add_user(first_name="Aýna", language_code="tk")
    await user.send("/start")
    welcome = await user.next_message(timeout=10)
    assert welcome["text"].startswith("Still Here botuna hoş geldiňiz.")
    assert tr("Which language should I speak with you?") in welcome["text"]
    # The phone's language is one the bot speaks: it is preselected.
    assert buttons(welcome) == [["English", "Русский", "✓ Türkmençe"]]

    await user.press(welcome["message_id"], "✓ Türkmençe")
    plan = await user.next_message(timeout=10)
    assert plan["text"] == tr(
        "How often should you check in? If you miss a check-in, I remind you, and then "
        "alert the contacts you chose."
    )
    # The question answered keeps its text, with the answer, and loses its buttons.
    assert current(user, welcome)["text"].endswith("→ Türkmençe")
    assert "reply_markup" not in current(user, welcome)

    every_12h = tr("Every {duration}", duration=tr.hours(timedelta(hours=12)))
    assert buttons(plan)[0] == [
        tr("Every {duration}", duration=tr.hours(timedelta(hours=hours))) for hours in (6, 12, 24)
    ]
    await user.press(plan["message_id"], every_12h)
    plan_set = await user.next_message(timeout=10)
    assert plan_set["text"].startswith(
        tr(
            "Plan set: check in {plan}.",
            plan=tr("every {duration}", duration=tr.duration(timedelta(hours=12))),
        )
    )

    zone = await user.next_message(timeout=10)
    assert zone["text"] == zone_step(tr, T0)[0]
    await user.tap_location(tr(SHARE_LOCATION_LABEL), *ASHGABAT)
    zone_set = await user.next_message(timeout=10)
    assert zone_set["text"].startswith(tr("Time zone set: {zone}.", zone="Asia/Ashgabat"))
    # The place set the zone and nothing else: it is not kept for anyone.
    assert await context_bodies(bot) == []
    # The usual keyboard is back, in Turkmen.
    keyboard = user.reply_keyboard
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["text"] == tr(CHECKIN_LABEL)

    grace = await user.next_message(timeout=10)
    assert grace["text"].endswith("Bu siziň garaşma wagtyňyz.")
    await user.press(grace["message_id"], tr.duration(timedelta(hours=1)))
    grace_set = await user.next_message(timeout=10)
    assert grace_set["text"].startswith(
        tr(
            "Grace set: your contacts are alerted {grace} after a missed check-in.",
            grace=tr.duration(timedelta(hours=1)),
        )
    )

    invite = await user.next_message(timeout=10)
    await user.press(invite["message_id"], tr("👤 Invite a contact"))
    link = await user.next_message(timeout=10)
    assert "https://t.me/" in link["text"]
    done = await user.next_message(timeout=10)
    assert done["text"] == done_text(tr)
    labels = [[b["text"] for b in row] for row in (user.reply_keyboard or {})["keyboard"]]
    assert labels == [[tr(CHECKIN_LABEL), tr(SOS_LABEL)], [tr(LOCATION_LABEL), tr(TIMER_LABEL)]]

    row = await watch_of(bot, user)
    assert row["language"] == "tk"
    assert row["plan_every_seconds"] == 12 * 3600
    assert row["zone"] == "Asia/Ashgabat"
    assert row["grace_seconds"] == 3600
    assert row["deadline_at"] == "2026-03-01T21:00:00.000000Z"
    invites = await query(bot, "SELECT tier FROM invites")
    assert invites == [{"tier": 1}]
    # Every message of the run was in Turkmen: none is the English original.
    english = TRANSLATIONS["en"]
    assert done["text"] != done_text(english)
    assert zone["text"] != zone_step(english, T0)[0]


async def test_a_phone_in_another_language_is_asked_in_all_three(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="tr")
    await user.send("/start")
    welcome = await user.next_message(timeout=10)
    assert "Choose your language · Выберите язык · Dili saýlaň" in welcome["text"]
    # Nothing is preselected: a Turkish phone is not taken for an English speaker.
    assert buttons(welcome) == [["English", "Русский", "Türkmençe"]]
    await user.press(welcome["message_id"], "Русский")
    plan = await user.next_message(timeout=10)
    assert plan["text"].startswith("Как часто вам отмечаться?")
    assert (await query(bot, "SELECT language FROM people"))[0]["language"] == "ru"


async def test_every_step_can_be_skipped(bot: RunningBot) -> None:
    tr = TRANSLATIONS["en"]
    user = bot.fake.add_user(language_code="en")
    await user.send("/start")
    welcome = await user.next_message(timeout=10)
    await user.press(welcome["message_id"], "✓ English")
    plan = await user.next_message(timeout=10)
    await user.press(plan["message_id"], tr(SKIP_LABEL))
    zone = await user.next_message(timeout=10)
    assert zone["text"].startswith("Which time zone are you in?")
    await user.tap(tr(SKIP_ZONE_LABEL))
    stays = await user.next_message(timeout=10)
    assert stays["text"] == tr("Your time zone stays {zone}. /tz changes it.", zone="UTC")
    grace = await user.next_message(timeout=10)
    await user.press(grace["message_id"], tr(SKIP_LABEL))
    invite = await user.next_message(timeout=10)
    await user.press(invite["message_id"], tr("Later ▶"))
    done = await user.next_message(timeout=10)
    assert done["text"] == done_text(tr)
    # Nothing was chosen, so nothing is watched yet.
    assert await query(bot, "SELECT * FROM watches") == []
    # Skipping the zone ended the question: a location now is kept for the contacts.
    shared = await user.share_location(*BERLIN)
    assert await user.reaction_to(shared["message_id"], timeout=10) == ["✍"]
    assert len(await context_bodies(bot)) == 1


async def test_a_daily_time_is_chosen_by_button(bot: RunningBot) -> None:
    tr = TRANSLATIONS["en"]
    user = bot.fake.add_user(language_code="en")
    await user.send("/every")
    plan = await user.next_message(timeout=10)
    # Finding one's way inside the question edits the same message.
    daily = await press_and_see_edit(bot, user, plan, tr("Daily at a set time…"))
    assert daily["text"].startswith("At what time each day?")
    await user.press(plan["message_id"], "09:00")
    set_ = await user.next_message(timeout=10)
    assert set_["text"].startswith(
        tr(
            "Plan set: check in {plan}.",
            plan=tr("daily at {times} ({zone})", times="09:00", zone="UTC"),
        )
    )
    # Outside the guided run nothing more is asked.
    assert (await watch_of(bot, user))["plan_times"] == "09:00"


@pytest.mark.parametrize(
    ("command", "first_button", "column", "value"),
    [
        ("/grace", "15 minutes", "grace_seconds", 900),
        ("/remind", "15 minutes", "reminders", "900"),
    ],
)
async def test_settings_without_an_argument_show_buttons(
    bot: RunningBot, command: str, first_button: str, column: str, value: object
) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send("/every 12h")
    await user.next_message(timeout=10)
    await user.send(command)
    shown = await user.next_message(timeout=10)
    if command == "/grace":
        assert shown["text"] == "Grace is now 30 minutes."
        shown = await user.next_message(timeout=10)
    await user.press(shown["message_id"], first_button)
    await user.next_message(timeout=10)
    assert (await watch_of(bot, user))[column] == value


async def test_the_zone_from_a_location_after_tz_alone(bot: RunningBot) -> None:
    tr = TRANSLATIONS["ru"]
    user = bot.fake.add_user(language_code="ru")
    await user.send("/tz")
    assert (await user.next_message(timeout=10))["text"] == tr(
        "Your time zone is {zone}.", zone="UTC"
    )
    await user.next_message(timeout=10)
    await user.tap_location(tr(SHARE_LOCATION_LABEL), *BERLIN)
    reply = await user.next_message(timeout=10)
    assert reply["text"].startswith(tr("Time zone set: {zone}.", zone="Europe/Berlin"))
    assert await context_bodies(bot) == []
    # Not the guided run: no grace question follows.
    await user.send("/status")
    status = await user.next_message(timeout=10)
    assert "Europe/Berlin" in status["text"]


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Москва", "Europe/Moscow"), ("Aşgabat", "Asia/Ashgabat"), ("ashgabat", "Asia/Ashgabat")],
)
async def test_a_city_typed_in_any_language_names_the_zone(
    bot: RunningBot, typed: str, zone: str
) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send(f"/tz {typed}")
    reply = await user.next_message(timeout=10)
    assert reply["text"].startswith(f"Time zone set: {zone}.")


async def test_an_offset_is_confirmed_as_a_real_zone_with_confirm_first(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="tk")
    tr = TRANSLATIONS["tk"]
    await user.send("/tz UTC+5")
    offer = await user.next_message(timeout=10)
    first = buttons(offer)[0][0]
    assert first == tr("✅ {city} ({zone})", city="Aşgabat", zone="Asia/Ashgabat")
    await user.press(offer["message_id"], first)
    reply = await user.next_message(timeout=10)
    assert reply["text"].startswith(tr("Time zone set: {zone}.", zone="Asia/Ashgabat"))


async def test_a_typed_zone_answer_is_not_kept_as_last_words(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send("/tz")
    await user.next_message(timeout=10)
    await user.next_message(timeout=10)
    await user.send("Berlin")
    reply = await user.next_message(timeout=10)
    assert reply["text"].startswith("Time zone set: Europe/Berlin.")
    # The question was answered: the next text is an ordinary message again.
    await kept(user, "Mars")
    assert [body["text"] for _, body in await context_bodies(bot)] == ["Mars"]


async def test_a_check_in_while_the_zone_is_asked_is_still_a_check_in(bot: RunningBot) -> None:
    tr = TRANSLATIONS["en"]
    user = bot.fake.add_user(language_code="en")
    await user.send("/every 12h")
    await user.next_message(timeout=10)
    await user.send("/tz")
    await user.next_message(timeout=10)
    await user.next_message(timeout=10)
    await user.send("ok")
    assert (await user.next_message(timeout=10))["text"].startswith(tr("✅ Checked in."))


async def test_a_setting_button_waits_for_the_pin(bot: RunningBot) -> None:
    """A captor pressing an old setup button on the seized phone meets the PIN."""
    from tests.test_pins_e2e import enter, set_pins

    user = bot.fake.add_user(language_code="en")
    await user.send("/every 12h")
    await user.next_message(timeout=10)
    await set_pins(user, "2468")
    await user.send("/grace")
    await user.next_message(timeout=10)
    grace = await user.next_message(timeout=10)
    await user.press(grace["message_id"], "2 hours")
    assert (await user.next_message(timeout=10))["text"] == "🔒 Enter your PIN."
    assert (await watch_of(bot, user))["grace_seconds"] == 1800
    await enter(user, "2468")
    assert (await watch_of(bot, user))["grace_seconds"] == 7200


@pytest.mark.parametrize(
    "data",
    [
        encode(Action.SET_ZONE, 100_000, 1),
        encode(Action.SET_LANGUAGE, 9),
        encode(Action.SET_DAILY, 24 * 60 + 1),
        encode(Action.SETUP_STEP, 99),
        encode(Action.SET_INVITE, 3),
        encode(Action.SET_EVERY, 3600, 7),
    ],
)
async def test_forged_setup_buttons_change_nothing(bot: RunningBot, data: str) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send("/every 12h")
    reply = await user.next_message(timeout=10)
    before = await watch_of(bot, user)
    since = len(bot.fake.calls)
    await user.press_raw(reply["message_id"], data)
    answered = await bot.fake.wait_for_call("answerCallbackQuery", since=since, timeout=10)
    assert answered.params.get("text") == "This button no longer works."
    assert await watch_of(bot, user) == before


@pytest.mark.parametrize(
    ("typed", "column", "value"),
    [
        ("/every 12", "plan_every_seconds", 12 * 3600),
        ("/every 12 hours", "plan_every_seconds", 12 * 3600),
        ("/every 12ч", "plan_every_seconds", 12 * 3600),
        ("/every 12 saat", "plan_every_seconds", 12 * 3600),
        ("/every 1w", "plan_every_seconds", 7 * 86400),
        ("/at 9", "plan_times", "09:00"),
        ("/at 9:30 21", "plan_times", "09:30,21:00"),
        ("/at 9pm, 7am", "plan_times", "07:00,21:00"),
    ],
)
async def test_plans_are_read_as_people_type_them(
    bot: RunningBot, typed: str, column: str, value: object
) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send(typed)
    reply = await user.next_message(timeout=10)
    assert reply["text"].startswith("Plan set: check in")
    assert (await watch_of(bot, user))[column] == value


async def test_a_refused_input_gets_an_example_that_works(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="ru")
    tr = TRANSLATIONS["ru"]
    await user.send("/every often")
    reply = await user.next_message(timeout=10)
    assert reply["text"] == tr(
        "I could not read “{text}” as a duration. Write it like 90m, 12h, 2d or 1h30m. "
        "Example: {example}",
        text="often",
        example="/every 12h",
    )
    await user.send("/tz Mars")
    reply = await user.next_message(timeout=10)
    assert "Asia/Ashgabat" in reply["text"]
    assert "UTC+5" in reply["text"]


async def test_a_daily_plan_says_why_its_first_deadline_is_tomorrow(bot: RunningBot) -> None:
    # It is 09:00 UTC: 08:00 has passed today, 10:00 has not.
    user = bot.fake.add_user(language_code="en")
    await user.send("/at 8")
    reply = (await user.next_message(timeout=10))["text"]
    assert "Today's 08:00 has passed, so your first check-in is due tomorrow." in reply
    await user.send("/at 7:00 8:00")
    reply = (await user.next_message(timeout=10))["text"]
    assert "Today's 07:00, 08:00 have passed, so your first check-in is due tomorrow." in reply
    await user.send("/at 10")
    reply = (await user.next_message(timeout=10))["text"]
    assert "tomorrow" not in reply
    assert "Next check-in due by" in reply


async def test_a_contact_sees_a_contacts_menu_until_they_set_up_a_plan(bot: RunningBot) -> None:
    azat = bot.fake.add_user(first_name="Azat", language_code="en")
    dilbar = bot.fake.add_user(first_name="Dilbar", language_code="ru")
    await azat.send("/invite 1")
    link = (await azat.next_message(timeout=10))["text"]
    code = link.split("?start=", 1)[1].split()[0]
    await dilbar.send(f"/start {code}")
    offer = await dilbar.next_message(timeout=10)
    since = len(bot.fake.calls)
    await dilbar.press(offer["message_id"], (0, 0))
    chat = {"type": "chat", "chat_id": dilbar.id}
    await bot.fake.wait_for_call("setMyCommands", since=since, timeout=10)
    menu = bot.fake.commands(chat)
    assert [c["command"] for c in menu] == ["ask", "leave", "start", "lang", "help"]
    assert menu[0]["description"] == TRANSLATIONS["ru"]("Ask someone I watch over: are you OK?")
    # Watching over herself too: the whole menu.
    await dilbar.send("/every 12h")
    await dilbar.next_message(timeout=10)

    async def whole_menu() -> bool:
        return [c["command"] for c in bot.fake.commands(chat)][:3] == ["ok", "sos", "status"]

    await eventually(whole_menu, what="Dilbar's whole menu")


async def test_start_welcomes_someone_set_up_back_with_the_keyboard(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send("/every 12h")
    await user.next_message(timeout=10)
    await user.send("/start")
    back = await user.next_message(timeout=10)
    assert back["text"].startswith(
        "Welcome back. You check in every 12 hours.\nNext check-in due by"
    )
    assert "inline_keyboard" not in (back.get("reply_markup") or {})
    keyboard = user.reply_keyboard
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["text"] == "✅ I'm OK"


async def test_words_that_are_no_zone_are_kept_while_the_zone_is_asked(bot: RunningBot) -> None:
    user = bot.fake.add_user(language_code="en")
    await user.send("/tz")
    await user.next_message(timeout=10)
    await user.next_message(timeout=10)
    # Last words are never lost to a question.
    await kept(user, "Police at the door, they are taking me to the station")
    # A short unknown answer gets a hint, and is kept too.
    await user.send("Marsville")
    hint = await user.next_message(timeout=10)
    assert hint["text"].startswith("I do not know the time zone “Marsville”.")
    texts = [body.get("text") for _, body in await context_bodies(bot)]
    assert "Police at the door, they are taking me to the station" in texts

    async def marsville_kept() -> bool:
        return "Marsville" in [body.get("text") for _, body in await context_bodies(bot)]

    await eventually(marsville_kept, what="the short answer kept too")
    # The question is still open: a city answers it.
    await user.send("Berlin")
    assert (await user.next_message(timeout=10))["text"].startswith("Time zone set: Europe/Berlin.")
