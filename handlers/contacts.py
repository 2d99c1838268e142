"""Contacts: ``/invite``, opening an invitation (``/start <code>``), ``/contacts``, ``/leave``."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.callbacks import Action, encode
from bot.context import BotContext
from bot.core.contacts import ContactStatus
from bot.core.gated import Invite, RemoveContact, Unlock
from bot.services.contacts import InviteProblem
from handlers.asks import ask_button
from handlers.gate import run_gated
from handlers.sender import Sender, identify

logger = logging.getLogger(__name__)


async def invite(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    argument = sender.argument or "1"
    if argument not in ("1", "2"):
        await sender.message.reply_text(
            tr(
                "Say which tier: /invite 1 for a first contact (alerted when grace ends), "
                "/invite 2 for a second line (alerted later if nobody responds)."
            )
        )
        return
    await run_gated(sender, context, Invite(int(argument)), perform_invite)


async def perform_invite(
    sender: Sender, context: BotContext, action: Invite, unlock: Unlock
) -> None:
    """Give the activist a one-time invitation link.

    Under duress the link looks and opens the same but leads nowhere: whoever
    forced it cannot become a contact and read the alerts meant for the
    activist's people.
    """
    tr = sender.tr
    invitation = await context.services.contacts.invite(sender.person, action.tier, unlock)
    username = context.bot.username
    link = f"https://t.me/{username}?start={invitation.code}"
    # Ready to forward: Telegram's share dialog sends the link with a word of why.
    why = tr(
        "{name} asks you to be their emergency contact on Still Here. Open the link to "
        "read what that means, and to accept or decline.",
        name=sender.person.display_name,
    )
    share = "https://t.me/share/url?" + urlencode({"url": link, "text": why}, quote_via=quote)
    button = InlineKeyboardButton(tr("📤 Send it to a colleague"), url=share)
    await sender.message.reply_text(
        tr(
            "Send this link to the person you want as your tier {tier} contact. It works once "
            "and expires {expires}.\n\n{link}\n\nTo make a group chat your contact, open this "
            "one instead and choose the group:\n{group_link}",
            tier=invitation.tier,
            expires=tr.moment(invitation.expires_at, "UTC") + " UTC",
            link=link,
            group_link=f"https://t.me/{username}?startgroup={invitation.code}",
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
        # A link preview would fetch the page: keep the code between us and Telegram.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def open_invite(update: Update, context: BotContext) -> None:
    """``/start <code>``, in a private chat or a group: offer to become a contact."""
    sender = await identify(update, context)
    chat = update.effective_chat
    if sender is None or chat is None or not context.args:
        return
    tr = sender.tr
    services = context.services
    if not services.flood.allow_invite_attempt(
        sender.person.telegram_user_id, services.clock.now()
    ):
        logger.warning("too many invitation codes tried by one user; refusing for now")
        await sender.message.reply_text(tr("Too many attempts. Try again in an hour."))
        return
    offer = await context.services.contacts.open_invite(
        context.args[0], sender.person.telegram_user_id, chat.id
    )
    if offer is InviteProblem.OWN:
        await sender.message.reply_text(
            tr("This is your own invitation link. Send it to the person you want as a contact.")
        )
        return
    if isinstance(offer, InviteProblem):
        await sender.message.reply_text(
            tr(
                "This invitation link is not valid: it may have expired or been used already. "
                "Ask the person who sent it for a new one."
            )
        )
        return
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("✅ Accept"), callback_data=encode(Action.ACCEPT_INVITE, offer.invite_id)
                )
            ],
            [
                InlineKeyboardButton(
                    tr("Decline"), callback_data=encode(Action.DECLINE_INVITE, offer.invite_id)
                )
            ],
        ]
    )
    where = tr("in this group") if chat.type != chat.PRIVATE else tr("here")
    if offer.coordinator_name is not None:
        text = tr(
            "{coordinator} of “{team}” asks you to be an emergency contact (tier {tier}) of "
            "{name}. If {name} misses a check-in or presses SOS, an alert will come {where} "
            "with their last messages and location, so you can act. {name} is told, and can "
            "remove you. Do you accept?",
            coordinator=offer.coordinator_name,
            team=offer.team_name or "?",
            name=offer.activist_name,
            tier=offer.tier,
            where=where,
        )
    else:
        text = tr(
            "{name} asks you to be their emergency contact (tier {tier}). If they miss a "
            "check-in or press SOS, an alert will come {where} with their last messages and "
            "location, so you can act. Do you accept?",
            name=offer.activist_name,
            tier=offer.tier,
            where=where,
        )
    await sender.message.reply_text(text, reply_markup=buttons)


async def list_contacts(update: Update, context: BotContext) -> None:
    sender = await identify(update, context)
    if sender is None:
        return
    text, markup = await contacts_view(sender, context)
    await sender.message.reply_text(text, reply_markup=markup)


async def contacts_view(
    sender: Sender, context: BotContext
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return the person's contact list as the phone may see it, with remove buttons,
    and whom they are a contact of, with a button to ask each whether they are OK."""
    tr = sender.tr
    contacts = await context.services.contacts.contacts_of(sender.person)
    watched = await context.services.asks.watched_by(sender.person.telegram_user_id)
    asking = [[ask_button(tr, one)] for one in watched]
    watching = (
        [tr("You are the emergency contact of: {names}.", names=", ".join(w.name for w in watched))]
        if watched
        else []
    )
    if not contacts:
        text = "\n\n".join(
            [tr("You have no contacts yet. Invite one with /invite: they must accept."), *watching]
        )
        return text, InlineKeyboardMarkup(asking) if asking else None
    lines = [tr("Your contacts:")]
    buttons = []
    for contact in contacts:
        state = tr("active") if contact.status is ContactStatus.ACTIVE else tr("⚠️ unreachable")
        kind = tr("group") if contact.is_group else tr("person")
        lines.append(
            tr(
                "• {name} ({kind}), tier {tier}: {state}",
                name=contact.display_name,
                kind=kind,
                tier=contact.tier,
                state=state,
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    tr("Remove {name}", name=contact.display_name),
                    callback_data=encode(Action.REMOVE_CONTACT, contact.id),
                )
            ]
        )
    if watching:
        lines += ["", *watching]
    return "\n".join(lines), InlineKeyboardMarkup(buttons + asking)


async def perform_remove(
    sender: Sender, context: BotContext, action: RemoveContact, unlock: Unlock
) -> None:
    """Remove one of the person's contacts and say so.

    Under duress the contact is kept (a captor must not be able to cut the
    alarm off), while the phone shows the same answer as a real removal, and
    never lists the contact again.
    """
    contact = await context.services.contacts.remove(sender.person, action.contact_id, unlock)
    if contact is None:
        await sender.message.reply_text(sender.tr("This button no longer works."))
        return
    await sender.message.reply_text(
        sender.tr("{name} is no longer your contact.", name=contact.display_name)
    )


async def leave(update: Update, context: BotContext) -> None:
    """Offer to stop being a contact of each activist this chat watches over."""
    sender = await identify(update, context)
    chat = update.effective_chat
    if sender is None or chat is None:
        return
    tr = sender.tr
    watched = await context.services.contacts.watched_from(chat.id)
    if not watched:
        await sender.message.reply_text(tr("This chat is nobody's contact."))
        return
    buttons = [
        [
            InlineKeyboardButton(
                tr("Stop being {name}'s contact", name=name),
                callback_data=encode(Action.LEAVE, contact.id),
            )
        ]
        for contact, name in watched
    ]
    await sender.message.reply_text(
        tr("Whose contact do you want to stop being? They will be told."),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


def build() -> list[BaseHandler[Update, Any, Any]]:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    return [
        # Order matters: /start with a code opens an invitation; without one it
        # is the welcome (handlers.start), which must come after this.
        CommandHandler("start", open_invite, filters=private | groups, has_args=True),
        CommandHandler("invite", invite, filters=private),
        CommandHandler("contacts", list_contacts, filters=private),
        CommandHandler("leave", leave, filters=private | groups),
    ]
