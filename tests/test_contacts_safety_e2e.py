"""Contacts under attack: leaked invitations, decoys, blocked contacts, groups on a seized phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conditions import eventually
from tests.conftest import RunningBot, contact_names, make_settings, query, run_bot
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimGroup, SimUser
from tests.test_alerts_e2e import ALERT_SETTINGS, add_contact, invite_code, say, sweep_at
from tests.test_pins_e2e import enter, set_pins

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOT_VALID = "This invitation link is not valid"
CONTESTED = (
    "⚠️ Someone else also opened your invitation link. It stays with the first person who opened it."
)
SKIPPED_LINE = (
    "Not sent to Memorial duty: Azat is a member of that group, which may be open on their phone."
)


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path, fake_telegram.base_url, ALERT_SETTINGS)
    async with run_bot(fake_telegram, settings, FakeClock(T0)) as running:
        yield running


async def activist(bot: RunningBot, name: str = "Azat") -> SimUser:
    user = bot.fake.add_user(first_name=name)
    await say(user, "/start")
    await say(user, "/every 12h")
    await say(user, "/remind off")
    return user


async def activist_with_two_contacts(bot: RunningBot) -> tuple[SimUser, SimUser, SimUser]:
    """Return Azat (PIN 2468, duress PIN 1357) and his contacts Dilbar and Merdan."""
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    await add_contact(azat, dilbar)
    await add_contact(azat, merdan)
    await set_pins(azat, "2468", duress="1357")
    return azat, dilbar, merdan


async def under_duress(azat: SimUser) -> None:
    """Check in with the duress PIN: the phone sees an ordinary check-in."""
    assert (await say(azat, "/ok"))["text"] == "🔒 Enter your PIN."
    assert (await enter(azat, "1357"))["text"].startswith("✅ Checked in.")


async def accept_in_group(azat: SimUser, group: SimGroup, member: SimUser) -> dict[str, Any]:
    """Make ``group`` Azat's contact; return the notice Azat gets."""
    code = await invite_code(azat)
    await group.send(member, f"/start@StillHereTestBot {code}")
    offer = await group.next_message(timeout=10)
    await group.press(member, offer["message_id"], "✅ Accept")
    return await azat.next_message(timeout=10)


def texts_to(fake: FakeTelegram, chat_id: int, since: int = 0) -> list[str]:
    return [
        str(c.params.get("text") or c.params.get("caption") or c.method)
        for c in fake.calls[since:]
        if c.params.get("chat_id") == chat_id and c.method.startswith("send") and c.status == 200
    ]


async def nothing_pending(bot: RunningBot) -> bool:
    rows = await query(bot, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
    return rows[0]["n"] == 0


# 1. Invitations bind to the first person who opens them ------------------------------------


async def test_an_invitation_stays_with_its_first_opener_and_a_second_opener_is_reported_once(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar", username="dilbar_k")
    # Eve saw the link in a leaked chat and even took Dilbar's display name.
    eve = bot.fake.add_user(first_name="Dilbar")
    code = await invite_code(azat)

    first_offer = await say(dilbar, f"/start {code}")
    assert "asks you to be their emergency contact" in first_offer["text"]
    assert (await say(eve, f"/start {code}"))["text"].startswith(NOT_VALID)
    assert (await say(eve, f"/start {code}"))["text"].startswith(NOT_VALID)
    assert (await azat.next_message(timeout=10))["text"] == CONTESTED

    # Dilbar may reopen her own link and answer it.
    offer = await say(dilbar, f"/start {code}")
    assert offer["text"] == first_offer["text"]
    await dilbar.press(offer["message_id"], "✅ Accept")
    accepted = await azat.next_message(timeout=10)
    assert accepted["text"] == (
        "✅ Dilbar (@dilbar_k) accepted your invitation: they are now your tier 1 contact."
    )
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    # Told once, content-free: nothing names Eve.
    assert [m.text for m in azat.messages].count(CONTESTED) == 1
    assert len(await query(bot, "SELECT * FROM contacts")) == 1
    assert (await say(eve, f"/start {code}"))["text"].startswith(NOT_VALID)


async def test_a_contact_without_a_username_is_named_as_before(bot: RunningBot) -> None:
    azat = await activist(bot)
    merdan = bot.fake.add_user(first_name="Merdan")
    await add_contact(azat, merdan)
    assert azat.messages[-1].text == (
        "✅ Merdan accepted your invitation: they are now your tier 1 contact."
    )


# 2. Decoy invitations behave like real ones -----------------------------------------------


def offer_shape(offer: dict[str, Any]) -> tuple[str, list[list[str]]]:
    rows = offer["reply_markup"]["inline_keyboard"]
    return offer["text"], [[button["text"] for button in row] for row in rows]


async def answer_of(bot: RunningBot, user: SimUser, offer: dict[str, Any], button: str) -> str:
    """Press ``button``; return what the presser saw: a pop-up, or the line the offer gained."""
    since = len(bot.fake.calls)
    await user.press(offer["message_id"], button)
    answer = await bot.fake.wait_for_call("answerCallbackQuery", since=since, timeout=10)
    seen = {key: value for key, value in answer.params.items() if key != "callback_query_id"}
    if seen:
        assert set(seen) == {"text"}, seen
        return str(seen["text"])
    # Settled: the offer itself says so for good, below its text, without buttons.
    [now] = [m for m in user.messages if m.message_id == offer["message_id"]]
    assert "reply_markup" not in now.data
    assert (now.text or "").startswith(offer["text"])
    return (now.text or "")[len(offer["text"]) :].strip()


async def forced_invitation(azat: SimUser) -> str:
    assert (await say(azat, "/invite 1"))["text"] == "🔒 Enter your PIN."
    link = (await enter(azat, "1357"))["text"]
    return str(link.split("?start=")[1].split()[0])


async def test_a_decoy_invitation_reads_like_a_real_one_that_expired_before_accepting(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    captor, friend = bot.fake.add_user(first_name="Captor"), bot.fake.add_user(first_name="Ali")
    await add_contact(azat, dilbar)
    await set_pins(azat, "2468", duress="1357")

    decoy = await forced_invitation(azat)
    assert (await dilbar.next_message(timeout=10))["text"].startswith("⚠️ POSSIBLE COERCION")
    decoy_offer = await say(captor, f"/start {decoy}")
    decoy_answer = await answer_of(bot, captor, decoy_offer, "✅ Accept")
    decoy_again = await say(captor, f"/start {decoy}")

    # A real invitation, opened, then accepted after it expired.
    assert (await say(azat, "/invite 1"))["text"] == "🔒 Enter your PIN."
    real = (await enter(azat, "2468"))["text"].split("?start=")[1].split()[0]
    real_offer = await say(friend, f"/start {real}")
    bot.clock.set(T0 + timedelta(hours=25))
    real_answer = await answer_of(bot, friend, real_offer, "✅ Accept")
    real_again = await say(friend, f"/start {real}")

    assert offer_shape(decoy_offer) == offer_shape(real_offer)
    assert decoy_answer == real_answer == "This invitation is no longer valid."
    assert decoy_again["text"] == real_again["text"]
    assert decoy_again["text"].startswith(NOT_VALID)
    for opener in (captor, friend):
        offer = next(m for m in opener.messages if "asks you" in (m.text or ""))
        assert "reply_markup" not in offer.data  # both offers lost their buttons
    assert set(await contact_names(bot)) == {"Dilbar"}
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert not any("accepted" in (m.text or "") for m in azat.messages[-3:])


async def test_declining_a_decoy_invitation_tells_the_phone_like_a_real_decline(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    captor = bot.fake.add_user(first_name="Captor")
    await add_contact(azat, dilbar)
    await set_pins(azat, "2468", duress="1357")
    decoy = await forced_invitation(azat)
    offer = await say(captor, f"/start {decoy}")
    assert await answer_of(bot, captor, offer, "Decline") == "Declined. Nothing was shared."
    assert (await azat.next_message(timeout=10))["text"] == "Your invitation was declined."
    assert (await say(captor, f"/start {decoy}"))["text"].startswith(NOT_VALID)


async def test_an_expired_decoy_invitation_is_not_valid_like_a_real_one(bot: RunningBot) -> None:
    azat = await activist(bot)
    await add_contact(azat, bot.fake.add_user(first_name="Dilbar"))
    await set_pins(azat, "2468", duress="1357")
    decoy = await forced_invitation(azat)
    bot.clock.set(T0 + timedelta(hours=25))
    captor = bot.fake.add_user(first_name="Captor")
    assert (await say(captor, f"/start {decoy}"))["text"].startswith(NOT_VALID)


# 3. Blocked contacts are noticed at once --------------------------------------------------


async def test_a_contact_who_blocks_the_bot_is_unreachable_at_once_and_reachable_on_unblocking(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)

    dilbar.block_bot()
    warning = await azat.next_message(timeout=10)
    assert warning["text"].startswith("⚠️ Your contact Dilbar cannot be reached")
    assert await contact_names(bot) == {"Dilbar": "unreachable"}
    dilbar.unblock_bot()
    assert (await azat.next_message(timeout=10))["text"] == (
        "✅ Your contact Dilbar can be reached again."
    )
    assert await contact_names(bot) == {"Dilbar": "active"}


async def test_a_repeated_block_update_warns_the_activist_only_once(bot: RunningBot) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    await add_contact(azat, dilbar)
    update = {
        "my_chat_member": {
            "chat": {"id": dilbar.id, "type": "private", "first_name": "Dilbar"},
            "from": dilbar.user,
            "date": 1,
            "old_chat_member": {"user": bot.fake.world.bot_user(), "status": "member"},
            "new_chat_member": {
                "user": bot.fake.world.bot_user(),
                "status": "kicked",
                "until_date": 0,
            },
        }
    }
    bot.fake.inject_update(update)
    bot.fake.inject_update(update)
    assert (await azat.next_message(timeout=10))["text"].startswith("⚠️ Your contact Dilbar")
    await say(azat, "/status")  # the updates are handled in order: both are done by now
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    warnings = [m for m in azat.messages if (m.text or "").startswith("⚠️ Your contact")]
    assert len(warnings) == 1


async def test_a_group_that_removes_the_bot_is_unreachable_for_every_activist_until_re_added(
    bot: RunningBot,
) -> None:
    azat, maral = await activist(bot), await activist(bot, "Maral")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    for person in (azat, maral):
        notice = await accept_in_group(person, group, merdan)
        assert notice["text"].startswith("✅ Memorial duty")

    group.remove_bot(by=merdan)
    for person in (azat, maral):
        warning = await person.next_message(timeout=10)
        assert warning["text"].startswith("⚠️ Your contact Memorial duty cannot be reached")
    group.announce_bot_added(merdan)
    for person in (azat, maral):
        back = await person.next_message(timeout=10)
        assert back["text"] == "✅ Your contact Memorial duty can be reached again."


# 4. Under duress, delivery problems never reach the phone ---------------------------------


async def test_under_duress_a_contact_found_blocked_is_reported_to_the_others_not_the_phone(
    bot: RunningBot,
) -> None:
    azat, dilbar, merdan = await activist_with_two_contacts(bot)
    # Merdan blocked the bot without Telegram telling it (the alert will find out).
    bot.fake.inject_fault("sendMessage", chat_id=merdan.id, kind="blocked", times=5)
    before = len(azat.messages)

    await under_duress(azat)
    await dilbar.next_message(timeout=10)  # the duress alert
    relayed = await dilbar.next_message(timeout=10)
    assert "Merdan" in relayed["text"]
    assert relayed["text"].startswith("⚠️")
    call = bot.fake.calls_to("sendMessage", chat_id=dilbar.id)[-1]
    assert call.params.get("protect_content") is True
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert len(azat.messages) == before + 2  # "🔒 Enter your PIN.", "✅ Checked in."
    assert await contact_names(bot) == {"Dilbar": "active", "Merdan": "unreachable"}


async def test_under_duress_a_block_is_told_to_the_other_contacts_and_an_unblock_to_nobody(
    bot: RunningBot,
) -> None:
    azat, dilbar, merdan = await activist_with_two_contacts(bot)
    await under_duress(azat)
    await dilbar.next_message(timeout=10)
    await merdan.next_message(timeout=10)
    before = len(azat.messages)

    merdan.block_bot()
    relayed = await dilbar.next_message(timeout=10)
    assert relayed["text"].startswith("⚠️ Azat's contact Merdan cannot be reached")
    assert "do not write to it" in relayed["text"]
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert len(azat.messages) == before
    # Unblocking says nothing on the phone either.
    merdan.unblock_bot()
    await eventually(
        lambda: _status_is(bot, "active"), what="Merdan reachable again in the database"
    )
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert len(azat.messages) == before


async def _status_is(bot: RunningBot, status: str) -> bool:
    return (await contact_names(bot)).get("Merdan") == status


# 5. A group the activist is in never gets silent alerts -----------------------------------


async def test_a_group_with_the_activist_in_it_is_warned_about_at_acceptance_and_skipped_on_duress(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan, azat])
    await add_contact(azat, dilbar)
    notice = await accept_in_group(azat, group, merdan)
    assert notice["text"].startswith("✅ Memorial duty accepted your invitation")
    assert "will not get silent alerts" in notice["text"]
    await set_pins(azat, "2468", duress="1357")
    since = len(bot.fake.calls)

    await under_duress(azat)
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    assert SKIPPED_LINE in alert["text"]
    assert "You are the only contact alerted so far." in alert["text"]
    # Repeats skip the group too.
    await sweep_at(bot, T0 + timedelta(minutes=11))
    assert (await dilbar.next_message(timeout=10))["text"].startswith("🔁 Reminder 1")
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert texts_to(bot.fake, group.id, since) == []
    rows = await query(bot, "SELECT * FROM outbox WHERE chat_id = ?", (group.id,))
    assert all(row["incident_id"] is None for row in rows)


async def test_a_group_with_the_activist_in_it_is_skipped_by_a_pin_failure_alert(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    group.add_member(azat, role="creator")
    await add_contact(azat, dilbar)
    await accept_in_group(azat, group, merdan)
    await set_pins(azat, "2468")
    since = len(bot.fake.calls)
    await say(azat, "/ok")
    for _ in range(5):
        await enter(azat, "0000")
    alert = await dilbar.next_message(timeout=10)
    assert alert["text"].startswith("⚠️ POSSIBLE COERCION: a wrong PIN was entered")
    assert SKIPPED_LINE in alert["text"]
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert texts_to(bot.fake, group.id, since) == []


async def test_a_failed_membership_check_accepts_the_group_and_checks_again_before_an_alert(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan, azat])
    await add_contact(azat, dilbar)
    bot.fake.inject_fault("getChatMember", kind="server_error")
    notice = await accept_in_group(azat, group, merdan)
    assert notice["text"] == (
        "✅ Memorial duty accepted your invitation: they are now your tier 1 contact."
    )
    rows = await query(bot, "SELECT includes_activist FROM contacts WHERE chat_id = ?", (group.id,))
    assert rows == [{"includes_activist": None}]
    await set_pins(azat, "2468", duress="1357")
    since = len(bot.fake.calls)
    # The check before sending fails once too: it is retried, never skipped blindly.
    bot.fake.inject_fault("getChatMember", kind="server_error")

    await under_duress(azat)
    await dilbar.next_message(timeout=10)
    bot.clock.set(T0 + timedelta(seconds=30))  # past the retry's backoff
    await eventually(
        lambda: _flagged(bot, group.id), what="the group flagged as including the activist"
    )
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert texts_to(bot.fake, group.id, since) == []
    said = " ".join(m.text or "" for m in dilbar.messages)
    assert "Memorial duty" in said


async def _flagged(bot: RunningBot, chat_id: int) -> bool:
    rows = await query(bot, "SELECT includes_activist FROM contacts WHERE chat_id = ?", (chat_id,))
    return rows == [{"includes_activist": 1}]


async def test_a_group_the_activist_joined_after_accepting_is_skipped_and_the_others_told(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    dilbar = bot.fake.add_user(first_name="Dilbar")
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    await add_contact(azat, dilbar)
    notice = await accept_in_group(azat, group, merdan)
    assert "silent alerts" not in notice["text"]
    await set_pins(azat, "2468", duress="1357")
    shared = await azat.share_location(37.95, 58.38)
    assert await azat.reaction_to(shared["message_id"], timeout=10) == ["✍"]
    group.add_member(azat)
    since = len(bot.fake.calls)

    await under_duress(azat)
    await eventually(
        lambda: _flagged(bot, group.id), what="the group flagged as including the activist"
    )
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert texts_to(bot.fake, group.id, since) == []
    said = [m.text or "" for m in dilbar.messages]
    # Either the alert already says so, or a notice follows it: Dilbar is never left guessing.
    assert any(SKIPPED_LINE in text or "Memorial duty was not alerted" in text for text in said)
    # And repeats skip it as well.
    await sweep_at(bot, T0 + timedelta(minutes=11))
    await eventually(lambda: nothing_pending(bot), what="an empty outbox")
    assert texts_to(bot.fake, group.id, since) == []


async def test_a_group_without_the_activist_still_gets_the_duress_alert(bot: RunningBot) -> None:
    azat = await activist(bot)
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan])
    await accept_in_group(azat, group, merdan)
    await set_pins(azat, "2468", duress="1357")
    await under_duress(azat)
    alert = await group.next_message(timeout=10)
    assert alert["text"].startswith("⚠️ POSSIBLE COERCION: Azat entered their duress PIN.")
    assert "Not sent to" not in alert["text"]


async def test_a_group_with_the_activist_in_it_still_gets_a_missed_check_in_alert(
    bot: RunningBot,
) -> None:
    azat = await activist(bot)
    merdan = bot.fake.add_user(first_name="Merdan")
    group = bot.fake.add_group(title="Memorial duty", members=[merdan, azat])
    notice = await accept_in_group(azat, group, merdan)
    assert "will not get silent alerts" in notice["text"]
    await sweep_at(bot, T0 + timedelta(hours=12))
    await azat.next_message(timeout=10)  # the prompt to check in
    await sweep_at(bot, T0 + timedelta(hours=12, minutes=30))
    alert = await group.next_message(timeout=10)
    assert alert["text"].startswith("🚨 Azat missed a check-in.")
