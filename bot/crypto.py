"""Encryption at rest: AES-GCM with a key kept outside the database.

What the activist said, where they were, their instructions and the names of
people are sealed before they reach SQLite. Each value is bound to its row's
identity as associated data, so a sealed value copied into another row (another
person's, say) fails to open instead of being shown in the wrong place.

The key is 32 random bytes, written as URL-safe base64: from ``STILLHERE_KEY``,
or the file named by ``STILLHERE_KEY_FILE``, or ``[security] key_file``, which is
created with mode 0600 on first start.

Exceptions: :class:`KeyUnusableError` (no usable key: the operator must act) and
:class:`SealBrokenError` (a value does not open under this key and identity).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)

KEY_BYTES = 32
_NONCE_BYTES = 12
_PREFIX = "v1:"


class KeyUnusableError(Exception):
    """Raised when the key is missing, malformed or does not fit the database."""


class SealBrokenError(Exception):
    """Raised when a sealed value does not open: wrong key, tampered, or moved rows."""


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, source: str) -> bytes:
    """Return the key written in ``text``; ``source`` names where it came from."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise KeyUnusableError(f"{source} does not hold a key (URL-safe base64 text)") from None
    if len(key) != KEY_BYTES:
        raise KeyUnusableError(f"{source} holds {len(key)} bytes; a key has {KEY_BYTES}")
    return key


def fingerprint(key: bytes) -> str:
    """Return a short, non-secret name of ``key``: it tells keys apart, reveals nothing."""
    return hashlib.sha256(b"still-here key fingerprint\0" + key).hexdigest()[:16]


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def write_key_file(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` readable by its owner only, atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_or_create_key(environ_key: str | None, key_file: Path) -> bytes:
    """Return the key from the environment, else from ``key_file`` (created if missing)."""
    if environ_key:
        return decode_key(environ_key, "STILLHERE_KEY")
    if key_file.exists():
        try:
            text = key_file.read_text("ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise KeyUnusableError(f"the key file {key_file} cannot be read: {error}") from None
        return decode_key(text, f"the key file {key_file}")
    key = new_key()
    write_key_file(key_file, key)
    logger.warning(
        "created a new encryption key in %s: back it up now and keep it apart from the "
        "database; without it the stored messages, places and names cannot be read",
        key_file,
    )
    return key


class Sealer:
    """Seal and open text values under one key, bound to their row's identity."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyUnusableError(f"a key has {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, identity: str) -> str:
        """Return ``plaintext`` encrypted, bound to ``identity``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), identity.encode("utf-8"))
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str, identity: str) -> str:
        """Return the plaintext in ``token`` for ``identity``; raise :class:`SealBrokenError`."""
        if not token.startswith(_PREFIX):
            raise SealBrokenError("the value is not sealed")
        try:
            raw = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
            plaintext = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], identity.encode("utf-8")
            )
        except (InvalidTag, binascii.Error, ValueError):
            raise SealBrokenError("the value does not open under this key for this row") from None
        return plaintext.decode("utf-8")

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(_PREFIX)
