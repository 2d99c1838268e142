"""The JSON control API under ``/_control/``: drive a fake running in another process.

Each action takes a JSON object and answers one; ``control.FakeTelegramControl`` is the
client. Status codes carry the failure kind across the process boundary: 504 for a wait
that timed out, 409 for an impossible simulation step, 404 for an unknown user or chat,
400 for a malformed control request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .simulation import Button, SimulationError, SimUser

if TYPE_CHECKING:
    from .server import FakeTelegram

Body = dict[str, Any]
Action = Callable[["FakeTelegram", Body], Awaitable[Body]]


def _button(body: Body) -> Button:
    button = body["button"]
    return (int(button[0]), int(button[1])) if isinstance(button, list) else str(button)


def _user(fake: FakeTelegram, body: Body) -> SimUser:
    return fake.user(int(body["user_id"]))


async def _add_user(fake: FakeTelegram, body: Body) -> Body:
    names = ("first_name", "last_name", "username", "language_code")
    user = fake.add_user(**{key: body[key] for key in names if key in body})
    return {"id": user.id, "user": user.user}


async def _add_group(fake: FakeTelegram, body: Body) -> Body:
    members = [fake.user(int(user_id)) for user_id in body.get("member_ids", [])]
    group = fake.add_group(
        title=body.get("title", "Memorial duty"),
        members=members,
        supergroup=bool(body.get("supergroup", False)),
    )
    return {"id": group.id}


async def _send(fake: FakeTelegram, body: Body) -> Body:
    if "chat_id" in body and int(body["chat_id"]) < 0:
        group = fake.group(int(body["chat_id"]))
        return {"message": await group.send(_user(fake, body), str(body["text"]))}
    return {"message": await _user(fake, body).send(str(body["text"]))}


async def _share_location(fake: FakeTelegram, body: Body) -> Body:
    user = _user(fake, body)
    message = await user.share_location(
        float(body["latitude"]), float(body["longitude"]), body.get("live_period")
    )
    return {"message": message}


async def _move_live_location(fake: FakeTelegram, body: Body) -> Body:
    user = _user(fake, body)
    message = await user.move_live_location(
        int(body["message_id"]), float(body["latitude"]), float(body["longitude"])
    )
    return {"message": message}


async def _stop_live_location(fake: FakeTelegram, body: Body) -> Body:
    return {"message": await _user(fake, body).stop_live_location(int(body["message_id"]))}


async def _press(fake: FakeTelegram, body: Body) -> Body:
    message_id = int(body["message_id"])
    if "chat_id" in body and int(body["chat_id"]) < 0:
        group = fake.group(int(body["chat_id"]))
        query = await group.press(_user(fake, body), message_id, _button(body))
    else:
        query = await _user(fake, body).press(message_id, _button(body))
    return {"callback_query": query}


async def _press_raw(fake: FakeTelegram, body: Body) -> Body:
    query = await _user(fake, body).press_raw(int(body["message_id"]), str(body["data"]))
    return {"callback_query": query}


async def _block(fake: FakeTelegram, body: Body) -> Body:
    user = _user(fake, body)
    if body.get("blocked", True):
        user.block_bot()
    else:
        user.unblock_bot()
    return {}


async def _inject_fault(fake: FakeTelegram, body: Body) -> Body:
    options = {
        key: body[key] for key in ("chat_id", "times", "retry_after", "delay") if key in body
    }
    fake.inject_fault(str(body["method"]), kind=body["kind"], **options)
    return {}


async def _inject_update(fake: FakeTelegram, body: Body) -> Body:
    return {"update": fake.inject_update(body["update"])}


async def _calls(fake: FakeTelegram, body: Body) -> Body:
    method = body.get("method")
    calls = fake.calls_to(method, body.get("chat_id")) if method else fake.calls
    return {"calls": [call.to_json() for call in calls]}


async def _wait_for_call(fake: FakeTelegram, body: Body) -> Body:
    call = await fake.wait_for_call(
        str(body["method"]),
        chat_id=body.get("chat_id"),
        timeout=float(body.get("timeout", 5.0)),
        since=int(body.get("since", 0)),
    )
    return {"call": call.to_json()}


def _participant(fake: FakeTelegram, chat_id: int) -> Any:
    return fake.group(chat_id) if chat_id < 0 else fake.user(chat_id)


async def _next_message(fake: FakeTelegram, body: Body) -> Body:
    participant = _participant(fake, int(body["chat_id"]))
    return {"message": await participant.next_message(timeout=float(body.get("timeout", 5.0)))}


async def _messages(fake: FakeTelegram, body: Body) -> Body:
    participant = _participant(fake, int(body["chat_id"]))
    return {"messages": [message.to_json() for message in participant.messages]}


async def _wait_until_polling(fake: FakeTelegram, body: Body) -> Body:
    await fake.wait_until_polling(timeout=float(body.get("timeout", 5.0)))
    return {}


async def _unexpected(fake: FakeTelegram, body: Body) -> Body:
    return {"unexpected": list(fake.unexpected)}


ACTIONS: dict[str, Action] = {
    "add_user": _add_user,
    "add_group": _add_group,
    "send": _send,
    "share_location": _share_location,
    "move_live_location": _move_live_location,
    "stop_live_location": _stop_live_location,
    "press": _press,
    "press_raw": _press_raw,
    "block": _block,
    "inject_fault": _inject_fault,
    "inject_update": _inject_update,
    "calls": _calls,
    "wait_for_call": _wait_for_call,
    "next_message": _next_message,
    "messages": _messages,
    "wait_until_polling": _wait_until_polling,
    "unexpected": _unexpected,
}


def routes(fake: FakeTelegram) -> list[web.RouteDef]:
    """Return the control routes bound to one fake."""

    async def handle(request: web.Request) -> web.Response:
        action = ACTIONS.get(request.match_info["action"])
        if action is None:
            return web.json_response({"error": "unknown control action"}, status=404)
        try:
            body = await request.json() if request.body_exists else {}
            if not isinstance(body, dict):
                raise TypeError("control request body must be a JSON object")
            return web.json_response(await action(fake, body))
        except TimeoutError as error:
            return web.json_response({"error": str(error)}, status=504)
        except SimulationError as error:
            return web.json_response({"error": str(error)}, status=409)
        except KeyError as error:
            return web.json_response({"error": f"unknown user or chat: {error}"}, status=404)
        except (TypeError, ValueError) as error:
            return web.json_response({"error": f"bad control request: {error}"}, status=400)

    return [web.route("*", "/_control/{action}", handle)]
