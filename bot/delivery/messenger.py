"""The calls delivery makes to Telegram: send a rendered message, ask about a group.

Errors are PTB's ``TelegramError``s, raised as they come; :mod:`bot.delivery.outcomes`
says what each one means.
"""

from __future__ import annotations

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest

from bot.delivery.render import Outgoing
from bot.membership import is_in_group


class Messenger:
    """Send :class:`Outgoing` messages through one bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, outgoing: Outgoing) -> int:
        """Send ``outgoing`` to ``chat_id``; return the message id Telegram gave it."""
        if outgoing.edit_message_id is not None:
            return await self._edit(chat_id, outgoing.edit_message_id, outgoing.text or "")
        if outgoing.photo is not None:
            sent = await self.bot.send_photo(
                chat_id, outgoing.photo, caption=outgoing.text, protect_content=outgoing.protect
            )
        elif outgoing.voice is not None:
            sent = await self.bot.send_voice(
                chat_id, outgoing.voice, caption=outgoing.text, protect_content=outgoing.protect
            )
        elif outgoing.location is not None:
            latitude, longitude = outgoing.location
            sent = await self.bot.send_location(
                chat_id, latitude=latitude, longitude=longitude, protect_content=outgoing.protect
            )
        else:
            reply = (
                None
                if outgoing.reply_to is None
                else ReplyParameters(outgoing.reply_to, allow_sending_without_reply=True)
            )
            sent = await self.bot.send_message(
                chat_id,
                outgoing.text or "",
                reply_markup=outgoing.markup,
                protect_content=outgoing.protect,
                reply_parameters=reply,
            )
        return sent.message_id

    async def _edit(self, chat_id: int, message_id: int, text: str) -> int:
        """Replace a sent message's text and drop its buttons; return its id."""
        try:
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=None
            )
        except BadRequest as error:
            # Already reads so (an edit repeated after a lost answer): done.
            if "not modified" not in error.message.lower():
                raise
        return message_id

    async def is_in_group(self, chat_id: int, user_id: int) -> bool:
        """Return whether the user is in the group now (``getChatMember``)."""
        return await is_in_group(self.bot, chat_id, user_id)
