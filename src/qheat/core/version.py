"""The package version, read once from the installed metadata (pyproject.toml is its one source)."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("qheat")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
