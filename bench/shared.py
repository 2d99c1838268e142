"""The burst with shared contacts: coordinators and a duty group alerted about many at once.

The world is the 1,000-due template (each due activist with 3 private contacts of
their own), to which a copy adds, through the project's own repositories:

- ``COORDINATORS`` coordinators, each a private contact of an equal share of the due
  activists (50 each for 1,000): every due activist has one;
- one duty group, a contact of every ``GROUP_EVERY``-th due activist (100 of 1,000).

All their grace periods end at ``DUE_AT``, against the fake with Telegram's limits. A
coordinator can take one message a second and the group 20 a minute, so a scheduler
that lets a waiting chat hold back the others (or provokes 429s) shows here.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.figures import Figure
from bench.harness import TOKEN, add_started_chats, bot_process, wait_until
from bench.scenarios import LEAD_SECONDS, Run, _offset_for, _register, burst_timeout
from bench.seed import ACTIVIST_BASE, T0, Seeded
from bot.keys import unlock
from bot.settings import load_settings
from storage import contacts as contact_repository
from storage import people as people_repository
from storage.database import Database
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.limits import COUNTED_METHODS

COORDINATORS = 20
GROUP_EVERY = 10
# Private chat ids of the coordinators, far from the template's contacts.
COORDINATOR_BASE = 900_000_000


def coordinator_of(seeded: Seeded, telegram_user_id: int) -> int:
    """Return the chat id of the coordinator who is a contact of this due activist."""
    share = max(1, len(seeded.due) // COORDINATORS)
    return COORDINATOR_BASE + min(seeded.due.index(telegram_user_id) // share, COORDINATORS - 1)


async def add_shared_contacts(config: Path, database: Path, seeded: Seeded, group: int) -> None:
    """Make the coordinators and the group contacts of the due activists, in one transaction."""
    settings = load_settings(config, {"TELEGRAM_TOKEN": TOKEN})
    db = await Database.open(database)
    try:
        await unlock(db, settings)
        async with db.transaction() as tx:
            for index, user_id in enumerate(seeded.due):
                # Known already: upsert returns the person with their internal id.
                name = f"Activist {user_id - ACTIVIST_BASE}"
                person = await people_repository.upsert(tx, user_id, "en", name, T0)
                chats = [(coordinator_of(seeded, user_id), False, "Coordinator")]
                if index % GROUP_EVERY == 0:
                    chats.append((group, True, "Duty group"))
                for chat_id, is_group, display_name in chats:
                    await contact_repository.upsert_contact(
                        tx,
                        person_id=person.id,
                        chat_id=chat_id,
                        is_group=is_group,
                        display_name=display_name,
                        language="en",
                        tier=1,
                        now=T0,
                    )
    finally:
        await db.close()


async def shared(
    run: Run,
    name: str,
    rate: Figure,
    refused: Figure,
    first_alerts: Figure,
    shared_first: Figure,
) -> None:
    """Alert every due activist's own and shared contacts at once; measure pace and 429s."""
    seeded = run.template
    async with FakeTelegram(limits=True) as fake:
        _register(fake, seeded)
        coordinators = [COORDINATOR_BASE + n for n in range(COORDINATORS)]
        add_started_chats(fake, coordinators)
        group = fake.add_group("Duty group").id
        config, database, log = run.prepare(name, fake)
        await add_shared_contacts(config, database, seeded, group)
        contacts = {chat for p in seeded.due for chat in seeded.contact_chats(p)}
        contacts |= {*coordinators, group}
        first: dict[int, float] = {}
        seen_calls = 0

        def all_alerted() -> bool:
            nonlocal seen_calls
            calls = fake.calls
            for call in calls[seen_calls:]:
                chat = call.params.get("chat_id")
                if call.method == "sendMessage" and call.status == 200 and chat in contacts:
                    first.setdefault(int(chat), call.monotonic)
            seen_calls = len(calls)
            return len(first) >= len(contacts)

        deadline_wall = time.time() + LEAD_SECONDS
        deadline = time.monotonic() + LEAD_SECONDS
        async with bot_process(config, _offset_for(deadline_wall), log) as process:
            await fake.wait_until_polling(timeout=60)
            finished = await wait_until(all_alerted, burst_timeout(), process, log)
            ended = time.monotonic()
        sends = [c for c in fake.calls if c.method in COUNTED_METHODS]
        accepted = [c.monotonic for c in sends if c.status == 200 and c.monotonic <= ended]
        refused.add(sum(1 for c in sends if c.status == 429))
        window = (max(accepted) - min(accepted)) if len(accepted) > 1 else 0.0
        rate.add(len(accepted) / window if window > 0 else None)
        first_alerts.add(max(first.values()) - deadline if finished else None)
        if not finished:
            first_alerts.note = f"({len(first)} of {len(contacts)} within {burst_timeout():.0f} s)"
        shared_chats = [first[chat] for chat in (*coordinators, group) if chat in first]
        done = len(shared_chats) == COORDINATORS + 1
        shared_first.add(max(shared_chats) - deadline if done else None)


async def measure(run: Run, runs: int) -> list[Figure]:
    """Run the shared-contacts burst ``runs`` times; return its figures."""
    due = len(run.template.due)
    size = f"{due:,} incidents, {COORDINATORS} coordinators + a group shared"
    rate = Figure(f"shared burst {size}: sustained send rate", "≥ 25/s", "/s")
    refused = Figure("  … 429s caused", "0", "")
    first = Figure("  … every contact's first alert (after deadline)", "-", " s")
    shared_first = Figure("  … every coordinator's and the group's first alert", "-", " s")
    for index in range(runs):
        await shared(run, f"shared-{index}", rate, refused, first, shared_first)
        print(
            f"  shared run {index + 1}: {rate.values[-1]} msg/s, {refused.values[-1]} 429s",
            flush=True,
        )
    return [rate, refused, first, shared_first]
