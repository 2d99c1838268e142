"""Read typed Bot API parameters, failing like Telegram when one is missing or mistyped.

A missing or mistyped parameter is a bug in the code under test (PTB always sends the
required ones), so these failures are also recorded as ``unexpected``.
"""

from __future__ import annotations

from typing import Any

from .errors import malformed

Params = dict[str, Any]


def chat_id_of(params: Params) -> int | str:
    """Return ``chat_id`` (an int, or an "@username" string)."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise malformed("chat_id is empty")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise malformed("chat_id must be an integer or a string")
    return value


def int_of(params: Params, name: str, *, missing: str | None = None) -> int:
    """Return a required integer parameter."""
    value = params.get(name)
    if value is None:
        raise malformed(missing or f"parameter {name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise malformed(f"field {name!r} must be of type Integer")
    return value


def optional_int(params: Params, name: str) -> int | None:
    """Return an optional integer parameter."""
    return None if params.get(name) is None else int_of(params, name)


def float_of(params: Params, name: str) -> float:
    """Return a required number parameter."""
    value = params.get(name)
    if value is None:
        raise malformed(f"parameter {name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise malformed(f"field {name!r} must be of type Float")
    return float(value)


def str_of(params: Params, name: str, *, missing: str | None = None) -> str:
    """Return a required string parameter (which may be empty)."""
    value = params.get(name)
    if value is None:
        raise malformed(missing or f"parameter {name} is required")
    if not isinstance(value, str):
        raise malformed(f"field {name!r} must be of type String")
    return value


def optional_str(params: Params, name: str) -> str | None:
    """Return an optional string parameter."""
    return None if params.get(name) is None else str_of(params, name)


def flag_of(params: Params, name: str) -> bool:
    """Return an optional boolean parameter, False when absent."""
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise malformed(f"field {name!r} must be of type Boolean")
    return value


def object_of(params: Params, name: str) -> dict[str, Any] | None:
    """Return an optional JSON object parameter."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise malformed(f"can't parse {name} JSON object")
    return value


def list_of(params: Params, name: str, *, required: bool = False) -> list[Any] | None:
    """Return a JSON array parameter."""
    value = params.get(name)
    if value is None:
        if required:
            raise malformed(f"parameter {name} is required")
        return None
    if not isinstance(value, list):
        raise malformed(f"can't parse {name} JSON array")
    return value
