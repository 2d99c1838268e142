"""A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1, simulated people.

In-process::

    async with FakeTelegram() as fake:
        bot = telegram.Bot("123:ABC", base_url=fake.base_url)
        user = fake.add_user(first_name="Aziz")
        await user.send("/start")
        ...

Or as a process: ``python -m tests.fake_telegram --ready-file PATH`` plus
``FakeTelegramControl``. Pytest fixtures live in ``tests.fake_telegram.fixtures``.
"""

from __future__ import annotations

from .control import FakeTelegramControl, RemoteGroup, RemoteUser
from .errors import ApiError
from .faults import FAULT_KINDS, Fault, FaultKind
from .server import FakeTelegram
from .simulation import SimGroup, SimulationError, SimUser
from .state import BOT_FIRST_NAME, BOT_USERNAME, Call, StoredMessage

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "FAULT_KINDS",
    "ApiError",
    "Call",
    "FakeTelegram",
    "FakeTelegramControl",
    "Fault",
    "FaultKind",
    "RemoteGroup",
    "RemoteUser",
    "SimGroup",
    "SimUser",
    "SimulationError",
    "StoredMessage",
]
