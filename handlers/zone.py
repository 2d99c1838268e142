"""The time zone, however it is given: a shared location, a city, a zone or an offset.

``/tz <anything>`` sets it; ``/tz`` alone (and the guided run) asks. While the
question is open (ten minutes), a location, or a typed zone, city or offset, sets
the zone and is not kept as context; any other words are kept as ever, never
lost to a question. Offsets are offered as real zones to confirm, confirm first.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot.callbacks import Action
from bot.checkin_words import is_checkin_phrase
from bot.context import BotContext
from bot.core.gated import SetZone
from bot.services.questions import Asked
from bot.texts.keyboards import button_labels, checkin_keyboard, in_every_language
from bot.texts.setup import SKIP_ZONE_LABEL, ZONE_LABEL_SEPARATOR, Step, choice_button
from bot.zones import (
    LIKELY_ZONES,
    OFFERED_ZONES,
    city_of,
    find_zone,
    offset_label,
    read_offset,
    similar_zones,
    zone_at,
    zones_at_offset,
)
from handlers import plans
from handlers.gate import require_pin
from handlers.phrases import quote
from handlers.sender import Sender, identify, recognise
from handlers.setup import ask_zone, show


async def answer_zone(sender: Sender, context: BotContext, text: str, guided: bool) -> None:
    """Set the zone ``text`` names (a zone, a city, an offset), or say what would work."""
    tr = sender.tr
    services = context.services
    if ZONE_LABEL_SEPARATOR in text:
        text = text.split(ZONE_LABEL_SEPARATOR, 1)[0]
    zone = find_zone(text)
    if zone is not None:
        services.questions.answered(sender.person.telegram_user_id)
        await _set_zone(sender, context, zone, guided)
        return
    offset = read_offset(text)
    if offset is not None:
        now = services.clock.now()
        likely = LIKELY_ZONES.get(tr.language, ())
        candidates = zones_at_offset(offset, now, likely)[:6]
        if candidates:
            buttons = [
                [
                    choice_button(
                        # TRANSLATORS: a button confirming a time zone: "Aşgabat (Asia/Ashgabat)".
                        tr("✅ {city} ({zone})", city=city_of(zone, tr.language), zone=zone),
                        Action.SET_ZONE,
                        OFFERED_ZONES.index(zone) + 1,
                        guided,
                    )
                ]
                for zone in candidates
            ]
            await sender.message.reply_text(
                # TRANSLATORS: {offset} is an offset from UTC such as "UTC+5".
                tr(
                    "{offset} now is the time in these zones. Which is yours? The zone also "
                    "knows when the clocks change.",
                    offset=offset_label(candidates[0], now),
                ),
                reply_markup=InlineKeyboardMarkup(buttons),
            )
            return
    suggestions = similar_zones(text)
    reply = tr("I do not know the time zone “{text}”.", text=quote(text))
    if suggestions:
        reply += " " + tr("Did you mean: {zones}?", zones=", ".join(suggestions))
    reply += "\n" + tr(
        "Type a city (Aşgabat, Москва, Berlin), a zone name (Asia/Ashgabat) or an offset "
        "(UTC+5), or share your location."
    )
    await sender.message.reply_text(reply)


async def _set_zone(sender: Sender, context: BotContext, zone: str, guided: bool) -> None:
    action = SetZone(zone)
    unlock = await require_pin(sender, context, action)
    if unlock is None:
        return
    await plans.perform_set_zone(sender, context, action, unlock)
    if guided:
        await show(Step.GRACE, sender, context, guided=True)


async def answer_question(update: Update, context: BotContext, asked: Asked) -> None:
    """A message while the zone is asked: a location or text answers it, and is not kept."""
    services = context.services
    # Reads only: a stranger's message must cost no row (and a stranger was asked nothing).
    sender = await recognise(update, context)
    if not isinstance(sender, Sender):
        return
    message = sender.message
    location = message.location
    if location is not None:
        if location.live_period:
            # A live location is shared for the contacts: keep it as always.
            return
        zone = await zone_at(location.latitude, location.longitude)
        if zone is None:
            # Of no use for the zone: kept for the contacts like any place.
            await message.reply_text(
                sender.tr(
                    "I could not tell the time zone of that place. Tap a zone or type your city."
                )
            )
            return
        services.questions.answered(sender.person.telegram_user_id)
        await _set_zone(sender, context, zone, asked.guided)
        raise ApplicationHandlerStop
    text = (message.text or "").strip()
    if not text or text in button_labels(services.translations) or is_checkin_phrase(text):
        # A check-in, an SOS or the timer's button stays one, whatever was asked.
        return
    if text in in_every_language(SKIP_ZONE_LABEL, services.translations):
        services.questions.answered(sender.person.telegram_user_id)
        watch = await services.checkins.watch_of(sender.person)
        await message.reply_text(
            sender.tr("Your time zone stays {zone}. /tz changes it.", zone=watch.zone),
            reply_markup=checkin_keyboard(sender.tr),
        )
        if asked.guided:
            await show(Step.GRACE, sender, context, guided=True)
        raise ApplicationHandlerStop
    if _names_a_zone(text):
        await answer_zone(sender, context, text, asked.guided)
        raise ApplicationHandlerStop
    # Not a zone: words are never lost to a question. They are kept as ever, and a
    # short text that may have meant a city is told what would work.
    if len(text) <= _SHORT_ANSWER and len(text.split()) <= _SHORT_WORDS:
        await answer_zone(sender, context, text, asked.guided)


# An unknown answer this short may have been a city: say what works, and keep it too.
_SHORT_ANSWER = 40
_SHORT_WORDS = 3


def _names_a_zone(text: str) -> bool:
    """Whether ``text`` names a zone: a zone or city name, an offset, a zone button."""
    answer = text.split(ZONE_LABEL_SEPARATOR, 1)[0]
    return find_zone(answer) is not None or read_offset(answer) is not None


async def set_zone(update: Update, context: BotContext) -> None:
    """``/tz <zone, city or offset>`` sets it; ``/tz`` alone asks, with buttons."""
    sender = await identify(update, context)
    if sender is None:
        return
    if sender.argument:
        await answer_zone(sender, context, sender.argument, guided=False)
        return
    watch = await context.services.checkins.watch_of(sender.person)
    await sender.message.reply_text(sender.tr("Your time zone is {zone}.", zone=watch.zone))
    await ask_zone(sender, context, guided=False)


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("tz", set_zone, filters=filters.ChatType.PRIVATE)
