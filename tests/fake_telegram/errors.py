"""Telegram's error responses, worded exactly as the Bot API words them.

PTB maps the HTTP status and the ``parameters`` object to its exception tree (see
``telegram/request/_baserequest.py``): 403 -> Forbidden, 400 -> BadRequest, 401/404 ->
InvalidToken, 409 -> Conflict, anything else -> NetworkError, and ``retry_after`` /
``migrate_to_chat_id`` win over the status. Code under test often matches on the
description, so the wording here is copied from real responses, not paraphrased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    """Carry one Telegram error response out of a method implementation."""

    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    # True when the request itself was wrong (missing params, unknown method): the fake
    # answers like Telegram would but also lists it in ``unexpected`` so the test fails.
    unexpected: bool = False

    def __str__(self) -> str:
        return f"{self.status} {self.description}"

    def to_payload(self) -> dict[str, Any]:
        """Render the error as Telegram's JSON body."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = dict(self.parameters)
        return payload


def bad_request(reason: str, **parameters: Any) -> ApiError:
    """Build a 400 whose description starts with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}", parameters)


def malformed(reason: str) -> ApiError:
    """Build a 400 for a request the code under test should never have made."""
    return ApiError(400, f"Bad Request: {reason}", unexpected=True)


def forbidden(reason: str) -> ApiError:
    """Build a 403 whose description starts with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {reason}")


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")

CHAT_NOT_FOUND = "chat not found"
MESSAGE_TO_EDIT_NOT_FOUND = "message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "message to delete not found"
MESSAGE_CANT_BE_DELETED = "message can't be deleted"
MESSAGE_CANT_BE_EDITED = "message can't be edited"
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
GROUP_UPGRADED = "group chat was upgraded to a supergroup chat"
BOT_BLOCKED = "bot was blocked by the user"
USER_NOT_FOUND = "user not found"
CANT_INITIATE = "bot can't initiate conversation with a user"
POLLING_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def kicked_from(chat_type: str) -> ApiError:
    """Build the 403 a bot gets after it was removed from a group or supergroup."""
    noun = "supergroup chat" if chat_type == "supergroup" else "group chat"
    return forbidden(f"bot was kicked from the {noun}")


def too_many_requests(retry_after: int) -> ApiError:
    """Build the 429 flood-control answer that PTB turns into ``RetryAfter``."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )
