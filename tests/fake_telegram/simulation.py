"""Simulated Telegram users and groups that talk to the bot under test.

Everything a person does on their phone becomes the update Telegram would queue for the
bot: messages, edits, live-location moves, button presses, blocking the bot. Misuse of the
simulation itself (pressing a button that is not there) raises ``SimulationError`` with
what was there instead, so a broken test explains itself.
"""

from __future__ import annotations

import copy
from typing import Any

from .files import new_photo, new_voice
from .formatting import utf16_len
from .state import ChatState, StoredMessage, World

Button = str | tuple[int, int]


class SimulationError(AssertionError):
    """A test asked a simulated user to do something impossible in a real client."""


def command_entities(text: str) -> list[dict[str, Any]]:
    """Mark a leading "/command" (including any "@botname") as Telegram does."""
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"offset": 0, "length": utf16_len(command), "type": "bot_command"}]


def _chat_member(world: World, chat: ChatState, actor: dict[str, Any], old: str, new: str) -> None:
    """Queue the my_chat_member update Telegram sends when the bot's membership changes."""

    def member(status: str) -> dict[str, Any]:
        # Telegram always sends until_date with "kicked" (0: for ever).
        found: dict[str, Any] = {"user": world.bot_user(), "status": status}
        if status == "kicked":
            found["until_date"] = 0
        return found

    world.enqueue_update(
        {
            "my_chat_member": {
                "chat": dict(chat.info),
                "from": actor,
                "date": world.now(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }
    )


def _find_button(stored: StoredMessage, button: Button) -> dict[str, Any]:
    rows: list[list[dict[str, Any]]] = (stored.data.get("reply_markup") or {}).get(
        "inline_keyboard", []
    )
    labels = [[b.get("text") for b in row] for row in rows]
    found: dict[str, Any] | None = None
    if isinstance(button, tuple):
        row_index, column = button
        if 0 <= row_index < len(rows) and 0 <= column < len(rows[row_index]):
            found = rows[row_index][column]
    else:
        found = next((b for row in rows for b in row if b.get("text") == button), None)
    if found is None:
        raise SimulationError(
            f"no button {button!r} on message {stored.message_id}; its keyboard is {labels}"
        )
    if "callback_data" not in found:
        raise SimulationError(f"button {button!r} has no callback_data: {found}")
    return found


class _ChatParticipant:
    """What any simulated person can do in one chat."""

    def __init__(self, world: World) -> None:
        self._world = world

    def _chat(self) -> ChatState:
        raise NotImplementedError

    def _post(
        self, sender: dict[str, Any], fields: dict[str, Any], *, deliver: bool = True
    ) -> dict[str, Any]:
        chat = self._chat()
        stored = self._world.store_message(chat, sender, fields, from_bot=False)
        if deliver:
            self._world.enqueue_update({"message": stored.data})
        return copy.deepcopy(stored.data)

    def _edit(
        self, sender: dict[str, Any], message_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        chat = self._chat()
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted or stored.data["from"]["id"] != sender["id"]:
            raise SimulationError(f"{sender['first_name']} has no message {message_id} to edit")
        stored.data.update(changes)
        stored.data = {k: v for k, v in stored.data.items() if v is not None}
        stored.data["edit_date"] = self._world.now()
        self._world.enqueue_update({"edited_message": stored.data})
        return copy.deepcopy(stored.data)

    def _press(self, sender: dict[str, Any], message_id: int, data: str) -> dict[str, Any]:
        chat = self._chat()
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise SimulationError(f"no bot message {message_id} in chat {chat.id} to press")
        query: dict[str, Any] = {
            "id": self._world.next_query_id(),
            "from": sender,
            "message": copy.deepcopy(stored.data),
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        self._world.callback_queries[query["id"]] = query
        self._world.enqueue_update({"callback_query": query})
        return copy.deepcopy(query)

    def _pressed_data(self, message_id: int, button: Button) -> str:
        stored = self._chat().messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise SimulationError(f"no bot message {message_id} in chat {self._chat().id}")
        return str(_find_button(stored, button)["callback_data"])

    async def next_message(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 -- one timeout argument, like every wait here
    ) -> dict[str, Any]:
        """Return the next message the bot sent here, as first sent, waiting if needed."""
        world = self._world

        def probe() -> dict[str, Any] | None:
            chat = self._chat()
            if chat.cursor >= len(chat.bot_message_ids):
                return None
            message_id = chat.bot_message_ids[chat.cursor]
            chat.cursor += 1
            return copy.deepcopy(chat.snapshots[message_id])

        try:
            return await world.signal.wait_for(probe, within=timeout)
        except TimeoutError:
            recent = "\n  ".join(call.summary() for call in world.calls[-15:]) or "(none)"
            raise TimeoutError(
                f"the bot sent no new message to chat {self._chat().id} within {timeout}s; "
                f"last calls:\n  {recent}"
            ) from None

    async def reaction_to(
        self,
        message_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- one timeout argument, like every wait here
    ) -> list[str]:
        """Return the bot's reaction to message ``message_id`` here, waiting for it."""
        chat = self._chat()

        def probe() -> list[str] | None:
            return chat.reactions.get(message_id)

        try:
            return await self._world.signal.wait_for(probe, within=timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not react to message {message_id} in chat {chat.id} within {timeout}s"
            ) from None

    @property
    def messages(self) -> list[StoredMessage]:
        """Return every bot message in the chat in its current (edited, deleted) state."""
        chat = self._chat()
        return [chat.messages[message_id] for message_id in chat.bot_message_ids]


class SimUser(_ChatParticipant):
    """A person with a private chat with the bot; the chat id equals the user id."""

    def __init__(self, world: World, user: dict[str, Any]) -> None:
        super().__init__(world)
        self.user = user

    @property
    def id(self) -> int:
        """Return the user id (also the private chat id)."""
        return int(self.user["id"])

    @property
    def first_name(self) -> str:
        """Return the user's first name."""
        return str(self.user["first_name"])

    def _chat(self) -> ChatState:
        return self._world.chats[self.id]

    def _write(self, fields: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat()
        if chat.blocked:
            raise SimulationError(f"{self.first_name} blocked the bot; call unblock_bot() first")
        # Writing to the bot is what lets the bot write back.
        chat.started = True
        return self._post(self.user, fields)

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message (a leading "/command" gets a bot_command entity)."""
        fields: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        return self._write(fields)

    async def tap(self, label: str) -> dict[str, Any]:
        """Press a button of the reply keyboard the bot showed last (sends its text)."""
        keyboard = self._chat().reply_keyboard
        rows = keyboard["keyboard"] if keyboard else []
        labels = [b if isinstance(b, str) else b.get("text") for row in rows for b in row]
        if label not in labels:
            raise SimulationError(f"no reply-keyboard button {label!r}; showing {labels}")
        return await self.send(label)

    async def tap_location(self, label: str, latitude: float, longitude: float) -> dict[str, Any]:
        """Press a reply-keyboard button that asks for the location: the phone sends it."""
        keyboard = self._chat().reply_keyboard
        rows = keyboard["keyboard"] if keyboard else []
        buttons = [b for row in rows for b in row if isinstance(b, dict) and b.get("text") == label]
        if not buttons or not buttons[0].get("request_location"):
            raise SimulationError(f"no reply-keyboard button {label!r} that shares the location")
        return await self.share_location(latitude, longitude)

    @property
    def reply_keyboard(self) -> dict[str, Any] | None:
        """Return the reply keyboard currently shown in the chat, if any."""
        return self._chat().reply_keyboard

    async def share_location(
        self, latitude: float, longitude: float, live_period: int | None = None
    ) -> dict[str, Any]:
        """Send a location; with ``live_period`` it is a live location."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period is not None:
            location["live_period"] = live_period
        return self._write({"location": location})

    def _live_location(self, message_id: int) -> dict[str, Any]:
        stored = self._chat().messages.get(message_id)
        location = stored.data.get("location") if stored and not stored.deleted else None
        if not location or "live_period" not in location:
            raise SimulationError(f"message {message_id} is not an active live location")
        return dict(location)

    async def move_live_location(
        self, message_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Move a live location; the bot gets an edited_message with edit_date."""
        location = {**self._live_location(message_id), "latitude": latitude, "longitude": longitude}
        return self._edit(self.user, message_id, {"location": location})

    async def stop_live_location(self, message_id: int) -> dict[str, Any]:
        """Stop a live location; Telegram then drops live_period from the location."""
        location = self._live_location(message_id)
        location.pop("live_period")
        return self._edit(self.user, message_id, {"location": location})

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        """Send a photo with fresh file ids, optionally captioned."""
        fields: dict[str, Any] = {"photo": new_photo(self._world)}
        if caption:
            fields["caption"] = caption
        return self._write(fields)

    async def send_voice(self, duration: int = 3) -> dict[str, Any]:
        """Send a voice note with a fresh file id."""
        return self._write({"voice": new_voice(self._world, duration)})

    async def edit(self, message_id: int, new_text: str) -> dict[str, Any]:
        """Edit one of this user's text messages; the bot gets an edited_message."""
        entities = command_entities(new_text) or None
        return self._edit(self.user, message_id, {"text": new_text, "entities": entities})

    async def press(self, message_id: int, button: Button) -> dict[str, Any]:
        """Press an inline button by its text or (row, column); return the callback query."""
        return self._press(self.user, message_id, self._pressed_data(message_id, button))

    async def press_raw(self, message_id: int, data: str) -> dict[str, Any]:
        """Send forged callback data for a bot message, as a hostile client could."""
        return self._press(self.user, message_id, data)

    def block_bot(self) -> None:
        """Block the bot: later sends get 403 and the bot gets a my_chat_member update."""
        chat = self._chat()
        if not chat.blocked:
            chat.blocked = True
            _chat_member(self._world, chat, self.user, "member", "kicked")

    def unblock_bot(self) -> None:
        """Unblock the bot (Telegram's "Restart" button)."""
        chat = self._chat()
        if chat.blocked:
            chat.blocked = False
            chat.started = True
            _chat_member(self._world, chat, self.user, "kicked", "member")


class SimGroup(_ChatParticipant):
    """A group chat with the bot in it; the bot runs in privacy mode like a default bot."""

    def __init__(self, world: World, chat_id: int) -> None:
        super().__init__(world)
        self._chat_id = chat_id

    @property
    def id(self) -> int:
        """Return the current chat id (it changes when migrated to a supergroup)."""
        return self._chat_id

    def _chat(self) -> ChatState:
        return self._world.chats[self._chat_id]

    def add_member(self, user: SimUser, role: str = "member") -> None:
        """Add a simulated user to the group ("member", "administrator" or "creator")."""
        chat = self._chat()
        chat.members[user.id] = user.user
        if role != "member":
            chat.roles[user.id] = role

    def remove_member(self, user: SimUser) -> None:
        """Let a simulated user leave the group."""
        chat = self._chat()
        chat.members.pop(user.id, None)
        chat.roles.pop(user.id, None)

    def _member(self, user: SimUser) -> dict[str, Any]:
        if user.id not in self._chat().members:
            raise SimulationError(f"{user.first_name} is not a member of chat {self.id}")
        return user.user

    def _reaches_bot(self, text: str, reply_to: int | None) -> bool:
        """Apply privacy mode: commands for this bot, replies to it and mentions only."""
        username = self._world.bot_username
        if text.startswith("/"):
            _, _, addressee = text.split(maxsplit=1)[0].partition("@")
            return addressee in ("", username)
        replied = self._chat().messages.get(reply_to) if reply_to is not None else None
        return (replied is not None and replied.from_bot) or f"@{username}" in text

    async def send(self, user: SimUser, text: str, reply_to: int | None = None) -> dict[str, Any]:
        """Post a message as ``user``; the bot receives it only if privacy mode lets it."""
        if not self._chat().bot_member:
            raise SimulationError(f"the bot is no longer in chat {self.id}")
        fields: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        if reply_to is not None and reply_to in self._chat().messages:
            fields["reply_to_message"] = copy.deepcopy(self._chat().messages[reply_to].data)
        deliver = self._reaches_bot(text, reply_to)
        return self._post(self._member(user), fields, deliver=deliver)

    async def press(self, user: SimUser, message_id: int, button: Button) -> dict[str, Any]:
        """Press an inline button on a bot message in the group."""
        data = self._pressed_data(message_id, button)
        return self._press(self._member(user), message_id, data)

    async def press_raw(self, user: SimUser, message_id: int, data: str) -> dict[str, Any]:
        """Send forged callback data for a bot message in the group."""
        return self._press(self._member(user), message_id, data)

    def announce_bot_added(self, by: SimUser) -> None:
        """Queue what Telegram sends when ``by`` adds the bot: my_chat_member, a service message."""
        self.add_member(by)
        chat = self._chat()
        # Adding the bot back after it was removed lets it write again.
        chat.bot_member = True
        _chat_member(self._world, chat, by.user, "left", "member")
        self._post(by.user, {"new_chat_members": [self._world.bot_user()]})

    def remove_bot(self, by: SimUser | None = None) -> None:
        """Remove the bot: later calls get 403 "bot was kicked from the group chat"."""
        chat = self._chat()
        if chat.bot_member:
            chat.bot_member = False
            actor = by.user if by else next(iter(chat.members.values()), self._world.bot_user())
            _chat_member(self._world, chat, actor, "member", "kicked")

    def migrate_to_supergroup(self) -> int:
        """Upgrade to a supergroup; the old id then answers 400 with migrate_to_chat_id."""
        old = self._chat()
        if old.type != "group":
            raise SimulationError(f"chat {old.id} is already a {old.type}")
        new_id = self._world.next_group_id(supergroup=True)
        new = ChatState(
            info={**old.info, "id": new_id, "type": "supergroup"},
            members=dict(old.members),
            roles=dict(old.roles),
            bot_member=old.bot_member,
        )
        self._world.chats[new_id] = new
        actor = next(iter(old.members.values()), self._world.bot_user())
        self._post(actor, {"migrate_to_chat_id": new_id})
        old.migrated_to = new_id
        self._chat_id = new_id
        self._post(actor, {"migrate_from_chat_id": old.id})
        return new_id
