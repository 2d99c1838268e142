"""The encryption key's life: verify it at start, seal an old plaintext database, rotate.

1. At start the key must open the database's key check; a wrong key stops the
   bot with a clear message instead of showing garbage or failing later.
2. A database without a key check (created before encryption) has its plain
   values sealed under the key, in one transaction.
3. ``python -m bot rotate-key`` writes a new key beside the old one
   (``<key_file>.new``), reseals everything in one transaction, then swaps the
   files. A crash between the commit and the swap is finished at the next start:
   the ``.new`` key is tried and promoted when it fits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.crypto import (
    KeyUnusableError,
    Sealer,
    decode_key,
    fingerprint,
    load_or_create_key,
    new_key,
    write_key_file,
)
from bot.settings import Settings
from storage import sealing
from storage.database import Database

logger = logging.getLogger(__name__)

WRONG_KEY = (
    "the encryption key does not open this database. Use the key this database was "
    "created with (STILLHERE_KEY, STILLHERE_KEY_FILE or [security] key_file), or restore "
    "the key file from your backup. Nothing was changed."
)


def _pending_key_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".new")


def current_key(settings: Settings) -> bytes | None:
    """Return the key the bot would use, without creating one; ``None`` if there is none."""
    if settings.key is not None:
        return decode_key(settings.key.reveal(), "STILLHERE_KEY")
    path = settings.security.key_file
    if not path.exists():
        return None
    return decode_key(path.read_text("ascii"), f"the key file {path}")


async def unlock(database: Database, settings: Settings) -> Sealer:
    """Return the sealer for this database, having checked (or first set) its key."""
    environ_key = settings.key.reveal() if settings.key is not None else None
    key_file = settings.security.key_file
    if environ_key is None and not key_file.exists():
        async with database.snapshot() as tx:
            encrypted = await sealing.key_fits(tx, Sealer(new_key())) is not None
        if encrypted:
            # Never create a fresh key for a database sealed under another one.
            raise KeyUnusableError(
                f"the key file {key_file} is missing, but this database was encrypted "
                "with a key. Restore the key file from your backup."
            )
    sealer = Sealer(load_or_create_key(environ_key, key_file))
    async with database.transaction() as tx:
        fits = await sealing.key_fits(tx, sealer)
        if fits is None:
            sealed = await sealing.reseal_all(tx, None, sealer)
            if sealed:
                logger.info("sealed %s stored values under the encryption key", sealed)
    if fits is False:
        promoted = await _finish_rotation(database, key_file) if environ_key is None else None
        if promoted is None:
            raise KeyUnusableError(WRONG_KEY)
        sealer = promoted
    database.use_sealer(sealer)
    return sealer


async def _finish_rotation(database: Database, key_file: Path) -> Sealer | None:
    """Promote ``<key_file>.new`` if an interrupted rotation left the database under it."""
    pending = _pending_key_file(key_file)
    if not pending.exists():
        return None
    candidate = Sealer(decode_key(pending.read_text("ascii"), f"the key file {pending}"))
    async with database.snapshot() as tx:
        if not await sealing.key_fits(tx, candidate):
            return None
    os.replace(pending, key_file)
    logger.warning("finished an interrupted key rotation: %s is the key now", key_file)
    return candidate


async def rotate(
    database: Database, settings: Settings, key_out: Path | None = None
) -> tuple[int, Path]:
    """Reseal every value under a new key; return how many values were rewritten and
    where the new key is.

    The caller holds the database's lock (no bot runs). The new key goes to the
    key file, or to ``key_out`` when the key file is a read-only secret. The old
    key file stays beside it, named with its fingerprint: backups made under it
    need it, until the operator deletes it.
    """
    if settings.key is not None and key_out is None:
        raise KeyUnusableError(
            "the key comes from STILLHERE_KEY; rotation writes the new key to a file: "
            "give it one with --key-out PATH, then use that file as STILLHERE_KEY_FILE"
        )
    key_file = settings.security.key_file
    target = key_out or key_file
    old = await unlock(database, settings)
    old_key = current_key(settings)
    fresh = new_key()
    pending = _pending_key_file(target)
    write_key_file(pending, fresh)
    new = Sealer(fresh)
    async with database.transaction() as tx:
        rewritten = await sealing.reseal_all(tx, old, new)
    if old_key is not None and target == key_file:
        kept = key_file.with_name(f"{key_file.name}.{fingerprint(old_key)}")
        write_key_file(kept, old_key)
    os.replace(pending, target)
    database.use_sealer(new)
    logger.warning("rotated the encryption key into %s: back up the new key now", target)
    return rewritten, target
