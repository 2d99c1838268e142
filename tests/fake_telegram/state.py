"""The fake's memory: chats, messages, pending updates, recorded calls, and a wake-up signal.

Everything here is plain data mutated on the event loop thread; the HTTP layer, the Bot
API methods and the simulated users all work on one ``World``.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .faults import FaultBook

T = TypeVar("T")

BOT_USERNAME = "StillHereTestBot"
BOT_FIRST_NAME = "Still Here"

# Update kinds Telegram delivers when allowed_updates was never set or set to [].
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class Signal:
    """Wake every waiter whenever the fake's state changes, so waits need no polling."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake all current waiters; each re-checks its own condition."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(self, probe: Callable[[], T | None], within: float | None) -> T:
        """Return the first non-None result of ``probe``; raise TimeoutError after ``within`` s."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            result = probe()
            if result is not None:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                # One last look: the state may have changed in the same loop iteration.
                result = probe()
                if result is not None:
                    return result
                raise
            finally:
                self._waiters.discard(waiter)


@dataclass(frozen=True)
class Call:
    """One request the fake received, with what it answered."""

    method: str
    params: dict[str, Any]
    at: float
    monotonic: float
    status: int
    response: dict[str, Any] | None
    # The injected fault that shaped this answer, if any ("slow", "retry_after", ...).
    fault: str | None = None

    def summary(self) -> str:
        """Describe the call in one line for timeout messages."""
        chat = f" chat_id={self.params['chat_id']}" if "chat_id" in self.params else ""
        text = self.params.get("text")
        shown = f" text={text[:40]!r}" if isinstance(text, str) else ""
        fault = f" fault={self.fault}" if self.fault else ""
        return f"{self.method}{chat}{shown} -> {self.status}{fault}"

    def to_json(self) -> dict[str, Any]:
        """Render the call for the control API."""
        return {
            "method": self.method,
            "params": self.params,
            "at": self.at,
            "monotonic": self.monotonic,
            "status": self.status,
            "response": self.response,
            "fault": self.fault,
        }


@dataclass
class StoredMessage:
    """A message in a chat, in its current state (edits applied, deletion flagged)."""

    data: dict[str, Any]
    from_bot: bool
    deleted: bool = False

    @property
    def message_id(self) -> int:
        """Return the id Telegram gave the message."""
        return int(self.data["message_id"])

    @property
    def text(self) -> str | None:
        """Return the text or caption, whichever the message has."""
        value = self.data.get("text", self.data.get("caption"))
        return None if value is None else str(value)

    @property
    def date(self) -> int:
        """Return the send time as a Unix timestamp."""
        return int(self.data["date"])

    def to_json(self) -> dict[str, Any]:
        """Render the message for the control API."""
        return {"message": self.data, "from_bot": self.from_bot, "deleted": self.deleted}


@dataclass
class ChatState:
    """One chat as the fake Telegram sees it."""

    info: dict[str, Any]
    started: bool = False  # private: the user wrote to the bot, so the bot may write back
    blocked: bool = False  # private: the user blocked the bot
    bot_member: bool = True  # groups: the bot is still in the chat
    migrated_to: int | None = None  # basic group upgraded to this supergroup id
    last_message_id: int = 0
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)  # as first sent
    cursor: int = 0  # how many bot messages next_message already handed out
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    # groups: members who are not plain members ("administrator", "creator").
    roles: dict[int, str] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None
    # The bot's reaction to each message it reacted to (emoji), by message id.
    reactions: dict[int, list[str]] = field(default_factory=dict)
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))

    @property
    def id(self) -> int:
        """Return the chat id."""
        return int(self.info["id"])

    @property
    def type(self) -> str:
        """Return "private", "group" or "supergroup"."""
        return str(self.info["type"])


class World:
    """All state of one fake Telegram, shared by the HTTP methods and the simulation."""

    def __init__(
        self,
        *,
        token: str | None,
        clock: Callable[[], float],
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.clock = clock
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.seen_token: str | None = token
        self.signal = Signal()
        self.faults = FaultBook()
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatState] = {}
        self.updates: list[dict[str, Any]] = []
        self.last_update_id = 0
        self.highest_delivered_update_id = 0
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
        self.callback_queries: dict[str, dict[str, Any]] = {}  # pressed, not yet answered
        self.callback_answers: dict[str, dict[str, Any]] = {}  # query id -> answer params
        self.profile: dict[tuple[str, str], str] = {}  # (field, language_code) -> value
        self.files: dict[str, tuple[str, Any]] = {}  # file_id -> (kind, Telegram object)
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.calls: list[Call] = []
        self.unexpected: list[str] = []
        self.polls_in_progress = 0
        self.poll_generation = 0
        self.closing = False
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_002_000_000_001)
        self._query_ids = itertools.count(4_380_000_000_000_000_001)

    # Identity ---------------------------------------------------------------------------

    def bot_id(self) -> int:
        """Return the bot's user id: the digits before ":" of the token in use."""
        token = self.seen_token or "1:unknown"
        return int(token.split(":", 1)[0])

    def bot_user(self) -> dict[str, Any]:
        """Return the bot as a Telegram User object (the ``from`` of its messages)."""
        return {
            "id": self.bot_id(),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def next_user_id(self) -> int:
        """Allocate a fresh positive user id."""
        return next(self._user_ids)

    def next_group_id(self, *, supergroup: bool) -> int:
        """Allocate a fresh negative chat id shaped like a group's or supergroup's."""
        return -next(self._supergroup_ids if supergroup else self._group_ids)

    def next_query_id(self) -> str:
        """Allocate a callback query id (Telegram's are long numeric strings)."""
        return str(next(self._query_ids))

    # Messages ---------------------------------------------------------------------------

    def now(self) -> int:
        """Read the injected wall clock as Telegram's integer Unix time."""
        return int(self.clock())

    def store_message(
        self, chat: ChatState, sender: dict[str, Any], fields: dict[str, Any], *, from_bot: bool
    ) -> StoredMessage:
        """Append a message to the chat with the next id of the chat's shared sequence."""
        chat.last_message_id += 1
        data: dict[str, Any] = {
            "message_id": chat.last_message_id,
            "from": sender,
            "chat": dict(chat.info),
            "date": self.now(),
            **fields,
        }
        stored = StoredMessage(data=data, from_bot=from_bot)
        chat.messages[stored.message_id] = stored
        if from_bot:
            chat.bot_message_ids.append(stored.message_id)
            chat.snapshots[stored.message_id] = copy.deepcopy(data)
        self.signal.notify()
        return stored

    # Updates ----------------------------------------------------------------------------

    def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, numbering it if it has no update_id."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update = {"update_id": self.last_update_id + 1, **update}
        self.last_update_id = max(self.last_update_id, int(update["update_id"]))
        self.updates.append(update)
        self.signal.notify()
        return update

    def record(self, call: Call) -> None:
        """Append a call to the log and wake anyone waiting for it."""
        self.calls.append(call)
        self.signal.notify()

    def note_unexpected(self, what: str) -> None:
        """Remember a request the code under test should not have made."""
        self.unexpected.append(what)
        self.signal.notify()
