"""Bot API methods that create, change or remove messages in a chat.

Message ids come from the chat's one sequence shared by user and bot messages, dates from
the injected clock, and the error wording from ``errors``. Results are full Message
objects that PTB's ``Message.de_json`` accepts.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors
from .arguments import (
    Params,
    chat_id_of,
    flag_of,
    float_of,
    int_of,
    list_of,
    object_of,
    optional_int,
    optional_str,
    str_of,
)
from .errors import ApiError, bad_request, forbidden, kicked_from, malformed
from .files import resolve_file
from .formatting import render, utf16_len
from .state import ChatState, StoredMessage, World

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
DELETE_WINDOW = 48 * 3600  # bots may delete messages for 48 hours after sending
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


# Chat access -------------------------------------------------------------------------------


def known_chat(world: World, params: Params) -> ChatState:
    """Find the chat named by ``chat_id``; 400 if unknown or upgraded to a supergroup."""
    chat_id = chat_id_of(params)
    chat = world.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request(errors.CHAT_NOT_FOUND)
    if chat.migrated_to is not None:
        raise bad_request(errors.GROUP_UPGRADED, migrate_to_chat_id=chat.migrated_to)
    return chat


def writable_chat(world: World, params: Params) -> ChatState:
    """Find a chat the bot may write to, or fail with Telegram's 400/403."""
    chat = known_chat(world, params)
    if chat.type == "private":
        # A block outranks "never started": someone who blocked the bot did start it.
        if chat.blocked:
            raise forbidden(errors.BOT_BLOCKED)
        if not chat.started:
            raise forbidden(errors.CANT_INITIATE)
    elif not chat.bot_member:
        raise kicked_from(chat.type)
    return chat


# Content -----------------------------------------------------------------------------------


def rendered_text(
    params: Params,
    *,
    key: str = "text",
    mode_key: str = "parse_mode",
    entities_key: str = "entities",
    limit: int = MAX_TEXT,
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode/entities to a text or caption and enforce Telegram's limits."""
    source = str_of(params, key, missing="message text is empty")
    entities = list_of(params, entities_key)
    text, found = render(source, optional_str(params, mode_key), entities)
    if key == "text" and not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > limit:
        raise bad_request("message is too long" if key == "text" else "message caption is too long")
    return text, found


def _validate_inline_keyboard(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise malformed('can\'t parse inline keyboard: field "inline_keyboard" must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise malformed("can't parse inline keyboard button: Text must be a String")
            if len(button) == 1:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")


def apply_reply_markup(chat: ChatState, params: Params) -> dict[str, Any] | None:
    """Validate ``reply_markup``; track reply keyboards; return an inline keyboard to echo."""
    markup = object_of(params, "reply_markup")
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup)
        return markup
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    # Telegram echoes only inline keyboards in the returned Message.
    return None


def _reply_to(chat: ChatState, params: Params) -> dict[str, Any] | None:
    reply = object_of(params, "reply_parameters")
    if reply is None:
        return None
    target = chat.messages.get(int_of(reply, "message_id"))
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    quoted = copy.deepcopy(target.data)
    quoted.pop("reply_to_message", None)  # Telegram never nests replies
    return quoted


def _send(world: World, chat: ChatState, params: Params, fields: dict[str, Any]) -> Any:
    """Store a bot message with the options every send method shares; return it."""
    inline = apply_reply_markup(chat, params)
    reply_to = _reply_to(chat, params)
    if reply_to is not None:
        fields["reply_to_message"] = reply_to
    if inline is not None:
        fields["reply_markup"] = inline
    if flag_of(params, "protect_content"):
        fields["has_protected_content"] = True
    stored = world.store_message(chat, world.bot_user(), fields, from_bot=True)
    return copy.deepcopy(stored.data)


# Methods -----------------------------------------------------------------------------------


async def send_message(world: World, params: Params, token: str) -> Any:
    """sendMessage."""
    str_of(params, "text", missing="message text is empty")  # a missing text is our bug
    chat = writable_chat(world, params)
    text, entities = rendered_text(params)
    fields: dict[str, Any] = {"text": text}
    if entities:
        fields["entities"] = entities
    return _send(world, chat, params, fields)


async def send_location(world: World, params: Params, token: str) -> Any:
    """sendLocation."""
    chat = writable_chat(world, params)
    location: dict[str, Any] = {
        "latitude": float_of(params, "latitude"),
        "longitude": float_of(params, "longitude"),
    }
    if not (-90 <= location["latitude"] <= 90 and -180 <= location["longitude"] <= 180):
        raise bad_request("wrong coordinates specified")
    for name in ("live_period", "heading", "proximity_alert_radius"):
        value = optional_int(params, name)
        if value is not None:
            location[name] = value
    if params.get("horizontal_accuracy") is not None:
        location["horizontal_accuracy"] = float_of(params, "horizontal_accuracy")
    return _send(world, chat, params, {"location": location})


async def _send_file(world: World, params: Params, kind: str) -> Any:
    chat = writable_chat(world, params)
    duration = optional_int(params, "duration") or 1
    fields: dict[str, Any] = {kind: resolve_file(world, kind, params.get(kind), duration)}
    if params.get("caption") is not None:
        caption, entities = rendered_text(
            params, key="caption", entities_key="caption_entities", limit=MAX_CAPTION
        )
        if caption:
            fields["caption"] = caption
        if entities:
            fields["caption_entities"] = entities
    return _send(world, chat, params, fields)


async def send_photo(world: World, params: Params, token: str) -> Any:
    """sendPhoto (by file_id, URL or upload)."""
    return await _send_file(world, params, "photo")


async def send_voice(world: World, params: Params, token: str) -> Any:
    """sendVoice (by file_id, URL or upload)."""
    return await _send_file(world, params, "voice")


async def send_chat_action(world: World, params: Params, token: str) -> Any:
    """sendChatAction."""
    writable_chat(world, params)
    if str_of(params, "action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def _editable(world: World, params: Params) -> StoredMessage:
    if params.get("inline_message_id") is not None:
        raise malformed("inline messages are not simulated by the fake")
    chat = writable_chat(world, params)
    message_id = int_of(params, "message_id", missing="message identifier is not specified")
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
    if not stored.from_bot:
        raise bad_request(errors.MESSAGE_CANT_BE_EDITED)
    return stored


def _apply_edit(world: World, stored: StoredMessage, changes: dict[str, Any]) -> Any:
    """Apply changed fields (None removes one) unless nothing changes."""
    if all(stored.data.get(key) == value for key, value in changes.items()):
        raise bad_request(errors.MESSAGE_NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            stored.data.pop(key, None)
        else:
            stored.data[key] = value
    stored.data["edit_date"] = world.now()
    world.signal.notify()
    return copy.deepcopy(stored.data)


async def edit_message_text(world: World, params: Params, token: str) -> Any:
    """editMessageText; omitting reply_markup removes the inline keyboard, as on Telegram."""
    stored = _editable(world, params)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = rendered_text(params)
    chat = world.chats[stored.data["chat"]["id"]]
    inline = apply_reply_markup(chat, params)
    return _apply_edit(
        world, stored, {"text": text, "entities": entities or None, "reply_markup": inline}
    )


async def edit_message_reply_markup(world: World, params: Params, token: str) -> Any:
    """editMessageReplyMarkup; no reply_markup removes the keyboard."""
    stored = _editable(world, params)
    chat = world.chats[stored.data["chat"]["id"]]
    return _apply_edit(world, stored, {"reply_markup": apply_reply_markup(chat, params)})


def _delete_one(world: World, chat: ChatState, message_id: int) -> ApiError | None:
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        return bad_request(errors.MESSAGE_TO_DELETE_NOT_FOUND)
    too_old = world.clock() - stored.date > DELETE_WINDOW
    # In groups a bot that is not an admin may delete only its own messages.
    foreign = chat.type != "private" and not stored.from_bot
    if too_old or foreign:
        return bad_request(errors.MESSAGE_CANT_BE_DELETED)
    stored.deleted = True
    world.signal.notify()
    return None


async def delete_message(world: World, params: Params, token: str) -> Any:
    """deleteMessage, with the 48-hour rule measured on the fake's clock."""
    chat = writable_chat(world, params)
    error = _delete_one(world, chat, int_of(params, "message_id"))
    if error is not None:
        raise error
    return True


# The emoji Telegram accepts as a reaction (ReactionTypeEmoji), the ones the bot may use.
REACTION_EMOJI = frozenset({"👍", "👌", "✍", "🫡", "👀", "🙏", "❤", "🔥", "🤝"})


async def set_message_reaction(world: World, params: Params, token: str) -> Any:
    """setMessageReaction: the bot's own reaction to one message; [] takes it away."""
    chat = writable_chat(world, params)
    message_id = int_of(params, "message_id")
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request("message to react not found")
    reaction = list_of(params, "reaction") or []
    emoji = []
    for item in reaction:
        if not isinstance(item, dict) or item.get("type") != "emoji":
            raise bad_request("REACTION_INVALID")
        if item.get("emoji") not in REACTION_EMOJI:
            raise bad_request("REACTION_INVALID")
        emoji.append(str(item["emoji"]))
    if len(emoji) > 1:
        raise bad_request("REACTIONS_TOO_MANY")
    chat.reactions[message_id] = emoji
    world.signal.notify()
    return True


async def delete_messages(world: World, params: Params, token: str) -> Any:
    """deleteMessages: messages that cannot be deleted are skipped silently."""
    chat = writable_chat(world, params)
    message_ids = list_of(params, "message_ids", required=True) or []
    if not 1 <= len(message_ids) <= 100:
        raise bad_request("too many messages to delete" if message_ids else "message_ids empty")
    for message_id in message_ids:
        if isinstance(message_id, int):
            _delete_one(world, chat, message_id)
    return True
