"""What the activist's phone believes, while a duress episode is open.

After a duress PIN the phone must show exactly what success shows, now and
later: a contact "removed" stays gone from ``/contacts``, a "removed" PIN is
no longer asked for, a "forgotten" person starts afresh. The server keeps
watching with the real plan, contacts and instructions. A :class:`PhoneView`
holds the difference: every view on the phone (``/status``, ``/contacts``,
PIN prompts, reminders and prompts from the sweeper) is rendered from it while
it exists. It begins at the first duress PIN and ends with a check-in with the
true PIN, which also sends the all-clear.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.core.watches import Watch


@dataclass(frozen=True)
class PhoneView:
    person_id: int
    # The watch as the phone was shown it: plan, zone, grace, state, deadline.
    watch: Watch
    # The PIN the phone believes in (the duress PIN that was entered, at first);
    # ``None`` when the phone was shown the PIN removed.
    pin_hash: str | None
    duress_hash: str | None
    # Contacts the phone was shown removed; the server still alerts them.
    hidden_contacts: frozenset[int] = frozenset()
    # Teams the phone was shown left; they still look after the person.
    hidden_teams: frozenset[int] = frozenset()
    has_instructions: bool = False
    # Discreet mode as the phone was shown it; ``None``: as it really is.
    discreet: bool | None = None
    # Whether contacts may not ask "are you OK?", as the phone was shown it;
    # ``None``: as it really is.
    asks_off: bool | None = None
    version: int = 0


def begin(watch: Watch, believed_pin: str | None, has_instructions: bool) -> PhoneView:
    """Return the view of a phone that has just been shown success for a duress PIN."""
    return PhoneView(
        person_id=watch.person_id,
        watch=replace(watch, version=0),
        pin_hash=believed_pin,
        duress_hash=None,
        has_instructions=has_instructions,
    )


def forgotten(view: PhoneView, blank: Watch, contact_ids: frozenset[int]) -> PhoneView:
    """Return the view of a phone that was shown everything about its owner deleted."""
    return replace(
        view,
        watch=replace(blank, version=0),
        pin_hash=None,
        duress_hash=None,
        hidden_contacts=view.hidden_contacts | contact_ids,
        has_instructions=False,
        discreet=False,
    )
