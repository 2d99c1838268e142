"""Ask for the PIN before an action, when the person has one."""

from __future__ import annotations

from bot.context import BotContext
from bot.services.pins import gate
from handlers.sender import Sender


async def require_pin(sender: Sender, context: BotContext, action: str) -> bool:
    """Return ``True`` to go ahead now; else ask for the PIN and return ``False``.

    The PIN handler carries the action out once the PIN arrives.
    """
    pins = context.services.pins
    if (await pins.record(sender.person)).pin_hash is None:
        return True
    await pins.ask(sender.person, gate(action))
    prompt = await sender.message.reply_text(sender.tr("🔒 Enter your PIN."))
    await context.services.discretion.forget_exchange(
        sender.person, [sender.message.message_id, prompt.message_id]
    )
    return False
