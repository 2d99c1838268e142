"""Teams end to end: an admin's team, a second coordinator, an activist enrolled with consent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import Action, encode
from bot.services import teams as team_service
from storage.database import Database
from tests.conditions import eventually
from tests.conftest import RunningBot, kept, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.simulation import SimUser
from tests.test_alerts_e2e import (
    DEADLINE,
    GRACE_ENDS,
    activist_with_plan,
    add_contact,
    say,
)
from tests.test_pins_e2e import enter, set_pins

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOT_AVAILABLE = "This is not available to you."


@dataclass
class World:
    bot: RunningBot
    admin: SimUser


@pytest.fixture
async def world(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[World]:
    admin = fake_telegram.add_user(first_name="Admin")
    settings = make_settings(
        tmp_path, fake_telegram.base_url, f"[security]\nadmins = [{admin.id}]\n"
    )
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield World(running, admin)


def _code(reply: dict[str, Any]) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", reply["text"])
    assert match is not None, reply["text"]
    return match.group(1)


async def _accept(bot: RunningBot, user: SimUser, code: str) -> tuple[str, str]:
    """Open a team link and accept it; return the offer's text and what replaced it."""
    offer = await say(user, f"/start {code}")
    since = len(bot.fake.calls)
    await user.press(offer["message_id"], "✅ Accept")
    edited = await bot.fake.wait_for_call("editMessageText", chat_id=user.id, since=since)
    return offer["text"], str(edited.params["text"])


async def _person_id(bot: RunningBot, user: SimUser) -> int:
    rows = await query(bot, "SELECT id FROM people WHERE telegram_user_id = ?", (user.id,))
    return int(rows[0]["id"])


async def _menu_ends_with(bot: RunningBot, user: SimUser, ending: list[str]) -> bool:
    names = [c["command"] for c in bot.fake.commands({"type": "chat", "chat_id": user.id})]
    return names[-len(ending) :] == ending


async def _team_id(bot: RunningBot) -> int:
    return int((await query(bot, "SELECT id FROM teams"))[0]["id"])


async def _team_with_azat(bot: RunningBot, admin: SimUser) -> SimUser:
    """Create the team "Memorial" and enrol Azat (on a 12 h plan) in it; return Azat."""
    await say(admin, "/newteam Memorial")
    azat = await activist_with_plan(bot)
    await _accept(bot, azat, _code(await say(admin, "/enrol")))
    joined = await admin.next_message(timeout=10)
    assert joined["text"] == "👥 Azat joined the team Memorial."
    return azat


async def test_an_admin_builds_a_team_a_coordinator_enrols_an_activist_who_consents(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    created = await say(admin, "/newteam Memorial")
    assert "“Memorial” is created" in created["text"]
    # A second coordinator, by one-time link.
    dilbar = bot.fake.add_user(first_name="Dilbar")
    offer, done = await _accept(bot, dilbar, _code(await say(admin, "/coordinator")))
    assert "Admin invites you to be a coordinator of the team “Memorial”" in offer
    assert done.startswith("✅ You are now a coordinator of “Memorial”")
    notice = await admin.next_message(timeout=10)
    assert notice["text"] == "👥 Dilbar is now a coordinator of the team Memorial."
    # Both coordinators' chats now list the team commands; only the admin's /newteam.
    for coordinator, extra in ((admin, ["newteam"]), (dilbar, [])):
        await eventually(
            partial(
                _menu_ends_with,
                bot,
                coordinator,
                ["team", "coordinator", "enrol", "dutychat", "audit", *extra],
            ),
            what="the coordinator's chat menu",
        )
    # The activist sees exactly what coordinators will see, and accepts.
    azat = bot.fake.add_user(first_name="Azat")
    offer, done = await _accept(bot, azat, _code(await say(dilbar, "/enrol")))
    assert "Dilbar invites you to join the team “Memorial”" in offer
    assert "They never see your messages or your location" in offer
    assert done.startswith("✅ You joined “Memorial”")
    for coordinator in (admin, dilbar):
        told = await coordinator.next_message(timeout=10)
        assert told["text"] == "👥 Azat joined the team Memorial."
    trail = await say(admin, "/audit")
    assert trail["text"].splitlines()[0] == "Latest events of “Memorial”:"
    lines = trail["text"].splitlines()[2:]
    assert [line.split(" · ", 1)[1] for line in lines] == [
        "Azat joined (link from Dilbar)",
        "Dilbar became a coordinator (link from Admin)",
        "Admin created the team",
    ]
    # The activist leaves (no PIN set: no PIN asked); the coordinators are told.
    choice = await say(azat, "/leaveteam")
    await azat.press(choice["message_id"], "Memorial")
    left = await azat.next_message(timeout=10)
    assert left["text"] == "You left “Memorial”. Its coordinators are told."
    for coordinator in (admin, dilbar):
        told = await coordinator.next_message(timeout=10)
        assert told["text"] == "👥 Azat left the team Memorial."
    assert await query(bot, "SELECT * FROM members") == []


async def test_strangers_members_and_forged_buttons_learn_nothing_of_a_team(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    await say(admin, "/newteam Memorial")
    team_id = await _team_id(bot)
    azat = bot.fake.add_user(first_name="Azat")
    await _accept(bot, azat, _code(await say(admin, "/enrol")))
    stranger = bot.fake.add_user(first_name="Stranger")
    for outsider in (stranger, azat):
        for command in ("/newteam Mine", "/coordinator", "/enrol", "/audit"):
            reply = await say(outsider, command)
            assert reply["text"] == NOT_AVAILABLE, command
        # Forged team buttons on a message of their own.
        mine = await say(outsider, "/help")
        for data in (f"au:{team_id}", f"tk:{team_id}", f"te:{team_id}", "ao:1"):
            await outsider.press_raw(mine["message_id"], data)
            reply = await outsider.next_message(timeout=10)
            assert reply["text"] == NOT_AVAILABLE, data
    assert await query(bot, "SELECT * FROM team_invites WHERE created_by != 1") == []
    # An unknown team code answers like any invalid link, naming nobody.
    reused = await say(stranger, "/start tm" + "A" * 32)
    assert "not valid" in reused["text"]
    assert "Memorial" not in reused["text"]


async def test_coordinators_follow_a_members_alert_by_state_alone_while_contacts_get_it_all(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await kept(azat, "Police at the door, Lenina 5")
    await say(azat, "/instructions Call lawyer Begench")

    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)  # the prompt to Azat himself
    bot.clock.set(GRACE_ENDS)
    alert = await dilbar.next_message(timeout=10)
    assert "Police at the door, Lenina 5" in alert["text"]
    notice = await admin.next_message(timeout=10)
    assert notice["text"].startswith("🚨 Azat (Memorial): missed check-in since ")
    assert notice["text"].endswith("Contacts alerted: 1.")
    assert "Police" not in notice["text"]
    assert "Begench" not in notice["text"]
    assert "location" not in notice

    await dilbar.press(alert["message_id"], "🙋 I'm on it")
    taken = await admin.next_message(timeout=10)
    assert taken["text"] == "Azat (Memorial), missed check-in: Dilbar is on it."
    await say(azat, "/ok")
    over = await admin.next_message(timeout=10)
    assert over["text"] == "✅ Azat (Memorial) checked in: the alert (missed check-in) is over."
    trail = await say(admin, "/audit")
    assert [line.split(" · ", 1)[1] for line in trail["text"].splitlines()[2:5]] == [
        "✅ alert about Azat closed: checked in",
        "alert about Azat taken by Dilbar",
        "🚨 alert about Azat: missed check-in; contacts alerted: 1",
    ]
    # The coordinators never received anything the activist wrote or where they were.
    for call in bot.fake.calls:
        if call.params.get("chat_id") == admin.id:
            assert "Police" not in str(call.params)
            assert call.method != "sendLocation"


async def test_coordinators_hear_when_a_members_contact_can_no_longer_be_reached(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    dilbar.block_bot()
    warning = await azat.next_message(timeout=10)
    assert warning["text"].startswith("⚠️ Your contact Dilbar cannot be reached")
    notice = await admin.next_message(timeout=10)
    assert notice["text"] == (
        "⚠️ Azat (Memorial): their contact Dilbar cannot be reached and will not get their alerts."
    )


async def test_a_coordinator_makes_a_group_the_duty_chat_and_it_gets_members_alerts(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    await kept(azat, "Police at the door, Lenina 5")
    link = await say(admin, "/dutychat")
    match = re.search(r"\?startgroup=(td[A-Za-z0-9_-]{32})", link["text"])
    assert match is not None, link["text"]
    bystander = bot.fake.add_user(first_name="Bystander")
    group = bot.fake.add_group(title="Memorial duty", members=[admin, bystander])
    # A member of the group who is no coordinator cannot use the link, nor take it.
    await group.send(bystander, f"/start@StillHereTestBot {match.group(1)}")
    refused = await group.next_message(timeout=10)
    assert "not valid" in refused["text"]
    await group.send(admin, f"/start@StillHereTestBot {match.group(1)}")
    offer = await group.next_message(timeout=10)
    assert offer["text"].startswith("Make this group the duty chat of the team “Memorial”?")
    since = len(bot.fake.calls)
    await group.press(admin, offer["message_id"], "✅ Accept")
    edited = await bot.fake.wait_for_call("editMessageText", chat_id=group.id, since=since)
    assert str(edited.params["text"]).startswith("✅ This group is now the duty chat")
    told = await azat.next_message(timeout=10)
    assert told["text"].startswith(
        "👥 The duty chat of your team Memorial (Memorial duty) is now your tier 2 contact"
    )
    # Tier 2: the duty chat hears when nobody took the alert in time.
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)  # the prompt to Azat himself
    bot.clock.set(GRACE_ENDS)
    opened = await admin.next_message(timeout=10)
    assert opened["text"].endswith("Contacts alerted: 0.")
    bot.clock.set(GRACE_ENDS + timedelta(minutes=15))
    alert = await group.next_message(timeout=10)
    assert alert["text"].startswith("🚨 Azat missed a check-in.")
    assert "Police at the door, Lenina 5" in alert["text"]
    # Leaving the team takes the duty chat off the activist's contacts.
    choice = await say(azat, "/leaveteam")
    await azat.press(choice["message_id"], "Memorial")
    await azat.next_message(timeout=10)
    assert await query(bot, "SELECT * FROM contacts WHERE duty_of IS NOT NULL") == []


async def test_a_members_changes_to_their_protection_are_in_the_trail(world: World) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    for command in ("/every 6h", "/at 09:00 21:00", "/tz Asia/Ashgabat", "/grace 1h"):
        await say(azat, command)
    await say(azat, "/remind off")
    await say(azat, "/pause 2d")
    await say(azat, "/resume")
    trail = await say(admin, "/audit")
    lines = [line.split(" · ", 1)[1] for line in trail["text"].splitlines()[2:]]
    assert lines[:7] == [
        "Azat: resumed",
        "Azat: paused for 2 days",
        "Azat: reminders turned off",
        "Azat: grace set to 1 hour",
        "Azat: time zone set to Asia/Ashgabat",
        "Azat: plan set to daily at 09:00, 21:00",
        "Azat: plan set to every 6 hours",
    ]


async def test_contacts_and_pins_changing_are_in_the_trail_and_no_pin_ever_is(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    await set_pins(azat, "4826", duress="9317")
    trail = await say(admin, "/audit")
    lines = [line.split(" · ", 1)[1] for line in trail["text"].splitlines()[2:]]
    assert lines[:3] == [
        "Azat: duress PIN set",
        "Azat: PIN set",
        "Azat: Dilbar became a tier 1 contact",
    ]
    for secret in ("4826", "9317"):
        assert secret not in trail["text"]


async def test_help_lists_team_commands_only_to_those_who_may_use_them(world: World) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    stranger = bot.fake.add_user(first_name="Stranger")
    admins_help = (await say(admin, "/help"))["text"]
    assert "For coordinators:" in admins_help
    for command in ("/newteam", "/coordinator", "/enrol", "/dutychat", "/audit"):
        assert command in admins_help
    members_help = (await say(azat, "/help"))["text"]
    assert "/leaveteam" in members_help
    strangers_help = (await say(stranger, "/help"))["text"]
    for text in (members_help, strangers_help):
        assert "For coordinators:" not in text
        assert "/coordinator" not in text
    assert "/leaveteam" not in strangers_help


async def _dashboard_edit(
    bot: RunningBot, coordinator: SimUser, message_id: int, containing: str, since: int
) -> str:
    """Wait for the dashboard message to be edited to show ``containing``; return its text."""
    call = await bot.fake.wait_for_call(
        "editMessageText",
        chat_id=coordinator.id,
        predicate=lambda c: (
            c.status == 200
            and c.params.get("message_id") == message_id
            and containing in str(c.params.get("text"))
        ),
        since=since,
        timeout=15,
    )
    return str(call.params["text"])


async def test_the_dashboard_shows_members_by_state_and_is_edited_in_place_as_an_alert_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_service, "DASHBOARD_EDIT_GAP", 0.2)
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    bahar = bot.fake.add_user(first_name="Bahar")
    for command in ("/start", "/every 24h", "/remind off"):
        await say(bahar, command)
    await _accept(bot, bahar, _code(await say(admin, "/enrol")))
    await admin.next_message(timeout=10)  # Bahar joined
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)

    board = await say(admin, "/team")
    lines = board["text"].splitlines()
    assert lines[0] == "👥 “Memorial”: 2 members"
    # Nearest deadline first: Azat (12 h), then Bahar (24 h).
    assert [line for line in lines if line.startswith(("🟢", "🚨"))] == ["🟢 Azat", "🟢 Bahar"]
    assert "    next check-in by Sun, Mar 1 21:00 (in 12 hours)" in lines
    assert "    no check-in yet · contacts reachable: 1 of 1" in lines
    buttons = [b["text"] for row in board["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["🟢 Azat", "🟢 Bahar", "🔄 Refresh", "🧪 Drill everyone", "⚙️ Settings"]
    await kept(azat, "Police at the door, Lenina 5")

    since = len(bot.fake.calls)
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)  # the prompt
    bot.clock.set(GRACE_ENDS)
    alert = await dilbar.next_message(timeout=10)
    edited = await _dashboard_edit(bot, admin, board["message_id"], "🚨 Azat", since)
    assert "alert since Sun, Mar 1 21:30: missed check-in; nobody has taken it yet" in edited
    assert "Police" not in edited
    assert "Lenina" not in edited

    since = len(bot.fake.calls)
    await dilbar.press(alert["message_id"], "🙋 I'm on it")
    await _dashboard_edit(bot, admin, board["message_id"], "taken by Dilbar", since)
    since = len(bot.fake.calls)
    await say(azat, "/ok")
    closed = await _dashboard_edit(bot, admin, board["message_id"], "🟢 Azat", since)
    assert "alert since" not in closed
    # Edited every time, never sent again.
    sent = [
        c
        for c in bot.fake.calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == admin.id
        and str(c.params.get("text")).startswith("👥 “Memorial”")
    ]
    assert len(sent) == 1


async def test_the_refresh_button_edits_the_dashboard_and_a_members_button_opens_their_card(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    board = await say(admin, "/team")
    bot.clock.set(T0 + timedelta(hours=2))
    since = len(bot.fake.calls)
    await admin.press(board["message_id"], "🔄 Refresh")
    refreshed = await bot.fake.wait_for_call("editMessageText", chat_id=admin.id, since=since)
    assert refreshed.params["message_id"] == board["message_id"]
    assert "(in 10 hours)" in refreshed.params["text"]

    await admin.press(board["message_id"], "🟢 Azat")
    card = await admin.next_message(timeout=10)
    lines = card["text"].splitlines()
    assert lines[0] == "🟢 Azat · “Memorial”"
    assert "Plan: every 12 hours" in lines
    assert "Grace: 30 minutes" in lines
    assert "• Dilbar: tier 1, can be reached" in lines
    await admin.press(card["message_id"], "↩️ Back to the team")
    back = await bot.fake.wait_for_call("editMessageText", chat_id=admin.id, since=since + 1)
    assert back.params["text"].startswith("👥 “Memorial”: 1 member")


async def test_dashboard_buttons_and_team_show_nothing_to_strangers_members_and_former_coordinators(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id = await _team_id(bot)
    azat_id = await _person_id(bot, azat)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    former = bot.fake.add_user(first_name="Former")
    await _accept(bot, former, _code(await say(admin, "/coordinator")))
    await admin.next_message(timeout=10)  # Former became a coordinator
    old_board = await say(former, "/team")
    assert "Azat" in old_board["text"]
    database = await Database.open(bot.settings.storage.path)
    try:
        async with database.transaction() as tx:
            await tx.execute(
                "DELETE FROM coordinators WHERE person_id = "
                "(SELECT id FROM people WHERE telegram_user_id = ?)",
                (former.id,),
            )
    finally:
        await database.close()
    # The old dashboard's own refresh takes what it showed away.
    since = len(bot.fake.calls)
    await former.press(old_board["message_id"], "🔄 Refresh")
    gone = await bot.fake.wait_for_call("editMessageText", chat_id=former.id, since=since)
    assert gone.params["text"] == NOT_AVAILABLE
    stranger = bot.fake.add_user(first_name="Stranger")
    for outsider in (stranger, azat, dilbar, former):
        reply = await say(outsider, "/team")
        assert reply["text"] == NOT_AVAILABLE
        mine = await say(outsider, "/help")
        for data in (f"mc:{team_id}:{azat_id}", f"mc:{team_id}"):
            await outsider.press_raw(mine["message_id"], data)
            reply = await outsider.next_message(timeout=10)
            assert reply["text"] == NOT_AVAILABLE, data
        since = len(bot.fake.calls)
        await outsider.press_raw(mine["message_id"], f"db:{team_id}")
        edit = await bot.fake.wait_for_call("editMessageText", chat_id=outsider.id, since=since)
        assert edit.params["text"] == NOT_AVAILABLE
    # Nothing about the team reached any of them after Former lost the right.
    for call in bot.fake.calls[since:]:
        assert "Azat" not in str(call.params.get("text"))


async def _card(bot: RunningBot, coordinator: SimUser, name: str) -> dict[str, Any]:
    """Open the dashboard (past any notices on the way) and the card of ``name``."""
    board = await say(coordinator, "/team")
    while not board["text"].startswith("👥 “"):
        board = await coordinator.next_message(timeout=10)
    buttons = [b["text"] for row in board["reply_markup"]["inline_keyboard"] for b in row]
    (button,) = [text for text in buttons if text.endswith(f" {name}")]
    await coordinator.press(board["message_id"], button)
    card = await coordinator.next_message(timeout=10)
    while f"{name} · “" not in card["text"]:
        card = await coordinator.next_message(timeout=10)
    return card


async def test_a_coordinator_invites_a_contact_for_a_member_who_is_told_and_alerts_reach_it(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "👤 Invite tier 1")
    link = await admin.next_message(timeout=10)
    assert link["text"].startswith(
        "A one-time link that makes its opener a tier 1 contact of Azat."
    )
    lena = bot.fake.add_user(first_name="Lena")
    offer = await say(lena, f"/start {_code(link)}")
    assert offer["text"].startswith(
        "Admin of “Memorial” asks you to be an emergency contact (tier 1) of Azat."
    )
    await lena.press(offer["message_id"], "✅ Accept")
    told = await azat.next_message(timeout=10)
    assert told["text"].startswith(
        "✅ Admin of “Memorial” added Lena as your tier 1 contact, and Lena accepted."
    )
    rows = await query(bot, "SELECT added_by, tier FROM contacts WHERE chat_id = ?", (lena.id,))
    admin_id = await _person_id(bot, admin)
    assert rows == [{"added_by": admin_id, "tier": 1}]
    card = await _card(bot, admin, "Azat")
    assert "• Lena: tier 1, can be reached (added by Admin)" in card["text"].splitlines()
    # Azat sees Lena among their contacts, and the alert reaches her.
    assert "Lena" in (await say(azat, "/contacts"))["text"]
    await kept(azat, "Police at the door")
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)
    bot.clock.set(GRACE_ENDS)
    alert = await lena.next_message(timeout=10)
    assert "Police at the door" in alert["text"]


async def test_a_contact_link_from_a_card_is_worthless_to_strangers_and_once_the_right_is_gone(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id = await _team_id(bot)
    azat_id = await _person_id(bot, azat)
    stranger = bot.fake.add_user(first_name="Stranger")
    mine = await say(stranger, "/help")
    for data in (f"c1:{team_id}:{azat_id}", f"c2:{team_id}:{azat_id}", f"c1:{team_id}"):
        await stranger.press_raw(mine["message_id"], data)
        assert (await stranger.next_message(timeout=10))["text"] == NOT_AVAILABLE
    assert await query(bot, "SELECT * FROM invites") == []
    # A link made while a coordinator, opened after Azat left the team: not valid.
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "👥 Invite tier 2")
    link = await admin.next_message(timeout=10)
    leave = await say(azat, "/leaveteam")
    await azat.press(leave["message_id"], "Memorial")
    assert "You left" in (await azat.next_message(timeout=10))["text"]
    lena = bot.fake.add_user(first_name="Lena")
    offer = await say(lena, f"/start {_code(link)}")
    assert "not valid" in offer["text"]
    assert "Azat" not in offer["text"]
    assert await query(bot, "SELECT * FROM contacts WHERE chat_id = ?", (lena.id,)) == []


async def test_a_contact_the_team_adds_during_a_duress_episode_stays_unseen_on_the_phone(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    await set_pins(azat, "4826", duress="9317")
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    await enter(azat, "9317")  # looks like a check-in; the episode begins
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "👤 Invite tier 1")
    link = await admin.next_message(timeout=10)
    lena = bot.fake.add_user(first_name="Lena")
    offer = await say(lena, f"/start {_code(link)}")
    since = len(bot.fake.calls)
    await lena.press(offer["message_id"], "✅ Accept")
    await bot.fake.wait_for_call("editMessageText", chat_id=lena.id, since=since)
    azat_id = await _person_id(bot, azat)
    # Nothing about Lena or the team is queued for the phone, and its list leaves her out.
    assert (
        await query(
            bot,
            "SELECT id FROM outbox WHERE person_id = ? AND kind = 'invite_answered'",
            (azat_id,),
        )
        == []
    )
    assert "Lena" not in (await say(azat, "/contacts"))["text"]
    # She is a real contact all the same: the duress alarm reached her.
    assert await query(bot, "SELECT status FROM contacts WHERE chat_id = ?", (lena.id,)) == [
        {"status": "active"}
    ]


async def test_a_coordinator_removes_a_contact_they_added_and_no_one_else_can(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "👤 Invite tier 1")
    lena = bot.fake.add_user(first_name="Lena")
    offer = await say(lena, f"/start {_code(await admin.next_message(timeout=10))}")
    await lena.press(offer["message_id"], "✅ Accept")
    await azat.next_message(timeout=10)  # told who added whom
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await _accept(bot, dilbar, _code(await say(admin, "/coordinator")))
    await admin.next_message(timeout=10)  # Dilbar became a coordinator
    lena_contact = (await query(bot, "SELECT id FROM contacts WHERE chat_id = ?", (lena.id,)))[0][
        "id"
    ]
    team_id = await _team_id(bot)
    # Another coordinator sees who added Lena, but has no button to remove her...
    others = await _card(bot, dilbar, "Azat")
    assert "(added by Admin)" in others["text"]
    buttons = [b["text"] for row in others["reply_markup"]["inline_keyboard"] for b in row]
    assert "🗑 Remove Lena" not in buttons
    # ...and a forged one does nothing, for them or for Lena herself.
    for presser in (dilbar, lena):
        mine = await say(presser, "/help")
        await presser.press_raw(mine["message_id"], f"cx:{lena_contact}:{team_id}")
        assert (await presser.next_message(timeout=10))["text"] == NOT_AVAILABLE
    assert len(await query(bot, "SELECT id FROM contacts WHERE chat_id = ?", (lena.id,))) == 1

    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "🗑 Remove Lena")
    done = await admin.next_message(timeout=10)
    assert done["text"].startswith("Lena is no longer a contact")
    told = await azat.next_message(timeout=10)
    assert (
        told["text"]
        == "👥 Admin of “Memorial” removed Lena, whom they had added, from your contacts."
    )
    assert await query(bot, "SELECT id FROM contacts WHERE chat_id = ?", (lena.id,)) == []
    trail = await say(admin, "/audit")
    assert "Azat: Lena removed as a contact" in trail["text"]


async def test_a_coordinators_drill_proves_a_members_chain_and_the_card_says_who_confirmed(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    card = await _card(bot, admin, "Azat")
    assert "No drill yet" in card["text"]
    await admin.press(card["message_id"], "🧪 Drill")
    started = await admin.next_message(timeout=10)
    assert started["text"].startswith("🧪 A test alert went to 1 contact of Azat.")
    told = await azat.next_message(timeout=10)
    assert told["text"].startswith("🧪 Admin of “Memorial” started a drill")
    drill = await dilbar.next_message(timeout=10)
    since = len(bot.fake.calls)
    await dilbar.press(drill["message_id"], "✅ Received")
    heard = await admin.next_message(timeout=10)
    assert heard["text"] == "🧪 Dilbar confirmed the drill for Azat (Memorial)."
    card = await _card(bot, admin, "Azat")
    assert "Confirmed: Dilbar at Sun, Mar 1 09:00." in card["text"]
    assert "Not yet" not in card["text"]
    # The phone heard of the drill once, not of each confirmation.
    assert not [
        c
        for c in bot.fake.calls[since:]
        if c.params.get("chat_id") == azat.id and "confirmed" in str(c.params.get("text"))
    ]
    trail = (await say(admin, "/audit"))["text"]
    assert "🧪 Dilbar confirmed the drill for Azat" in trail
    assert "🧪 Admin started a drill for Azat (contacts asked: 1)" in trail


async def test_a_drill_of_the_whole_team_is_asked_first_and_names_who_cannot_be_reached(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    bahar = bot.fake.add_user(first_name="Bahar")
    await say(bahar, "/start")
    await _accept(bot, bahar, _code(await say(admin, "/enrol")))
    await admin.next_message(timeout=10)  # Bahar joined
    board = await say(admin, "/team")
    await admin.press(board["message_id"], "🧪 Drill everyone")
    question = await admin.next_message(timeout=10)
    assert question["text"].startswith("Send a test alert to the contacts of every member")
    assert await query(bot, "SELECT id FROM drills") == []
    since = len(bot.fake.calls)
    await admin.press(question["message_id"], "🧪 Yes, drill all 2")
    summary = await bot.fake.wait_for_call("editMessageText", chat_id=admin.id, since=since)
    assert summary.params["text"] == (
        "🧪 Test alerts went out: contacts asked: 1; members drilled: 1.\n"
        "⚠️ No contact can be reached for: Bahar."
    )
    assert "🧪" in (await dilbar.next_message(timeout=10))["text"]
    assert "started a drill" in (await azat.next_message(timeout=10))["text"]
    # Strangers and members pressing the drill buttons start nothing.
    team_id = await _team_id(bot)
    for outsider in (bot.fake.add_user(first_name="Stranger"), azat, dilbar):
        mine = await say(outsider, "/help")
        await outsider.press_raw(mine["message_id"], f"dt:{team_id}")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
        await outsider.press_raw(mine["message_id"], f"dm:{team_id}:1")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
        calls = len(bot.fake.calls)
        await outsider.press_raw(mine["message_id"], f"dg:{team_id}")
        edit = await bot.fake.wait_for_call("editMessageText", chat_id=outsider.id, since=calls)
        assert edit.params["text"] == NOT_AVAILABLE
    assert len(await query(bot, "SELECT id FROM drills")) == 1


async def _settings(bot: RunningBot, coordinator: SimUser) -> dict[str, Any]:
    board = await say(coordinator, "/team")
    await coordinator.press(board["message_id"], "⚙️ Settings")
    return await coordinator.next_message(timeout=10)


async def _choose(bot: RunningBot, coordinator: SimUser, message_id: int, button: str) -> str:
    since = len(bot.fake.calls)
    await coordinator.press(message_id, button)
    edit = await bot.fake.wait_for_call("editMessageText", chat_id=coordinator.id, since=since)
    return str(edit.params["text"])


async def test_team_defaults_set_from_the_dashboard_apply_to_members_who_join_without_a_plan(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    await say(admin, "/newteam Memorial")
    settings = await _settings(bot, admin)
    assert "Plan: none: members set their own" in settings["text"]
    shown = await _choose(bot, admin, settings["message_id"], "every 12 hours")
    assert "Plan: every 12 hours" in shown
    shown = await _choose(bot, admin, settings["message_id"], "1 hour")
    assert "Grace: 1 hour" in shown
    shown = await _choose(bot, admin, settings["message_id"], "30 minutes before")
    assert "Reminders: 30 minutes before" in shown
    shown = await _choose(bot, admin, settings["message_id"], "duty chat: tier 1")
    assert "a tier 1 contact of every member" in shown
    keyboard = [b["text"] for row in settings["reply_markup"]["inline_keyboard"] for b in row]
    assert "every 12 hours" in keyboard

    # Someone without a plan gets the team's on joining...
    bahar = bot.fake.add_user(first_name="Bahar")
    await say(bahar, "/start")
    _, joined = await _accept(bot, bahar, _code(await say(admin, "/enrol")))
    assert "You had no plan yet, so the team's applies: check in every 12 hours." in joined
    assert (await admin.next_message(timeout=10))["text"] == "👥 Bahar joined the team Memorial."
    rows = await query(
        bot,
        "SELECT plan_every_seconds, grace_seconds, reminders FROM watches WHERE person_id = "
        "(SELECT id FROM people WHERE telegram_user_id = ?)",
        (bahar.id,),
    )
    assert rows == [{"plan_every_seconds": 43200, "grace_seconds": 3600, "reminders": "1800"}]
    # ...someone with a plan keeps theirs.
    azat = await activist_with_plan(bot)
    await say(azat, "/every 6h")
    _, joined = await _accept(bot, azat, _code(await say(admin, "/enrol")))
    assert "team's applies" not in joined
    rows = await query(
        bot,
        "SELECT plan_every_seconds FROM watches WHERE person_id = "
        "(SELECT id FROM people WHERE telegram_user_id = ?)",
        (azat.id,),
    )
    assert rows == [{"plan_every_seconds": 6 * 3600}]
    assert (await admin.next_message(timeout=10))["text"] == "👥 Azat joined the team Memorial."
    trail = (await say(admin, "/audit"))["text"]
    assert "Admin set the team's default plan: every 12 hours" in trail
    assert "Admin made the duty chat a tier 1 contact" in trail


async def test_team_settings_buttons_change_nothing_for_anyone_but_a_coordinator(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id = await _team_id(bot)
    for outsider in (bot.fake.add_user(first_name="Stranger"), azat):
        mine = await say(outsider, "/help")
        await outsider.press_raw(mine["message_id"], f"ts:{team_id}")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
        since = len(bot.fake.calls)
        await outsider.press_raw(mine["message_id"], f"tv:{team_id}:2")
        edit = await bot.fake.wait_for_call("editMessageText", chat_id=outsider.id, since=since)
        assert edit.params["text"] == NOT_AVAILABLE
        await outsider.press_raw(mine["message_id"], f"rk:{team_id}:1")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
    # An unknown choice from a coordinator changes nothing either.
    settings = await _settings(bot, admin)
    since = len(bot.fake.calls)
    await admin.press_raw(settings["message_id"], f"tv:{team_id}:99")
    await bot.fake.wait_for_call("answerCallbackQuery", since=since)
    assert await query(
        bot, "SELECT default_every_seconds, duty_tier FROM teams WHERE id = ?", (team_id,)
    ) == [{"default_every_seconds": None, "duty_tier": 2}]
    assert len(await query(bot, "SELECT * FROM coordinators")) == 1


async def test_a_coordinator_removes_another_who_is_told_and_loses_the_team_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_service, "DASHBOARD_EDIT_GAP", 0.2)
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id = await _team_id(bot)
    admin_id = await _person_id(bot, admin)
    # Alone, the admin cannot be removed, not even by a forged button.
    settings = await _settings(bot, admin)
    assert "Coordinators: Admin" in settings["text"]
    await admin.press_raw(settings["message_id"], f"rk:{team_id}:{admin_id}")
    assert (await admin.next_message(timeout=10))[
        "text"
    ] == "A team keeps at least one coordinator."
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await _accept(bot, dilbar, _code(await say(admin, "/coordinator")))
    await admin.next_message(timeout=10)  # Dilbar became a coordinator
    board = await say(dilbar, "/team")
    settings = await _settings(bot, admin)
    assert "Coordinators: Admin, Dilbar" in settings["text"]
    since = len(bot.fake.calls)
    await admin.press(settings["message_id"], "🚫 Remove Dilbar")
    done = await admin.next_message(timeout=10)
    assert done["text"] == "Dilbar is no longer a coordinator of the team; they are told."
    told = await dilbar.next_message(timeout=10)
    assert told["text"].startswith("👥 Admin removed you as a coordinator of the team Memorial")
    assert (await say(dilbar, "/team"))["text"] == NOT_AVAILABLE
    # Dilbar's chat menu no longer lists the team commands.
    await eventually(
        partial(_menu_ends_with, bot, dilbar, ["lang", "help"]), what="Dilbar's menu without /team"
    )
    # Azat's alert later changes the dashboards: Dilbar's old one is never edited again.
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)
    bot.clock.set(GRACE_ENDS)
    notice = await admin.next_message(timeout=10)
    assert notice["text"].startswith("🚨 Azat (Memorial)")  # to Admin only
    admins_board = await say(admin, "/team")
    assert "🚨 Azat" in admins_board["text"]
    assert not [
        c
        for c in bot.fake.calls[since:]
        if c.params.get("chat_id") == dilbar.id
        and c.method == "editMessageText"
        and c.params.get("message_id") == board["message_id"]
    ]
    trail = (await say(admin, "/audit"))["text"]
    assert "Admin removed Dilbar as a coordinator" in trail


async def test_the_whole_team_story_from_a_new_team_to_an_alert_that_closes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The story of issue 10, end to end, as coordinators, an activist and contacts live it."""
    monkeypatch.setattr(team_service, "DASHBOARD_EDIT_GAP", 0.2)
    bot, admin = world.bot, world.admin
    # An admin creates a team and adds a second coordinator through a link.
    await say(admin, "/newteam Memorial")
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await _accept(bot, dilbar, _code(await say(admin, "/coordinator")))
    await admin.next_message(timeout=10)  # Dilbar became a coordinator
    # An activist is enrolled and accepts.
    azat = await activist_with_plan(bot)
    await _accept(bot, azat, _code(await say(admin, "/enrol")))
    for coordinator in (admin, dilbar):
        assert (await coordinator.next_message(timeout=10))["text"] == (
            "👥 Azat joined the team Memorial."
        )
    # A tier-1 contact invited for him from his card.
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "👤 Invite tier 1")
    lena = bot.fake.add_user(first_name="Lena")
    offer = await say(lena, f"/start {_code(await admin.next_message(timeout=10))}")
    await lena.press(offer["message_id"], "✅ Accept")
    assert "Admin of “Memorial” added Lena" in (await azat.next_message(timeout=10))["text"]
    # A group becomes the duty chat, alerted at once (tier 1, from the settings).
    settings = await _settings(bot, admin)
    await _choose(bot, admin, settings["message_id"], "duty chat: tier 1")
    link = await say(admin, "/dutychat")
    match = re.search(r"\?startgroup=(td[A-Za-z0-9_-]{32})", link["text"])
    assert match is not None
    group = bot.fake.add_group(title="Memorial duty", members=[admin])
    await group.send(admin, f"/start@StillHereTestBot {match.group(1)}")
    offer = await group.next_message(timeout=10)
    await group.press(admin, offer["message_id"], "✅ Accept")
    assert "tier 1 contact" in (await azat.next_message(timeout=10))["text"]
    await dilbar.next_message(timeout=10)  # told of the duty chat
    board = await say(admin, "/team")
    shown_at = len(bot.fake.calls)
    assert board["text"].startswith("👥 “Memorial”: 1 member")
    assert "contacts reachable: 2 of 2" in board["text"]

    # Azat's last words and place; then he misses his check-in.
    await kept(azat, "Police at the door, Lenina 5")
    shared = await azat.share_location(37.9612, 58.3261)
    assert await azat.reaction_to(shared["message_id"], timeout=10) == ["✍"]
    since = len(bot.fake.calls)
    bot.clock.set(DEADLINE)
    await azat.next_message(timeout=10)  # the prompt
    bot.clock.set(GRACE_ENDS)
    alerts: dict[int, dict[str, Any]] = {}
    for chat in (lena, group):
        alert = alerts[chat.id] = await chat.next_message(timeout=10)
        assert alert["text"].startswith("🚨 Azat missed a check-in.")
        assert "Police at the door, Lenina 5" in alert["text"]
        place = await chat.next_message(timeout=10)
        assert place["location"]["latitude"] == pytest.approx(37.9612)
    for coordinator in (admin, dilbar):
        notice = await coordinator.next_message(timeout=10)
        assert notice["text"].startswith("🚨 Azat (Memorial): missed check-in since ")
        assert "Police" not in notice["text"]
    await _dashboard_edit(bot, admin, board["message_id"], "nobody has taken it yet", since)

    since = len(bot.fake.calls)
    await lena.press(alerts[lena.id]["message_id"], "🙋 I'm on it")
    await _dashboard_edit(bot, admin, board["message_id"], "taken by Lena", since)
    since = len(bot.fake.calls)
    await say(azat, "/ok")
    closed = await _dashboard_edit(bot, admin, board["message_id"], "🟢 Azat", since)
    assert "alert since" not in closed
    # The dashboard was edited all along, never sent again.
    assert not [
        c
        for c in bot.fake.calls[shown_at:]
        if c.method == "sendMessage"
        and c.params.get("chat_id") == admin.id
        and str(c.params.get("text")).startswith("👥 “Memorial”")
    ]
    # Coordinators never received the activist's words or place.
    for call in bot.fake.calls:
        if call.params.get("chat_id") in (admin.id, dilbar.id):
            assert "Police" not in str(call.params)
            assert call.method != "sendLocation"
    trail = [
        line.split(" · ", 1)[1] for line in (await say(admin, "/audit"))["text"].splitlines()[2:]
    ]
    assert trail == [
        "✅ alert about Azat closed: checked in",
        "alert about Azat taken by Lena",
        "🚨 alert about Azat: missed check-in; contacts alerted: 2",
        "Admin made the group Memorial duty the duty chat",
        "Admin made the duty chat a tier 1 contact",
        "Azat: Lena became a tier 1 contact",
        "Azat joined (link from Admin)",
        "Dilbar became a coordinator (link from Admin)",
        "Admin created the team",
    ]


async def test_a_coordinator_takes_a_member_out_of_the_team_after_one_question(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id = await _team_id(bot)
    azat_id = await _person_id(bot, azat)
    # Nobody else can, with any button.
    for outsider in (bot.fake.add_user(first_name="Stranger"), azat):
        mine = await say(outsider, "/help")
        await outsider.press_raw(mine["message_id"], f"rm:{team_id}:{azat_id}")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
        await outsider.press_raw(mine["message_id"], f"rg:{team_id}:{azat_id}")
        assert (await outsider.next_message(timeout=10))["text"] == NOT_AVAILABLE
    assert len(await query(bot, "SELECT * FROM members")) == 1
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "🚪 Take out of the team")
    question = await admin.next_message(timeout=10)
    assert question["text"].startswith("Take Azat out of “Memorial”?")
    assert len(await query(bot, "SELECT * FROM members")) == 1
    since = len(bot.fake.calls)
    await admin.press(question["message_id"], "🚪 Yes, take Azat out")
    done = await bot.fake.wait_for_call("editMessageText", chat_id=admin.id, since=since)
    assert str(done.params["text"]).startswith("Azat is no longer in the team")
    told = await azat.next_message(timeout=10)
    assert told["text"].startswith("👥 Admin took you out of the team Memorial")
    assert await query(bot, "SELECT * FROM members") == []
    assert (await say(azat, "/leaveteam"))["text"] == "You are not in any team."
    assert "Admin took Azat out of the team" in (await say(admin, "/audit"))["text"]


async def test_team_buttons_pressed_in_a_group_never_show_the_team_there(world: World) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    team_id, azat_id = await _team_id(bot), await _person_id(bot, azat)
    link = await say(admin, "/dutychat")
    match = re.search(r"\?startgroup=(td[A-Za-z0-9_-]{32})", link["text"])
    assert match is not None
    bystander = bot.fake.add_user(first_name="Bystander")
    group = bot.fake.add_group(title="Memorial duty", members=[admin, bystander])
    await group.send(admin, f"/start@StillHereTestBot {match.group(1)}")
    offer = await group.next_message(timeout=10)
    # Even the team's own coordinator, forging them on a bot message of the group.
    for data in (f"db:{team_id}", f"mc:{team_id}:{azat_id}", f"au:{team_id}", f"ts:{team_id}"):
        since = len(bot.fake.calls)
        await group.press_raw(admin, offer["message_id"], data)
        popup = await bot.fake.wait_for_call("answerCallbackQuery", since=since)
        assert popup.params.get("text") == NOT_AVAILABLE, data
        assert not [c for c in bot.fake.calls[since:] if c.params.get("chat_id") == group.id], data
    # The duty-chat link itself is still answered there.
    since = len(bot.fake.calls)
    await group.press(admin, offer["message_id"], "✅ Accept")
    edited = await bot.fake.wait_for_call("editMessageText", chat_id=group.id, since=since)
    assert str(edited.params["text"]).startswith("✅ This group is now the duty chat")


async def test_a_coordinator_asks_a_member_from_the_card_and_hears_the_answer_or_the_alert(
    world: World,
) -> None:
    bot, admin = world.bot, world.admin
    azat = await _team_with_azat(bot, admin)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "❓ Are you OK?")
    asked = await admin.next_message(timeout=10)
    assert asked["text"].startswith("❓ I asked Azat whether they are OK.")
    prompt = await azat.next_message(timeout=10)
    assert prompt["text"].startswith("❓ Admin asks: are you OK?")
    assert (await say(azat, "/ok"))["text"].startswith("✅ Checked in.")
    heard = await admin.next_message(timeout=10)
    assert heard["text"] == (
        "✅ Azat (Memorial) is OK: they checked in at Sun, Mar 1 09:00, answering your "
        "“are you OK?”."
    )
    # Unanswered, it alerts every contact, naming the coordinator who asked.
    card = await _card(bot, admin, "Azat")
    await admin.press(card["message_id"], "❓ Are you OK?")
    assert (await admin.next_message(timeout=10))["text"].startswith("❓ I asked Azat")
    await azat.next_message(timeout=10)
    bot.clock.set(T0 + timedelta(minutes=15))
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("🚨 Azat did not answer Admin's “are you OK?” of")
    notice = await admin.next_message(timeout=10)
    assert notice["text"].startswith("🚨 Azat (Memorial): no answer to “are you OK?” since")
    # A forged ask for someone outside the coordinator's team does nothing.
    stranger = await activist_with_plan(bot, "Bahar")
    forged = encode(Action.CARD_ASK, await _team_id(bot), await _person_id(bot, stranger))
    await admin.press_raw(card["message_id"], forged)
    assert (await admin.next_message(timeout=10))["text"] == NOT_AVAILABLE
    assert len(await query(bot, "SELECT * FROM asks")) == 2
