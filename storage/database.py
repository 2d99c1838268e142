"""One aiosqlite connection with serialised, explicit transactions.

Handlers and scheduler jobs interleave on one event loop and share one
connection. SQLite transactions belong to the connection, not to a coroutine,
so without the lock one coroutine's ``COMMIT`` could commit another's
half-finished work. Every statement therefore runs inside :meth:`Database.transaction`
(writes, ``BEGIN IMMEDIATE``) or :meth:`Database.snapshot` (reads), both holding
the lock.

Exceptions: :class:`StorageError` wraps a database that cannot be opened; errors
from statements are ``sqlite3`` exceptions and roll the transaction back.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence, Sized
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

from bot.crypto import Sealer

Params = Iterable[Any] | dict[str, Any]
T = TypeVar("T")
# Work that runs in one transaction on the database's own thread (see Database.inline).
Inline = Callable[["Transaction"], Coroutine[Any, Any, T]]


class _Cursor(Protocol):
    rowcount: int
    lastrowid: int | None

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Any: ...

    async def close(self) -> None: ...


class _Connection(Protocol):
    async def execute(self, sql: str, params: Any = ...) -> Any: ...

    async def executemany(self, sql: str, params: Any) -> Any: ...


# Rows per deferred multi-row INSERT: well within SQLite's limit of 32,766 bound values.
ROWS_PER_INSERT = 500


@functools.lru_cache(maxsize=64)
def _insert_rows(head: str, width: int, rows: int) -> str:
    """Return ``head`` followed by ``rows`` groups of ``width`` "?" marks."""
    group = "(" + ", ".join("?" for _ in range(width)) + ")"
    return f"{head} VALUES {', '.join(group for _ in range(rows))}"


# Values bound in one "IN (...)" list: well within SQLite's limit of 32,766.
IN_LIST_SIZE = 500


def chunks(values: Sequence[T], size: int = IN_LIST_SIZE) -> list[Sequence[T]]:
    """Split ``values`` into parts small enough for one "IN (...)" list each."""
    return [values[start : start + size] for start in range(0, len(values), size)]


def marks(values: Sized) -> str:
    """Return the "?, ?, ..." placeholders for binding ``values`` in an "IN (...)" list."""
    return ", ".join("?" for _ in range(len(values)))


class StorageError(Exception):
    """Raised when the database file cannot be opened or configured."""


class Transaction:
    """Run statements inside one open transaction; obtained from :class:`Database`."""

    def __init__(self, connection: _Connection, sealer: Sealer | None) -> None:
        self._connection = connection
        self._sealer = sealer
        # The next free id of each table whose inserts take ids from reserve_ids.
        self._next_ids: dict[str, int] = {}
        # Rows given to insert_later, by (level, INSERT head).
        self._later: dict[tuple[int, str], list[tuple[Any, ...]]] = {}

    @classmethod
    def direct(cls, connection: sqlite3.Connection, sealer: Sealer | None) -> Transaction:
        """Return a transaction that runs statements on ``connection`` in this thread.

        Its methods never wait: a coroutine using only them finishes in one step,
        which is what lets :meth:`Database.inline` run it on the database thread.
        The caller opens and ends the transaction on ``connection``.
        """
        return cls(_DirectConnection(connection), sealer)

    def seal(self, plaintext: str, identity: str) -> str:
        """Encrypt a value for storage, bound to its row's ``identity``."""
        return self._require_sealer().seal(plaintext, identity)

    def unseal(self, stored: str, identity: str) -> str:
        """Decrypt a stored value of the row ``identity``."""
        return self._require_sealer().open(stored, identity)

    def _require_sealer(self) -> Sealer:
        if self._sealer is None:
            raise StorageError("the database was opened without the encryption key")
        return self._sealer

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Run a part of this transaction that may fail alone.

        On an exception the part's statements are undone and the exception
        goes on; the rest of the transaction stays and may still commit. Parts
        may nest (SQLite names the innermost savepoint of a name).
        """
        await self.execute("SAVEPOINT part")
        try:
            yield
            # Rows the part deferred belong to it: written now, or undone with it.
            await self.flush()
        except BaseException:
            # Everything deferred before the savepoint was written by its
            # SAVEPOINT: what is still waiting belongs to the undone part.
            self._later.clear()
            await self.execute("ROLLBACK TO part")
            await self.execute("RELEASE part")
            raise
        await self.execute("RELEASE part")

    async def reserve_ids(self, table: str, count: int) -> int:
        """Return the first of ``count`` new row ids of ``table``, the way SQLite would choose.

        One past the largest id, remembered for the rest of this transaction: a
        write transaction holds the only write lock, so no other connection can
        take them. Every insert into ``table`` in this transaction must take its
        ids from here (an undone savepoint merely leaves a gap).
        """
        first = self._next_ids.get(table)
        if first is None:
            row = await self.fetch_one(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 -- table names come from the code, never from input
            first = int(row[0]) if row is not None else 1
        self._next_ids[table] = first + count
        return first

    def insert_later(self, head: str, rows: Sequence[tuple[Any, ...]], *, level: int) -> None:
        """Queue ``rows`` for ``head`` (``INSERT INTO t (a, b)``), written with the next statement.

        Rows queued together, even by many callers, go in a few multi-row
        statements: a sweep queues thousands. Any other statement of this
        transaction, and its end, writes them first, so reads see them; an
        error in them surfaces there. Rows of a lower ``level`` are written
        first: rows that others refer to (incidents before their messages).
        """
        self._later.setdefault((level, head), []).extend(rows)

    async def flush(self) -> None:
        """Write the rows of :meth:`insert_later`: lowest level first, each in order of arrival."""
        later, self._later = self._later, {}
        for (_, head), rows in sorted(later.items(), key=lambda item: item[0][0]):
            width = len(rows[0])
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                cursor = await self._connection.execute(
                    _insert_rows(head, width, len(chunk)),
                    [value for row in chunk for value in row],
                )
                await cursor.close()

    async def execute_many(self, sql: str, params: Iterable[Params]) -> int:
        """Run one statement once per set of ``params``; return the rows changed in all."""
        if self._later:
            await self.flush()
        cursor = await self._connection.executemany(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            await cursor.close()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement and return the number of rows it changed."""
        if self._later:
            await self.flush()
        cursor = await self._connection.execute(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            await cursor.close()

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one ``INSERT`` and return the new row's id."""
        if self._later:
            await self.flush()
        cursor = await self._connection.execute(sql, params)
        try:
            if cursor.lastrowid is None:
                raise sqlite3.OperationalError("statement inserted no row")
            return int(cursor.lastrowid)
        finally:
            await cursor.close()

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or ``None``."""
        if self._later:
            await self.flush()
        cursor = await self._connection.execute(sql, params)
        try:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row
        finally:
            await cursor.close()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Return every row of a query."""
        if self._later:
            await self.flush()
        cursor = await self._connection.execute(sql, params)
        try:
            return list(await cursor.fetchall())
        finally:
            await cursor.close()


class _DirectCursor:
    """The part of an aiosqlite cursor that :class:`Transaction` uses, without a thread."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    async def fetchone(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[sqlite3.Row]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _DirectConnection:
    """The part of an aiosqlite connection that :class:`Transaction` uses, in this thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Any = ()) -> _DirectCursor:
        return _DirectCursor(self._connection.execute(sql, params))

    async def executemany(self, sql: str, params: Any) -> _DirectCursor:
        return _DirectCursor(self._connection.executemany(sql, params))


def _finish(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits to its end, in this thread, and return its result."""
    try:
        work.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    work.close()
    raise RuntimeError("work given to Database.inline waited for something; it must not")


class Database:
    """Own the connection and hand out transactions one at a time."""

    def __init__(self, connection: aiosqlite.Connection, path: Path, sealer: Sealer | None) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self._sealer = sealer
        self.path = path

    @classmethod
    async def open(cls, path: Path, sealer: Sealer | None = None) -> Database:
        """Open (creating its folder if needed) and configure the database at ``path``.

        Without a ``sealer`` the database can be migrated and inspected, but no
        encrypted column can be written or read. The folder is created 0700 and
        the database made 0600 whatever the umask: SQLite gives its ``-wal`` and
        ``-shm`` files the database's mode.
        """
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # isolation_level=None: the sqlite3 module must not open transactions
            # behind our back; every BEGIN here is explicit.
            connection = await aiosqlite.connect(path, isolation_level=None)
            for private in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                if private.exists():
                    private.chmod(0o600)
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"cannot open the database at {path}: {error}") from None
        try:
            connection.row_factory = sqlite3.Row
            cursor = await connection.execute("PRAGMA journal_mode=WAL")
            row = await cursor.fetchone()
            await cursor.close()
            if row is None or str(row[0]).lower() != "wal":
                raise StorageError(f"the database at {path} cannot use write-ahead logging")
            await connection.execute("PRAGMA foreign_keys=ON")
            # FULL: a committed alert survives a power cut, not only a crash.
            await connection.execute("PRAGMA synchronous=FULL")
            await connection.execute("PRAGMA busy_timeout=5000")
            # Deleted content (a /wipe, pruned context) is overwritten, not left in free pages.
            await connection.execute("PRAGMA secure_delete=ON")
        except sqlite3.Error as error:
            await connection.close()
            raise StorageError(f"the file at {path} is not a usable database: {error}") from None
        except StorageError:
            await connection.close()
            raise
        return cls(connection, path, sealer)

    async def set_foreign_keys(self, *, enabled: bool) -> None:
        """Switch foreign-key enforcement (outside any transaction, where SQLite allows it)."""
        async with self._lock:
            await self._connection.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")

    def use_sealer(self, sealer: Sealer) -> None:
        """Seal and open values with ``sealer`` from now on (set once the key is verified)."""
        self._sealer = sealer

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True) -> AsyncIterator[Transaction]:
        """Open a write transaction; commit on success, roll back on any exception.

        ``durable=False`` skips the disk flush at the commit (``synchronous=NORMAL``
        for this one transaction): for bookkeeping that may be lost in a power
        cut, such as the idle tick's "still alive", so an idle bot does not flush
        the disk every second. The next durable commit flushes it along.
        """
        async with self._lock:
            if not durable:
                await self._connection.execute("PRAGMA synchronous=NORMAL")
            # IMMEDIATE takes the write lock now, so a transaction that reads and
            # then writes cannot fail halfway with SQLITE_BUSY.
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                tx = Transaction(self._connection, self._sealer)
                yield tx
                await tx.flush()
                await self._connection.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a full disk, say) may or may not have ended it.
                if self._connection.in_transaction:
                    await self._connection.execute("ROLLBACK")
                raise
            finally:
                if not durable:
                    await self._connection.execute("PRAGMA synchronous=FULL")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Transaction]:
        """Open a read transaction that sees one consistent state of the database."""
        async with self._lock:
            await self._connection.execute("BEGIN DEFERRED")
            try:
                yield Transaction(self._connection, self._sealer)
            finally:
                # Nothing to keep: a snapshot ends the same way whether or not
                # the reader raised.
                await self._connection.execute("ROLLBACK")

    async def inline(self, work: Inline[T], *, write: bool = True) -> T:
        """Run ``work`` in one transaction entirely on the database thread; return its result.

        A transaction from :meth:`transaction` crosses between the event loop and
        the database thread once per statement, which is most of the cost of a
        sweep that writes dozens of rows per watch. Here the whole coroutine runs
        there in one trip. It must await only the given transaction's methods
        (nothing else that waits: no sleeps, locks or network); anything else
        makes it fail and roll back. It must not touch the event loop either
        (no callbacks, no events): do that with the result, after it returns.
        """
        async with self._lock:
            # aiosqlite runs each queued call on its one thread, in order, and
            # _execute is how it queues one (private, but its only way); the lock
            # keeps every other transaction of this process out meanwhile.
            connection: Any = self._connection
            return cast(T, await connection._execute(self._run_inline, work, write))

    def _run_inline(self, work: Inline[T], write: bool) -> T:
        """Run on the database thread: begin, finish ``work``, then commit or roll back."""
        # We are on aiosqlite's thread, the only one its sqlite3 connection accepts.
        connection = self._connection._conn
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        try:
            tx = Transaction.direct(connection, self._sealer)
            result = _finish(work(tx))
            _finish(tx.flush())
            connection.execute("COMMIT" if write else "ROLLBACK")
        except BaseException:
            # A failed COMMIT (a full disk, say) may or may not have ended it.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

    async def close(self) -> None:
        """Wait for running transactions to end, then close the connection."""
        async with self._lock:
            await self._connection.close()
