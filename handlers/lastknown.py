"""Everything the activist sends that is not a command, kept as last-known context.

Texts, locations (a live location's moves arrive as ``edited_message`` and update
the kept position), photos and voice notes (kept as Telegram ``file_id``s), and
``/instructions``, which contacts see only inside an alert.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.core.context import ContextKind
from bot.core.gated import ClearInstructions, SetInstructions, Unlock
from bot.i18n import Translator
from bot.services.lastknown import MAX_INSTRUCTIONS, MAX_TEXT
from handlers.gate import run_gated
from handlers.sender import Sender, identify, recognise

Body = dict[str, str | float | int | None]

# The reaction that says "kept for your contacts".
KEPT_MARK = "✍"

# Telegram's "until stopped" live period; treat it as a day so "still live" stays honest.
_LONGEST_LIVE = timedelta(days=1)


def _extract(message: Message) -> tuple[ContextKind, Body] | None:
    """Return what to keep of ``message``, or ``None`` if it is not a kind we keep."""
    if message.location is not None:
        location = message.location
        body: Body = {"latitude": location.latitude, "longitude": location.longitude}
        if location.horizontal_accuracy is not None:
            body["accuracy"] = location.horizontal_accuracy
        period = location.live_period
        if period:
            live = period if isinstance(period, timedelta) else timedelta(seconds=period)
            body["live_until"] = (message.date + min(live, _LONGEST_LIVE)).isoformat()
        elif message.edit_date is not None:
            # Only a live location can be edited: this edit without a period is
            # Telegram telling us the person stopped sharing it (when it was kept).
            body["live_stopped"] = 1
        return ContextKind.LOCATION, body
    if message.text is not None:
        return ContextKind.TEXT, {"text": message.text[:MAX_TEXT]}
    if message.photo:
        largest = message.photo[-1]
        return ContextKind.PHOTO, {"file_id": largest.file_id, "caption": message.caption}
    if message.voice is not None:
        duration = message.voice.duration
        seconds = int(duration.total_seconds() if isinstance(duration, timedelta) else duration)
        return ContextKind.VOICE, {"file_id": message.voice.file_id, "duration": seconds}
    return None


def acknowledgement(
    tr: Translator, kind: ContextKind, body: Body | None = None, clipped: bool = False
) -> str:
    """Return what the bot answers when it keeps a message of ``kind``."""
    body = body or {}
    if kind is ContextKind.LOCATION and "live_until" in body:
        return tr("📍 Live location kept for your contacts; I follow it while you share it.")
    if kind is ContextKind.LOCATION:
        return tr("📍 Location kept for your contacts.")
    if clipped:
        return tr(
            "📝 Kept for your contacts, clipped to the first {limit} characters.", limit=MAX_TEXT
        )
    return tr("📝 Kept for your contacts.")


async def keep_message(update: Update, context: BotContext) -> None:
    sender = await recognise(update, context)
    if sender is None:
        return
    extracted = _extract(sender.message)
    if extracted is None:  # pragma: no cover - the handler's filter admits only kept kinds
        return
    kind, body = extracted
    # A stranger has no contacts to keep anything for, and a contact's own words are
    # nobody's last words: answer as ever, write nothing.
    if isinstance(sender, Sender) and await _keeps_for(context, sender):
        await context.services.lastknown.keep(sender.person, sender.message.message_id, kind, body)
    clipped = sender.message.text is not None and len(sender.message.text) > MAX_TEXT
    await mark_kept(sender.message, sender.tr, kind, body, clipped)


async def _keeps_for(context: BotContext, sender: Sender) -> bool:
    """Whether what this person sends is kept: unless they are only someone's contact."""
    services = context.services
    if await services.people.is_watched(sender.person.telegram_user_id):
        return True
    return not await services.contacts.watched_from(sender.message.chat_id)


async def mark_kept(
    message: Message, tr: Translator, kind: ContextKind, body: Body, clipped: bool = False
) -> None:
    """Mark a kept message with ✍ instead of a reply, so the chat is not flooded.

    Words only when there is more to say (the text was clipped; a live location
    is followed), or when Telegram refuses the reaction.
    """
    if not clipped and "live_until" not in body:
        try:
            await message.set_reaction(KEPT_MARK)
            return
        except TelegramError:
            pass
    await message.reply_text(acknowledgement(tr, kind, body, clipped))


async def keep_edit(update: Update, context: BotContext) -> None:
    """Update a kept message silently: a live location moved, or a text was corrected."""
    sender = await recognise(update, context)
    if not isinstance(sender, Sender):
        return
    extracted = _extract(sender.message)
    if extracted is not None:
        kind, body = extracted
        await context.services.lastknown.keep(sender.person, sender.message.message_id, kind, body)


async def instructions(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    text = sender.argument
    service = context.services.lastknown
    if not text:
        state = tr("set") if await service.has_instructions(sender.person) else tr("none")
        await sender.message.reply_text(
            tr(
                "Write your instructions after the command, for example: /instructions My "
                "lawyer is … Call … Your contacts see them only inside an alert. "
                "/instructions off deletes them. Now: {state}.",
                state=state,
            )
        )
        return
    if text.lower() == "off":
        await run_gated(sender, context, ClearInstructions(), perform_clear_instructions)
        return
    if len(text) > MAX_INSTRUCTIONS:
        await sender.message.reply_text(
            tr(
                "That is too long: {length} characters, at most {maximum}. Nothing was saved.",
                length=len(text),
                maximum=MAX_INSTRUCTIONS,
            )
        )
        return
    await run_gated(sender, context, SetInstructions(text), perform_set_instructions)


async def perform_set_instructions(
    sender: Sender, context: BotContext, action: SetInstructions, unlock: Unlock
) -> None:
    await context.services.lastknown.set_instructions(sender.person, action.text, unlock)
    await sender.message.reply_text(
        sender.tr("🔒 Instructions saved. Your contacts will see them only inside an alert.")
    )


async def perform_clear_instructions(
    sender: Sender, context: BotContext, _: ClearInstructions, unlock: Unlock
) -> None:
    deleted = await context.services.lastknown.clear_instructions(sender.person, unlock)
    tr = sender.tr
    await sender.message.reply_text(
        tr("Instructions deleted.") if deleted else tr("You have no instructions to delete.")
    )


def build() -> list[BaseHandler[Update, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("instructions", instructions, filters=private),
        MessageHandler(
            private & filters.UpdateType.EDITED_MESSAGE & (filters.LOCATION | filters.TEXT),
            keep_edit,
        ),
        MessageHandler(
            private
            & filters.UpdateType.MESSAGE
            & ~filters.COMMAND
            & (filters.TEXT | filters.LOCATION | filters.PHOTO | filters.VOICE),
            keep_message,
        ),
    ]
