"""The correlated-pair spec (seed 002 Sec. III)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.limits import Limits
from qheat.core.spec import Sweep, check_phase
from qheat.core.tables import (
    CircuitSettings,
    Evolution,
    PairCorrelation,
    PairCoupling,
    PairQubits,
    _check_points,
    _circuits,
    _evolution,
    _pair_common,
    _PairSpec,
)


@dataclass(frozen=True)
class CorrelatedPairSpec(_PairSpec):
    """Seed 002 Sec. III: two qubits, locally thermal, correlated by chi, coupled by V_AB (Figs. 1, 2)."""

    protocol: str
    qubits: PairQubits
    correlation: PairCorrelation
    coupling: PairCoupling
    evolution: Evolution
    circuits: CircuitSettings | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    limits: Limits | None = None

    def circuit_settings(self) -> CircuitSettings:
        """The [circuits] table of a circuit backend (``check`` refuses such a backend when it is missing)."""
        if self.circuits is None:
            raise QheatError(f"spec {self.key()!r} has no [circuits] table (shots, seed); circuit backends need one")
        return self.circuits


def correlated_pair_from_dict(
    top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None
) -> CorrelatedPairSpec:
    qubits, correlation, coupling = _pair_common(top)
    evolution = _evolution(top["evolution"])
    _check_points(evolution)
    check_phase(
        max(qubits.frequency, coupling.strength) * evolution.t_max,
        "the largest phase of e^{-iHt}, max(frequency, coupling.strength) * t_max",
    )
    circuits = _circuits(top["circuits"], bootstrap=True) if "circuits" in top else None
    return CorrelatedPairSpec(protocol, qubits, correlation, coupling, evolution, circuits, name, description, sweep)
