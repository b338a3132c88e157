"""``qheat plan``: predicted error bars against measured ones, exact distributions against sampled counts,
device time against the target's durations, and the CLI's one-line refusals.

Independent answers: the error bars a real sampled run on the fake device reports (bootstrap over its
counts, Runtime local mode through ``executor_sampler.Sampler``), a chi-square of sampled counts, the
durations the target reports.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qheat import QheatError  # noqa: E402
from qheat.cli import main  # noqa: E402

SPEC = {
    "name": "plan-tiny",
    "protocol": "cascade",
    "system": {"temperatures": [1.0, 1.0], "coherence": [{"pair": [1, 2], "strength": 0.5, "phase": 3.14159}]},
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 1},
    "measurement": {"shots": 400, "bootstrap": 200, "seed": 3},
}


def _write(folder, **changes):
    data = json.loads(json.dumps(SPEC))
    data.update(changes)
    path = folder / f"{data['name']}.json"
    path.write_text(json.dumps(data))
    return path


def measured_and_predicted(
    tmp_path, backend: str, mitigation: dict | None, technique: str, replicas: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """The heat error bars of a real sampled run (submit + fetch, local mode) and the plan's prediction."""
    from qheat.planning import plan

    spec = _write(tmp_path, **({"mitigation": mitigation} if mitigation else {}))
    out = tmp_path / "out"
    assert main(["submit", str(spec), "--backend", backend, "--output", str(out), "-q"]) == 0
    assert main(["fetch", str(out / "plan-tiny.manifest.json"), "-q"]) == 0
    result = json.loads((out / "plan-tiny.json").read_text())
    measured = np.array([s["heat_absorbed_stderr"] for s in result["subsystems"]])
    row = plan(str(spec), backend, 0.01, techniques=[technique], replicas=replicas)["rows"][0]
    return measured, np.array(row["sigma_at_spec_shots"])


def test_predicted_error_bars_match_a_sampled_run(tmp_path):
    """Raw counts on fake:torino: each heat's predicted sigma within 30% of the run's bootstrap error bar."""
    measured, predicted = measured_and_predicted(tmp_path, "fake:torino", None, "raw")
    assert np.all(measured > 0)
    assert np.all(np.abs(predicted / measured - 1) < 0.3), (predicted, measured)


@pytest.mark.slow
def test_predicted_error_bars_match_with_readout_mitigation(tmp_path):
    """Second configuration (readout inversion, another device): within 30% as well."""
    measured, predicted = measured_and_predicted(tmp_path, "fake:sherbrooke", {"readout": True}, "readout")
    assert np.all(np.abs(predicted / measured - 1) < 0.3), (predicted, measured)


def test_exact_distributions_match_sampled_counts_and_durations_the_target():
    """``distributions`` (density matrix + readout matrices) against counts sampled through Runtime local
    mode (chi-square below its 99.9% point); ``_durations`` of a one-gate circuit is the sum of the
    target's reported durations of its gate and measurement."""
    from qiskit import QuantumCircuit, transpile
    from qiskit_ibm_runtime import Batch
    from scipy.stats import chi2

    from qheat.backends.runtime import fake_device, restricted_fake
    from qheat.backends.runtime.primitives import local_simulator, run_local
    from qheat.planning import _durations, distributions

    dev = restricted_fake(fake_device("fake:sherbrooke"), (0, 1))
    qc = QuantumCircuit(2)
    qc.rx(1.0, 0)
    qc.cx(0, 1)
    qc.reset(0)
    qc.ry(0.4, 0)
    qc.measure_all()
    qc = transpile(qc, dev, optimization_level=1, seed_transpiler=2)
    exact = distributions([qc], dev)[0]
    assert sum(exact.values()) == pytest.approx(1.0, abs=1e-9)
    with Batch(backend=local_simulator(dev)) as batch:
        counts = run_local(batch, [(qc, None, 6000)], seed=4)[0]
    keys = [k for k in exact if exact[k] * 6000 > 5]
    stat = sum((counts.get(k, 0) - 6000 * exact[k]) ** 2 / (6000 * exact[k]) for k in keys)
    assert stat < chi2.ppf(0.999, len(keys) - 1)

    one = QuantumCircuit(1, 1)
    one.sx(0)
    one.measure(0, 0)
    t = dev.target
    assert _durations([one], t)[0] == pytest.approx(t["sx"][(0,)].duration + t["measure"][(0,)].duration)


def test_plan_cli_table_and_refusals(tmp_path, capsys):
    spec = _write(tmp_path, measurement={"shots": 200, "bootstrap": 0, "seed": 3})
    out = tmp_path / "plan.json"
    assert (
        main(
            [
                "plan",
                str(spec),
                "--backend",
                "fake:torino",
                "--target-error",
                "0.02",
                "--techniques",
                "raw,readout",
                "--replicas",
                "8",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "raw" in text and "readout" in text and "ASSUMED" in text
    data = json.loads(out.read_text())
    raw, readout = data["rows"]
    assert readout["circuits"] > raw["circuits"]  # the calibration circuits
    sigma = max(raw["sigma_at_spec_shots"])
    assert raw["shots_per_setting"] == pytest.approx(200 * (sigma / 0.02) ** 2, rel=0.02, abs=1)
    assert raw["device_seconds"] > raw["jobs"] * 2.0
    for args, message in (
        (["--target-error", "0"], "--target-error must be > 0"),
        (["--target-error", "0.01", "--techniques", "magic"], "unknown technique 'magic'"),
    ):
        assert main(["plan", str(spec), "--backend", "fake:torino", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    with pytest.raises(QheatError, match="no fake twin"):
        from qheat.planning import plan

        plan(str(spec), "ibm:ibm_nowhere", 0.01)
