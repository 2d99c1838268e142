"""Spare a group the activist is in from duress and PIN-failure alerts.

Duress and PIN-failure alerts (and the notices that go with them) must not reach
a group that may be open on the activist's seized phone. A group known to
include them is skipped at once; any other group is asked about right before
sending (``getChatMember``), since people join groups after accepting.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.core.contacts import SILENT_REASONS, Contact
from bot.core.incidents import Incident
from bot.core.outbox import SILENT_KINDS, OutboxKind, OutboxMessage
from bot.delivery.messenger import Messenger
from bot.services import alerting
from storage import contacts as contact_repository
from storage import incidents as incident_repository
from storage import outbox as outbox_repository
from storage import people as people_repository
from storage.database import Database

logger = logging.getLogger(__name__)

_ALERT_KINDS = frozenset({OutboxKind.ALERT, OutboxKind.ALERT_LOCATION, OutboxKind.ALERT_MEDIA})


async def spare_if_needed(
    database: Database, clock: Clock, messenger: Messenger, message: OutboxMessage
) -> bool | None:
    """Skip the row if it is a silent alert to a group the activist is in.

    Return ``None`` if the row is to be sent; ``False`` if it was skipped and
    nobody else needs telling; ``True`` if skipped and the other contacts were
    queued a word about it. ``getChatMember``'s errors are raised, to be handled
    like those of a failed send (transient: retry; 403: unreachable).
    """
    if message.contact_id is None or (
        message.kind not in _ALERT_KINDS and message.kind not in SILENT_KINDS
    ):
        return None
    async with database.snapshot() as tx:
        contact = await contact_repository.contact_by_id(tx, message.contact_id)
        person = await people_repository.by_id(tx, message.person_id)
        incident = (
            None
            if message.incident_id is None
            else await incident_repository.load(tx, message.incident_id)
        )
    if contact is None or person is None or not contact.is_group:
        return None
    if message.kind in _ALERT_KINDS and (incident is None or incident.reason not in SILENT_REASONS):
        return None
    if contact.includes_activist is not True and not await messenger.is_in_group(
        message.chat_id, person.telegram_user_id
    ):
        return None
    return await _spare(database, clock, message, contact, incident)


async def _spare(
    database: Database,
    clock: Clock,
    message: OutboxMessage,
    group: Contact,
    incident: Incident | None,
) -> bool:
    """Flag the group as including the activist, drop the row, tell the others once."""
    now = clock.now()
    told = 0
    async with database.transaction() as tx:
        await contact_repository.set_includes_activist(tx, group.id, True)
        await outbox_repository.mark_failed(tx, message.id, "skipped: the activist is a member")
        # The first alert text tells the others; its location, media and repeats
        # are skipped without a word (the group is flagged now).
        first_alert = message.kind is OutboxKind.ALERT and not int(
            message.payload.get("repeat") or 0
        )
        if incident is not None and first_alert:
            told = await alerting.group_skipped(tx, incident, group, now)
    logger.warning(
        "outbox row %s skipped: the activist is a member of group contact %s",
        message.id,
        group.id,
    )
    return told > 0
