"""The fake Telegram Bot API, exercised through PTB's own ``telegram.Bot`` over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fake_telegram import FakeTelegram, SimulationError
from tests.fake_telegram.fixtures import fake_telegram, standalone_fake_telegram  # noqa: F401
from tests.fake_telegram.limits import RateLimits

TOKEN = "123456789:AAH-still-here-test-token"
# Short enough that the "slow" fault test is quick, long enough for a loaded CI machine.
READ_TIMEOUT = 0.5
# httpx builds a CA-loaded TLS context per client (~0.1 s, two per Bot); the fake is plain
# HTTP, so one shared context keeps each test fast without weakening anything.
_TLS = ssl.create_default_context()


def _client(token: str, base_url: str) -> telegram.Bot:
    """Build the product's Telegram client for the fake."""
    return telegram.Bot(
        token,
        base_url=base_url,
        request=HTTPXRequest(read_timeout=READ_TIMEOUT, httpx_kwargs={"verify": _TLS}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": _TLS}),
    )


class SteppedClock:
    """A wall clock that moves only when told to."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _ptb_time_periods_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 22.2+'s timedelta periods.

    Without it PTB warns (an error under filterwarnings=error) on reading any period, and
    RetryAfter warns already inside its own constructor.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[telegram.Bot]:  # noqa: F811
    """Yield the product's Telegram client pointed at the fake."""
    async with _client(TOKEN, fake_telegram.base_url) as client:
        yield client


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:  # noqa: F811
    """Shorten the fixture's name inside this module."""
    return fake_telegram


async def _started_user(fake: FakeTelegram, bot: telegram.Bot) -> Any:
    user = fake.add_user(first_name="Aziz")
    await user.send("/start")
    await bot.get_updates()  # the bot sees /start; nothing is confirmed yet
    return user


async def test_get_me_describes_the_bot_with_the_id_from_its_token(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.is_bot
    assert me.first_name == "Still Here"
    assert me.username == "StillHereTestBot"
    assert me.can_join_groups
    assert not me.can_read_all_group_messages
    assert not me.supports_inline_queries


async def test_a_malformed_or_foreign_token_is_unauthorized() -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        for token in ("not-a-token", "999:other"):
            other = _client(token, fake.base_url)
            try:
                with pytest.raises(InvalidToken, match="was rejected by the server"):
                    await other.initialize()  # getMe
            finally:
                await other.shutdown()
        assert [call.status for call in fake.calls] == [401, 401]


async def test_a_started_user_gets_messages_and_a_never_started_one_is_forbidden(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    started = await _started_user(fake, bot)
    stranger = fake.add_user(first_name="Maral")

    message = await bot.send_message(started.id, "Hello <b>Aziz</b>", parse_mode="HTML")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "Hello")

    assert message.text == "Hello Aziz"
    assert message.entities[0].type == "bold"
    assert message.from_user is not None
    assert message.from_user.id == 123456789
    assert message.message_id == 2  # one sequence shared with the user's /start
    sent = fake.calls_to("sendMessage", chat_id=started.id)[0]
    assert sent.params == {"chat_id": started.id, "text": "Hello <b>Aziz</b>", "parse_mode": "HTML"}


async def test_an_unknown_chat_is_chat_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "anyone?")


async def test_a_user_who_blocked_the_bot_makes_sends_forbidden(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    user.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "still there?")
    blocked = (await bot.get_updates())[-1]
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"


async def test_long_poll_returns_at_once_when_an_update_is_injected(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = fake.add_user()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_until_polling(timeout=5)

    await user.send("I'm OK")

    # A 30 s poll that finishes within 5 s was woken by the update, not by its timeout.
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.message.text for u in updates if u.message] == ["I'm OK"]


async def test_offset_confirms_earlier_updates_so_they_are_not_delivered_again(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = fake.add_user()
    for text in ("one", "two", "three"):
        await user.send(text)

    first = await bot.get_updates(limit=2)
    again = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert [u.message.text for u in again if u.message] == ["three"]
    assert [u["update_id"] for u in fake.pending_updates] == [again[0].update_id]


async def test_allowed_updates_keeps_only_the_requested_kinds(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    message = await bot.send_message(user.id, "Check in?", reply_markup=_keyboard(("I'm OK", "ok")))
    await user.press(message.message_id, "I'm OK")
    await user.send("hello")

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates if u.callback_query] == ["ok"]
    assert all(u.message is None for u in updates)


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


async def test_edits_and_deletes_follow_telegrams_rules(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    message = await bot.send_message(user.id, "Due at 21:00", reply_markup=_keyboard(("OK", "ok")))

    edited = await bot.edit_message_text("Due at 22:00", user.id, message.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Due at 22:00", user.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("nope", user.id, 999)
    assert await bot.delete_message(user.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("gone", user.id, message.message_id)

    assert isinstance(edited, telegram.Message)
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # editMessageText without a keyboard drops it
    [stored] = user.messages
    assert stored.deleted
    assert stored.text == "Due at 22:00"
    assert (await user.next_message())["text"] == "Due at 21:00"  # as first sent


async def test_a_message_older_than_48_hours_cannot_be_deleted() -> None:
    clock = SteppedClock()
    async with FakeTelegram(clock=clock) as fake, _client(TOKEN, fake.base_url) as bot:
        user = fake.add_user()
        await user.send("/start")
        fresh = await bot.send_message(user.id, "fresh")
        old = await bot.send_message(user.id, "old")
        assert old.date.timestamp() == clock.now

        clock.now += 48 * 3600 - 1
        assert await bot.delete_message(user.id, fresh.message_id)
        clock.now += 2
        with pytest.raises(BadRequest, match="Message can't be deleted"):
            await bot.delete_message(user.id, old.message_id)
        assert fake.unexpected == []


async def test_pressing_a_button_round_trips_and_a_query_is_answered_once(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    message = await bot.send_message(
        user.id, "Alert for Aziz", reply_markup=_keyboard(("I'm on it", "ack:7"), ("Later", "x"))
    )

    pressed = await user.press(message.message_id, (0, 0))
    [update] = await bot.get_updates(offset=-1)
    query = update.callback_query
    assert query is not None
    assert query.id == pressed["id"]
    assert query.data == "ack:7"
    assert query.from_user.id == user.id
    assert query.message is not None
    assert query.message.message_id == message.message_id
    assert await query.answer("Thanks")
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("Again")
    assert fake.callback_answer(query.id) == {"callback_query_id": query.id, "text": "Thanks"}
    with pytest.raises(SimulationError, match="no button 'Nope'"):
        await user.press(message.message_id, "Nope")


async def test_moving_a_live_location_arrives_as_an_edited_message(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = fake.add_user()
    shared = await user.share_location(37.95, 58.38, live_period=900)
    await user.move_live_location(shared["message_id"], 37.96, 58.39)
    await user.stop_live_location(shared["message_id"])

    first, moved, stopped = await bot.get_updates()

    assert first.message is not None
    assert first.message.location is not None
    assert first.message.location.live_period is not None
    assert moved.edited_message is not None
    assert moved.edited_message.location is not None
    assert moved.edited_message.location.latitude == pytest.approx(37.96)
    assert moved.edited_message.edit_date is not None
    assert stopped.edited_message is not None
    assert stopped.edited_message.location is not None
    assert stopped.edited_message.location.live_period is None


async def test_a_photo_the_user_sent_can_be_sent_on_by_file_id(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    photo = await user.send_photo(caption="the van")
    voice = await user.send_voice(duration=4)

    sent = await bot.send_photo(user.id, photo["photo"][-1]["file_id"], caption="last photo")
    with pytest.raises(BadRequest, match="Can't use file of type voice as photo"):
        await bot.send_photo(user.id, voice["voice"]["file_id"])
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_voice(user.id, "made-up-id")

    assert sent.photo[-1].file_unique_id == photo["photo"][-1]["file_unique_id"]
    assert sent.caption == "last photo"


async def test_broken_html_is_rejected_like_telegram(fake: FakeTelegram, bot: telegram.Bot) -> None:
    user = await _started_user(fake, bot)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(user.id, "Last words: <no> escape", parse_mode="HTML")
    with pytest.raises(BadRequest, match="reserved and must be escaped"):
        await bot.send_message(user.id, "Due at 21.00", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user.id, "x" * 4097)


async def test_commands_are_stored_per_scope_and_language(bot: telegram.Bot) -> None:
    await bot.set_my_commands([("checkin", "I'm OK")])
    await bot.set_my_commands([("checkin", "Я в порядке")], language_code="ru")

    assert [c.description for c in await bot.get_my_commands()] == ["I'm OK"]
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Я в порядке"]
    assert await bot.get_my_commands(scope=telegram.BotCommandScopeAllGroupChats()) == ()


async def test_retry_after_fault_raises_retry_after_with_its_seconds(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    fake.inject_fault("sendMessage", chat_id=user.id, kind="retry_after", retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(user.id, "alert")
    await bot.send_message(user.id, "alert")  # the fault is used up

    assert raised.value.retry_after == dt.timedelta(seconds=7)
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]


@pytest.mark.parametrize("kind", ["server_error", "bad_gateway"])
async def test_server_faults_raise_network_error(
    fake: FakeTelegram, bot: telegram.Bot, kind: Any
) -> None:
    user = await _started_user(fake, bot)
    fake.inject_fault("sendMessage", kind=kind)
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(user.id, "alert")
    assert type(raised.value) is NetworkError
    assert user.messages == []


async def test_blocked_fault_raises_forbidden_for_that_chat_only(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    other = await _started_user(fake, bot)
    fake.inject_fault("SENDMESSAGE", chat_id=user.id, kind="blocked", times=2)

    await bot.send_message(other.id, "fine")
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(user.id, "alert")
    await bot.send_message(user.id, "fine again")


async def test_slow_fault_times_out_yet_the_message_is_delivered(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    fake.inject_fault("sendMessage", kind="slow", delay=READ_TIMEOUT * 20)

    with pytest.raises(TimedOut):
        await bot.send_message(user.id, "maybe delivered")

    assert (await user.next_message(timeout=1))["text"] == "maybe delivered"
    assert fake.calls_to("sendMessage")[0].fault == "slow"


async def test_disconnect_fault_raises_network_error_and_sends_nothing(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    fake.inject_fault("sendMessage", kind="disconnect")

    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(user.id, "lost")

    assert user.messages == []
    assert fake.calls_to("sendMessage")[0].status == 0


async def test_an_unknown_method_answers_404_and_is_recorded_as_unexpected(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    # PTB turns the 404 of do_api_request into EndPointNotFound (a plain call: InvalidToken).
    with pytest.raises(EndPointNotFound, match="sendTelepathy"):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert len(fake.unexpected) == 1
    assert "sendTelepathy" in fake.unexpected[0]
    fake.unexpected.clear()  # or the fixture would fail this test at teardown


async def test_a_request_missing_a_required_parameter_is_unexpected(fake: FakeTelegram) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{TOKEN}/sendMessage", json={"chat_id": 1}) as response,
    ):
        body = await response.json()
    assert response.status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert len(fake.unexpected) == 1
    fake.unexpected.clear()


async def test_json_bodies_and_query_strings_are_decoded_like_form_fields(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{TOKEN}"
        markup = '{"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}'
        json_body = {"chat_id": user.id, "text": "123", "reply_markup": markup}
        async with session.post(f"{url}/sendMessage", json=json_body) as response:
            assert response.status == 200
        async with session.get(f"{url}/sendMessage?chat_id={user.id}&text=true") as response:
            assert response.status == 200
    by_json, by_query = fake.calls_to("sendMessage")
    assert by_json.params["text"] == "123"
    assert by_json.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "OK"
    assert by_query.params == {"chat_id": user.id, "text": "true"}


async def test_a_group_removed_bot_is_forbidden_and_a_migrated_group_raises_chat_migrated(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    aziz, maral = fake.add_user("Aziz"), fake.add_user("Maral")
    group = fake.add_group(title="Memorial duty", members=[aziz, maral])
    old_id = group.id
    await group.send(maral, "/start@StillHereTestBot CODE")
    await group.send(maral, "just chatting")  # privacy mode: the bot never sees this

    new_id = group.migrate_to_supergroup()
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(old_id, "You are now a contact")
    await bot.send_message(new_id, "You are now a contact")
    group.remove_bot(by=maral)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(new_id, "hello?")

    assert raised.value.new_chat_id == new_id
    updates = await bot.get_updates()
    texts = [u.message.text for u in updates if u.message and u.message.text]
    assert texts == ["/start@StillHereTestBot CODE"]
    start = updates[0].message
    assert start is not None
    assert start.entities[0].length == len("/start@StillHereTestBot")
    assert (await group.next_message())["text"] == "You are now a contact"


async def test_get_chat_member_answers_from_the_member_list_like_telegram(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    aziz, maral, stranger = fake.add_user("Aziz"), fake.add_user("Maral"), fake.add_user("Eve")
    group = fake.add_group(title="Memorial duty", members=[aziz])
    group.add_member(maral, role="administrator")

    assert (await bot.get_chat_member(group.id, aziz.id)).status == "member"
    admin = await bot.get_chat_member(group.id, maral.id)
    assert admin.status == "administrator"
    assert admin.user.first_name == "Maral"
    assert (await bot.get_chat_member(group.id, stranger.id)).status == "left"
    group.remove_member(aziz)
    assert (await bot.get_chat_member(group.id, aziz.id)).status == "left"
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(group.id, 999)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat_member(-1, aziz.id)
    group.remove_bot(by=maral)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.get_chat_member(group.id, maral.id)


async def test_waiting_for_a_call_that_never_comes_explains_what_was_recorded(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    await bot.get_me()
    with pytest.raises(TimeoutError, match=r"(?s)no matching sendMessage call.*getMe -> 200"):
        await fake.wait_for_call("sendMessage", timeout=0.05)


async def test_wait_for_call_returns_a_call_made_while_waiting(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    since = len(fake.calls)
    waiting = asyncio.create_task(
        fake.wait_for_call(
            "sendMessage", chat_id=user.id, since=since, predicate=lambda c: "2" in c.params["text"]
        )
    )
    await bot.send_message(user.id, "reminder 1")
    await bot.send_message(user.id, "reminder 2")
    call = await waiting
    assert call.params["text"] == "reminder 2"
    assert [m["text"] for m in (await user.next_message(), await user.next_message())] == [
        "reminder 1",
        "reminder 2",
    ]


async def test_the_standalone_process_serves_a_polling_bot_and_exits_cleanly(
    tmp_path: Path,
) -> None:
    async with standalone_fake_telegram(tmp_path, token=TOKEN) as (base_url, control):
        user = await control.add_user(first_name="Aziz")
        async with _client(TOKEN, base_url) as remote_bot:
            poll = asyncio.create_task(remote_bot.get_updates(timeout=10))
            await control.wait_until_polling(timeout=5)
            await user.send("/start")
            [update] = await asyncio.wait_for(poll, timeout=5)
            assert update.message is not None
            assert update.message.text == "/start"

            await remote_bot.send_message(user.id, "Welcome", reply_markup=_keyboard(("OK", "ok")))
            welcome = await user.next_message(timeout=5)
            pressed = await user.press(welcome["message_id"], "OK")
            assert pressed["data"] == "ok"
            assert [c.status for c in await control.calls("sendMessage")] == [200]
        assert (tmp_path / "fake-telegram.json").exists()


async def test_a_ptb_application_polls_replies_and_confirms_updates_when_stopping(
    fake: FakeTelegram,
) -> None:
    async def welcome(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome")

    application = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).build()
    application.add_handler(CommandHandler("start", welcome))
    user = fake.add_user()
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=10)
        await application.start()
        await fake.wait_until_polling()

        await user.send("/start")
        reply = await user.next_message()

        await application.updater.stop()
        await application.stop()
    assert reply["text"] == "Welcome"
    assert fake.pending_updates == []  # the final getUpdates confirmed /start
    assert fake.calls_to("deleteWebhook")


class SteppedMonotonic:
    """A monotonic clock for the flood limits that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_with_limits_a_private_chat_gets_a_burst_of_three_then_one_a_second() -> None:
    clock = SteppedMonotonic()
    fake = FakeTelegram(limits=RateLimits(monotonic=clock))
    async with fake, _client(TOKEN, fake.base_url) as bot:
        user = await _started_user(fake, bot)
        for n in range(3):
            await bot.send_message(user.id, f"burst {n}")
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(user.id, "one too many")
        assert raised.value.retry_after == dt.timedelta(seconds=1)
        await bot.send_chat_action(user.id, "typing")  # not a message: never limited
        clock.now += 1.0
        await bot.send_message(user.id, "after waiting as told")
    assert [call.status for call in fake.calls_to("sendMessage")] == [200] * 3 + [429, 200]
    assert fake.limits is not None
    assert fake.limits.refused == 1


async def test_with_limits_a_group_gets_twenty_a_minute_and_the_bot_thirty_a_second() -> None:
    clock = SteppedMonotonic()
    fake = FakeTelegram(limits=RateLimits(monotonic=clock))
    async with fake, _client(TOKEN, fake.base_url) as bot:
        group = fake.add_group()
        for n in range(20):
            await bot.send_message(group.id, f"group {n}")
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(group.id, "twenty-first")
        assert raised.value.retry_after == dt.timedelta(seconds=3)
        clock.now += 60.0
        users = [await _started_user(fake, bot) for _ in range(31)]
        for user in users[:30]:
            await bot.send_message(user.id, "one each")
        with pytest.raises(RetryAfter):
            await bot.send_message(users[30].id, "the thirty-first this second")
        clock.now += 0.05  # a token and a half at 30/s
        await bot.send_message(users[30].id, "a moment later")


async def test_without_limits_the_fake_never_answers_429(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    user = await _started_user(fake, bot)
    for n in range(10):
        await bot.send_message(user.id, f"message {n}")
    assert fake.limits is None
