"""The duress policy, in one place: raise the silent alarm, keep the phone's pretence.

The table of what each gated action does under duress is
:data:`bot.core.gated.DURESS_POLICY`; these are the steps every service takes,
inside its own transaction:

1. A duress PIN opens the episode (:func:`begin`): the phone's view starts as a
   copy of the truth, believing in the PIN that was just entered, and a duress
   incident alerts every contact (unless one is still running unanswered).
2. While the episode is open, a change unlocked by a duress PIN is made to the
   phone's view only (:func:`save_view`); one made for real (the true PIN) is
   made to both, so the phone keeps showing one consistent story.
3. A check-in with the true PIN ends it (:func:`end`), with the all-clear.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core import phone
from bot.core.incidents import AlertPolicy
from bot.core.people import Person
from bot.core.phone import PhoneView
from bot.core.watches import AlertReason, Watch
from bot.services import alerting
from storage import context as context_repository
from storage import incidents as incident_repository
from storage import phone_views
from storage import watches as watch_repository
from storage.database import Transaction


class ConcurrentChangeError(RuntimeError):
    """Raised when a row changed between reading and saving inside one transaction.

    The database lock makes this impossible within one process; it means a
    second process is writing the same database file.
    """


class Pretence:
    """Open a person's duress episode: the one door every service goes through.

    Built once by the wiring with the escalation policy of the alarm and the
    watch a newcomer starts with (the phone of someone never armed believes that).
    """

    def __init__(self, policy: AlertPolicy, new_watch: Callable[[Person], Watch]) -> None:
        self._policy = policy
        self._new_watch = new_watch

    async def begin(
        self, tx: Transaction, person: Person, now: datetime, believed_pin: str | None = None
    ) -> PhoneView:
        """Open or continue the episode, raising the alarm; return the phone's view."""
        return await begin(tx, person, believed_pin, self._new_watch(person), now, self._policy)


def pretence_needed() -> Pretence:
    """Fail loudly where a service was built without the duress policy (a wiring slip)."""
    raise LookupError("this service was built without the duress policy (Pretence)")


async def view_of(tx: Transaction, person_id: int) -> PhoneView | None:
    """Return what the person's phone believes, or ``None`` when it is shown the truth."""
    return await phone_views.load(tx, person_id)


async def begin(
    tx: Transaction,
    person: Person,
    believed_pin: str | None,
    blank: Watch,
    now: datetime,
    policy: AlertPolicy,
) -> PhoneView:
    """Open (or continue) a duress episode: keep the phone's view, raise the alarm."""
    view = await phone_views.load(tx, person.id)
    watch = await watch_repository.load(tx, person.id)
    if view is None:
        instructions = await context_repository.load_instructions(tx, person.id)
        start = phone.begin(watch or blank, believed_pin, instructions is not None)
        view = await phone_views.create(tx, start)
    await raise_alarm(tx, person, now, policy)
    return view


async def raise_alarm(
    tx: Transaction,
    person: Person,
    now: datetime,
    policy: AlertPolicy,
) -> bool:
    """Alert every contact of possible coercion; ``False`` if an alarm is still running.

    A duress incident nobody has taken yet is still alerting (repeats, every
    tier), so a second use adds nothing; once someone took it, a new use of a
    duress PIN is news and alerts again.
    """
    for incident in await incident_repository.open_ones(tx, person.id):
        if incident.reason is AlertReason.DURESS and incident.is_active:
            return False
    await alerting.open_alert(tx, person, AlertReason.DURESS, now, now, None, policy)
    return True


async def save_view(tx: Transaction, view: PhoneView) -> PhoneView:
    """Write the phone's view with a compare-and-set (see :class:`ConcurrentChangeError`)."""
    saved = await phone_views.save(tx, view)
    if saved is None:
        raise ConcurrentChangeError("the phone's view changed while it was being updated")
    return saved


async def end(tx: Transaction, person_id: int) -> bool:
    """Close the episode: the phone is shown the truth again; ``True`` if one was open."""
    return await phone_views.end(tx, person_id)
