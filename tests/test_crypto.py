"""Encryption at rest: sealing, keys, rotation, and what a stolen database file shows."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.context import ContextKind
from bot.crypto import (
    KeyUnusableError,
    SealBrokenError,
    Sealer,
    decode_key,
    encode_key,
    fingerprint,
    load_or_create_key,
    new_key,
    write_key_file,
)
from bot.keys import rotate, unlock
from bot.services.lastknown import LastKnownService
from bot.services.people import PeopleService
from bot.settings import (
    CheckinSettings,
    Secret,
    SecuritySettings,
    Settings,
    StorageSettings,
    load_settings,
)
from storage import context as context_repository
from storage import people as people_repository
from storage import sealing
from storage.database import Database
from storage.migrations import apply_migrations
from tests.conftest import T_ANY
from tests.fake_clock import FakeClock

ROOT = Path(__file__).resolve().parent.parent


def test_a_sealed_value_opens_only_with_its_key_and_its_row_identity() -> None:
    sealer = Sealer(new_key())
    token = sealer.seal("Police are here", "context_items.body:1:42")
    assert "Police" not in token
    assert sealer.open(token, "context_items.body:1:42") == "Police are here"
    with pytest.raises(SealBrokenError):
        sealer.open(token, "context_items.body:2:42")  # moved to another person's row
    with pytest.raises(SealBrokenError):
        Sealer(new_key()).open(token, "context_items.body:1:42")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(SealBrokenError):
        sealer.open(tampered, "context_items.body:1:42")
    with pytest.raises(SealBrokenError):
        sealer.open("plain text", "x")


def test_the_same_text_seals_differently_each_time() -> None:
    sealer = Sealer(new_key())
    assert sealer.seal("same", "id") != sealer.seal("same", "id")


def test_a_missing_key_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "bot.key"
    key = load_or_create_key(None, key_file)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_or_create_key(None, key_file) == key
    assert load_or_create_key(encode_key(key), tmp_path / "unused.key") == key
    assert not (tmp_path / "unused.key").exists()


@pytest.mark.parametrize("text", ["", "not base64!", encode_key(b"short")])
def test_a_malformed_key_is_refused_with_a_clear_reason(text: str) -> None:
    with pytest.raises(KeyUnusableError, match="STILLHERE_KEY"):
        decode_key(text, "STILLHERE_KEY")


def _bot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STILLHERE_"))}
    clean |= {"PYTHONPATH": str(ROOT), "TELEGRAM_TOKEN": "123:TEST"} | env
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_wrong_key_stops_the_bot_with_a_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n', "utf-8")
    # First run with one key: it seals the database (then cannot reach Telegram: stop it).
    first = _bot("rotate-key", "--config", str(config), cwd=tmp_path, env={})
    assert first.returncode == 0, first.stderr
    other = encode_key(new_key())
    result = _bot("--config", str(config), cwd=tmp_path, env={"STILLHERE_KEY": other})
    assert result.returncode == 2
    assert "the encryption key does not open this database" in result.stderr
    assert "Traceback" not in result.stderr
    assert other not in result.stderr
    (tmp_path / "data" / "stillhere.key").unlink()
    missing = _bot("--config", str(config), cwd=tmp_path, env={})
    assert missing.returncode == 2
    assert "is missing, but this database was encrypted" in missing.stderr
    assert not (tmp_path / "data" / "stillhere.key").exists()


async def _sealed_database(tmp_path: Path) -> tuple[Settings, Database]:
    settings = load_settings(None, {"TELEGRAM_TOKEN": "123:TEST"})
    settings = replace(
        settings,
        storage=StorageSettings(tmp_path / "bot.sqlite3"),
        security=SecuritySettings(key_file=tmp_path / "bot.key"),
    )
    database = await Database.open(settings.storage.path)
    await apply_migrations(database, FakeClock())
    await unlock(database, settings)
    person = await PeopleService(database, FakeClock()).meet(7, "en", "Azat Example")
    service = LastKnownService(database, FakeClock(), CheckinSettings())
    await service.keep(person, 1, ContextKind.TEXT, {"text": "Police are here"})
    await service.set_instructions(person, "Call my lawyer")
    return settings, database


async def _read_back(database: Database) -> tuple[str, str | None, list[str]]:
    async with database.snapshot() as tx:
        person = await people_repository.by_id(tx, 1)
        instructions = await context_repository.load_instructions(tx, 1)
        items = await context_repository.recent(tx, 1, T_ANY, 10)
    assert person is not None
    return person.display_name, instructions, [str(i.body["text"]) for i in items]


async def test_rotation_reseals_everything_and_the_old_key_stops_working(tmp_path: Path) -> None:
    settings, database = await _sealed_database(tmp_path)
    old_key = settings.security.key_file.read_text("ascii")
    rewritten, where = await rotate(database, settings)
    assert rewritten >= 3
    assert where == settings.security.key_file
    # The old key stays beside the new one, named with its fingerprint, for old backups.
    kept = settings.security.key_file.with_name(
        f"bot.key.{fingerprint(decode_key(old_key, 'old'))}"
    )
    assert kept.read_text("ascii") == old_key
    assert await _read_back(database) == ("Azat Example", "Call my lawyer", ["Police are here"])
    await database.close()
    assert settings.security.key_file.read_text("ascii") != old_key
    reopened = await Database.open(settings.storage.path)
    try:
        await unlock(reopened, settings)
        assert (await _read_back(reopened))[0] == "Azat Example"
        with_old = replace(settings, key=Secret(old_key.strip()))
        with pytest.raises(KeyUnusableError, match="does not open this database"):
            await unlock(reopened, with_old)
    finally:
        await reopened.close()


async def test_a_rotation_cut_short_after_its_commit_is_finished_at_the_next_start(
    tmp_path: Path,
) -> None:
    settings, database = await _sealed_database(tmp_path)
    old = Sealer(decode_key(settings.security.key_file.read_text("ascii"), "old"))
    fresh = new_key()
    # The crash: the database was resealed and committed, the files never swapped.
    write_key_file(tmp_path / "bot.key.new", fresh)
    async with database.transaction() as tx:
        await sealing.reseal_all(tx, old, Sealer(fresh))
    await database.close()
    reopened = await Database.open(settings.storage.path)
    try:
        await unlock(reopened, settings)
        assert await _read_back(reopened) == ("Azat Example", "Call my lawyer", ["Police are here"])
    finally:
        await reopened.close()
    assert decode_key(settings.security.key_file.read_text("ascii"), "key") == fresh
    assert not (tmp_path / "bot.key.new").exists()


async def test_a_database_written_before_encryption_is_sealed_at_the_first_start(
    tmp_path: Path,
) -> None:
    settings = load_settings(None, {"TELEGRAM_TOKEN": "123:TEST"})
    settings = replace(
        settings,
        storage=StorageSettings(tmp_path / "bot.sqlite3"),
        security=SecuritySettings(key_file=tmp_path / "bot.key"),
    )
    database = await Database.open(settings.storage.path)
    await apply_migrations(database, FakeClock())
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO people (telegram_user_id, language, display_name, created_at, seen_at) "
            "VALUES (7, 'en', 'Azat Example', 'x', 'x')"
        )
        await tx.execute(
            "INSERT INTO instructions (person_id, body, updated_at) "
            "VALUES (1, 'Call my lawyer', 'x')"
        )
    await unlock(database, settings)
    async with database.snapshot() as tx:
        raw = await tx.fetch_one("SELECT display_name FROM people")
        instructions = await context_repository.load_instructions(tx, 1)
    await database.close()
    assert raw is not None
    assert Sealer.is_sealed(raw["display_name"])
    assert instructions == "Call my lawyer"
