"""Last-known context: what an activist sent that alerts will carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ContextKind(StrEnum):
    TEXT = "text"
    LOCATION = "location"
    PHOTO = "photo"
    VOICE = "voice"


@dataclass(frozen=True)
class ContextItem:
    """One message kept as context; a live location's moves update it in place."""

    telegram_message_id: int
    kind: ContextKind
    # text: {"text"}; location: {"latitude", "longitude", "live_until"?};
    # photo: {"file_id", "caption"?}; voice: {"file_id", "duration"}.
    body: Mapping[str, str | float | int | None]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TrailPoint:
    """One place of the trail: where a shared or live location was, and when."""

    telegram_message_id: int
    recorded_at: datetime
    latitude: float
    longitude: float
