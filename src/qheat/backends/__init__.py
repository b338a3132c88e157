"""Backends by name. Today: ``exact`` (density-matrix propagation of system + bath particle)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from ..errors import QheatError
from . import exact

BACKENDS: dict[str, Callable[..., Iterator]] = {"exact": exact.simulate}


def get_backend(name: str) -> Callable[..., Iterator]:
    """The simulate function of a backend name; unknown names are refused with the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise QheatError(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}") from None
