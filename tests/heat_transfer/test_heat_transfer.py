"""Seed 000 (Ma et al.): heat-transfer condition, Eq. (2) derivatives, Eq. (5), closed forms, circuits.

Independent answers: the paper's closed forms (Eq. 10, S29, S30) against the nested commutators;
finite differences of the exact Q(t) against Eq. (2); the identity lhs = rhs of Eq. (5) (energies on
one side, entropies on the other) and energy conservation; the sign convention of Fig. 1(c) from
explicit 2x2 matrices; circuits (Statevector and Aer samples) against the exact engine.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import tomllib
from importlib import resources

import numpy as np
import pytest
from scipy.constants import h as PLANCK
from scipy.constants import k as BOLTZMANN

import qheat
from qheat import QheatError
from qheat.circuits import three_body
from qheat.circuits.preparation import purification_circuit
from qheat.physics import dense as ht
from qheat.protocols.heat_transfer import model as ht_model
from qheat.protocols.registry import spec_from_dict

LIBRARY = resources.files("qheat") / "spec_library"
FIG1 = ["ma-fig1b", "ma-fig1c", "ma-fig1d"]


def raw(name: str) -> dict:
    return tomllib.loads((LIBRARY / f"{name}.toml").read_text())


@pytest.fixture(scope="module")
def fig1():
    return {name: qheat.run(name).to_dict() for name in FIG1}


# ----------------------------------------------------------------------------- sign convention of Fig. 1(c)


def _fig1c_commutator(sigma_plus: np.ndarray) -> float:
    """||[H_I, H_A + H_B]|| of Fig. 1(c) as printed, built from explicit matrices with a given sigma^+."""
    x = np.array([[0, 1], [1, 0]], complex)
    y = np.array([[0, -1j], [1j, 0]])
    z = np.diag([1.0, -1.0]).astype(complex)  # H = -(w/2) z: |0> ground
    i2 = np.eye(2)
    sp, sm = sigma_plus, sigma_plus.conj().T

    def op(a, b, c):  # A1 (x) A2 (x) B
        return np.kron(np.kron(a, b), c)

    h_ai = 0.5 * (op(sm, sp, i2) + op(sp, sm, i2))
    t = 2j * op(sm, sp, y)
    h_i = 0.005 * (t + t.conj().T + op(i2, z, x) - op(z, i2, x))
    h_ab = -0.5 * (op(z, i2, i2) + op(i2, z, i2) + op(i2, i2, z)) + h_ai
    return float(np.linalg.norm(h_i @ h_ab - h_ab @ h_i, 2))


def test_fig1c_conserves_only_when_sigma_plus_raises_the_energy():
    raising = np.array([[0, 0], [1, 0]], complex)  # |1><0| = (X - iY)/2
    lowering = np.array([[0, 1], [0, 0]], complex)  # |0><1| = (X + iY)/2, the written definition
    assert _fig1c_commutator(raising) < 1e-15
    assert _fig1c_commutator(lowering) == pytest.approx(0.04, rel=1e-12)  # operator norm (largest element 0.02)
    # qheat's '+' is the raising one: the bundled spec is conserving ...
    model = ht_model.build_model(qheat.load_spec("ma-fig1c"))
    assert model.conserving
    # ... and the same spec read with the other convention ('+' <-> '-') is refused
    data = copy.deepcopy(raw("ma-fig1c"))
    for term in data["interaction"]:
        term["ops"] = {k: {"+": "-", "-": "+"}.get(v, v) for k, v in term["ops"].items()}
    with pytest.raises(QheatError, match="heat-transfer condition"):
        spec_from_dict(data)
    data["allow_nonconserving"] = True
    assert not ht_model.build_model(spec_from_dict(data)).conserving


def test_ladder_operators_in_pauli_form_match_their_matrices():
    for letter in "+-XYZ":
        op = three_body.term_operator(1, {0: letter}, 1.0, False)
        assert np.allclose(op.to_matrix(), ht.OPERATORS[letter])
    assert np.allclose(ht.OPERATORS["+"] @ np.array([1, 0]), [0, 1])  # |0> (ground) -> |1> (excited)


# ----------------------------------------------------------------------------- closed forms vs Eq. (2)


def _random_eq9(rng):
    a = rng.uniform(0.2, 3.0)
    w_b = rng.uniform(0.5, 2.0)
    betas = rng.uniform(0.05, 3.0, 3)
    c = rng.uniform(0.05, 1.0) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    return (1 + a) * w_b, a * w_b, w_b, betas, c


@pytest.mark.parametrize("seed", range(6))
def test_eq10_and_s30_equal_the_nested_commutators(seed):
    rng = np.random.default_rng(seed)
    w1, w2, wb, (b1, b2, bb), c = _random_eq9(rng)
    for j in (0.0, rng.uniform(0.05, 0.6)):
        h, h_b = ht.three_body_model(w1, w2, wb, c, j)
        rho = ht.product_gibbs([w1, w2, wb], [b1, b2, bb])
        d1, d2 = ht.heat_derivatives(rho, h, h_b, 2)
        assert abs(d1) < 1e-15  # no initial rate from a coherence-free state (below Eq. 10)
        assert d2 == pytest.approx(ht.convexity_s30(b1, b2, bb, w1, w2, wb, c, j), rel=1e-10, abs=1e-15)
        if j == 0.0:
            assert d2 == pytest.approx(ht.convexity_eq10(b1, b2, bb, w1, w2, wb, c), rel=1e-10, abs=1e-15)


def test_eq10_boundary_is_the_line_of_the_paper():
    # (1 + a) beta_A1 / beta_B = 1 + a beta_A2 / beta_B  <=>  d2Q/dt2 = 0
    for a in (0.1, 1.0, 4.0):
        x = np.linspace(0.1, 3, 7)
        y = (1 + a * x) / (1 + a)
        assert np.allclose(ht.convexity_eq10(y, x, 1.0, 1 + a, a, 1.0), 0.0, atol=1e-15)


@pytest.mark.parametrize("seed", range(4))
def test_s29_holds_for_any_state(seed):
    rng = np.random.default_rng(10 + seed)
    w1, w2, wb, _, c = _random_eq9(rng)
    g = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    rho = g @ g.conj().T
    rho /= np.trace(rho)
    h, h_b = ht.three_body_model(w1, w2, wb, c)
    d1, d2 = ht.heat_derivatives(rho, h, h_b, 2)
    lad = ht.term_matrix(3, {0: "+", 1: "-", 2: "-"})
    s29_1 = np.real(1j * wb * np.trace(rho @ (c * lad - np.conj(c) * lad.conj().T)))
    z = [ht.term_matrix(3, {k: "Z"}) for k in range(3)]
    s29_2 = -0.5 * wb * abs(c) ** 2 * np.real(np.trace(rho @ (z[0] - z[1] - z[2] + z[0] @ z[1] @ z[2])))
    assert d1 == pytest.approx(s29_1, rel=1e-10, abs=1e-14)
    assert d2 == pytest.approx(s29_2, rel=1e-10, abs=1e-14)


def test_derivatives_match_finite_differences_of_the_exact_heat():
    # a correlated initial state makes the odd derivatives nonzero
    spec = qheat.load_spec("ma-fig1c")
    model = ht_model.build_model(spec)
    rng = np.random.default_rng(3)
    g = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    rho0 = g @ g.conj().T
    rho0 /= np.trace(rho0)
    h = model.h / np.linalg.norm(model.h, 2)
    derivs = ht.heat_derivatives(rho0, h, model.h_b, 4)
    t = np.linspace(-1.0, 1.0, 81)
    q = ht.expectation(ht.evolve(rho0, h, t), model.h_b)
    coef = np.polynomial.polynomial.polyfit(t, q, 16)
    fd = [coef[n] * math.factorial(n) for n in range(1, 5)]
    assert np.allclose(derivs, fd, rtol=1e-4, atol=0)  # 4th order: ~1e-5 from the fit
    # with the heat-transfer condition, [H, H_B]_n = [H_I, H_B]_n (Eq. 2)
    for c_h, c_i in zip(ht.nested_commutators(model.h, model.h_b, 4), ht.nested_commutators(model.h_i, model.h_b, 4)):
        assert np.allclose(c_h, c_i, atol=1e-14)


def test_bundled_fig1b_reports_eq10_and_s29(fig1):
    forms = fig1["ma-fig1b"]["derivatives"]["closed_form"]
    d = fig1["ma-fig1b"]["derivatives"]["commutator"]
    assert forms["eq10_second"] == pytest.approx(d[1], rel=1e-10)
    assert forms["S29"]["second"] == pytest.approx(d[1], rel=1e-10)
    assert fig1["ma-fig1c"]["derivatives"]["closed_form"] == {}  # not the Eq. (9) model


# ----------------------------------------------------------------------------- Eq. (5) and the paper's claims


@pytest.mark.parametrize("name", FIG1)
def test_heat_transfer_equation_sums_and_energy_is_conserved(fig1, name):
    r = fig1[name]
    eq = r["heat_transfer_equation"]
    q = np.array(r["heat"])
    assert np.allclose(eq["lhs"], eq["rhs"], atol=1e-12)
    assert np.allclose(eq["lhs"], (r["beta_B"] - r["beta_A"]) * q, atol=1e-14)
    assert np.allclose(np.array(r["energies"]["H_A"]) - r["energies"]["H_A"][0], -q, atol=1e-14)
    assert np.allclose(eq["delta_I_AB"], np.add(eq["delta_I_A"], eq["delta_I_A_B"]), atol=1e-14)
    rel = np.array(list(eq["relative_entropy_A"].values()) + [eq["relative_entropy_B"]])
    assert rel.min() > -1e-13


def test_each_figure_shows_its_mechanism(fig1):
    """Fig. 1(b)-(d): heat flows into the hot B (AHT), driven by Delta T_A, Delta J_A and Delta I_A respectively."""
    for name in FIG1:
        r = fig1[name]
        assert r["beta_A"] > r["beta_B"] and r["conserving"]
        q = np.array(r["heat"])
        assert q[1:].min() > 0 and r["anomalous"]["fraction_of_times"] > 0.99
    b, c, d = (fig1[n]["heat_transfer_equation"] for n in FIG1)
    assert np.allclose(b["delta_J_A"], 0) and np.min(b["delta_I_AB"]) > -1e-14 and np.min(b["delta_T_A"][1:]) < 0
    assert np.allclose(c["delta_T_A"], 0) and np.min(c["delta_I_AB"]) > -1e-14 and np.min(c["delta_J_A"]) < 0
    assert np.allclose(d["delta_T_A"], 0) and np.allclose(d["delta_J_A"], 0)
    assert np.min(d["delta_I_A_B"]) > -1e-14 and np.min(d["delta_I_A"]) < 0


def test_nonconserving_spec_keeps_the_general_identity():
    data = copy.deepcopy(raw("ma-fig1b"))
    data["interaction"].append({"ops": {"A1": "X", "B": "X"}, "coefficient": 0.003})  # omega_A1 != omega_B
    with pytest.raises(QheatError, match="allow_nonconserving"):
        spec_from_dict(data)
    data["allow_nonconserving"] = True
    data["evolution"]["points"] = 41
    r = qheat.run(spec_from_dict(data)).to_dict()
    eq = r["heat_transfer_equation"]
    assert not r["conserving"] and "not conserve" in r["heat_label"]
    assert np.allclose(eq["lhs"], eq["rhs"], atol=1e-12)
    assert not np.allclose(eq["lhs"], eq["beta_B_minus_beta_A_times_Q"], atol=1e-8)


def test_kelvin_conversion_gives_the_papers_correlation_bound():
    # at 1 K and omega_0/2pi = 4 GHz the |01>,|10> populations are p_g p_e: chi_A = 0.24 fits, 0.25 does not
    x = PLANCK * 4e9 / (BOLTZMANN * 1.0)
    bound = 1 / (1 + math.exp(x)) * (1 - 1 / (1 + math.exp(x)))
    assert 0.24 < bound < 0.25
    spec = qheat.load_spec("ma-fig1d")
    assert spec.temperatures()[0] == pytest.approx(1 / x, rel=1e-12)
    data = copy.deepcopy(raw("ma-fig1d"))
    data["correlation"][0]["coefficient"] = 0.25
    with pytest.raises(QheatError, match=r"at most 0\.99"):
        spec_from_dict(data)


# ----------------------------------------------------------------------------- phase diagrams


def test_phase_diagram_checks_and_aht_region():
    r = qheat.run("ma-fig2b").to_dict()
    assert r["max_relative_check_error"] < 1e-10
    fractions = [m["aht_fraction"] for m in r["maps"]]
    assert fractions[0] > 0 and all(x >= y for x, y in itertools.pairwise(fractions))  # J shrinks the region
    m0 = r["maps"][0]
    ratios = np.array(r["ratios"])
    aht = np.array(m0["aht"], bool)
    i, k = np.nonzero(aht)
    y, x = ratios[i], ratios[k]
    assert np.all(y > 1) and np.all(x > 1) and np.all(y < (1 + m0["a"] * x) / (1 + m0["a"]) + 1e-12)


# ----------------------------------------------------------------------------- bad input


def _refused(data: dict, needle: str) -> None:
    with pytest.raises(QheatError) as info:
        spec_from_dict(data)
    assert needle in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda d: d["qubits"][0].update(temperature=-1.0), "qubits[0].temperature"),
        (lambda d: d["interaction"][0]["ops"].update(C="+"), "'C'"),
        (lambda d: d["interaction"][0]["ops"].update(A1="Q"), "must be one of"),
        (lambda d: d["interaction"][0].update(hermitian_conjugate=False), "not Hermitian"),
        (
            lambda d: d["qubits"].append({"label": "B2", "system": "B", "frequency": 1.0, "temperature": 1.0}),
            "one temperature",
        ),
        (lambda d: d["qubits"][1].update(label="A1"), "distinct"),
        (lambda d: d["qubits"][2].update(system="C"), "system"),
        (lambda d: d.update(extra=1), "unknown key"),
        (lambda d: d["evolution"].update(t_max=float("inf")), "finite"),
        (
            lambda d: d.update(correlation=[{"ops": {"A1": "+"}, "coefficient": 0.1, "hermitian_conjugate": True}]),
            "reduced state of A1",
        ),
    ],
)
def test_bad_heat_transfer_specs_are_refused(edit, needle):
    data = copy.deepcopy(raw("ma-fig1b"))
    edit(data)
    _refused(data, needle)


def test_phase_diagram_with_j_needs_the_flag():
    data = copy.deepcopy(raw("ma-fig2b"))
    data.pop("allow_nonconserving")
    _refused(data, "allow_nonconserving")


def test_specs_roundtrip():
    for name in FIG1 + ["ma-fig2a", "ma-fig2b"]:
        spec = qheat.load_spec(name)
        assert spec_from_dict(spec.to_dict()) == spec


# ----------------------------------------------------------------------------- circuits


def _small(name: str, **circuits) -> object:
    data = copy.deepcopy(raw(name))
    data["circuits"] = {"points": 4, "shots": 20000, "seed": 7, **circuits}
    data["evolution"]["points"] = 21
    return spec_from_dict(data)


@pytest.mark.parametrize("name", FIG1)
def test_circuits_reproduce_the_exact_heat(name):
    r = qheat.run(_small(name), backend="aer").to_dict()
    c = r["circuits"]
    assert np.allclose(c["circuit_heat_shot_free"], c["exact_heat"], atol=1e-10)  # exact synthesis
    z = np.abs(np.subtract(c["heat"], c["exact_heat"]))[1:] / np.array(c["stderr"])[1:]
    assert z.max() < 4.5
    assert c["estimator"] == "two-point"
    if name == "ma-fig1b":
        assert set(c["synthesis"][1:]) == {"commuting"} and c["two_qubit_gates"]["evolution_max"] <= 16


def _lie_trotter(v, t: float, reps: int) -> np.ndarray:
    """(prod_j e^{-i h_j P_j t / r})^r with the terms applied in the operator's order (scipy, dense)."""
    from scipy.linalg import expm

    step = np.eye(2**v.num_qubits, dtype=complex)
    for pauli, coeff in zip(v.paulis, v.coeffs):
        step = expm(-1j * coeff * pauli.to_matrix() * t / reps) @ step
    return np.linalg.matrix_power(step, reps)


def test_trotter_error_stays_below_its_bound():
    spec = qheat.load_spec("ma-fig1c")
    model = ht_model.build_model(spec)
    h0, v = three_body.evolution_parts(*three_body.hamiltonian_operator(model.n, spec.frequencies, model.terms))
    assert not np.any(h0.coeffs)  # Fig. 1(c): H_0 does not commute with H_I + H_AI term by term
    from qiskit.quantum_info import Operator
    from scipy.linalg import expm

    for t in (1.0, 3.0):
        s = three_body.choose_synthesis(v, t, "trotter", 5e-2)
        assert s.method == "trotter" and s.error_bound <= 5e-2
        # the gates of the product formula (Operator of the PauliEvolutionGate itself is its exact exponential)
        qc = three_body.evolution_circuit(h0, v, t, s).decompose(gates_to_decompose=["PauliEvolution"])
        assert "PauliEvolution" not in qc.count_ops()
        u = Operator(qc).data
        assert np.linalg.norm(u - _lie_trotter(v, t, s.reps), 2) < 1e-12
        error = np.linalg.norm(u - expm(-1j * model.h * t), 2)
        assert 1e-4 < error <= s.error_bound


def test_phase_diagram_is_refused_on_aer():
    with pytest.raises(QheatError, match="exact"):
        qheat.run("ma-fig2a", backend="aer")


def test_pauli_form_of_every_bundled_hamiltonian_matches_the_matrices():
    for name in FIG1:
        spec = qheat.load_spec(name)
        model = ht_model.build_model(spec)
        h0, v = three_body.hamiltonian_operator(model.n, spec.frequencies, model.terms)
        assert np.allclose((h0 + v).to_matrix(), model.h, atol=1e-14)


def test_purification_leaves_the_system_in_rho0():
    from qiskit.quantum_info import DensityMatrix, partial_trace

    for name in FIG1:
        model = ht_model.build_model(qheat.load_spec(name))
        qc = purification_circuit(model.rho0, thermofield=True)
        rho = partial_trace(DensityMatrix(qc), list(range(model.n, 2 * model.n))).data
        assert np.allclose(rho, model.rho0, atol=1e-10)


# ----------------------------------------------------------------------------- review fixes


def _zz_spec(**extra) -> dict:
    """A1 and B coupled by Z Z: H_I commutes with H_B, so no heat flows and every derivative vanishes."""
    return {
        "protocol": "heat-transfer",
        "qubits": [
            {"label": "A1", "system": "A", "frequency": 1.0, "temperature": 1.0},
            {"label": "B", "system": "B", "frequency": 1.0, "temperature": 2.0},
        ],
        "interaction": [{"ops": {"A1": "Z", "B": "Z"}, "coefficient": 0.1, "hermitian_conjugate": True}],
        "evolution": {"t_max": 10.0, "points": 11},
        **extra,
    }


def test_vanishing_derivatives_give_a_headline_not_a_crash():
    r = qheat.run(spec_from_dict(_zz_spec())).to_dict()
    # [Z Z, H_B] = 0: <H_B> is constant, so Q(t) = 0 and all d^nQ/dt^n(0) = 0
    assert np.allclose(r["heat"], 0.0, atol=1e-15)
    assert np.allclose(r["derivatives"]["commutator"], 0.0, atol=1e-15)
    assert "= 0 for n <= 4" in r["headline"]


def test_a_nearly_pure_reference_state_is_refused_in_one_line():
    data = _zz_spec()
    data["interaction"] = [{"ops": {"A1": "+", "B": "-"}, "coefficient": 0.1, "hermitian_conjugate": True}]
    data["qubits"][0]["temperature"] = 1e-9  # e^{-omega/T} underflows: rho_A1 = |0><0|
    _refused(copy.deepcopy(data), "A1 at temperature 1e-09 is too cold")
    # at omega/T = 20 (population 2e-9) Eq. (5) still sums: lhs (energies) = rhs (entropies)
    data["qubits"][0]["temperature"] = 0.05
    eq = qheat.run(spec_from_dict(data)).to_dict()["heat_transfer_equation"]
    assert np.allclose(eq["lhs"], eq["rhs"], atol=1e-8)


def test_too_few_shots_are_refused_and_zero_errors_give_no_sigma():
    for shots in (2, 29):
        _refused(_zz_spec(circuits={"shots": shots}), "at least 30 shots")
    spec_from_dict(_zz_spec(circuits={"shots": 30}))
    _refused(_zz_spec(circuits={"bootstrap": 50}), "unknown key 'bootstrap'")  # heat transfer fits no states
    # two points 0.1 and 0.2 off with standard errors 0.05 and 0.1: both 2 sigma; a zero error has no sigma
    assert ht.deviation_in_sigma([0.1, 0.2], [0.0, 0.0], [0.05, 0.1]) == "2.0 sigma"
    assert ht.deviation_in_sigma([0.0, 0.3], [0.0, 0.0], [0.0, 0.1]) == "3.0 sigma"
    assert "undefined" in ht.deviation_in_sigma([0.1, 0.2], [0.0, 0.0], [0.0, 0.0])


def test_sweep_points_on_aer_get_their_own_streams():
    data = copy.deepcopy(raw("ma-fig1b"))
    data["circuits"] = {"points": 3, "shots": 300, "seed": 7}
    data["evolution"]["points"] = 21
    data["sweep"] = {"parameter": "evolution.points", "values": [21, 22]}  # same circuits at both points
    a, b = (p["circuits"] for p in qheat.run(spec_from_dict(data), backend="aer").to_dict()["points"])
    assert a["sampler_seed"] != b["sampler_seed"]
    assert [r["counts"] for r in a["records"][1:]] != [r["counts"] for r in b["records"][1:]]
    # each is still unbiased: both within 4.5 standard errors of the exact heat
    for c in (a, b):
        z = np.abs(np.subtract(c["heat"], c["exact_heat"]))[1:] / np.array(c["stderr"])[1:]
        assert z.max() < 4.5


def test_thermofield_purification_copies_each_diagonal_qubit_onto_its_ancilla():
    from qiskit.quantum_info import Statevector

    model = ht_model.build_model(qheat.load_spec("ma-fig1b"))  # product of qubit Gibbs states
    n = model.n
    for thermofield in (True, False):
        qc = purification_circuit(model.rho0, thermofield=thermofield)
        probs = Statevector(qc).probabilities()  # index bit j = qubit j
        idx = np.arange(4**n)
        for k in range(n):
            differ = ((idx >> k) & 1) != ((idx >> (n + k)) & 1)
            if thermofield:  # the two-point measurement reads qubit k's initial Z from ancilla n + k
                assert probs[differ].sum() < 1e-12
        assert qc.metadata["thermofield_qubits"] == (list(range(n)) if thermofield else [])


# ----------------------------------------------------------------------------- circuits on the engine


def _pair(**circuits) -> dict:
    """A1 (cold) and B (hot) exchanging an excitation: 4 circuit qubits, so it fits aer:nmr-crotonic."""
    return {
        "protocol": "heat-transfer",
        "name": "pair",
        "qubits": [
            {"label": "A1", "system": "A", "frequency": 1.0, "temperature": 0.5},
            {"label": "B", "system": "B", "frequency": 1.0, "temperature": 2.0},
        ],
        "interaction": [{"ops": {"A1": "-", "B": "+"}, "coefficient": 0.1, "hermitian_conjugate": True}],
        "evolution": {"t_max": 15.0, "points": 31},
        "circuits": {"points": 4, "shots": 20000, "seed": 5, **circuits},
    }


def test_shot_free_heat_carries_the_trotter_error_of_the_circuits():
    # two exchange couplings sharing B do not commute: Lie-Trotter with visible error
    data = _pair(points=3, synthesis="trotter", max_trotter_error=5e-2)
    data["qubits"].insert(1, {"label": "A2", "system": "A", "frequency": 1.0, "temperature": 0.8})
    data["interaction"] = [
        {"ops": {"A1": "-", "B": "+"}, "coefficient": 0.3, "hermitian_conjugate": True},
        {"ops": {"A2": "-", "B": "+"}, "coefficient": 0.2, "hermitian_conjugate": True},
    ]
    data["evolution"]["t_max"] = 3.0
    spec = spec_from_dict(data)
    c = qheat.run(spec, backend="aer").to_dict()["circuits"]
    assert c["synthesis"][1:] == ["trotter", "trotter"] and c["trotter_reps"] == [1, 2, 6] and c["split_local_part"]
    model = ht_model.build_model(spec)
    _, v = three_body.evolution_parts(*three_body.hamiltonian_operator(model.n, spec.frequencies, model.terms))
    # independent: <H_B> after the Lie-Trotter product of dense exponentials ([H_0, V] = 0: H_0 drops out of <H_B>)
    energy = []
    for t, r in zip(c["times"], c["trotter_reps"]):
        u = _lie_trotter(v, t, r)
        energy.append(np.real(np.trace(model.h_b @ u @ model.rho0 @ u.conj().T)))
    assert np.allclose(c["circuit_heat_shot_free"], np.subtract(energy, energy[0]), atol=1e-12)
    # |Tr H_B (U rho U+ - U_r rho U_r+)| <= 2 ||H_B|| ||U - U_r|| = error bound (||H_B|| = 1/2)
    trotter_error = np.abs(np.subtract(c["circuit_heat_shot_free"], c["exact_heat"]))[1:]
    assert np.all(trotter_error > 1e-4) and np.all(trotter_error <= np.array(c["trotter_error_bound"][1:]))
    z = np.abs(np.subtract(c["heat"], c["circuit_heat_shot_free"]))[1:] / np.array(c["stderr"])[1:]
    assert z.max() < 4.5  # the shots measure the Trotterised circuits


def test_records_hold_the_counts_and_analyze_reproduces_the_result(tmp_path):
    out = tmp_path / "pair.json"
    result = qheat.run(spec_from_dict(_pair(shots=3000)), "aer", output=out).to_dict()
    records = tmp_path / "pair.records.json"
    doc = json.loads(records.read_text())
    assert doc["kind"] == "qheat-records" and doc["backend"] == "aer" and len(doc["records"]) == 4
    for r, t in zip(doc["records"], np.linspace(0.0, 15.0, 4)):
        assert r["metadata"]["time"] == pytest.approx(t) and r["metadata"]["measured_qubits"] == [1, 3]
        assert sum(r["counts"].values()) == 3000 and all(len(k) == 2 for k in r["counts"])
    assert (
        doc["metadata"]["estimator"] == "two-point"
        and doc["metadata"]["sampler_seed"] == result["circuits"]["sampler_seed"]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert qheat.analyze(records).to_dict() == json.loads(out.read_text())  # every number, offline
    assert qheat.analyze(doc).to_dict() == json.loads(out.read_text())
    # the records decide: doctored counts change the result
    doc["records"][3]["counts"] = {"00": 3000}
    assert qheat.analyze(doc).to_dict()["circuits"]["heat"][3] == 0.0
    del doc["records"][3]
    with pytest.raises(QheatError, match="not the 4 times") as info:
        qheat.analyze(doc)
    assert "\n" not in str(info.value)


def test_noisy_device_runs_with_its_noise_model():
    """aer:nmr-depolarizing: the sampled heat against the same compiled circuits' noisy density matrices
    (Aer) read through the config's readout error (applied here by hand), and against the noise-free Q."""
    from qiskit_aer import AerSimulator

    from qheat.backends.aer import AerBackend, load_config, noise_model
    from qheat.protocols.heat_transfer.circuits import heat_circuits

    spec = spec_from_dict(_pair())
    c = qheat.run(spec, "aer:nmr-depolarizing").to_dict()["circuits"]
    assert "noise model" in c["conventions"]["device"] and c["estimator"] == "two-point"
    cfg, device = load_config("nmr-depolarizing"), AerBackend("aer:nmr-depolarizing")
    sim = AerSimulator(method="density_matrix", noise_model=noise_model(cfg))
    flip = np.array([[1 - cfg.readout, cfg.readout], [cfg.readout, 1 - cfg.readout]])
    reference = []
    for qc in heat_circuits(spec, ht_model.build_model(spec)).circuits:
        compiled = device.compile(qc)
        measured = sorted(
            (compiled.find_bit(i.clbits[0]).index, compiled.find_bit(i.qubits[0]).index)
            for i in compiled.data
            if i.operation.name == "measure"
        )
        bare = compiled.remove_final_measurements(inplace=False)
        bare.save_probabilities([q for _, q in measured])
        p = np.kron(flip, flip) @ np.asarray(sim.run(bare).result().data(0)["probabilities"])
        # bit 0: B at t, bit 1: B's ancilla (B at 0); E_B = -(omega/2) Z = (bit - 1/2) with omega_B = 1
        reference.append(p[1] - p[2])
    z = np.abs(np.subtract(c["heat"], reference))[1:] / np.array(c["stderr"])[1:]
    assert z.max() < 4.5
    # the readout error scales the two-point heat by (1 - 2 r); the gates' errors add less than 1%
    ideal = np.array(c["exact_heat"])
    assert np.abs(reference[-1] - ideal[-1]) > cfg.readout * abs(ideal[-1])
    assert np.allclose(reference, (1 - 2 * cfg.readout) * ideal, atol=0.01 * np.abs(ideal).max())


@pytest.mark.parametrize(
    "name, backend, edit, needle",
    [
        ("ma-fig1b", "aer:nmr-crotonic", None, "needs 6 qubits but aer:nmr-crotonic has 4"),
        ("ma-fig1b", "fake:manila", None, "needs 6 qubits but fake:manila has 5"),  # device runs: tests/runtime
        ("ma-fig1b", "aer", lambda d: d.pop("circuits"), "[circuits]"),
        (
            "ma-fig1c",
            "aer",
            lambda d: d["circuits"].update(synthesis="trotter"),
            "Lie-Trotter needs 259700000 steps",
        ),  # 700^2 S / (2 1e-3), S = 1.06
    ],
)
def test_circuit_backends_refuse_in_one_line(name, backend, edit, needle):
    data = copy.deepcopy(raw(name))
    if edit is not None:
        edit(data)
    with pytest.raises(QheatError) as info:
        qheat.run(spec_from_dict(data), backend=backend)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_repeated_sweep_points_differ_in_their_shot_noise():
    data = _pair(points=3, shots=500)
    data["sweep"] = {"parameter": "circuits.shots", "values": [500], "seeds": 3}
    points = [p["circuits"] for p in qheat.run(spec_from_dict(data), "aer").to_dict()["points"]]
    assert len({p["sampler_seed"] for p in points}) == 3
    heats = np.array([p["heat"] for p in points])
    assert len({tuple(h) for h in heats[:, 1:]}) == 3
    for p in points:  # each repetition unbiased
        z = np.abs(np.subtract(p["heat"], p["exact_heat"]))[1:] / np.array(p["stderr"])[1:]
        assert z.max() < 4.5
