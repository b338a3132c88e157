"""Backends by name. Today: ``exact`` (density-matrix propagation of system + bath particle)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..errors import QheatError
from . import exact

if TYPE_CHECKING:
    from ..specs import CascadeSpec

Simulator = Callable[["CascadeSpec"], Iterator[exact.Snapshot]]
BACKENDS: dict[str, Simulator] = {"exact": exact.simulate}


def get_backend(name: str) -> Simulator:
    """The simulate function of a backend name; unknown names are refused with the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise QheatError(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}") from None
