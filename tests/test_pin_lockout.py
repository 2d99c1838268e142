"""Wrong-PIN lock-outs: the pure machine, a brute-force budget, and the whole story end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.pins import FAILURE_STEP, LOCKOUTS, Belief, Check, Match, PinRecord, check
from tests.conftest import RunningBot, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_alerts_e2e import ALERT_SETTINGS, add_contact, say, sweep_at
from tests.test_pins_e2e import enter, set_pins

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PIN = "2468"
DURESS = "1357"
RECORD = PinRecord(pin_hash=f"hash:{PIN}", duress_hashes=(f"hash:{DURESS}",))


def matches(text: str, stored: str | None) -> bool:
    return stored == f"hash:{text}"


def wrong_times(record: PinRecord, count: int, now: datetime) -> tuple[PinRecord, list[Check]]:
    """Enter ``count`` distinct wrong PINs at ``now``; return the record and every outcome."""
    checks = []
    for attempt in range(count):
        checked = check(record, None, f"9{attempt:03d}", now, matches)
        checks.append(checked)
        record = checked.record
    return record, checks


# The pure machine.


def test_the_first_four_wrong_pins_only_count() -> None:
    record, checks = wrong_times(RECORD, FAILURE_STEP - 1, T0)
    assert [c.match for c in checks] == [Match.WRONG] * 4
    assert [c.record.failures for c in checks] == [1, 2, 3, 4]
    assert all(c.alert_failures is None for c in checks)
    assert record.locked_until is None
    assert not record.is_locked(T0)


def test_the_fifth_wrong_pin_alerts_and_locks_for_a_minute() -> None:
    record, checks = wrong_times(RECORD, FAILURE_STEP, T0)
    assert checks[-1].match is Match.WRONG
    assert checks[-1].alert_failures == 5
    assert record.locked_until == T0 + timedelta(minutes=1)
    assert record.is_locked(T0 + timedelta(seconds=59))
    assert not record.is_locked(T0 + timedelta(minutes=1))


def test_during_a_lock_out_even_the_true_pin_is_wrong_and_nothing_is_counted() -> None:
    record, _ = wrong_times(RECORD, FAILURE_STEP, T0)
    for moment in (T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=59)):
        for text in (PIN, "0000", "9000"):
            checked = check(record, None, text, moment, matches)
            assert checked.match is Match.WRONG
            assert checked.record == record
            assert checked.alert_failures is None


def test_after_the_lock_out_the_true_pin_unlocks_and_clears_the_count() -> None:
    record, _ = wrong_times(RECORD, FAILURE_STEP, T0)
    checked = check(record, None, PIN, T0 + timedelta(minutes=1), matches)
    assert checked.match is Match.TRUE
    assert checked.record == replace(RECORD, failures=0, locked_until=None)


def test_each_further_five_wrong_pins_alert_with_their_count_and_lock_longer() -> None:
    record = RECORD
    now = T0
    expected = [*LOCKOUTS, LOCKOUTS[-1], LOCKOUTS[-1]]
    for step, lockout in enumerate(expected, start=1):
        record, checks = wrong_times(record, FAILURE_STEP, now)
        assert [c.alert_failures for c in checks] == [None] * 4 + [step * FAILURE_STEP]
        assert record.failures == step * FAILURE_STEP
        assert record.locked_until == now + lockout
        # Guesses during the lock-out neither count nor lengthen it.
        refused, _ = wrong_times(record, 3, now + lockout / 2)
        assert refused == record
        assert record.locked_until is not None
        now = record.locked_until
    assert [*LOCKOUTS] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=8),
        timedelta(hours=24),
    ]


def test_a_duress_pin_works_during_a_lock_out_and_leaves_the_lock_out_as_it_was() -> None:
    record, _ = wrong_times(RECORD, FAILURE_STEP, T0)
    checked = check(record, None, DURESS, T0 + timedelta(seconds=10), matches)
    assert checked.match is Match.DURESS
    assert checked.matched_hash == f"hash:{DURESS}"
    assert checked.record == record
    assert checked.alert_failures is None


def test_a_duress_pin_the_phone_does_not_believe_is_shown_wrong_but_still_matches() -> None:
    belief = Belief(pin_hash="hash:5555", duress_hash=None)
    record, _ = wrong_times(RECORD, FAILURE_STEP, T0)
    for moment in (T0, T0 + timedelta(hours=1)):
        checked = check(record, belief, DURESS, moment, matches)
        assert checked.match is Match.DURESS_SHOWN_WRONG
        assert checked.matched_hash == f"hash:{DURESS}"
    believed = check(record, belief, "5555", T0, matches)
    assert believed.match is Match.DURESS


def test_a_duress_pin_never_counts_as_a_wrong_pin() -> None:
    record, _ = wrong_times(RECORD, FAILURE_STEP - 1, T0)
    checked = check(record, None, DURESS, T0, matches)
    assert checked.record.failures == FAILURE_STEP - 1
    assert checked.alert_failures is None


def test_a_person_without_a_pin_never_matches_and_none_hashes_are_never_matched() -> None:
    checked = check(PinRecord(), None, PIN, T0, matches)
    assert checked.match is Match.WRONG
    assert check(PinRecord(), Belief(None, None), "", T0, matches).match is Match.WRONG


def guesses_in(days: int, pin: str, seconds_per_guess: float) -> tuple[int, bool]:
    """Guess every 4-digit PIN in order as fast as allowed; return (guesses, found)."""
    record = replace(RECORD, pin_hash=f"hash:{pin}")
    now = T0
    end = T0 + timedelta(days=days)
    guesses = 0
    for candidate in (f"{n:04d}" for n in range(10_000)):
        if record.locked_until is not None and now < record.locked_until:
            now = record.locked_until
        if now >= end:
            break
        checked = check(record, None, candidate, now, matches)
        guesses += 1
        if checked.match is Match.TRUE:
            return guesses, True
        record = checked.record
        now += timedelta(seconds=seconds_per_guess)
    return guesses, False


@pytest.mark.parametrize("seconds_per_guess", [0, 2])
def test_guessing_a_four_digit_pin_as_fast_as_allowed_gets_few_guesses_in_thirty_days(
    seconds_per_guess: float,
) -> None:
    guesses, found = guesses_in(30, "9999", seconds_per_guess)
    # 5 guesses before each of 5 growing lock-outs (10 h 36 min), then 5 a day.
    assert guesses < 1_000
    assert guesses <= 5 * (5 + 30 + 1)
    assert not found


def test_a_pin_among_the_first_guesses_falls_so_the_budget_is_what_protects() -> None:
    assert guesses_in(30, "0003", 0) == (4, True)
    guesses, found = guesses_in(30, "0150", 0)
    assert found
    assert guesses == 151


# End to end.


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def protected_activist(bot: RunningBot, duress: str | None = None) -> tuple[SimUser, SimUser]:
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    await say(azat, "/every 12h")
    await say(azat, "/remind off")
    await add_contact(azat, dilbar)
    await set_pins(azat, PIN, duress=duress)
    return azat, dilbar


async def last_checkin(bot: RunningBot) -> str | None:
    rows = await query(bot, "SELECT last_checkin_at FROM watches")
    value: str | None = rows[0]["last_checkin_at"]
    return value


async def five_wrong(azat: SimUser, first: int = 0) -> None:
    for attempt in range(first, first + FAILURE_STEP):
        assert (await enter(azat, f"9{attempt:03d}"))["text"] == "Wrong PIN. Try again."


async def test_five_wrong_pins_lock_out_even_the_true_pin_for_a_minute_then_it_checks_in(
    bot: RunningBot,
) -> None:
    azat, dilbar = await protected_activist(bot)
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    await five_wrong(azat)
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith(
        "⚠️ POSSIBLE COERCION: a wrong PIN was entered 5 times on Azat's phone."
    )
    # The sixth attempt, with the true PIN, inside the minute: refused, no check-in.
    bot.clock.set(T0 + timedelta(seconds=59))
    assert (await enter(azat, PIN))["text"] == "Wrong PIN. Try again."
    assert await last_checkin(bot) is None
    failures = await query(bot, "SELECT failures, locked_until FROM pins")
    assert failures[0]["failures"] == 5
    # After the minute the true PIN checks in and the contacts hear the all-clear.
    await sweep_at(bot, T0 + timedelta(minutes=1))
    assert (await enter(azat, PIN))["text"].startswith("✅ Checked in.")
    assert await last_checkin(bot) is not None
    clear = await dilbar.next_message(timeout=10)
    assert clear["text"].startswith("✅ All clear: Azat checked in.")
    rows = await query(bot, "SELECT failures, locked_until FROM pins")
    assert rows == [{"failures": 0, "locked_until": None}]


async def test_ten_and_fifteen_wrong_pins_alert_again_with_their_counts(bot: RunningBot) -> None:
    azat, dilbar = await protected_activist(bot)
    await say(azat, "/ok")
    await five_wrong(azat, 0)
    first = await dilbar.next_message(timeout=10)
    assert "a wrong PIN was entered 5 times" in first["text"]
    bot.clock.set(T0 + timedelta(minutes=1))
    await five_wrong(azat, 5)
    second = await dilbar.next_message(timeout=10)
    assert second["text"].startswith(
        "⚠️ POSSIBLE COERCION: a wrong PIN was entered 10 times on Azat's phone."
    )
    # Locked for five minutes now: guesses inside them are refused and not counted.
    bot.clock.set(T0 + timedelta(minutes=5))
    for attempt in range(10, 13):
        assert (await enter(azat, f"9{attempt:03d}"))["text"] == "Wrong PIN. Try again."
    assert (await query(bot, "SELECT failures FROM pins"))[0]["failures"] == 10
    bot.clock.set(T0 + timedelta(minutes=6))
    await five_wrong(azat, 20)
    third = await dilbar.next_message(timeout=10)
    assert third["text"].startswith(
        "⚠️ POSSIBLE COERCION: a wrong PIN was entered 15 times on Azat's phone."
    )
    rows = await query(bot, "SELECT failures, locked_until FROM pins")
    assert rows[0]["failures"] == 15
    assert rows[0]["locked_until"].startswith("2026-03-01T09:36:00")
    reasons = [r["reason"] for r in await query(bot, "SELECT reason FROM incidents ORDER BY id")]
    assert reasons == ["pin_failures"] * 3


async def test_the_duress_pin_during_a_lock_out_raises_the_alarm_and_looks_like_success(
    bot: RunningBot,
) -> None:
    azat, dilbar = await protected_activist(bot, duress=DURESS)
    await say(azat, "/ok")
    await five_wrong(azat)
    assert "a wrong PIN was entered 5 times" in (await dilbar.next_message(timeout=10))["text"]
    bot.clock.set(T0 + timedelta(seconds=20))
    assert (await enter(azat, DURESS))["text"].startswith("✅ Checked in.")
    alarm = await dilbar.next_message(timeout=10)
    assert alarm["text"].startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    # The server keeps watching: no real check-in, the lock-out stands.
    assert await last_checkin(bot) is None
    rows = await query(bot, "SELECT failures, locked_until FROM pins")
    assert rows[0]["failures"] == 5
    assert rows[0]["locked_until"].startswith("2026-03-01T09:01:00")
