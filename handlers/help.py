"""``/help`` and the command menu Telegram shows beside the text field."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.i18n import N_, Translator
from handlers.sender import identify

# (command, description): the menu and /help list them in this order. /duress is
# left out on purpose: a captor reading the menu should not learn to ask for it.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("ok", N_("Check in: I am safe")),
    ("every", N_("Check in at least every…, e.g. /every 12h")),
    ("at", N_("Check in at fixed times, e.g. /at 09:00 21:00")),
    ("tz", N_("Set your time zone, e.g. /tz Asia/Ashgabat")),
    ("grace", N_("How long to wait after a missed check-in")),
    ("remind", N_("Remind me before a deadline, or off")),
    ("pause", N_("Pause for a while, e.g. /pause 3d")),
    ("resume", N_("End a pause now")),
    ("sos", N_("Alert my contacts now")),
    ("invite", N_("Invite a contact: /invite 1 or /invite 2")),
    ("contacts", N_("My contacts")),
    ("drill", N_("Send my contacts a test alert")),
    ("leave", N_("Stop being someone's contact")),
    ("pin", N_("Set a PIN for check-ins and changes")),
    ("discreet", N_("Delete check-ins from this chat after a while")),
    ("wipe", N_("Delete this chat and what I kept")),
    ("forget", N_("Delete everything about me")),
    ("status", N_("My plan and next deadline")),
    ("instructions", N_("Leave instructions for my contacts")),
    ("lang", N_("Language: en, ru, tk")),
    ("help", N_("What this bot does")),
)


# Listed in /help only for those who may use them: a coordinator (and an admin, who
# creates teams); everyone else never learns of them.
TEAM_COMMANDS: tuple[tuple[str, str], ...] = (
    ("team", N_("Your team at a glance, kept up to date")),
    ("coordinator", N_("A one-time link for another coordinator of your team")),
    ("enrol", N_("A one-time link for an activist to join your team")),
    ("dutychat", N_("Make a group your team's duty chat")),
    ("audit", N_("What changed in your team, newest first")),
)
LEAVE_TEAM = ("leaveteam", N_("Leave a team that looks after you"))
NEW_TEAM = ("newteam", N_("Create a team, e.g. /newteam Human Rights Centre"))


def menu(tr: Translator) -> list[BotCommand]:
    """Return the command menu in one language."""
    return [BotCommand(name, tr(description)) for name, description in COMMANDS]


def help_text(
    tr: Translator, *, coordinator: bool = False, admin: bool = False, member: bool = False
) -> str:
    """Return /help: everyone's commands, then the team commands this person may use."""
    intro = tr(
        "I watch over you. Promise to check in on a schedule; if you miss a check-in, "
        "I prompt you, and when the grace time is over your contacts are alerted with "
        "your last messages and location. Anything you send me that is not a command "
        "is kept for them."
    )
    commands = list(COMMANDS)
    if member:
        commands.append(LEAVE_TEAM)
    team = [*((NEW_TEAM,) if admin else ()), *(TEAM_COMMANDS if coordinator else ())]
    text = intro + "\n\n" + "\n".join(f"/{name} — {tr(text)}" for name, text in commands)
    if team:
        text += "\n\n" + tr("For coordinators:") + "\n"
        text += "\n".join(f"/{name} — {tr(description)}" for name, description in team)
    return text


async def show_help(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    teams = context.services.teams
    text = help_text(
        sender.tr,
        coordinator=bool(await teams.coordinated_by(sender.person)),
        admin=teams.is_admin(sender.person),
        member=bool(await teams.teams_of_member(sender.person)),
    )
    await sender.message.reply_text(text)


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("help", show_help, filters=filters.ChatType.PRIVATE)
