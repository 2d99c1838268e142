"""Blocked or removed: Telegram's ``my_chat_member`` updates, noticed before any alert fails.

A contact who blocks the bot, or a group that removes it, would otherwise be
found out only when an alert bounces, which may be when the activist is already
detained. Telegram tells the bot at once; so is the activist.
"""

from __future__ import annotations

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.ext import ChatMemberHandler

from bot.context import BotContext

_GONE = frozenset({ChatMember.LEFT, ChatMember.BANNED})
_BACK = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def membership_changed(update: Update, context: BotContext) -> None:
    """Mark the chat's contact rows unreachable or reachable again."""
    change = update.my_chat_member
    if change is None:
        return
    member = change.new_chat_member
    if isinstance(member, ChatMemberRestricted):
        # Restricted in a supergroup: reachable only while it may still write there.
        reachable = member.is_member and member.can_send_messages
    elif member.status in _GONE:
        reachable = False
    elif member.status in _BACK:
        reachable = True
    else:
        return
    await context.services.contacts.note_membership(change.chat.id, reachable=reachable)


def build() -> ChatMemberHandler[BotContext, None]:
    # The bot polls with Update.ALL_TYPES, so my_chat_member updates do arrive.
    return ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
