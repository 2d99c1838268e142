"""The version of Still Here, as installed (``still-here X.Y.Z``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("still-here")
except PackageNotFoundError:  # pragma: no cover - run from a checkout never installed
    VERSION = "0+unknown"
