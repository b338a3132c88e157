"""Golden records (tests/data, made by tests/data/regenerate.py): ``qheat analyze`` of every protocol's small
records file keeps reproducing the result stored beside it, number for number: every key, string and
integer equal, every float to 1e-7 relative or 1e-8 absolute (the last bits of a float move with numpy's
and BLAS's summation order between versions and machines, and a square root of near-degenerate
eigenvalues -- the concurrence -- lifts them to ~sqrt(eps) = 1e-8; any change of the analysis moves far
more)."""

from __future__ import annotations

import json
import math
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
    assert _same(got, expected), "the analysis of the golden records changed"


def _same(a, b, path="result") -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, int | float) and isinstance(b, int | float)):
            raise AssertionError(f"{path}: {a!r} != {b!r}")
        if not math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-8):
            raise AssertionError(f"{path}: {a!r} != {b!r}")
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            raise AssertionError(f"{path}: keys {sorted(set(a) ^ set(b))} differ")
        return all(_same(a[k], b[k], f"{path}.{k}") for k in a)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise AssertionError(f"{path}: lengths {len(a)} != {len(b)}")
        return all(_same(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    if a != b:
        raise AssertionError(f"{path}: {a!r} != {b!r}")
    return True
