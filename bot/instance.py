"""One bot per database: an exclusive lock beside it, held for the bot's whole life.

Two bots on one database would both deliver each queued message (every alert
twice) and split Telegram's updates between them. The bot takes
``<database>.lock`` with ``flock`` before it opens the database; a second one
finds it taken and stops with a clear message. The kernel releases the lock
when the process ends, however it ends, so a crash never leaves a stale lock.

Commands that must not run beside a bot (``rotate-key``, ``restore``) take the
same lock; ``health`` only looks whether someone holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

# A bot starting while ``health`` looks at the lock (a few microseconds) tries
# again for this long before giving up.
ACQUIRE_FOR = 5.0
_RETRY_EVERY = 0.1


class AlreadyRunningError(Exception):
    """Another process holds the database's lock: a bot is running on it."""


def lock_path(database: Path) -> Path:
    """Return the lock file of ``database``."""
    return database.with_name(database.name + ".lock")


class InstanceLock:
    """The exclusive lock of one database; a context manager."""

    def __init__(self, database: Path, *, wait: float = ACQUIRE_FOR) -> None:
        self.path = lock_path(database)
        self._wait = wait
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`AlreadyRunningError` once ``wait`` has passed."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self._wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise AlreadyRunningError(
                        f"another Still Here is running on this database (it holds {self.path}); "
                        "stop it first. Two bots on one database would send every alert twice."
                    ) from None
                time.sleep(_RETRY_EVERY)
        # Who holds it, for an operator looking at the file; the lock is what counts.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def is_running(database: Path) -> bool:
    """Return whether a bot holds the lock of ``database`` right now.

    Looks without keeping anything: a shared lock taken and dropped at once.
    """
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
