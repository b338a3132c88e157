"""Golden records (tests/data, made by tests/data/regenerate.py): ``qheat analyze`` of every protocol's small
records file keeps reproducing the result stored beside it, number for number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qheat.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = sorted(DATA.glob("*.records.json"))


def test_there_are_golden_records_of_every_protocol():
    protocols = {json.loads(p.read_text())["protocol"] for p in GOLDEN}
    assert protocols == {"cascade", "heat-transfer", "correlated-pair", "heat-pump", "reservoirs"}


@pytest.mark.parametrize("records", GOLDEN, ids=[p.name.split(".")[0] for p in GOLDEN])
def test_analyze_reproduces_the_golden_result(records, tmp_path):
    out = tmp_path / "again.json"
    assert main(["analyze", str(records), "--output", str(out), "-q"]) == 0
    expected = json.loads(records.with_name(records.name.replace(".records.json", ".json")).read_text())
    got = json.loads(out.read_text())
    got.pop("qheat_version"), expected.pop("qheat_version")
    assert got == expected
