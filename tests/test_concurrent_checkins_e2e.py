"""Updates handled concurrently, each person's in order; a check-in is one commit.

The real bot against the fake Telegram. Updates are queued all at once, without
waiting for replies in between, so a bot that handled them out of order (or one
person's behind another's) shows it in what each person is answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations
from storage.database import Database, Transaction
from tests.conditions import eventually
from tests.conftest import RunningBot, context_bodies, make_settings, query, run_bot
from tests.fake_telegram import FakeTelegram
from tests.scenarios import PIN, activist_and_contact, texts
from tests.test_alerts_e2e import say
from tests.test_pins_e2e import set_pins

PROCESSING = "process_concurrent_update"
RU = Translations()["ru"]


class Commits:
    """Note each write transaction opened while handling an update (not by jobs)."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def note(self) -> None:
        task = asyncio.current_task()
        if task is not None and PROCESSING in task.get_name():
            self.tasks.append(task)

    @asynccontextmanager
    async def wrap(self, database: Database, original: Any) -> AsyncIterator[Transaction]:
        self.note()
        async with original(database) as tx:
            yield tx

    async def since(self, start: int) -> int:
        """Return how many were opened since ``start``, once their updates are handled."""

        async def handled() -> bool:
            return all(task.done() for task in self.tasks[start:])

        await eventually(handled, what="the updates' handling to finish")
        return len(self.tasks) - start


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> Commits:
    """Wrap ``Database.transaction`` and ``Database.inline``: every write transaction an
    update opens, either way, is noted."""
    counter = Commits()
    original = Database.transaction
    original_inline = Database.inline

    def transaction(database: Database) -> Any:
        return counter.wrap(database, original)

    async def inline(database: Database, work: Any, *, write: bool = True) -> Any:
        if write:
            counter.note()
        return await original_inline(database, work, write=write)

    monkeypatch.setattr(Database, "transaction", transaction)
    monkeypatch.setattr(Database, "inline", inline)
    return counter


async def test_each_persons_pin_answer_follows_its_prompt_while_others_interleave(
    bot: RunningBot,
) -> None:
    people = [bot.fake.add_user(first_name=f"Activist{n}") for n in range(6)]
    for person in people:
        await say(person, "/start")
        await say(person, "/every 12h")
        await set_pins(person, PIN)
    # Everyone's check-in, then everyone's PIN, all queued before the bot answers any.
    for person in people:
        await person.send("/checkin")
    for person in reversed(people):
        await person.send(PIN)
    for person in people:
        prompt = await person.next_message(timeout=10)
        done = await person.next_message(timeout=10)
        assert prompt["text"] == "🔒 Enter your PIN."
        assert done["text"].startswith("✅ Checked in.")


async def test_one_persons_many_messages_keep_their_order_beside_another_persons_check_in(
    bot: RunningBot,
) -> None:
    busy = bot.fake.add_user(first_name="Busy")
    calm = bot.fake.add_user(first_name="Calm")
    await say(busy, "/start")
    await say(calm, "/start")
    notes = [await busy.send(f"note {n}") for n in range(10)]
    await calm.send("/ok")
    reply = await calm.next_message(timeout=10)
    assert reply["text"].startswith("✅ Checked in.")
    for note in notes:
        assert await busy.reaction_to(note["message_id"], timeout=10) == ["✍"]
    rows = await bot_context_texts(bot)
    assert rows == [f"note {n}" for n in range(10)]


async def bot_context_texts(bot: RunningBot) -> list[str]:
    return [str(body["text"]) for kind, body in await context_bodies(bot) if kind == "text"]


async def test_a_check_in_is_one_commit(bot: RunningBot, commits: Commits) -> None:
    azat, _ = await activist_and_contact(bot, pin=None)
    for command in ("/checkin", "/ok"):
        before = len(commits.tasks)
        reply = await say(azat, command)
        assert reply["text"].startswith("✅ Checked in.")
        assert await commits.since(before) == 1, command


async def test_a_check_in_behind_a_pin_asks_for_it_in_one_commit(
    bot: RunningBot, commits: Commits
) -> None:
    azat, _ = await activist_and_contact(bot)
    before = len(commits.tasks)
    assert (await say(azat, "/checkin"))["text"] == "🔒 Enter your PIN."
    assert await commits.since(before) == 1
    reply = await say(azat, PIN)
    assert reply["text"].startswith("✅ Checked in.")
    assert texts(azat)[-2:] == ["🔒 Enter your PIN.", reply["text"]]


async def everything_stored(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Return every row of every table but the tick's bookkeeping (``runtime``)."""
    tables = await query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    names = sorted(str(t["name"]) for t in tables if t["name"] not in ("runtime",))
    return {name: await query(path, f"SELECT * FROM {name} ORDER BY rowid") for name in names}  # noqa: S608 -- table names from sqlite_master


async def test_strangers_texting_write_nothing_and_get_todays_answer(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings) as bot:
        await activist_and_contact(bot, pin=None)
        before = await everything_stored(settings.storage.path)
        strangers = [bot.fake.add_user(first_name=f"S{n}", language_code="ru") for n in range(20)]
        sent = [
            (stranger, await stranger.send(text))
            for text in ("hello", "1234", "where are you?")
            for stranger in strangers
        ]
        # Each is answered as a known person's would be, and nothing is written.
        for stranger, message in sent:
            assert await stranger.reaction_to(message["message_id"], timeout=10) == ["✍"]
    # Stopped: whatever waited in memory was written (or dropped) by now.
    after = await everything_stored(settings.storage.path)
    # The known people's own tracked messages may have been written meanwhile.
    tracked = {row["chat_id"] for row in after.pop("chat_messages")}
    before.pop("chat_messages")
    assert after == before
    assert not tracked & {stranger.id for stranger in strangers}


async def test_two_thousand_strangers_texting_do_not_hold_back_an_sos(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake_telegram.base_url)
    async with run_bot(fake_telegram, settings) as bot:
        azat, dilbar = await activist_and_contact(bot, pin=None)
        strangers = [bot.fake.add_user(first_name=f"S{n}") for n in range(2000)]
        for n in range(3):
            for stranger in strangers:
                await stranger.send(f"message {n}")
        await azat.send("/sos")
        alert = await dilbar.next_message(timeout=30)
        assert "SOS" in alert["text"]
        answered = sum(len(stranger.messages) for stranger in strangers)
        # Replies leave at Telegram's pace (28/s): the SOS did not wait behind 6,000.
        assert answered < 1000, answered
    people = await query(settings.storage.path, "SELECT telegram_user_id FROM people")
    assert {row["telegram_user_id"] for row in people} == {azat.id, dilbar.id}
    assert await query(settings.storage.path, "SELECT * FROM context_items") == []
    tracked = await query(settings.storage.path, "SELECT DISTINCT chat_id FROM chat_messages")
    assert {row["chat_id"] for row in tracked} <= {azat.id, dilbar.id}
