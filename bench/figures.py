"""Collect each figure's values over runs and print them against the targets."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One measured figure: its target and the value of each run (None: did not finish)."""

    name: str
    target: str
    unit: str
    values: list[float | None] = field(default_factory=list)
    note: str = ""

    def add(self, value: float | None) -> None:
        self.values.append(value)

    def measured(self) -> str:
        done = sorted(v for v in self.values if v is not None)
        runs = len(self.values)
        if not done:
            return f"n/a (runs {runs}) {self.note}".rstrip()
        low, mid, high = done[0], statistics.median(done), done[-1]
        missing = f", {runs - len(done)} unfinished" if len(done) < runs else ""
        text = f"{_fmt(mid)}{self.unit} (min {_fmt(low)}, max {_fmt(high)}; runs {runs}{missing})"
        return f"{text} {self.note}".rstrip()


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def print_table(figures: list[Figure]) -> None:
    """Print figure, target and measured value as a Markdown table."""
    rows = [("figure", "target", "measured")]
    rows += [(f.name, f.target, f.measured()) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
