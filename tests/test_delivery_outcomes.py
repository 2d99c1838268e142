"""Telegram's answers classified into what delivery does next: pure, no event loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery.outcomes import FollowChat, GiveUp, RetryAt, backoff, classify

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_retry_after_waits_exactly_as_long_as_telegram_asked_and_says_it_is_a_flood() -> None:
    outcome = classify(RetryAfter(timedelta(seconds=7)), T0, attempts=3)
    assert outcome == RetryAt(T0 + timedelta(seconds=7), "retry after", flood=True)


def test_a_group_that_became_a_supergroup_is_followed() -> None:
    assert classify(ChatMigrated(-100123), T0, attempts=0) == FollowChat(-100123)


def test_a_timeout_is_retried_with_backoff_because_it_may_not_have_been_delivered() -> None:
    outcome = classify(TimedOut(), T0, attempts=0)
    assert outcome == RetryAt(T0 + timedelta(seconds=2), "timed out")


@pytest.mark.parametrize("error", [NetworkError("Bad Gateway"), Conflict("busy")])
def test_server_and_network_errors_are_retried_with_growing_backoff(error: TelegramError) -> None:
    outcome = classify(error, T0, attempts=2)
    assert isinstance(outcome, RetryAt)
    assert outcome.at == T0 + timedelta(seconds=8)
    assert not outcome.flood


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [2, 4, 8, 16]
    assert backoff(50) == timedelta(minutes=5)


def test_a_chat_that_blocked_the_bot_is_given_up_as_unreachable() -> None:
    outcome = classify(Forbidden("Forbidden: bot was blocked by the user"), T0, attempts=0)
    assert outcome == GiveUp("Forbidden: bot was blocked by the user", unreachable=True)


@pytest.mark.parametrize(
    "message", ["Bad Request: chat not found", "Bad Request: PEER_ID_INVALID", "User not found"]
)
def test_a_chat_that_does_not_exist_is_given_up_as_unreachable(message: str) -> None:
    outcome = classify(BadRequest(message), T0, attempts=0)
    assert isinstance(outcome, GiveUp)
    assert outcome.unreachable


def test_any_other_bad_request_is_our_fault_and_leaves_the_contact_reachable() -> None:
    error = BadRequest("Bad Request: message text is empty")
    assert classify(error, T0, attempts=0) == GiveUp(error.message, unreachable=False)
