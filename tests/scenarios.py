"""Shared story steps for the adversary tests, and named probes of the bot's database."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningBot, query
from tests.fake_telegram import SimUser
from tests.test_alerts_e2e import add_contact, say
from tests.test_pins_e2e import set_pins

PIN = "2468"
DURESS = "1357"
INSTRUCTIONS = "Call lawyer Begench, number in my notebook"


async def activist_and_contact(
    bot: RunningBot,
    *,
    pin: str | None = PIN,
    duress: str | None = None,
    instructions: bool = False,
) -> tuple[SimUser, SimUser]:
    """Return Azat (every 12 h, the default reminder) and his contact Dilbar, set up at T0."""
    azat = bot.fake.add_user(first_name="Azat")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await say(azat, "/start")
    assert (await say(azat, "/every 12h"))["text"].startswith("Plan set:")
    await add_contact(azat, dilbar)
    if instructions:
        reply = await say(azat, f"/instructions {INSTRUCTIONS}")
        assert reply["text"].startswith("🔒 Instructions saved.")
    if pin is not None:
        await set_pins(azat, pin, duress=duress)
    return azat, dilbar


async def watch_row(bot: RunningBot) -> dict[str, Any]:
    """Return the one watch, as stored."""
    rows = await query(bot, "SELECT * FROM watches")
    assert len(rows) == 1, rows
    return rows[0]


async def instruction_rows(bot: RunningBot) -> list[dict[str, Any]]:
    return await query(bot, "SELECT * FROM instructions")


async def incident_rows(bot: RunningBot) -> list[dict[str, Any]]:
    return await query(bot, "SELECT id, reason, closed_at, repeats FROM incidents ORDER BY id")


async def everything_that_decides_an_alert(bot: RunningBot) -> dict[str, Any]:
    """Return the watch, the instructions and the incidents, to compare before and after."""
    return {
        "watch": await watch_row(bot),
        "instructions": await instruction_rows(bot),
        "incidents": await incident_rows(bot),
    }


def texts(user: SimUser) -> list[str]:
    """Return the text of every message the bot sent to ``user`` so far."""
    return [m.text or "" for m in user.messages]
