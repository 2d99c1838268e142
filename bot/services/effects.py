"""Turn the effects of a transition into outbox rows, inside the caller's transaction.

This is where invariant 2 is kept: the service that saved the new watch calls
:func:`record_effects` in the same transaction, so a state change and the
messages it causes commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.incidents import AlertPolicy
from bot.core.outbox import PRIORITY_NOTICE, PRIORITY_PROMPT, OutboxKind
from bot.core.people import Person
from bot.core.watches import (
    AlertReason,
    AllClear,
    Effect,
    PauseEnded,
    Prompt,
    RaiseAlert,
    Remind,
)
from bot.services import alerting
from storage import outbox as outbox_repository
from storage import timers
from storage.database import Transaction


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def record_effects(
    tx: Transaction,
    person: Person,
    effects: Iterable[Effect],
    now: datetime,
    policy: AlertPolicy,
    offline_since: datetime | None = None,
    *,
    to_phone: bool = True,
    alerts: bool = True,
    known: alerting.ReadAhead | None = None,
) -> int:
    """Queue the messages ``effects`` call for; return how many effects were recorded.

    ``offline_since`` is given when the bot was down while these effects came
    due; alerts then say so, with the moment the bot went silent. During a
    duress episode the real watch's effects go out with ``to_phone=False`` (the
    phone hears only what its pretence calls for) and the pretence's with
    ``alerts=False`` (the contacts hear only the truth). ``known``: what
    :func:`alerting.read_ahead` read about the person, if the caller did.
    """
    written = 0
    for effect in effects:
        if isinstance(effect, RaiseAlert | AllClear) and not alerts:
            continue
        if not isinstance(effect, RaiseAlert | AllClear) and not to_phone:
            continue
        if isinstance(effect, RaiseAlert):
            note = (
                await timers.note_of(tx, person.id, effect.started_at)
                if effect.reason is AlertReason.TIMER
                else None
            )
            await alerting.open_alert(
                tx,
                person,
                effect.reason,
                effect.due_at,
                now,
                offline_since,
                policy,
                started_at=effect.started_at,
                note=note,
                known=known,
            )
        elif isinstance(effect, AllClear):
            await alerting.all_clear(tx, person, effect.checked_in_at)
        else:
            kind, priority, payload = _notice(effect)
            await outbox_repository.add(
                tx,
                person_id=person.id,
                chat_id=person.telegram_user_id,
                kind=kind,
                priority=priority,
                payload=payload,
                now=now,
            )
        written += 1
    return written


def _notice(effect: Remind | Prompt | PauseEnded) -> tuple[OutboxKind, int, dict[str, str | None]]:
    """Return the outbox row for a message to the activist themselves."""
    timer = {"timer": "1"} if isinstance(effect, Remind | Prompt) and effect.timer else {}
    if isinstance(effect, Remind):
        payload = {"deadline_at": _iso(effect.deadline_at), **timer}
        return OutboxKind.REMIND, PRIORITY_NOTICE, payload
    if isinstance(effect, Prompt):
        payload = {
            "deadline_at": _iso(effect.deadline_at),
            "grace_ends_at": _iso(effect.grace_ends_at),
            **timer,
        }
        return OutboxKind.PROMPT, PRIORITY_PROMPT, payload
    payload = {"ended_at": _iso(effect.ended_at), "deadline_at": _iso(effect.deadline_at)}
    return OutboxKind.PAUSE_ENDED, PRIORITY_NOTICE, payload
