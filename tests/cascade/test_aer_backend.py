"""Aer backends, the depolarizing NMR stand-in's numbers, and the records-first command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qheat.backends.aer import AerBackend, config_names, load_config, noise_model
from qheat.cli import main
from qheat.core.errors import QheatError
from qheat.protocols.registry import load_spec, spec_from_dict


def test_depolarizing_stand_in_block_has_the_papers_fidelity():
    """One collision block (three partial SWAPs at g tau = 0.2), compiled for the depolarizing stand-in, has
    total average gate fidelity 0.995 (its reading of seed 001's 'simulation fidelity over 99.5%'), from Aer's
    superoperator. The faithful nmr-crotonic: tests/cascade/test_nmr_standin.py."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import XXPlusYYGate
    from qiskit.quantum_info import Operator, SuperOp, average_gate_fidelity
    from qiskit_aer import AerSimulator

    be = AerBackend("aer:nmr-depolarizing")
    qc = QuantumCircuit(4)
    for k in range(3):
        qc.append(XXPlusYYGate(0.4), [k, 3])
    tq = be.compile(qc)
    assert set(tq.count_ops()) <= {"rx", "ry", "rz", "rzz"}
    tq.save_superop()
    sim = AerSimulator(method="superop", noise_model=be.noise)
    fid = average_gate_fidelity(SuperOp(sim.run(tq).result().data()["superop"]), Operator(qc))
    assert fid == pytest.approx(0.995, abs=2e-4)


def test_config_numbers_are_physical_and_documented():
    cfg = load_config("nmr-depolarizing")
    assert cfg.qubits == 4 and cfg.coupling == "all-to-all"
    assert cfg.t2 <= 2 * cfg.t1
    text = (
        __import__("importlib.resources").resources.files("qheat.hardware_configs") / "nmr-depolarizing.toml"
    ).read_text()
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("description"):
            assert "#" in line, f"undocumented number: {line}"
    assert {"nmr-crotonic", "nmr-depolarizing"} <= set(config_names())
    model = noise_model(cfg)
    assert set(model.noise_instructions) >= {"rzz", "rx", "ry", "measure"}


def test_readout_assignment_matches_the_noise_model():
    """The snapshot engine's readout matrix equals what Aer does to a prepared |01> on two qubits."""
    from qiskit import QuantumCircuit

    be = AerBackend("aer:nmr-depolarizing")
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    counts = be.simulator.run(be.compile(qc), shots=200_000, seed_simulator=3).result().get_counts()
    freq = np.array([counts.get(format(o, "02b"), 0) for o in range(4)]) / 200_000
    # the compiled X gate adds its own small error; allow 3e-3
    assert np.abs(freq - be.assignment(2)[:, 1]).max() < 3e-3


@pytest.mark.parametrize(
    "name,message",
    [
        ("aer:nope", "unknown hardware config 'nope'"),
        ("fake:nothing", "unknown fake backend 'fake:nothing'"),
        ("ibm:", "ibm: needs a device name"),
        ("ibm:nothing", "no IBM Quantum account"),  # a device name is checked against the account, which is missing
        ("nowhere", "unknown backend 'nowhere'"),
    ],
)
def test_unknown_backends_are_refused(name, message, capsys, monkeypatch):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("QISKIT_IBM_ACCOUNT_FILE", "/nonexistent/qiskit-ibm.json")
    assert main(["run", "fig3-zero", "--backend", name, "--output", "/tmp/qheat-never"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_spec_too_wide_for_the_stand_in(tmp_path, capsys):
    data = load_spec("fig3-zero").to_dict()
    data["execution"] = {"preparation": "purification"}
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(data))
    assert main(["run", str(path), "--backend", "aer:nmr-crotonic", "--output", str(tmp_path)]) == 2
    assert "needs 7 qubits but aer:nmr-crotonic has 4" in capsys.readouterr().err


@pytest.mark.parametrize(
    "table,values,message",
    [
        ("execution", {"mode": "sometimes"}, "execution.mode must be one of"),
        ("execution", {"engine": "magic"}, "execution.engine must be one of"),
        ("measurement", {"every": 0}, "measurement.every must be >= 1"),
        ("measurement", {"shots": 0}, "measurement.shots must be >= 1"),
        ("measurement", {"bootstrap": 1}, "measurement.bootstrap = 1"),
        ("measurement", {"tomography": "bath"}, "measurement.tomography must be one of"),
        ("measurement", {"colour": 1}, "unknown key 'colour' in [measurement]"),
    ],
)
def test_bad_execution_and_measurement_tables(table, values, message):
    data = load_spec("fig3-zero").to_dict()
    data[table] = values
    with pytest.raises(QheatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        spec_from_dict(data)


def test_reprepare_needs_whole_collisions():
    data = load_spec("fig3-zero").to_dict()
    data["execution"] = {"mode": "reprepare"}
    data["measurement"] = {"every": 2}
    with pytest.raises(QheatError, match="multiple of 3"):
        spec_from_dict(data)


def _write_spec(tmp_path, collisions=2, **measurement):
    data = load_spec("fig3-reversed").to_dict()
    data["interaction"]["collisions"] = collisions
    data["measurement"] = {"shots": 300, "bootstrap": 5, **measurement}
    data["name"] = "small"
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data))
    return path


def test_records_are_saved_first_and_reused(tmp_path, capsys, monkeypatch):
    spec = _write_spec(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(spec), "--backend", "aer", "--output", str(out), "-q"]) == 0
    records, result = out / "small.records.json", out / "small.json"
    doc = json.loads(records.read_text())
    assert doc["kind"] == "qheat-records" and doc["metadata"]["backend"] == "aer"
    meta = doc["records"][0]["metadata"]
    assert {"step", "setting", "branches"} <= set(meta)  # snapshots: one record per step and setting
    first = json.loads(result.read_text())
    # a second run with the records on disk measures nothing
    import qheat.engine

    def boom(*a, **k):
        raise AssertionError("measured again")

    monkeypatch.setattr(qheat.engine, "collect", boom)
    result.unlink()
    assert main(["run", str(spec), "--backend", "aer", "--output", str(out)]) == 0
    assert "analysing the records" in capsys.readouterr().out
    assert json.loads(result.read_text()) == first
    # and analyze reproduces the result offline
    again = tmp_path / "again.json"
    assert main(["analyze", str(records), "--output", str(again), "-q"]) == 0
    assert json.loads(again.read_text()) == first
    assert main(["analyze", str(records), "--output", str(again), "-q"]) == 2  # no silent overwrite
    assert main(["plot", str(result), "--output", str(tmp_path / "f.png"), "-q"]) == 0


def test_bad_records_files(tmp_path, capsys):
    bad = tmp_path / "x.records.json"
    bad.write_text("{not json")
    assert main(["analyze", str(bad)]) == 2
    bad.write_text(json.dumps({"kind": "something else"}))
    assert main(["analyze", str(bad)]) == 2
    assert "not a qheat records file" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "missing.records.json")]) == 2


def test_records_of_another_spec_are_not_reused(tmp_path, capsys):
    spec = _write_spec(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(spec), "--backend", "aer", "--output", str(out), "-q"]) == 0
    (out / "small.json").unlink()
    spec = _write_spec(tmp_path, seed=99)
    assert main(["run", str(spec), "--backend", "aer", "--output", str(out)]) == 2
    assert "holds records of another spec" in capsys.readouterr().err


def test_collect_reports_progress():
    from qheat.engine import collect

    seen = []
    data = load_spec("fig3-reversed").to_dict()
    data["interaction"]["collisions"] = 2
    data["measurement"] = {"shots": 100, "bootstrap": 0}
    collect(spec_from_dict(data), "aer", progress=lambda what, done, total: seen.append((what, done)))
    assert len(seen) >= 2 and [d for _, d in seen] == list(range(1, len(seen) + 1))
    assert all(isinstance(w, str) and w for w, _ in seen)  # each batch's label
