"""The engine for every protocol: a new protocol plugs in with one registry line, sweeps run on circuit
backends as independent points with their own files, --jobs and a Dask cluster give the numbers of a serial
run, a killed sweep re-runs only its missing points, and no run loses another's data."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import qheat
from qheat import engine
from qheat.cli import main
from qheat.protocols import registry

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def toy(monkeypatch):
    """Register the example protocol of ``toy_protocol.py``: one line in the registry."""
    monkeypatch.setitem(registry.PACKAGES, "toy", "toy_protocol")
    registry._load.cache_clear()
    yield
    registry._load.cache_clear()


TOY = {"protocol": "toy", "name": "toy", "rotation": {"theta": 1.0, "shots": 4000}}


def test_a_new_protocol_runs_exact_aer_sweeps_and_analyze(toy, tmp_path):
    exact = qheat.run(TOY, "exact").data["p1"]
    assert exact == pytest.approx(math.sin(0.5) ** 2, abs=1e-15)
    out = tmp_path / "toy.json"
    result = qheat.run(TOY, "aer", output=out).data
    assert abs(result["p1"] - exact) < 4 * result["p1_stderr"]  # a binomial estimate of sin^2(theta/2)
    records = json.loads((tmp_path / "toy.records.json").read_text())
    assert records["kind"] == "qheat-records" and records["records"][0]["metadata"] == {"theta": 1.0}
    assert qheat.analyze(tmp_path / "toy.records.json").to_dict() == json.loads(out.read_text())
    sweep = {**TOY, "sweep": {"parameter": "rotation.theta", "values": [0.0, math.pi]}}
    points = qheat.run(sweep, "aer").data["points"]
    assert [p["p1"] for p in points] == [0.0, 1.0]


def test_sweep_grid_and_seeds_expand_every_combination():
    data = qheat.load_spec("fig3-reversed").to_dict()
    data["sweep"] = {
        "parameter": "system.coherence.0.strength",
        "values": [0.1, 0.2],
        "grid": [{"parameter": "system.coherence.0.phase", "values": [0.0, 1.0, 2.0]}],
        "seeds": 2,
    }
    spec = qheat.spec_from_dict(data)
    points = registry.expand(spec)
    assert len(points) == 12 and len({p.key() for p in points}) == 12
    combos = {(p.system.coherence[0].strength, p.system.coherence[0].phase) for p in points}
    assert combos == {(s, f) for s in (0.1, 0.2) for f in (0.0, 1.0, 2.0)}
    assert qheat.spec_from_dict(spec.to_dict()) == spec
    with pytest.raises(qheat.QheatError, match="shot noise"):
        qheat.run(spec, "exact")


def _small_sweep() -> dict:
    data = qheat.load_spec("fig3-reversed").to_dict()
    data["name"] = "small-sweep"
    data["interaction"]["collisions"] = 2
    data["measurement"] = {"shots": 200, "bootstrap": 4}
    data["sweep"] = {"parameter": "system.coherence.0.strength", "values": [-0.5, 0.0, 0.5]}
    return data


def _numbers(result: dict) -> dict:
    """A result without its wall-clock timings (the only thing a worker may change)."""
    if isinstance(result, dict):
        return {k: _numbers(v) for k, v in result.items() if k not in ("records_seconds", "seconds")}
    if isinstance(result, list):
        return [_numbers(v) for v in result]
    return result


def test_cascade_sweep_on_aer_is_identical_serially_in_processes_and_on_dask(tmp_path):
    spec = qheat.spec_from_dict(_small_sweep())
    serial = _numbers(qheat.run(spec, "aer").to_dict())
    assert len({json.dumps(p["subsystems"][0]["energy"]) for p in serial["points"]}) == 3
    parallel = _numbers(qheat.run(spec, "aer", jobs=2).to_dict())
    assert parallel == serial
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = _numbers(
            qheat.run(spec, "aer", scheduler=cluster.scheduler_address, output=tmp_path / "s.json").to_dict()
        )
    assert on_dask == serial
    sweep_records = tmp_path / "s.records.json"  # every point's records beside the sweep's result
    assert qheat.analyze(sweep_records).to_dict() == json.loads((tmp_path / "s.json").read_text())
    assert sorted(p.name for p in (tmp_path / "s.points").iterdir() if not p.name.startswith(".")) == [
        f"000{i}.{kind}json" for i in range(3) for kind in ("", "records.")
    ]


def test_a_killed_sweep_reruns_only_its_missing_points(tmp_path, monkeypatch):
    spec = qheat.spec_from_dict(_small_sweep())
    out = tmp_path / "sweep.json"
    real = engine.collect
    done: list[str] = []

    def dies_on_the_third(spec, backend, **kw):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(spec.key())
        return real(spec, backend, **kw)

    monkeypatch.setattr(engine, "collect", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        qheat.run(spec, "aer", output=out)
    assert not out.exists() and len(list((tmp_path / "sweep.points").glob("*[0-9].json"))) == 2
    again: list[str] = []
    monkeypatch.setattr(
        engine, "collect", lambda spec, backend, **kw: again.append(spec.key()) or real(spec, backend, **kw)
    )
    resumed = qheat.run(spec, "aer", output=out).to_dict()
    assert len(again) == 1 and again[0] not in done
    monkeypatch.setattr(engine, "collect", real)
    assert _numbers(resumed) == _numbers(qheat.run(spec, "aer").to_dict())


def test_another_specs_checkpoint_is_never_deleted(tmp_path, capsys):
    """A reset-mode run into a folder holding another spec's reprepare checkpoint refuses (it used to delete it)."""
    data = qheat.load_spec("fig3-reversed").to_dict()
    data["interaction"]["collisions"] = 2
    data["measurement"] = {"shots": 100, "bootstrap": 0}
    other = dict(data, execution={"mode": "reprepare"})
    partial = tmp_path / "fig3-reversed.records.partial.json"
    doc = {
        "kind": "qheat-checkpoint",
        "schema": 2,
        "spec": qheat.spec_from_dict(other).to_dict(),
        "backend": "aer",
        "records": [],
        "state": {"completed_run": 1},
    }
    partial.write_text(json.dumps(doc))
    spec = tmp_path / "reset.json"
    spec.write_text(json.dumps(data))
    assert main(["run", str(spec), "--backend", "aer", "--output", str(tmp_path), "-q"]) == 2
    assert "partial run of another spec" in capsys.readouterr().err
    assert json.loads(partial.read_text()) == doc


def test_two_runs_at_once_into_one_file_never_both_write(tmp_path):
    """Two different specs started at the same moment into one --output: one writes, the other refuses in one
    line (it used to exit 0 and lose one result). Repeated, with real concurrent processes."""
    import subprocess

    specs = []
    for i, strength in enumerate((0.1, 0.2)):
        data = qheat.load_spec("fig3-reversed").to_dict()
        data["system"]["coherence"][0]["strength"] = strength
        data["interaction"]["collisions"] = 30
        path = tmp_path / f"spec{i}.json"
        path.write_text(json.dumps(data))
        specs.append(path)
    for attempt in range(3):
        out = tmp_path / f"out{attempt}.json"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "qheat.cli", "run", str(s), "--output", str(out), "-q"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for s in specs
        ]
        codes = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        assert sorted(c for c, _ in codes) == [0, 2], codes
        err = next(e for c, e in codes if c == 2)
        assert len(err.strip().splitlines()) == 1 and ("another qheat run" in err or "another spec" in err)
        winner = specs[[c for c, _ in codes].index(0)]
        assert json.loads(out.read_text())["spec"]["system"] == json.loads(winner.read_text())["system"]
        assert not list(tmp_path.glob(".*.lock"))


def test_damaged_records_are_refused_in_one_line(toy, tmp_path, capsys):
    out = tmp_path / "toy.json"
    qheat.run(TOY, "aer", output=out)
    records = tmp_path / "toy.records.json"
    good = json.loads(records.read_text())
    for damage in ({"counts": {"1": -3}}, {"counts": {"1": "x"}}, {"metadata": None}, {}):
        bad = json.loads(json.dumps(good))
        bad["records"][0] = {**bad["records"][0], **damage} if damage else {"metadata": {}}
        records.write_text(json.dumps(bad))
        assert main(["analyze", str(records), "--output", str(tmp_path / "again.json"), "-q"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_sweep_never_replaces_another_specs_records(tmp_path, capsys):
    single = _small_sweep()
    single.pop("sweep")
    single["name"] = "victim"
    sweep = dict(_small_sweep(), name="victim")
    (tmp_path / "single.json").write_text(json.dumps(single))
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    out = tmp_path / "d"
    assert main(["run", str(tmp_path / "single.json"), "--backend", "aer", "--output", str(out), "-q"]) == 0
    records = out / "victim.records.json"
    before = records.read_bytes()
    (out / "victim.json").unlink()  # as after a crash between records and result
    assert main(["run", str(tmp_path / "sweep.json"), "--backend", "aer", "--output", str(out), "-q"]) == 2
    assert "records of another spec" in capsys.readouterr().err
    assert records.read_bytes() == before and not (out / "victim.points").exists()
