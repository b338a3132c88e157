"""Seed 002's heat pump with HEOM baths: the step propagator against QuTiP's own HEOM time evolution, the
weak-coupling limit against the collision-model (local Lindblad) baths, and stationarity without fuel."""

from __future__ import annotations

import numpy as np
import pytest
import qutip as qt
from qutip.core.environment import DrudeLorentzEnvironment
from qutip.solver.heom import HEOMSolver, HierarchyADOsState

from qheat.core.errors import QheatError
from qheat.physics import dense as ht
from qheat.physics import heom
from qheat.protocols.registry import protocol, spec_from_dict

H_A, H_B = ht.pair_hamiltonians(1.0)
V = ht.exchange_coupling(0.1, -np.pi / 2)
X_A, X_B = ht.term_matrix(2, {0: "X"}), ht.term_matrix(2, {1: "X"})
ENVS = [
    DrudeLorentzEnvironment(T=2.0, lam=0.005, gamma=1.0, tag=0),
    DrudeLorentzEnvironment(T=1.0, lam=0.005, gamma=1.0, tag=1),
]


def test_propagator_matches_qutips_heom_time_evolution():
    prop = heom.Propagator([H_A + H_B, H_A + H_B + V], [(X_A, ENVS[0]), (X_B, ENVS[1])], [H_A, H_B], 2, 3, 0.5)
    x = prop.add_to_rho(prop.steady(0), ht.correlation_matrix(2.0, 1.0, 0.0, 1.0, 1.0))
    y, heat = x.copy(), np.zeros(2)
    for _ in range(20):
        y, q = prop.step(y, 1)
        heat += q
    baths = [(env.approximate("pade", Nk=3, tag=j), qt.Qobj(op)) for j, (op, env) in enumerate(zip((X_A, X_B), ENVS))]
    solver = HEOMSolver(
        qt.Qobj(H_A + H_B + V),
        baths,
        max_depth=2,
        options={"progress_bar": False, "store_ados": True, "atol": 1e-12, "rtol": 1e-10},
    )
    times = np.linspace(0.0, 10.0, 401)
    start = HierarchyADOsState(qt.Qobj(prop.rho(x)), solver.ados, x.reshape((len(solver.ados.labels), 4, 4)))
    result = solver.run(start, times)
    assert np.abs(result.states[-1].full() - prop.rho(y)).max() < 1e-8
    currents = []
    for state in result.ado_states:  # -i sum_k Tr([H_j, X_j] rho_{e_k}), integrated by trapezoids
        currents.append(
            [
                np.real(
                    -1j
                    * sum(
                        np.trace((e @ op - op @ e) @ state.extract(label).full())
                        for label in state.filter(level=1, tags=[j])
                    )
                )
                for j, (op, e) in enumerate(((X_A, H_A), (X_B, H_B)))
            ]
        )
    assert heat == pytest.approx(np.trapezoid(np.array(currents), times, axis=0), rel=1e-4)
    assert heat[0] < 0 < heat[1]  # the correlated pair pumps: bath A receives, bath B gives


SPEC = {
    "protocol": "heat-pump",
    "cycles": 1,
    "qubits": {"temperatures": [2.0, 1.0], "frequency": 1.0},
    "correlation": {"phase": 0.0, "strength": 1.0},
    "coupling": {"strength": 0.1, "phase": -np.pi / 2},
    "baths": {"kappa": [0.01, 0.023], "dt": 0.05, "relax_time": 150.0},
}


def test_weak_coupling_heom_meets_the_collision_baths():
    collisions = protocol("heat-pump").exact(spec_from_dict(SPEC))
    heom_spec = spec_from_dict({**SPEC, "baths": {**SPEC["baths"], "model": "heom", "dt": 0.5, "cutoff": 1.0}})
    exact = protocol("heat-pump").exact(heom_spec)
    c, h = collisions["per_cycle"][0], exact["per_cycle"][0]
    assert h["Q_B"] > 0 > h["Q_A"]  # pumping, as with the collision baths
    assert h["Q_B"] == pytest.approx(c["Q_B"], rel=0.05)
    assert h["Q_A"] == pytest.approx(c["Q_A"], rel=0.05)
    assert exact["bath_couplings"]["cutoff"] == 1.0 and "HEOM" in exact["conventions"]["baths"]
    assert exact["normal"]["per_cycle"][0]["Q_A"] > 0  # without chi heat flows hot -> cold


def test_without_fuel_or_coupling_the_dressed_state_is_stationary():
    prop = heom.Propagator([H_A + H_B], [(X_A, ENVS[0]), (X_B, ENVS[1])], [H_A, H_B], 2, 3, 1.0)
    x = prop.steady(0)
    y, heat = prop.step(x, 0)
    assert np.abs(y - x).max() < 1e-12 and np.abs(heat).max() < 1e-12  # uncoupled qubits: no current


def test_heom_baths_are_refused_where_they_do_not_apply():
    with pytest.raises(QheatError, match="belong to baths.model = 'heom'"):
        spec_from_dict({**SPEC, "baths": {**SPEC["baths"], "cutoff": 2.0}})
    with pytest.raises(QheatError, match="unknown baths.model"):
        spec_from_dict({**SPEC, "baths": {**SPEC["baths"], "model": "hierarchy"}})
    spec = spec_from_dict({**SPEC, "baths": {**SPEC["baths"], "model": "heom"}, "circuits": {"shots": 100, "seed": 1}})
    assert spec_from_dict(spec.to_dict()) == spec
    with pytest.raises(QheatError, match="exact engine only"):
        protocol("heat-pump").check(spec, "aer")
