"""A reprepare run that crashes resumes after its last finished run: nothing measured is lost, nothing
finished is measured again, and the records equal those of a run that never crashed."""

from __future__ import annotations

import json

import pytest

import qheat
from qheat import engine as qengine
from qheat.cli import main
from qheat.core.records import CHECKPOINT_KIND, jsonable
from qheat.protocols.cascade import collect as cascade_collect


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
    real = cascade_collect._Runner.measure

    def measure(self, preps, start, stop, records):  # a generator, as the real one
        calls.append(stop)
        if len(calls) == call:
            raise Crash(f"killed while measuring up to step {stop}")
        return (yield from real(self, preps, start, stop, records))

    monkeypatch.setattr(cascade_collect._Runner, "measure", measure)
    return calls


def _plain(doc: dict) -> list:
    return json.loads(json.dumps(jsonable(doc)))


@pytest.mark.parametrize("engine", ["snapshots", "circuits"])
def test_collect_resumes_after_the_last_finished_run(tmp_path, monkeypatch, engine):
    data = _spec_data()
    data["execution"]["engine"] = engine
    spec = qheat.spec_from_dict(data)
    whole = qengine.collect(spec, "aer")
    checkpoint = tmp_path / "partial.json"
    calls = _crash_on(monkeypatch, 4)  # step 0, runs 1 and 2 finish; run 3 crashes
    with pytest.raises(Crash):
        qengine.collect(spec, "aer", checkpoint=checkpoint)
    assert json.loads(checkpoint.read_text())["state"]["completed_run"] == 2 and calls == [0, 3, 6, 9]
    calls = _crash_on(monkeypatch, 0)
    resumed = qengine.collect(spec, "aer", checkpoint=checkpoint)
    assert calls == [9]  # only the run that crashed is measured again
    for key in ("records", "runs", "reference_states"):
        assert _plain(resumed[key]) == _plain(whole[key])


def test_fake_device_run_resumes_on_its_qubits_with_its_calibration(tmp_path, monkeypatch):
    """fake:manila (a line: the bath moves), readout mitigation: the resumed run keeps the layout of the
    checkpoint and the calibration records of the finished runs, and equals an uninterrupted run."""
    data = _spec_data()
    data["interaction"]["collisions"] = 2
    data["mitigation"] = {"readout": True}
    spec = qheat.spec_from_dict(data)
    whole = qengine.collect(spec, "fake:manila")
    checkpoint = tmp_path / "partial.json"
    _crash_on(monkeypatch, 3)
    with pytest.raises(Crash):
        qengine.collect(spec, "fake:manila", checkpoint=checkpoint)
    doc = json.loads(checkpoint.read_text())
    saved = doc["state"]
    assert saved["completed_run"] == 1 and len(saved["calibration"]) > 0
    saved["layout"] = list(reversed(saved["layout"]))  # the qubits come from the checkpoint, not a new search
    checkpoint.write_text(json.dumps(doc))
    _crash_on(monkeypatch, 0)
    moved = qengine.collect(spec, "fake:manila", checkpoint=checkpoint)
    assert moved["metadata"]["layout"]["physical_qubits"] == saved["layout"]
    saved["layout"] = whole["metadata"]["layout"]["physical_qubits"]
    checkpoint.write_text(json.dumps(doc))
    resumed = qengine.collect(spec, "fake:manila", checkpoint=checkpoint)
    for key in ("records", "calibration", "runs"):
        assert _plain(resumed[key]) == _plain(whole[key])


def test_checkpoint_of_other_settings_or_damaged_is_refused(tmp_path, monkeypatch):
    """A checkpoint is resumed only by the very same spec (shots, seed, every, mitigation...), and a
    damaged one is refused in one line instead of a traceback."""
    spec = qheat.spec_from_dict(_spec_data())
    checkpoint = tmp_path / "partial.json"
    _crash_on(monkeypatch, 3)
    with pytest.raises(Crash):
        qengine.collect(spec, "aer", checkpoint=checkpoint)
    _crash_on(monkeypatch, 0)
    for change in ({"shots": 3000}, {"seed": 99}, {"every": 6}):
        data = _spec_data()
        data["measurement"] = {**data["measurement"], **change}
        with pytest.raises(qheat.QheatError, match="another spec"):
            qengine.collect(qheat.spec_from_dict(data), "aer", checkpoint=checkpoint)
    saved = json.loads(checkpoint.read_text())
    for damage in ("rng", "records", "prepared"):
        broken = dict(saved, state=dict(saved["state"], **{damage: None}))
        checkpoint.write_text(json.dumps(broken))
        with pytest.raises(qheat.QheatError, match="damaged checkpoint"):
            qengine.collect(spec, "aer", checkpoint=checkpoint)
    for damage in ("state", "records"):
        broken = dict(saved, **{damage: None})
        checkpoint.write_text(json.dumps(broken))
        with pytest.raises(qheat.QheatError, match="damaged checkpoint"):
            qengine.collect(spec, "aer", checkpoint=checkpoint)


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

    fresh = tmp_path / "fresh"  # a partial run of another spec where this one would go
    fresh.mkdir()
    (fresh / "fig3-reversed.records.partial.json").write_text(
        json.dumps({"kind": CHECKPOINT_KIND, "spec_key": "someone else's"})
    )
    args[args.index(str(out))] = str(fresh)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "partial run of another spec" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
