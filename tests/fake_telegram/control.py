"""Client for the control API, so a test drives an out-of-process fake like an in-process one.

Method names follow ``FakeTelegram``, ``SimUser`` and ``SimGroup``; everything is async
because it crosses a process boundary. Use it as an async context manager (it owns an
aiohttp session).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

import aiohttp

from .simulation import Button, SimulationError
from .state import Call

# Headroom over a server-side wait, so the server's 504 arrives before the client gives up.
_HTTP_SLACK = 5.0


class ControlError(RuntimeError):
    """The control API rejected a request."""


class FakeTelegramControl:
    """Async client of a standalone fake's ``/_control`` API."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeTelegramControl:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(
        self, action: str, body: dict[str, Any] | None = None, *, wait: float = 0.0
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=wait + _HTTP_SLACK)
        async with self._session.post(
            f"{self.control_url}/{action}", json=body or {}, timeout=timeout
        ) as response:
            payload: dict[str, Any] = await response.json()
        if response.status == 504:
            raise TimeoutError(payload["error"])
        if response.status == 409:
            raise SimulationError(payload["error"])
        if response.status != 200:
            raise ControlError(f"{action}: {response.status} {payload.get('error')}")
        return payload

    # The fake as a whole ------------------------------------------------------------------

    async def add_user(
        self,
        first_name: str = "Aziz",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> RemoteUser:
        """Create a simulated user in the remote fake."""
        # Send every name, None included, so the server applies no defaults of its own.
        body = {"first_name": first_name, "last_name": last_name, "username": username}
        answer = await self._post("add_user", {**body, "language_code": language_code})
        return RemoteUser(self, answer["user"])

    async def add_group(
        self,
        title: str = "Memorial duty",
        members: Iterable[RemoteUser] = (),
        supergroup: bool = False,
    ) -> RemoteGroup:
        """Create a simulated group with the bot in it."""
        member_ids = [member.id for member in members]
        answer = await self._post(
            "add_group", {"title": title, "member_ids": member_ids, "supergroup": supergroup}
        )
        return RemoteGroup(self, int(answer["id"]))

    async def inject_fault(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        kind: str,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 30.0,
    ) -> None:
        """Arm a fault (see ``faults`` for the kinds)."""
        body: dict[str, Any] = {"times": times, "retry_after": retry_after, "delay": delay}
        if chat_id is not None:
            body["chat_id"] = chat_id
        await self._post("inject_fault", {"method": method, "kind": kind, **body})

    async def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update."""
        answer = await self._post("inject_update", {"update": update})
        return dict(answer["update"])

    async def calls(
        self, method: str | None = None, chat_id: int | str | None = None
    ) -> list[Call]:
        """Return recorded calls, optionally of one method and chat."""
        body: dict[str, Any] = {"method": method} if method else {}
        if chat_id is not None:
            body["chat_id"] = chat_id
        answer = await self._post("calls", body)
        return [Call(**call) for call in answer["calls"]]

    async def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Return recorded calls of one method, optionally for one chat."""
        return await self.calls(method, chat_id)

    async def wait_for_call(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 -- forwarded to the server-side wait
        since: int = 0,
    ) -> Call:
        """Wait for a matching call (predicates cannot cross processes; filter afterwards)."""
        body: dict[str, Any] = {"timeout": timeout, "since": since}
        if chat_id is not None:
            body["chat_id"] = chat_id
        answer = await self._post("wait_for_call", {"method": method, **body}, wait=timeout)
        return Call(**answer["call"])

    async def wait_until_polling(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 -- forwarded to the server-side wait
    ) -> None:
        """Wait until the bot is long-polling getUpdates."""
        await self._post("wait_until_polling", {"timeout": timeout}, wait=timeout)

    async def next_message(
        self,
        chat_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- forwarded to the server-side wait
    ) -> dict[str, Any]:
        """Return the next bot message in a chat (per-chat cursor kept by the server)."""
        answer = await self._post(
            "next_message", {"chat_id": chat_id, "timeout": timeout}, wait=timeout
        )
        return dict(answer["message"])

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return all bot messages in a chat as {"message", "from_bot", "deleted"}."""
        answer = await self._post("messages", {"chat_id": chat_id})
        return list(answer["messages"])

    async def unexpected(self) -> list[str]:
        """Return the requests a correct bot would not make."""
        answer = await self._post("unexpected")
        return list(answer["unexpected"])

    # Per-user shortcuts, for tests that only have an id -----------------------------------

    async def send(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        """Send text as a user, to the private chat or to a group."""
        body: dict[str, Any] = {"user_id": user_id, "text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        return dict((await self._post("send", body))["message"])

    async def share_location(
        self, user_id: int, latitude: float, longitude: float, live_period: int | None = None
    ) -> dict[str, Any]:
        """Share a (live) location as a user."""
        answer = await self._post(
            "share_location",
            {
                "user_id": user_id,
                "latitude": latitude,
                "longitude": longitude,
                "live_period": live_period,
            },
        )
        return dict(answer["message"])

    async def move_live_location(
        self, user_id: int, message_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Move a user's live location."""
        answer = await self._post(
            "move_live_location",
            {
                "user_id": user_id,
                "message_id": message_id,
                "latitude": latitude,
                "longitude": longitude,
            },
        )
        return dict(answer["message"])

    async def stop_live_location(self, user_id: int, message_id: int) -> dict[str, Any]:
        """Stop a user's live location."""
        answer = await self._post(
            "stop_live_location", {"user_id": user_id, "message_id": message_id}
        )
        return dict(answer["message"])

    async def press(
        self, user_id: int, message_id: int, button: Button, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Press an inline button by text or (row, column)."""
        body: dict[str, Any] = {"user_id": user_id, "message_id": message_id}
        body["button"] = list(button) if isinstance(button, tuple) else button
        if chat_id is not None:
            body["chat_id"] = chat_id
        return dict((await self._post("press", body))["callback_query"])

    async def press_raw(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Send forged callback data."""
        answer = await self._post(
            "press_raw", {"user_id": user_id, "message_id": message_id, "data": data}
        )
        return dict(answer["callback_query"])

    async def block(self, user_id: int, blocked: bool = True) -> None:
        """Block (or unblock) the bot as a user."""
        await self._post("block", {"user_id": user_id, "blocked": blocked})


class RemoteUser:
    """A simulated user in a remote fake, with ``SimUser``'s method names."""

    def __init__(self, control: FakeTelegramControl, user: dict[str, Any]) -> None:
        self._control = control
        self.user = user

    @property
    def id(self) -> int:
        """Return the user id (also the private chat id)."""
        return int(self.user["id"])

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message to the bot."""
        return await self._control.send(self.id, text)

    async def share_location(
        self, latitude: float, longitude: float, live_period: int | None = None
    ) -> dict[str, Any]:
        """Share a (live) location."""
        return await self._control.share_location(self.id, latitude, longitude, live_period)

    async def move_live_location(
        self, message_id: int, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """Move a live location."""
        return await self._control.move_live_location(self.id, message_id, latitude, longitude)

    async def stop_live_location(self, message_id: int) -> dict[str, Any]:
        """Stop a live location."""
        return await self._control.stop_live_location(self.id, message_id)

    async def press(self, message_id: int, button: Button) -> dict[str, Any]:
        """Press an inline button."""
        return await self._control.press(self.id, message_id, button)

    async def press_raw(self, message_id: int, data: str) -> dict[str, Any]:
        """Send forged callback data."""
        return await self._control.press_raw(self.id, message_id, data)

    async def block_bot(self) -> None:
        """Block the bot."""
        await self._control.block(self.id, True)

    async def unblock_bot(self) -> None:
        """Unblock the bot."""
        await self._control.block(self.id, False)

    async def next_message(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 -- forwarded to the server-side wait
    ) -> dict[str, Any]:
        """Return the next message the bot sent to this user."""
        return await self._control.next_message(self.id, timeout)

    async def messages(self) -> list[dict[str, Any]]:
        """Return all bot messages in the private chat with their state."""
        return await self._control.messages(self.id)


class RemoteGroup:
    """A simulated group in a remote fake, with ``SimGroup``'s method names."""

    def __init__(self, control: FakeTelegramControl, chat_id: int) -> None:
        self._control = control
        self.id = chat_id

    async def send(self, user: RemoteUser, text: str) -> dict[str, Any]:
        """Post a message as ``user``."""
        return await self._control.send(user.id, text, chat_id=self.id)

    async def press(self, user: RemoteUser, message_id: int, button: Button) -> dict[str, Any]:
        """Press an inline button on a bot message in the group."""
        return await self._control.press(user.id, message_id, button, chat_id=self.id)

    async def next_message(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 -- forwarded to the server-side wait
    ) -> dict[str, Any]:
        """Return the next message the bot sent to this group."""
        return await self._control.next_message(self.id, timeout)
