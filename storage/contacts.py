"""Store invitations and contacts."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.core.contacts import Contact, ContactStatus, Invite
from bot.crypto import SealBrokenError
from storage import onetime, outbox, sealing
from storage.database import Transaction, chunks, marks
from storage.timestamps import from_db, to_db

logger = logging.getLogger(__name__)


def _invite(row: sqlite3.Row) -> Invite:
    return Invite(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        tier=int(row["tier"]),
        expires_at=from_db(row["expires_at"]),
        opened_by_user=row["opened_by_user"],
        opened_in_chat=row["opened_in_chat"],
        used_at=None if row["used_at"] is None else from_db(row["used_at"]),
        decoy=bool(row["decoy"]),
        by_coordinator=row["by_coordinator"],
        team_id=row["team_id"],
    )


def _name(tx: Transaction, row: sqlite3.Row) -> str:
    """Return the contact's name; "?" (logged by id) if it cannot be opened.

    A damaged name must never stop an alert to this contact or the others.
    """
    person_id, chat_id = int(row["person_id"]), int(row["chat_id"])
    try:
        return tx.unseal(row["display_name"], sealing.contact_name(person_id, chat_id))
    except SealBrokenError:
        logger.error("the name of contact %s cannot be opened", row["id"])
        return "?"


def _contact(tx: Transaction, row: sqlite3.Row, *, named: bool = True) -> Contact:
    return Contact(
        id=int(row["id"]),
        person_id=int(row["person_id"]),
        chat_id=int(row["chat_id"]),
        is_group=row["chat_type"] == "group",
        display_name=_name(tx, row) if named else "",
        language=str(row["language"]),
        tier=int(row["tier"]),
        status=ContactStatus(row["status"]),
        includes_activist=(
            None if row["includes_activist"] is None else bool(row["includes_activist"])
        ),
        duty_of=row["duty_of"],
        added_by=row["added_by"],
    )


async def add_invite(
    tx: Transaction,
    person_id: int,
    tier: int,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
    *,
    decoy: bool = False,
    by_coordinator: int | None = None,
    team_id: int | None = None,
) -> int:
    """Store an invitation (its code's hash only); a coordinator's names them and their team."""
    return await tx.insert(
        "INSERT INTO invites (person_id, tier, code_hash, created_at, expires_at, decoy, "
        "by_coordinator, team_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            tier,
            code_hash,
            to_db(now),
            to_db(expires_at),
            int(decoy),
            by_coordinator,
            team_id,
        ),
    )


async def invite_by_hash(tx: Transaction, code_hash: str) -> Invite | None:
    row = await tx.fetch_one("SELECT * FROM invites WHERE code_hash = ?", (code_hash,))
    return None if row is None else _invite(row)


async def invite_by_id(tx: Transaction, invite_id: int) -> Invite | None:
    row = await tx.fetch_one("SELECT * FROM invites WHERE id = ?", (invite_id,))
    return None if row is None else _invite(row)


async def mark_opened(tx: Transaction, invite_id: int, user_id: int, chat_id: int) -> bool:
    """Bind the invitation to its first opener; ``True`` if it is bound to this one."""
    return await onetime.bind_to_first_opener(tx, "invites", invite_id, user_id, chat_id)


async def mark_contested(tx: Transaction, invite_id: int, now: datetime) -> bool:
    """Record that someone else opened a bound invitation; ``True`` only the first time."""
    return await onetime.note_contested(tx, "invites", invite_id, now)


async def mark_used(tx: Transaction, invite_id: int, now: datetime) -> bool:
    """Use the invitation once; ``False`` if it was already used (a double press)."""
    return await onetime.use(tx, "invites", invite_id, now)


async def upsert_contact(
    tx: Transaction,
    *,
    person_id: int,
    chat_id: int,
    is_group: bool,
    display_name: str,
    language: str,
    tier: int,
    now: datetime,
    includes_activist: bool | None = None,
    added_by: int | None = None,
) -> Contact:
    """Make the chat a contact of the person (again), active, at ``tier``.

    ``added_by``: the coordinator who invited it for the person (``None``: the person).
    """
    await tx.execute(
        "INSERT INTO contacts (person_id, chat_id, chat_type, display_name, language, tier, "
        "status, created_at, includes_activist, added_by) "
        "VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) "
        "ON CONFLICT (person_id, chat_id) DO UPDATE SET display_name = excluded.display_name, "
        "language = excluded.language, tier = excluded.tier, status = 'active', "
        "includes_activist = excluded.includes_activist, added_by = excluded.added_by",
        (
            person_id,
            chat_id,
            "group" if is_group else "private",
            tx.seal(display_name, sealing.contact_name(person_id, chat_id)),
            language,
            tier,
            to_db(now),
            None if includes_activist is None else int(includes_activist),
            added_by,
        ),
    )
    row = await tx.fetch_one(
        "SELECT * FROM contacts WHERE person_id = ? AND chat_id = ?", (person_id, chat_id)
    )
    if row is None:  # pragma: no cover - the statement above guarantees the row
        raise sqlite3.IntegrityError("contact vanished inside its own transaction")
    return _contact(tx, row)


async def add_duty_contact(
    tx: Transaction,
    *,
    person_id: int,
    chat_id: int,
    display_name: str,
    language: str,
    tier: int,
    team_id: int,
    now: datetime,
) -> bool:
    """Make a team's duty chat a contact of one member; ``False`` if the chat already was one.

    A chat the member chose themselves stays theirs: it is not taken over by the team.
    Whether the member is in the group is not known yet (``includes_activist`` NULL):
    it is asked before any silent alert, as for every group.
    """
    changed = await tx.execute(
        "INSERT INTO contacts (person_id, chat_id, chat_type, display_name, language, tier, "
        "status, created_at, duty_of) VALUES (?, ?, 'group', ?, ?, ?, 'active', ?, ?) "
        "ON CONFLICT (person_id, chat_id) DO NOTHING",
        (
            person_id,
            chat_id,
            tx.seal(display_name, sealing.contact_name(person_id, chat_id)),
            language,
            tier,
            to_db(now),
            team_id,
        ),
    )
    return changed == 1


async def remove_duty_contacts(
    tx: Transaction, team_id: int, *, person_id: int | None = None
) -> int:
    """Remove the contact rows of a team's duty chat (of one member, if given); return how many."""
    if person_id is None:
        return await tx.execute("DELETE FROM contacts WHERE duty_of = ?", (team_id,))
    return await tx.execute(
        "DELETE FROM contacts WHERE duty_of = ? AND person_id = ?", (team_id, person_id)
    )


async def contacts_of(tx: Transaction, person_id: int) -> list[Contact]:
    """Return the person's contacts, tier 1 first."""
    return (await contacts_among(tx, [person_id])).get(person_id, [])


async def contacts_among(
    tx: Transaction, person_ids: Sequence[int], *, named: bool = True
) -> dict[int, list[Contact]]:
    """Return the contacts of each of ``person_ids`` who has any, tier 1 first, in one query.

    ``named=False`` leaves their names sealed (``display_name`` empty): for queueing
    alerts, which are rendered, names and all, only when sent.
    """
    found: dict[int, list[Contact]] = {}
    for chunk in chunks(person_ids):
        rows = await tx.fetch_all(
            f"SELECT * FROM contacts WHERE person_id IN ({marks(chunk)}) "  # noqa: S608 -- only "?" marks are interpolated
            "ORDER BY person_id, tier, id",
            chunk,
        )
        for row in rows:
            found.setdefault(int(row["person_id"]), []).append(_contact(tx, row, named=named))
    return found


async def contact_by_id(tx: Transaction, contact_id: int) -> Contact | None:
    row = await tx.fetch_one("SELECT * FROM contacts WHERE id = ?", (contact_id,))
    return None if row is None else _contact(tx, row)


async def contacts_in_chat(tx: Transaction, chat_id: int) -> list[Contact]:
    """Return every contact row whose chat is ``chat_id`` (one per activist watched)."""
    rows = await tx.fetch_all("SELECT * FROM contacts WHERE chat_id = ? ORDER BY id", (chat_id,))
    return [_contact(tx, row) for row in rows]


async def remove_contact(tx: Transaction, contact_id: int) -> None:
    await tx.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))


async def mark_unreachable(tx: Transaction, contact_id: int) -> bool:
    """Mark the contact unreachable; ``True`` only when it was reachable until now."""
    changed = await tx.execute(
        "UPDATE contacts SET status = 'unreachable' WHERE id = ? AND status = 'active'",
        (contact_id,),
    )
    return changed == 1


async def mark_reachable(tx: Transaction, contact_id: int) -> bool:
    """Mark the contact active again; ``True`` only when it was unreachable until now."""
    # Compare-and-set: a repeated "unblocked" update changes nothing the second time.
    changed = await tx.execute(
        "UPDATE contacts SET status = 'active' WHERE id = ? AND status = 'unreachable'",
        (contact_id,),
    )
    return changed == 1


async def set_includes_activist(tx: Transaction, contact_id: int, includes: bool) -> bool:
    """Record whether the activist is in this group; ``True`` if that changed."""
    changed = await tx.execute(
        "UPDATE contacts SET includes_activist = ? WHERE id = ? AND includes_activist IS NOT ?",
        (int(includes), contact_id, int(includes)),
    )
    return changed == 1


async def move_chat(tx: Transaction, old_chat_id: int, new_chat_id: int) -> None:
    """Follow a group that Telegram migrated to a supergroup."""
    for contact in await contacts_in_chat(tx, old_chat_id):
        # The name is bound to the chat id: seal it again for the new one.
        await tx.execute(
            "UPDATE contacts SET chat_id = ?, display_name = ? WHERE id = ?",
            (
                new_chat_id,
                tx.seal(contact.display_name, sealing.contact_name(contact.person_id, new_chat_id)),
                contact.id,
            ),
        )
    await outbox.move_chat(tx, old_chat_id, new_chat_id)
