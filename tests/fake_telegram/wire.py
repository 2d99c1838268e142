"""Decode Bot API request parameters the way Telegram does.

PTB 22 (``telegram/request/_requestparameter.py``) sends every parameter as a form
field: strings raw, everything else ``json.dumps``-ed (numbers become "123", booleans
"true", keyboards and entity lists become JSON text). With files the same fields travel
as multipart parts next to the uploads. Other clients send a JSON body or a query
string. Telegram types each parameter by name, so a text of "42" stays a string while a
chat_id of "42" becomes an int; this module does the same with a list of known string
parameters and a JSON parse for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .errors import malformed

# Parameters Telegram types as String: never JSON-parse these, "123" or "true" is text.
STRING_PARAMS = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "emoji",
        "explanation",
        "first_name",
        "inline_message_id",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "parse_mode",
        "caption_parse_mode",
        "question",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
        # File parameters given as a file_id or URL: ids are opaque strings.
        "animation",
        "audio",
        "document",
        "photo",
        "sticker",
        "thumbnail",
        "video",
        "video_note",
        "voice",
    }
)

# Parameters that are JSON objects or arrays; a JSON body may carry them either as real
# JSON values or as JSON text, and Telegram accepts both.
STRUCTURED_PARAMS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "message_ids",
        "reply_markup",
        "reply_parameters",
        "scope",
    }
)


def decode_field(name: str, raw: str) -> Any:
    """Turn one form or query field into the value Telegram would see."""
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        # Usernames like "@channel" and any other plain string stay as sent.
        return raw


def _normalise_json_value(name: str, value: Any) -> Any:
    """Accept a structured parameter given as JSON text inside a JSON body."""
    if name in STRUCTURED_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise malformed(f"can't parse {name} JSON object") from exc
    return value


def _describe_upload(upload: FileField) -> dict[str, Any]:
    """Summarise an uploaded file; tests care that it came, not about its bytes."""
    content = upload.file.read()
    return {
        "upload": upload.filename,
        "content_type": upload.content_type,
        "size": len(content),
    }


async def read_params(request: web.Request) -> dict[str, Any]:
    """Collect the parameters of one Bot API request from query, form, multipart or JSON."""
    params: dict[str, Any] = {
        name: decode_field(name, value) for name, value in request.query.items()
    }
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise malformed("can't parse JSON request body") from exc
        if not isinstance(body, Mapping):
            raise malformed("JSON request body must be an object")
        params.update({key: _normalise_json_value(key, value) for key, value in body.items()})
        return params
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, FileField):
                params[name] = _describe_upload(value)
            else:
                params[name] = decode_field(name, str(value))
        return params
    raw = await request.read()
    if raw.strip():
        raise malformed(f"unsupported content type {request.content_type!r}")
    return params
