"""Contacts: the people and group chats an activist chose to alert, and invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ContactStatus(StrEnum):
    ACTIVE = "active"
    # Telegram refused a message (blocked, never started, removed from the group).
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Contact:
    id: int
    person_id: int
    chat_id: int
    is_group: bool
    display_name: str
    language: str
    tier: int
    status: ContactStatus


@dataclass(frozen=True)
class Invite:
    id: int
    person_id: int
    tier: int
    expires_at: datetime
    opened_by_user: int | None
    opened_in_chat: int | None
    used_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        """Return whether the invitation can still be accepted at ``now``."""
        return self.used_at is None and now < self.expires_at
