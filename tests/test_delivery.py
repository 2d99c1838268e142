"""The delivery worker against the fake Telegram: ordering, retries, permanent failures."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.core.outbox import PRIORITY_NOTICE, PRIORITY_PROMPT, OutboxKind
from bot.core.people import Person
from bot.crypto import Sealer, new_key
from bot.delivery import DeliveryWorker
from bot.i18n import Translations
from bot.services.people import PeopleService
from storage import outbox as outbox_repository
from storage import sealing
from storage.database import Database
from storage.migrations import apply_migrations
from tests.conftest import TEST_TOKEN, query
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Harness:
    database: Database
    clock: FakeClock
    worker: DeliveryWorker
    fake: FakeTelegram
    user: SimUser
    person: Person

    async def queue(
        self,
        kind: OutboxKind = OutboxKind.REMIND,
        priority: int = PRIORITY_NOTICE,
        chat_id: int | None = None,
    ) -> int:
        payload = {"deadline_at": (T0 + timedelta(hours=1)).isoformat()}
        if kind is OutboxKind.PROMPT:
            payload["grace_ends_at"] = (T0 + timedelta(hours=2)).isoformat()
        async with self.database.transaction() as tx:
            return await outbox_repository.add(
                tx,
                person_id=self.person.id,
                chat_id=chat_id or self.user.id,
                kind=kind,
                priority=priority,
                payload=payload,
                now=self.clock.now(),
            )

    async def row(self, row_id: int) -> dict[str, Any]:
        rows = await query(self.database.path, "SELECT * FROM outbox WHERE id = ?", (row_id,))
        return rows[0]


@pytest.fixture
async def harness(fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[Harness]:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    # A short read timeout so the "slow" fault makes the client give up.
    bot = Bot(TEST_TOKEN, base_url=fake_telegram.base_url, request=HTTPXRequest(read_timeout=0.5))
    try:
        clock = FakeClock(T0)
        await apply_migrations(database, clock)
        user = fake_telegram.add_user()
        await user.send("/start")  # the chat is started: the bot may write to it
        person = await PeopleService(database, clock).meet(user.id, "en")
        await bot.initialize()
        worker = DeliveryWorker(database, clock, bot, Translations(), "UTC", poll_interval=1)
        yield Harness(database, clock, worker, fake_telegram, user, person)
    finally:
        # An open database keeps a worker thread alive: close it whatever happened.
        await bot.shutdown()
        await database.close()


async def test_a_row_is_marked_sent_with_the_message_id_telegram_returned(harness: Harness) -> None:
    row_id = await harness.queue()
    assert await harness.worker.deliver_ready() == 1
    message = await harness.user.next_message()
    row = await harness.row(row_id)
    assert row["status"] == "sent"
    assert row["telegram_message_id"] == message["message_id"]
    assert message["text"].startswith("⏰ Reminder")


async def test_more_urgent_rows_go_first_across_chats(harness: Harness) -> None:
    other = harness.fake.add_user()
    await other.send("/start")
    await harness.queue(OutboxKind.REMIND, PRIORITY_NOTICE)
    await harness.queue(OutboxKind.PROMPT, PRIORITY_PROMPT, chat_id=other.id)
    await harness.worker.deliver_ready()
    sends = [c.params["chat_id"] for c in harness.fake.calls_to("sendMessage")]
    assert sends == [other.id, harness.user.id]


async def test_one_chats_rows_go_out_in_the_order_they_were_queued(harness: Harness) -> None:
    await harness.queue(OutboxKind.REMIND, PRIORITY_NOTICE)
    await harness.queue(OutboxKind.PROMPT, PRIORITY_PROMPT)
    await harness.worker.deliver_ready()
    first = await harness.user.next_message()
    second = await harness.user.next_message()
    assert first["text"].startswith("⏰")
    assert second["text"].startswith("⚠️")


async def test_a_row_waiting_for_a_retry_holds_its_whole_chat(harness: Harness) -> None:
    harness.fake.inject_fault("sendMessage", chat_id=harness.user.id, kind="bad_gateway")
    first = await harness.queue(OutboxKind.PROMPT, PRIORITY_PROMPT)
    second = await harness.queue(OutboxKind.REMIND, PRIORITY_NOTICE)
    await harness.worker.deliver_ready()
    assert (await harness.row(first))["status"] == "pending"
    assert (await harness.row(second))["status"] == "pending"
    harness.clock.advance(timedelta(seconds=2))
    await harness.worker.deliver_ready()
    assert (await harness.user.next_message())["text"].startswith("⚠️")
    assert (await harness.user.next_message())["text"].startswith("⏰")


async def test_a_row_that_cannot_be_opened_is_quarantined_and_never_blocks_its_chat(
    harness: Harness,
) -> None:
    broken = await harness.queue()
    await harness.queue(OutboxKind.PROMPT, PRIORITY_PROMPT)
    async with harness.database.transaction() as tx:
        # Another row's sealed payload: the identity binding refuses it here.
        await tx.execute("UPDATE outbox SET payload = 'v1.AAAA' WHERE id = ?", (broken,))
    await harness.worker.deliver_ready()
    row = await harness.row(broken)
    assert row["status"] == "failed"
    assert row["last_error"] == "quarantined: cannot be opened"
    assert (await harness.user.next_message())["text"].startswith("⚠️")


async def test_a_send_whose_mark_cannot_be_written_is_never_sent_twice(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mark = outbox_repository.mark_sent
    failures = {"left": 3}

    async def full_disk(*args: Any, **kwargs: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        await real_mark(*args, **kwargs)

    monkeypatch.setattr(outbox_repository, "mark_sent", full_disk)
    row_id = await harness.queue()
    for _ in range(3):
        await harness.worker.deliver_ready()
        harness.clock.advance(timedelta(seconds=5))
    assert (await harness.row(row_id))["status"] == "pending"
    await harness.worker.deliver_ready()
    row = await harness.row(row_id)
    assert row["status"] == "sent"
    assert len(harness.fake.calls_to("sendMessage", chat_id=harness.user.id)) == 1


async def test_retry_after_is_honoured_to_the_second(harness: Harness) -> None:
    harness.fake.inject_fault(
        "sendMessage", chat_id=harness.user.id, kind="retry_after", retry_after=7
    )
    row_id = await harness.queue()
    await harness.worker.deliver_ready()
    row = await harness.row(row_id)
    assert row["status"] == "pending"
    assert row["next_attempt_at"] == "2026-03-01T09:00:07.000000Z"
    harness.clock.advance(timedelta(seconds=6))
    assert await harness.worker.deliver_ready() == 0
    harness.clock.advance(timedelta(seconds=1))
    assert await harness.worker.deliver_ready() == 1
    assert (await harness.row(row_id))["status"] == "sent"


async def test_server_errors_are_retried_with_backoff(harness: Harness) -> None:
    harness.fake.inject_fault("sendMessage", chat_id=harness.user.id, kind="bad_gateway", times=2)
    row_id = await harness.queue()
    await harness.worker.deliver_ready()
    assert (await harness.row(row_id))["next_attempt_at"] == "2026-03-01T09:00:02.000000Z"
    harness.clock.advance(timedelta(seconds=2))
    await harness.worker.deliver_ready()
    assert (await harness.row(row_id))["next_attempt_at"] == "2026-03-01T09:00:06.000000Z"
    harness.clock.advance(timedelta(seconds=4))
    await harness.worker.deliver_ready()
    row = await harness.row(row_id)
    assert row["status"] == "sent"
    assert row["attempts"] == 3


async def test_a_timeout_that_still_delivered_is_retried_and_duplicates_at_most_once(
    harness: Harness,
) -> None:
    harness.fake.inject_fault("sendMessage", chat_id=harness.user.id, kind="slow", delay=1.5)
    row_id = await harness.queue()
    await harness.worker.deliver_ready()
    assert (await harness.row(row_id))["status"] == "pending"
    harness.clock.advance(timedelta(seconds=2))
    await harness.worker.deliver_ready()
    assert (await harness.row(row_id))["status"] == "sent"
    texts = [m.text for m in harness.user.messages]
    assert len(texts) == 2
    assert texts[0] == texts[1]


async def test_a_chat_that_blocked_the_bot_fails_permanently_with_the_reason(
    harness: Harness,
) -> None:
    harness.user.block_bot()
    row_id = await harness.queue()
    await harness.worker.deliver_ready()
    row = await harness.row(row_id)
    assert row["status"] == "failed"
    assert "blocked" in row["last_error"].lower()
    harness.clock.advance(timedelta(hours=1))
    assert await harness.worker.deliver_ready() == 0


async def test_two_payloads_of_one_person_swapped_are_refused_not_sent(harness: Harness) -> None:
    first = await harness.queue()
    second = await harness.queue()
    async with harness.database.transaction() as tx:
        # Each payload is bound to its own row: swapped, neither opens.
        rows = await tx.fetch_all("SELECT id, payload FROM outbox ORDER BY id")
        payloads = {int(row["id"]): str(row["payload"]) for row in rows}
        for row_id, other in ((first, second), (second, first)):
            await tx.execute(
                "UPDATE outbox SET payload = ? WHERE id = ?", (payloads[other], row_id)
            )
    await harness.worker.deliver_ready()
    for row_id in (first, second):
        assert (await harness.row(row_id))["last_error"] == "quarantined: cannot be opened"
    assert harness.fake.calls_to("sendMessage", chat_id=harness.user.id) == []


async def test_a_row_queued_before_payloads_were_bound_to_their_row_still_goes_out(
    harness: Harness,
) -> None:
    row_id = await harness.queue()
    payload = json.dumps({"deadline_at": (T0 + timedelta(hours=1)).isoformat()}, sort_keys=True)
    async with harness.database.transaction() as tx:
        legacy = tx.seal(payload, sealing.legacy_outbox_payload(harness.person.id, "remind"))
        await tx.execute("UPDATE outbox SET payload = ? WHERE id = ?", (legacy, row_id))
    await harness.worker.deliver_ready()
    assert (await harness.row(row_id))["status"] == "sent"


async def test_stopping_leaves_the_backlog_queued_instead_of_draining_it(
    harness: Harness,
) -> None:
    # One chat, slow answers: draining 30 rows would take 30 round trips.
    for _ in range(30):
        await harness.queue()
    harness.fake.inject_fault(
        "sendMessage", chat_id=harness.user.id, kind="slow", delay=0.1, times=30
    )
    stop = asyncio.Event()
    running = asyncio.create_task(harness.worker.run(stop))
    await harness.user.next_message(timeout=10)
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    rows = await query(harness.database.path, "SELECT status FROM outbox")
    pending = [row for row in rows if row["status"] == "pending"]
    assert len(pending) >= 25


async def test_a_row_held_back_by_a_429_goes_out_in_the_same_round_once_its_wait_is_over(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = harness.fake.add_user()
    await other.send("/start")
    harness.fake.inject_fault(
        "sendMessage", chat_id=harness.user.id, kind="retry_after", retry_after=1
    )
    held = await harness.queue()
    for _ in range(4):
        await harness.queue(chat_id=other.id)
    # Time passes while the round goes on: each look at the clock is a second later.
    ticking = harness.clock.now

    def later() -> datetime:
        harness.clock.advance(timedelta(seconds=1))
        return ticking()

    monkeypatch.setattr(harness.clock, "now", later)
    await harness.worker.deliver_ready()
    assert (await harness.row(held))["status"] == "sent"
