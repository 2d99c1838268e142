"""Messages waiting to be sent: what they are and in which order they go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OutboxKind(StrEnum):
    REMIND = "remind"
    PROMPT = "prompt"
    PAUSE_ENDED = "pause_ended"
    ALERT = "alert"
    ALL_CLEAR = "all_clear"


# Lower goes first. An SOS outranks everything; a reminder can always wait.
PRIORITY_SOS = 0
PRIORITY_ALERT = 10
PRIORITY_ALL_CLEAR = 20
PRIORITY_PROMPT = 30
PRIORITY_NOTICE = 40


@dataclass(frozen=True)
class OutboxMessage:
    """One message to send, addressed to a chat (or, if ``chat_id`` is None, to contacts)."""

    id: int
    person_id: int
    incident_id: int | None
    chat_id: int | None
    kind: OutboxKind
    priority: int
    # Moments as stored text, reasons and flags: never message content.
    payload: Mapping[str, str | None]
    attempts: int
    created_at: datetime
