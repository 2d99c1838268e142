"""The command line as an operator meets it: exit codes and messages, no tracebacks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bot(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_missing_token_exits_2_and_explains_botfather(tmp_path: Path) -> None:
    result = run_bot(env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelled_key_exits_2_and_names_it(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('[scheduler]\ntik = "1s"\n[checkins]\nmin_interval = "soon"\n', "utf-8")
    result = run_bot("--config", str(config), env={"TELEGRAM_TOKEN": "123:TEST"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "2 problem(s)" in result.stderr
    assert "[scheduler] tik: unknown key (known: tick, catch_up_grace)" in result.stderr
    assert "[checkins] min_interval: 'soon' is not a duration" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run_bot(
        "--config", str(tmp_path / "absent.toml"), env={"TELEGRAM_TOKEN": "123:TEST"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_from_a_newer_version_exits_2_without_a_traceback(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
        connection.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    connection.close()
    config = tmp_path / "settings.toml"
    # An unroutable base URL: the bot must refuse the database before it ever calls out.
    config.write_text(
        f'[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n[storage]\npath = "{database}"\n',
        "utf-8",
    )
    result = run_bot("--config", str(config), env={"TELEGRAM_TOKEN": "123:TEST"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "newer version of Still Here" in result.stderr
    assert "9999" in result.stderr
    assert "Traceback" not in result.stderr
