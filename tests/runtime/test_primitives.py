"""Runtime's client-side Sampler as qheat drives it: independent streams per pub, the statistics of the
fake device's own noise model, shots trimmed to plan, the ibm: path against a stand-in Sampler, the pins,
and DeprecationWarnings from qheat's modules turned into errors by the pytest configuration.

Independent answers: the exact outcome probabilities of the same circuit under the fake device's noise
model (Aer density matrix, ``NoiseModel.from_backend``), the hypergeometric law of a subset, the
installed package versions.
"""

from __future__ import annotations

import tomllib
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit, transpile  # noqa: E402

from qheat.backends.runtime import fake_device, restricted_fake  # noqa: E402
from qheat.backends.runtime.primitives import (  # noqa: E402
    equal_shots,
    local_simulator,
    pub_seeds,
    run_local,
    trim_counts,
)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@pytest.fixture(scope="module")
def device():
    return restricted_fake(fake_device("fake:torino"), (0, 1, 2))


def _circuit(device, angle: float) -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.ry(angle, 0)
    qc.cx(0, 1)
    qc.h(2)
    qc.measure_all()
    return transpile(qc, device, optimization_level=1, seed_transpiler=1)


def _run(device, pubs, seed):
    from qiskit_ibm_runtime import Batch

    with Batch(backend=local_simulator(device)) as batch:
        return run_local(batch, pubs, seed)


def test_pubs_of_one_job_draw_independent_streams(device):
    """Runtime local mode gives every pub of a job the same simulator seed (identical bit strings for
    identical circuits); qheat's pubs must not share it: 40 copies of one circuit, their counts of an
    outcome spread binomially (variance within its 95% chi-square band), and equal seeds reproduce."""
    qc = _circuit(device, 1.1)
    got = _run(device, [(qc, None, 200)] * 40, seed=5)
    assert all(sum(c.values()) == 200 for c in got)
    k = np.array([c.get("000", 0) for c in got])
    p = k.mean() / 200
    assert 0.05 < p < 0.95
    ratio = k.var(ddof=1) / (200 * p * (1 - p))  # (n - 1) s^2 / sigma^2 ~ chi2(39)
    assert 24.4 / 39 < ratio < 58.1 / 39
    assert len({tuple(sorted(c.items())) for c in got}) > 30
    assert _run(device, [(qc, None, 200)] * 3, seed=5) == got[:3]
    assert len(set(pub_seeds(5, 1000))) == 1000


def test_counts_follow_the_fake_devices_noise_model(device):
    """The sampled frequencies of two circuits against their exact probabilities under
    ``NoiseModel.from_backend`` of the same device (density matrix before the measurement, then the
    device's readout assignment matrices): chi-square below its 99.9% point."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel
    from qiskit_aer.noise.device import basic_device_readout_errors
    from scipy.stats import chi2

    readout = {q[0]: np.asarray(e.probabilities) for q, e in basic_device_readout_errors(target=device.target)}
    assign = np.kron(readout[2], np.kron(readout[1], readout[0]))  # [true, recorded], qubit 0 rightmost

    exact_sim = AerSimulator(method="density_matrix", noise_model=NoiseModel.from_backend(device))
    shots = 4000
    circuits = [_circuit(device, 0.7), _circuit(device, 2.3)]
    got = _run(device, [(qc, None, shots) for qc in circuits], seed=11)
    for qc, counts in zip(circuits, got):
        probe = qc.remove_final_measurements(inplace=False)
        probe.save_probabilities_dict()
        probs = exact_sim.run(probe).result().data()["probabilities"]
        keys = [format(i, "03b") for i in range(8)]
        exp = assign.T @ np.array([probs.get(i, 0.0) for i in range(8)]) * shots
        obs = np.array([counts.get(k, 0) for k in keys])
        mask = exp > 5
        stat = float(((obs[mask] - exp[mask]) ** 2 / exp[mask]).sum())
        assert stat < chi2.ppf(0.999, mask.sum() - 1), (stat, obs, exp)


def test_trim_counts_is_a_uniform_subset():
    """Each trimmed pub has its planned shots, never more of an outcome than it had; over many draws the
    kept share of an outcome has the hypergeometric mean and variance."""
    counts = [{"0": 600, "1": 400}, {"00": 10, "11": 5}]
    out = trim_counts(counts, [250, 20], seed=3)
    assert sum(out[0].values()) == 250 and out[1] == counts[1]
    assert all(out[0][k] <= counts[0][k] for k in out[0])
    kept = np.array([trim_counts([counts[0]], [250], seed=s)[0]["0"] for s in range(400)])
    n, big, draw = 1000, 600, 250
    mean = draw * big / n
    var = draw * big / n * (n - big) / n * (n - draw) / (n - 1)
    assert abs(kept.mean() - mean) < 4 * np.sqrt(var / 400)
    assert 0.7 < kept.var(ddof=1) / var < 1.35
    assert equal_shots([("a", None, 3), ("b", None, 7)]) == [("a", None, 7), ("b", None, 7)]


class _FakeJob:
    def __init__(self, pubs):
        self.pubs = pubs

    def job_id(self):
        return "job-1"

    def result(self):
        from qiskit.primitives import BitArray, DataBin, SamplerPubResult

        out = []
        for _, _, shots in self.pubs:
            bits = np.zeros((shots, 1), dtype=np.uint8)
            bits[: shots // 2] = 1
            out.append(SamplerPubResult(DataBin(meas=BitArray(bits, 2))))
        return out


def test_ibm_path_runs_equal_shots_and_trims(monkeypatch):
    """``ibm:`` through a stand-in ``executor_sampler.Sampler``: the job gets every pub at the largest shot
    count, the techniques as options, the job's tag; the counts come back trimmed to the planned shots."""
    import qiskit_ibm_runtime.executor_sampler as es

    from qheat.backends.runtime import RuntimeBackend
    from qheat.backends.runtime.jobs import IBMJobStore

    seen = []

    from qiskit_ibm_runtime.options_models.sampler import SamplerOptions

    class StandIn:
        def __init__(self, mode=None):
            self.mode, self.options = mode, SamplerOptions()

        def run(self, pubs, *, shots=None, dry_run=False):
            seen.append((list(pubs), self.options))
            return _FakeJob(list(pubs))

    monkeypatch.setattr(es, "Sampler", StandIn)
    monkeypatch.setattr("qiskit_ibm_runtime.Batch", lambda backend=None: _NullBatch())
    be = RuntimeBackend.__new__(RuntimeBackend)
    be.kind, be.mitigation, be.jobs, be.layout = "ibm", {"twirling": True, "dynamical_decoupling": True}, 0, None
    be.device = type("D", (), {"max_circuits": 10, "num_qubits": 2})()
    be.isa = lambda qc: qc
    got = be.sample(["c0", "c1"], [30, 50], seed=1, register="meas")
    pubs, options = seen[0]
    assert [p[2] for p in pubs] == [50, 50]
    assert options.twirling.enable_gates and options.dynamical_decoupling.sequence_type == "XY4"
    assert [sum(c.values()) for c in got] == [30, 50] and got[1] == {"01": 25, "00": 25}

    store = IBMJobStore(service=None, device=object(), options={})
    monkeypatch.setattr(IBMJobStore, "_sampler", lambda self: StandIn())
    assert store.submit([("c0", None, 8), ("c1", None, 4)], "qheat-tag", seed=0) == "job-1"
    pubs, options = seen[-1]
    assert [p[2] for p in pubs] == [8, 8] and options.environment.job_tags == ["qheat-tag"]


class _NullBatch:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_installed_versions_are_inside_the_pins():
    """Every pinned dependency (project and extras) is installed at a version its pin allows, and the
    Qiskit family and Runtime have upper bounds (a new minor of Runtime changed its primitives before)."""
    from packaging.requirements import Requirement

    project = tomllib.loads(PYPROJECT.read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for extra in ("test", "ibm") for r in project["optional-dependencies"][extra]]
    checked = set()
    for req in reqs:
        try:
            installed = version(req.name)
        except Exception:  # noqa: BLE001 -- an extra not installed here is not pinned wrong
            continue
        assert req.specifier.contains(installed, prereleases=True), f"{req.name} {installed} is outside {req}"
        checked.add(req.name)
        if req.name.startswith("qiskit"):
            assert any(s.operator in ("<", "<=", "~=", "==") for s in req.specifier), f"{req} has no upper bound"
    assert {"qiskit", "qiskit-aer", "qiskit-ibm-runtime"} <= checked


def test_deprecation_warnings_from_qheat_modules_are_errors():
    """The pytest configuration turns a DeprecationWarning attributed to a qheat module into an error,
    leaves one attributed to a library alone, and the Sampler path itself warns nothing."""
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old", DeprecationWarning, "jobs.py", 1, module="qheat.backends.runtime.jobs")
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old", DeprecationWarning, "cli.py", 1, module="qheat")
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="qiskit_ibm_runtime.sampler")
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="qheatish")
    assert len(caught) == 2
