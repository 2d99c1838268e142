"""Which typed messages are check-ins: only a whole "I'm fine", in any of the languages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checkin_words import CHECKIN_WORDS, is_checkin_phrase


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "OK",
        "Ok!",
        "okay.",
        "I'm OK",
        "I\u2019m ok 👍",
        "i am fine",
        "\u041e\u041a",
        "Я в порядке!",
        "всё хорошо",
        "Men gowy",
        "bolýar",
    ],
)
def test_a_whole_phrase_in_any_language_and_any_case_is_a_check_in(text: str) -> None:
    assert is_checkin_phrase(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ok, police at the door",
        "not ok",
        "ok ok",
        "okay then",
        "I'm not fine",
        "в порядке ли",
        "",
        "   ",
        "👍",
        "ok" + "!" * 60,
    ],
)
def test_anything_that_says_more_or_less_is_kept_as_context(text: str) -> None:
    assert not is_checkin_phrase(text)


@given(
    st.sampled_from(sorted(frozenset().union(*CHECKIN_WORDS.values()))),
    st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu")), min_size=2, max_size=12),
)
def test_a_phrase_followed_by_another_word_is_never_a_check_in(phrase: str, word: str) -> None:
    added = f"{phrase} {word}"
    # Unless the two words together are themselves a phrase ("all" + "good").
    if is_checkin_phrase(added):
        assert added.casefold() in frozenset().union(*CHECKIN_WORDS.values())
    else:
        assert not is_checkin_phrase(added)
