"""Backends by name: ``exact`` (each protocol's exact engine), ``aer`` (ideal Aer circuits),
``aer:<config>`` (Aer with the noise model of ``hardware_configs/<config>.toml``), ``fake:<name>``
(Qiskit Runtime local mode on a fake device) and ``ibm:<name>`` (an IBM Quantum device).

A circuit backend is opened as a device (``open_device``): it compiles circuits for itself and runs
batches of them -- ``sample`` (counts), ``evolve`` (saved density matrices), ``superop`` (channels).
"""

from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError

EXACT = "exact"


def circuit_backends() -> list[str]:
    """Names of the Aer backends: 'aer' and one 'aer:<config>' per hardware config."""
    from qheat.backends.aer import config_names

    return ["aer", *(f"aer:{c}" for c in config_names())]


def names(*, fake: bool = False) -> list[str]:
    """Backend names usable offline: exact, aer, aer:<config>, then the patterns ``fake:<name>`` and
    ``ibm:<name>`` (``fake=True``: every fake device instead of the pattern)."""
    from qheat.backends.runtime import fake_names

    return [EXACT, *circuit_backends(), *(fake_names() if fake else ["fake:<name>"]), "ibm:<name>"]


def is_runtime_backend(name: str) -> bool:
    """``fake:<name>`` or ``ibm:<name>``: circuits through Qiskit Runtime (``backends.runtime``)."""
    return name.startswith(("fake:", "ibm:"))


def is_circuit_backend(name: str) -> bool:
    return name == "aer" or name.startswith("aer:") or is_runtime_backend(name)


def check(name: str) -> None:
    """Refuse an unknown backend name, listing the known ones (no network: ``ibm:`` names are checked
    for shape here, and against the account when used)."""
    if not isinstance(name, str):
        raise QheatError(f"a backend is named by a string, got {type(name).__name__}")
    if name == EXACT:
        return
    if is_runtime_backend(name):
        from qheat.backends.runtime import check_name

        check_name(name)
        return
    if is_circuit_backend(name):
        if name not in circuit_backends():
            from qheat.backends.aer import config_names

            raise QheatError(
                f"unknown hardware config {name[4:]!r} in backend {name!r}; "
                f"available: {', '.join(config_names())} (files in qheat/hardware_configs)"
            )
        return
    raise QheatError(f"unknown backend {name!r}; available: {', '.join(names())}")


def open_device(name: str, **options: Any) -> Any:
    """The device behind a circuit backend name: an ``AerBackend`` or a ``RuntimeBackend``."""
    check(name)
    if name == EXACT:
        raise QheatError("backend 'exact' runs no circuits")
    if is_runtime_backend(name):
        from qheat.backends.runtime import RuntimeBackend

        return RuntimeBackend(name, **options)
    from qheat.backends.aer import AerBackend

    return AerBackend(name)
