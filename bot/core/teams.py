"""Teams: coordinators looking after activists who agreed to it, and what is audited.

A coordinator sees a member's state (deadlines, check-in times, contacts' names and
reachability), never the member's words, places or instructions, except inside an
alert they receive as a contact or in the duty chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.plans import Plan


class TeamLinkKind(StrEnum):
    # Makes its opener a coordinator of the team.
    COORDINATOR = "coordinator"
    # Offers its opener to join the team as an activist looked after by it.
    MEMBER = "member"
    # Opened in a group by one of the team's coordinators: makes it the duty chat.
    DUTY_CHAT = "duty_chat"


@dataclass(frozen=True)
class TeamDefaults:
    """What a member gets on joining if they have set nothing themselves."""

    plan: Plan | None = None
    grace: timedelta | None = None
    reminders: tuple[timedelta, ...] | None = None


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    defaults: TeamDefaults = TeamDefaults()
    # The group chat that hears every member's alerts, as a contact of this tier.
    duty_chat_id: int | None = None
    duty_tier: int = 2
    duty_chat_name: str | None = None


@dataclass(frozen=True)
class TeamLink:
    """A one-time link of a team: single use, expiring, bound to its first opener."""

    id: int
    team_id: int
    kind: TeamLinkKind
    created_by: int
    expires_at: datetime
    opened_by_user: int | None
    opened_in_chat: int | None
    used_at: datetime | None

    def is_opened_by(self, user_id: int, chat_id: int) -> bool:
        """Return whether the link is bound to this user in this chat."""
        return self.opened_by_user == user_id and self.opened_in_chat == chat_id

    def is_open(self, now: datetime) -> bool:
        """Return whether the link can still be answered at ``now``."""
        return self.used_at is None and now < self.expires_at


class AuditEvent(StrEnum):
    """What the audit trail records: changes to a member's protection, never content."""

    TEAM_CREATED = "team_created"
    COORDINATOR_ADDED = "coordinator_added"
    COORDINATOR_REMOVED = "coordinator_removed"
    JOINED = "joined"
    LEFT = "left"
    # A coordinator took a member out of the team.
    MEMBER_REMOVED = "member_removed"
    # The phone was shown the team left, with a duress PIN: the member stays.
    LEAVE_UNDER_DURESS = "leave_under_duress"
    PLAN_CHANGED = "plan_changed"
    ZONE_CHANGED = "zone_changed"
    GRACE_CHANGED = "grace_changed"
    REMINDERS_CHANGED = "reminders_changed"
    INSTRUCTIONS_CHANGED = "instructions_changed"
    PAUSED = "paused"
    RESUMED = "resumed"
    CONTACT_ADDED = "contact_added"
    CONTACT_REMOVED = "contact_removed"
    CONTACT_UNREACHABLE = "contact_unreachable"
    PIN_SET = "pin_set"
    PIN_REMOVED = "pin_removed"
    ALERT_OPENED = "alert_opened"
    ALERT_ESCALATED = "alert_escalated"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ALERT_CLOSED = "alert_closed"
    DRILL_STARTED = "drill_started"
    DRILL_CONFIRMED = "drill_confirmed"
    DUTY_CHAT_SET = "duty_chat_set"
    # A coordinator changed a default for joining members, or the duty chat's tier.
    TEAM_SETTINGS_CHANGED = "team_settings_changed"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    team_id: int
    event: AuditEvent
    created_at: datetime
    # The member it concerns and who did it, by name as recorded then.
    subject: str | None
    actor: str | None
    # Names and settings the event needs (a contact's name, the new plan), no content.
    detail: dict[str, str]
