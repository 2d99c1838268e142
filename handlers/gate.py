"""Ask for the PIN before a gated action, when the person's phone has one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import BotContext
from bot.core.gated import GatedAction, Unlock
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
