"""Pytest fixtures for the fake Telegram: in-process, and as a separate process.

Import them into a conftest.py (``from tests.fake_telegram.fixtures import
fake_telegram``). A test that made a request a correct bot would not make (unknown
method, missing parameter) fails at teardown with the list of such requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .control import FakeTelegramControl
from .server import FakeTelegram

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Generous bounds for a cold interpreter start on a loaded CI machine; never waited out
# when things work, because readiness is a line on stdout.
_START_TIMEOUT = 20.0
_EXIT_TIMEOUT = 10.0


def _fail_on_unexpected(unexpected: list[str]) -> None:
    if unexpected:
        listing = "\n  ".join(unexpected)
        pytest.fail(f"the bot made requests Telegram would reject:\n  {listing}", pytrace=False)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """Serve a fresh fake Telegram on 127.0.0.1; fail the test on unexpected requests."""
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    _fail_on_unexpected(fake.unexpected)


@contextlib.asynccontextmanager
async def standalone_fake_telegram(
    tmp_path: Path, *, token: str | None = None
) -> AsyncIterator[tuple[str, FakeTelegramControl]]:
    """Run ``python -m tests.fake_telegram``; yield (base_url, control client).

    On exit: SIGTERM, then assert the process exited 0 and saw no unexpected requests.
    """
    command = [sys.executable, "-m", "tests.fake_telegram", "--port", "0"]
    command += ["--ready-file", str(tmp_path / "fake-telegram.json")]
    if token is not None:
        command += ["--token", token]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    unexpected: list[str] = []
    try:
        line = await asyncio.wait_for(process.stdout.readline(), _START_TIMEOUT)
        if not line:
            raise RuntimeError(f"fake telegram exited with {await process.wait()} before ready")
        ready = json.loads(line)
        async with FakeTelegramControl(ready["control_url"]) as control:
            yield ready["base_url"], control
            unexpected = await control.unexpected()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            returncode = await asyncio.wait_for(process.wait(), _EXIT_TIMEOUT)
        except TimeoutError:
            process.kill()
            returncode = await process.wait()
        # Read to EOF so asyncio closes the pipe transport (no ResourceWarning).
        await process.stdout.read()
    assert returncode == 0, f"fake telegram exited with {returncode}"
    _fail_on_unexpected(unexpected)
