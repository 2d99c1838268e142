"""Render queued messages to the activist in their language and time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.outbox import OutboxKind, OutboxMessage
from bot.core.watches import AlertReason
from bot.i18n import N_, Translator, to_minutes


def _moment(message: OutboxMessage, key: str) -> datetime:
    value = message.payload.get(key)
    if value is None:
        raise ValueError(f"outbox row {message.id} has no {key}")
    return datetime.fromisoformat(value)


def _accepted(message: OutboxMessage, tr: Translator, contact: str) -> str:
    tier = message.payload.get("tier") or "1"
    username = message.payload.get("username")
    coordinator = message.payload.get("by")
    if coordinator:
        text = tr(
            "✅ {coordinator} of “{team}” added {contact} as your tier {tier} contact, and "
            "{contact} accepted. /contacts lists your contacts; you can remove any of them there.",
            coordinator=coordinator,
            team=message.payload.get("team") or "?",
            contact=contact,
            tier=tier,
        )
    elif username:
        text = tr(
            "✅ {contact} (@{username}) accepted your invitation: they are now your tier "
            "{tier} contact.",
            contact=contact,
            username=username,
            tier=tier,
        )
    else:
        text = tr(
            "✅ {contact} accepted your invitation: they are now your tier {tier} contact.",
            contact=contact,
            tier=tier,
        )
    if message.payload.get("includes_activist") == "yes":
        text += "\n\n" + tr(
            "⚠️ You are a member of this group, so it will not get silent alerts (duress PIN, "
            "wrong PINs): the group may be open on your phone. Invite a group you are not in, "
            "or a person, for those."
        )
    return text


def render_notice(message: OutboxMessage, tr: Translator, zone: str, now: datetime) -> str:
    """Return the text of a reminder, prompt or pause-ended message."""
    timer = message.payload.get("timer") == "1"
    if message.kind is OutboxKind.REMIND and timer:
        deadline = _moment(message, "deadline_at")
        return tr(
            "⏰ Your timer ends at {deadline} (in {left}). Press “I'm back” when you are "
            "safe, or ask for more time.",
            deadline=tr.moment(deadline, zone),
            left=tr.duration(to_minutes(deadline - now)),
        )
    if message.kind is OutboxKind.PROMPT and timer:
        return tr(
            "⚠️ Your timer ended at {deadline}. Press “I'm back” now: if you do not, your "
            "contacts will be alerted at {alert_at}, with what you said you were doing.",
            deadline=tr.moment(_moment(message, "deadline_at"), zone),
            alert_at=tr.moment(_moment(message, "grace_ends_at"), zone),
        )
    if message.kind is OutboxKind.REMIND:
        deadline = _moment(message, "deadline_at")
        return tr(
            "⏰ Reminder: your next check-in is due by {deadline} (in {left}). "
            "Press the button below or send /ok.",
            deadline=tr.moment(deadline, zone),
            left=tr.duration(to_minutes(deadline - now)),
        )
    if message.kind is OutboxKind.PROMPT:
        return tr(
            "⚠️ Your check-in was due at {deadline}. Check in now: if you do not, "
            "your contacts will be alerted at {alert_at}.",
            deadline=tr.moment(_moment(message, "deadline_at"), zone),
            alert_at=tr.moment(_moment(message, "grace_ends_at"), zone),
        )
    if message.kind is OutboxKind.ASK_PROMPT:
        answer_by = _moment(message, "answer_by")
        return tr(
            "❓ {contact} asks: are you OK? Check in by {deadline} (in {left}): if you do "
            "not, all your contacts are alerted.",
            contact=message.payload.get("asker") or "?",
            deadline=tr.moment(answer_by, zone),
            left=tr.duration(to_minutes(max(answer_by - now, timedelta(0)))),
        )
    if message.kind is OutboxKind.PAUSE_ENDED:
        return tr(
            "▶️ Your pause ended at {ended}. Your next check-in is due by {deadline}.",
            ended=tr.moment(_moment(message, "ended_at"), zone),
            deadline=tr.moment(_moment(message, "deadline_at"), zone),
        )
    contact = message.payload.get("contact") or "?"
    if message.kind is OutboxKind.CONTACT_UNREACHABLE:
        return tr(
            "⚠️ Your contact {contact} cannot be reached: they blocked the bot, removed it "
            "from the group or never started it. They will not get your alerts. "
            "Ask them to open the bot again, or invite someone else with /invite.",
            contact=contact,
        )
    if message.kind is OutboxKind.CONTACT_REACHABLE:
        return tr("✅ Your contact {contact} can be reached again.", contact=contact)
    if message.kind is OutboxKind.INVITE_ANSWERED:
        if message.payload.get("accepted") == "yes":
            return _accepted(message, tr, contact)
        if message.payload.get("by"):
            return tr(
                "An invitation {coordinator} of “{team}” made for you was declined.",
                coordinator=message.payload.get("by"),
                team=message.payload.get("team") or "?",
            )
        return tr("Your invitation was declined.")
    if message.kind is OutboxKind.INVITE_CONTESTED:
        # Content-free: nothing about who the second opener was.
        return tr(
            "⚠️ Someone else also opened your invitation link. "
            "It stays with the first person who opened it."
        )
    if message.kind is OutboxKind.CONTACT_LEFT:
        return tr("{contact} is no longer your contact.", contact=contact)
    if message.kind is OutboxKind.DRILL_CONFIRMED:
        return tr("🧪 {contact} confirmed your drill.", contact=contact)
    if message.kind is OutboxKind.TEAM_NOTICE:
        return render_team_notice(message, tr, zone)
    raise ValueError(f"outbox row {message.id} of kind {message.kind} is not for the activist")


# What an alert is about, as coordinators read it: the reason only, never content.
ALERT_REASONS = {
    AlertReason.MISSED: N_("missed check-in"),
    AlertReason.SOS: N_("SOS"),
    AlertReason.DURESS: N_("possible coercion (duress PIN)"),
    AlertReason.PIN_FAILURES: N_("repeated wrong PINs"),
    AlertReason.TIMER: N_("missed timed check-in"),
    AlertReason.ASK: N_("no answer to “are you OK?”"),
}


def reason_of(tr: Translator, value: str | None) -> str:
    """Return what an alert is about, translated; "?" for a reason this version does not know."""
    try:
        return tr(ALERT_REASONS[AlertReason(value or "")])
    except ValueError:
        return "?"


def render_team_notice(message: OutboxMessage, tr: Translator, zone: str) -> str:
    """Return a notice to a coordinator: who joined or left, an alert's course; never content."""
    event = message.payload.get("event")
    team = message.payload.get("team") or "?"
    name = message.payload.get("subject") or "?"
    reason = reason_of(tr, message.payload.get("reason"))
    if event == "alert_opened":
        return tr(
            "🚨 {name} ({team}): {reason} since {since}. Contacts alerted: {count}.",
            name=name,
            team=team,
            reason=reason,
            since=tr.moment(_moment(message, "since"), zone),
            count=message.payload.get("alerted") or "0",
        )
    if event == "alert_escalated":
        return tr(
            "🚨 {name} ({team}): nobody took the alert ({reason}); tier 2 contacts alerted: "
            "{count}.",
            name=name,
            team=team,
            reason=reason,
            count=message.payload.get("alerted") or "0",
        )
    if event == "ask_answered":
        return tr(
            "✅ {name} ({team}) is OK: they checked in at {at}, answering your “are you OK?”.",
            name=name,
            team=team,
            at=tr.moment(_moment(message, "at"), zone),
        )
    if event == "alert_acknowledged":
        return tr(
            "{name} ({team}), {reason}: {contact} is on it.",
            name=name,
            team=team,
            reason=reason,
            contact=message.payload.get("by") or "?",
        )
    if event == "contact_unreachable":
        return tr(
            "⚠️ {name} ({team}): their contact {contact} cannot be reached and will not get "
            "their alerts.",
            name=name,
            team=team,
            contact=message.payload.get("contact") or "?",
        )
    if event == "alert_closed":
        return tr(
            "✅ {name} ({team}) checked in: the alert ({reason}) is over.",
            name=name,
            team=team,
            reason=reason,
        )
    if event == "joined":
        return tr("👥 {name} joined the team {team}.", name=name, team=team)
    if event == "left":
        return tr("👥 {name} left the team {team}.", name=name, team=team)
    if event == "declined":
        return tr("{name} declined to join the team {team}.", name=name, team=team)
    if event == "coordinator_added":
        return tr("👥 {name} is now a coordinator of the team {team}.", name=name, team=team)
    if event == "member_removed":
        return tr(
            "👥 {name} took you out of the team {team}: its coordinators no longer see your "
            "state, and its duty chat is no longer your contact.",
            name=name,
            team=team,
        )
    if event == "coordinator_removed":
        return tr(
            "👥 {name} removed you as a coordinator of the team {team}: its commands and "
            "buttons no longer work for you.",
            name=name,
            team=team,
        )
    if event == "coordinator_left":
        return tr("👥 {name} is no longer a coordinator of the team {team}.", name=name, team=team)
    if event == "declined_coordinator":
        return tr(
            "{name} declined to become a coordinator of the team {team}.", name=name, team=team
        )
    if event == "duty_chat_set":
        return tr(
            "👥 {name} made the group {chat} the duty chat of the team {team}: it gets every "
            "member's alerts.",
            name=name,
            chat=message.payload.get("chat") or "?",
            team=team,
        )
    if event == "duty_chat_added":
        return tr(
            "👥 The duty chat of your team {team} ({chat}) is now your tier {tier} contact: "
            "it gets your alerts with your last messages and location. /contacts lists it.",
            team=team,
            chat=message.payload.get("chat") or "?",
            tier=message.payload.get("tier") or "2",
        )
    if event == "team_drill":
        return tr(
            "🧪 {coordinator} of “{team}” started a drill: each of your contacts gets a test "
            "alert to confirm, to prove your alerts reach them. Nothing is wrong.",
            coordinator=message.payload.get("by") or "?",
            team=team,
        )
    if event == "drill_confirmed":
        return tr(
            "🧪 {contact} confirmed the drill for {name} ({team}).",
            contact=message.payload.get("contact") or "?",
            name=name,
            team=team,
        )
    if event == "contact_removed_by_coordinator":
        return tr(
            "👥 {coordinator} of “{team}” removed {contact}, whom they had added, from your "
            "contacts.",
            coordinator=message.payload.get("by") or "?",
            team=team,
            contact=message.payload.get("contact") or "?",
        )
    if event == "link_contested":
        # Content-free: nothing about who the second opener was.
        return tr(
            "⚠️ Someone else also opened a link you made for the team {team}. "
            "It stays with the first person who opened it.",
            team=team,
        )
    raise ValueError(f"outbox row {message.id} has an unknown team event")
