"""A team at a glance: one row per member, in the order a coordinator must look.

Pure: the service reads the rows, the handler words them. A row holds state
only (no messages, places or instructions of the activist): see DESIGN §2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.watches import AlertReason, WatchState

# States in which a member missed a deadline or raised the alarm.
_LATE = frozenset({WatchState.DUE, WatchState.OVERDUE, WatchState.SOS})


@dataclass(frozen=True)
class MemberRow:
    """What a coordinator sees of one member."""

    person_id: int
    name: str
    state: WatchState
    # The next deadline (or, when late, the one missed).
    deadline_at: datetime | None
    paused_until: datetime | None
    last_checkin_at: datetime | None
    # Contacts that can be reached now, of all the member's contacts.
    reachable: int
    contacts: int
    # The open alert, if any: why, since when, and who took it.
    alert: AlertReason | None = None
    alert_since: datetime | None = None
    taken_by: str | None = None


def _rank(row: MemberRow) -> tuple[int, datetime | None, str, int]:
    if row.alert is not None:
        group = 0
    elif row.state in _LATE:
        group = 1
    elif row.deadline_at is not None and row.state is WatchState.OK:
        group = 2
    else:
        group = 3
    moment = row.alert_since if group == 0 else row.deadline_at if group in (1, 2) else None
    return group, moment, row.name.casefold(), row.person_id


def ordered(rows: Sequence[MemberRow]) -> list[MemberRow]:
    """Open alerts first (oldest first), then the late, then by nearest deadline, then the rest."""
    return sorted(rows, key=lambda row: _sort_key(_rank(row)))


def _sort_key(rank: tuple[int, datetime | None, str, int]) -> tuple[int, float, str, int]:
    group, moment, name, person_id = rank
    return group, moment.timestamp() if moment is not None else 0.0, name, person_id


def digest(rows: Sequence[MemberRow]) -> str:
    """Return what changes exactly when a row's state does (not as time passes).

    Kept in memory only, to decide whether a dashboard needs editing.
    """
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()
