"""Backups an operator can trust, and a restore that checks the key first.

``python -m bot backup DEST`` copies the database while the bot runs (SQLite's
online backup API gives a consistent snapshot), creates the copy 0600, checks
it with ``PRAGMA integrity_check`` and writes the fingerprint of the key it
needs beside it (``DEST.key-fingerprint``; never the key itself).

``python -m bot restore SRC`` needs the bot stopped (it takes the database's
lock), checks the copy and that the current key opens it, and only then puts it
in place of the database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from bot.crypto import Sealer, fingerprint
from bot.instance import InstanceLock
from bot.keys import current_key
from bot.settings import Settings
from storage import sealing

_BUSY_SECONDS = 10.0


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def fingerprint_file(copy: Path) -> Path:
    return copy.with_name(copy.name + ".key-fingerprint")


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600, refusing to overwrite anything."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists already; choose a new name") from None
    os.close(fd)


def _check(path: Path) -> None:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result and result[0]}")


def backup(settings: Settings, destination: Path) -> str:
    """Copy the database to ``destination``; return the key's fingerprint ("" if none yet)."""
    database = settings.storage.path
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    _private_file(destination)
    try:
        source = sqlite3.connect(
            f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_SECONDS
        )
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        _check(destination)
    except (sqlite3.Error, BackupError):
        destination.unlink(missing_ok=True)
        raise
    key = current_key(settings)
    printed = "" if key is None else fingerprint(key)
    marker = fingerprint_file(destination)
    marker.unlink(missing_ok=True)
    _private_file(marker)
    marker.write_text(f"{printed}\n", encoding="ascii")
    return printed


def restore(settings: Settings, source: Path) -> None:
    """Put ``source`` in place of the database, once it is whole and the key opens it.

    Refused while a bot runs on the database: it takes the database's lock.
    """
    database = settings.storage.path
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    with InstanceLock(database, wait=1.0):
        _check(source)
        _check_key(settings, source)
        staged = database.with_name(database.name + ".restoring")
        staged.unlink(missing_ok=True)
        _private_file(staged)
        try:
            reader = sqlite3.connect(source)
            writer = sqlite3.connect(staged)
            try:
                reader.backup(writer)
            finally:
                writer.close()
                reader.close()
            os.replace(staged, database)
        finally:
            staged.unlink(missing_ok=True)
        # The old database's write-ahead log must never be applied to the copy. Until
        # the replace above, a failure left the old database whole, its log with it.
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                database.with_name(database.name + suffix).unlink()


def _check_key(settings: Settings, source: Path) -> None:
    """Refuse a copy the current key does not open (a copy never sealed needs none)."""
    key = current_key(settings)
    connection = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT value FROM runtime WHERE key = ?", (sealing.KEY_CHECK,)
        ).fetchone()
    finally:
        connection.close()
    key_check = None if row is None else str(row[0])
    if key_check is None or (key is not None and sealing.key_opens(key_check, Sealer(key))):
        return
    expected = ""
    marker = fingerprint_file(source)
    if marker.exists():
        expected = f" (it needs the key with fingerprint {marker.read_text('ascii').strip()})"
    have = "no key" if key is None else f"the key with fingerprint {fingerprint(key)}"
    raise BackupError(
        f"the current key does not open {source}{expected}; you have {have}. Put the key "
        "the backup was made with in place (STILLHERE_KEY_FILE or [security] key_file) "
        "first. Nothing was changed."
    )
