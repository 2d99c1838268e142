"""Render what contacts receive, and what the activist hears about their contacts.

Plain text only (no parse mode), so the activist's own words are shown exactly
as written and can never break the formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.context import ContextItem, ContextKind, TrailPoint
from bot.core.incidents import Incident
from bot.core.pins import FAILURE_STEP
from bot.core.watches import AlertReason
from bot.i18n import Translator, to_minutes
from bot.texts.trail import render_trail


@dataclass(frozen=True)
class AlertView:
    """Everything an alert shows, read in one snapshot when it is sent."""

    name: str
    zone: str
    incident: Incident
    last_checkin_at: datetime | None
    items: list[ContextItem]
    instructions: str | None
    others_alerted: int
    acknowledged_by: str | None
    repeat: int
    now: datetime
    # Groups left out of a duress or PIN-failure alert: the activist is a member.
    spared_groups: tuple[str, ...] = ()
    # Kept messages (and instructions) that could not be opened, left out.
    unreadable: int = 0
    # The trail of places, oldest first (see storage.trail).
    trail: tuple[TrailPoint, ...] = ()


def clip(text: str, limit: int) -> str:
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(tr: Translator, moment: datetime, view: AlertView) -> str:
    return tr(
        "{moment} ({zone}), {ago}",
        moment=tr.moment(moment, view.zone),
        zone=view.zone,
        ago=tr.ago(view.now - moment),
    )


def _item_line(tr: Translator, item: ContextItem, view: AlertView, quote_length: int) -> str:
    at = tr.moment(item.updated_at, view.zone)
    body = item.body
    if item.kind is ContextKind.TEXT:
        return f"• {at} — “{clip(str(body.get('text', '')), quote_length)}”"
    if item.kind is ContextKind.LOCATION:
        return "• " + tr("{at} — 📍 location", at=at)
    if item.kind is ContextKind.PHOTO:
        caption = body.get("caption")
        line = tr("{at} — 📷 photo", at=at)
        return f"• {line}" + (f" “{clip(str(caption), quote_length)}”" if caption else "")
    return "• " + tr("{at} — 🎤 voice note", at=at)


# Telegram refuses a longer message; an alert it refused would be an alert lost.
MESSAGE_LIMIT = 4096
_SHORTEST_QUOTE = 60


def telegram_length(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units (an emoji may count twice)."""
    return len(text.encode("utf-16-le")) // 2


def render_alert(tr: Translator, view: AlertView, quote_length: int) -> str:
    """Return the alert text, shortening the quotes until it fits in one message."""
    text = _render_alert(tr, view, quote_length)
    while telegram_length(text) > MESSAGE_LIMIT and quote_length > _SHORTEST_QUOTE:
        quote_length = max(_SHORTEST_QUOTE, quote_length // 2)
        text = _render_alert(tr, view, quote_length)
    excess = telegram_length(text) - MESSAGE_LIMIT
    if excess > 0:
        # Only very long instructions are left: clip them, keep the closing lines.
        instructions = view.instructions or ""
        room = max(0, len(instructions) - excess)
        while (
            room and telegram_length(instructions[:room]) > telegram_length(instructions) - excess
        ):
            room -= 1
        text = _render_alert(tr, replace(view, instructions=clip(instructions, room)), quote_length)
    while telegram_length(text) > MESSAGE_LIMIT:
        text = text[:-1]
    return text


def render_short_repeat(tr: Translator, name: str, number: int) -> str:
    """Return a repeat with nothing new to tell: it answers the alert it repeats."""
    return "\n".join(
        [
            tr("🔁 Reminder {number}: still no news from {name}.", number=number, name=name),
            tr("Nothing new since the alert above: the same last words and place."),
        ]
    )


def render_settled_repeat(
    tr: Translator, name: str, number: int, incident: Incident, zone: str, taker: str | None
) -> str:
    """Return a repeat as it reads once the alert is taken or cleared."""
    lines = [tr("🔁 Reminder {number}: still no news from {name}.", number=number, name=name)]
    if incident.closed_at is not None:
        lines.append(
            tr(
                "✅ Update: {name} checked in at {when}. All clear.",
                name=name,
                when=tr.moment(incident.closed_at, zone),
            )
        )
    elif taker is not None:
        lines.append(tr("🙋 {contact} is already taking care of it.", contact=taker))
    return "\n".join(lines)


def _render_alert(tr: Translator, view: AlertView, quote_length: int) -> str:
    """Return the alert text: who, why, since when, last words and place, instructions."""
    incident = view.incident
    lines: list[str] = []
    if view.repeat:
        lines.append(tr("🔁 Reminder {number}: still no news.", number=view.repeat))
    if incident.reason is AlertReason.SOS:
        lines.append(tr("🆘 SOS from {name}. They asked for help.", name=view.name))
        lines.append(tr("SOS pressed: {when}", when=_when(tr, incident.due_at, view)))
    elif incident.reason in (AlertReason.DURESS, AlertReason.PIN_FAILURES):
        if incident.reason is AlertReason.DURESS:
            lines.append(
                tr("⚠️ POSSIBLE COERCION: {name} entered their duress PIN.", name=view.name)
            )
        else:
            lines.append(
                tr(
                    "⚠️ POSSIBLE COERCION: a wrong PIN was entered {count} times on {name}'s phone.",
                    count=incident.wrong_pins or FAILURE_STEP,
                    name=view.name,
                )
            )
        lines.append(
            tr(
                "Do not reply to messages from their phone and do not write to it: it may "
                "be in someone else's hands. Act through other channels."
            )
        )
        lines.append(tr("When: {when}", when=_when(tr, incident.due_at, view)))
    elif incident.reason is AlertReason.TIMER:
        lines += _timer_lines(tr, view, quote_length)
    elif incident.reason is AlertReason.ASK:
        lines.append(
            tr(
                "🚨 {name} did not answer {asker}'s “are you OK?” of {moment}.",
                name=view.name,
                asker=incident.asker or "?",
                moment=tr.moment(incident.started_at or incident.due_at, view.zone),
            )
        )
        lines.append(tr("An answer was due: {when}", when=_when(tr, incident.due_at, view)))
    else:
        lines.append(tr("🚨 {name} missed a check-in.", name=view.name))
        lines.append(tr("Check-in was due: {when}", when=_when(tr, incident.due_at, view)))
    if view.last_checkin_at is None:
        lines.append(tr("Last check-in: never"))
    else:
        lines.append(tr("Last check-in: {when}", when=_when(tr, view.last_checkin_at, view)))
    if incident.offline_since is not None:
        lines.append(
            tr(
                "⚠️ The bot was offline from {since}; this alert comes late.",
                since=tr.moment(incident.offline_since, view.zone),
            )
        )
    lines.append("")
    if view.items:
        lines.append(tr("Last messages, newest first:"))
        lines += [_item_line(tr, item, view, quote_length) for item in view.items]
    else:
        lines.append(tr("They left no messages."))
    if view.unreadable:
        lines.append(
            tr.plural(
                "⚠️ {count} kept message could not be read and is left out.",
                "⚠️ {count} kept messages could not be read and are left out.",
                view.unreadable,
            )
        )
    location = next((i for i in view.items if i.kind is ContextKind.LOCATION), None)
    if location is not None:
        live_until = location.body.get("live_until")
        is_live = isinstance(live_until, str) and datetime.fromisoformat(live_until) > view.now
        ended: datetime | None = None
        if location.body.get("live_stopped"):
            # Kept when the stop arrived: the item's last update is the moment.
            ended = location.updated_at
        elif isinstance(live_until, str) and not is_live:
            ended = datetime.fromisoformat(live_until)
        age = tr.ago(view.now - location.updated_at)
        if is_live:
            line = tr("📍 Last location {ago}, still shared live. The map follows.", ago=age)
        elif ended is not None:
            line = tr(
                "📍 Live location sharing stopped {ago} ({moment}); the last place is on the "
                "map that follows.",
                ago=tr.ago(view.now - ended),
                moment=tr.moment(ended, view.zone),
            )
        else:
            line = tr("📍 Last location {ago}. The map follows.", ago=age)
        lines.append(line)
    lines += render_trail(tr, view.trail, view.zone, view.now)
    if view.instructions:
        lines += ["", tr("Their instructions for an emergency:"), view.instructions]
    lines.append("")
    lines.append(
        tr.plural(
            "Also alerted: {count} other contact.",
            "Also alerted: {count} other contacts.",
            view.others_alerted,
        )
        if view.others_alerted
        else tr("You are the only contact alerted so far.")
    )
    lines += [
        tr(
            "Not sent to {group}: {name} is a member of that group, which may be open on "
            "their phone.",
            group=group,
            name=view.name,
        )
        for group in view.spared_groups
    ]
    if incident.closed_at is not None:
        # Sent late (after a Telegram error): the all-clear rides along, never after.
        lines += [
            "",
            tr(
                "✅ Update: {name} checked in at {when}. All clear.",
                name=view.name,
                when=tr.moment(incident.closed_at, view.zone),
            ),
        ]
    elif view.acknowledged_by is not None:
        lines.append(tr("🙋 {contact} is already taking care of it.", contact=view.acknowledged_by))
    else:
        lines.append(
            tr("Press “I'm on it” if you are taking care of this; the others will be told.")
        )
    return "\n".join(lines)


def _timer_lines(tr: Translator, view: AlertView, quote_length: int) -> list[str]:
    """Say what the missed timer was for, when it started and when they meant to be back."""
    incident = view.incident
    lines = [tr("🚨 {name} did not come back in time from a timed check-in.", name=view.name)]
    if incident.note:
        lines.append(
            tr(
                "What they said they were doing: “{note}”",
                note=clip(incident.note, quote_length),
            )
        )
    elif incident.note is not None:
        lines.append(tr("⚠️ What they said they were doing could not be read."))
    else:
        lines.append(tr("They did not say what they were doing."))
    if incident.started_at is not None:
        lines.append(tr("Timer started: {when}", when=_when(tr, incident.started_at, view)))
    lines.append(tr("Expected back by: {when}", when=_when(tr, incident.due_at, view)))
    return lines


def render_ask_answered(tr: Translator, name: str, at: datetime, zone: str) -> str:
    return tr(
        "✅ {name} is OK: they checked in at {when}, answering “are you OK?”.",
        name=name,
        when=tr.moment(at, zone),
    )


def render_acknowledged(tr: Translator, name: str, contact: str) -> str:
    return tr("🙋 {contact} is taking care of the alert about {name}.", contact=contact, name=name)


def render_all_clear(tr: Translator, name: str, incident: Incident, checked_in_at: datetime) -> str:
    return tr(
        "✅ All clear: {name} checked in. The alert lasted {duration}.",
        name=name,
        duration=tr.duration(to_minutes(checked_in_at - incident.opened_at)),
    )


def render_media_caption(tr: Translator, name: str, kind: ContextKind, age: timedelta) -> str:
    """Caption a photo or voice note passed on in an alert."""
    if kind is ContextKind.PHOTO:
        return tr("📷 From {name}, {ago}", name=name, ago=tr.ago(age))
    return tr("🎤 From {name}, {ago}", name=name, ago=tr.ago(age))


def render_drill(tr: Translator, name: str) -> str:
    return tr(
        "🧪 DRILL — only a test, nothing is wrong. {name} is checking that alerts reach you. "
        "Press the button to confirm you received it.",
        name=name,
    )


def render_unreachable_relayed(tr: Translator, name: str, contact: str) -> str:
    """Tell a contact, under duress, what the activist's phone must not be told."""
    return tr(
        "⚠️ {name}'s contact {contact} cannot be reached: they blocked the bot or removed it "
        "from their group, so they will not get alerts about {name}. {name}'s phone may be in "
        "other hands; do not write to it.",
        name=name,
        contact=contact,
    )


def render_group_skipped(tr: Translator, name: str, group: str) -> str:
    return tr(
        "⚠️ {group} was not alerted about {name}: {name} is a member of that group, which may "
        "be open on their phone.",
        group=group,
        name=name,
    )
