"""``/help`` and the command menu Telegram shows beside the text field."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.core.people import Person
from bot.i18n import N_, Translations, Translator
from handlers.sender import identify

logger = logging.getLogger(__name__)

# (command, description): the menu and /help list them in this order. /duress is
# left out on purpose: a captor reading the menu should not learn to ask for it.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("ok", N_("Check in: I am safe")),
    ("sos", N_("Alert my contacts now")),
    ("status", N_("My plan and next deadline")),
    ("timer", N_("Time one risky errand, e.g. /timer 2h summons")),
    ("every", N_("Check in at least every…, e.g. /every 12h")),
    ("at", N_("Check in at fixed times, e.g. /at 09:00 21:00")),
    ("tz", N_("Set your time zone, e.g. /tz Asia/Ashgabat")),
    ("grace", N_("How long to wait after a missed check-in")),
    ("remind", N_("Remind me before a deadline, or off")),
    ("pause", N_("Pause for a while, e.g. /pause 3d")),
    ("resume", N_("End a pause now")),
    ("invite", N_("Invite a contact: /invite 1 or /invite 2")),
    ("contacts", N_("My contacts")),
    ("ask", N_("Ask someone I watch over: are you OK?")),
    ("asks", N_("Let my contacts ask if I am OK: on or off")),
    ("instructions", N_("Leave instructions for my contacts")),
    ("drill", N_("Send my contacts a test alert")),
    ("leave", N_("Stop being someone's contact")),
    ("pin", N_("Set a PIN for check-ins and changes")),
    ("discreet", N_("Delete check-ins from this chat after a while")),
    ("wipe", N_("Delete this chat and what I kept")),
    ("forget", N_("Delete everything about me")),
    ("lang", N_("Language: en, ru, tk")),
    ("help", N_("What this bot does")),
)
# In a group chat only a group that is someone's contact can do anything: ask, leave.
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("ask", N_("Ask someone I watch over: are you OK?")),
    ("leave", N_("Stop being someone's contact")),
)
# Someone who is only a contact: what they can do, and how to start watching themselves.
CONTACT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("ask", N_("Ask someone I watch over: are you OK?")),
    ("leave", N_("Stop being someone's contact")),
    ("start", N_("Set up check-ins for myself")),
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


def menu(tr: Translator, commands: tuple[tuple[str, str], ...] = COMMANDS) -> list[BotCommand]:
    """Return a command menu (private chats' by default) in one language."""
    return [BotCommand(name, tr(description)) for name, description in commands]


async def publish_menus(bot: Bot, translations: Translations) -> None:
    """Set the menus of private and group chats in every language; a failure costs the menu.

    Telegram shows the menu of the phone's interface language. It has no Turkmen
    interface, so a person who chose Turkmen (or any language their phone is
    not in) gets their chat's own menu: see :func:`publish_chat_menu`.
    """
    private, groups = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()
    try:
        for tr in translations.all():
            await bot.set_my_commands(menu(tr), scope=private, language_code=tr.language)
            await bot.set_my_commands(
                menu(tr, GROUP_COMMANDS), scope=groups, language_code=tr.language
            )
        english = translations["en"]
        await bot.set_my_commands(menu(english), scope=private)
        await bot.set_my_commands(menu(english, GROUP_COMMANDS), scope=groups)
    except TelegramError as error:
        logger.warning("could not publish the command menu: %s", type(error).__name__)


def refresh_chat_menu(context: BotContext, person: Person) -> None:
    """Give the person's private chat the menu of what they can do, in their language.

    Called when the language or the role changes. It runs beside the reply (PTB
    awaits it when stopping), so no answer waits for a call to Telegram.
    """
    context.application.create_task(_publish_chat_menu(context, person), name="chat menu")


async def _publish_chat_menu(context: BotContext, person: Person) -> None:
    """Coordinators see the team commands too; someone who is only a contact sees
    what a contact can do. A failure only costs the menu."""
    services = context.services
    teams = services.teams
    commands: tuple[tuple[str, str], ...] = COMMANDS
    if await teams.coordinated_by(person):
        commands = COMMANDS + TEAM_COMMANDS
    elif not await services.people.is_watched(person.telegram_user_id) and (
        await services.contacts.watched_from(person.telegram_user_id)
    ):
        commands = CONTACT_COMMANDS
    if teams.is_admin(person):
        commands = (*commands, NEW_TEAM)
    tr = services.translations[person.language]
    scope = BotCommandScopeChat(person.telegram_user_id)
    try:
        await context.bot.set_my_commands(menu(tr, commands), scope=scope)
    except TelegramError as error:
        logger.warning("could not set a chat's command menu: %s", type(error).__name__)


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
    intro += " " + tr("I mark what I keep with ✍.")
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
