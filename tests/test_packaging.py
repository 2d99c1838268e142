"""What the installed package (and so the Docker image) contains."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

from tools.constraints import runtime_pins

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_the_bot_is_included_in_the_distribution() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "handlers", "storage")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert {"bot", "bot.core", "handlers", "storage"} <= packages
    missing = [name for name in packages if not any(fnmatchcase(name, p) for p in patterns)]
    assert missing == []


def test_migrations_ship_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["storage"]
    shipped = {path for pattern in data for path in (ROOT / "storage").glob(pattern)}
    assert shipped == set((ROOT / "storage" / "migrations").glob("*.sql"))
    assert shipped


def test_the_translation_catalogs_ship_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {path for pattern in data for path in (ROOT / "bot").glob(pattern)}
    catalogs = set((ROOT / "bot" / "locale").glob("*/LC_MESSAGES/messages.po"))
    assert len(catalogs) == 3
    assert shipped == catalogs


def test_the_dockerfile_keeps_its_promises() -> None:
    """Non-root, /data a volume, a health check that runs ``health``, the version, no token."""
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert "USER stillhere" in dockerfile
    assert "--uid 10001" in dockerfile
    assert 'VOLUME ["/data", "/key"]' in dockerfile
    assert re.search(r'HEALTHCHECK .*\n\s+CMD \["python", "-m", "bot", "health"', dockerfile)
    assert f'org.opencontainers.image.version="{version}"' in dockerfile
    assert "TELEGRAM_TOKEN=" not in dockerfile


def test_the_deploy_files_keep_their_promises() -> None:
    """Compose: hardened, the key apart, no restart loop; systemd: no restart on exit 2."""
    compose = (ROOT / "deploy" / "docker-compose.yml").read_text("utf-8")
    assert "read_only: true" in compose
    assert "cap_drop: [ALL]" in compose
    assert "no-new-privileges:true" in compose
    assert "stillhere-key:/key" in compose
    assert "restart: on-failure:5" in compose
    assert '"python", "-m", "bot", "health"' in compose
    unit = (ROOT / "deploy" / "stillhere.service").read_text("utf-8")
    for line in (
        "StateDirectory=stillhere",
        "UMask=0077",
        "RestartPreventExitStatus=2",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
    ):
        assert line in unit.splitlines()
    settings = (ROOT / "docker" / "settings.toml").read_text("utf-8")
    assert 'key_file = "/key/stillhere.key"' in settings


def test_the_runtime_dependencies_are_pinned_as_tested() -> None:
    """constraints.txt pins exactly what this tested environment runs the bot with."""
    pinned = [
        line
        for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert pinned == runtime_pins()
    assert any(pin.startswith("python-telegram-bot==") for pin in pinned)
    assert "-c constraints.txt" in (ROOT / "Dockerfile").read_text("utf-8")
