"""Runtime backends offline: fake devices in Runtime local mode, the star layout, the manifest, crash and
resume, failed jobs, credentials, readout mitigation against a known error model.

What runs here is Runtime's local mode (``executor_sampler.Sampler`` in a ``Batch`` on a fake device) and qheat's local
job store; ``ibm:`` is exercised only up to the point where it needs an account or the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qheat import QheatError, spec_from_dict  # noqa: E402
from qheat.cli import main  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from specs_helper import TINY_CASCADE  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")
TOKEN = "qheat-test-token-5f1e0c9a7b"

TINY = TINY_CASCADE


def _write_spec(folder: Path, **changes) -> Path:
    data = json.loads(json.dumps(TINY))
    data.update(changes)
    path = folder / "tiny.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """One submission of the tiny spec on fake:torino in 3 jobs (kept pristine; tests copy it)."""
    root = tmp_path_factory.mktemp("submitted")
    spec = _write_spec(root)
    os.environ["QISKIT_IBM_TOKEN"] = TOKEN  # must never reach a file
    try:
        assert (
            main(
                [
                    "submit",
                    str(spec),
                    "--backend",
                    "fake:torino",
                    "--output",
                    str(root / "out"),
                    "--max-circuits",
                    "32",
                    "-q",
                ]
            )
            == 0
        )
    finally:
        del os.environ["QISKIT_IBM_TOKEN"]
    return root


def _copy(submitted: Path, tmp_path: Path) -> Path:
    shutil.copytree(submitted / "out", tmp_path / "out")
    return tmp_path / "out" / "tiny.manifest.json"


# ----------------------------------------------------------------------------- names and layout


def test_fake_names_and_unknown_name():
    from qheat.backends import check, names
    from qheat.backends.runtime import fake_names

    fakes = fake_names()
    assert "fake:sherbrooke" in fakes and "fake:torino" in fakes
    check("fake:sherbrooke")
    check("fake:fake_torino")  # the device's own name works too
    check("fake:Torino")
    check("ibm:ibm_torino")  # shape only: no network
    with pytest.raises(QheatError, match="unknown fake backend 'fake:nowhere'; e.g. fake:sherbrooke"):
        check("fake:nowhere")
    assert "fake:<name>" in names() and "fake:torino" in names(fake=True)


def test_cli_backends_lists_fakes(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "fake:sherbrooke" in out and "ibm:<name>" in out and "aer:nmr-crotonic" in out


@pytest.mark.parametrize("device", ["sherbrooke", "torino"])
def test_star_layout_is_the_best_star(device):
    """R on a degree-3 qubit, S_k on its neighbours, the smallest total error of all stars (brute force):
    reported gate and readout errors plus each qubit's idle error over one collision, t (1/T1 + 1/T2)
    with T1, T2 from the device's properties and t = per S_k 2 two-qubit gates + 4 sx on R."""
    from qheat.backends.runtime import (
        _edge_error,
        _error,
        _two_qubit_ops,
        choose_layout,
        fake_device,
    )

    backend = fake_device(f"fake:{device}")
    target, props = backend.target, backend.properties()
    lay = choose_layout(target, 3)
    ops = _two_qubit_ops(target)
    cmap = target.build_coupling_map()
    *s, r = lay.qubits
    assert all(cmap.distance(r, q) == 1 for q in s) and len(set(lay.qubits)) == 4
    best = np.inf
    for q in range(target.num_qubits):
        nb = set(cmap.neighbors(q)) | {a for a in range(target.num_qubits) if q in cmap.neighbors(a)}
        if len(nb) == 3:
            e = [_edge_error(target, q, x, ops) for x in nb]
            if None not in e:
                two = [op for op in ops if (q, min(nb)) in target[op] or (min(nb), q) in target[op]][0]
                seconds = sum(
                    2 * min(target[two][pair].duration for pair in ((q, x), (x, q)) if pair in target[two])
                    + 4 * target["sx"][(q,)].duration
                    for x in nb
                )
                score = (
                    sum(e)
                    + sum(_error(target, "measure", (x,)) for x in nb)
                    + sum(_error(target, "sx", (x,)) for x in [*nb, q])
                    + sum(seconds * (1 / props.t1(x) + 1 / props.t2(x)) for x in [*nb, q])
                )
                best = min(best, score)
    assert lay.score == pytest.approx(best, abs=1e-5) and lay.swaps_per_collision == 0


def test_star_preparation_prepares_the_state():
    from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

    import qheat
    from qheat.circuits.preparation import sector_projection, star_branches

    rng = np.random.default_rng(3)
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    random = a @ a.conj().T / np.trace(a @ a.conj().T)
    for rho in (qheat.load_spec("fig3-reversed").initial_state(), random):
        total = 0
        for b in star_branches(rho):
            dm = DensityMatrix(Statevector(b.circuit))
            assert partial_trace(dm, [0, 1, 2]).data[0, 0] == pytest.approx(1)  # R back in |0>
            total = total + b.weight * partial_trace(dm, [3]).data
            assert all(
                len(i.qubits) < 2
                or b.circuit.find_bit(i.qubits[0]).index == 3
                or b.circuit.find_bit(i.qubits[1]).index == 3
                for i in b.circuit.data
            )
        assert np.abs(total - sector_projection(rho)).max() < 1e-12


# ----------------------------------------------------------------------------- readout mitigation


def test_readout_mitigation_recovers_a_known_state():
    """Frequencies through a known asymmetric readout error: the mitigated fit recovers the state exactly
    (expected counts) and beats the unmitigated one on sampled counts."""
    import qheat
    from qheat.physics.tomography import (
        assignment_matrices,
        inversion_map,
        linear_fit,
        mitigate,
        mitigation_matrix,
        settings,
    )

    rho = qheat.load_spec("fig3-reversed").initial_state()
    a1 = [
        np.array([[0.97, 0.08], [0.03, 0.92]]),
        np.array([[0.95, 0.05], [0.05, 0.95]]),
        np.array([[0.99, 0.12], [0.01, 0.88]]),
    ]
    full = np.kron(a1[2], np.kron(a1[1], a1[0]))
    # ideal probabilities of every Pauli setting: Tr(rho Pi_so), from the measurement basis
    from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis

    basis = PauliMeasurementBasis()
    probs = []
    for s in settings(3):
        row = []
        for o in range(8):
            povm = np.ones((1, 1))
            for q in range(3):
                povm = np.kron(np.asarray(basis.matrix([s[q]], (o >> q) & 1, [0])), povm)
            row.append(np.real(np.trace(rho @ povm)))
        probs.append(row)
    probs = np.array(probs)
    noisy = probs @ full.T
    cal0 = {format(o, "03b"): int(round(1e9 * full[o, 0])) for o in range(8)}
    cal1 = {format(o, "03b"): int(round(1e9 * full[o, 7])) for o in range(8)}
    mats = assignment_matrices(cal0, cal1, 3)
    for got, want in zip(mats, a1):
        assert np.allclose(got, want, atol=1e-8)
    inv = mitigation_matrix(mats)
    assert np.abs(linear_fit(mitigate(noisy, inv)) - rho).max() < 1e-7
    assert np.abs(linear_fit(noisy) - rho).max() > 0.02
    rng = np.random.default_rng(1)
    counts = rng.multinomial(20000, noisy)
    raw_err = np.abs(linear_fit(counts / 20000) - rho).max()
    mit_err = np.abs(linear_fit(mitigate(counts / 20000, inv)) - rho).max()
    assert mit_err < raw_err / 2
    assert inversion_map(3).shape[0] == 27


def test_mitigation_keys_are_strict_and_runtime_only():
    bad = json.loads(json.dumps(TINY))
    bad["mitigation"] = {"readout": "yes"}
    with pytest.raises(QheatError, match="mitigation.readout must be true or false"):
        spec_from_dict(bad)
    bad["mitigation"] = {"readuot": True}
    with pytest.raises(QheatError, match="unknown key 'readuot'"):
        spec_from_dict(bad)
    from qheat.engine import collect

    with pytest.raises(QheatError, match="applies to Runtime backends"):
        collect(spec_from_dict(TINY), "aer")


# ----------------------------------------------------------------------------- submit, fetch, analyse


def test_submit_manifest_fetch_analysis(submitted, tmp_path, capsys):
    manifest_path = _copy(submitted, tmp_path)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["kind"] == "qheat-manifest" and len(manifest["jobs"]) >= 3
    assert all(j["job_id"] and j["state"] == "submitted" for j in manifest["jobs"])
    assert manifest["layout"]["assignment"]["R"] not in manifest["layout"]["physical_qubits"][:2]
    assert manifest["costs"]["two_qubit_gates_per_collision"] == 4 and manifest["costs"]["swaps"] == 0
    assert {"qiskit", "qiskit-ibm-runtime", "qheat"} <= set(manifest["versions"])
    assert all(sum(p.get("calibration") is not None for p in j["pubs"]) == 2 for j in manifest["jobs"])
    assert main(["status", str(manifest_path)]) == 0
    assert capsys.readouterr().out.count("DONE") == len(manifest["jobs"])
    assert main(["fetch", str(manifest_path), "-q"]) == 0
    out = manifest_path.parent
    result = json.loads((out / "tiny.json").read_text())
    assert result["backend"] == "fake:torino"
    meas = result["measurement"]
    assert meas["layout"]["physical_qubits"] == manifest["layout"]["physical_qubits"]
    assert meas["costs"]["two_qubit_gates_per_collision"] == 4 and "readout_mitigation" in meas
    heat = [s["heat_absorbed"] for s in result["subsystems"]]
    exact = [s["heat_absorbed"] for s in result["exact"]["subsystems"]]
    assert np.allclose(heat, exact, atol=0.06)
    records = out / "tiny.records.json"
    assert json.loads(records.read_text())["calibration"]
    # qheat analyze reproduces the result from the records alone
    assert main(["analyze", str(records), "--output", str(tmp_path / "again.json"), "-q"]) == 0
    again = json.loads((tmp_path / "again.json").read_text())
    assert [s["heat_absorbed"] for s in again["subsystems"]] == heat
    # a second fetch downloads nothing (every job is saved) and gives the same result
    capsys.readouterr()
    assert main(["fetch", str(manifest_path)]) == 0
    assert "downloaded" not in capsys.readouterr().out


def _store_files(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "tiny.local-jobs").glob("*.json"))]


@pytest.mark.parametrize("where", ["after_record", "before_record"])
def test_kill_and_resume_submits_each_job_once(tmp_path, where):
    """A process killed (os._exit, no cleanup) after submitting job 1 -- once after its id was recorded, once
    between submitting and recording -- then 'qheat submit --resume': every job submitted exactly once,
    nothing finished is lost, and the analysis runs."""
    spec = _write_spec(tmp_path)
    out = tmp_path / "out"
    manifest = out / "tiny.manifest.json"
    kill = f"""
import os, sys
from qheat.backends import runtime
from qheat.backends.runtime import jobs
calls = []
orig_submit, orig_write = runtime.LocalJobStore.submit, jobs.write_manifest
def submit(self, pubs, tag, seed):
    job_id = orig_submit(self, pubs, tag, seed)
    calls.append(job_id)
    if len(calls) == 2 and {where!r} == "before_record":
        os._exit(9)
    return job_id
def write(path, manifest):
    orig_write(path, manifest)
    if len(calls) == 2 and {where!r} == "after_record" and manifest["jobs"][1].get("job_id"):
        os._exit(9)
runtime.LocalJobStore.submit = submit
jobs.write_manifest = write
from qheat.cli import main
sys.exit(main(["submit", {str(spec)!r}, "--backend", "fake:torino", "--output", {str(out)!r},
               "--max-circuits", "32", "-q"]))
"""
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-c", kill], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr
    before = json.loads(manifest.read_text())
    assert len(_store_files(out)) == 2
    assert sum(bool(j.get("job_id")) for j in before["jobs"]) == (2 if where == "after_record" else 1)
    assert main(["fetch", str(manifest), "-q"]) == 0  # partial: says what is missing, analyses nothing
    assert not (out / "tiny.json").exists()
    assert main(["submit", "--resume", str(manifest), "-q"]) == 0
    after = json.loads(manifest.read_text())
    stored = _store_files(out)
    tags = [s["tag"] for s in stored]
    assert len(tags) == len(set(tags)) == len(after["jobs"])  # each job submitted once
    assert sorted(j["job_id"] for j in after["jobs"]) == sorted(s["job_id"] for s in stored)
    if where == "before_record":
        assert after["jobs"][1].get("recovered_by_tag")
    saved = {j["job_id"] for j in before["jobs"] if j.get("job_id")}
    assert saved <= {j["job_id"] for j in after["jobs"]}  # finished jobs kept
    assert main(["fetch", str(manifest), "-q"]) == 0
    assert (out / "tiny.json").exists()
    assert main(["submit", "--resume", str(manifest), "-q"]) == 0  # nothing left: submits nothing
    assert len(_store_files(out)) == len(after["jobs"])


def test_cancelled_job_is_reported_and_the_rest_analysed(submitted, tmp_path, capsys):
    manifest_path = _copy(submitted, tmp_path)
    manifest = json.loads(manifest_path.read_text())
    victim = manifest["jobs"][-1]
    store = manifest_path.parent / "tiny.local-jobs" / f"{victim['job_id']}.json"
    data = json.loads(store.read_text())
    data.update(status="CANCELLED", counts=None)
    store.write_text(json.dumps(data))
    assert main(["status", str(manifest_path)]) == 0
    assert "CANCELLED" in capsys.readouterr().out
    assert main(["fetch", str(manifest_path)]) == 0
    err = capsys.readouterr().err
    assert f"job {victim['index']} ({victim['job_id']}): CANCELLED" in err
    result = json.loads((manifest_path.parent / "tiny.json").read_text())
    lost = sorted({p["metadata"]["step"] for p in victim["pubs"] if "metadata" in p})
    assert result["measurement"]["incomplete_steps"] == lost
    assert not set(lost) & set(result["steps"])


@pytest.mark.parametrize("damage", ["truncated", "foreign", "records", "circuits"])
def test_corrupted_or_foreign_manifest(submitted, tmp_path, capsys, damage):
    manifest_path = _copy(submitted, tmp_path)
    text = manifest_path.read_text()
    if damage == "truncated":
        manifest_path.write_text(text[: len(text) // 2])
        expect = "is corrupted: not JSON"
    elif damage == "foreign":
        manifest_path.write_text(json.dumps({"hello": "world"}))
        expect = "is not a qheat manifest"
    elif damage == "records":
        manifest_path.write_text(json.dumps({"kind": "qheat-records", "records": []}))
        expect = "is not a qheat manifest \\(kind 'qheat-records'"
    else:
        data = json.loads(text)
        for job in data["jobs"][1:]:
            job.update(job_id=None, state="planned")
        manifest_path.write_text(json.dumps(data))
        qpy = manifest_path.parent / "tiny.circuits.qpy"
        qpy.write_bytes(qpy.read_bytes()[:-10] + b"0123456789")
        expect = "does not match its manifest"
    cmd = ["submit", "--resume", str(manifest_path)] if damage == "circuits" else ["fetch", str(manifest_path)]
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(expect, err)


def test_submit_refuses_reprepare_and_existing_manifest(submitted, tmp_path, capsys):
    spec = _write_spec(tmp_path, execution={"mode": "reprepare"})
    assert main(["submit", str(spec), "--backend", "fake:torino", "--output", str(tmp_path / "o")]) == 2
    assert "mode 'reprepare'" in capsys.readouterr().err
    manifest_path = _copy(submitted, tmp_path)
    spec = _write_spec(tmp_path)
    assert main(["submit", str(spec), "--backend", "fake:torino", "--output", str(manifest_path.parent)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["submit", str(spec), "--backend", "aer"]) == 2
    assert main(["submit", str(spec), "--backend", "fake:nowhere"]) == 2


# ----------------------------------------------------------------------------- credentials


def _run_cli(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "qheat.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    return proc, time.monotonic() - started


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT_IBM")}
    env.update(PYTHONPATH=SRC, HOME=str(tmp_path / "home"))
    return env


def test_ibm_without_account_fails_fast_and_cleanly(tmp_path):
    proc, seconds = _run_cli(
        ["submit", "fig3-reversed", "--backend", "ibm:ibm_torino", "--output", "out"], _clean_env(tmp_path), tmp_path
    )
    assert proc.returncode == 2 and seconds < 10
    assert proc.stderr.startswith("qheat: error: no IBM Quantum account") and len(proc.stderr.splitlines()) == 1
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_ibm_with_token_but_no_network_fails_fast_without_leaking(tmp_path, monkeypatch):
    """A token in the environment and an unreachable service (a host that cannot resolve): one line, exit 2,
    under 10 s, no token anywhere."""
    env = {**_clean_env(tmp_path), "QISKIT_IBM_TOKEN": TOKEN}
    code = (
        "import sys; from qheat.backends.runtime import account; account.IBM_HOST = 'quantum.invalid'; "
        "from qheat.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code, "submit", "fig3-reversed", "--backend", "ibm:ibm_torino", "--output", "out"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and time.monotonic() - started < 10
    assert proc.stderr.startswith("qheat: error: cannot reach quantum.invalid") and len(proc.stderr.splitlines()) == 1
    assert TOKEN not in proc.stderr + proc.stdout
    from qheat.backends.runtime import credentials

    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    assert TOKEN not in repr(credentials()) + str(credentials())


def test_no_token_in_any_file_qheat_writes(tmp_path):
    """A token in the environment; submit, status, fetch on a fake device: grep every file written."""
    spec = _write_spec(tmp_path)
    env = {**_clean_env(tmp_path), "QISKIT_IBM_TOKEN": TOKEN, "QISKIT_IBM_INSTANCE": "crn:" + TOKEN[::-1]}
    for args in (
        ["submit", str(spec), "--backend", "fake:torino", "--output", "out", "--max-circuits", "200"],
        ["status", "out/tiny.manifest.json"],
        ["fetch", "out/tiny.manifest.json"],
    ):
        proc, _ = _run_cli(args, env, tmp_path, timeout=600)  # a hang guard: ~100 local-mode jobs under load
        assert proc.returncode == 0, proc.stderr
        assert TOKEN not in proc.stdout + proc.stderr and TOKEN[::-1] not in proc.stdout + proc.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "tiny.json" for p in files) and len(files) > 5
    for p in files:
        blob = p.read_bytes()
        assert TOKEN.encode() not in blob and TOKEN[::-1].encode() not in blob, p


# ----------------------------------------------------------------------------- run through collect


def test_run_reprepare_on_fake_backend(tmp_path):
    """qheat run with a fake backend: records first (with calibration), then the analysis with the layout."""
    spec = _write_spec(tmp_path, execution={"mode": "reprepare"}, interaction={"g": 20.0, "tau": 0.01, "collisions": 1})
    assert main(["run", str(spec), "--backend", "fake:sherbrooke", "--output", str(tmp_path / "r"), "-q"]) == 0
    records = json.loads((tmp_path / "r" / "tiny.records.json").read_text())
    assert records["calibration"] and records["metadata"]["layout"]["assignment"]["R"] >= 0
    result = json.loads((tmp_path / "r" / "tiny.json").read_text())
    assert result["measurement"]["device"] == "fake_sherbrooke"
    assert result["measurement"]["costs"]["depth_per_collision"] > 0


@pytest.mark.parametrize("technique", ["dynamical_decoupling", "twirling"])
def test_local_techniques_run(technique):
    """On fake: the DD / twirling that local mode ignores are applied by qheat: circuits padded with X pairs
    (scheduled with the device's durations), or twirled instances whose counts add up to the planned shots."""
    from qheat.engine import collect
    from qheat.protocols.cascade.devices import runtime_backend

    data = json.loads(json.dumps(TINY))
    data["interaction"]["collisions"] = 1
    data["mitigation"] = {technique: True}
    spec = spec_from_dict(data)
    be = runtime_backend(spec, "fake:torino")
    from qheat.protocols.cascade.circuits import CascadeCircuits

    cc = CascadeCircuits(spec, be.compile)
    qc = cc.start(cc.compile(__import__("qiskit").QuantumCircuit(2)), snapshot=False)
    cc.evolve(qc, 0, 2, snapshot=False)
    circ = cc.measure(qc, (0, 0))
    pubs, origin = be.pubs([circ], [100], seed=1)
    ops = pubs[0][0].count_ops()
    if technique == "dynamical_decoupling":
        assert ops.get("delay", 0) > 0 and ops.get("x", 0) >= 2
    else:
        assert len(pubs) == 4 and sum(p[2] for p in pubs) == 100 and origin == [0] * 4
    doc = collect(spec, "fake:torino")
    assert all(sum(r["counts"].values()) > 0 for r in doc["records"])
