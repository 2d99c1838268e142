"""A person known to the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Person:
    id: int
    telegram_user_id: int
    language: str
    display_name: str
    created_at: datetime
    seen_at: datetime
