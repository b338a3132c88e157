"""Zero-noise extrapolation and the phase-dephased bath refresh used on IBM devices.

Independent answers: the folded circuit's unitary (qiskit.quantum_info.Operator) equals the original's;
Richardson weights reproduce polynomials exactly; under a depolarizing noise model the extrapolated
tomography is closer to the noiseless state (a separate noiseless simulation) than the raw one; the
average over Z^b patterns equals the measurement (Kraus) refresh; records with ZNE go through the
whole fake-device run and analysis.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import DensityMatrix, Operator
from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis

import qheat
from qheat import QheatError, spec_from_dict
from qheat.mitigation.zne import fold_gates
from qheat.physics.tomography import linear_estimate, richardson_weights, settings
from qheat.protocols.cascade.circuits import CascadeCircuits

BASIS = ["cz", "rz", "sx", "x"]


def _compiled(qc: QuantumCircuit) -> QuantumCircuit:
    if "kraus" in qc.count_ops():  # the snapshot refresh: not a gate circuit
        return qc
    return transpile(qc, basis_gates=BASIS, optimization_level=1, seed_transpiler=1)


def test_folding_keeps_the_unitary_and_multiplies_noisy_gates():
    """Every gate but the virtual RZ is folded: f times the CZ and SX of the original, the same unitary; on
    a device target the inverses are native (SX^dag as RZ SX RZ) and RZ stays single."""
    from qiskit.circuit.library import XXPlusYYGate
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    from qheat.backends.runtime import restricted_target

    qc = QuantumCircuit(3)
    qc.append(XXPlusYYGate(0.7, 0.3), [0, 2])
    qc.ry(0.4, 1)
    qc.cx(1, 2)
    qc.rz(1.3, 0)
    qc = _compiled(qc)
    ops = qc.count_ops()
    target = restricted_target(FakeTorino().target, (28, 29, 30))  # a connected line 28-29-30
    qc = transpile(
        qc, target=target, initial_layout=[0, 1, 2], routing_method="sabre", optimization_level=0, seed_transpiler=1
    )
    ops = qc.count_ops()
    for f in (1, 3, 5):
        folded = fold_gates(qc, f, target)
        got = folded.count_ops()
        assert got["cz"] == f * ops["cz"] and got["sx"] == f * ops["sx"]
        assert set(got) - {"barrier"} <= set(target.operation_names)
        assert Operator(folded.remove_final_measurements(inplace=False)).equiv(Operator(qc))
        assert got.get("rz", 0) >= ops.get("rz", 0)
    with pytest.raises(QheatError, match="odd whole number"):
        fold_gates(qc, 2)


def test_folding_refuses_an_inverse_the_device_lacks():
    from qiskit.circuit import Parameter  # noqa: F401 -- a parametrised two-qubit gate: rzz(theta)
    from qiskit.circuit.library import RZZGate
    from qiskit.transpiler import Target

    target = Target(num_qubits=2)
    target.add_instruction(RZZGate(0.5), {(0, 1): None}, name="rzz")
    qc = QuantumCircuit(2)
    qc.rzz(0.5, 0, 1)
    with pytest.raises(QheatError, match="cannot fold rzz"):
        fold_gates(qc, 3, target)


def test_richardson_weights_are_exact_for_polynomials():
    assert np.allclose(richardson_weights((1, 3)), [1.5, -0.5])
    for factors in ((1, 3), (1, 3, 5), (1, 5, 7, 9)):
        w = richardson_weights(factors)
        poly = np.random.default_rng(len(factors)).normal(size=len(factors))  # degree len - 1
        values = np.polyval(poly, np.array(factors, dtype=float))
        assert w @ values == pytest.approx(poly[-1], abs=1e-10)
        assert w.sum() == pytest.approx(1.0)


def _setting_probabilities(rho: np.ndarray) -> np.ndarray:
    """P(outcome | Pauli setting) of a 3-qubit state, by qiskit.quantum_info (not qheat's tomography)."""
    out = []
    for s in settings(3):
        rot = PauliMeasurementBasis().circuit(s).remove_final_measurements(inplace=False)
        out.append(DensityMatrix(rho).evolve(rot).probabilities())
    return np.array(out)


def test_zne_removes_most_of_a_depolarizing_bias():
    """Fig. 3's (c = -0.5) preparation and two collisions, CZ gates with 2 % depolarizing error: the
    tomography extrapolated from factors 1, 3, 5 is within a fifth of the raw error of the noiseless state."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    from qheat.circuits.preparation import temporal_branches

    spec = qheat.load_spec("fig3-reversed")
    cc = CascadeCircuits(spec, _compiled, dephasing="phase")
    noise = NoiseModel()
    noise.add_all_qubit_quantum_error(depolarizing_error(0.02, 2), ["cz"])
    sims = {
        "ideal": AerSimulator(method="density_matrix"),
        "noisy": AerSimulator(method="density_matrix", noise_model=noise),
    }
    factors = (1, 3, 5)
    states: dict[str, list] = {"ideal": [], "noisy": []}
    for branch in temporal_branches(spec.initial_state()):
        for pattern in ((0, 0), (0, 1), (1, 0), (1, 1)):
            qc = cc.evolve(cc.start(branch.circuit, snapshot=False), 0, 6, snapshot=False, phases=pattern)
            for key, sim in sims.items():
                for f in factors if key == "noisy" else (1,):
                    c = fold_gates(qc, f)
                    c.save_density_matrix([0, 1, 2])
                    rho = sim.run(c).result().data()["density_matrix"]
                    states[key].append((f, branch.weight / 4 * np.asarray(rho)))
    ideal = sum(r for _, r in states["ideal"])
    noisy = {f: sum(r for g, r in states["noisy"] if g == f) for f in factors}
    probs = np.stack([_setting_probabilities(noisy[f]) for f in factors])  # (F, S, D)
    raw = np.abs(linear_estimate(probs[0]) - ideal).max()
    zne = np.abs(linear_estimate(probs, factors=factors) - ideal).max()
    assert raw > 5e-3  # the noise matters at this level
    assert zne < raw / 5


def test_phase_dephasing_averages_to_the_measurement_refresh():
    """Averaged with equal weights over the Z^b patterns, the phase refresh gives the state that the Kraus
    (discarded-measurement) refresh gives; one pattern alone does not."""
    from qiskit_aer import AerSimulator

    from qheat.circuits.preparation import temporal_branches

    spec = qheat.load_spec("fig3-reversed")
    sim = AerSimulator(method="density_matrix")
    phase = CascadeCircuits(spec, _compiled, dephasing="phase")
    kraus = CascadeCircuits(spec, _compiled)
    prep = temporal_branches(spec.initial_state())[1].circuit

    def state(qc):
        qc.save_density_matrix(list(range(4)))
        return np.asarray(sim.run(qc).result().data()["density_matrix"])

    want = state(kraus.evolve(kraus.start(prep, snapshot=True), 0, 6, snapshot=True))
    patterns = [(a, b) for a in (0, 1) for b in (0, 1)]
    each = [state(phase.evolve(phase.start(prep, snapshot=False), 0, 6, snapshot=False, phases=p)) for p in patterns]
    assert np.abs(np.mean(each, axis=0) - want).max() < 1e-12
    assert max(np.abs(e - want).max() for e in each) > 1e-3
    assert phase.refreshes(0, 6) == 2 and phase.refreshes(1, 6) == 1 and phase.refreshes(3, 3) == 0


def test_phase_split_keeps_shots_and_covers_patterns():
    from qheat.protocols.cascade.collect import PHASE_PATTERNS, _phase_split

    rng = np.random.default_rng(0)
    two = _phase_split(rng, 2, 1001)
    assert sorted(p for p, _ in two) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sum(c for _, c in two) == 1001 and max(c for _, c in two) - min(c for _, c in two) <= 1
    many = _phase_split(rng, 10, 1000)
    assert len(many) == PHASE_PATTERNS and sum(c for _, c in many) == 1000
    assert all(len(p) == 10 for p, _ in many)
    assert _phase_split(rng, 0, 7) == [((), 7)]
    assert sum(c for _, c in _phase_split(rng, 3, 5)) == 5  # fewer shots than patterns


def test_zne_spec_is_validated():
    data = qheat.load_spec("fig3-zero").to_dict()
    for bad in ([1], [1, 2], [3, 3], [1, 11], "13"):
        data["mitigation"] = {"zne": bad}
        with pytest.raises(QheatError, match="mitigation.zne"):
            spec_from_dict(data)
    data["mitigation"] = {"zne": [3, 1]}
    spec = spec_from_dict(data)
    assert spec.mitigation.noise_factors == (1, 3) and spec_from_dict(spec.to_dict()) == spec


def test_zne_on_a_fake_device_end_to_end():
    """reprepare on fake:torino with readout + ZNE: every record at both noise factors, folded circuits
    ran, the analysis extrapolates; a record at a factor the spec does not have is refused."""
    pytest.importorskip("qiskit_ibm_runtime")
    from qheat.engine import analyze as analyze_records
    from qheat.engine import collect

    spec = spec_from_dict(
        {
            "name": "tiny-zne",
            "protocol": "cascade",
            "system": {"temperatures": [1.0, 1.0], "coherence": [{"pair": [1, 2], "strength": 0.5, "phase": 3.14159}]},
            "bath": {"temperature": 0.9},
            "interaction": {"g": 20.0, "tau": 0.01, "collisions": 1},
            "execution": {"mode": "reprepare"},
            "measurement": {"shots": 400, "bootstrap": 20},
            "mitigation": {"readout": True, "zne": [1, 3]},
        }
    )
    doc = collect(spec, "fake:torino")
    factors = {(r["metadata"]["step"], r["metadata"].get("noise_factor")) for r in doc["records"]}
    assert factors == {(0, 1), (0, 3), (2, 1), (2, 3)}
    result = analyze_records(doc).to_dict()
    assert "zero_noise_extrapolation" in result["measurement"]
    assert all(np.isfinite(s["heat_absorbed_stderr"]) for s in result["subsystems"])
    bad = json.loads(json.dumps(doc))
    bad["records"][0]["metadata"]["noise_factor"] = 5
    with pytest.raises(QheatError, match="noise factor 5"):
        analyze_records(bad)
    gone = json.loads(json.dumps(doc))
    gone["records"] = [
        r for r in gone["records"] if r["metadata"].get("noise_factor") != 3 or r["metadata"]["step"] != 2
    ]
    with pytest.raises(QheatError, match="noise factors have no records"):
        analyze_records(gone)


def test_folding_leaves_a_first_order_bias_under_amplitude_damping():
    """Why ZNE by folding cannot remove relaxation (docs/real-backends.md): a fold G (G^dag G)^k puts the
    noise L after G and G L G^dag after each G^dag, so the noise grows as (k + 1) L + k G L G^dag, not
    (2k + 1) L, and its extrapolation to zero ends at (L - G L G^dag) / 2. For X with amplitude damping
    gamma, G L G^dag is amplitude *pumping*: from |0>, p_1(f) follows p -> (1 - p)(1 - gamma) f times
    (closed form below), and every extrapolation leaves ~ -gamma / 2, whatever the factors, while the
    same fold under depolarizing noise extrapolates to within O(gamma^2)."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, amplitude_damping_error, depolarizing_error

    gamma = 0.01
    qc = QuantumCircuit(1)
    qc.x(0)

    def excited(noise_error, factor: int) -> float:
        model = NoiseModel()
        model.add_all_qubit_quantum_error(noise_error, ["x"])
        c = fold_gates(qc, factor)
        c.save_density_matrix()
        rho = AerSimulator(method="density_matrix", noise_model=model).run(c).result().data()["density_matrix"]
        return float(np.real(np.asarray(rho)[1, 1]))

    def recursion(factor: int) -> float:
        p = 0.0
        for _ in range(factor):
            p = (1.0 - p) * (1.0 - gamma)
        return p

    for factors in ((1, 3), (1, 3, 5), (1, 3, 5, 7)):
        damped = [excited(amplitude_damping_error(gamma), f) for f in factors]
        assert np.allclose(damped, [recursion(f) for f in factors], atol=1e-12)
        w = richardson_weights(factors)
        assert float(np.dot(w, damped)) - 1.0 == pytest.approx(-gamma / 2, abs=2 * gamma**2)
        depolarized = [excited(depolarizing_error(gamma, 1), f) for f in factors]
        assert abs(float(np.dot(w, depolarized)) - 1.0) < 2 * gamma**2
