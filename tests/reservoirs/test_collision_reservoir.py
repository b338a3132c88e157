"""Gate-model reservoirs (``qheat.protocols.reservoirs``: ``circuits``, ``exact``, ``analysis``, ``experiment``).

Checked against things the collision model does not compute itself: qheat's QuTiP master equations
(global 'lindblad' and 'local'), the single-qubit closed form, conservation laws, and, for the
circuits, the exact one-round channel built from scipy unitaries (density-matrix Aer, no shots)
and seeded Aer samples (within 4 standard errors).

Systems, written out from the papers: seed 003 Fig. 4 (omega = 1, 2, lambda = 0.5, flat g = 0.05 so
that Born-Markov holds, T_A = 3, T_B = 1) and seed 004 Fig. 3 (eps = 5, 4, g = 0.5 sigma_x sigma_x,
Ohmic-Drude gamma = 0.01, omega_D = 50, T_1 = 10, T_2 = 5).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Operator

import qheat
from qheat.backends.aer import AerBackend
from qheat.core.protocol import Batch
from qheat.engine import execute
from qheat.physics.open_systems import QubitSystem, Reservoirs
from qheat.protocols.reservoirs import analysis
from qheat.protocols.reservoirs import circuits as rc
from qheat.protocols.reservoirs import exact as cr

FOGEDBY = (QubitSystem((1.0, 2.0), "exchange", 0.5), Reservoirs((3.0, 1.0), (0.05, 0.05), "flat", None, "sigma_x"))
ZHANG = (QubitSystem((5.0, 4.0), "xx", 0.5), Reservoirs((10.0, 5.0), (0.01, 0.01), "ohmic-drude", 50.0, "sigma_x"))
SYSTEMS = {"fogedby": FOGEDBY, "zhang": ZHANG}
DTS = (0.4, 0.2, 0.1, 0.05)


def relative_errors(system, res, model, side="heat_current"):
    me = cr.master_equation_currents(system, res, model)
    target = me[side][0]
    errs = []
    for dt in DTS:
        st = cr.CollisionModel(system, res, dt, model).steady_state()
        errs.append((st[side][0] - target) / target)
    return np.array(errs)


# ----------------------------------------------------------------------------- (a) dt -> 0


@pytest.mark.parametrize("name", SYSTEMS)
def test_global_collisions_converge_to_global_lindblad_like_dt(name):
    system, res = SYSTEMS[name]
    errs = relative_errors(system, res, "global")
    ratios = errs[:-1] / errs[1:]
    # measured: fogedby 2.06e-3, 1.04e-3, 5.2e-4, 2.6e-4; zhang 5.3e-3, 2.7e-3, 1.3e-3, 6.7e-4
    assert np.all(np.abs(errs) < 6e-3) and abs(errs[-1]) < 1e-3
    np.testing.assert_allclose(ratios, 2.0, rtol=0.05)  # error proportional to dt


@pytest.mark.parametrize("name", SYSTEMS)
def test_local_collisions_converge_to_local_master_equation_like_dt(name):
    system, res = SYSTEMS[name]
    for side in ("heat_current", "system_side"):  # ancillas' energy; qheat's Tr(H_S D_j rho)
        errs = relative_errors(system, res, "local", side)
        np.testing.assert_allclose(errs[:-1] / errs[1:], 2.0, rtol=0.1)
        assert abs(errs[-1]) < 3e-3


def test_global_model_conserves_energy_and_steady_state_approaches_lindblad():
    system, res = FOGEDBY
    me = cr.master_equation_currents(system, res, "global")
    diffs = []
    for dt in (0.2, 0.1):
        cm = cr.CollisionModel(system, res, dt, "global")
        st = cm.steady_state()
        assert st["heat_current"][0] + st["heat_current"][1] == pytest.approx(0.0, abs=1e-13)
        np.testing.assert_allclose(st["heat_current"], st["system_side"], atol=1e-13)
        diffs.append(np.abs(st["rho"] - me["rho"]).max())
    assert diffs[1] < 0.6 * diffs[0] and diffs[1] < 3e-4
    # the free evolution commutes with the global collisions: same steady currents without it
    bare = cr.CollisionModel(system, res, 0.1, "global", free=False).steady_state()
    np.testing.assert_allclose(bare["heat_current"], st["heat_current"], atol=1e-13)


def test_local_ancillas_measure_switching_work_not_zero_sum():
    """Seed 003's exchange coupling conserves excitations: bath-side q_A = -q_B * w1/w2, system side sums to 0."""
    system, res = FOGEDBY
    st = cr.CollisionModel(system, res, 0.05, "local").steady_state()
    assert st["heat_current"][0] == pytest.approx(-st["heat_current"][1] / 2.0, rel=1e-9)
    assert sum(st["system_side"]) == pytest.approx(0.0, abs=1e-6)


def test_single_qubit_closed_form():
    """One qubit, flat baths: q_A = w g_A g_B (n_A - n_B) / (g_A(1 + 2 n_A) + g_B(1 + 2 n_B)) (seed 003, Sec. II)."""
    w, ga, gb, ta, tb = 1.3, 0.04, 0.07, 2.0, 0.5
    system, res = QubitSystem((w,)), Reservoirs((ta, tb), (ga, gb))
    na, nb = (1 / np.expm1(w / t) for t in (ta, tb))
    exact = w * ga * gb * (na - nb) / (ga * (1 + 2 * na) + gb * (1 + 2 * nb))
    for model in ("global", "local"):
        q = [cr.CollisionModel(system, res, dt, model).steady_state()["heat_current"][0] for dt in (0.02, 0.01)]
        assert 2 * q[1] - q[0] == pytest.approx(exact, rel=1e-5)  # Richardson: the O(dt) term removed
        assert q[1] == pytest.approx(exact, rel=3e-3)


# ----------------------------------------------------------------------------- (d) gates


@pytest.mark.parametrize("name", SYSTEMS)
def test_eigenoperators_and_energy_conservation_of_each_collision(name):
    system, res = SYSTEMS[name]
    h = rc.hamiltonian(system)
    for j in (0, 1):
        parts = rc.lowering_parts(system, res, j)
        assert len(parts) == 2  # two Bohr frequencies, each with two transitions
        total = sum(v + v.conj().T for _, v in parts)
        np.testing.assert_allclose(total, rc.on_qubit(rc.SIGMA_X, rc.site(j, 2), 2), atol=1e-12)
        for w, v in parts:
            np.testing.assert_allclose(h @ v - v @ h, -w * v, atol=1e-12)
    n_anc = np.kron(np.diag([0.0, 1.0]), np.eye(4))
    for c in rc.collisions(system, res, 0.7, "global"):
        u = rc.collision_unitary(c)
        total_h = np.kron(np.eye(2), h) + c.frequency * n_anc
        np.testing.assert_allclose(u @ total_h, total_h @ u, atol=1e-12)
        gate = Operator(rc.collision_circuit(c, system, "lab")).data
        phase = np.vdot(u.ravel(), gate.ravel())
        np.testing.assert_allclose(gate, phase / abs(phase) * u, atol=1e-12)
    for c in rc.collisions(system, res, 0.7, "local"):
        u = rc.collision_unitary(c)
        k = rc.site(c.reservoir, 2)
        bare = (
            np.kron(np.eye(2), 0.5 * system.frequencies[k] * rc.on_qubit(np.diag([-1.0, 1.0]), k, 2))
            + c.frequency * n_anc
        )
        np.testing.assert_allclose(u @ bare, bare @ u, atol=1e-12)
        total_h = np.kron(np.eye(2), h) + c.frequency * n_anc
        assert np.abs(u @ total_h - total_h @ u).max() > 1e-3  # the coupling makes it cost work
        np.testing.assert_allclose(Operator(rc.collision_circuit(c, system)).data, u, atol=1e-12)


def test_round_two_qubit_gate_counts():
    system, res = FOGEDBY
    assert rc.round_gate_counts(system, res, 0.5, "global", literal=False)["two_qubit"] <= 12
    assert rc.round_gate_counts(system, res, 0.5, "global", literal=True)["two_qubit"] <= 16
    assert rc.round_gate_counts(system, res, 0.5, "local")["two_qubit"] <= 7


# ----------------------------------------------------------------------------- counts


def test_currents_from_counts_reads_bits_little_endian():
    meta = {
        "dt": 0.5,
        "measured_rounds": 1,
        "collisions": [
            {"reservoir": "A", "frequency": 2.0, "excited_population": 0.3, "before_bits": [0], "after_bits": [1]},
            {"reservoir": "B", "frequency": 1.0, "excited_population": 0.1, "before_bits": [2], "after_bits": [3]},
        ],
    }
    # bit 0 = last character. Shot kind 1: A de-excites (1 -> 0): ancilla loses 2 -> q_A = +4 per shot.
    # Shot kind 2: B excites (0 -> 1): q_B = -2 per shot.
    out = analysis.currents_from_counts({"0001": 3, "1000": 1}, meta)
    assert out["heat_current"]["A"] == pytest.approx(3.0)
    assert out["heat_current"]["B"] == pytest.approx(-0.5)
    assert out["stderr"]["A"] == pytest.approx(np.sqrt(np.var([4, 4, 4, 0], ddof=1) / 4))
    assert out["total"] == pytest.approx(2.5)


# ----------------------------------------------------------------------------- (b), (c) Aer


@pytest.mark.parametrize("prep", ["purify", "dephase"])
@pytest.mark.parametrize(
    "name,model", [("fogedby", "global"), ("fogedby", "local"), ("zhang", "global"), ("zhang", "local")]
)
def test_density_matrix_circuits_reproduce_exact_channel(name, model, prep):
    """The shot-free circuits, compiled and run once by the ideal Aer device (a 'states' batch through
    the engine's ``execute``), give the exact channel's currents and final state; the ancilla enters
    each collision thermal (saved <Z> before it = 1 - 2p)."""
    system, res = SYSTEMS[name]
    dt, rounds, measured = 0.5, 40, 10
    circuit = rc.reservoir_circuit(system, res, dt, rounds, measured, model=model, prep=prep, record="save")
    assert circuit.num_qubits == {"purify": 4, "dephase": 3}[prep]
    device = AerBackend("aer")
    [record] = execute(device, Batch([device.compile(circuit)], [circuit.metadata], kind="states", seed=1))
    states = record["states"]
    aer = analysis.currents_from_states(states, circuit.metadata)
    exact = cr.CollisionModel(system, res, dt, model).expected_currents(rounds, measured)
    np.testing.assert_allclose(
        [aer["heat_current"]["A"], aer["heat_current"]["B"]], exact["heat_current"], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(states["rho_system"], exact["final_rho"], atol=1e-9)
    for ci, c in enumerate(circuit.metadata["collisions"]):
        assert float(np.real(states[f"z_before_0_{ci}"])) == pytest.approx(1 - 2 * c["excited_population"], abs=1e-12)


@pytest.mark.parametrize("model", ["global", "local"])
def test_sampled_counts_agree_with_exact_within_four_standard_errors(model):
    system, res = FOGEDBY
    method = rc.MASTER_EQUATION[model]
    spec = {
        "protocol": "reservoirs",
        "methods": [method],
        "system": {"frequencies": list(system.frequencies), "coupling": "exchange", "strength": 0.5},
        "reservoirs": {"temperatures": list(res.temperatures), "strengths": list(res.strengths)},
        "collisions": {"dt": 2.0, "shots": 300, "seed": 2024},
    }
    out = qheat.run(spec, backend="aer").to_dict()["methods"][method]
    assert out["records"][0]["metadata"]["rounds"] == out["rounds"]
    expected = out["exact"]["circuit_expectation"]
    for j in ("A", "B"):
        assert abs(out["heat_current"][j] - expected[j]) < 4 * out["stderr"][j]
        assert out["stderr"][j] < 0.2 * abs(expected[j])
        assert out["shot_free"]["heat_current"][j] == pytest.approx(expected[j], abs=1e-9)  # ideal device
    total = expected["A"] + expected["B"]  # 0 for the global model, -q_A (switching work) for the local one
    assert abs(out["total"] - total) < 4 * out["total_stderr"]
    if model == "global":
        assert abs(total) < 1e-6
    else:
        assert abs(total) > 4 * out["total_stderr"]


def test_collisions_without_the_dressed_structure_fall_back_to_the_exact_unitary():
    """A collision operator that is no dressed-bit lowering (here a random one) is compiled as its
    exact unitary, checked against exp(-i theta (V s+ + V^dag s-)) built here from its definition."""
    import dataclasses

    from qiskit.quantum_info import Operator
    from scipy.linalg import expm

    from qheat.physics.open_systems import QubitSystem, Reservoirs
    from qheat.protocols.reservoirs import circuits as rc

    system = QubitSystem((1.0, 2.0), "exchange", 0.5)
    res = Reservoirs((3.0, 1.0), (0.05, 0.05), "flat", None, "rwa")
    c = rc.collisions(system, res, 0.5)[0]
    rng = np.random.default_rng(3)
    v = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    odd = dataclasses.replace(c, operator=v)
    _, w = rc.eigenbasis(system)
    circuit = rc.global_collision_circuit(odd, w, 2)
    sp = np.array([[0, 0], [1, 0]])  # |1><0| on the ancilla, the highest qubit
    v_eig = w.conj().T @ v @ w
    gen = np.kron(sp, v_eig) + np.kron(sp.T, v_eig.conj().T)
    assert np.allclose(Operator(circuit).data, expm(-1j * odd.theta * gen), atol=1e-10)
