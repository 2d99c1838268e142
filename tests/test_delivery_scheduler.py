"""The delivery scheduler against a fake Telegram enforcing flood limits.

The fake's limits and the worker's pacing are both scaled up from Telegram's (a
private chat 10/s instead of 1/s, a group 10/s instead of 20/min) so that a test
takes seconds, with the worker paced well under the fake as in production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.core.context import ContextKind
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.watches import AlertReason
from bot.crypto import Sealer, new_key
from bot.delivery import DeliveryWorker
from bot.delivery.pacing import Pacer, PaceSettings
from bot.i18n import Translations
from bot.services import alerting
from storage import contacts as contact_repository
from storage import context as context_repository
from storage import people as people_repository
from storage.database import Database
from storage.migrations import apply_migrations
from tests.conditions import eventually
from tests.conftest import TEST_TOKEN, query
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.limits import LimitSettings, RateLimits

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FAKE_LIMITS = LimitSettings(
    private_per_second=10, private_burst=3, group_per_minute=600, group_burst=5
)
# Half the fake's rates: room for the jitter of a loaded test machine.
PACE = PaceSettings(
    overall_per_second=28,
    private_per_second=5,
    private_burst=3,
    group_per_minute=300,
    group_burst=4,
)


@dataclass
class World:
    database: Database
    clock: FakeClock
    fake: FakeTelegram
    bot: Bot

    def worker(self, pacer: Pacer | None = None) -> DeliveryWorker:
        return DeliveryWorker(
            self.database,
            self.clock,
            self.bot,
            Translations(),
            "UTC",
            poll_interval=1,
            pacer=pacer or Pacer(PACE),
        )

    async def chat(self) -> int:
        """Return a private chat whose person pressed Start."""
        user = self.fake.add_user()
        await user.send("/start")
        return user.id

    async def activist(self, number: int, contacts: list[tuple[int, bool]]) -> Person:
        """Seed an activist who left a location, with these (chat, is group) contacts."""
        async with self.database.transaction() as tx:
            person = await people_repository.upsert(
                tx, 7_000_000 + number, "en", f"Activist {number}", T0
            )
            location = {"latitude": 1.0, "longitude": 2.0}
            await context_repository.record(tx, person.id, 1, ContextKind.LOCATION, location, T0)
            for chat_id, is_group in contacts:
                await contact_repository.upsert_contact(
                    tx,
                    person_id=person.id,
                    chat_id=chat_id,
                    is_group=is_group,
                    display_name=f"Chat {chat_id}",
                    language="en",
                    tier=1,
                    now=T0,
                )
        return person

    async def alert(self, person: Person) -> None:
        """Open a missed check-in alert: a text and a map pin to each contact."""
        policy = AlertPolicy(timedelta(minutes=15), timedelta(minutes=10), 0)
        async with self.database.transaction() as tx:
            await alerting.open_alert(tx, person, AlertReason.MISSED, T0, T0, None, policy)

    def sends(self, chat_id: int | None = None) -> list[tuple[str, int]]:
        """Return (method, chat) of every accepted message, in the order they arrived."""
        return [
            (call.method, int(call.params["chat_id"]))
            for call in self.fake.calls
            if call.method in ("sendMessage", "sendLocation")
            and call.status == 200
            and (chat_id is None or int(call.params["chat_id"]) == chat_id)
        ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakeTelegram(limits=RateLimits(FAKE_LIMITS)) as fake:
        database = await Database.open(tmp_path / "bot.sqlite3", Sealer(new_key()))
        # A connection for each sender, as in production (bot.app).
        request = HTTPXRequest(connection_pool_size=16)
        bot = Bot(TEST_TOKEN, base_url=fake.base_url, request=request)
        try:
            clock = FakeClock(T0)
            await apply_migrations(database, clock)
            await bot.initialize()
            yield World(database, clock, fake, bot)
        finally:
            await bot.shutdown()
            await database.close()


async def _pending(world: World) -> int:
    rows = await query(world.database.path, "SELECT id FROM outbox WHERE status = 'pending'")
    return len(rows)


async def test_a_burst_with_shared_contacts_provokes_no_429(world: World) -> None:
    coordinator = await world.chat()
    group = world.fake.add_group("Duty").id
    for number in range(6):
        own = await world.chat()
        await world.alert(
            await world.activist(number, [(own, False), (coordinator, False), (group, True)])
        )
    await world.worker().deliver_ready()
    assert await _pending(world) == 0
    assert [call.summary() for call in world.fake.calls if call.status == 429] == []
    # Six alerts and six map pins each, although both are far over their burst.
    assert len(world.sends(coordinator)) == 12
    assert len(world.sends(group)) == 12


async def test_a_group_at_its_limit_does_not_hold_back_other_chats(world: World) -> None:
    group = world.fake.add_group("Duty").id
    for number in range(3):
        await world.alert(await world.activist(number, [(group, True)]))
    chats = [await world.chat() for _ in range(6)]
    for number, chat in enumerate(chats, start=3):
        await world.alert(await world.activist(number, [(chat, False)]))
    # The pacing clock stands still: once the group has had its burst, it waits
    # (an overall burst big enough for everyone else, as time does not refill it).
    frozen: list[float | None] = [time.monotonic()]

    def pacing_clock() -> float:
        return frozen[0] if frozen[0] is not None else time.monotonic()

    worker = world.worker(Pacer(replace(PACE, overall_burst=100), monotonic=pacing_clock))
    delivering = asyncio.create_task(worker.deliver_ready())
    try:
        # Every other chat has its alert and map pin while the group waits.
        await eventually(
            lambda: _all_of(world, chats, group),
            what="every other chat's alert and map pin, and the group's burst",
        )
        assert len(world.sends(group)) == PACE.group_burst
        # Time runs again, for the pacing and the fake's limits alike.
        frozen[0] = None
        worker.wake()
        await asyncio.wait_for(delivering, timeout=10)
    finally:
        delivering.cancel()
    assert len(world.sends(group)) == 6
    assert await _pending(world) == 0


async def _all_of(world: World, chats: list[int], group: int) -> bool:
    others = all(len(world.sends(chat)) == 2 for chat in chats)
    return others and len(world.sends(group)) >= PACE.group_burst


async def test_a_chats_rows_go_out_in_order_after_a_429(world: World) -> None:
    coordinator = await world.chat()
    for number in range(3):
        await world.alert(await world.activist(number, [(coordinator, False)]))
    world.fake.inject_fault("sendMessage", chat_id=coordinator, kind="retry_after", retry_after=3)
    worker = world.worker()
    await worker.deliver_ready()
    # Held for exactly as long as Telegram asked: nothing of that chat meanwhile.
    assert world.sends(coordinator) == []
    world.clock.advance(timedelta(seconds=3))
    await worker.deliver_ready()
    texts = [
        call.params.get("text", "pin").split("\n")[0]
        for call in world.fake.calls
        if call.status == 200 and int(call.params.get("chat_id", 0)) == coordinator
    ]
    names = [
        next(n for n in ("Activist 0", "Activist 1", "Activist 2") if n in t)
        for t in texts
        if t != "pin"
    ]
    assert names == ["Activist 0", "Activist 1", "Activist 2"]
    assert [method for method, _ in world.sends(coordinator)] == ["sendMessage", "sendLocation"] * 3


async def test_every_contacts_first_alert_goes_before_anyones_map_pin(world: World) -> None:
    chats = [await world.chat() for _ in range(10)]
    for number in range(5):
        await world.alert(
            await world.activist(number, [(c, False) for c in chats[2 * number : 2 * number + 2]])
        )
    # Evenly spaced sends (20 a second, no burst): arrival order is dispatch order.
    pacer = Pacer(PaceSettings(overall_per_second=20, overall_burst=1))
    await world.worker(pacer).deliver_ready()
    methods = [method for method, _ in world.sends()]
    assert methods == ["sendMessage"] * 10 + ["sendLocation"] * 10
