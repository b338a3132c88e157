"""HEOM (QuTiP's HEOMSolver) against independent answers: Bloch-Redfield at weak coupling, zero current at equal
temperatures, energy balance, the Gibbs state of a single qubit, and QuTiP's own steady-state solver."""

from __future__ import annotations

import numpy as np
import pytest
from qutip.solver.heom import HEOMSolver

from qheat.core.errors import QheatError
from qheat.physics import heom, open_systems
from qheat.physics.open_systems import SIGMA_X, QubitSystem, Reservoirs, hamiltonian, on_qubit, site
from qheat.protocols.registry import spec_from_dict

ONE = QubitSystem((1.0,))
PAIR = QubitSystem((5.0, 5.0), "xx", 0.1)


def drude(t_a: float, t_b: float, gamma: float, cutoff: float = 5.0) -> Reservoirs:
    return Reservoirs((t_a, t_b), (gamma, gamma), "ohmic-drude", cutoff, "sigma_x")


@pytest.mark.parametrize("system, res", [(ONE, drude(2.0, 0.5, 1e-3)), (PAIR, drude(10.0, 5.0, 1e-3, 50.0))])
def test_weak_coupling_meets_bloch_redfield(system, res):
    q_heom = heom.steady_state(system, res, depth=2, terms=6).heat_currents[0]
    q_br = open_systems.steady_state("redfield", system, res).heat_currents[0]
    assert q_br > 0  # hot A gives energy
    assert q_heom == pytest.approx(q_br, rel=0.05)


def test_equal_temperatures_carry_no_current_and_currents_balance():
    """Unequal strengths, so no symmetry forces it: the current at T_A = T_B is a truncation error that the
    next hierarchy level removes (2e-5 at depth 2, 1e-7 at depth 3, against 0.024 at T_A = 20)."""
    equal = Reservoirs((5.0, 5.0), (0.01, 0.02), "ohmic-drude", 50.0, "sigma_x")
    q2 = heom.steady_state(PAIR, equal, 2, 4).heat_currents[0]
    q3 = heom.steady_state(PAIR, equal, 3, 4).heat_currents[0]
    assert abs(q3) < 1e-6 and abs(q3) < abs(q2) / 20
    hot = heom.steady_state(PAIR, drude(20.0, 5.0, 0.01, 50.0), 2, 4)
    assert hot.heat_currents[0] > 0
    assert hot.heat_currents[0] + hot.heat_currents[1] == pytest.approx(0.0, abs=1e-12)


def test_single_qubit_at_one_temperature_relaxes_to_gibbs_at_weak_coupling():
    ss = heom.steady_state(ONE, drude(0.7, 0.7, 1e-4), 2, 6)
    p_excited = 1.0 / (1.0 + np.exp(1.0 / 0.7))
    assert ss.populations[1] == pytest.approx(p_excited, rel=1e-2)
    assert ss.min_eigenvalue > 0


def test_fast_steady_state_equals_qutips_own():
    res = drude(2.0, 0.5, 0.01)
    h = hamiltonian(PAIR)
    baths = [
        (heom.drude_lorentz(res, j).approximate("pade", Nk=2, tag=j), on_qubit(SIGMA_X, site(j, 2), 2)) for j in (0, 1)
    ]
    solver = HEOMSolver(h, baths, max_depth=2, options={"progress_bar": False})
    rho_ref, ados_ref = solver.steady_state(use_mkl=False)
    rho, ados = heom.steady_ados(solver)
    assert np.abs(rho.full() - rho_ref.full()).max() < 1e-10
    for label in ados_ref.filter(level=1):
        assert np.abs(ados.extract(label).full() - ados_ref.extract(label).full()).max() < 1e-10


def test_convergence_is_reported():
    ss, report = heom.solve(ONE, drude(2.0, 0.5, 1e-3), heom.HeomSettings(depth=2, terms=6))
    assert report["depth"] == 2 and report["pade_terms"] == 6
    assert report["convergence"] < 1e-2
    assert report["terms_plus_one"]["relative_change"] >= 0
    poor, bad = heom.solve(ONE, drude(2.0, 0.5, 1e-3), heom.HeomSettings(depth=2, terms=2))
    assert bad["convergence"] > 0.1  # two Pade terms are far from converged at T = 0.5


SPEC = {
    "protocol": "reservoirs",
    "methods": ["redfield", "heom"],
    "system": {"frequencies": [5.0, 5.0], "coupling": "xx", "strength": 0.1},
    "reservoirs": {
        "temperatures": [10.0, 5.0],
        "strengths": [0.001, 0.001],
        "spectral_density": "ohmic-drude",
        "cutoff": 50.0,
        "coupling": "sigma_x",
    },
}


def test_spec_round_trip_and_refusals():
    spec = spec_from_dict({**SPEC, "heom": {"depth": 2, "terms": 5, "check": False}})
    assert spec.heom == heom.HeomSettings(2, 5, False)
    assert spec_from_dict(spec.to_dict()) == spec
    assert spec_from_dict({**SPEC, "methods": ["redfield"]}).heom is None
    with pytest.raises(QheatError, match='add "heom" to methods'):
        spec_from_dict({**SPEC, "methods": ["redfield"], "heom": {"depth": 2}})
    flat = {**SPEC, "reservoirs": {"temperatures": [2.0, 1.0], "strengths": [0.1, 0.1]}}
    with pytest.raises(QheatError, match="Drude-Lorentz"):
        spec_from_dict(flat)
    with pytest.raises(QheatError, match="auxiliary states"):
        heom.steady_state(PAIR, drude(2.0, 1.0, 0.01), depth=12, terms=12)


def test_exact_engine_reports_heom_beside_redfield():
    from qheat.protocols.registry import protocol

    spec = spec_from_dict({**SPEC, "heom": {"check": False}})
    body = protocol("reservoirs").exact(spec)
    h, r = body["methods"]["heom"], body["methods"]["redfield"]
    assert h["heat_current"]["A"] == pytest.approx(r["heat_current"]["A"], rel=0.05)
    assert h["hierarchy"]["convergence"] is None and "not checked" in h["hierarchy"]["convergence_note"]
