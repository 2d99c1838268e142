"""Wait for a condition that no event announces, such as a row appearing in the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_POLL = 0.05


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 -- a bounded poll, not a cancellable operation
    what: str = "condition",
) -> T:
    """Return the first truthy value ``probe`` gives, polling until ``timeout``.

    This is a condition wait, not a sleep: it returns as soon as the condition
    holds and fails loudly, naming ``what``, when it never does.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(_POLL)
