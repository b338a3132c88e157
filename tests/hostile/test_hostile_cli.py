"""Issue 16's hostile inputs, one test each: refused in one line with exit code 2 before any expensive work.

Each case was reproduced on main before the fix (a traceback, a hang or a misleading answer); the cases
run in-process through ``qheat.cli.main`` so that each takes the time of its check, not of an import.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from qheat.cli import main

DATA = Path(__file__).parents[1] / "data"
CASCADE = {
    "protocol": "cascade",
    "system": {"temperatures": [1.0, 1.0, 1.0]},
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 2},
}
RESERVOIRS = {
    "protocol": "reservoirs",
    "system": {"frequencies": [1.0]},
    "reservoirs": {"temperatures": [1.0, 0.5], "strengths": [0.01, 0.01]},
    "collisions": {"dt": 0.25},
}


def one_line(capsys, *args: str) -> str:
    """Run the CLI; assert exit 2 and one 'qheat: error:' line on stderr (times: benchmarks/bench_costs.py)."""
    capsys.readouterr()
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qheat: error:"), err
    return lines[0]


def write(tmp_path: Path, name: str, data: dict | str) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def run_args(tmp_path: Path, spec: str, *extra: str) -> list[str]:
    return ["run", spec, "--output", str(tmp_path / "out.json"), *extra]


# ----------------------------------------------------------------------------- sizes and costs


@pytest.mark.parametrize("n", [13, 14, 30])
def test_too_many_subsystems_refused_before_any_state(tmp_path, capsys, monkeypatch, n):
    import qheat.protocols.cascade.positivity as positivity

    def no_state(*args):
        raise AssertionError("the positivity check ran before the size limit")

    monkeypatch.setattr(positivity, "check_positive", no_state)
    spec = write(
        tmp_path,
        "big.json",
        {**CASCADE, "system": {"temperatures": [1.0] * n, "coherence": [{"pair": [1, 2], "strength": 0.3}]}},
    )
    line = one_line(capsys, *run_args(tmp_path, spec))
    assert f"lists {n} subsystems" in line and "at most 12" in line


def test_a_million_collisions_refused_with_the_estimate_and_the_override(tmp_path, capsys):
    spec = write(tmp_path, "long.json", {**CASCADE, "interaction": {"g": 20.0, "tau": 0.01, "collisions": 1000000}})
    line = one_line(
        capsys,
        *run_args(tmp_path, spec),
    )
    assert "time ~" in line and "estimated" in line and "--allow-large" in line and "[limits]" in line


def test_a_limits_table_raises_the_limit_and_a_low_one_refuses(tmp_path, capsys):
    low = write(tmp_path, "low.json", {**CASCADE, "limits": {"seconds": 1e-6}})
    assert "seconds = 1e-06" in one_line(capsys, *run_args(tmp_path, low))
    bad = write(tmp_path, "bad.json", {**CASCADE, "limits": {"hours": 1}})
    assert "unknown key 'hours' in [limits]" in one_line(capsys, *run_args(tmp_path, bad))


def test_phase_diagram_of_a_thousand_maps_refused_for_its_memory(tmp_path, capsys):
    spec = write(
        tmp_path,
        "pd.json",
        {"protocol": "heat-transfer", "phase_diagram": {"points": 2001, "a": [0.1 + 0.01 * i for i in range(1000)]}},
    )
    line = one_line(capsys, *run_args(tmp_path, spec))
    assert "memory" in line and "GiB" in line and "1000 maps of 2001 x 2001 points" in line


def test_heat_transfer_of_eight_qubits_at_1e5_times_refused_for_its_memory(tmp_path, capsys):
    qubits = [{"label": f"A{i}", "system": "A", "frequency": 1.0, "temperature": 1.0} for i in range(7)]
    qubits.append({"label": "B", "system": "B", "frequency": 1.0, "temperature": 0.5})
    spec = write(
        tmp_path,
        "ht.json",
        {
            "protocol": "heat-transfer",
            "qubits": qubits,
            "interaction": [{"ops": {"A0": "+", "B": "-"}, "coefficient": 0.01, "hermitian_conjugate": True}],
            "evolution": {"t_max": 10.0, "points": 100000},
        },
    )
    line = one_line(capsys, *run_args(tmp_path, spec))
    assert "100000 density matrices of 8 qubits" in line and "GiB" in line


@pytest.mark.parametrize(
    "shots, expect", [(10**8, "more than 10000000"), (10**12, "more than 10000000"), (1e8, "without a decimal point")]
)
def test_reservoir_shots_have_an_upper_limit(tmp_path, capsys, shots, expect):
    spec = write(tmp_path, "res.json", {**RESERVOIRS, "collisions": {"dt": 0.25, "shots": shots}})
    assert expect in one_line(capsys, *run_args(tmp_path, spec, "--backend", "aer"))


def test_long_reservoir_circuits_refused_up_front(tmp_path, capsys):
    # 10^7 shots through 2 x 3178 rounds of two collisions each: days of Aer
    spec = write(tmp_path, "res.json", {**RESERVOIRS, "collisions": {"dt": 0.25, "shots": 10**7}})
    assert "time ~" in one_line(capsys, *run_args(tmp_path, spec, "--backend", "aer"))


def test_heat_pump_with_1e7_shots_refused_up_front(tmp_path, capsys):
    data = json.loads(json.dumps(__import__("qheat").load_spec("holdsworth-pump").to_dict()))
    data["circuits"]["shots"] = 10**7
    spec = write(tmp_path, "pump.json", data)
    assert "estimated" in one_line(capsys, *run_args(tmp_path, spec, "--backend", "aer"))


# ----------------------------------------------------------------------------- numbers


def test_whole_number_float_refused_where_an_integer_is_meant(tmp_path, capsys):
    spec = write(tmp_path, "pd.json", {"protocol": "heat-transfer", "phase_diagram": {"a": [1.0], "check_points": 1e9}})
    assert "phase_diagram.check_points must be a whole number written without" in one_line(
        capsys, *run_args(tmp_path, spec)
    )
    spec = write(
        tmp_path, "pd2.json", {"protocol": "heat-transfer", "phase_diagram": {"a": [1.0], "check_points": 10**9}}
    )
    assert "more than 10000" in one_line(capsys, *run_args(tmp_path, spec))


def test_a_sweep_over_an_integer_field_still_gives_integers():
    from qheat.protocols.registry import expand, spec_from_dict

    spec = spec_from_dict({**CASCADE, "sweep": {"parameter": "interaction.collisions", "values": [1, 3]}})
    assert [p.interaction.collisions for p in expand(spec)] == [1, 3]


@pytest.mark.parametrize(
    "protocol, g, tau, expect",
    [
        ("simultaneous", 1e10, 1.0, "beyond 1e+08 rad"),  # 'Input matrix is not unitary' before
        ("simultaneous", 1e300, 1e-300, "overflows double precision"),
        ("cascade", 1e200, 1e-190, "beyond 1e+08 rad"),  # null initial heat currents, exit 0 before
        ("cascade", 1e308, 1e308, "finite"),
    ],
)
def test_partial_swap_angles_and_rates_beyond_double_precision(tmp_path, capsys, protocol, g, tau, expect):
    spec = write(
        tmp_path, "g.json", {**CASCADE, "protocol": protocol, "interaction": {"g": g, "tau": tau, "collisions": 2}}
    )
    assert expect in one_line(capsys, *run_args(tmp_path, spec))


def test_heat_transfer_coefficient_1e300(tmp_path, capsys):
    data = __import__("qheat").load_spec("ma-fig1b").to_dict()
    data["interaction"][0]["coefficient"] = 1e300  # OverflowError traceback before
    spec = write(tmp_path, "ht.json", data)
    assert "largest phase of e^{-iHt}" in one_line(capsys, *run_args(tmp_path, spec))


def test_an_overflow_inside_a_run_is_one_line(tmp_path, capsys, monkeypatch):
    from qheat.protocols.registry import protocol

    def overflow(spec):
        return 10.0**400

    monkeypatch.setattr(type(protocol("cascade")), "exact", lambda self, spec: {"x": overflow(spec)})
    spec = write(tmp_path, "c.json", CASCADE)
    assert "overflowed double precision" in one_line(capsys, *run_args(tmp_path, spec))


def test_nan_never_leaves_a_run_silently(tmp_path, capsys, monkeypatch):
    from qheat.protocols.registry import protocol

    monkeypatch.setattr(
        type(protocol("cascade")), "exact", lambda self, spec: {"subsystems": [{"initial_heat_current": float("nan")}]}
    )
    spec = write(tmp_path, "c.json", CASCADE)
    line = one_line(capsys, *run_args(tmp_path, spec))
    assert "NaN or infinity at subsystems[0].initial_heat_current" in line
    assert not (tmp_path / "out.json").exists()


def test_a_noted_null_is_accepted():
    import numpy as np

    from qheat.core.records import unexplained_nonfinite

    assert unexplained_nonfinite({"a": [1.0, np.nan], "a_note": "why"}) is None
    assert unexplained_nonfinite({"a_stderr": np.array([np.nan]), "a_note": "why"}) is None
    assert unexplained_nonfinite({"b": {"c": [0.0, np.inf]}}) == "b.c[1]"
    assert unexplained_nonfinite({"b": [{"c": 1.0}, {"c": float("nan")}]}) == "b[1].c"


# ----------------------------------------------------------------------------- files and text


def test_nesting_and_huge_integers_in_spec_files(tmp_path, capsys):
    toml = write(tmp_path, "n.toml", 'protocol = "cascade"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")
    assert "nests" in one_line(capsys, *run_args(tmp_path, toml))
    js = write(tmp_path, "n.json", '{"protocol": "cascade", "x": ' + "[" * 100000 + "]" * 100000 + "}")
    assert "nests" in one_line(capsys, *run_args(tmp_path, js))
    deep: list = []
    for _ in range(40):  # 40 levels: JSON reads it, the spec refuses it before str() or deepcopy recurse
        deep = [deep]
    shallow = write(tmp_path, "s.json", json.dumps({**CASCADE, "description": deep}))
    assert "nests" in one_line(capsys, *run_args(tmp_path, shallow))
    big = write(tmp_path, "i.json", '{"protocol": "cascade", "system": {"temperatures": [' + "1" * 5000 + "]}}")
    assert "4300 digits" in one_line(capsys, *run_args(tmp_path, big))
    big_toml = write(tmp_path, "i.toml", 'protocol = "cascade"\n[system]\ntemperatures = [' + "1" * 5000 + "]\n")
    assert "malformed TOML" in one_line(capsys, *run_args(tmp_path, big_toml))


@pytest.mark.parametrize("name", ["a\u0000b", "a\u001b[31mb", "line\nbreak"])
def test_control_characters_in_a_name(tmp_path, capsys, name):
    spec = write(tmp_path, "c.json", {**CASCADE, "name": name})
    assert "control character" in one_line(capsys, "run", spec)  # no --output: the name would name the file


def test_a_directory_or_fifo_given_as_a_spec(tmp_path, capsys):
    (tmp_path / "d.toml").mkdir()
    assert "is a directory" in one_line(capsys, "run", str(tmp_path / "d.toml"))
    os.mkfifo(tmp_path / "f.toml")
    assert "not a regular file" in one_line(capsys, "run", str(tmp_path / "f.toml"))  # returns: it was never opened


# ----------------------------------------------------------------------------- records and manifests


@pytest.mark.parametrize("damage", ["big-count", "metadata-null", "metadata-list", "count-float"])
def test_analyze_of_damaged_records(tmp_path, capsys, damage):
    doc = json.loads((DATA / "golden-heat-transfer.records.json").read_text())
    record = next(r for r in doc["records"] if "counts" in r)
    key = next(iter(record["counts"]))
    if damage == "big-count":
        record["counts"][key] = 10**30
    elif damage == "count-float":
        record["counts"][key] = 1e3
    elif damage == "metadata-null":
        doc["metadata"] = None
    else:
        doc["metadata"] = [1, 2]
    path = write(tmp_path, "x.records.json", doc)
    one_line(capsys, "analyze", path, "--output", str(tmp_path / "r.json"))


def _manifest(tmp_path: Path, job_ids: list) -> Path:
    spec = __import__("qheat").load_spec("fig10").to_dict()
    manifest = {
        "kind": "qheat-manifest",
        "format": 1,
        "id": "m1",
        "spec": spec,
        "backend": "fake:manila",
        "store": "local",
        "layout": {},
        "options": {"seed": 1},
        "circuits_file": "x.circuits.qpy",
        "circuits_sha256": "0" * 64,
        "jobs": [
            {"index": i, "job_id": j, "tag": f"t{i}", "state": "submitted", "pubs": []} for i, j in enumerate(job_ids)
        ],
    }
    path = tmp_path / "x.manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def test_status_of_a_manifest_whose_job_id_is_a_number(tmp_path, capsys):
    path = _manifest(tmp_path, [12345, None])
    assert "job id 12345" in one_line(capsys, "status", str(path))
    assert "job id 12345" in one_line(capsys, "fetch", str(path))


@pytest.mark.parametrize("damage", ["deleted", "truncated", "swapped"])
def test_fetch_when_the_local_job_files_are_damaged(tmp_path, capsys, damage):
    path = _manifest(tmp_path, ["job-a", "job-b"])
    store = tmp_path / "x.local-jobs"
    store.mkdir()
    good = {"job_id": "job-a", "tag": "t0", "status": "DONE", "counts": [{"0": 1}]}
    (store / "job-a.json").write_text(json.dumps(good))
    if damage == "truncated":
        (store / "job-b.json").write_text(json.dumps({**good, "job_id": "job-b"})[:20])
    elif damage == "swapped":
        (store / "job-b.json").write_text(json.dumps(good))  # job a's file under job b's name
    line = one_line(capsys, "fetch", str(path))
    assert "job 1" in line and "never finishes later" in line and "--force" in line
    assert {"deleted": "no stored result", "truncated": "corrupted", "swapped": "is not the job"}[damage] in line
    assert "never finishes later" in one_line(capsys, "status", str(path))


def test_library_warnings_never_add_lines_to_an_error(tmp_path, capsys, monkeypatch):
    import qheat.submission

    def noisy(*args, **kwargs):
        logging.getLogger("qiskit_ibm_runtime").warning("Default instance not set. Searching all instances.")
        raise qheat.QheatError("cannot open the IBM Quantum account (IBMNotAuthorizedError)")

    monkeypatch.setattr(qheat.submission, "status", noisy)
    assert "cannot open" in one_line(capsys, "status", str(tmp_path / "m.manifest.json"))


@pytest.mark.parametrize("golden", ["golden-cascade", "golden-cascade-reprepare"])
def test_every_null_apparent_temperature_of_aer_records_has_a_note(golden):
    """Eq. (49) is undefined where (P0 + C)/(P1 + C) is not positive or is 1: the Aer result says so, as exact."""
    import qheat
    from qheat.core.records import jsonable

    data = jsonable(qheat.analyze(DATA / f"{golden}.records.json").to_dict())
    tables = [*data["subsystems"], data["system"]]
    nulls = [t for t in tables if None in t["apparent_temperature"]]
    assert nulls, "the golden records have an undefined apparent temperature somewhere"
    for table in tables:
        has_null = None in table["apparent_temperature"]
        assert has_null == ("apparent_temperature_note" in table)
        if has_null:
            first = table["apparent_temperature"].index(None)
            assert f"first at step {data['steps'][first]}" in table["apparent_temperature_note"]


def test_submit_passes_the_cost_guard_before_any_circuit(tmp_path, capsys):
    """qheat submit refuses, like qheat run, work beyond the limits before a circuit is built or a job sent."""
    from qheat.cli import main

    code = main(["submit", "fig3-zero", "--backend", "fake:torino", "--shots", "9000000", "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "--allow-large" in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # no manifest, no QPY
