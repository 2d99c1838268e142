"""Apply numbered ``.sql`` migrations, each in one transaction with its record.

Migration files are named ``NNNN_description.sql`` and live in
``storage/migrations/``. A migration and the row recording it commit together,
so a failing migration leaves nothing behind. A database that records a
migration this code does not know was written by a newer version of the bot;
running on it could silently misread data, so start-up is refused.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from storage.database import Database
from storage.timestamps import to_db

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# A migration whose first line is this runs with foreign keys off.
_FOREIGN_KEYS_OFF = "-- foreign_keys: off"

_CREATE_RECORD_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


class MigrationError(Exception):
    """Raised when migrations cannot be loaded or applied; the database is unchanged."""


class DatabaseTooNewError(MigrationError):
    """Raised when the database records a migration this code does not know."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Return the migrations in ``directory`` in version order."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file {path.name} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in migrations:
            raise MigrationError(f"two migration files have version {version:04d}")
        migrations[version] = Migration(version, match.group(2), path.read_text("utf-8"))
    return [migrations[version] for version in sorted(migrations)]


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements.

    Splitting on every ``;`` would break triggers and string literals, so pieces
    are joined until SQLite itself says the statement is complete.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        raise MigrationError("the script ends with an incomplete statement")
    return statements


def _has_code(text: str) -> bool:
    lines = (line.split("--", 1)[0] for line in text.splitlines())
    return any(line.strip(" \t;") for line in lines)


async def apply_migrations(
    database: Database, clock: Clock, directory: Path = MIGRATIONS_DIR
) -> list[int]:
    """Bring the database up to the newest migration and return the versions applied.

    1. Ensure the record table exists.
    2. Refuse a database that records versions or names this code does not know.
    3. Apply each missing migration with its record in one transaction.
    """
    migrations = load_migrations(directory)
    known = {migration.version: migration.name for migration in migrations}
    async with database.transaction() as tx:
        await tx.execute(_CREATE_RECORD_TABLE)
        rows = await tx.fetch_all("SELECT version, name FROM schema_migrations")
    recorded = {int(row["version"]): str(row["name"]) for row in rows}
    unknown = sorted(version for version in recorded if version not in known)
    if unknown:
        raise DatabaseTooNewError(
            f"the database at {database.path} was written by a newer version of Still Here "
            f"(it records migration {unknown[-1]:04d}, this version knows up to "
            f"{max(known, default=0):04d}); run the newer version or restore a backup"
        )
    renamed = [v for v, name in recorded.items() if known[v] != name]
    if renamed:
        raise MigrationError(
            f"the database at {database.path} records migration {renamed[0]:04d} under "
            f"another name; it does not belong to this version of Still Here"
        )

    applied: list[int] = []
    for migration in migrations:
        if migration.version in recorded:
            continue
        # Rebuilding a table (the only way to change a constraint in SQLite)
        # needs foreign keys off, or dropping the old table would cascade.
        keys_off = migration.sql.startswith(_FOREIGN_KEYS_OFF)
        if keys_off:
            await database.set_foreign_keys(enabled=False)
        try:
            async with database.transaction() as tx:
                for statement in split_statements(migration.sql):
                    await tx.execute(statement)
                if keys_off and await tx.fetch_all("PRAGMA foreign_key_check"):
                    raise sqlite3.IntegrityError("the migration broke a foreign key")
                await tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, to_db(clock.now())),
                )
        except sqlite3.Error as error:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} failed and was rolled "
                f"back: {error}"
            ) from None
        finally:
            if keys_off:
                await database.set_foreign_keys(enabled=True)
        applied.append(migration.version)
        logger.info("applied migration %04d_%s", migration.version, migration.name)
    return applied
