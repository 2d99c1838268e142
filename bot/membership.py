"""Ask Telegram whether a person is in a group chat.

A group the activist is a member of may be open on their phone: if the phone is
seized, whatever that group is sent can be read by whoever holds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Bot, ChatMember, ChatMemberRestricted
from telegram.error import BadRequest

# Answers Telegram gives about a user it does not know in that chat: not a member.
_NOT_A_MEMBER = ("user not found", "participant_id_invalid")
_PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})

# (group chat id, Telegram user id) -> is the user in the group?
MembershipCheck = Callable[[int, int], Awaitable[bool]]


async def is_in_group(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Return whether the user is in the group now.

    Raises ``TelegramError`` when Telegram cannot say (network, 403 when the bot
    itself was removed): the caller decides whether to retry or give up.
    """
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except BadRequest as error:
        if any(text in error.message.lower() for text in _NOT_A_MEMBER):
            return False
        raise
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT
