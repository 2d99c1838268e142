"""The order delivery takes rows in: SOS first, then breadth-first, each chat in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.context import ContextKind
from bot.core.incidents import AlertPolicy
from bot.core.outbox import OutboxKind
from bot.core.watches import AlertReason
from bot.crypto import Sealer, new_key
from bot.services import alerting
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage.database import Database
from storage.migrations import apply_migrations
from tests.fake_clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PARALLEL = 8


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
    await apply_migrations(database, FakeClock(T0))
    try:
        yield database
    finally:
        await database.close()


async def _alerts(
    database: Database, activists: int, contacts: int, reason: AlertReason, first_user: int
) -> None:
    """Open an alert for each activist, who left a location, to their own contacts."""
    async with database.transaction() as tx:
        for a in range(activists):
            user = first_user + a * 100
            person = await people_repository.upsert(tx, user, "en", f"Activist {a}", T0)
            await context_repository.record(
                tx, person.id, 1, ContextKind.LOCATION, {"latitude": 1.0, "longitude": 2.0}, T0
            )
            for c in range(contacts):
                await contact_repository.upsert_contact(
                    tx,
                    person_id=person.id,
                    chat_id=user + c + 1,
                    is_group=False,
                    display_name=f"Contact {c}",
                    language="en",
                    tier=1,
                    now=T0,
                )
            policy = AlertPolicy(timedelta(minutes=15), timedelta(minutes=10), 0)
            await alerting.open_alert(tx, person, reason, T0, T0, None, policy)


async def _drain_order(database: Database) -> list[tuple[str, int]]:
    """Take rows as the worker does, PARALLEL chats at a time; return (kind, chat) in order."""
    order: list[tuple[str, int]] = []
    while True:
        async with database.snapshot() as tx:
            ready = await outbox_repository.ready(tx, T0, PARALLEL)
        if not ready.messages:
            return order
        async with database.transaction() as tx:
            for message in ready.messages:
                order.append((str(message.kind), message.chat_id))
                await outbox_repository.mark_sent(tx, message.id, 1, T0)


async def test_every_contacts_first_alert_text_goes_before_anyones_map_pin(
    database: Database,
) -> None:
    await _alerts(database, activists=5, contacts=2, reason=AlertReason.MISSED, first_user=1000)
    kinds = [kind for kind, _ in await _drain_order(database)]
    assert kinds == ["alert"] * 10 + ["alert_location"] * 10


async def test_an_sos_and_its_map_pins_go_before_any_missed_check_in_alert(
    database: Database,
) -> None:
    await _alerts(database, activists=5, contacts=2, reason=AlertReason.MISSED, first_user=1000)
    await _alerts(database, activists=1, contacts=2, reason=AlertReason.SOS, first_user=9000)
    order = await _drain_order(database)
    sos_chats = {9001, 9002}
    # The SOS texts go in the first round; their map pins, which must follow
    # them in their chats, in the next, before any other alert's map pin.
    assert [chat for _, chat in order[:2]] == sorted(sos_chats)
    last_sos = max(i for i, (_, chat) in enumerate(order) if chat in sos_chats)
    first_other_pin = min(
        i
        for i, (kind, chat) in enumerate(order)
        if kind == "alert_location" and chat not in sos_chats
    )
    assert last_sos < first_other_pin
    assert [kind for kind, chat in order if chat not in sos_chats] == (
        ["alert"] * 10 + ["alert_location"] * 10
    )


def _message(chat_id: int, *, after_previous: bool = False) -> outbox_repository.NewMessage:
    return outbox_repository.NewMessage(
        person_id=1,
        chat_id=chat_id,
        kind=OutboxKind.ALERT_LOCATION if after_previous else OutboxKind.ALERT,
        priority=10,
        payload={"n": str(chat_id)},
        after_previous=after_previous,
    )


async def test_many_messages_queued_at_once_keep_their_order_chains_and_payloads(
    database: Database,
) -> None:
    # More than one INSERT holds: the ids, chains and sealed payloads run on across them.
    messages = [_message(1000 + n // 2, after_previous=n % 2 == 1) for n in range(1_204)]
    async with database.transaction() as tx:
        await people_repository.upsert(tx, 1, "en", "Activist", T0)
        earlier = await outbox_repository.add(
            tx, person_id=1, chat_id=7, kind=OutboxKind.REMIND, priority=50, payload={}, now=T0
        )
        ids = await outbox_repository.add_many(tx, messages, T0)
    assert ids == list(range(earlier + 1, earlier + 1 + len(messages)))
    async with database.snapshot() as tx:
        stored = {m.id: m for m in await outbox_repository.for_person(tx, 1)}
        rows = {
            row["id"]: row["after_id"]
            for row in await tx.fetch_all("SELECT id, after_id FROM outbox")
        }
    for row_id, message in zip(ids, messages, strict=True):
        assert stored[row_id].chat_id == message.chat_id
        assert stored[row_id].payload == message.payload
        assert rows[row_id] == (row_id - 1 if message.after_previous else None)


async def test_a_first_message_cannot_follow_a_previous_one(database: Database) -> None:
    async with database.transaction() as tx:
        await people_repository.upsert(tx, 1, "en", "Activist", T0)
        with pytest.raises(ValueError, match="first message"):
            await outbox_repository.add_many(tx, [_message(5, after_previous=True)], T0)
