"""Ask for the PIN before a gated action, when the person's phone has one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import BotContext
from bot.core.gated import GatedAction, Unlock
from handlers.phrases import answer
from handlers.sender import Sender

# Carries out one kind of gated action once it is unlocked, and replies.
Perform = Callable[[Sender, BotContext, Any, Unlock], Awaitable[None]]


async def require_pin(sender: Sender, context: BotContext, action: GatedAction) -> Unlock | None:
    """Return how to go ahead now, or ask for the PIN and return ``None``.

    The PIN handler carries the action out once the PIN arrives.
    """
    unlock = await context.services.pins.gate(sender.person, action)
    if unlock is not None:
        return unlock
    prompt = await sender.message.reply_text(sender.tr("🔒 Enter your PIN."))
    await context.services.discretion.forget_exchange(
        sender.person, [sender.message.message_id, prompt.message_id]
    )
    return None


async def run_gated(
    sender: Sender, context: BotContext, action: GatedAction, perform: Perform
) -> None:
    """Refuse a setting out of bounds at once; else ask for the PIN if needed, then perform.

    Out-of-bounds settings are refused before the PIN is asked, so nobody types
    a PIN for a change that cannot be made.
    """
    problem = context.services.checkins.problem_with(action)
    if problem is not None:
        await answer(sender, context, problem, lambda _: "")
        return
    unlock = await require_pin(sender, context, action)
    if unlock is not None:
        await perform(sender, context, action, unlock)
