"""The cascade's Estimator path (``[mitigation] estimator``): spec keys, the circuits' resets for PEA/PEC,
Runtime's executor Estimator on the cascade's own circuits in local mode, and the analysis of its records.

Independent answers: Aer's density-matrix simulation of the very circuits the Estimator ran, under the
fake device's noise model without its readout errors (what TREX leaves); the exact engine for the heats;
``DensityMatrix`` for the resets that ``drop_resets`` removes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.quantum_info import DensityMatrix, Pauli, partial_trace  # noqa: E402

from qheat import QheatError, spec_from_dict  # noqa: E402
from qheat.cli import main  # noqa: E402
from qheat.mitigation.pauli import labels  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from specs_helper import TINY_CASCADE  # noqa: E402

TINY = {
    **json.loads(json.dumps(TINY_CASCADE)),
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 1},
    "measurement": {"shots": 400, "bootstrap": 0},
    "execution": {"mode": "reprepare"},
    "mitigation": {"estimator": ["trex"]},
}


def _spec(**changes):
    data = json.loads(json.dumps(TINY))
    for key, value in changes.items():
        data[key] = value
    return data


@pytest.mark.parametrize(
    "mitigation, message",
    [
        ({"estimator": ["trex", "foo"]}, "unknown technique 'foo'"),
        ({"estimator": ["zne", "pea"]}, "zne \\(gate folding\\) or pea"),
        ({"estimator": "trex"}, "mitigation.estimator"),
        ({"estimator": [1]}, "technique names"),
        ({"estimator": ["trex"], "readout": True}, "replaces the Sampler path"),
    ],
)
def test_estimator_keys_refused_in_one_line(mitigation, message):
    with pytest.raises(QheatError, match=message):
        spec_from_dict(_spec(mitigation=mitigation))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"execution": {"mode": "reset"}}, "mode 'reset' refreshes the bath"),
        (
            {"measurement": {"shots": 400, "every": 4}, "interaction": {"g": 20.0, "tau": 0.01, "collisions": 2}},
            "a run of 2 collisions",
        ),
    ],
)
def test_pec_refused_where_runtime_cannot_box_the_circuits(changes, message):
    """PEA/PEC need resets only where a fresh bath meets |0>: reset mode and runs of several collisions
    are refused when the spec is read, before any job; TREX takes them."""
    with pytest.raises(QheatError, match=message):
        spec_from_dict(_spec(mitigation={"estimator": ["trex", "pec"]}, **changes))
    assert spec_from_dict(_spec(**changes)).mitigation.estimator == ("trex",)


def test_estimator_spec_round_trips():
    spec = spec_from_dict(_spec(mitigation={"estimator": ["pec", "trex", "pec"]}))
    assert spec.mitigation.estimator == ("trex", "pec")
    assert spec.to_dict() == spec_from_dict(_spec(mitigation={"estimator": ["trex", "pec"]})).to_dict()
    plain = spec_from_dict(_spec(mitigation={"readout": True}))
    assert "estimator" not in plain.to_dict()["mitigation"]  # specs from before the key keep their hash
    assert spec_from_dict(spec.to_dict()).mitigation.estimator == ("trex", "pec")


def test_drop_resets_keeps_the_ideal_output_and_refuses_a_reset_that_acts():
    """A reset of an untouched qubit and of an ancilla the circuit returned to |0> are the identity there:
    removed, the output state unchanged. A reset of a qubit in use (the cascade's bath after a collision)
    is refused in one line."""
    from qheat.backends.runtime.estimator import drop_resets

    qc = QuantumCircuit(3)
    qc.reset(2)  # untouched
    qc.ry(0.7, 0)
    qc.cx(0, 2)  # route through the ancilla 2 ...
    qc.cx(2, 1)
    qc.cx(0, 2)  # ... and back: 2 in |0> again
    qc.reset(2)
    qc.ry(0.3, 2)
    qc.cz(1, 2)
    out = drop_resets(qc)
    assert "reset" not in out.count_ops()
    assert np.allclose(DensityMatrix(out).data, DensityMatrix(qc).data, atol=1e-12)  # qiskit applies the resets
    qc.reset(2)  # 2 now holds RY(0.3)|0>, entangled by the CZ
    with pytest.raises(QheatError, match="reset of a qubit in use"):
        drop_resets(qc)


def _capture(monkeypatch):
    """Record the circuits and observables the cascade hands to ``RuntimeBackend.expectations``."""
    import qheat.backends.runtime as rt

    seen = []
    original = rt.RuntimeBackend.expectations

    def spy(self, circuits, observables, shots, seed, techniques=()):
        out = original(self, circuits, observables, shots, seed, techniques)
        seen.append((self, list(circuits), list(observables), list(shots), out))
        return out

    monkeypatch.setattr(rt.RuntimeBackend, "expectations", spy)
    return seen


def test_estimator_path_on_the_cascades_circuits_matches_aer(monkeypatch, tmp_path):
    """qheat run with the Estimator (TREX) on fake:torino: every Pauli value within 4 of its standard
    errors (at least binomial, with TREX's calibration error from the reported readout; +0.005) of the
    measured qubits' Paulis in Aer's
    density matrix of the same circuit under the device's noise model without readout errors (labels built here, not by
    qheat); the result says which path ran, and its heats carry error bars
    that cover the exact engine's (gate noise of one collision included: 4 sigma + 0.02)."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    seen = _capture(monkeypatch)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_spec(measurement={"shots": 2000, "bootstrap": 40})))
    assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "r"), "-q"]) == 0
    (be, circuits, observables, shots, out) = seen[0]
    records = json.loads((tmp_path / "r" / "tiny.records.json").read_text())
    measured = records["metadata"]["measured_qubits"]
    assert measured == sorted(measured)
    noise = NoiseModel.from_backend(be.executor, readout_error=False)
    sim = AerSimulator(method="density_matrix", noise_model=noise)
    props = be.executor.properties()
    r = {  # each measured qubit's reported readout factor 1 - P(1|0) - P(0|1)
        q: 1 - props.qubit_property(q)["prob_meas1_prep0"][0] - props.qubit_property(q)["prob_meas0_prep1"][0]
        for q in measured
    }
    worst = 0.0
    for qc, res, count in zip(circuits, out, shots):
        want_qc = qc.remove_final_measurements(inplace=False)
        want_qc.save_density_matrix()
        rho = DensityMatrix(sim.run(want_qc).result().data()["density_matrix"])
        # the measured qubits' state, its Paulis in Qiskit's label order (the records' documented order)
        reduced = partial_trace(rho, [q for q in range(qc.num_qubits) if q not in measured])
        want = np.array([reduced.expectation_value(Pauli(label)).real for label in labels(len(measured))])
        got, err = np.array(res["evs"]), np.array(res["stds"])
        # Runtime reports std 0 when a circuit's few shots make one twirl randomization: binomial floor
        err = np.maximum(err, np.sqrt((1 - np.minimum(want**2, 1)) / count))
        # TREX divides by factors it calibrates on ~count shots: relative error sqrt(sum (1 - r^2) / r^2 / count)
        inv = [
            sum((1 - r[q] ** 2) / r[q] ** 2 for q, c in zip(measured, lab[::-1]) if c != "I")
            for lab in labels(len(measured))
        ]
        calib = np.abs(want) * np.sqrt(np.array(inv) / count)
        assert res["techniques"] == ["trex"]
        worst = max(worst, float(np.max(np.abs(got - want) / (4 * np.hypot(err, calib) + 0.005))))
    assert worst < 1.0, worst
    result = json.loads((tmp_path / "r" / "tiny.json").read_text())
    block = result["measurement"]
    assert "executor_estimator.Estimator" in block["engine"] and "Gaussian replicas" in block["stderr"]
    assert block["mitigation"]["estimator"] == ["trex"]
    assert "expectations" in records["metadata"] and "settings" not in records["metadata"]
    for sub, exact in zip(result["subsystems"], result["exact"]["subsystems"]):
        assert sub["heat_absorbed_stderr"] > 0
        assert abs(sub["heat_absorbed"] - exact["heat_absorbed"]) < 4 * sub["heat_absorbed_stderr"] + 0.02


def test_damaged_estimator_records_refused_in_one_line(tmp_path, capsys):
    """A records document whose Estimator records lost values is refused by qheat analyze, exit 2."""
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_spec()))
    assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "r"), "-q"]) == 0
    records = tmp_path / "r" / "tiny.records.json"
    doc = json.loads(records.read_text())
    doc["records"][1]["expectations"]["evs"] = doc["records"][1]["expectations"]["evs"][:-1]
    records.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["analyze", str(records), "--output", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "record 1 is not an Estimator record" in err and "Traceback" not in err


def test_submit_refuses_the_estimator_path(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_spec(execution={"mode": "reset"})))
    assert main(["submit", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "o")]) == 2
    assert "mitigation.estimator" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_pec_on_the_cascade_covers_exact_at_its_sampling_cost(tmp_path):
    """PEC (with TREX) on fake:torino, 4 collisions: every heat within 4 of its standard errors of the
    exact engine, and those errors larger than TREX's alone on the same shots (PEC's sampling overhead
    gamma > 1). (Its gain in bias is measured shot-free by benchmarks/runtime_bias.py: at 4 collisions
    it is below these error bars.)"""
    heats = {}
    for name, techniques in (("trex", ["trex"]), ("pec", ["trex", "pec"])):
        path = tmp_path / f"{name}.json"
        data = _spec(
            name=name,
            interaction={"g": 20.0, "tau": 0.01, "collisions": 4},
            measurement={"shots": 4000, "bootstrap": 40},
            mitigation={"estimator": techniques},
        )
        path.write_text(json.dumps(data))
        assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / name), "-q"]) == 0
        result = json.loads((tmp_path / name / f"{name}.json").read_text())
        heats[name] = [
            (s["heat_absorbed"] - e["heat_absorbed"], s["heat_absorbed_stderr"])
            for s, e in zip(result["subsystems"], result["exact"]["subsystems"])
        ]
    for (d_pec, e_pec), (_, e_trex) in zip(heats["pec"], heats["trex"]):
        assert abs(d_pec) < 4 * e_pec
        assert e_pec > e_trex


# ----------------------------------------------------------------------------- observables: what a quantity needs


def test_observable_labels_are_what_each_quantity_needs():
    """Written out by hand: Z of each qubit for the energies; with the exchange coherences also XX and YY of
    every system pair (R, the highest qubit, gets only Z); every label for the state. The Estimator groups
    them into 1, 3 and 27 qubit-wise commuting bases."""
    from qheat.mitigation.pauli import bases, basis_count, observable_labels

    assert observable_labels("energies", 3, 3) == ["IIZ", "IZI", "ZII"]
    assert observable_labels("exchange", 3, 3) == ["IIZ", "IXX", "IYY", "IZI", "XIX", "XXI", "YIY", "YYI", "ZII"]
    assert set(observable_labels("exchange", 3, 2)) == {"IIZ", "IZI", "ZII", "IXX", "IYY"}
    assert observable_labels("state", 2, 2) == labels(2)
    assert [bases(observable_labels(k, 3, 3)) for k in ("energies", "exchange", "state")] == [1, 3, 27]
    for m, n in ((1, 1), (2, 1), (2, 2), (3, 2), (4, 3), (4, 4)):  # the cost guard's closed form
        for kind in ("energies", "exchange", "state"):
            assert basis_count(kind, m, n) == bases(observable_labels(kind, m, n)), (kind, m, n)


def test_quantities_linear_in_the_measured_paulis_are_exact_on_the_embedded_operator():
    """For a random 3-qubit state: the operator rebuilt from its Z (and XX, YY) expectations alone has the
    state's populations of each qubit and its exchange coherences 2 Re sum rho[1_p 0_q, 0_p 1_q]
    (``thermo.exchange_coherences`` of the full state), though it is not the state."""
    from qheat.mitigation.pauli import embed, linear_states, observable_labels, pauli_matrix
    from qheat.physics import thermo

    rng = np.random.default_rng(3)
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    for kind in ("energies", "exchange"):
        observed = observable_labels(kind, 3, 3)
        values = np.array([np.real(np.trace(rho @ pauli_matrix(p))) for p in observed])
        op = linear_states(embed(values, observed, 3), 3)
        bits = (np.arange(8)[:, None] >> np.arange(3)) & 1
        assert np.allclose(np.real(np.diag(op)) @ bits, np.real(np.diag(rho)) @ bits, atol=1e-12)
        if kind == "exchange":
            assert np.allclose(thermo.exchange_coherences(op), thermo.exchange_coherences(rho), atol=1e-12)
        assert not np.allclose(op, rho)


@pytest.mark.parametrize(
    "mitigation, changes, message",
    [
        ({"estimator": ["trex"], "observables": "heat"}, {}, "mitigation.observables must be one of"),
        ({"readout": True, "observables": "energies"}, {}, "give the techniques too"),
        ({"estimator": ["trex"], "observables": "energies"}, {}, "needs execution.mode = 'reset'"),
        (
            {"estimator": ["trex", "pec"], "observables": "energies"},
            {"execution": {"mode": "reset"}},
            "PEA and PEC cannot box",
        ),
    ],
)
def test_observables_refused_in_one_line(mitigation, changes, message):
    with pytest.raises(QheatError, match=message):
        spec_from_dict(_spec(mitigation=mitigation, **changes))


def test_observables_round_trip_and_the_default_keeps_older_hashes():
    data = _spec(execution={"mode": "reset"}, mitigation={"estimator": ["trex"], "observables": "exchange"})
    spec = spec_from_dict(data)
    assert spec.mitigation.observables == "exchange"
    assert spec_from_dict(spec.to_dict()).to_dict() == spec.to_dict()
    default = _spec(mitigation={"estimator": ["trex"], "observables": "state"})
    del default["name"]
    assert "observables" not in spec_from_dict(default).to_dict()["mitigation"]
    assert spec_from_dict(default).key() == "spec-a1982581aa"  # the hash name before the key existed (f10a0fb)


@pytest.mark.parametrize("kind", ["energies", "exchange"])
def test_estimator_measures_only_what_the_quantities_need(monkeypatch, tmp_path, kind):
    """observables = energies / exchange on fake:torino (reset mode, TREX): the Estimator is handed only the
    Z (and XX, YY) Paulis; the heats are -(delta/2) times the change of the records' <Z_k> (closed form)
    and cover the exact engine's; with exchange the one-way coherence C_2 is (<XX> + <YY>) / 2 of the
    records; what the Paulis cannot give is null with a note, and the records re-analyse to the same result."""
    seen = _capture(monkeypatch)
    path = tmp_path / "tiny.json"
    data = _spec(
        execution={"mode": "reset"},
        measurement={"shots": 2000, "bootstrap": 40},
        mitigation={"estimator": ["trex"], "observables": kind},
    )
    path.write_text(json.dumps(data))
    assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "r"), "-q"]) == 0
    want = {"energies": ["IZ", "ZI"], "exchange": ["IZ", "XX", "YY", "ZI"]}[kind]  # qubit 0 last
    for obs in seen[0][2]:  # on the circuit's 3 qubits, R (qubit 2) never measured
        assert [o.paulis[0].to_label() for o in obs] == ["I" + label for label in want]
    records = json.loads((tmp_path / "r" / "tiny.records.json").read_text())
    assert records["metadata"]["observables"] == want
    result = json.loads((tmp_path / "r" / "tiny.json").read_text())
    labels_ = records["metadata"]["observables"]

    def mean(label: str, step: int) -> float:  # branch-weighted mean over Z^b patterns, by hand
        out = 0.0
        for b in {r["metadata"]["branch"] for r in records["records"] if r["metadata"]["step"] == step}:
            recs = [r for r in records["records"] if r["metadata"]["step"] == step and r["metadata"]["branch"] == b]
            out += recs[0]["metadata"]["weight"] * np.mean(
                [r["expectations"]["evs"][labels_.index(label)] for r in recs]
            )
        return out

    last = result["steps"][-1]
    for k, (sub, exact) in enumerate(zip(result["subsystems"], result["exact"]["subsystems"])):
        z = "IZ" if k == 0 else "ZI"
        assert sub["heat_absorbed"] == pytest.approx(-0.5 * (mean(z, last) - mean(z, 0)), abs=1e-12)
        assert abs(sub["heat_absorbed"] - exact["heat_absorbed"]) < 4 * sub["heat_absorbed_stderr"] + 0.02
    c2 = result["subsystems"][1]["one_way_coherence"]
    if kind == "exchange":
        assert c2[-1] == pytest.approx((mean("XX", last) + mean("YY", last)) / 2, abs=1e-12)
        assert result["subsystems"][1]["apparent_temperature"][-1] is not None
    else:
        assert c2 == [None] * len(result["steps"])
        assert "observables = 'exchange'" in result["subsystems"][1]["one_way_coherence_note"]
        assert result["subsystems"][0]["initial_heat_current"] is None
    system = result["system"]
    for key in ("free_energy", "entropy", "coherence"):
        assert set(system[key]) == {None} and "needs the full state" in system[f"{key}_note"]
    assert {"energies": "1 measurement basis ", "exchange": "3 measurement bases"}[kind] in result["measurement"][
        "tomography"
    ]
    out = tmp_path / "again.json"
    assert main(["analyze", str(tmp_path / "r" / "tiny.records.json"), "--output", str(out), "-q"]) == 0
    again = json.loads(out.read_text())
    assert again["subsystems"] == result["subsystems"] and again["system"] == result["system"]


def test_records_of_other_observables_refused(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    data = _spec(execution={"mode": "reset"}, mitigation={"estimator": ["trex"], "observables": "energies"})
    path.write_text(json.dumps(data))
    assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "r"), "-q"]) == 0
    records = tmp_path / "r" / "tiny.records.json"
    doc = json.loads(records.read_text())
    doc["metadata"]["observables"] = ["IZ", "XX"]
    records.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["analyze", str(records), "--output", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "other Pauli values than the spec's mitigation.observables" in err and "Traceback" not in err


def test_a_nan_standard_error_is_richardsons_through_the_factors_and_a_nan_value_refused():
    """ZNE's fit can report a NaN error (no covariance): it becomes the error of the quadratic through the
    factors 1, 3, 5, whose weights at 0 are 15/8, -5/4, 3/8 (Lagrange, by hand), sqrt(sum w_i^2 s_i^2); all
    factors' errors 0 give 0 and the binomial floor sqrt(max(1 - v^2, 1/N) / N). Without the factors'
    errors, and for a NaN value, the records are refused in one line."""
    from qheat.protocols.cascade.expectations import expectations_by_step

    meta = {"step": 0, "branch": 0, "weight": 1.0, "pattern": [], "shots": 10_000}
    per_factor = [[0.0, 0.0, 0.0], [0.02, 0.03, 0.04], [0.01, 0.01, 0.01]]
    ev = {"evs": [1.0, 0.2, 0.6], "stds": [float("nan"), float("nan"), 0.05], "stds_noise_factors": per_factor}
    rec = {"expectations": ev, "metadata": meta}
    _, values, stds = expectations_by_step([rec], size=3)
    assert values[0].tolist() == [1.0, 0.2, 0.6]
    richardson = np.sqrt((15 / 8 * 0.02) ** 2 + (5 / 4 * 0.03) ** 2 + (3 / 8 * 0.04) ** 2)
    assert stds[0] == pytest.approx([np.sqrt(1e-4 / 10_000), richardson, 0.05])  # the floors below the rest
    del ev["stds_noise_factors"]
    with pytest.raises(QheatError, match="without the errors per noise factor"):
        expectations_by_step([rec], size=3)
    ev["evs"][0] = float("nan")
    with pytest.raises(QheatError, match="non-finite expectation value"):
        expectations_by_step([rec], size=3)


def test_the_unweighted_zne_fit_warning_becomes_a_record_note_and_others_pass_on():
    import warnings

    from qheat.backends.runtime.estimator import UNWEIGHTED_FIT, _noting

    def run():
        warnings.warn(
            f"{UNWEIGHTED_FIT}; falling back to an unweighted fit for extrapolation.", UserWarning, stacklevel=2
        )
        return 7

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _noting(run) == (
            7,
            {"note": "ZNE fit unweighted for some values: every noise factor's standard error was 0"},
        )

    def other():
        warnings.warn("something else", RuntimeWarning, stacklevel=2)
        return 1

    with pytest.warns(RuntimeWarning, match="something else"):
        assert _noting(other) == (1, {})


def test_bath_tomography_with_energies_gives_the_particle_energy_and_nulls_the_information(tmp_path):
    """tomography = system+bath, observables = energies, no replicas: the bath particle's energy is
    -(delta/2) <Z_R> (R the highest measured qubit, closed form from the records), the mutual information
    with the bath is null with a note, and no error bars are claimed."""
    path = tmp_path / "tiny.json"
    data = _spec(
        execution={"mode": "reset"},
        measurement={"shots": 1000, "bootstrap": 0, "tomography": "system+bath"},
        mitigation={"estimator": ["trex"], "observables": "energies"},
    )
    path.write_text(json.dumps(data))
    assert main(["run", str(path), "--backend", "fake:torino", "--output", str(tmp_path / "r"), "-q"]) == 0
    records = json.loads((tmp_path / "r" / "tiny.records.json").read_text())
    assert records["metadata"]["observables"] == ["IIZ", "IZI", "ZII"]
    result = json.loads((tmp_path / "r" / "tiny.json").read_text())
    last = result["steps"][-1]
    recs = [r for r in records["records"] if r["metadata"]["step"] == last]
    z_r = sum(
        r["metadata"]["weight"]
        * r["expectations"]["evs"][2]
        / sum(q["metadata"]["branch"] == r["metadata"]["branch"] for q in recs)
        for r in recs
    )
    assert result["bath"]["particle_energy"][-1] == pytest.approx(-0.5 * z_r, abs=1e-12)
    for part in (*result["subsystems"], result["system"]):
        assert set(part["mutual_information_with_bath"]) == {None}
        assert "needs the full state" in part["mutual_information_with_bath_note"]
    assert "heat_absorbed_stderr" not in result["subsystems"][0]


def test_reading_a_spec_leaves_the_callers_data_unchanged():
    data = _spec(execution={"mode": "reset"}, mitigation={"estimator": ["trex"], "observables": "energies"})
    before = json.loads(json.dumps(data))
    spec_from_dict(data)
    assert data == before
