"""Pacing under Telegram's limits, on a clock the test moves: pure, no event loop."""

from __future__ import annotations

from bot.delivery.pacing import Pacer, PaceSettings

PRIVATE = 1001
OTHER = 1002
GROUP = -2001


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_private_chat_gets_a_burst_of_three_then_waits_over_a_second() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    for _ in range(3):
        assert PRIVATE not in pacer.held_chats()
        pacer.take(PRIVATE)
    assert pacer.held_chats() == {PRIVATE}
    clock.now += 1.0
    assert PRIVATE in pacer.held_chats()
    clock.now += 0.11
    assert PRIVATE not in pacer.held_chats()


def test_a_group_stays_within_twenty_a_minute() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    sent = 0
    # A minute and a half of trying every 100 ms.
    for _ in range(900):
        if GROUP not in pacer.held_chats():
            pacer.take(GROUP)
            sent += 1
        clock.now += 0.1
    # Telegram's bucket (20, then one per 3 s) would have allowed 20 + 30 = 50.
    assert 19 + 27 - 1 <= sent <= 50


def test_a_waiting_chat_does_not_hold_back_another() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    for _ in range(19):
        pacer.take(GROUP)
    assert pacer.held_chats() == {GROUP}
    assert PRIVATE not in pacer.held_chats()


def test_the_overall_budget_spreads_sends_at_twenty_eight_a_second() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    sent = 0
    for step in range(1000):  # one second in milliseconds
        clock.now = 100.0 + step / 1000
        if pacer.overall_room() > 0:
            pacer.take(10_000 + sent)
            sent += 1
    assert sent <= PaceSettings().overall_burst + 28


def test_one_chat_refused_holds_only_that_chat_but_two_hold_everyone() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    assert not pacer.refused(PRIVATE, 5)
    assert pacer.overall_room() > 0
    assert pacer.refused(OTHER, 5)
    assert pacer.overall_room() == 0
    next_release = pacer.next_release()
    assert next_release is not None
    assert abs(next_release - 5) < 1e-9
    clock.now += 5
    assert pacer.overall_room() > 0


def test_a_refusal_long_over_does_not_count_towards_a_flood() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    pacer.refused(PRIVATE, 1)
    clock.now += 2
    assert not pacer.refused(OTHER, 1)
