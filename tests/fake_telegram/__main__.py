"""Run the fake Telegram Bot API as its own process.

    python -m tests.fake_telegram [--host 127.0.0.1] [--port 0] [--token T] [--ready-file P]

Prints one JSON line {"base_url": ..., "control_url": ...} to stdout once listening (and
writes the same to the ready file, atomically), then serves until SIGTERM or SIGINT and
exits 0. Requests the bot should not have made are listed on stderr at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from .server import FakeTelegram


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--token", default=None, help="the only token to accept")
    parser.add_argument("--ready-file", type=Path, default=None, help="where to write the URLs")
    return parser.parse_args(argv)


def _write_atomically(path: Path, text: str) -> None:
    """Write then rename, so a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def serve(args: argparse.Namespace) -> int:
    """Serve until a termination signal; return the exit status."""
    fake = FakeTelegram(args.token, host=args.host, port=args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await fake.start()
    try:
        ready = json.dumps({"base_url": fake.base_url, "control_url": fake.control_url})
        if args.ready_file is not None:
            _write_atomically(args.ready_file, ready + "\n")
        print(ready, flush=True)
        await stop.wait()
    finally:
        await fake.stop()
    for line in fake.unexpected:
        print(f"fake telegram: unexpected request: {line}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m tests.fake_telegram``."""
    return asyncio.run(serve(_parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
