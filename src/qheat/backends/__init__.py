"""Backends by name: ``exact`` (density-matrix propagation of system + bath particle), ``aer`` (ideal
Aer circuits) and ``aer:<config>`` (Aer with the noise model of ``hardware_configs/<config>.toml``)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from qheat.errors import QheatError
from qheat.backends import exact

if TYPE_CHECKING:
    from qheat.specs import CascadeSpec

Simulator = Callable[["CascadeSpec"], Iterator[exact.Snapshot]]
BACKENDS: dict[str, Simulator] = {"exact": exact.simulate}


def circuit_backends() -> list[str]:
    """Names of the backends that run circuits: 'aer' and one 'aer:<config>' per hardware config."""
    from qheat.backends.aer import config_names

    return ["aer", *(f"aer:{c}" for c in config_names())]


def names(*, fake: bool = False) -> list[str]:
    """Backend names usable offline: exact, aer, aer:<config>, then the patterns ``fake:<name>`` and
    ``ibm:<name>`` (``fake=True``: every fake device instead of the pattern)."""
    from qheat.backends.runtime import fake_names

    return [*BACKENDS, *circuit_backends(), *(fake_names() if fake else ["fake:<name>"]), "ibm:<name>"]


def is_runtime_backend(name: str) -> bool:
    """``fake:<name>`` or ``ibm:<name>``: circuits through Qiskit Runtime (``backends.runtime``)."""
    return name.startswith("fake:") or name.startswith("ibm:")


def is_circuit_backend(name: str) -> bool:
    return name == "aer" or name.startswith("aer:") or is_runtime_backend(name)


def check(name: str) -> None:
    """Refuse an unknown backend name, listing the known ones (no network: ``ibm:`` names are checked
    for shape here, and against the account when used)."""
    if name in BACKENDS:
        return
    if is_runtime_backend(name):
        from qheat.backends.runtime import check_name

        check_name(name)
        return
    if is_circuit_backend(name):
        if name not in circuit_backends():
            from qheat.backends.aer import config_names

            raise QheatError(f"unknown hardware config {name[4:]!r} in backend {name!r}; "
                             f"available: {', '.join(config_names())} (files in qheat/hardware_configs)")
        return
    raise QheatError(f"unknown backend {name!r}; available: {', '.join(names())}")


def get_backend(name: str) -> Simulator:
    """The simulate function of an exact-engine backend name; unknown names are refused with the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise QheatError(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}") from None
