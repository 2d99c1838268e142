"""What the coordinators of a member's teams hear and what their audit trail records.

Runs inside the caller's transaction, next to the change it reports (invariant 2).
A notice to a coordinator names the member and says what happened, never a word,
place or instruction of theirs. Nobody is told about themselves (a coordinator may
also be a member, and their phone may be in other hands), and a coordinator who is
also the member's contact gets the full alert as a contact instead of the notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.outbox import PRIORITY_ALERT_MORE, PRIORITY_NOTICE, OutboxKind
from bot.core.people import Person
from bot.core.teams import AuditEvent
from storage import contacts as contact_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage import teams as team_repository
from storage.database import Transaction
from storage.outbox import NewMessage

# Events about an alert reach coordinators right after the contacts' first alerts.
_URGENT = frozenset(
    {AuditEvent.ALERT_OPENED, AuditEvent.ALERT_ESCALATED, AuditEvent.ALERT_ACKNOWLEDGED}
)


async def report(
    tx: Transaction,
    member: Person | int,
    event: AuditEvent,
    now: datetime,
    *,
    actor: Person | None = None,
    detail: Mapping[str, str] | None = None,
    notify: bool = True,
) -> int:
    """Record ``event`` about ``member`` (a person or their id) in each of their teams;
    tell the coordinators. Return how many were told; ``notify=False`` only records it.
    """
    member_id = member if isinstance(member, int) else member.id
    teams = await team_repository.teams_of_member(tx, member_id)
    if not teams:
        return 0
    if isinstance(member, int):
        found = await people_repository.by_id(tx, member)
        if found is None:
            return 0
        member = found
    contact_chats = (
        {c.chat_id for c in await contact_repository.contacts_of(tx, member.id)}
        if notify
        else set()
    )
    messages: list[NewMessage] = []
    for team in teams:
        await team_repository.record_event(
            tx, team.id, event, now, subject=member, actor=actor, detail=detail
        )
        if not notify:
            continue
        for coordinator in await team_repository.coordinators_of(tx, team.id):
            if coordinator.id == member.id or coordinator.telegram_user_id in contact_chats:
                continue
            payload: dict[str, str | None] = {
                "event": event.value,
                "team": team.name,
                "subject": member.display_name,
                **dict(detail or {}),
            }
            messages.append(
                NewMessage(
                    person_id=coordinator.id,
                    chat_id=coordinator.telegram_user_id,
                    kind=OutboxKind.TEAM_NOTICE,
                    priority=PRIORITY_ALERT_MORE if event in _URGENT else PRIORITY_NOTICE,
                    payload=payload,
                )
            )
    await outbox_repository.add_many(tx, messages, now)
    return len(messages)


async def record(
    tx: Transaction,
    member: Person,
    event: AuditEvent,
    now: datetime,
    detail: Mapping[str, str] | None = None,
) -> None:
    """Record a change the member made to their own protection in their teams' trail.

    Coordinators are not told of these one by one; the trail shows them.
    """
    await report(tx, member, event, now, actor=member, detail=detail, notify=False)
