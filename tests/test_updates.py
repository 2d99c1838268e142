"""The update processor: each chat's updates in order, other chats never held back."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.updates import ChatOrder, chat_key


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat)  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_chats_updates_run_in_order_and_a_stuck_chat_holds_back_no_other() -> None:
    processor = ChatOrder(lambda _: False, ordinary=4)
    await processor.initialize()
    release = asyncio.Event()
    seen: list[str] = []

    async def handle(name: str, wait: bool = False) -> None:
        if wait:
            await release.wait()
        seen.append(name)

    tasks = [
        asyncio.create_task(processor.process_update(update(1, 10), handle("a1", wait=True))),
        asyncio.create_task(processor.process_update(update(2, 10), handle("a2"))),
        asyncio.create_task(processor.process_update(update(3, 20), handle("b1"))),
    ]
    await tasks[2]
    assert seen == ["b1"]
    release.set()
    await asyncio.gather(*tasks)
    assert seen == ["b1", "a1", "a2"]
    assert processor.waiting_chats == 0


async def test_updates_not_started_when_closed_are_dropped() -> None:
    processor = ChatOrder(lambda _: False)
    await processor.initialize()
    processor.close()
    seen: list[str] = []

    async def handle() -> None:
        seen.append("ran")

    await processor.process_update(update(1, 10), handle())
    assert seen == []


def test_an_update_is_keyed_by_its_chat() -> None:
    assert chat_key(update(1, 42)) == 42
    assert chat_key(object()) is None
