"""The Bot API method table and the methods that are not about messages.

Each method is ``async (world, params, token) -> result``; it raises ``ApiError`` for
Telegram's error answers. Names are matched case-insensitively, as Telegram does.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

from . import errors, messaging
from .arguments import Params, int_of, list_of, object_of, optional_int, optional_str, str_of
from .errors import ApiError, bad_request, kicked_from, malformed
from .state import DEFAULT_UPDATE_KINDS, World

Method = Callable[[World, Params, str], Awaitable[Any]]

_COMMAND_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


async def get_me(world: World, params: Params, token: str) -> Any:
    """getMe: the bot user, its id taken from the token."""
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": world.bot_first_name,
        "username": world.bot_username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def delete_webhook(world: World, params: Params, token: str) -> Any:
    """deleteWebhook: there is never a webhook; optionally drop pending updates."""
    if params.get("drop_pending_updates") is True:
        world.updates.clear()
    return True


async def get_webhook_info(world: World, params: Params, token: str) -> Any:
    """getWebhookInfo: polling mode, so the URL is empty."""
    return {"url": "", "has_custom_certificate": False, "pending_update_count": len(world.updates)}


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _deliverable(world: World, limit: int) -> list[dict[str, Any]]:
    """Return pending updates the bot asked for, forgetting the kinds it did not."""
    world.updates = [u for u in world.updates if _update_kind(u) in world.allowed_updates]
    return copy.deepcopy(world.updates[:limit])


async def get_updates(world: World, params: Params, token: str) -> Any:
    """getUpdates: confirm by offset, then long-poll until an update comes or time runs out."""
    offset = optional_int(params, "offset")
    limit = min(max(optional_int(params, "limit") or 100, 1), 100)
    timeout = params.get("timeout") or 0
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise malformed("field 'timeout' must be of type Integer")
    allowed = list_of(params, "allowed_updates")
    if allowed is not None:
        # Telegram keeps the last allowed_updates until a later call changes it.
        world.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_KINDS
    if offset is not None and offset > 0:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]
    elif offset is not None and offset < 0:
        world.updates = world.updates[offset:]
    # A newer getUpdates ends an older one with 409, as when two bot instances poll.
    world.poll_generation += 1
    generation = world.poll_generation
    world.polls_in_progress += 1
    world.signal.notify()

    def probe() -> list[dict[str, Any]] | str | None:
        if generation != world.poll_generation:
            return "conflict"
        ready = _deliverable(world, limit)
        return ready if ready or world.closing else None

    result: list[dict[str, Any]] | str
    try:
        result = await world.signal.wait_for(probe, within=float(timeout))
    except TimeoutError:
        result = []
    finally:
        world.polls_in_progress -= 1
        world.signal.notify()
    if isinstance(result, str):
        raise ApiError(409, errors.POLLING_CONFLICT)
    if result:
        world.highest_delivered_update_id = max(
            world.highest_delivered_update_id, result[-1]["update_id"]
        )
        world.signal.notify()
    return result


def _commands_key(params: Params) -> tuple[str, str]:
    scope = object_of(params, "scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), optional_str(params, "language_code") or ""


async def set_my_commands(world: World, params: Params, token: str) -> Any:
    """setMyCommands: stored per scope and language_code."""
    commands = list_of(params, "commands", required=True) or []
    if len(commands) > 100:
        raise bad_request("too many commands")
    for command in commands:
        if not isinstance(command, dict):
            raise malformed("can't parse BotCommand")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not 1 <= len(name) <= 32 or set(name) - _COMMAND_NAME:
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("command description is empty")
    world.commands[_commands_key(params)] = copy.deepcopy(commands)
    return True


async def get_my_commands(world: World, params: Params, token: str) -> Any:
    """getMyCommands for one scope and language_code."""
    return copy.deepcopy(world.commands.get(_commands_key(params), []))


async def delete_my_commands(world: World, params: Params, token: str) -> Any:
    """deleteMyCommands for one scope and language_code."""
    world.commands.pop(_commands_key(params), None)
    return True


async def get_chat(world: World, params: Params, token: str) -> Any:
    """getChat: a ChatFullInfo with the fields PTB 22 requires."""
    chat = messaging.known_chat(world, params)
    if chat.type != "private" and not chat.bot_member:
        raise kicked_from(chat.type)
    return {
        **chat.info,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


# The fields PTB 22 requires of each ChatMember status besides "status" and "user".
_MEMBER_FIELDS: dict[str, dict[str, Any]] = {
    "creator": {"is_anonymous": False},
    "administrator": {
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
    },
    "member": {},
    "left": {},
}


async def get_chat_member(world: World, params: Params, token: str) -> Any:
    """getChatMember: a user's status in a group, from its member list, as Telegram answers.

    A user Telegram knows who is not in the group is "left"; an unknown user id is
    400 "user not found"; a group that removed the bot answers 403.
    """
    chat = messaging.known_chat(world, params)
    user_id = int_of(params, "user_id")
    if chat.type != "private" and not chat.bot_member:
        raise kicked_from(chat.type)
    if chat.type == "private":
        if user_id != chat.id:
            raise bad_request(errors.USER_NOT_FOUND)
        user, status = world.chats[user_id].info, "member"
    elif user_id in chat.members:
        user, status = chat.members[user_id], chat.roles.get(user_id, "member")
    else:
        known = world.chats.get(user_id)
        if known is None or known.type != "private":
            raise bad_request(errors.USER_NOT_FOUND)
        user, status = known.info, "left"
    person = {
        "id": user_id,
        "is_bot": False,
        **{k: user[k] for k in ("first_name", "last_name", "username") if k in user},
    }
    return {"status": status, "user": person, **_MEMBER_FIELDS[status]}


async def answer_callback_query(world: World, params: Params, token: str) -> Any:
    """answerCallbackQuery: each query may be answered once."""
    query_id = str_of(params, "callback_query_id")
    query = world.callback_queries.pop(query_id, None)
    if query is None:
        raise bad_request(errors.QUERY_TOO_OLD)
    text = optional_str(params, "text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    world.callback_answers[query_id] = dict(params)
    return True


def _profile_setter(field: str) -> Method:
    async def set_field(world: World, params: Params, token: str) -> Any:
        language = optional_str(params, "language_code") or ""
        world.profile[(field, language)] = optional_str(params, field) or ""
        return True

    set_field.__doc__ = f"Store the bot's {field} per language."
    return set_field


def _profile_getter(field: str) -> Method:
    async def get_field(world: World, params: Params, token: str) -> Any:
        language = optional_str(params, "language_code") or ""
        return {field: world.profile.get((field, language), "")}

    get_field.__doc__ = f"Return the bot's {field} for a language."
    return get_field


METHODS: dict[str, tuple[str, Method]] = {
    name.lower(): (name, implementation)
    for name, implementation in {
        "getMe": get_me,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "getUpdates": get_updates,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "setMyDescription": _profile_setter("description"),
        "getMyDescription": _profile_getter("description"),
        "setMyShortDescription": _profile_setter("short_description"),
        "getMyShortDescription": _profile_getter("short_description"),
        "setMyName": _profile_setter("name"),
        "getMyName": _profile_getter("name"),
        "getChat": get_chat,
        "getChatMember": get_chat_member,
        "answerCallbackQuery": answer_callback_query,
        "sendMessage": messaging.send_message,
        "sendLocation": messaging.send_location,
        "sendPhoto": messaging.send_photo,
        "sendVoice": messaging.send_voice,
        "sendChatAction": messaging.send_chat_action,
        "editMessageText": messaging.edit_message_text,
        "editMessageReplyMarkup": messaging.edit_message_reply_markup,
        "deleteMessage": messaging.delete_message,
        "deleteMessages": messaging.delete_messages,
        "setMessageReaction": messaging.set_message_reaction,
    }.items()
}


def lookup(method: str) -> tuple[str, Method]:
    """Return the canonical name and implementation of a method, or raise 404."""
    found = METHODS.get(method.lower())
    if found is None:
        raise ApiError(404, "Not Found", unexpected=True)
    return found
