from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging

TOKEN = "123456:SECRETPART-xyz"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_secrets_are_redacted_from_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", [TOKEN], stream)
    log = logging.getLogger("bot.test")
    log.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("request failed")
    log.info("only the secret part: %s", TOKEN.split(":")[1])
    text = stream.getvalue()
    assert "SECRETPART" not in text
    assert text.count("[redacted]") == 3
    assert "RuntimeError" in text


@pytest.mark.usefixtures("restore_logging")
def test_leaky_libraries_stay_quiet_even_at_debug() -> None:
    configure_logging("DEBUG", [TOKEN], io.StringIO())
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("telegram").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("telegram.ext.Application").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_the_message_and_traceback_redacted() -> None:
    stream = io.StringIO()
    configure_logging("INFO", [TOKEN], stream, style="json")
    log = logging.getLogger("bot.test")
    log.info("incident %d opened", 7)
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("request failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "incident 7 opened"
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.test"
    assert first["time"].endswith("+00:00")
    assert "RuntimeError" in second["traceback"]
    assert "SECRETPART" not in stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_the_raw_update_ptb_cannot_parse_never_reaches_the_log() -> None:
    stream = io.StringIO()
    configure_logging("INFO", [TOKEN], stream)
    raw = [{"update_id": 5, "message": {"chat": {"first_name": "Zuhra Secretname"}}}]
    logging.getLogger("telegram.ext.ExtBot").critical(
        "Error while parsing updates! Received data was %r", raw
    )
    text = stream.getvalue()
    assert "Error while parsing updates" in text
    assert "Secretname" not in text
