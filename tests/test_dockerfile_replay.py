"""The Dockerfile, replayed without a container engine.

Copy exactly what the Dockerfile's build stage copies (honouring
``.dockerignore``) into an empty folder, build the wheel there, install it into
a clean venv, and run the image's entrypoint command line as an unprivileged
user against the fake Telegram on 127.0.0.1: the key is created 0600, the bot
polls, and SIGTERM stops it with exit 0.

The venv gets the project only from the wheel; the third-party dependencies
come from the tested environment (a path entry, never the internet), so what
is checked is that the wheel holds everything the bot needs.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram.fixtures import standalone_fake_telegram

ROOT = Path(__file__).resolve().parent.parent
IMAGE_UID = 10001


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(p, bare) for p in parts):
            return True
    return False


def _build_stage_copies(dockerfile: str) -> list[tuple[list[str], str]]:
    """Return the (sources, destination) of each COPY of the first (build) stage."""
    build_stage = dockerfile.split("\nFROM ", 2)[1]
    copies = []
    for line in build_stage.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, destination = line.split()[1:]
            copies.append((sources, destination))
    return copies


def _replay_copies(context: Path) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for sources, destination in _build_stage_copies((ROOT / "Dockerfile").read_text("utf-8")):
        for source in sources:
            origin = ROOT / source
            target = context / (destination if not destination.endswith("/") else source)
            if destination in ("./", "."):
                target = context / source
            if origin.is_dir():
                for path in origin.rglob("*"):
                    relative = path.relative_to(ROOT).as_posix()
                    if path.is_file() and not _ignored(relative, patterns):
                        copy = target / path.relative_to(origin)
                        copy.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(path, copy)
            elif not _ignored(source, patterns):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder another user can enter (pytest's own tmp folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="stillhere-image-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner may run ``path`` (every folder on the way too)."""
    folders = [path.parent, *path.parent.parents]
    return bool(path.stat().st_mode & stat.S_IXOTH) and all(
        folder.stat().st_mode & stat.S_IXOTH for folder in folders
    )


def _interpreter_for_others() -> Path | None:
    """Return a Python of this version that another user can run (pyenv's under /root
    cannot be): this one, or the system's of the same minor version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.executable).resolve(), Path("/usr/bin") / version):
        if candidate.exists() and _reachable_by_others(candidate.resolve()):
            return candidate
    return None


def _output(*command: str | Path, cwd: Path) -> str:
    """Run ``command`` with nothing of this environment but PATH; return its output."""
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(c) for c in command], cwd=cwd, check=True, capture_output=True)


async def test_the_dockerfile_replayed_builds_installs_and_runs_unprivileged(
    scratch: Path,
) -> None:
    context = scratch / "context"
    context.mkdir()
    _replay_copies(context)
    assert (context / "bot" / "__main__.py").exists()
    assert not list(context.rglob("__pycache__"))
    wheels = scratch / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--quiet",
        "--wheel-dir",
        wheels,
        context,
    )
    (wheel,) = wheels.glob("still_here-*.whl")
    venv = scratch / "venv"
    base = _interpreter_for_others()
    _run(base or sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel)
    packages = next(venv.glob("lib/python*/site-packages"))
    (packages / "tested-dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", "utf-8"
    )
    # The image's settings file, with its /data and /key moved into the scratch folder.
    data, key = scratch / "data", scratch / "key"
    for folder in (data, key):
        folder.mkdir(mode=0o700)
    settings_text = (ROOT / "docker" / "settings.toml").read_text("utf-8")
    settings_text = settings_text.replace('"/data/', f'"{data}/').replace('"/key/', f'"{key}/')
    entrypoint = re.search(r"ENTRYPOINT \[(.*)\]", (ROOT / "Dockerfile").read_text("utf-8"))
    assert entrypoint is not None
    argv = [part.strip().strip('"') for part in entrypoint.group(1).split(",")]
    assert argv[:3] == ["python", "-m", "bot"]
    # Root drops to the image's user; anyone else already is unprivileged.
    unprivileged = os.geteuid() == 0
    if unprivileged:
        assert base is not None, "no Python of this version that uid 10001 can run"
    if unprivileged:
        for folder in (data, key):
            os.chown(folder, IMAGE_UID, IMAGE_UID)
    async with standalone_fake_telegram(scratch) as (base_url, control):
        settings = scratch / "settings.toml"
        settings.write_text(f'[telegram]\nbase_url = "{base_url}"\n{settings_text}', "utf-8")
        settings.chmod(0o644)
        command = [str(python), *argv[1:-1], str(settings)]
        environment = {"PATH": os.environ.get("PATH", ""), "TELEGRAM_TOKEN": "123:TEST"}
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=data,
            env=environment,
            stderr=asyncio.subprocess.PIPE,
            user=IMAGE_UID if unprivileged else None,
            group=IMAGE_UID if unprivileged else None,
        )
        assert process.stderr is not None
        try:
            await control.wait_until_polling(timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), timeout=15)
            log = (await process.stderr.read()).decode()
    assert returncode == 0, log
    key_file = key / "stillhere.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "stillhere.sqlite3").stat().st_mode) == 0o600
    if unprivileged:
        assert key_file.stat().st_uid == IMAGE_UID
    # The bot came from the wheel, not from this checkout.
    where = _output(
        python, "-c", "import bot, storage; print(bot.__file__, storage.__file__)", cwd=data
    )
    assert str(ROOT) not in where
    assert where.count(str(packages)) == 2
