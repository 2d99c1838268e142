"""Teams: ``/newteam``, ``/coordinator``, ``/enrol``, ``/team``, ``/audit``, ``/leaveteam``, links.

Anyone without the right (a stranger, a contact, a removed coordinator, a member
asking for coordinators' things) gets one answer, "not available", and learns
nothing about any team. Every button asks the service for the presser's rights
again: a button outlives the right it was made for.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import TEAM_ACTIONS, Action, Callback, decode, encode
from bot.context import BotContext
from bot.core.gated import LeaveTeam, Unlock
from bot.core.teams import AuditEntry, AuditEvent, Team, TeamLinkKind
from bot.i18n import Translator
from bot.notices import reason_of
from bot.services.teams import AUDIT_PAGE, Joined, TeamInvitation, TeamProblem
from handlers.dashboards import (
    ask_member,
    ask_remove_member,
    ask_team_drill,
    change_setting,
    drill_member,
    drill_team,
    invite_for_member,
    remove_coordinator,
    remove_for_member,
    remove_member,
    send_dashboard,
    show_card,
    show_dashboard,
    show_settings,
    zone_of,
)
from handlers.gate import run_gated
from handlers.help import refresh_chat_menu
from handlers.phrases import describe_plan
from handlers.sender import Sender, identify, translator_for

logger = logging.getLogger(__name__)


def _not_available(tr: Translator) -> str:
    return tr("This is not available to you.")


async def new_team(update: Update, context: BotContext) -> None:
    """``/newteam <name>``: an admin creates a team and becomes its first coordinator."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    teams = context.services.teams
    if not teams.is_admin(sender.person):
        await sender.message.reply_text(_not_available(tr))
        return
    example = tr("For example: /newteam Human Rights Centre")
    if not sender.argument:
        await sender.message.reply_text(tr("Give the team a name.") + "\n" + example)
        return
    team = await teams.create_team(sender.person, sender.argument)
    if isinstance(team, TeamProblem):
        await sender.message.reply_text(
            tr("A team's name is 1 to 64 characters long.") + "\n" + example
        )
        return
    refresh_chat_menu(context, sender.person)
    await sender.message.reply_text(
        tr(
            "👥 The team “{team}” is created and you are its coordinator.\n\n"
            "/enrol gives a one-time link for an activist to join it.\n"
            "/coordinator gives a one-time link for another coordinator.\n"
            "/audit shows what changed in the team.",
            team=team.name,
        )
    )


async def _choose_team(sender: Sender, context: BotContext, action: Action) -> Team | None:
    """Return the one team the coordinator has, or offer buttons to choose one."""
    tr = sender.tr
    teams = await context.services.teams.coordinated_by(sender.person)
    if not teams:
        await sender.message.reply_text(_not_available(tr))
        return None
    if len(teams) == 1:
        return teams[0]
    buttons = [
        [InlineKeyboardButton(team.name, callback_data=encode(action, team.id))] for team in teams
    ]
    await sender.message.reply_text(tr("Which team?"), reply_markup=InlineKeyboardMarkup(buttons))
    return None


# The buttons that choose a team for each kind of link, when one has several.
_LINK_BUTTONS = {
    TeamLinkKind.COORDINATOR: Action.TEAM_COORDINATOR_LINK,
    TeamLinkKind.MEMBER: Action.TEAM_MEMBER_LINK,
    TeamLinkKind.DUTY_CHAT: Action.TEAM_DUTY_LINK,
}


def _link_command(kind: TeamLinkKind) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """Return the command that gives a coordinator a team link of ``kind``.

    ``/coordinator``: its opener becomes a coordinator; ``/enrol``: its opener may
    join as an activist; ``/dutychat``: the group it adds the bot to may become
    the team's duty chat.
    """

    async def command(update: Update, context: BotContext) -> None:
        sender = await identify(update, context)
        if sender is None:
            return
        team = await _choose_team(sender, context, _LINK_BUTTONS[kind])
        if team is not None:
            await _send_link(sender, context, team.id, kind)

    return command


async def _send_link(sender: Sender, context: BotContext, team_id: int, kind: TeamLinkKind) -> None:
    tr = sender.tr
    invitation = await context.services.teams.make_link(sender.person, team_id, kind)
    if isinstance(invitation, TeamProblem):
        await sender.message.reply_text(_not_available(tr))
        return
    await sender.message.reply_text(
        _link_text(tr, invitation, await zone_of(context, sender.person), context.bot.username),
        # A link preview would fetch the page: keep the code between us and Telegram.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def _link_text(tr: Translator, invitation: TeamInvitation, zone: str, username: str) -> str:
    link = f"https://t.me/{username}?start={invitation.code}"
    group_link = f"https://t.me/{username}?startgroup={invitation.code}"
    expires = tr.moment(invitation.expires_at, zone)
    if invitation.kind is TeamLinkKind.DUTY_CHAT:
        return tr(
            "Open this link and choose your team's group: I join it, and you (or another "
            "coordinator of “{team}”) confirm there that it becomes the duty chat. Every alert "
            "about the team's activists will then come to that group too. The link works "
            "once, until {expires}.\n\n{link}",
            team=invitation.team.name,
            expires=expires,
            link=group_link,
        )
    if invitation.kind is TeamLinkKind.COORDINATOR:
        return tr(
            "A one-time link that makes its opener a coordinator of “{team}”. Send it to that "
            "person only: it works once, for whoever opens it first, until {expires}.\n\n{link}",
            team=invitation.team.name,
            expires=expires,
            link=link,
        )
    return tr(
        "A one-time link for an activist to join “{team}”. They will see what coordinators "
        "can see and decide. It works once, for whoever opens it first, until {expires}."
        "\n\n{link}",
        team=invitation.team.name,
        expires=expires,
        link=link,
    )


async def open_team_link(update: Update, context: BotContext) -> None:
    """``/start <team code>`` in a private chat: offer to coordinate or to join a team."""
    sender = await identify(update, context)
    chat = update.effective_chat
    if sender is None or chat is None or not context.args:
        return
    tr = sender.tr
    services = context.services
    if not services.flood.allow_invite_attempt(
        sender.person.telegram_user_id, services.clock.now()
    ):
        logger.warning("too many team link codes tried by one user; refusing for now")
        await sender.message.reply_text(tr("Too many attempts. Try again in an hour."))
        return
    offer = await services.teams.open_link(context.args[0], sender.person.telegram_user_id, chat.id)
    if isinstance(offer, TeamProblem):
        await sender.message.reply_text(
            tr(
                "This invitation link is not valid: it may have expired or been used already. "
                "Ask the person who sent it for a new one."
            )
        )
        return
    if offer.kind is TeamLinkKind.DUTY_CHAT:
        text = tr(
            "Make this group the duty chat of the team “{team}”? Every alert about the team's "
            "activists (missed check-ins, SOS, possible coercion, wrong PINs) will come here "
            "with their last messages and location, as to any of their contacts. Only a "
            "coordinator of the team can decide.",
            team=offer.team_name,
        )
    elif offer.kind is TeamLinkKind.COORDINATOR:
        text = tr(
            "{inviter} invites you to be a coordinator of the team “{team}”.\n\n"
            "Coordinators see whether the team's activists are fine, overdue or alerting, "
            "their deadlines and check-in times, and their contacts' names and whether they "
            "can be reached; never their messages or location. Do you accept?",
            inviter=offer.inviter_name,
            team=offer.team_name,
        )
    else:
        text = tr(
            "{inviter} invites you to join the team “{team}”.\n\n"
            "Its coordinators will see whether you are fine, overdue or alerting, your "
            "deadlines and check-in times, and your contacts' names and whether they can be "
            "reached. They may add contacts for you: you are told, and you can remove them.\n\n"
            "They never see your messages or your location, except inside an alert they "
            "receive as your contact.\n\nDo you accept?",
            inviter=offer.inviter_name,
            team=offer.team_name,
        )
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("✅ Accept"), callback_data=encode(Action.ACCEPT_TEAM, offer.link_id)
                )
            ],
            [
                InlineKeyboardButton(
                    tr("Decline"), callback_data=encode(Action.DECLINE_TEAM, offer.link_id)
                )
            ],
        ]
    )
    await sender.message.reply_text(text, reply_markup=buttons)


async def team(update: Update, context: BotContext) -> None:
    """``/team``: the team at a glance, kept up to date in place."""
    sender = await identify(update, context)
    if sender is None:
        return
    chosen = await _choose_team(sender, context, Action.DASHBOARD)
    if chosen is not None:
        await send_dashboard(sender, context, chosen.id)


async def audit(update: Update, context: BotContext) -> None:
    """``/audit``: the latest events of the coordinator's team, newest first."""
    sender = await identify(update, context)
    if sender is None:
        return
    team = await _choose_team(sender, context, Action.AUDIT)
    if team is not None:
        text, markup = await _audit_page(sender, context, team.id, None)
        await sender.message.reply_text(text, reply_markup=markup)


async def _audit_page(
    sender: Sender, context: BotContext, team_id: int, before_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    tr = sender.tr
    teams = context.services.teams
    team = await teams.team_for(sender.person, team_id)
    page = await teams.audit(sender.person, team_id, before_id)
    if team is None or isinstance(page, TeamProblem):
        return _not_available(tr), None
    zone = await zone_of(context, sender.person)
    lines = [tr("Latest events of “{team}”:", team=team.name), ""]
    lines += [f"{tr.moment(e.created_at, zone)} · {_describe(tr, e)}" for e in page]
    if not page:
        lines.append(tr("No events."))
    markup = None
    if len(page) == AUDIT_PAGE:
        older = InlineKeyboardButton(
            tr("Older"), callback_data=encode(Action.AUDIT_OLDER, page[-1].id)
        )
        markup = InlineKeyboardMarkup([[older]])
    return "\n".join(lines), markup


def _describe(tr: Translator, entry: AuditEntry) -> str:
    """Return one line of the trail: who did what, in the reader's language."""
    subject = entry.subject or "?"
    actor = entry.actor or "?"
    if entry.event is AuditEvent.TEAM_CREATED:
        return tr("{actor} created the team", actor=actor)
    if entry.event is AuditEvent.COORDINATOR_ADDED:
        return tr(
            "{subject} became a coordinator (link from {actor})", subject=subject, actor=actor
        )
    if entry.event is AuditEvent.MEMBER_REMOVED:
        return tr("{actor} took {subject} out of the team", actor=actor, subject=subject)
    if entry.event is AuditEvent.COORDINATOR_REMOVED:
        return tr("{actor} removed {subject} as a coordinator", actor=actor, subject=subject)
    if entry.event is AuditEvent.JOINED:
        return tr("{subject} joined (link from {actor})", subject=subject, actor=actor)
    if entry.event is AuditEvent.DUTY_CHAT_SET:
        return tr(
            "{actor} made the group {chat} the duty chat",
            actor=actor,
            chat=entry.detail.get("chat", "?"),
        )
    if entry.event is AuditEvent.LEFT:
        return tr("{subject} left the team", subject=subject)
    if entry.event is AuditEvent.LEAVE_UNDER_DURESS:
        return tr(
            "⚠️ {subject} was made to leave with the duress PIN: still a member, still watched",
            subject=subject,
        )
    reason = reason_of(tr, entry.detail.get("reason"))
    if entry.event is AuditEvent.ALERT_OPENED:
        return tr(
            "🚨 alert about {subject}: {reason}; contacts alerted: {count}",
            subject=subject,
            reason=reason,
            count=entry.detail.get("alerted", "0"),
        )
    if entry.event is AuditEvent.ALERT_ESCALATED:
        return tr(
            "🚨 alert about {subject} escalated to tier 2 ({count})",
            subject=subject,
            count=entry.detail.get("alerted", "0"),
        )
    if entry.event is AuditEvent.ALERT_ACKNOWLEDGED:
        return tr(
            "alert about {subject} taken by {contact}",
            subject=subject,
            contact=entry.detail.get("by", "?"),
        )
    if entry.event is AuditEvent.CONTACT_UNREACHABLE:
        return tr(
            "⚠️ {subject}'s contact {contact} cannot be reached",
            subject=subject,
            contact=entry.detail.get("contact", "?"),
        )
    if entry.event is AuditEvent.ALERT_CLOSED:
        return tr("✅ alert about {subject} closed: checked in", subject=subject)
    if entry.event is AuditEvent.DRILL_STARTED:
        return tr(
            "🧪 {actor} started a drill for {subject} (contacts asked: {count})",
            actor=actor,
            subject=subject,
            count=entry.detail.get("contacts", "0"),
        )
    if entry.event is AuditEvent.DRILL_CONFIRMED:
        return tr(
            "🧪 {contact} confirmed the drill for {subject}",
            contact=entry.detail.get("contact", "?"),
            subject=subject,
        )
    if entry.event is AuditEvent.TEAM_SETTINGS_CHANGED:
        return _setting(tr, actor, entry.detail)
    change = _change(tr, entry)
    if change is None:
        # Events of later features, recorded before this reader knew them.
        return f"{subject}: {entry.event.value}"
    line = tr("{subject}: {change}", subject=subject, change=change)
    if entry.detail.get("under_duress") == "yes":
        line += " " + tr("(⚠️ with the duress PIN: only shown on the phone, not done)")
    return line


def _setting(tr: Translator, actor: str, detail: Mapping[str, str]) -> str:
    """Return a change to the team's settings, as the trail shows it."""
    setting, value = detail.get("setting"), detail.get("value", "?")
    if setting == "duty_tier":
        return tr("{actor} made the duty chat a tier {tier} contact", actor=actor, tier=value)
    if value == "none":
        shown = tr("none")
    elif setting == "plan":
        kind, _, amount = value.partition(":")
        shown = (
            tr("every {duration}", duration=_seconds(tr, amount))
            if kind == "every"
            else tr("daily at {times}", times=amount.replace(",", ", "))
        )
    elif value == "off":
        shown = tr("off")
    else:
        shown = _seconds(tr, value)
    labels = {
        "plan": tr("plan"),
        "grace": tr("grace"),
        "reminders": tr("reminder"),
    }
    return tr(
        "{actor} set the team's default {setting}: {value}",
        actor=actor,
        setting=labels.get(setting or "", "?"),
        value=shown,
    )


def _seconds(tr: Translator, value: str | None) -> str:
    return tr.duration(timedelta(seconds=int(value))) if value and value.isdigit() else "?"


def _change(tr: Translator, entry: AuditEntry) -> str | None:
    """Return what a member changed in their own protection, or ``None`` for other events."""
    detail = entry.detail
    if entry.event is AuditEvent.PLAN_CHANGED:
        kind, _, value = detail.get("plan", "").partition(":")
        if kind == "every":
            return tr("plan set to every {interval}", interval=_seconds(tr, value))
        return tr("plan set to daily at {times}", times=value.replace(",", ", "))
    if entry.event is AuditEvent.ZONE_CHANGED:
        return tr("time zone set to {zone}", zone=detail.get("zone", "?"))
    if entry.event is AuditEvent.GRACE_CHANGED:
        return tr("grace set to {grace}", grace=_seconds(tr, detail.get("seconds")))
    if entry.event is AuditEvent.REMINDERS_CHANGED:
        if detail.get("seconds") == "off":
            return tr("reminders turned off")
        return tr("reminder set to {before} before", before=_seconds(tr, detail.get("seconds")))
    if entry.event is AuditEvent.PAUSED:
        return tr("paused for {duration}", duration=_seconds(tr, detail.get("seconds")))
    if entry.event is AuditEvent.RESUMED:
        return tr("resumed")
    if entry.event is AuditEvent.PIN_SET:
        if detail.get("which") == "duress":
            return tr("duress PIN set")
        return tr("PIN set")
    if entry.event is AuditEvent.PIN_REMOVED:
        return tr("PIN removed")
    if entry.event is AuditEvent.CONTACT_ADDED:
        return tr(
            "{contact} became a tier {tier} contact",
            contact=detail.get("contact", "?"),
            tier=detail.get("tier", "?"),
        )
    if entry.event is AuditEvent.CONTACT_REMOVED:
        if detail.get("left") == "yes":
            return tr("{contact} stopped being a contact", contact=detail.get("contact", "?"))
        return tr("{contact} removed as a contact", contact=detail.get("contact", "?"))
    return None


async def leave_team(update: Update, context: BotContext) -> None:
    """``/leaveteam``: choose a team to leave (the PIN is asked, as for any protection change)."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    teams = await context.services.teams.teams_of_member(sender.person)
    if not teams:
        await sender.message.reply_text(tr("You are not in any team."))
        return
    buttons = [
        [InlineKeyboardButton(team.name, callback_data=encode(Action.LEAVE_TEAM, team.id))]
        for team in teams
    ]
    await sender.message.reply_text(
        tr("Which team do you want to leave? Its coordinators will no longer see your state."),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def perform_leave_team(
    sender: Sender, context: BotContext, action: LeaveTeam, unlock: Unlock
) -> None:
    """Leave the team once unlocked; under duress the phone is shown exactly the same."""
    tr = sender.tr
    team = await context.services.teams.leave(sender.person, action.team_id, unlock)
    if team is None:
        await sender.message.reply_text(tr("You are not in that team."))
        return
    await sender.message.reply_text(
        tr("You left “{team}”. Its coordinators are told.", team=team.name)
    )


async def press(update: Update, context: BotContext) -> None:
    """A team button: parse it, act on it with the presser's current rights, answer."""
    query = update.callback_query
    if query is None:
        return
    callback = decode(query.data)
    # PTB hands a press without any data to every button handler, patterns or not.
    if callback is None or callback.action not in TEAM_ACTIONS or query.message is None:
        tr = await translator_for(context, query.from_user)
        await query.answer(tr("This button no longer works."))
        return
    if query.message.chat.type != ChatType.PRIVATE and callback.action not in _IN_GROUPS:
        # A dashboard, card, trail or setting pressed (forged) in a group would show
        # the team to everyone there: coordinators see their teams in private only.
        tr = await translator_for(context, query.from_user)
        await query.answer(_not_available(tr))
        return
    sender = await identify(update, context)
    if sender is not None:
        await _PRESSES[callback.action](callback, sender, context)
    await query.answer()


# The only team buttons pressed in a group: a duty-chat link's accept and decline.
_IN_GROUPS = frozenset({Action.ACCEPT_TEAM, Action.DECLINE_TEAM})


async def _answer_link(callback: Callback, sender: Sender, context: BotContext) -> None:
    tr = sender.tr
    chat = sender.message.chat
    accept = callback.action is Action.ACCEPT_TEAM
    result = await context.services.teams.answer_link(
        callback.target, sender.person, chat.id, accept=accept, chat_title=chat.title
    )
    if result is TeamProblem.ALREADY:
        text = tr("You are already in this team.")
    elif isinstance(result, TeamProblem):
        text = tr("This invitation is no longer valid.")
    elif result is None:
        text = tr("Declined. Nothing was shared.")
    else:
        text = _joined(tr, result)
        if result.kind is TeamLinkKind.COORDINATOR:
            # The chat's menu gains the team commands.
            refresh_chat_menu(context, sender.person)
        if result.kind is TeamLinkKind.MEMBER:
            adopted = await context.services.checkins.adopt_defaults(
                sender.person, result.team.defaults
            )
            if adopted is not None:
                text += "\n\n" + tr(
                    "You had no plan yet, so the team's applies: check in {plan}. /status "
                    "shows it; you can change it at any time.",
                    plan=describe_plan(adopted, tr),
                )
    await _replace(sender, text)


def _joined(tr: Translator, joined: Joined) -> str:
    if joined.kind is TeamLinkKind.DUTY_CHAT:
        return tr(
            "✅ This group is now the duty chat of “{team}”: alerts about the team's activists "
            "will come here, as their tier {tier} contact. Press “🙋 I'm on it” on an alert "
            "you take.",
            team=joined.team.name,
            tier=joined.team.duty_tier,
        )
    if joined.kind is TeamLinkKind.COORDINATOR:
        return tr(
            "✅ You are now a coordinator of “{team}”. /enrol and /audit work for you now.",
            team=joined.team.name,
        )
    return tr(
        "✅ You joined “{team}”. Its coordinators are told. /leaveteam takes you out again.",
        team=joined.team.name,
    )


async def _replace(sender: Sender, text: str) -> None:
    """Put ``text`` in place of the message whose button was pressed (buttons gone)."""
    with contextlib.suppress(BadRequest):
        await sender.message.edit_text(text, reply_markup=None)


def _link_press(kind: TeamLinkKind) -> Callable[[Callback, Sender, BotContext], Awaitable[None]]:
    """Return what choosing a team for a link of ``kind`` does (rights checked by the service)."""

    async def press(callback: Callback, sender: Sender, context: BotContext) -> None:
        await _send_link(sender, context, callback.target, kind)

    return press


async def _audit_first(callback: Callback, sender: Sender, context: BotContext) -> None:
    text, markup = await _audit_page(sender, context, callback.target, None)
    await sender.message.reply_text(text, reply_markup=markup)


async def _audit_older(callback: Callback, sender: Sender, context: BotContext) -> None:
    team_id = await context.services.teams.team_of_event(callback.target)
    if team_id is None:
        await sender.message.reply_text(_not_available(sender.tr))
        return
    text, markup = await _audit_page(sender, context, team_id, callback.target)
    await sender.message.reply_text(text, reply_markup=markup)


async def _leave(callback: Callback, sender: Sender, context: BotContext) -> None:
    await run_gated(sender, context, LeaveTeam(callback.target), perform_leave_team)


_PRESSES: Mapping[Action, Callable[[Callback, Sender, BotContext], Awaitable[None]]] = {
    Action.ACCEPT_TEAM: _answer_link,
    Action.DECLINE_TEAM: _answer_link,
    **{action: _link_press(kind) for kind, action in _LINK_BUTTONS.items()},
    Action.AUDIT: _audit_first,
    Action.AUDIT_OLDER: _audit_older,
    Action.LEAVE_TEAM: _leave,
    Action.DASHBOARD: show_dashboard,
    Action.MEMBER_CARD: show_card,
    Action.CARD_INVITE_TIER_1: invite_for_member,
    Action.CARD_INVITE_TIER_2: invite_for_member,
    Action.CARD_REMOVE_CONTACT: remove_for_member,
    Action.CARD_DRILL: drill_member,
    Action.CARD_ASK: ask_member,
    Action.TEAM_DRILL: ask_team_drill,
    Action.TEAM_DRILL_GO: drill_team,
    Action.TEAM_SETTINGS: show_settings,
    Action.TEAM_SETTING: change_setting,
    Action.TEAM_REMOVE_COORDINATOR: remove_coordinator,
    Action.CARD_REMOVE_MEMBER: ask_remove_member,
    Action.CARD_REMOVE_MEMBER_GO: remove_member,
}


def build() -> list[BaseHandler[Update, Any, Any]]:
    """Return the team handlers; the link opener must come before other ``/start``s."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    team_code = filters.Regex(r"^/start t[cm][A-Za-z0-9_-]{32}$")
    # In a group, Telegram writes the command with the bot's name: /start@Bot td...
    duty_code = filters.Regex(r"^/start(@[A-Za-z0-9_]+)? td[A-Za-z0-9_-]{32}$")
    return [
        CommandHandler("start", open_team_link, filters=private & team_code, has_args=True),
        CommandHandler("start", open_team_link, filters=groups & duty_code, has_args=True),
        CommandHandler("dutychat", _link_command(TeamLinkKind.DUTY_CHAT), filters=private),
        CommandHandler("newteam", new_team, filters=private),
        CommandHandler("coordinator", _link_command(TeamLinkKind.COORDINATOR), filters=private),
        CommandHandler("enrol", _link_command(TeamLinkKind.MEMBER), filters=private),
        CommandHandler("team", team, filters=private),
        CommandHandler("audit", audit, filters=private),
        CommandHandler("leaveteam", leave_team, filters=private),
        CallbackQueryHandler(press, pattern=f"^({'|'.join(a.value for a in TEAM_ACTIONS)}):"),
    ]
