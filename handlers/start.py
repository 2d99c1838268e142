"""``/start`` in a private chat: meet the person, say what the bot is for, set it up."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext
from bot.texts.keyboards import checkin_keyboard
from handlers import setup
from handlers.phrases import describe_plan, next_deadline
from handlers.sender import identify


async def start(update: Update, context: BotContext) -> None:
    """Greet a new person with the guided setup; someone set up, with where they stand."""
    sender = await identify(update, context)
    if sender is None:
        return
    tr = sender.tr
    services = context.services
    # As the phone is shown it: after a /forget under duress it looks new, and is.
    watch = await services.checkins.watch_of(sender.person)
    if watch.plan is not None:
        text = "\n".join(
            [
                tr("Welcome back. You check in {plan}.", plan=describe_plan(watch, tr)),
                next_deadline(watch, tr, services.clock.now()),
                "",
                tr(
                    "Each setting's command without words, like /every or /tz, shows its "
                    "buttons; /help lists everything."
                ),
            ]
        )
        await sender.message.reply_text(text, reply_markup=checkin_keyboard(tr))
        return
    text = tr(
        "Welcome to Still Here.\n\n"
        "You promise to check in on a schedule. If you miss a check-in, the colleagues "
        "you chose are alerted with your last words and your last known place, so that "
        "the first hours are not lost.\n\n"
        "A few taps set it up; you can skip any question and come back to it later."
    )
    await setup.start_guided(update, context, sender, text)


def build() -> CommandHandler[BotContext, None]:
    """Return the handler for ``/start`` in private chats."""
    return CommandHandler("start", start, filters=filters.ChatType.PRIVATE)
