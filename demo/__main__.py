"""``python -m demo [--language en|ru|tk]``: the core story, without a token.

The real bot, wired as in production, runs against the project's fake Telegram
Bot API on 127.0.0.1, with a clock the story moves: an activist sets up with
buttons, a colleague accepts the invitation, a check-in is missed, the alert
arrives with the last words and place, the colleague takes it, and the all-clear
follows. Each person's chat is printed as they would see it. Nothing reaches
the internet, and everything is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.app import serve
from bot.i18n import Translations
from bot.languages import SUPPORTED_LANGUAGES
from bot.settings import SchedulerSettings, TelegramSettings, load_settings
from bot.texts.keyboards import CHECKIN_LABEL
from bot.texts.setup import SHARE_LOCATION_LABEL
from tests.fake_clock import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser

TOKEN = "123:DEMO"  # noqa: S105 -- the fake's token, not a secret
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
# Aşgabat, Magtymguly şaýoly.
PLACE = (37.9440, 58.3800)
LAST_WORDS = {
    "en": "Summoned to the migration office, Lenina 5. Going in now.",
    "ru": "Вызвали в миграционную службу, Ленина 5. Захожу.",
    "tk": "Migrasiýa gullugyna çagyrdylar, Lenin köçesi 5. Häzir girýärin.",
}
WAIT = 15.0


class Chat:
    """Print one person's chat: what they do, and each message the bot sends them."""

    def __init__(self, user: SimUser, out: TextIO) -> None:
        self.user = user
        self.out = out

    def _say(self, line: str) -> None:
        print(f"  [{self.user.first_name}] {line}", file=self.out)

    def does(self, what: str) -> None:
        self._say(f"✋ {what}")

    async def receive(self) -> dict[str, Any]:
        """Print and return the next message the bot sends to this chat."""
        message = await self.user.next_message(timeout=WAIT)
        if "location" in message:
            location = message["location"]
            self._say(f"🤖 📍 map pin {location['latitude']:.4f}, {location['longitude']:.4f}")
            return message
        text = str(message.get("text") or message.get("caption") or "")
        lines = text.splitlines() or [""]
        self._say("🤖 " + lines[0])
        for line in lines[1:]:
            print(f"  {' ' * len(self.user.first_name)}     {line}", file=self.out)
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            buttons = "  ".join(f"[ {button['text']} ]" for button in row)
            print(f"  {' ' * len(self.user.first_name)}     {buttons}", file=self.out)
        return message

    async def marked(self, sent: dict[str, Any]) -> None:
        """Print the bot's reaction to a message this person sent."""
        reaction = await self.user.reaction_to(sent["message_id"], timeout=WAIT)
        self._say(f"🤖 marks it {' '.join(reaction)} (kept for the contacts)")

    def show_edited(self, message: dict[str, Any]) -> None:
        """Print a message as it reads now, after the bot edited it in place."""
        [stored] = [m for m in self.user.messages if m.message_id == message["message_id"]]
        self._say("✏️  (edited in place; it reads now:)")
        for line in (stored.text or "").splitlines():
            print(f"  {' ' * len(self.user.first_name)}     {line}", file=self.out)
        buttons = (stored.data.get("reply_markup") or {}).get("inline_keyboard")
        if not buttons:
            print(f"  {' ' * len(self.user.first_name)}     (no buttons left)", file=self.out)


def scene(title: str, out: TextIO) -> None:
    print(f"\n── {title} " + "─" * max(0, 70 - len(title)), file=out)


@contextlib.asynccontextmanager
async def running_bot(fake: FakeTelegram, data: Path, clock: FakeClock) -> AsyncIterator[None]:
    path = data / "settings.toml"
    path.write_text('[storage]\npath = "demo.sqlite3"\n', encoding="utf-8")
    settings = load_settings(path, {"TELEGRAM_TOKEN": TOKEN})
    settings = replace(
        settings,
        telegram=TelegramSettings(base_url=fake.base_url),
        scheduler=SchedulerSettings(tick=timedelta(milliseconds=50)),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, clock, stop))
    await fake.wait_until_polling(timeout=WAIT)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)


async def play(language: str, out: TextIO = sys.stdout) -> None:
    """Play the story in ``language``, printing every chat."""
    tr = Translations()[language]
    clock = FakeClock(START)
    fake = FakeTelegram()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="stillhere-demo-") as data:
            async with running_bot(fake, Path(data), clock):
                await _story(fake, clock, tr, language, out)
    finally:
        await fake.stop()
    print("\nThe demo is over; its database and key were deleted.", file=out)


async def _story(fake: FakeTelegram, clock: FakeClock, tr: Any, language: str, out: TextIO) -> None:
    ayna = Chat(fake.add_user(first_name="Aýna", language_code=language), out)
    merdan = Chat(fake.add_user(first_name="Merdan", language_code=language), out)

    scene("1. Aýna sets up, with buttons only", out)
    ayna.does("/start")
    await ayna.user.send("/start")
    welcome = await ayna.receive()
    choice = welcome["reply_markup"]["inline_keyboard"][0][SUPPORTED_LANGUAGES.index(language)]
    ayna.does(f"taps {choice['text']}")
    await ayna.user.press(welcome["message_id"], choice["text"])
    plan = await ayna.receive()
    every_12h = plan["reply_markup"]["inline_keyboard"][0][1]["text"]
    ayna.does(f"taps {every_12h}")
    await ayna.user.press(plan["message_id"], every_12h)
    await ayna.receive()
    await ayna.receive()
    ayna.does(f"taps {tr(SHARE_LOCATION_LABEL)}")
    await ayna.user.tap_location(tr(SHARE_LOCATION_LABEL), *PLACE)
    await ayna.receive()
    grace = await ayna.receive()
    thirty = grace["reply_markup"]["inline_keyboard"][0][1]["text"]
    ayna.does(f"taps {thirty}")
    await ayna.user.press(grace["message_id"], thirty)
    await ayna.receive()
    invite = await ayna.receive()
    invite_button = invite["reply_markup"]["inline_keyboard"][0][0]["text"]
    ayna.does(f"taps {invite_button}")
    await ayna.user.press(invite["message_id"], invite_button)
    link = await ayna.receive()
    await ayna.receive()
    code = str(link["text"]).split("?start=", 1)[1].split()[0]

    scene("2. Merdan opens the link Aýna forwarded, and accepts", out)
    merdan.does("opens the link")
    await merdan.user.send(f"/start {code}")
    offer = await merdan.receive()
    accept = offer["reply_markup"]["inline_keyboard"][0][0]["text"]
    merdan.does(f"taps {accept}")
    await merdan.user.press(offer["message_id"], accept)
    await ayna.receive()

    scene("3. Aýna leaves word of where she goes", out)
    words = LAST_WORDS[language]
    ayna.does(f"writes “{words}”")
    await ayna.marked(await ayna.user.send(words))
    ayna.does("shares her location")
    await ayna.marked(await ayna.user.share_location(*PLACE))

    scene("4. Twelve hours pass without a check-in", out)
    clock.set(START + timedelta(hours=11))
    await ayna.receive()
    clock.set(START + timedelta(hours=12))
    await ayna.receive()

    scene("5. Grace is over: Merdan is alerted", out)
    clock.set(START + timedelta(hours=12, minutes=30))
    alert = await merdan.receive()
    await merdan.receive()
    taking = alert["reply_markup"]["inline_keyboard"][0][0]["text"]
    since = len(fake.calls)
    merdan.does(f"taps {taking}")
    await merdan.user.press(alert["message_id"], taking)
    await fake.wait_for_call("editMessageText", chat_id=merdan.user.id, since=since, timeout=WAIT)
    merdan.show_edited(alert)

    scene("6. Aýna is back and checks in: the all-clear", out)
    clock.set(START + timedelta(hours=13))
    since = len(fake.calls)
    ayna.does(f"taps {tr(CHECKIN_LABEL)}")
    await ayna.user.tap(tr(CHECKIN_LABEL))
    await ayna.receive()
    await merdan.receive()
    # The alert itself is brought up to date in Merdan's chat, after the all-clear.
    await fake.wait_for_call("editMessageText", chat_id=merdan.user.id, since=since, timeout=WAIT)
    merdan.show_edited(alert)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--language", choices=SUPPORTED_LANGUAGES, default="en")
    args = parser.parse_args(argv)
    # The demo's own key and database are thrown away: no warning to back them up.
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(play(args.language))
    return 0


if __name__ == "__main__":
    sys.exit(main())
