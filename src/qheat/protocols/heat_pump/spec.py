"""The heat-pump spec (seed 002 Sec. V)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.limits import Limits
from qheat.core.spec import Sweep, _integer, _list, _number, _table
from qheat.core.tables import (
    CircuitSettings,
    PairCorrelation,
    PairCoupling,
    PairQubits,
    _circuits,
    _pair_common,
    _PairSpec,
)

BATH_MODELS = ("collisions", "heom")


@dataclass(frozen=True)
class Baths:
    """Collision-model baths: every dt each qubit meets a fresh ancilla thermal at its own temperature in a
    partial SWAP of angle theta_k, theta_k^2 = kappa_k (1 + 2 n_k) dt (n_k the Bose occupation at omega),
    whose small-dt limit is the Lindblad equation with rates kappa(1 + n) (down) and kappa n (up)."""

    kappa: tuple[float, float]
    dt: float = 0.1
    relax_time: float = 500.0
    model: str = "collisions"  # or "heom": Drude-Lorentz baths through QuTiP's HEOM (exact engine only)
    cutoff: float | None = None  # heom (default 1.0): the Drude frequency gamma, assumed (the paper gives none)
    depth: int | None = None  # heom (default 2): hierarchy depth
    terms: int | None = None  # heom (default 3): Pade terms per bath


@dataclass(frozen=True)
class HeatPumpSpec(_PairSpec):
    """Seed 002 Sec. V: thermalise, inject chi, couple for tau, decouple, rethermalise; ``cycles`` times.

    coupling_time: tau (default |theta|/(2 Omega), Eq. 13); the baths stay on throughout, as in the paper.
    circuits: shots and seed of backend ``aer`` (``points``, ``synthesis`` and ``max_trotter_error`` unused).
    """

    protocol: str
    qubits: PairQubits
    correlation: PairCorrelation
    coupling: PairCoupling
    baths: Baths
    cycles: int = 2
    coupling_time: float | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    circuits: CircuitSettings | None = None
    limits: Limits | None = None

    def circuit_settings(self) -> CircuitSettings:
        """The [circuits] table of a circuit backend (``check`` refuses such a backend when it is missing)."""
        if self.circuits is None:
            raise QheatError(f"spec {self.key()!r} has no [circuits] table (shots, seed); circuit backends need one")
        return self.circuits

    def check(self) -> None:
        super().check()
        steps = (self.cycles * (self.baths.relax_time + (self.coupling_time or 0.0) + 100.0)) / self.baths.dt
        if steps > 2_000_000:
            raise QheatError(
                f"{self.cycles} cycles of relax_time {self.baths.relax_time:g} at dt = {self.baths.dt:g} "
                "take more than 2000000 collision rounds; use a larger dt or fewer cycles"
            )


def heat_pump_from_dict(
    top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None
) -> HeatPumpSpec:
    qubits, correlation, coupling = _pair_common(top)
    bd = _table(top["baths"], "[baths]", {"kappa", "dt", "relax_time", "model", "cutoff", "depth", "terms"}, {"kappa"})
    kappa = tuple(
        _number(k, f"baths.kappa[{i}]", positive=True) for i, k in enumerate(_list(bd["kappa"], "baths.kappa"))
    )
    if len(kappa) != 2:
        raise QheatError(f"baths.kappa needs two entries (kappa_A, kappa_B), got {len(kappa)}")
    model = bd.get("model", "collisions")
    if model not in BATH_MODELS:
        raise QheatError(f"unknown baths.model {model!r}; expected one of {list(BATH_MODELS)}")
    if model == "collisions" and any(key in bd for key in ("cutoff", "depth", "terms")):
        raise QheatError("baths.cutoff, depth and terms belong to baths.model = 'heom'; remove them or set the model")
    heom = model == "heom"
    baths = Baths(
        (kappa[0], kappa[1]),
        _number(bd.get("dt", 0.1), "baths.dt", positive=True),
        _number(bd.get("relax_time", 500.0), "baths.relax_time", positive=True),
        model,
        _number(bd.get("cutoff", 1.0), "baths.cutoff", positive=True) if heom else None,
        _integer(bd.get("depth", 2), "baths.depth", minimum=1) if heom else None,
        _integer(bd.get("terms", 3), "baths.terms", minimum=1) if heom else None,
    )
    from qheat.physics.open_systems import planck  # here: it brings QuTiP

    for k, t in zip(kappa, qubits.temperatures if model == "collisions" else ()):
        theta2 = k * baths.dt * (1.0 + 2.0 * planck(qubits.frequency, t))
        if theta2 > (math.pi / 2) ** 2:
            raise QheatError(
                f"baths.dt = {baths.dt:g}: the collision angle sqrt(kappa (1 + 2n) dt) = {math.sqrt(theta2):.3g} "
                "exceeds pi/2; use a smaller dt"
            )
    tau = None if "coupling_time" not in top else _number(top["coupling_time"], "coupling_time", positive=True)
    cycles = _integer(top.get("cycles", 2), "cycles", minimum=1)
    circuits = _circuits(top["circuits"]) if "circuits" in top else None
    return HeatPumpSpec(protocol, qubits, correlation, coupling, baths, cycles, tau, name, description, sweep, circuits)
