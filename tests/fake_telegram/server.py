"""The fake Telegram Bot API server: an aiohttp app on 127.0.0.1 plus the test-facing API.

``FakeTelegram`` answers ``/bot<token>/<method>`` like api.telegram.org, records every
call, simulates users and groups, injects faults, and lets tests wait on conditions
instead of sleeping. The same object serves the JSON control API under ``/_control/`` for
tests that drive a fake running in another process.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from . import control_api
from .errors import UNAUTHORIZED, ApiError, too_many_requests
from .faults import Fault, FaultKind
from .limits import RateLimits
from .methods import lookup
from .simulation import SimGroup, SimUser
from .state import BOT_USERNAME, Call, ChatState, World
from .wire import read_params

# A token Telegram could have issued; anything else is 401 (PTB raises InvalidToken).
_TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")


class FakeTelegram:
    """A fake Bot API on 127.0.0.1 that records calls and simulates the people around a bot."""

    def __init__(
        self,
        token: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = BOT_USERNAME,
        limits: bool | RateLimits = False,
    ) -> None:
        self.token = token
        # Off by default: tests see every send at once. ``limits=True`` enforces
        # Telegram's flood limits (see ``limits``), for benchmarks and pacing tests.
        self.limits: RateLimits | None = (
            limits if isinstance(limits, RateLimits) else RateLimits() if limits else None
        )
        self.host = host
        self.world = World(token=token, clock=clock, bot_username=bot_username)
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}

    # Lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind to the host and port (0 picks a free one) and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_routes(control_api.routes(self))
        app.router.add_route("*", "/{tail:.*}", self._handle_stray)
        # handler_cancellation: a client that gives up on a long poll really leaves it,
        # so "is the bot polling?" stays truthful. shutdown_timeout bounds stop().
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """End pending long polls and slow answers, then close the server."""
        self.world.closing = True
        self.world.signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Return the bound TCP port."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def url(self) -> str:
        """Return the server root, e.g. http://127.0.0.1:PORT."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the value for ``telegram.Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def control_url(self) -> str:
        """Return the root of the JSON control API."""
        return f"{self.url}/_control"

    # HTTP --------------------------------------------------------------------------------

    async def _handle_bot_api(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        at, monotonic = self.world.clock(), time.monotonic()

        def answer(
            name: str, params: dict[str, Any], error: ApiError, fault: str | None = None
        ) -> web.Response:
            if error.unexpected:
                self.world.note_unexpected(f"{name} {params!r}: {error}")
            payload = error.to_payload()
            self.world.record(Call(name, params, at, monotonic, error.status, payload, fault))
            return web.json_response(payload, status=error.status)

        if not _TOKEN_SHAPE.fullmatch(token) or (self.token is not None and token != self.token):
            return answer(method, {}, UNAUTHORIZED)
        try:
            params = await read_params(request)
        except ApiError as error:
            return answer(method, {}, error)
        try:
            name, implementation = lookup(method)
        except ApiError as error:
            return answer(method, params, error)
        self.world.seen_token = token
        fault = self.world.faults.take(name, params)
        if fault is not None and fault.kind == "disconnect":
            self.world.record(Call(name, params, at, monotonic, 0, None, fault.kind))
            return await self._hang_up(request)
        scripted = fault.error() if fault is not None else None
        if scripted is not None and fault is not None:
            return answer(name, params, scripted, fault.kind)
        refused = self._over_limit(name, params)
        if refused is not None:
            return answer(name, params, too_many_requests(refused))
        try:
            result = await implementation(self.world, params, token)
        except ApiError as failure:
            return answer(name, params, failure)
        payload = {"ok": True, "result": result}
        slow = fault.kind if fault is not None else None
        self.world.record(Call(name, params, at, monotonic, 200, payload, slow))
        if fault is not None and fault.kind == "slow":
            await self._pause(fault.delay)
        return web.json_response(payload)

    def _over_limit(self, method: str, params: dict[str, Any]) -> int | None:
        """Return ``retry_after`` if this send breaks a flood limit; only known chats count."""
        if self.limits is None:
            return None
        try:
            chat = self.world.chats.get(int(params.get("chat_id", "")))
        except ValueError:
            return None
        if chat is None:
            return None
        return self.limits.admit(method, chat.id, chat.type == "private")

    async def _handle_stray(self, request: web.Request) -> web.Response:
        self.world.note_unexpected(f"request to unknown path {request.method} {request.path}")
        return web.json_response(ApiError(404, "Not Found").to_payload(), status=404)

    async def _hang_up(self, request: web.Request) -> web.StreamResponse:
        """Drop the connection without answering, as a dying proxy would."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        # With handler_cancellation the lost connection cancels this handler; until then
        # wait like a server that will never answer. Nothing can be written afterwards.
        await self._pause(None)
        return web.Response(status=499)

    async def _pause(self, seconds: float | None) -> None:
        """Wait ``seconds`` (forever if None), cut short when the server stops."""
        with contextlib.suppress(TimeoutError):
            await self.world.signal.wait_for(lambda: True if self.world.closing else None, seconds)

    # Recording and waiting --------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Return every recorded call, in the order the answers were decided."""
        return self.world.calls

    @property
    def unexpected(self) -> list[str]:
        """Return the requests a correct bot would not make (unknown methods, bad params)."""
        return self.world.unexpected

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Return the calls of one method (case-insensitive), optionally for one chat."""
        return [call for call in self.world.calls if _matches(call, method, chat_id)]

    async def wait_for_call(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 -- the brief's API: one timeout per wait
        since: int = 0,
    ) -> Call:
        """Return the first call at index >= ``since`` that matches, waiting if needed."""

        def probe() -> Call | None:
            for call in self.world.calls[since:]:
                if _matches(call, method, chat_id) and (predicate is None or predicate(call)):
                    return call
            return None

        try:
            return await self.world.signal.wait_for(probe, within=timeout)
        except TimeoutError:
            wanted = method + (f" to chat {chat_id}" if chat_id is not None else "")
            recorded = "\n  ".join(
                f"#{index} {call.summary()}"
                for index, call in enumerate(self.world.calls)
                if index >= since
            )
            raise TimeoutError(
                f"no matching {wanted} call within {timeout}s (from call #{since}); "
                f"recorded:\n  {recorded or '(nothing)'}"
            ) from None

    async def wait_until_polling(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 -- the brief's API: one timeout per wait
    ) -> None:
        """Return once a getUpdates call is in progress (the bot is ready for updates)."""
        try:
            await self.world.signal.wait_for(
                lambda: True if self.world.polls_in_progress > 0 else None, within=timeout
            )
        except TimeoutError:
            raise TimeoutError(
                f"nobody long-polled getUpdates within {timeout}s; "
                f"{len(self.calls_to('getUpdates'))} getUpdates calls so far"
            ) from None

    async def wait_until_delivered(
        self,
        update_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 -- the brief's API: one timeout per wait
    ) -> None:
        """Return once getUpdates has handed out the update with this id."""
        try:
            await self.world.signal.wait_for(
                lambda: True if self.world.highest_delivered_update_id >= update_id else None,
                within=timeout,
            )
        except TimeoutError:
            raise TimeoutError(
                f"getUpdates did not hand out update {update_id} within {timeout}s"
            ) from None

    # Simulation ---------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Aziz",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SimUser:
        """Create a person with a private chat that the bot may not write to until they do."""
        user: dict[str, Any] = {"id": self.world.next_user_id(), "is_bot": False}
        user["first_name"] = first_name
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({key: value for key, value in optional.items() if value is not None})
        info = {"id": user["id"], "type": "private", "first_name": first_name}
        info.update({k: v for k, v in (("last_name", last_name), ("username", username)) if v})
        self.world.chats[user["id"]] = ChatState(info=info)
        sim = SimUser(self.world, user)
        self._users[sim.id] = sim
        return sim

    def add_group(
        self,
        title: str = "Memorial duty",
        members: Iterable[SimUser] = (),
        supergroup: bool = False,
        added_by: SimUser | None = None,
    ) -> SimGroup:
        """Create a group with the bot in it; ``added_by`` also queues the join updates."""
        chat_id = self.world.next_group_id(supergroup=supergroup)
        chat = ChatState(
            info={"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        )
        self.world.chats[chat_id] = chat
        group = SimGroup(self.world, chat_id)
        for member in members:
            group.add_member(member)
        if added_by is not None:
            group.announce_bot_added(added_by)
        self._groups[chat_id] = group
        return group

    def user(self, user_id: int) -> SimUser:
        """Return the simulated user with this id."""
        return self._users[user_id]

    def group(self, chat_id: int) -> SimGroup:
        """Return the simulated group with this (current or former) chat id."""
        found = self._groups.get(chat_id)
        if found is None:
            found = next((g for g in self._groups.values() if g.id == chat_id), None)
        if found is None:
            raise KeyError(f"no simulated group with chat id {chat_id}")
        return found

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update for getUpdates; an update_id is assigned if missing."""
        return self.world.enqueue_update(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates not yet confirmed by a getUpdates offset."""
        return list(self.world.updates)

    def inject_fault(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        kind: FaultKind,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 30.0,
    ) -> Fault:
        """Make the next ``times`` matching calls fail (see ``faults`` for the kinds)."""
        return self.world.faults.arm(
            method, kind=kind, chat_id=chat_id, times=times, retry_after=retry_after, delay=delay
        )

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Return the bot commands set for a scope (default scope if None) and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.world.commands.get(key, []))

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """Return the answerCallbackQuery parameters the bot gave this query, if any."""
        return self.world.callback_answers.get(query_id)


def _matches(call: Call, method: str, chat_id: int | str | None) -> bool:
    if call.method.lower() != method.lower():
        return False
    return chat_id is None or call.params.get("chat_id") == chat_id
