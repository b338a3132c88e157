"""Spec tables that several protocols share: evolution times, circuit settings, seed 002's pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.spec import (
    MAX_BOOTSTRAP,
    MAX_SHOTS,
    SpecFile,
    _choice,
    _integer,
    _list,
    _number,
    _table,
)

SYNTHESES = ("auto", "exact", "trotter")
MAX_POINTS = 100_000
MAX_CIRCUIT_POINTS = 1000
MIN_SHOTS = 30  # below it the standard errors (spread over shots, bootstrap) are meaningless
MIN_BOOTSTRAP = 10
POSITIVITY_TOLERANCE = 1e-12


# ----------------------------------------------------------------------------- shared tables


@dataclass(frozen=True)
class Evolution:
    """Times 0 .. t_max (``points`` of them, evenly spaced) at which the exact engine reports the state."""

    t_max: float
    points: int = 201

    @property
    def times(self) -> np.ndarray:
        return np.linspace(0.0, self.t_max, self.points)


@dataclass(frozen=True)
class CircuitSettings:
    """Circuits on Aer (SamplerV2, seeded): ``points`` evenly spaced times in [0, t_max], ``shots`` each.

    synthesis of e^{-iHt}: "exact" (the matrix exponential, synthesised by Qiskit), "trotter" (first-order
    Lie-Trotter with enough steps that the commutator bound (t^2/2r) sum_{j<k} ||[H_j, H_k]|| stays below
    max_trotter_error), "auto" (exact up to 4 qubits).
    """

    points: int = 11
    shots: int = 4000
    seed: int = 1234
    synthesis: str = "auto"
    max_trotter_error: float = 1e-3
    bootstrap: int | None = None  # correlated-pair: nonparametric bootstrap resamples of the tomography (40)


def _evolution(data: Any) -> Evolution:
    d = _table(data, "[evolution]", {"t_max", "points"}, {"t_max"})
    return Evolution(
        _number(d["t_max"], "evolution.t_max", positive=True),
        _integer(d.get("points", 201), "evolution.points", minimum=2),
    )


def _circuits(data: Any, *, bootstrap: bool = False) -> CircuitSettings:
    """The [circuits] table; ``bootstrap``: the protocol fits tomography and takes a ``bootstrap`` count."""
    keys = {"points", "shots", "seed", "synthesis", "max_trotter_error"} | ({"bootstrap"} if bootstrap else set())
    d = _table(data, "[circuits]", keys, set())
    out = CircuitSettings(
        _integer(d.get("points", 11), "circuits.points", minimum=2),
        _integer(d.get("shots", 4000), "circuits.shots", minimum=1),
        _integer(d.get("seed", 1234), "circuits.seed", minimum=0),
        _choice(d.get("synthesis", "auto"), "circuits.synthesis", SYNTHESES),
        _number(d.get("max_trotter_error", 1e-3), "circuits.max_trotter_error", positive=True),
        _integer(d.get("bootstrap", 40), "circuits.bootstrap", minimum=1) if bootstrap else None,
    )
    if out.points > MAX_CIRCUIT_POINTS or out.shots > MAX_SHOTS:
        raise QheatError(f"circuits.points must be <= {MAX_CIRCUIT_POINTS} and circuits.shots <= {MAX_SHOTS}")
    if out.shots < MIN_SHOTS:
        raise QheatError(f"circuits.shots = {out.shots}: the error bars need at least {MIN_SHOTS} shots per circuit")
    if out.bootstrap is not None and not MIN_BOOTSTRAP <= out.bootstrap <= MAX_BOOTSTRAP:  # set iff bootstrap
        raise QheatError(
            f"circuits.bootstrap = {out.bootstrap}: the error bars need {MIN_BOOTSTRAP}..{MAX_BOOTSTRAP} resamples"
        )
    return out


def _check_points(ev: Evolution) -> None:
    if ev.points > MAX_POINTS:
        raise QheatError(f"evolution.points = {ev.points} is more than {MAX_POINTS}")


# ----------------------------------------------------------------------------- seed 002


@dataclass(frozen=True)
class PairQubits:
    """Qubits A and B, H_A = H_B = (frequency/2) sigma_z, locally Gibbs at temperatures (T_A, T_B)."""

    temperatures: tuple[float, float]
    frequency: float = 1.0


@dataclass(frozen=True)
class PairCorrelation:
    """chi of Eq. (10): phase phi_chi and strength = |chi_23| / sqrt(lambda_4) (1: Eq. 10; > 1 not positive)."""

    phase: float = 0.0
    strength: float = 1.0


@dataclass(frozen=True)
class PairCoupling:
    """V_AB = Omega (e^{i phi_V} |01><10| + h.c.) (Eq. 7): strength Omega, phase phi_V."""

    strength: float
    phase: float = 0.0


class _PairSpec(SpecFile):
    """What the pair specs share: delta of Eq. (12) and the positivity bound of chi (Appendix A)."""

    coupling: PairCoupling
    correlation: PairCorrelation

    @property
    def delta(self) -> float:
        """delta = phi_V - phi_chi (Eq. 12)."""
        return self.coupling.phase - self.correlation.phase

    def check(self) -> None:
        _check_strength(self.correlation.strength)


def _check_strength(strength: float) -> None:
    if strength > 1.0 + POSITIVITY_TOLERANCE:
        raise QheatError(
            f"correlation.strength = {strength!r} makes rho_A (x) rho_B + chi non-positive: "
            "|chi_23| <= sqrt(lambda_4), i.e. strength <= 1 (seed 002 Appendix A)"
        )


def _pair_common(top: dict[str, Any]) -> tuple[PairQubits, PairCorrelation, PairCoupling]:
    qd = _table(top["qubits"], "[qubits]", {"temperatures", "frequency"}, {"temperatures"})
    temps = tuple(
        _number(t, f"qubits.temperatures[{i}]", positive=True)
        for i, t in enumerate(_list(qd["temperatures"], "qubits.temperatures"))
    )
    if len(temps) != 2:
        raise QheatError(f"qubits.temperatures needs two entries (T_A, T_B), got {len(temps)}")
    qubits = PairQubits((temps[0], temps[1]), _number(qd.get("frequency", 1.0), "qubits.frequency", positive=True))
    cd = _table(top.get("correlation", {}), "[correlation]", {"phase", "strength"}, set())
    correlation = PairCorrelation(
        _number(cd.get("phase", 0.0), "correlation.phase"),
        _number(cd.get("strength", 1.0), "correlation.strength", nonnegative=True),
    )
    vd = _table(top["coupling"], "[coupling]", {"strength", "phase"}, {"strength"})
    coupling = PairCoupling(
        _number(vd["strength"], "coupling.strength", positive=True), _number(vd.get("phase", 0.0), "coupling.phase")
    )
    return qubits, correlation, coupling
