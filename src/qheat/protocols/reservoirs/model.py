"""Seeds 003 and 004: one or two qubits between two bosonic reservoirs, in the steady state.

``run(spec, backend="exact")`` solves every master equation the spec names (global Lindblad,
Redfield / Bloch-Redfield, local Lindblad; see ``analysis.open_systems``) for its steady state
and the heat current from each reservoir, and for a sweep adds the current along the sweep and
whether it shows negative differential thermal conductance (seed 004).

``run(spec, backend="aer")`` measures the same currents on circuits: each reservoir is a stream
of fresh thermal ancillas (``circuits.reservoir``), energy-resolved collisions in the system's
eigenbasis for 'lindblad' and local partial SWAPs for 'local' (the Redfield equation has no
collision counterpart), sampled with Aer's SamplerV2; see ``analysis.collision_reservoir``.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.result import Result
from qheat.protocols.registry import expand
from qheat.physics import open_systems
from qheat.protocols.registry import validated
from qheat.protocols.reservoirs import circuits as reservoir_circuits
from qheat.protocols.reservoirs.spec import ReservoirsSpec

BACKENDS = ("exact", "aer")
COLLISION_MODELS = {method: model for model, method in reservoir_circuits.MASTER_EQUATION.items()}
SEED_STRIDE = 10**6  # Aer seeds shot k with seed + k: sweep points get seeds further apart than any shot count

CONVENTIONS = {
    "units": "hbar = k_B = 1; frequencies, energies and temperatures in the spec's units",
    "ground_state": "|0> is the ground state of each qubit; basis index bit j is qubit j (qubit 0 meets reservoir A)",
    "heat_current": "from each reservoir into the system in the steady state (seed 003 q^A, q^B; seed 004 J_1, J_2); "
                    "positive = the reservoir gives energy; q_A + q_B = 0",
    "populations": "<E_i|rho|E_i> in the eigenbasis of H_S, energies ascending",
    "rho_energy_basis": "<E_i|rho|E_k>, energies ascending, each eigenvector's largest component real positive",
    "methods": "lindblad: global Born-Markov-secular; redfield: global Bloch-Redfield, no secular approximation; "
               "local: Lindblad dissipators on each reservoir's own qubit",
}


def check_backend(spec: ReservoirsSpec, backend: str) -> None:
    from qheat.core.protocol import require_backend

    require_backend("reservoirs", backend, BACKENDS)


def run(spec: ReservoirsSpec, backend: str = "exact") -> Result:
    """Steady states and heat currents of ``spec``; a sweep gives one point per value and a summary."""
    check_backend(spec, backend)
    spec = validated(spec)
    if backend == "aer" and spec.collisions is None:
        raise QheatError("backend 'aer' needs a [collisions] table with dt (the collision strength), e.g. dt = 0.25")
    if backend == "aer" and spec.lamb_shift:
        raise QheatError("backend 'aer' has no collision model with the Lamb shift; remove lamb_shift or use backend 'exact'")
    if spec.sweep is not None:
        family = expand(spec)
        if backend == "aer":
            family = [replace(p, collisions=replace(p.collisions, seed=p.collisions.seed + i * SEED_STRIDE))
                      for i, p in enumerate(family)]
        points = [run(point, backend).to_dict() for point in family]
        data = {"sweep": spec.to_dict()["sweep"], "points": points, "summary": summarize(points, spec)}
        return Result(spec, backend, data)
    return Result(spec, backend, solve(spec) if backend == "exact" else measure(spec))


def measure(spec: ReservoirsSpec) -> dict[str, Any]:
    """The result body on the gate-model reservoir: sampled currents per collision model, with the
    exact collision-model and master-equation values beside them, and the raw records."""
    from qheat.protocols.reservoirs import collisions as collision_reservoir

    settings = spec.collisions
    measured = None if settings.window is None else max(1, math.ceil(settings.window / settings.dt))
    methods = {
        method: collision_reservoir.run_on_aer(spec, settings.dt, model=COLLISION_MODELS[method],
                                               measured_rounds=measured, shots=settings.shots, seed=settings.seed,
                                               keep_records=settings.keep_records)
        for method in spec.methods if method in COLLISION_MODELS
    }
    if not methods:
        raise QheatError("backend 'aer' has collision models for methods 'lindblad' and 'local' only")
    skipped = [m for m in spec.methods if m not in COLLISION_MODELS]
    conventions = {
        **CONVENTIONS,
        "heat_current": "from each reservoir into the system per unit time, measured on its ancillas (bath side): "
                        "positive = the reservoir gives energy; q_A + q_B = 0 for 'lindblad' (energy-conserving "
                        "collisions), not for 'local', whose collisions do work on the coupled qubits",
        "collision_model": "lindblad <- energy-resolved collisions in the eigenbasis; local <- partial SWAPs at each qubit",
            "stderr": "standard error over shots; exact.circuit_expectation is the shot-free value of the same circuit",
    }
    if skipped:
        conventions["not_run"] = f"{', '.join(skipped)}: no collision-model counterpart"
    return {"methods": methods, "conventions": conventions}


def solve(spec: ReservoirsSpec) -> dict[str, Any]:
    """The result body of one spec: each method's steady state and currents."""
    methods: dict[str, Any] = {}
    energies = None
    for method in spec.methods:
        ss = open_systems.steady_state(method, spec.system, spec.reservoirs, spec.lamb_shift)
        energies = ss.energies
        methods[method] = {
            "heat_current": {"A": ss.heat_currents[0], "B": ss.heat_currents[1]},
            "populations": ss.populations,
            "min_population": float(ss.populations.min()),
            "negative_populations": bool(ss.populations.min() < -1e-12),
            "min_eigenvalue": ss.min_eigenvalue,
            "rho": {"real": ss.rho.real, "imag": ss.rho.imag},
            "rho_energy_basis": {"real": ss.rho_energy.real, "imag": ss.rho_energy.imag},
        }
    lamb = ("included in the global equations (seed 004, Eqs. 9-15); not in the local one; with it the "
            "Bloch-Redfield current at T_A = T_B is of second order in the coupling, not 0"
            if spec.lamb_shift else "not included (Gamma(w) real, as in QuTiP's Bloch-Redfield tensor)")
    return {"energies": energies, "methods": methods, "conventions": {**CONVENTIONS, "lamb_shift": lamb}}


def summarize(points: list[dict[str, Any]], spec: ReservoirsSpec) -> dict[str, Any]:
    """Current from reservoir A along the sweep and, per method, NDTC against T_A - T_B."""
    x = np.array([p[0] for p in spec.sweep.points], dtype=float)
    bias = np.array([np.subtract(*p["spec"]["reservoirs"]["temperatures"]) for p in points])
    out: dict[str, Any] = {"x": {"parameter": spec.sweep.parameters[0], "values": x},
                           "temperature_difference": bias, "heat_current_A": {}, "ndtc": {}}
    for method in points[0]["methods"]:
        data = [p["methods"][method] for p in points]
        out["heat_current_A"][method] = np.array([d["heat_current"]["A"] for d in data])
        # on circuits, judge NDTC on the shot-free value of each circuit, not on shot noise
        judged = [d["exact"]["circuit_expectation"]["A"] if "exact" in d else d["heat_current"]["A"] for d in data]
        out["ndtc"][method] = open_systems.negative_differential_conductance(bias, np.array(judged))
    return out
