"""Seeds 003 and 004: one or two qubits between two bosonic reservoirs, in the steady state.

``run(spec, backend="exact")`` solves every master equation the spec names (global Lindblad,
Redfield / Bloch-Redfield, local Lindblad; see ``analysis.open_systems``) for its steady state
and the heat current from each reservoir, and for a sweep adds the current along the sweep and
whether it shows negative differential thermal conductance (seed 004).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis import open_systems
from ..errors import QheatError
from ..results import Result
from ..specs import ReservoirsSpec, expand, validated

BACKENDS = ("exact",)

CONVENTIONS = {
    "units": "hbar = k_B = 1; frequencies, energies and temperatures in the spec's units",
    "ground_state": "|0> is the ground state of each qubit; basis index bit j is qubit j (qubit 0 meets reservoir A)",
    "heat_current": "from each reservoir into the system in the steady state (seed 003 q^A, q^B; seed 004 J_1, J_2); "
                    "positive = the reservoir gives energy; q_A + q_B = 0",
    "populations": "<E_i|rho|E_i> in the eigenbasis of H_S, energies ascending",
    "methods": "lindblad: global Born-Markov-secular; redfield: global Bloch-Redfield, no secular approximation; "
               "local: Lindblad dissipators on each reservoir's own qubit",
}


def run(spec: ReservoirsSpec, backend: str = "exact") -> Result:
    """Steady states and heat currents of ``spec``; a sweep gives one point per value and a summary."""
    if backend not in BACKENDS:
        raise QheatError(f"protocol 'reservoirs' runs on backends {list(BACKENDS)}, not {backend!r}")
    spec = validated(spec)
    if spec.sweep is not None:
        points = [run(point, backend).to_dict() for point in expand(spec)]
        data = {"sweep": spec.to_dict()["sweep"], "points": points, "summary": summarize(points, spec)}
        return Result(spec, backend, data)
    return Result(spec, backend, solve(spec))


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
        }
    lamb = ("included in the global equations (seed 004, Eqs. 9-15); not in the local one"
            if spec.lamb_shift else "not included (Gamma(w) real, as in QuTiP's Bloch-Redfield tensor)")
    return {"energies": energies, "methods": methods, "conventions": {**CONVENTIONS, "lamb_shift": lamb}}


def summarize(points: list[dict[str, Any]], spec: ReservoirsSpec) -> dict[str, Any]:
    """Current from reservoir A along the sweep and, per method, NDTC against T_A - T_B."""
    x = np.array([p[0] for p in spec.sweep.points], dtype=float)
    bias = np.array([np.subtract(*p["spec"]["reservoirs"]["temperatures"]) for p in points])
    out: dict[str, Any] = {"x": {"parameter": spec.sweep.parameters[0], "values": x},
                           "temperature_difference": bias, "heat_current_A": {}, "ndtc": {}}
    for method in spec.methods:
        q = np.array([p["methods"][method]["heat_current"]["A"] for p in points])
        out["heat_current_A"][method] = q
        out["ndtc"][method] = open_systems.negative_differential_conductance(bias, q)
    return out
