"""Telegram-shaped file objects with realistic, unique file ids.

Photos and voice notes the simulated users send, and uploads the bot makes, are
registered in the world so that a later ``sendPhoto``/``sendVoice`` by ``file_id`` finds
them, and an id the bot made up (or one of the wrong kind) fails like on Telegram.
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import bad_request
from .state import World

# Real file ids start with a type-dependent prefix; the rest is opaque base64url.
_PREFIX = {"photo": "AgACAgIAAxkBAAI", "voice": "AwACAgIAAxkBAAI"}
_UNIQUE_PREFIX = {"photo": "AQAD", "voice": "AgAD"}
_KIND_NAMES = {"photo": "Photo", "voice": "Voice"}


def _ids(kind: str) -> tuple[str, str]:
    file_id = _PREFIX[kind] + secrets.token_urlsafe(48)[:58]
    unique_id = _UNIQUE_PREFIX[kind] + secrets.token_urlsafe(12)[:12]
    return file_id, unique_id


def new_photo(world: World) -> list[dict[str, Any]]:
    """Create a photo (three sizes, like Telegram's thumbnails) and register its ids."""
    sizes: list[dict[str, Any]] = []
    for width, height, size in ((90, 67, 1_412), (320, 240, 17_540), (1280, 960, 121_998)):
        file_id, unique_id = _ids("photo")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": width,
                "height": height,
                "file_size": size,
            }
        )
    for photo_size in sizes:
        world.files[photo_size["file_id"]] = ("photo", sizes)
    return sizes


def new_voice(world: World, duration: int) -> dict[str, Any]:
    """Create a voice note and register its id."""
    file_id, unique_id = _ids("voice")
    voice = {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 1_800 * max(duration, 1),
    }
    world.files[file_id] = ("voice", voice)
    return voice


def resolve_file(world: World, kind: str, value: Any, duration: int = 1) -> Any:
    """Return the Telegram object for a file parameter: a known file_id, a URL or an upload."""
    if isinstance(value, dict) and "upload" in value:
        return new_photo(world) if kind == "photo" else new_voice(world, duration)
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {kind} in the request")
    if value.startswith(("http://", "https://")):
        return new_photo(world) if kind == "photo" else new_voice(world, duration)
    known = world.files.get(value)
    if known is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    known_kind, telegram_object = known
    if known_kind != kind:
        raise bad_request(
            f"can't use file of type {_KIND_NAMES[known_kind]} as {_KIND_NAMES[kind]}"
        )
    return telegram_object
