"""A reprepare run that crashes resumes after its last finished run: nothing measured is lost, nothing
finished is measured again, and the records equal those of a run that never crashed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import qheat
from qheat.cli import main
from qheat.protocols import cascade_circuits
from qheat.results import jsonable


def _spec_data() -> dict:
    data = qheat.load_spec("fig3-reversed").to_dict()
    data["interaction"]["collisions"] = 3
    data["execution"] = {"mode": "reprepare"}
    data["measurement"] = {"shots": 300, "every": 3, "bootstrap": 5, "seed": 11}
    return data


class Crash(RuntimeError):
    pass


def _crash_on(monkeypatch, call: int) -> list[int]:
    """Make the ``call``-th ``_Runner.measure`` raise (0: never); returns the call log."""
    calls: list[int] = []
    real = cascade_circuits._Runner.measure

    def measure(self, preps, start, stop, records):
        calls.append(stop)
        if len(calls) == call:
            raise Crash(f"killed while measuring up to step {stop}")
        return real(self, preps, start, stop, records)

    monkeypatch.setattr(cascade_circuits._Runner, "measure", measure)
    return calls


def _plain(doc: dict) -> list:
    return json.loads(json.dumps(jsonable(doc)))


def test_collect_resumes_after_the_last_finished_run(tmp_path, monkeypatch):
    spec = qheat.spec_from_dict(_spec_data())
    whole = cascade_circuits.collect(spec, "aer")
    checkpoint = tmp_path / "partial.json"
    calls = _crash_on(monkeypatch, 4)            # step 0, runs 1 and 2 finish; run 3 crashes
    with pytest.raises(Crash):
        cascade_circuits.collect(spec, "aer", checkpoint=checkpoint)
    assert json.loads(checkpoint.read_text())["completed_run"] == 2 and calls == [0, 3, 6, 9]
    calls = _crash_on(monkeypatch, 0)
    resumed = cascade_circuits.collect(spec, "aer", checkpoint=checkpoint)
    assert calls == [9]                           # only the run that crashed is measured again
    for key in ("records", "runs", "reference_states"):
        assert _plain(resumed[key]) == _plain(whole[key])


def test_cli_run_resumes_and_refuses_a_foreign_partial_run(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_spec_data()))
    out = tmp_path / "out"
    args = ["run", str(spec), "--backend", "aer", "--output", str(out), "-q"]
    _crash_on(monkeypatch, 3)
    with pytest.raises(Crash):
        main(args)
    partial = out / "fig3-reversed.records.partial.json"
    assert partial.exists() and not (out / "fig3-reversed.records.json").exists()
    calls = _crash_on(monkeypatch, 0)
    assert main(args) == 0
    assert calls == [6, 9] and not partial.exists()
    records = json.loads((out / "fig3-reversed.records.json").read_text())
    assert [r["metadata"].get("run", 0) for r in records["records"]].count(3) > 0

    fresh = tmp_path / "fresh"                  # a partial run of another spec where this one would go
    fresh.mkdir()
    (fresh / "fig3-reversed.records.partial.json").write_text(
        json.dumps({"kind": cascade_circuits.CHECKPOINT_KIND, "spec_key": "someone else's"}))
    args[args.index(str(out))] = str(fresh)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "partial run of another spec" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
