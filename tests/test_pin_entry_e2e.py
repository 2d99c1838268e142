"""Digits never become last words, and every alert a PIN raised is cleared by the true PIN.

A PIN typed when no prompt is open (or after the prompt expired) must be deleted
at once and never kept as context for the contacts. After PIN failures or a
duress episode, a check-in with the true PIN sends the all-clear and stops the
repeats.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conditions import eventually
from tests.conftest import RunningBot, context_bodies, kept, make_settings, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.scenarios import DURESS, PIN, activist_and_contact, incident_rows, texts, watch_row
from tests.test_alerts_e2e import ALERT_SETTINGS, GRACE_ENDS, T0, say, sweep_at
from tests.test_pins_e2e import enter

KEPT = "📝 Kept for your contacts."
ALL_CLEAR = "✅ All clear: Azat checked in."
REPEAT = "🔁 Reminder"
WORDS = "At the migration office, back by 15:30"
DIGITS = [PIN, DURESS, " 2468 ", "12345", "000000", "987654321012"]


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def send_loose_digits(bot: RunningBot, azat: SimUser, digits: str) -> str:
    """Send digits nobody asked for; check they were deleted; return the bot's answer."""
    sent = await azat.send(digits)
    reply = (await azat.next_message(timeout=10))["text"]
    deleted = {c.params["message_id"] for c in bot.fake.calls_to("deleteMessage", chat_id=azat.id)}
    assert sent["message_id"] in deleted, digits
    assert not reply.startswith("📝")
    return str(reply)


async def nothing_kept_but_words(bot: RunningBot) -> None:
    bodies = [body for _, body in await context_bodies(bot)]
    assert bodies == [{"text": WORDS}]


async def alert_quotes_no_digits(bot: RunningBot, dilbar: SimUser) -> None:
    await sweep_at(bot, GRACE_ENDS + timedelta(seconds=1))
    alert = (await dilbar.next_message(timeout=10))["text"]
    assert alert.startswith("🚨 Azat missed a check-in.")
    assert WORDS in alert
    for digits in DIGITS:
        assert digits.strip() not in alert


@pytest.mark.parametrize("digits", DIGITS, ids=repr)
async def test_with_a_pin_digits_sent_with_no_prompt_open_are_deleted_and_never_kept(
    bot: RunningBot, digits: str
) -> None:
    azat, dilbar = await activist_and_contact(bot, duress=DURESS)
    await kept(azat, WORDS)
    reply = await send_loose_digits(bot, azat, digits)
    assert reply.startswith("🔒 I deleted that message")
    await nothing_kept_but_words(bot)
    # Not a check-in; only the duress PIN, typed unasked, raises the alarm.
    assert (await watch_row(bot))["last_checkin_at"] is None
    reasons = [row["reason"] for row in await incident_rows(bot)]
    assert reasons == (["duress"] if digits == DURESS else [])
    if digits == DURESS:
        alarm = (await dilbar.next_message(timeout=10))["text"]
        assert alarm.startswith("⚠️ POSSIBLE COERCION")
    await alert_quotes_no_digits(bot, dilbar)


@pytest.mark.parametrize("digits", DIGITS, ids=repr)
async def test_with_a_pin_digits_sent_after_the_prompt_expired_are_deleted_and_never_kept(
    bot: RunningBot, digits: str
) -> None:
    azat, dilbar = await activist_and_contact(bot, duress=DURESS)
    await kept(azat, WORDS)
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    bot.clock.set(T0 + timedelta(minutes=11))
    reply = await send_loose_digits(bot, azat, digits)
    assert "No PIN was asked for" in reply
    await nothing_kept_but_words(bot)
    assert (await watch_row(bot))["last_checkin_at"] is None
    if digits == DURESS:
        alarm = (await dilbar.next_message(timeout=10))["text"]
        assert alarm.startswith("⚠️ POSSIBLE COERCION")
    await alert_quotes_no_digits(bot, dilbar)


async def test_without_a_pin_digits_are_kept_as_context_as_before(bot: RunningBot) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    sent = await kept(azat, "12345")
    deleted = {c.params["message_id"] for c in bot.fake.calls_to("deleteMessage", chat_id=azat.id)}
    assert sent["message_id"] not in deleted
    assert [body for _, body in await context_bodies(bot)] == [{"text": "12345"}]


async def no_repeat_after_the_all_clear(bot: RunningBot, dilbar: SimUser) -> None:
    """Sweep well past every repeat and escalation; nothing follows the all-clear."""
    cleared_at = bot.clock.now()
    for later in (timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=3)):
        await sweep_at(bot, cleared_at + later)
    seen = texts(dilbar)
    after = seen[seen.index(next(t for t in seen if t.startswith(ALL_CLEAR))) + 1 :]
    assert not any(text.startswith(REPEAT) for text in after), after
    assert after == []
    assert all(row["closed_at"] is not None for row in await incident_rows(bot))


async def test_after_five_wrong_pins_the_true_pin_sends_the_all_clear_and_stops_the_repeats(
    bot: RunningBot,
) -> None:
    azat, dilbar = await activist_and_contact(bot)
    await say(azat, "/ok")
    for attempt in range(5):
        assert (await enter(azat, f"900{attempt}"))["text"] == "Wrong PIN. Try again."
    alert = await dilbar.next_message(timeout=10)
    assert "a wrong PIN was entered 5 times" in alert["text"]
    await sweep_at(bot, T0 + timedelta(minutes=1))
    assert (await enter(azat, PIN))["text"].startswith("✅ Checked in.")
    clear = await dilbar.next_message(timeout=10)
    assert clear["text"].startswith(ALL_CLEAR)
    await no_repeat_after_the_all_clear(bot, dilbar)
    assert [row["reason"] for row in await incident_rows(bot)] == ["pin_failures"]


async def test_after_a_duress_check_in_the_true_pin_an_hour_later_closes_the_incident(
    bot: RunningBot,
) -> None:
    azat, dilbar = await activist_and_contact(bot, duress=DURESS)
    await say(azat, "/ok")
    assert (await enter(azat, DURESS))["text"].startswith("✅ Checked in.")
    alarm = await dilbar.next_message(timeout=10)
    assert alarm["text"].startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    # Nobody takes it: the repeats run their course within the hour.
    await sweep_at(bot, T0 + timedelta(hours=1))

    async def repeated() -> bool:
        return any(text.startswith(REPEAT) for text in texts(dilbar))

    await eventually(repeated, what="a repeat of the duress alert")
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    assert (await enter(azat, PIN))["text"].startswith("✅ Checked in.")

    async def cleared() -> bool:
        return any(text.startswith(ALL_CLEAR) for text in texts(dilbar))

    await eventually(cleared, what="the all-clear to Dilbar")
    await no_repeat_after_the_all_clear(bot, dilbar)
    rows = await incident_rows(bot)
    assert [row["reason"] for row in rows] == ["duress"]
    assert rows[0]["closed_at"] is not None
    assert (await watch_row(bot))["last_checkin_at"] is not None
