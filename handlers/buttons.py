"""Inline-button presses: one router, every press parsed by the callback codec.

A press is answered in every case (Telegram shows a spinner until it is), and
the presser's right to act is checked by the service: the chat the button was
pressed in must be the contact, the invitee must be the one who opened the link.
"""

from __future__ import annotations

import contextlib
from enum import Enum, auto

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.callbacks import Action, Callback, decode
from bot.context import BotContext
from bot.core.gated import Forget, RemoveContact, Wipe
from bot.i18n import Translator
from bot.services.contacts import AckOutcome, InviteProblem
from handlers import discretion
from handlers.contacts import contacts_view, perform_remove
from handlers.gate import require_pin
from handlers.help import refresh_chat_menu
from handlers.sender import identify, translator_for


async def press(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    # The pop-up speaks the language the presser chose, not their phone's.
    tr = await translator_for(context, query.from_user)
    callback = decode(query.data)
    message = query.message
    if callback is None or message is None:
        await query.answer(tr("This button no longer works."))
        return
    answer, then = await _act(callback, update, context, tr)
    if then is _Then.POP_UP:
        await query.answer(answer)
        return
    # Done: the message that carried the button says so for good, without
    # buttons, instead of a pop-up that vanishes. A message with no text (or too
    # old to edit) loses its buttons and the pop-up says it.
    text = message.text if isinstance(message, Message) else None
    if then is _Then.SETTLE and text:
        try:
            await query.edit_message_text(f"{text}\n\n{answer}", reply_markup=None)
        except BadRequest:
            pass
        else:
            await query.answer()
            return
    await query.answer(answer)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


class _Then(Enum):
    """What the presser sees of the answer."""

    # A pop-up; the buttons stay (nothing was done, or it can be pressed again).
    POP_UP = auto()
    # A pop-up, and the buttons go: nothing more can be done with them.
    POP_UP_AND_CLEAR = auto()
    # Done for good: the message itself says so below its text, without buttons.
    SETTLE = auto()


async def _act(
    callback: Callback, update: Update, context: BotContext, tr: Translator
) -> tuple[str, _Then]:
    """Carry out the press; return the answer and how to show it."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return tr("This button no longer works."), _Then.POP_UP
    contacts = context.services.contacts
    user = query.from_user
    if callback.action in (Action.ACCEPT_INVITE, Action.DECLINE_INVITE):
        accept = callback.action is Action.ACCEPT_INVITE
        person = await context.services.people.meet(user.id, user.language_code, user.full_name)
        is_group = chat.type != chat.PRIVATE
        name = chat.title if is_group and chat.title else user.full_name
        result = await contacts.answer_invite(
            callback.target,
            user_id=user.id,
            chat_id=chat.id,
            accept=accept,
            name=name,
            language=person.language,
            is_group=is_group,
            # Tells the activist which account accepted: a display name can be copied.
            username=None if is_group else user.username,
        )
        if isinstance(result, InviteProblem):
            return tr("This invitation is no longer valid."), _Then.POP_UP_AND_CLEAR
        if result is None:
            return tr("Declined. Nothing was shared."), _Then.SETTLE
        if not is_group:
            # Now someone's contact: the chat's menu shows what a contact can do.
            refresh_chat_menu(context, person)
        return tr("✅ You are now a contact. Keep this chat: alerts will come here."), _Then.SETTLE
    if callback.action is Action.ACKNOWLEDGE:
        ack = await contacts.acknowledge(callback.target, chat.id)
        if ack.outcome is AckOutcome.TAKEN:
            return tr("Thank you. The other contacts are told that you are on it."), _Then.SETTLE
        if ack.outcome is AckOutcome.ALREADY:
            return tr("{contact} is already on it.", contact=ack.taken_by or "?"), _Then.POP_UP
        return tr("This button no longer works."), _Then.POP_UP
    if callback.action is Action.REMOVE_CONTACT:
        sender = await identify(update, context)
        if (
            sender is None
            or chat.type != chat.PRIVATE
            or await contacts.owned(sender.person, callback.target) is None
        ):
            return tr("This button no longer works."), _Then.POP_UP
        action = RemoveContact(callback.target)
        unlock = await require_pin(sender, context, action)
        if unlock is not None:
            await perform_remove(sender, context, action, unlock)
            # The list it was pressed in shows what is left.
            text, markup = await contacts_view(sender, context)
            with contextlib.suppress(BadRequest):
                await query.edit_message_text(text, reply_markup=markup)
            return tr("Done."), _Then.POP_UP
        return tr("🔒 Enter your PIN."), _Then.POP_UP
    if callback.action is Action.LEAVE:
        left = await contacts.leave(callback.target, chat.id)
        if left is None:
            return tr("This button no longer works."), _Then.POP_UP
        return tr("You are no longer {name}'s contact.", name=left), _Then.SETTLE
    if callback.action in (Action.WIPE, Action.WIPE_ALL, Action.FORGET):
        sender = await identify(update, context)
        if sender is None or sender.person.id != callback.target:
            return tr("This button no longer works."), _Then.POP_UP
        erasing: Wipe | Forget = (
            Forget()
            if callback.action is Action.FORGET
            else Wipe(instructions=callback.action is Action.WIPE_ALL)
        )
        return await discretion.confirm(sender, context, erasing), _Then.POP_UP_AND_CLEAR
    confirmed = await contacts.confirm_drill(callback.target, chat.id)
    if not confirmed:
        return tr("This button no longer works."), _Then.POP_UP
    return tr("✅ Thank you: the drill worked."), _Then.SETTLE


def build() -> CallbackQueryHandler[BotContext, None]:
    return CallbackQueryHandler(press)
