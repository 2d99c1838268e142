"""Contacts: the people and group chats an activist chose to alert, and invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.watches import AlertReason

# Alerts raised while the phone itself may be in other hands: no chat that may be
# open on that phone (a group the activist is in) must show them.
SILENT_REASONS = frozenset({AlertReason.DURESS, AlertReason.PIN_FAILURES})


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
    # Groups only: whether the activist is a member (None: not known yet). Such a
    # group may be open on a seized phone, so it never gets silent alerts.
    includes_activist: bool | None = None
    # The team whose duty chat this is (a contact the team set up, not the activist).
    duty_of: int | None = None
    # The coordinator who invited this contact for the activist, if one did.
    added_by: int | None = None


def is_spared(contact: Contact, reason: AlertReason) -> bool:
    """Return whether ``contact`` must not hear of an alert for ``reason``.

    A group the activist is a member of may be open on their seized phone.
    """
    return reason in SILENT_REASONS and contact.is_group and contact.includes_activist is True


@dataclass(frozen=True)
class Invite:
    id: int
    person_id: int
    tier: int
    expires_at: datetime
    opened_by_user: int | None
    opened_in_chat: int | None
    used_at: datetime | None
    # Made under duress: it answers like a real invitation but never makes a contact.
    decoy: bool = False
    # Made by a coordinator of this team for the activist, not by the activist.
    by_coordinator: int | None = None
    team_id: int | None = None

    def is_opened_by(self, user_id: int, chat_id: int) -> bool:
        """Return whether the invitation is bound to this user in this chat."""
        return self.opened_by_user == user_id and self.opened_in_chat == chat_id

    def is_open(self, now: datetime) -> bool:
        """Return whether the invitation can still be accepted at ``now``."""
        return self.used_at is None and now < self.expires_at
