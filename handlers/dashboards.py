"""``/team``: the coordinator's dashboard of a team, edited in place, and each member's card.

A dashboard shows state only: who is fine, late or alerting, deadlines, check-in
ages, contacts' reachability, who took an alert. Never what an activist wrote,
where they were or their instructions (DESIGN §2, invariant 5).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.callbacks import Action, Callback, encode
from bot.context import BotContext
from bot.core.contacts import ContactStatus
from bot.core.dashboards import MemberRow
from bot.core.people import Person
from bot.core.plans import IntervalPlan, Plan
from bot.core.teams import Team
from bot.core.watches import WatchState
from bot.i18n import Translator, to_minutes
from bot.notices import reason_of
from bot.services.asks import AskProblem, AskSent
from bot.services.teams import (
    DUTY_TIER_CHOICES,
    GRACE_CHOICES,
    PLAN_CHOICES,
    REMINDER_CHOICES,
    Dashboard,
    MemberCard,
    TeamProblem,
)
from handlers.asks import told
from handlers.help import refresh_chat_menu
from handlers.phrases import describe_plan
from handlers.sender import Sender

logger = logging.getLogger(__name__)

# Rows a dashboard lists (the most urgent first): Telegram's 4,096 characters
# hold about this many, and a keyboard at most 100 buttons.
SHOWN_ROWS = 24

_SYMBOLS = {
    WatchState.UNARMED: "⚪",
    WatchState.OK: "🟢",
    WatchState.DUE: "⏳",
    WatchState.OVERDUE: "🔴",
    WatchState.PAUSED: "⏸",
    WatchState.SOS: "🆘",
}


def not_available(tr: Translator) -> str:
    return tr("This is not available to you.")


def _symbol(row: MemberRow) -> str:
    return "🚨" if row.alert is not None else _SYMBOLS[row.state]


def _details(tr: Translator, row: MemberRow, zone: str, now: datetime) -> list[str]:
    """Return the lines under a member's name: deadline, last check-in, contacts, alert."""
    if row.state is WatchState.PAUSED and row.paused_until is not None:
        when = tr("paused until {moment}", moment=tr.moment(row.paused_until, zone))
    elif row.state is WatchState.SOS:
        when = tr("raised the alarm")
    elif row.deadline_at is None:
        when = tr("no check-in plan yet")
    elif row.deadline_at <= now:
        when = tr("missed the check-in due {moment}", moment=tr.moment(row.deadline_at, zone))
    else:
        when = tr(
            "next check-in by {moment} (in {left})",
            moment=tr.moment(row.deadline_at, zone),
            left=tr.duration(to_minutes(row.deadline_at - now)),
        )
    last = (
        tr("last check-in {ago}", ago=tr.ago(now - row.last_checkin_at))
        if row.last_checkin_at is not None
        else tr("no check-in yet")
    )
    contacts = tr(
        "contacts reachable: {reachable} of {total}", reachable=row.reachable, total=row.contacts
    )
    lines = [when, f"{last} · {contacts}"]
    if row.alert is not None and row.alert_since is not None:
        alert = tr(
            "alert since {moment}: {reason}",
            moment=tr.moment(row.alert_since, zone),
            reason=reason_of(tr, row.alert.value),
        )
        taken = (
            tr("taken by {contact}", contact=row.taken_by)
            if row.taken_by is not None
            else tr("nobody has taken it yet")
        )
        lines.append(f"{alert}; {taken}")
    return lines


def render_dashboard(
    tr: Translator, board: Dashboard, zone: str, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the dashboard's text and buttons: a button per member shown, then 🔄."""
    team = board.team
    lines = [
        tr.plural(
            "👥 “{team}”: {count} member",
            "👥 “{team}”: {count} members",
            len(board.rows),
            team=team.name,
        ),
        "",
    ]
    shown = board.rows[:SHOWN_ROWS]
    for row in shown:
        lines.append(f"{_symbol(row)} {row.name}")
        lines += [f"    {line}" for line in _details(tr, row, zone, now)]
    if not board.rows:
        lines.append(tr("No members yet. /enrol gives a link for an activist to join."))
    if len(board.rows) > len(shown):
        lines.append(tr("… and {count} more.", count=len(board.rows) - len(shown)))
    lines += ["", tr("Updated {moment}.", moment=tr.moment(now, zone))]
    names = [
        InlineKeyboardButton(
            f"{_symbol(row)} {row.name}"[:60],
            callback_data=encode(Action.MEMBER_CARD, team.id, row.person_id),
        )
        for row in shown
    ]
    keyboard = [names[start : start + 2] for start in range(0, len(names), 2)]
    keyboard.append(
        [
            InlineKeyboardButton(tr("🔄 Refresh"), callback_data=encode(Action.DASHBOARD, team.id)),
            InlineKeyboardButton(
                tr("🧪 Drill everyone"), callback_data=encode(Action.TEAM_DRILL, team.id)
            ),
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton(
                tr("⚙️ Settings"), callback_data=encode(Action.TEAM_SETTINGS, team.id)
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def _drill_line(tr: Translator, card: MemberCard, zone: str) -> str:
    """Return the latest drill: when, by whom, who confirmed it and who not yet."""
    outcome = card.drill
    if outcome is None:
        return tr("No drill yet: 🧪 proves that the alerts reach every contact.")
    names = {contact.id: contact.display_name for contact in card.contacts}
    confirmed = [
        tr("{contact} at {moment}", contact=names[contact_id], moment=tr.moment(at, zone))
        for contact_id, at in outcome.confirmed.items()
        if at is not None and contact_id in names
    ]
    waiting = [
        names[contact_id]
        for contact_id, at in outcome.confirmed.items()
        if at is None and contact_id in names
    ]
    line = tr(
        "Last drill {moment}, by {who}.",
        moment=tr.moment(outcome.drill.created_at, zone),
        who=card.drill_by or "?",
    )
    if confirmed:
        line += " " + tr("Confirmed: {names}.", names=", ".join(confirmed))
    if waiting:
        line += " " + tr("Not yet: {names}.", names=", ".join(waiting))
    return line


def render_card(
    tr: Translator, card: MemberCard, zone: str, now: datetime, reader: Person
) -> tuple[str, InlineKeyboardMarkup]:
    """Return a member's card: state, plan, contacts; buttons to invite contacts, and back."""
    row = card.row
    lines = [f"{_symbol(row)} {row.name} · “{card.team.name}”"]
    lines += _details(tr, row, zone, now)
    watch = card.watch
    if watch is not None:
        lines += [
            "",
            tr("Plan: {plan}", plan=describe_plan(watch, tr)),
            tr("Time zone: {zone}", zone=watch.zone),
            tr("Grace: {grace}", grace=tr.duration(watch.grace)),
            tr(
                "Reminders: {reminders}",
                reminders=", ".join(tr.duration(r) for r in watch.reminders) or tr("none"),
            ),
        ]
    lines += ["", tr("Contacts:")]
    for contact in card.contacts:
        reach = (
            tr("can be reached")
            if contact.status is ContactStatus.ACTIVE
            else tr("⚠️ cannot be reached")
        )
        line = tr(
            "• {name}: tier {tier}, {reach}",
            name=contact.display_name,
            tier=contact.tier,
            reach=reach,
        )
        if contact.duty_of is not None:
            line += " " + tr("(the team's duty chat)")
        elif contact.added_by is not None:
            line += " " + tr(
                "(added by {coordinator})", coordinator=card.added_by.get(contact.added_by, "?")
            )
        lines.append(line)
    if not card.contacts:
        lines.append(tr("none yet"))
    lines += ["", _drill_line(tr, card, zone)]
    pair = (card.team.id, row.person_id)
    # The reader may remove the contacts they added themselves.
    removable = [
        [
            InlineKeyboardButton(
                tr("🗑 Remove {name}", name=contact.display_name)[:60],
                callback_data=encode(Action.CARD_REMOVE_CONTACT, contact.id, card.team.id),
            )
        ]
        for contact in card.contacts
        if contact.added_by == reader.id
    ]
    keyboard = [
        *removable,
        [
            InlineKeyboardButton(
                tr("❓ Are you OK?"), callback_data=encode(Action.CARD_ASK, *pair)
            ),
            InlineKeyboardButton(tr("🧪 Drill"), callback_data=encode(Action.CARD_DRILL, *pair)),
        ],
        [
            InlineKeyboardButton(
                tr("👤 Invite tier 1"), callback_data=encode(Action.CARD_INVITE_TIER_1, *pair)
            ),
            InlineKeyboardButton(
                tr("👥 Invite tier 2"), callback_data=encode(Action.CARD_INVITE_TIER_2, *pair)
            ),
        ],
        [
            InlineKeyboardButton(
                tr("🚪 Take out of the team"),
                callback_data=encode(Action.CARD_REMOVE_MEMBER, *pair),
            )
        ],
        [
            InlineKeyboardButton(
                tr("↩️ Back to the team"), callback_data=encode(Action.DASHBOARD, card.team.id)
            )
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


async def zone_of(context: BotContext, person: Person) -> str:
    """Return the time zone ``person`` reads times in (one read of their watch)."""
    return (await context.services.checkins.watch_of(person)).zone


async def send_dashboard(sender: Sender, context: BotContext, team_id: int) -> None:
    """Send a fresh dashboard of the team and keep that message up to date."""
    tr = sender.tr
    teams = context.services.teams
    board = await teams.dashboard(sender.person, team_id)
    if isinstance(board, TeamProblem):
        await sender.message.reply_text(not_available(tr))
        return
    now = context.services.clock.now()
    text, markup = render_dashboard(tr, board, await zone_of(context, sender.person), now)
    sent = await sender.message.reply_text(text, reply_markup=markup)
    await teams.remember_dashboard(sender.person, team_id, sent.chat.id, sent.message_id, board)


async def show_dashboard(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🔄 (or a team chosen, or ↩️ from a card): show the dashboard in the pressed message."""
    tr = sender.tr
    teams = context.services.teams
    board = await teams.dashboard(sender.person, callback.target)
    if isinstance(board, TeamProblem):
        await _edit(sender.message, not_available(tr), None)
        return
    now = context.services.clock.now()
    text, markup = render_dashboard(tr, board, await zone_of(context, sender.person), now)
    await _edit(sender.message, text, markup)
    # The pressed message is the one kept up to date from now on.
    await teams.remember_dashboard(
        sender.person, callback.target, sender.message.chat.id, sender.message.message_id, board
    )


async def _card_of(callback: Callback, sender: Sender, context: BotContext) -> MemberCard | None:
    """Return the card a button (team, member) is about, or answer "not available"."""
    card = (
        TeamProblem.NOT_AVAILABLE
        if callback.extra is None
        else await context.services.teams.member_card(
            sender.person, callback.target, callback.extra
        )
    )
    if isinstance(card, TeamProblem):
        await sender.message.reply_text(not_available(sender.tr))
        return None
    return card


async def show_card(callback: Callback, sender: Sender, context: BotContext) -> None:
    """A member's button: their card, in a message of its own."""
    tr = sender.tr
    card = await _card_of(callback, sender, context)
    if card is None:
        return
    now = context.services.clock.now()
    text, markup = render_card(tr, card, await zone_of(context, sender.person), now, sender.person)
    await sender.message.reply_text(text, reply_markup=markup)


async def invite_for_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """An invite button on a card: a one-time link making its opener the member's contact."""
    tr = sender.tr
    tier = 1 if callback.action is Action.CARD_INVITE_TIER_1 else 2
    made = (
        None
        if callback.extra is None
        else await context.services.contacts.invite_for_member(
            sender.person, callback.target, callback.extra, tier
        )
    )
    if made is None:
        await sender.message.reply_text(not_available(tr))
        return
    invitation, member = made
    link = f"https://t.me/{context.bot.username}?start={invitation.code}"
    await sender.message.reply_text(
        tr(
            "A one-time link that makes its opener a tier {tier} contact of {name}. Send it "
            "to that person only: they see that you ask for {name}, and accept; {name} is "
            "told. It works once, for whoever opens it first, until {expires}.\n\n{link}",
            tier=tier,
            name=member.display_name,
            expires=tr.moment(invitation.expires_at, await zone_of(context, sender.person)),
            link=link,
        ),
        # A link preview would fetch the page: keep the code between us and Telegram.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def remove_for_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🗑 on a card: remove a contact the presser added for the member."""
    tr = sender.tr
    removed = (
        None
        if callback.extra is None
        else await context.services.contacts.remove_for_member(
            sender.person, callback.extra, callback.target
        )
    )
    if removed is None:
        await sender.message.reply_text(not_available(tr))
        return
    await sender.message.reply_text(
        tr(
            "{contact} is no longer a contact: they get no more alerts. The activist is told.",
            contact=removed.display_name,
        )
    )


async def ask_remove_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🚪 on a card: ask before taking the member out of the team."""
    tr = sender.tr
    card = await _card_of(callback, sender, context)
    if card is None:
        return
    button = InlineKeyboardButton(
        tr("🚪 Yes, take {name} out", name=card.row.name)[:60],
        callback_data=encode(Action.CARD_REMOVE_MEMBER_GO, card.team.id, card.row.person_id),
    )
    await sender.message.reply_text(
        tr(
            "Take {name} out of “{team}”? Its coordinators will no longer see their state, "
            "and the duty chat will no longer be their contact; their own contacts stay.",
            name=card.row.name,
            team=card.team.name,
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def remove_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """The confirmation: take the member out of the team; the question goes."""
    tr = sender.tr
    removed = (
        TeamProblem.NOT_AVAILABLE
        if callback.extra is None
        else await context.services.teams.remove_member(
            sender.person, callback.target, callback.extra
        )
    )
    if isinstance(removed, TeamProblem):
        await sender.message.reply_text(not_available(tr))
        return
    await _edit(
        sender.message,
        tr(
            "{name} is no longer in the team: coordinators no longer see their state. "
            "They are told.",
            name=removed.display_name,
        ),
        None,
    )


async def ask_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """❓ on a card: ask the member whether they are OK, as a contact's /ask does."""
    tr = sender.tr
    asks = context.services.asks
    outcome = (
        AskProblem.NOT_WATCHING
        if callback.extra is None
        else await asks.ask_as_coordinator(sender.person, callback.target, callback.extra)
    )
    if outcome is AskProblem.NOT_WATCHING:
        await sender.message.reply_text(not_available(tr))
        return
    name = outcome.name if isinstance(outcome, AskSent) else "?"
    if not isinstance(outcome, AskSent):
        card = await context.services.teams.member_card(
            sender.person, callback.target, callback.extra or 0
        )
        name = card.row.name if isinstance(card, MemberCard) else name
    await sender.message.reply_text(told(tr, outcome, name, context.services.clock.now()))


async def drill_member(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🧪 on a card: a test alert to each of the member's reachable contacts."""
    tr = sender.tr
    started = (
        None
        if callback.extra is None
        else await context.services.contacts.drill_for_team(
            sender.person, callback.target, callback.extra
        )
    )
    if not started:
        await sender.message.reply_text(not_available(tr))
        return
    ((member, count),) = started
    if count == 0:
        text = tr(
            "{name} has no contact who can be reached: no drill was sent.", name=member.display_name
        )
    else:
        text = tr.plural(
            "🧪 A test alert went to {count} contact of {name}. You hear as they confirm; "
            "the card shows who did.",
            "🧪 A test alert went to {count} contacts of {name}. You hear as each confirms; "
            "the card shows who did.",
            count,
            name=member.display_name,
        )
    await sender.message.reply_text(text)


async def ask_team_drill(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🧪 on the dashboard: ask before drilling every member's contacts."""
    tr = sender.tr
    board = await context.services.teams.dashboard(sender.person, callback.target)
    if isinstance(board, TeamProblem):
        await sender.message.reply_text(not_available(tr))
        return
    button = InlineKeyboardButton(
        tr("🧪 Yes, drill all {count}", count=len(board.rows)),
        callback_data=encode(Action.TEAM_DRILL_GO, board.team.id),
    )
    await sender.message.reply_text(
        tr(
            "Send a test alert to the contacts of every member of “{team}” ({count})? Each "
            "member is told it is a drill; each contact is asked to confirm.",
            team=board.team.name,
            count=len(board.rows),
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def drill_team(callback: Callback, sender: Sender, context: BotContext) -> None:
    """The confirmation of a team drill: drill every member; say who has no reachable contact."""
    tr = sender.tr
    started = await context.services.contacts.drill_for_team(sender.person, callback.target)
    if started is None:
        await _edit(sender.message, not_available(tr), None)
        return
    asked = sum(count for _, count in started)
    unreachable = [member.display_name for member, count in started if count == 0]
    text = tr(
        "🧪 Test alerts went out: contacts asked: {contacts}; members drilled: {members}.",
        contacts=asked,
        members=len(started) - len(unreachable),
    )
    if unreachable:
        text += "\n" + tr("⚠️ No contact can be reached for: {names}.", names=", ".join(unreachable))
    # The question's button goes: a second press must not drill again.
    await _edit(sender.message, text, None)


def _plan_label(tr: Translator, plan: Plan | None) -> str:
    if plan is None:
        return tr("none: members set their own")
    if isinstance(plan, IntervalPlan):
        return tr("every {duration}", duration=tr.duration(plan.every, accusative=True))
    return tr("daily at {times}", times=", ".join(tr.time_of_day(t) for t in plan.times))


def _grace_label(tr: Translator, grace: timedelta | None) -> str:
    return tr("the bot's default") if grace is None else tr.duration(grace)


def _reminders_label(tr: Translator, reminders: tuple[timedelta, ...] | None) -> str:
    if reminders is None:
        return tr("the bot's default")
    if not reminders:
        return tr("none")
    return tr(
        "{before} before", before=", ".join(tr.duration(r, accusative=True) for r in reminders)
    )


def render_settings(
    tr: Translator, team: Team, coordinators: list[Person], reader: Person
) -> tuple[str, InlineKeyboardMarkup]:
    """Return the team's settings, with a button for each choice (the current one ticked).

    The other coordinators can be removed from here; the reader is not offered to
    remove themselves.
    """
    defaults = team.defaults
    duty = team.duty_chat_name or tr("none yet (/dutychat)")
    text = "\n".join(
        [
            tr("⚙️ Settings of “{team}”", team=team.name),
            "",
            tr("Members who join without a plan of their own get:"),
            tr("Plan: {plan}", plan=_plan_label(tr, defaults.plan)),
            tr("Grace: {grace}", grace=_grace_label(tr, defaults.grace)),
            tr("Reminders: {reminders}", reminders=_reminders_label(tr, defaults.reminders)),
            "",
            tr(
                "Duty chat: {chat}, a tier {tier} contact of every member.",
                chat=duty,
                tier=team.duty_tier,
            ),
            "",
            tr("Coordinators: {names}", names=", ".join(c.display_name for c in coordinators)),
        ]
    )

    def button(label: str, choice: int, chosen: bool) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            ("✓ " if chosen else "") + label,
            callback_data=encode(Action.TEAM_SETTING, team.id, choice),
        )

    plans = [
        button(_plan_label(tr, plan) if plan else tr("no plan"), choice, plan == defaults.plan)
        for choice, plan in PLAN_CHOICES.items()
    ]
    graces = [
        button(
            _grace_label(tr, grace) if grace else tr("default grace"),
            choice,
            grace == defaults.grace,
        )
        for choice, grace in GRACE_CHOICES.items()
    ]
    reminders = [
        button(
            _reminders_label(tr, value) if value is not None else tr("default reminders"),
            choice,
            value == defaults.reminders,
        )
        for choice, value in REMINDER_CHOICES.items()
    ]
    tiers = [
        button(tr("duty chat: tier {tier}", tier=tier), choice, tier == team.duty_tier)
        for choice, tier in DUTY_TIER_CHOICES.items()
    ]
    removals = [
        [
            InlineKeyboardButton(
                tr("🚫 Remove {name}", name=other.display_name)[:60],
                callback_data=encode(Action.TEAM_REMOVE_COORDINATOR, team.id, other.id),
            )
        ]
        for other in coordinators
        if other.id != reader.id
    ]
    keyboard = [
        plans[:2],
        plans[2:],
        graces[:2],
        graces[2:],
        reminders[:2],
        reminders[2:],
        tiers,
        *removals,
    ]
    return text, InlineKeyboardMarkup(keyboard)


async def _settings(
    sender: Sender, context: BotContext, team_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    """Return the team's settings as the presser may see them, or ``None`` without the right."""
    teams = context.services.teams
    team = await teams.team_for(sender.person, team_id)
    coordinators = await teams.coordinators(sender.person, team_id)
    if team is None or coordinators is None:
        return None
    return render_settings(sender.tr, team, coordinators, sender.person)


async def show_settings(callback: Callback, sender: Sender, context: BotContext) -> None:
    """⚙️ on the dashboard: the team's settings, in a message of their own."""
    shown = await _settings(sender, context, callback.target)
    if shown is None:
        await sender.message.reply_text(not_available(sender.tr))
        return
    text, markup = shown
    await sender.message.reply_text(text, reply_markup=markup)


async def remove_coordinator(callback: Callback, sender: Sender, context: BotContext) -> None:
    """🚫 in the settings: remove another coordinator; the settings show the rest."""
    tr = sender.tr
    removed = (
        TeamProblem.NOT_AVAILABLE
        if callback.extra is None
        else await context.services.teams.remove_coordinator(
            sender.person, callback.target, callback.extra
        )
    )
    if removed is TeamProblem.LAST:
        await sender.message.reply_text(tr("A team keeps at least one coordinator."))
        return
    if isinstance(removed, TeamProblem):
        await sender.message.reply_text(not_available(tr))
        return
    await sender.message.reply_text(
        tr(
            "{name} is no longer a coordinator of the team; they are told.",
            name=removed.display_name,
        )
    )
    # Their chat's menu loses the team commands, unless they coordinate another team.
    refresh_chat_menu(context, removed)
    shown = await _settings(sender, context, callback.target)
    if shown is not None:
        await _edit(sender.message, *shown)


async def change_setting(callback: Callback, sender: Sender, context: BotContext) -> None:
    """A choice among the settings: apply it, and show the settings as they are now."""
    team = (
        TeamProblem.NOT_AVAILABLE
        if callback.extra is None
        else await context.services.teams.change_setting(
            sender.person, callback.target, callback.extra
        )
    )
    shown = None if isinstance(team, TeamProblem) else await _settings(sender, context, team.id)
    if shown is None:
        await _edit(sender.message, not_available(sender.tr), None)
        return
    await _edit(sender.message, *shown)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    # "Not modified" (pressed twice in a row) is as good as done.
    with contextlib.suppress(BadRequest):
        await message.edit_text(text, reply_markup=markup)


async def keep_dashboards(context: BotContext) -> None:
    """Edit each open dashboard whose team changed (at most once per 5 s each)."""
    services = context.services
    teams = services.teams
    try:
        due = await teams.dashboards_to_edit()
    except Exception:
        logger.exception("could not read the dashboards; the next round tries again")
        return
    for message, board in due:
        tr = services.translations[board.coordinator.language]
        zone = await zone_of(context, board.coordinator)
        text, markup = render_dashboard(tr, board, zone, services.clock.now())
        try:
            await context.bot.edit_message_text(
                text, chat_id=message.chat_id, message_id=message.message_id, reply_markup=markup
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                # Deleted, or too old to edit: /team sends a new one.
                logger.info("dashboard %s can no longer be edited; dropped", message.id)
                await teams.forget_dashboard(message.id)
                continue
        except Forbidden:
            await teams.forget_dashboard(message.id)
            continue
        except TelegramError as error:
            # Flood control or the network: the next round tries again.
            logger.warning("could not edit dashboard %s: %s", message.id, type(error).__name__)
            continue
        teams.dashboard_shown(message, board)
