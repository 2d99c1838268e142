"""Configure logging so that no token and no message content reaches a log line.

Three layers keep logs clean:
1. Our own code never formats content or raw user ids into a message.
2. Libraries that would are held at a level where they stay quiet: ``httpx``
   logs request URLs (a Bot API URL holds the token), PTB's ``telegram`` logger
   at DEBUG dumps request parameters (message texts), ``aiosqlite`` at DEBUG
   logs statements with their parameters.
3. Whatever still slips through, an exception text quoting a URL say, has every
   known secret replaced before it is written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Floors for noisy or leaky libraries, whatever level the operator chose.
_LIBRARY_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "aiosqlite": logging.INFO,
    # APScheduler logs every run of the one-second tick at INFO.
    "apscheduler": logging.WARNING,
}


class RedactingFormatter(logging.Formatter):
    """Format records, then replace every secret in the text with a placeholder.

    ``json``: one JSON object per line (time in UTC, level, logger, message, and
    the traceback if any), for log collectors; redacted the same way.
    """

    def __init__(self, secrets: Iterable[str], *, json_lines: bool = False) -> None:
        super().__init__(_FORMAT)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._json = json_lines

    def format(self, record: logging.LogRecord) -> str:
        if self._json:
            entry = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": self._redact(record.getMessage()),
            }
            if record.exc_info:
                entry["traceback"] = self._redact(self.formatException(record.exc_info))
            return json.dumps(entry, ensure_ascii=False)
        return self._redact(super().format(record))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(
    level: str, secrets: Iterable[str], stream: TextIO | None = None, *, style: str = "text"
) -> None:
    """Send all logging to ``stream`` (stderr) at ``level``, redacting ``secrets``.

    ``style``: ``"text"`` lines, or ``"json"``, one object per line.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    secret_list = list(secrets)
    # A bot token is "<bot id>:<secret part>"; the secret part alone is as dangerous.
    secret_list += [s.split(":", 1)[1] for s in secret_list if ":" in s]
    handler.setFormatter(RedactingFormatter(secret_list, json_lines=style == "json"))
    handler.addFilter(_WithholdRawUpdates())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    apply_library_floors(logging.getLevelName(level))


class _WithholdRawUpdates(logging.Filter):
    """PTB logs an update it cannot parse whole (ids, names, texts): keep the line, not the data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and str(record.msg).startswith(
            "Error while parsing updates"
        ):
            record.msg, record.args, record.exc_info = "Error while parsing updates", (), None
        return True


def apply_library_floors(level: int) -> None:
    """Hold leaky libraries at their floor, whatever ``level`` the operator chose."""
    for name, floor in _LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, level))
