"""An incident after the alert went out: escalation to tier 2, repeats, acknowledgement.

Pure, like the watch machine: :func:`advance` applies what came due up to
``now``. Tier-1 contacts are alerted when the incident opens (every tier for an
SOS); tier 2 follows ``escalate_after`` later unless someone acknowledged;
everyone alerted hears again every ``repeat_every``, at most ``repeat_max``
times, until someone acknowledges. Several repeats due at once (after an
outage) produce one message, and all of them count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.watches import AlertReason


@dataclass(frozen=True)
class AlertPolicy:
    escalate_after: timedelta
    repeat_every: timedelta
    repeat_max: int


@dataclass(frozen=True)
class Incident:
    id: int
    person_id: int
    reason: AlertReason
    due_at: datetime
    opened_at: datetime
    offline_since: datetime | None = None
    escalated_at: datetime | None = None
    repeats: int = 0
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0
    # For a PIN-failure alert: how many wrong PINs in a row it is about.
    wrong_pins: int | None = None
    # A missed timer: when it started (``due_at`` is its end); an unanswered
    # ask: when it was asked (``due_at`` is when the answer was due).
    started_at: datetime | None = None
    # What the timer said the activist was doing ("": there was a note, unreadable).
    note: str | None = None
    # Who asked "are you OK?".
    asker: str | None = None

    @property
    def is_active(self) -> bool:
        """Return whether alerts may still go out: open and nobody took it."""
        return self.closed_at is None and self.acknowledged_at is None


@dataclass(frozen=True)
class Escalate:
    """Alert the tier-2 contacts."""


@dataclass(frozen=True)
class Repeat:
    """Alert everyone alerted so far once more; ``number`` counts from 1."""

    number: int


IncidentAction = Escalate | Repeat


# Reasons that reach every tier at once, skipping escalation.
URGENT_REASONS = frozenset({AlertReason.SOS, AlertReason.DURESS, AlertReason.PIN_FAILURES})


def opened(incident: Incident) -> Incident:
    """Return a just-opened incident: an SOS, a sign of coercion or an unanswered ask
    reaches every tier at once."""
    if incident.reason in URGENT_REASONS or incident.reason is AlertReason.ASK:
        return replace(incident, escalated_at=incident.opened_at)
    return incident


def wake_at(incident: Incident, policy: AlertPolicy) -> datetime | None:
    """Return the next moment something must happen to the incident, if any."""
    if not incident.is_active:
        return None
    moments = []
    if incident.escalated_at is None:
        moments.append(incident.opened_at + policy.escalate_after)
    if incident.repeats < policy.repeat_max:
        moments.append(incident.opened_at + policy.repeat_every * (incident.repeats + 1))
    return min(moments, default=None)


def advance(
    incident: Incident, now: datetime, policy: AlertPolicy
) -> tuple[Incident, tuple[IncidentAction, ...]]:
    """Apply escalation and repeats due by ``now``; return the incident and the actions."""
    if not incident.is_active:
        return incident, ()
    # Repeats first: they go to those alerted before this moment, so contacts
    # reached by an escalation due at the same time hear once, not twice.
    actions: list[IncidentAction] = []
    due_repeats = min(policy.repeat_max, int((now - incident.opened_at) / policy.repeat_every))
    if due_repeats > incident.repeats:
        incident = replace(incident, repeats=due_repeats)
        actions.append(Repeat(due_repeats))
    escalate_at = incident.opened_at + policy.escalate_after
    if incident.escalated_at is None and escalate_at <= now:
        incident = replace(incident, escalated_at=escalate_at)
        actions.append(Escalate())
    return incident, tuple(actions)
