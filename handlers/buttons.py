"""Inline-button presses: one router, every press parsed by the callback codec.

A press is answered in every case (Telegram shows a spinner until it is), and
the presser's right to act is checked by the service: the chat the button was
pressed in must be the contact, the invitee must be the one who opened the link.
"""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.callbacks import Action, Callback, decode
from bot.context import BotContext
from bot.core.gated import Forget, RemoveContact, Wipe
from bot.i18n import Translator
from bot.services.contacts import AckOutcome, InviteProblem
from handlers import discretion
from handlers.contacts import perform_remove
from handlers.gate import require_pin
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
    answer, remove_buttons = await _act(callback, update, context, tr)
    await query.answer(answer)
    if remove_buttons:
        # The message may be too old to edit, or already without buttons.
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


async def _act(
    callback: Callback, update: Update, context: BotContext, tr: Translator
) -> tuple[str, bool]:
    """Carry out the press; return the answer and whether to remove the buttons."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return tr("This button no longer works."), False
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
            return tr("This invitation is no longer valid."), True
        if result is None:
            return tr("Declined. Nothing was shared."), True
        return tr("✅ You are now a contact. Keep this chat: alerts will come here."), True
    if callback.action is Action.ACKNOWLEDGE:
        ack = await contacts.acknowledge(callback.target, chat.id)
        if ack.outcome is AckOutcome.TAKEN:
            return tr("Thank you. The other contacts are told that you are on it."), True
        if ack.outcome is AckOutcome.ALREADY:
            return tr("{contact} is already on it.", contact=ack.taken_by or "?"), False
        return tr("This button no longer works."), False
    if callback.action is Action.REMOVE_CONTACT:
        sender = await identify(update, context)
        if (
            sender is None
            or chat.type != chat.PRIVATE
            or await contacts.owned(sender.person, callback.target) is None
        ):
            return tr("This button no longer works."), False
        action = RemoveContact(callback.target)
        unlock = await require_pin(sender, context, action)
        if unlock is not None:
            await perform_remove(sender, context, action, unlock)
            return tr("Done."), False
        return tr("🔒 Enter your PIN."), False
    if callback.action is Action.LEAVE:
        left = await contacts.leave(callback.target, chat.id)
        if left is None:
            return tr("This button no longer works."), False
        return tr("You are no longer {name}'s contact.", name=left), True
    if callback.action in (Action.WIPE, Action.FORGET):
        sender = await identify(update, context)
        if sender is None or sender.person.id != callback.target:
            return tr("This button no longer works."), False
        wiping = callback.action is Action.WIPE
        return await discretion.confirm(sender, context, Wipe() if wiping else Forget()), True
    confirmed = await contacts.confirm_drill(callback.target, chat.id)
    if not confirmed:
        return tr("This button no longer works."), False
    return tr("✅ Thank you: the drill worked."), True


def build() -> CallbackQueryHandler[BotContext, None]:
    return CallbackQueryHandler(press)
