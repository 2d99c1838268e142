"""The benchmark's sizes, from the environment (``BENCH_*``), with defaults that finish."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class BenchSettings:
    """How big and how often."""

    watches: int = _int("BENCH_WATCHES", 100_000)
    # Runs of each figure; the long ones (10,000 due, catch-up, burst) default to one.
    runs: int = _int("BENCH_RUNS", 3)
    long_runs: int = _int("BENCH_RUNS", 1)
    run_timeout: float = _float("BENCH_TIMEOUT", 150.0)
    burst_timeout: float = _float("BENCH_BURST_TIMEOUT", 240.0)
    idle_seconds: float = _float("BENCH_IDLE_SECONDS", 10.0)
    only: str = os.environ.get("BENCH_ONLY", "")  # comma-separated: lag,catchup,burst,idle


SETTINGS = BenchSettings()
