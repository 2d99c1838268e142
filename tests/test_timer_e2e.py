"""Timed check-ins end to end: the note in the alert, "I'm back", more time, beside a plan."""

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
from tests.test_alerts_e2e import ALERT_SETTINGS, T0, say, sweep_at
from tests.test_corruption_e2e import damage
from tests.test_pins_e2e import enter

NOTE = "Summoned to the migration office, Lenina 5"
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


def buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict), message
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


async def alerts_to(user: SimUser) -> list[str]:
    return [text for text in texts(user) if text.startswith("🚨")]


async def test_a_missed_timer_alerts_with_the_note_and_return_time_before_the_last_words(
    bot: RunningBot,
) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    await kept(azat, "Leaving the flat now")
    reply = await say(azat, f"/timer 2h {NOTE}")
    assert reply["text"].startswith("⏱ Timer running: back by Sun, Mar 1 11:00 (in 2 hours).")
    # A note was given: no question about it.
    assert "What are you going to do" not in reply["text"]
    assert buttons(reply) == ["🏠 I'm back", "+30 min", "+1 h"]
    # The note is sealed like every word the activist leaves.
    notes = await query(bot, "SELECT body FROM timer_notes")
    assert len(notes) == 1
    assert "Lenina" not in notes[0]["body"]

    await sweep_at(bot, T0 + 2 * H - 10 * M)
    reminder = await azat.next_message(timeout=10)
    assert reminder["text"].startswith("⏰ Your timer ends at Sun, Mar 1 11:00 (in 10 minutes).")
    assert buttons(reminder)[0] == "🏠 I'm back"
    await sweep_at(bot, T0 + 2 * H)
    prompt = await azat.next_message(timeout=10)
    assert prompt["text"].startswith("⚠️ Your timer ended at Sun, Mar 1 11:00.")
    assert await alerts_to(dilbar) == []

    await sweep_at(bot, T0 + 2 * H + 30 * M)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🚨 Azat did not come back in time from a timed check-in.")
    assert f"What they said they were doing: “{NOTE}”" in alert
    assert "Timer started: Sun, Mar 1 09:00" in alert
    assert "Expected back by: Sun, Mar 1 11:00" in alert
    assert alert.index(NOTE) < alert.index("Last messages") < alert.index("Leaving the flat")
    incidents = await query(bot, "SELECT reason, detail FROM incidents")
    assert [row["reason"] for row in incidents] == ["timer"]
    assert "Lenina" not in incidents[0]["detail"]

    # Back at last: the all-clear, and the note is gone with the timer.
    back = await say(azat, "/ok")
    assert "⏱ Your timer is over: welcome back." in back["text"]
    assert "Your contacts are being told that you are safe." in back["text"]
    assert await query(bot, "SELECT * FROM timer_notes") == []


async def test_i_am_back_ends_the_timer_and_nobody_is_alerted(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    reply = await say(azat, f"/timer 2h {NOTE}")
    await sweep_at(bot, T0 + H)
    await azat.press(reply["message_id"], "🏠 I'm back")
    back = await azat.next_message(timeout=10)
    assert back["text"].startswith("✅ Checked in.")
    assert "⏱ Your timer is over: welcome back." in back["text"]
    assert "Next check-in due by Sun, Mar 1 22:00" in back["text"]
    watch = (await query(bot, "SELECT timer_ends_at, deadline_at FROM watches"))[0]
    assert watch["timer_ends_at"] is None
    assert await query(bot, "SELECT * FROM timer_notes") == []
    await sweep_at(bot, T0 + 4 * H)
    assert await alerts_to(dilbar) == []
    assert await query(bot, "SELECT * FROM incidents") == []


async def test_more_time_moves_the_end_and_the_alert_with_it(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    reply = await say(azat, f"/timer 1h {NOTE}")
    await sweep_at(bot, T0 + 50 * M)
    reminder = await azat.next_message(timeout=10)
    await azat.press(reminder["message_id"], "+30 min")
    extended = await azat.next_message(timeout=10)
    assert extended["text"] == "⏱ Timer extended: back by Sun, Mar 1 10:30 (in 40 minutes)."
    assert buttons(extended) == ["🏠 I'm back", "+30 min", "+1 h"]
    # The old end and its grace pass: nothing.
    await sweep_at(bot, T0 + H + 30 * M)
    assert await alerts_to(dilbar) == []
    # The new end and its grace: the alert, still with the start of the timer.
    await sweep_at(bot, T0 + 2 * H)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert "Timer started: Sun, Mar 1 09:00" in alert
    assert "Expected back by: Sun, Mar 1 10:30" in alert
    assert reply["message_id"]


async def test_a_timer_beside_a_daily_plan_where_the_timer_ends_first(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    assert (await say(azat, "/at 21:00"))["text"].startswith("Plan set:")
    reply = await say(azat, "/timer 90m Meeting the lawyer at the cafe")
    assert reply["text"].startswith("⏱ Timer running: back by Sun, Mar 1 10:30")
    status = (await say(azat, "/status"))["text"]
    assert "⏱ Timer: back by Sun, Mar 1 10:30" in status
    assert "The timer was started at Sun, Mar 1 09:00." in status
    await sweep_at(bot, T0 + 2 * H)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🚨 Azat did not come back in time")
    assert "Meeting the lawyer at the cafe" in alert
    assert [r["reason"] for r in await query(bot, "SELECT reason FROM incidents")] == ["timer"]


async def test_a_timer_until_a_time_and_a_plan_deadline_that_comes_first(bot: RunningBot) -> None:
    azat, _dilbar = await activist_and_contact(bot, pin=None)
    assert (await say(azat, "/every 1h"))["text"].startswith("Plan set:")
    reply = await say(azat, "/timer 15:30 Night at an unfamiliar address")
    assert reply["text"].startswith(
        "⏱ Timer running: back by Sun, Mar 1 15:30 (in 6 hours 30 minutes)."
    )
    # The plan's hour comes first and governs; a check-in for it ends the timer.
    assert "Next check-in due by Sun, Mar 1 10:00" in (await say(azat, "/status"))["text"]
    back = await say(azat, "/ok")
    assert "⏱ Your timer is over: welcome back." in back["text"]


async def test_the_keyboard_button_a_length_and_then_the_note(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    offer = await say(azat, "⏱ Timer")
    assert offer["text"].startswith("⏱ A timer watches one risky errand")
    assert buttons(offer) == ["30 minutes", "1 hour", "2 hours", "4 hours"]
    await azat.press(offer["message_id"], "1 hour")
    started = await azat.next_message(timeout=10)
    assert started["text"].startswith("⏱ Timer running: back by Sun, Mar 1 10:00 (in 1 hour).")
    assert "What are you going to do, and where?" in started["text"]
    noted = await say(azat, "Meeting a source at the bazaar, north gate")
    assert noted["text"].startswith("📝 Noted for the timer.")
    # The note is the timer's, not last words too.
    assert await query(bot, "SELECT * FROM context_items") == []
    await sweep_at(bot, T0 + H + 30 * M)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert "What they said they were doing: “Meeting a source at the bazaar, north gate”" in alert


async def test_a_new_timer_replaces_the_running_one_only_when_confirmed(bot: RunningBot) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    await say(azat, f"/timer 2h {NOTE}")
    question = await say(azat, "/timer 4h Second errand")
    assert (
        question["text"]
        == "A timer is already running, until Sun, Mar 1 11:00. Replace it with the new one?"
    )
    await azat.press(question["message_id"], "Keep the running one")
    assert (await azat.next_message(timeout=10))["text"] == "The running timer stays as it is."
    assert (await query(bot, "SELECT timer_ends_at FROM watches"))[0]["timer_ends_at"].startswith(
        "2026-03-01T11:00"
    )
    question = await say(azat, "/timer 4h Second errand")
    await azat.press(question["message_id"], "Replace it")
    replaced = await azat.next_message(timeout=10)
    assert replaced["text"].startswith("⏱ Timer running: back by Sun, Mar 1 13:00")
    # A pressed replace button works once.
    await azat.press_raw(question["message_id"], encode(Action.TIMER_REPLACE, 1))
    assert (await query(bot, "SELECT timer_ends_at FROM watches"))[0]["timer_ends_at"].startswith(
        "2026-03-01T13:00"
    )


async def test_bad_lengths_are_refused_with_an_example_and_a_pause_waits_for_the_timer(
    bot: RunningBot,
) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    assert (await say(azat, "/timer soon"))["text"].startswith(
        "I could not read “soon” as a length or a time."
    )
    assert (await say(azat, "/timer 5m"))["text"].startswith(
        "That is too short: a timer runs at least 15 minutes. Example: /timer 2h"
    )
    assert (await say(azat, "/timer 30d"))["text"].startswith("That is too long")
    assert (await query(bot, "SELECT timer_ends_at FROM watches"))[0]["timer_ends_at"] is None
    await say(azat, "/timer 2h")
    assert (await say(azat, "/pause 1d"))["text"].startswith("A timer is running.")


async def test_a_stranger_cannot_press_someone_elses_timer_buttons(bot: RunningBot) -> None:
    azat, _dilbar = await activist_and_contact(bot, pin=None)
    reply = await say(azat, f"/timer 2h {NOTE}")
    before = await query(bot, "SELECT * FROM watches")
    stranger = bot.fake.add_user(first_name="Stranger")
    carrier = await say(stranger, "/start")
    azat_id = (await query(bot, "SELECT id FROM people WHERE telegram_user_id = ?", (azat.id,)))[0][
        "id"
    ]
    for data in (
        encode(Action.TIMER_BACK, azat_id),
        encode(Action.TIMER_MORE, azat_id, 60),
        encode(Action.TIMER_START, azat_id, 30),
    ):
        await stranger.press_raw(carrier["message_id"], data)
    # Azat's own forged extension of a length no button offers does nothing either.
    await azat.press_raw(reply["message_id"], encode(Action.TIMER_MORE, azat_id, 600))
    assert await query(bot, "SELECT * FROM watches") == before


async def test_under_duress_i_am_back_looks_done_but_the_timer_still_alerts(
    bot: RunningBot,
) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=PIN, duress=DURESS)
    assert (await say(azat, f"/timer 2h {NOTE}"))["text"] == "🔒 Enter your PIN."
    started = await enter(azat, PIN)
    assert started["text"].startswith("⏱ Timer running: back by Sun, Mar 1 11:00")
    await azat.press(started["message_id"], "🏠 I'm back")
    assert (await azat.next_message(timeout=10))["text"] == "🔒 Enter your PIN."
    back = await enter(azat, DURESS)
    # The phone is shown the timer over, exactly as for the true PIN...
    assert back["text"].startswith("✅ Checked in.\n⏱ Your timer is over: welcome back.")
    duress_alert = (await dilbar.next_message(timeout=10))["text"]
    assert duress_alert.startswith("⚠️ POSSIBLE COERCION")
    # ... while the real timer runs on, and its end alerts the contacts too.
    await sweep_at(bot, T0 + 2 * H + 30 * M)
    reasons = [r["reason"] for r in await query(bot, "SELECT reason FROM incidents ORDER BY id")]
    assert reasons == ["duress", "timer"]
    assert any(NOTE in text for text in await alerts_to(dilbar))


async def test_an_open_question_never_swallows_the_timer_button_or_a_check_in(
    bot: RunningBot,
) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    await say(azat, "/tz")
    await azat.next_message(timeout=10)
    # The zone is asked; the timer's button is still the timer's button.
    offer = await say(azat, "⏱ Timer")
    assert offer["text"].startswith("⏱ A timer watches one risky errand")
    await azat.press(offer["message_id"], "30 minutes")
    assert "What are you going to do" in (await azat.next_message(timeout=10))["text"]
    # The note is asked; "ok" is still a check-in, which ends the timer.
    back = await say(azat, "ok")
    assert back["text"].startswith("✅ Checked in.\n⏱ Your timer is over: welcome back.")
    assert await query(bot, "SELECT * FROM context_items") == []
    assert await query(bot, "SELECT * FROM timer_notes") == []


async def test_a_damaged_note_is_reported_and_the_alert_still_goes_out(bot: RunningBot) -> None:
    azat, dilbar = await activist_and_contact(bot, pin=None)
    await say(azat, f"/timer 1h {NOTE}")
    # A failing disk (or a hand) damages the sealed note.
    await damage(bot, "UPDATE timer_notes SET body = substr(body, 1, length(body) - 4) || 'AAAA'")
    await sweep_at(bot, T0 + H + 30 * M)
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🚨 Azat did not come back in time")
    assert "⚠️ What they said they were doing could not be read." in alert
    assert "Expected back by: Sun, Mar 1 10:00" in alert
