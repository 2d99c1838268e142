"""Messages waiting to be sent: what they are and in which order they go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OutboxKind(StrEnum):
    # To the activist.
    REMIND = "remind"
    PROMPT = "prompt"
    PAUSE_ENDED = "pause_ended"
    CONTACT_UNREACHABLE = "contact_unreachable"
    CONTACT_REACHABLE = "contact_reachable"
    INVITE_ANSWERED = "invite_answered"
    CONTACT_LEFT = "contact_left"
    DRILL_CONFIRMED = "drill_confirmed"
    # Someone other than the first opener opened an invitation link.
    INVITE_CONTESTED = "invite_contested"
    # To a coordinator: a member joined or left, a coordinator was added. State only.
    TEAM_NOTICE = "team_notice"
    # A contact asks "are you OK?"; the payload names them and the answer's deadline.
    ASK_PROMPT = "ask_prompt"
    # To contacts.
    ALERT = "alert"
    ALERT_LOCATION = "alert_location"
    # A photo or voice note the activist left, sent by its Telegram file id.
    ALERT_MEDIA = "alert_media"
    ACKNOWLEDGED = "acknowledged"
    # An alert already sent, edited to its present state (taken by someone, all
    # clear) and stripped of its button. Its payload names the alert row.
    ALERT_EDIT = "alert_edit"
    ALL_CLEAR = "all_clear"
    DRILL = "drill"
    # Under duress: a contact cannot be reached, told to the others, not the phone.
    UNREACHABLE_RELAYED = "unreachable_relayed"
    # A group the activist is in was left out of a silent alert.
    GROUP_SKIPPED = "group_skipped"
    # The activist answered the contact's "are you OK?" (a check-in).
    ASK_ANSWERED = "ask_answered"


# Kinds addressed to the activist themselves; the rest go to a contact's chat.
TO_ACTIVIST = frozenset(
    {
        OutboxKind.REMIND,
        OutboxKind.PROMPT,
        OutboxKind.PAUSE_ENDED,
        OutboxKind.CONTACT_UNREACHABLE,
        OutboxKind.CONTACT_REACHABLE,
        OutboxKind.INVITE_ANSWERED,
        OutboxKind.CONTACT_LEFT,
        OutboxKind.DRILL_CONFIRMED,
        OutboxKind.INVITE_CONTESTED,
        OutboxKind.TEAM_NOTICE,
        OutboxKind.ASK_PROMPT,
    }
)

# Kinds to contacts that a chat open on the activist's seized phone must never show.
SILENT_KINDS = frozenset({OutboxKind.UNREACHABLE_RELAYED, OutboxKind.GROUP_SKIPPED})


# Lower goes first. An SOS outranks everything; a reminder can always wait.
# Breadth-first: every contact's first alert text goes before anyone's map pin,
# photos, repeats or acknowledgements ("more") of alerts of the same urgency.
PRIORITY_SOS = 0
PRIORITY_SOS_MORE = 1
PRIORITY_ALERT = 10
PRIORITY_ALERT_MORE = 15
PRIORITY_ALL_CLEAR = 20
# The activist must learn at once that a contact cannot be reached.
PRIORITY_WARNING = 25
PRIORITY_PROMPT = 30
PRIORITY_NOTICE = 40
# Bringing an old alert up to date: after every message that says something new.
PRIORITY_EDIT = 45


@dataclass(frozen=True)
class OutboxMessage:
    """One message to send to one chat, on behalf of (or about) ``person_id``."""

    id: int
    person_id: int
    incident_id: int | None
    contact_id: int | None
    drill_id: int | None
    chat_id: int
    kind: OutboxKind
    priority: int
    # Moments as stored text, reasons and flags: never message content.
    payload: Mapping[str, str | None]
    attempts: int
    created_at: datetime
