"""Seed 002 Sec. III: the correlated pair against the paper's closed forms and on circuits.

Independent answers: Eq. (12) (SED), Eq. (11) and the X-state formula (A3) for the concurrence,
Eq. (4)'s initial slope against finite differences, Appendix A's positivity bound, the Gibbs
marginals required by Eq. (9b), energy conservation, and tomography on Aer against the exact states.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import numpy as np
import pytest

import qheat
from qheat import QheatError
from qheat.physics import dense as ht
from qheat.physics.states import gibbs_state
from qheat.protocols.registry import spec_from_dict

LIBRARY = resources.files("qheat") / "spec_library"
CASES = [
    (2.0, 1.0, 0.0, 1.0),
    (2.0, 1.0, -np.pi / 2, 1.0),
    (2.0, 1.0, np.pi / 2, 0.6),
    (1.0, 2.0, -np.pi / 2, 1.0),
    (1.5, 1.5, -np.pi / 2, 0.8),
    (0.7, 3.0, 1.1, 0.3),
]


def raw(name: str) -> dict:
    return tomllib.loads((LIBRARY / f"{name}.toml").read_text())


def spec_for(t_a, t_b, phi_v, strength, phi_chi=0.3, **extra):
    data = {
        "protocol": "correlated-pair",
        "qubits": {"temperatures": [t_a, t_b]},
        "correlation": {"phase": phi_chi, "strength": strength},
        "coupling": {"strength": 0.1, "phase": phi_v},
        "evolution": {"t_max": 40.0, "points": 161},
        **extra,
    }
    return spec_from_dict(data)


@pytest.mark.parametrize("t_a, t_b, phi_v, strength", CASES)
def test_sed_follows_eq12(t_a, t_b, phi_v, strength):
    r = qheat.run(spec_for(t_a, t_b, phi_v, strength)).to_dict()
    t = np.array(r["times"])
    lam = ht.pair_lambdas(t_a, t_b)
    c0 = 2 * strength * np.sqrt(lam[3])
    d0 = 0.5 * np.tanh(1 / (2 * t_b)) - 0.5 * np.tanh(1 / (2 * t_a))  # E_A - E_B of two Gibbs states
    delta = phi_v - 0.3
    expected = d0 * np.cos(0.2 * t) - c0 * np.sin(delta) * np.sin(0.2 * t)
    assert np.allclose(r["sed"], expected, atol=1e-12)
    assert np.allclose(r["sed_closed_form"], expected, atol=1e-12)
    # initial slope, Eq. (4): -i Tr((H_A - H_B)[V, chi]) = -2 Omega C_0 sin(delta)
    assert r["initial_slope"]["eq4"] == pytest.approx(-0.2 * c0 * np.sin(delta), abs=1e-14)
    rho0 = ht.correlated_pair_state(t_a, t_b, 0.3, strength)
    h_a, h_b = ht.pair_hamiltonians()
    ends = ht.evolve(rho0, h_a + h_b + ht.exchange_coupling(0.1, phi_v), [-1e-4, 1e-4])
    fd = np.diff(ht.expectation(ends, h_a - h_b))[0] / 2e-4  # central difference of the exact SED
    assert r["initial_slope"]["eq4"] == pytest.approx(fd, abs=1e-9)
    # energy is conserved: V_AB commutes with H_A + H_B
    assert np.allclose(np.add(r["energies"]["A"], r["energies"]["B"]), r["energies"]["A"][0] + r["energies"]["B"][0])


@pytest.mark.parametrize("t_a, t_b, phi_v, strength", CASES)
def test_concurrence_is_eq11_and_the_x_state_formula(t_a, t_b, phi_v, strength):
    spec = spec_for(t_a, t_b, phi_v, strength)
    rho0 = ht.correlated_pair_state(t_a, t_b, 0.3, strength)
    lam = ht.pair_lambdas(t_a, t_b)
    assert ht.concurrence(rho0) == pytest.approx(2 * strength * np.sqrt(lam[3]), abs=1e-7)  # Eq. (11), (A3)
    r = qheat.run(spec).to_dict()
    rhos = ht.evolve(rho0, sum(ht.pair_hamiltonians()) + ht.exchange_coupling(0.1, phi_v), r["times"])
    # (A3) for X states: C = 2 max(0, |rho_23| - sqrt(rho_11 rho_44)) (paper basis: qheat 1 <-> 2)
    x_state = 2 * np.maximum(0, np.abs(rhos[:, 2, 1]) - np.sqrt(np.real(rhos[:, 0, 0] * rhos[:, 3, 3])))
    assert np.allclose(r["concurrence"], x_state, atol=1e-7)


def test_marginals_are_gibbs_and_positivity_bound():
    for t_a, t_b, *_ in CASES:
        rho = ht.correlated_pair_state(t_a, t_b, 0.7, 1.0)
        assert np.allclose(ht.reduced_state(rho, [0]), gibbs_state(t_a))  # H = (omega/2) sigma_z, |0> ground
        assert np.allclose(ht.reduced_state(rho, [1]), gibbs_state(t_b))
        assert np.linalg.eigvalsh(rho).min() == pytest.approx(0.0, abs=1e-14)  # Eq. (10) sits on the boundary
        assert np.linalg.eigvalsh(ht.correlated_pair_state(t_a, t_b, 0.7, 1.001)).min() < 0
    with pytest.raises(QheatError, match="strength <= 1"):
        spec_for(2.0, 1.0, 0.0, 1.01)


def test_tau_is_the_first_sed_extremum_and_the_figures_claims():
    r = qheat.run(spec_for(2.0, 1.0, -np.pi / 2 + 0.3, 1.0)).to_dict()  # delta = -pi/2
    sed = np.array(r["sed"])
    fine = np.linspace(0, 20, 20001)
    closed = ht.sed_closed_form(fine, sed[0], r["concurrence_eq11"], -np.pi / 2, 0.1)
    assert fine[np.argmax(closed)] == pytest.approx(r["tau"], abs=2e-3)
    assert r["anomalous"] and sed.max() > sed[0]
    # at the SED maximum the entanglement has been consumed (Fig. 1(b), (c))
    i = np.argmax(sed)
    assert r["concurrence"][i] < 0.05 and r["mutual_information"][i] < 0.05
    # delta = 0: normal, and the concurrence barely moves
    n = qheat.run(spec_for(2.0, 1.0, 0.3, 1.0)).to_dict()
    assert max(n["sed"]) <= n["sed"][0] + 1e-12 and np.ptp(n["concurrence"]) < 0.02


def test_bundled_figures_run_and_roundtrip():
    for name in ("holdsworth-fig1", "holdsworth-fig2"):
        spec = qheat.load_spec(name)
        assert spec_from_dict(spec.to_dict()) == spec
        r = qheat.run(name).to_dict()
        assert len(r["points"]) == len(spec.sweep.values)
        for p in r["points"]:
            assert np.allclose(p["sed"], p["sed_closed_form"], atol=1e-12)


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda d: d["qubits"].update(temperatures=[2.0, -1.0]), "qubits.temperatures[1]"),
        (lambda d: d["qubits"].update(temperatures=[2.0]), "two entries"),
        (lambda d: d["coupling"].update(strength=0.0), "coupling.strength"),
        (lambda d: d["correlation"].update(strength=1.5), "strength <= 1"),
        (lambda d: d["correlation"].update(extra=1), "unknown key"),
        (lambda d: d["evolution"].update(points=1), "evolution.points"),
        (lambda d: d.update(circuits={"shots": 2}), "at least 30 shots"),
        (lambda d: d.update(circuits={"bootstrap": 3}), "circuits.bootstrap = 3"),
    ],
)
def test_bad_pair_specs_are_refused(edit, needle):
    data = copy.deepcopy(raw("holdsworth-fig1"))
    edit(data)
    with pytest.raises(QheatError) as info:
        spec_from_dict(data)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_tomography_on_aer_matches_the_exact_states():
    spec = spec_for(2.0, 1.0, -np.pi / 2, 1.0, phi_chi=0.0, circuits={"points": 4, "shots": 4000, "seed": 11})
    c = qheat.run(spec, backend="aer").to_dict()["circuits"]
    z = np.abs(np.subtract(c["sed"], c["exact_sed"])) / np.array(c["stderr_sed"])
    assert z.max() < 4.5  # linear in the counts: unbiased
    # concurrence and MI of PSD-rescaled linear-inversion fits are biased low near the rank-deficient state
    # (rho_44 = 0): measured -0.03 .. -0.09 at 4000 shots per setting; bound the bias
    assert np.abs(np.subtract(c["concurrence"], c["exact_concurrence"])).max() < 0.12
    assert np.abs(np.subtract(c["mutual_information"], c["exact_mutual_information"])).max() < 0.12
    assert min(c["fidelity"]) > 0.98
    assert 1 <= c["two_qubit_gates"]["evolution"] <= 3  # a two-qubit unitary needs at most 3 CX


@pytest.mark.parametrize("phi_v", [-np.pi / 2, np.pi / 2, 1.1])
def test_equal_temperatures_have_no_gradient_and_theta_is_the_limit_of_eq13(phi_v):
    r = qheat.run(spec_for(1.5, 1.5, phi_v, 0.8)).to_dict()
    assert r["anomalous"] is None and "no gradient" in r["headline"] and "anomalous" not in r["headline"]
    # Eq. (12) as Delta_0 -> 0+: Delta_0 sqrt(1 + x^2/Delta_0^2) -> |x|, x = omega C_0 sin(delta), so the exact SED
    # (evolved matrices) is |x| cos(2 Omega t + theta) only with theta = sign(x) pi/2
    x = r["concurrence_eq11"] * np.sin(r["delta"])
    assert abs(r["theta"]) == pytest.approx(np.pi / 2)
    assert np.allclose(r["sed"], abs(x) * np.cos(0.2 * np.array(r["times"]) + r["theta"]), atol=1e-12)
    assert ht.theta_eq13(0.0, 0.0, 0.3) == 0.0 and ht.theta_eq13(0.0, 0.5, 0.0) == 0.0
    assert ht.theta_eq13(0.0, 0.5, 1.0) == pytest.approx(ht.theta_eq13(1e-12, 0.5, 1.0), abs=1e-9)


def tomography_of(prep, shots, seed, bootstrap):
    """Tomography of qubits 0, 1 after ``prep`` on ideal Aer, through the package's circuits and analysis."""
    from qiskit import QuantumCircuit

    from qheat.backends.aer import AerBackend
    from qheat.core.protocol import Batch
    from qheat.engine import execute
    from qheat.protocols.correlated_pair import analysis, circuits

    device = AerBackend("aer")
    qcs = circuits.tomography_circuits(prep, [QuantumCircuit(2)], [{"time": 0.0}])
    batch = Batch(
        [device.compile(qc) for qc in qcs],
        [qc.metadata for qc in qcs],
        [shots] * len(qcs),
        seed=seed,
        method="statevector",
    )
    records = execute(device, batch)
    states, replicas = analysis.fit(analysis.count_table(records, np.zeros(1)), bootstrap, np.random.default_rng(seed))
    return records, states, replicas


def test_tomography_settings_and_bit_order_against_known_states():
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import StatePreparation

    # |+> on qubit 0, |1> on qubit 1: X on qubit 0 always gives 0, Z on qubit 1 always 1 -> bit string "10"
    prep = QuantumCircuit(2)
    prep.h(0)
    prep.x(1)
    records, _, _ = tomography_of(prep, 200, 0, 10)
    by_setting = {tuple(r["metadata"]["m_idx"]): r["counts"] for r in records}
    assert by_setting[(1, 0)] == {"10": 200}  # m_idx entry 0 is qubit 0; bit 0 (rightmost) is qubit 0
    assert set(by_setting[(1, 2)]) == {"00", "10"}  # X on |+>: 0; Y on |1>: random
    assert set(by_setting[(0, 0)]) == {"10", "11"}  # Z on |+>: random; Z on |1>: 1
    # an entangled state without symmetry: the fit returns it, not its transpose or its qubit-swapped copy
    psi = np.array([0.5, 0.5j, -0.3 + 0.4j, 0.2 - 0.3j])
    psi /= np.linalg.norm(psi)
    prep = QuantumCircuit(2)
    prep.append(StatePreparation(psi), [0, 1])
    _, states, replicas = tomography_of(prep, 20000, 1, 10)
    rho = states[0]
    target = np.outer(psi, psi.conj())
    swapped = ht.place(target, [1, 0])

    def fid(s):
        return float(np.real(psi.conj() @ s @ psi))

    assert fid(rho) > 0.98
    assert fid(target.conj()) < 0.8 and fid(swapped) < 0.8  # the test would see either mistake
    assert np.abs(rho - target).max() < 0.03
    assert replicas.shape == (10, 1, 4, 4)


def test_sweep_points_draw_independent_shot_noise():
    # two sweep points with the same circuits (only the exact engine's grid differs): the same seed used to
    # give identical counts; each point now seeds from the spec seed and its own key
    spec = spec_for(
        2.0,
        1.0,
        -np.pi / 2,
        1.0,
        circuits={"points": 2, "shots": 500, "seed": 5, "bootstrap": 10},
        sweep={"parameter": "evolution.points", "values": [161, 162]},
    )
    a, b = (p["circuits"] for p in qheat.run(spec, backend="aer").to_dict()["points"])
    assert a["seed"] == b["seed"] == 5 and a["sampler_seed"] != b["sampler_seed"]
    same = [ra["counts"] == rb["counts"] for ra, rb in zip(a["records"], b["records"])]
    assert not any(same)  # 18 circuits of 500 shots: equal counts by chance are vanishingly rare
    # the same spec run again is reproducible
    again = qheat.run(spec, backend="aer").to_dict()["points"][0]["circuits"]
    assert [r["counts"] for r in again["records"]] == [r["counts"] for r in a["records"]]


# ----------------------------------------------------------------------------- on the engine


def small_spec(**circuits):
    return spec_for(
        2.0,
        1.0,
        -np.pi / 2,
        1.0,
        phi_chi=0.0,
        circuits={"points": 2, "shots": 500, "seed": 3, "bootstrap": 10, **circuits},
    )


def test_records_first_and_offline_analysis_reproduces_the_result(tmp_path, capsys):
    import json

    from qheat.cli import main
    from qheat.core.records import read_json

    target = tmp_path / "pair.json"
    result = qheat.run(small_spec(), "aer", output=target).to_dict()
    doc = read_json(tmp_path / "pair.records.json", "records")
    assert doc["kind"] == "qheat-records" and doc["backend"] == "aer" and doc["protocol"] == "correlated-pair"
    assert len(doc["records"]) == 2 * 9
    times = {r["metadata"]["time"] for r in doc["records"]}
    assert times == {0.0, 40.0}
    for r in doc["records"]:
        assert r["metadata"]["measured_qubits"] == [0, 1] and len(r["metadata"]["m_idx"]) == 2
        assert sum(r["counts"].values()) == 500 and all(len(k) == 2 for k in r["counts"])
    assert doc["metadata"]["sampler_seed"] == result["circuits"]["sampler_seed"]
    saved = json.loads(target.read_text())
    assert saved == json.loads(json.dumps(result))
    # offline: the Python API and the CLI give the very same result from the records alone
    assert qheat.analyze(tmp_path / "pair.records.json").to_dict() == saved
    assert main(["analyze", str(tmp_path / "pair.records.json"), "--output", str(tmp_path / "other.json")]) == 0
    assert json.loads((tmp_path / "other.json").read_text()) == saved
    # the analysis reads the counts: other counts, other numbers; missing counts, one line
    doc["records"][0]["counts"] = {"00": 500}
    assert qheat.analyze(doc).to_dict()["circuits"]["sed"] != saved["circuits"]["sed"]
    del doc["records"][0]
    with pytest.raises(QheatError, match="no counts for time 0.0") as info:
        qheat.analyze(doc)
    assert "\n" not in str(info.value)


def test_fidelity_is_qiskits_state_fidelity():
    from qiskit.quantum_info import random_density_matrix, state_fidelity

    from qheat.protocols.correlated_pair.analysis import fidelity

    rho0 = ht.correlated_pair_state(2.0, 1.0, 0.3, 1.0)  # rank deficient, as the exact states are
    for seed in range(3):
        sigma = random_density_matrix(4, seed=seed).data
        assert fidelity(rho0, sigma) == pytest.approx(state_fidelity(rho0, sigma, validate=False), abs=1e-7)


def noisy_probabilities(device, qc):
    """P(outcome of qubits 0, 1) of a compiled circuit under the device's noise: Aer's saved density matrix
    (not its sampler) and the readout assignment matrix."""
    from qiskit.quantum_info import DensityMatrix
    from qiskit_aer import AerSimulator

    bare = qc.remove_final_measurements(inplace=False)
    bare.save_density_matrix()
    rho = AerSimulator(method="density_matrix", noise_model=device.noise).run(bare, shots=1).result().data(0)
    phys = qc.layout.final_index_layout()[:2] if qc.layout else [0, 1]
    return device.assignment(2) @ DensityMatrix(rho["density_matrix"]).probabilities(phys)


def test_noisy_nmr_device_counts_follow_its_noise_model(tmp_path):
    from qiskit.quantum_info import Statevector

    from qheat.backends.aer import AerBackend
    from qheat.core.records import read_json
    from qheat.protocols.correlated_pair.circuits import pair_circuits

    spec = small_spec(shots=4000, bootstrap=20)
    r = qheat.run(spec, "aer:nmr-depolarizing", output=tmp_path / "n.json").to_dict()
    c = r["circuits"]
    assert [c["exact_sed"][0], c["exact_sed"][1]] == pytest.approx([r["sed"][0], r["sed"][-1]], abs=1e-12)
    assert "aer:nmr-depolarizing tomography" in r["headline"]
    doc = read_json(tmp_path / "n.records.json", "records")
    device = AerBackend("aer:nmr-depolarizing")
    circuits, _ = pair_circuits(spec)
    chi_noisy = chi_ideal = 0.0
    for qc, rec in zip(circuits, doc["records"]):
        assert rec["metadata"] == qc.metadata
        n = np.zeros(4)
        for key, k in rec["counts"].items():
            n[int(key, 2)] = k
        compiled = device.compile(qc)
        assert set(compiled.count_ops()) <= {"rx", "ry", "rz", "rzz", "measure", "barrier"}
        p = noisy_probabilities(device, compiled) * n.sum()
        ideal = (
            np.clip(Statevector(qc.remove_final_measurements(inplace=False)).probabilities([0, 1]), 1e-4, 1) * n.sum()
        )
        chi_noisy += ((n - p) ** 2 / p).sum()
        chi_ideal += ((n - ideal) ** 2 / ideal).sum()
    dof = 3 * len(circuits)
    assert abs(chi_noisy - dof) < 5 * np.sqrt(2 * dof)  # the counts are draws from the noisy channel ...
    assert chi_ideal > dof + 10 * np.sqrt(2 * dof)  # ... and not from the ideal circuits
    # noise lowers the fidelity but the tomography still sees the state
    assert 0.9 < min(c["fidelity"]) < 0.999


def test_ibm_without_an_account_is_refused_in_one_line(capsys, tmp_path, monkeypatch):
    """fake: devices run (tests/runtime/test_protocol_devices.py); ibm: needs an account, checked before any work."""
    from qheat.cli import main

    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("QISKIT_IBM_ACCOUNT_FILE", str(tmp_path / "none.json"))
    path = tmp_path / "pair.json"
    path.write_text(__import__("json").dumps(small_spec().to_dict()))
    assert main(["run", str(path), "--backend", "ibm:ibm_torino", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "no IBM Quantum account" in err
    assert not (tmp_path / "out").exists()


def test_a_device_too_small_is_refused_before_any_circuit_runs():
    from qheat.protocols.correlated_pair import PROTOCOL

    class Tiny:
        name = "aer:tiny"

        def check_width(self, qubits, what):
            raise QheatError(f"{what} needs {qubits} qubits but aer:tiny has 3")

        def compile(self, qc):
            raise AssertionError("compiled before the width check")

    with pytest.raises(QheatError, match="needs 4 qubits but aer:tiny has 3"):
        next(PROTOCOL.batches(small_spec(), Tiny()))
    with pytest.raises(QheatError, match=r"needs a \[circuits\] table"):
        qheat.run(spec_for(2.0, 1.0, 0.0, 1.0), "aer")
