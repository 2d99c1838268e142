"""``make demo``: the core story plays by itself against the fake Telegram and ends."""

from __future__ import annotations

import io

import pytest

from demo.__main__ import LAST_WORDS, play


@pytest.mark.parametrize("language", ["en", "tk"])
async def test_the_demo_plays_the_core_story_and_ends(language: str) -> None:
    out = io.StringIO()
    await play(language, out)
    printed = out.getvalue()
    # Each scene, in order, with what each person saw.
    scenes = [line for line in printed.splitlines() if line.startswith("── ")]
    assert len(scenes) == 6
    assert f"“{LAST_WORDS[language]}”" in printed.split("5. Grace is over")[1]
    assert "🤖 📍 map pin 37.9440, 58.3800" in printed
    assert "(no buttons left)" in printed
    assert printed.rstrip().endswith("The demo is over; its database and key were deleted.")
    if language == "tk":
        assert "🚨 Aýna bellenen wagtda howpsuzdygyny tassyklamady." in printed
        assert "Howp sowuldy" in printed
