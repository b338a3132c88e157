"""The reservoirs protocol from the outside: backends 'exact', 'aer' and 'aer:<config>', records, spec keys,
CLI, plots."""

from __future__ import annotations

import json
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import qheat
from qheat.backends.aer import AerBackend
from qheat.cli import main
from qheat.protocols.registry import expand, spec_from_dict
from qheat.protocols.reservoirs import PROTOCOL
from qheat.protocols.reservoirs.analysis import readout_factor

SPEC = {
    "protocol": "reservoirs",
    "name": "small",
    "methods": ["lindblad", "local", "redfield"],
    "system": {"frequencies": [1.0, 2.0], "coupling": "exchange", "strength": 0.5},
    "reservoirs": {"temperatures": [3.0, 1.0], "strengths": [0.05, 0.05], "coupling": "rwa"},
    "collisions": {"dt": 1.0, "shots": 300, "seed": 7, "window": 40.0},
}


@pytest.fixture(scope="module")
def measured():
    return qheat.run(SPEC, backend="aer").to_dict()


def test_aer_measures_each_collision_model_against_its_exact_value(measured):
    methods = measured["methods"]
    assert set(methods) == {"lindblad", "local"}  # Redfield has no collision counterpart ...
    assert "redfield" in measured["conventions"]["not_run"]  # ... and the result says so
    for data in methods.values():
        q, err = data["heat_current"]["A"], data["stderr"]["A"]
        assert err > 0
        assert abs(q - data["exact"]["circuit_expectation"]["A"]) < 5 * err
        assert data["records"] and data["records"][0]["counts"]  # raw counts kept for re-analysis


def test_aer_global_current_approaches_the_lindblad_current(measured):
    exact = qheat.run({k: v for k, v in SPEC.items() if k != "collisions"}).to_dict()["methods"]["lindblad"]
    data = measured["methods"]["lindblad"]
    # at dt = 1 the collision model is within ~1 % of the master equation (benchmarks/README.md) ...
    assert data["exact"]["heat_current"]["A"] == pytest.approx(exact["heat_current"]["A"], rel=0.02)
    # ... and the master-equation value carried in the result is qheat's own 'lindblad' one
    assert data["master_equation_currents"]["heat_current"]["A"] == pytest.approx(exact["heat_current"]["A"], rel=1e-9)


def test_aer_needs_collision_settings():
    with pytest.raises(qheat.QheatError, match=r"\[collisions\]"):
        qheat.run({k: v for k, v in SPEC.items() if k != "collisions"}, backend="aer")


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"dt": 0.0}, "dt"),
        ({"dt": 1.0, "shots": 1}, "shots"),
        ({"dt": 1.0, "seed": -1}, "seed"),
        ({"dt": 1.0, "rounds": 3}, "unknown key"),
    ],
)
def test_collision_settings_are_validated(bad, match):
    with pytest.raises(qheat.QheatError, match=match):
        spec_from_dict({**SPEC, "collisions": bad})


def test_sweep_points_on_aer_draw_from_their_own_streams():
    """Each point's sampler seeds come from spec.seed_sequence(collisions.seed), which hashes the point's
    key: three temperatures, three different streams (the old seed + i * 10**6 is gone)."""
    spec = spec_from_dict(
        {
            **SPEC,
            "methods": ["lindblad", "local"],
            "collisions": {**SPEC["collisions"], "window": 2.0},
            "sweep": {"parameter": "reservoirs.temperatures.0", "values": [2.0, 3.0, 4.0]},
        }
    )
    device = AerBackend("aer")
    seeds = []
    for point in expand(spec):
        first = next(PROTOCOL.batches(point, device))
        stream = np.random.default_rng(point.seed_sequence(7))
        assert first.seed == int(stream.integers(2**62))
        seeds.append(first.seed)
    assert len(set(seeds)) == 3 and all(abs(a - b) > 10**9 for a in seeds for b in seeds if a != b)


def test_a_sweep_on_aer_gives_each_point_its_own_shot_noise():
    """sweep.seeds repeats one configuration: same circuits and exact values, different counts."""
    spec = {
        **SPEC,
        "methods": ["local"],
        "collisions": {"dt": 1.0, "shots": 60, "seed": 7, "window": 5.0},
        "sweep": {"parameter": "reservoirs.temperatures.0", "values": [3.0], "seeds": 2},
    }
    result = qheat.run(spec, backend="aer").to_dict()
    a, b = (p["methods"]["local"] for p in result["points"])
    assert a["exact"] == b["exact"] and a["shot_free"] == b["shot_free"]  # deterministic: one Aer density matrix
    assert a["sampler_seed"] != b["sampler_seed"]
    assert a["records"][0]["counts"] != b["records"][0]["counts"]
    assert a["heat_current"] != b["heat_current"]
    for data in (a, b):
        assert abs(data["heat_current"]["A"] - data["exact"]["circuit_expectation"]["A"]) < 5 * data["stderr"]["A"]
    assert "summary" in result
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = PROTOCOL.figure([result])  # the currents at both points; no populations on circuits
    assert len(fig.axes[0].containers) == 1
    plt.close(fig)


def test_records_come_first_and_analyze_reproduces_the_result(tmp_path, capsys):
    path = tmp_path / "small.json"
    path.write_text(json.dumps({**SPEC, "collisions": {**SPEC["collisions"], "shots": 40, "window": 4.0}}))
    assert main(["run", str(path), "--backend", "aer", "--output", str(tmp_path / "d"), "-q"]) == 0
    out = tmp_path / "d" / "small.json"  # beside d/small.records.json, written first
    records = out.with_name("small.records.json")
    assert records.stat().st_mtime_ns <= out.stat().st_mtime_ns
    document = json.loads(records.read_text())
    assert document["kind"] == "qheat-records" and document["backend"] == "aer"
    kinds = {(r["metadata"]["method"], r["metadata"]["circuit"]) for r in document["records"]}
    assert kinds == {(m, c) for m in ("lindblad", "local") for c in ("sampled", "shot_free")}
    for r in document["records"]:
        if r["metadata"]["circuit"] == "sampled":
            assert sum(r["counts"].values()) == 40 and r["metadata"]["collisions"][0]["after_bits"]
        else:
            assert "z_after_0_0" in r["states"] and "rho_system" in r["states"]
    assert len(set(document["metadata"]["sampler_seeds"])) == 2 and document["metadata"]["readout_assignment"] is None
    result = json.loads(out.read_text())
    assert qheat.analyze(records).to_dict()["methods"] == result["methods"]
    other = tmp_path / "other.json"
    assert main(["analyze", str(records), "--output", str(other), "-q"]) == 0
    again = json.loads(other.read_text())
    assert {k: v for k, v in again.items() if k != "qheat_version"} == {
        k: v for k, v in result.items() if k != "qheat_version"
    }
    capsys.readouterr()


def test_noisy_nmr_device_runs_with_its_noise_beside_the_exact_values(tmp_path, capsys):
    """aer:nmr-depolarizing (4 qubits, gate noise, relaxation, readout error 0.005): the circuits (3 qubits) run
    compiled for it; the shot-free value of the same noisy circuit is what the counts estimate, and the
    noise shows: the global collisions conserve energy (q_A + q_B = 0 exactly), the noisy device does not."""
    path = tmp_path / "noisy.json"
    path.write_text(
        json.dumps(
            {**SPEC, "methods": ["lindblad"], "collisions": {**SPEC["collisions"], "shots": 100, "window": 10.0}}
        )
    )
    out = tmp_path / "noisy-result.json"
    assert main(["run", str(path), "--backend", "aer:nmr-depolarizing", "--output", str(out)]) == 0
    assert "heat current from A" in capsys.readouterr().out
    data = json.loads(out.read_text())["methods"]["lindblad"]
    assert data["backend"] == "aer:nmr-depolarizing"
    records = json.loads(out.with_name("noisy-result.records.json").read_text())["records"]
    assert {r["metadata"]["two_qubit_gates_compiled"] for r in records} == {data["two_qubit_gates_compiled"]}
    free, ideal = data["shot_free"], data["exact"]["circuit_expectation"]
    assert free["readout_factor"] == pytest.approx(1 - 2 * 0.005)
    for j in ("A", "B"):
        assert abs(data["heat_current"][j] - free["heat_current"][j]) < 4 * data["stderr"][j]
        assert free["heat_current"][j] == pytest.approx(ideal[j], rel=0.5)  # noisy, yet the same physics
    assert abs(ideal["A"] + ideal["B"]) < 1e-6
    assert abs(free["total"]) > 0.1 * abs(ideal["A"])  # measured 0.51 |q_A|
    assert main(["plot", str(out), "--output", str(tmp_path / "noisy.png"), "-q"]) == 0


def test_readout_factor_is_what_flipped_bits_do_to_a_two_point_difference():
    """Enumerate every flip of the two bits of a (before, after) pair with an asymmetric assignment matrix."""
    a = np.array([[0.97, 0.05], [0.03, 0.95]])  # a[measured, true]
    true = {(0, 0): 0.5, (0, 1): 0.2, (1, 0): 0.1, (1, 1): 0.2}
    exact_change = sum(p * (after - before) for (before, after), p in true.items())
    measured = sum(
        p * a[mb, before] * a[ma, after] * (ma - mb)
        for (before, after), p in true.items()
        for mb in (0, 1)
        for ma in (0, 1)
    )
    assert measured == pytest.approx(readout_factor(a.tolist()) * exact_change, abs=1e-15)
    assert readout_factor(None) == 1.0


def test_spec_with_collisions_round_trips():
    spec = spec_from_dict(SPEC)
    assert spec_from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_cli_runs_and_plots_both_backends(tmp_path, capsys):
    path = tmp_path / "small.json"
    path.write_text(json.dumps({**SPEC, "collisions": {**SPEC["collisions"], "shots": 50, "window": 5.0}}))
    for backend in ("exact", "aer"):
        out = tmp_path / f"{backend}.json"
        assert main(["run", str(path), "--backend", backend, "--output", str(out)]) == 0
        assert "heat current from A" in capsys.readouterr().out
        assert main(["plot", str(out), "--output", str(tmp_path / f"{backend}.png"), "-q"]) == 0
        assert (tmp_path / f"{backend}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Runtime devices: fake: runs (tests/runtime/test_protocol_devices.py); ibm: without an account is one line
    env = {k: os.environ.pop(k) for k in list(os.environ) if k in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_ACCOUNT_FILE")}
    os.environ["QISKIT_IBM_ACCOUNT_FILE"] = str(tmp_path / "none.json")
    try:
        assert main(["run", str(path), "--backend", "ibm:ibm_torino", "--output", str(tmp_path / "x.json")]) == 2
    finally:
        del os.environ["QISKIT_IBM_ACCOUNT_FILE"]
        os.environ.update(env)
    err = capsys.readouterr().err
    assert "no IBM Quantum account" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_sweep_result_plots(tmp_path):
    out = tmp_path / "f4.json"
    assert main(["run", "fogedby-fig4", "--output", str(out), "-q"]) == 0
    assert main(["plot", str(out), "--output", str(tmp_path / "f4.png"), "-q"]) == 0


def _zhang(gamma_a: float, gamma_b: float, temps=(5.0, 5.0), lamb=True) -> dict:
    return {
        "protocol": "reservoirs",
        "methods": ["redfield", "lindblad"],
        "lamb_shift": lamb,
        "system": {"frequencies": [5.0, 4.0], "coupling": "xx", "strength": 0.5},
        "reservoirs": {
            "temperatures": list(temps),
            "strengths": [gamma_a, gamma_b],
            "spectral_density": "ohmic-drude",
            "cutoff": 50.0,
            "coupling": "sigma_x",
        },
    }


def test_lamb_shift_current_at_equal_temperatures_is_second_order_as_documented():
    """With the Lamb shift, Bloch-Redfield is consistent only to first order in the coupling: the
    current at T_A = T_B is O(gamma^2) (the secular 'lindblad' one stays 0), as the result says."""
    small, large = (qheat.run(_zhang(g, 2 * g)).to_dict() for g in (0.0025, 0.005))
    q_small, q_large = (r["methods"]["redfield"]["heat_current"]["A"] for r in (small, large))
    assert q_large / q_small == pytest.approx(4.0, rel=0.05)
    assert abs(large["methods"]["lindblad"]["heat_current"]["A"]) < 1e-12
    assert "second order" in large["conventions"]["lamb_shift"]
    off = qheat.run(_zhang(0.005, 0.01, lamb=False)).to_dict()
    assert abs(off["methods"]["redfield"]["heat_current"]["A"]) < 1e-12
    assert off["conventions"]["lamb_shift"].startswith("not included")


@pytest.mark.parametrize(
    "change, match",
    [
        ({"reservoirs": {"temperatures": [3.0, 1.0], "strengths": [0.0, 0.0]}}, "both 0"),
        (
            {
                "system": {"frequencies": [1.0, 2.0], "coupling": "exchange", "strength": 0.0},
                "reservoirs": {"temperatures": [3.0, 1.0], "strengths": [0.1, 0.0]},
            },
            "unique steady state",
        ),
        ({"reservoirs": {"temperatures": [1e300, 1.0], "strengths": [0.1, 0.1]}}, "cannot be solved"),
    ],
)
def test_unsolvable_reservoir_specs_are_refused(change, match):
    base = {k: v for k, v in SPEC.items() if k != "collisions"}
    with pytest.raises(qheat.QheatError, match=match):
        qheat.run({**base, **change})


def test_aer_refuses_angles_beyond_a_quarter_turn_and_the_lamb_shift():
    with pytest.raises(qheat.QheatError, match="smaller dt"):
        qheat.run({**SPEC, "collisions": {"dt": 1e6}}, backend="aer")
    with pytest.raises(qheat.QheatError, match="Lamb shift"):
        qheat.run({**_zhang(0.01, 0.01), "collisions": {"dt": 0.5}}, backend="aer")
    sweep = {"parameter": "collisions.dt", "values": [1.0, 1e6]}  # every point checked before any work
    with pytest.raises(qheat.QheatError, match=r"^sweep point collisions.dt=1000000.0: .*smaller dt"):
        qheat.run({**SPEC, "sweep": sweep}, backend="aer")
