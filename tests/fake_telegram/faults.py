"""Scripted failures: the answers Telegram gives on a bad day.

A fault is armed for a method (and optionally one chat) and consumed in arming order by
the next matching requests. Kinds and what PTB makes of them:

- ``retry_after``: 429 with ``parameters.retry_after`` -> ``telegram.error.RetryAfter``.
- ``server_error``: 500 -> ``NetworkError``; ``bad_gateway``: 502 -> ``NetworkError``.
- ``blocked``: 403 "bot was blocked by the user" -> ``Forbidden`` (chat state unchanged).
- ``slow``: the request takes effect and is recorded, but the answer comes ``delay``
  seconds later, so a client with a shorter read timeout sees ``TimedOut`` although the
  message was delivered ("maybe delivered").
- ``disconnect``: the connection is closed without an answer and the request does not
  take effect -> ``NetworkError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from .errors import BOT_BLOCKED, ApiError, forbidden, too_many_requests

FaultKind = Literal["retry_after", "server_error", "bad_gateway", "blocked", "slow", "disconnect"]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))


@dataclass
class Fault:
    """One armed failure and how many more requests it will hit."""

    method: str  # lower-cased Bot API method name
    chat_id: int | str | None
    kind: FaultKind
    times: int
    retry_after: int
    delay: float

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Tell whether this fault applies to a request."""
        if self.times <= 0 or self.method != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def error(self) -> ApiError | None:
        """Return the error response this fault produces, if it produces one."""
        if self.kind == "retry_after":
            return too_many_requests(self.retry_after)
        if self.kind == "server_error":
            return ApiError(500, "Internal Server Error")
        if self.kind == "bad_gateway":
            return ApiError(502, "Bad Gateway")
        if self.kind == "blocked":
            return forbidden(BOT_BLOCKED)
        return None


class FaultBook:
    """The armed faults, consumed in the order they were armed."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def arm(
        self,
        method: str,
        *,
        kind: str,
        chat_id: int | str | None = None,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 30.0,
    ) -> Fault:
        """Arm a fault for the next ``times`` matching requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(method.lower(), chat_id, cast(FaultKind, kind), times, retry_after, delay)
        self._faults.append(fault)
        return fault

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        """Consume one use of the first fault matching this request."""
        for fault in self._faults:
            if fault.matches(method, params):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        """Return the faults not yet used up."""
        return list(self._faults)
