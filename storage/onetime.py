"""One-time links, whoever made them (contact invitations, team links): the same three steps.

A link is bound to its first opener (user and chat), a second opener is noted
once, and it is used once. Each step is a compare-and-set, so two people acting
at the same moment never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from storage.database import Transaction
from storage.timestamps import to_db

# The tables that hold one-time links; only these names are ever put into a statement.
LinkTable = Literal["invites", "team_invites"]


async def bind_to_first_opener(
    tx: Transaction, table: LinkTable, link_id: int, user_id: int, chat_id: int
) -> bool:
    """Bind the link to its first opener; ``True`` if it is bound to this one, in this chat.

    A link that leaked and was opened later by someone else stays with the first.
    """
    # Compare-and-set: of two people opening at once, exactly one binds the link.
    await tx.execute(
        f"UPDATE {table} SET opened_by_user = ?, opened_in_chat = ? "  # noqa: S608 -- fixed table names
        "WHERE id = ? AND opened_by_user IS NULL",
        (user_id, chat_id, link_id),
    )
    row = await tx.fetch_one(
        f"SELECT opened_by_user, opened_in_chat FROM {table} WHERE id = ?",  # noqa: S608 -- fixed table names
        (link_id,),
    )
    return row is not None and (row[0], row[1]) == (user_id, chat_id)


async def note_contested(tx: Transaction, table: LinkTable, link_id: int, now: datetime) -> bool:
    """Record that someone else opened a bound link; ``True`` only the first time."""
    # Compare-and-set: whoever made the link hears of it once, however many try.
    changed = await tx.execute(
        f"UPDATE {table} SET contested_at = ? WHERE id = ? AND contested_at IS NULL",  # noqa: S608 -- fixed table names
        (to_db(now), link_id),
    )
    return changed == 1


async def use(tx: Transaction, table: LinkTable, link_id: int, now: datetime) -> bool:
    """Use the link once; ``False`` if it was already used (a double press)."""
    changed = await tx.execute(
        f"UPDATE {table} SET used_at = ? WHERE id = ? AND used_at IS NULL",  # noqa: S608 -- fixed table names
        (to_db(now), link_id),
    )
    return changed == 1
