"""The documentation's examples run and its protocol pages name every key: every ``python`` block of the
tutorials and the getting-started page runs (in order, one namespace per page, in a scratch folder), and each
protocol's page names its spec keys and the top-level keys of its results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qheat
from qheat.protocols import registry

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted([DOCS / "getting-started.md", *(DOCS / "tutorials").glob("*.md")])
FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
SLOW_PAGES = {"exact-aer-device.md"}  # its fake-device and submission steps take ~1-2 minutes


def python_blocks(page: Path) -> list[str]:
    return FENCE.findall(page.read_text())


@pytest.mark.parametrize(
    "page", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.name in SLOW_PAGES else []) for p in PAGES]
)
def test_every_python_block_of_a_page_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    assert blocks, f"{page.name} has no python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for i, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{page.name} block {i}", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 (name the page and block, then fail)
            pytest.fail(f"{page.relative_to(DOCS)}, python block {i}: {type(exc).__name__}: {exc}")


def test_the_fast_steps_of_the_device_tutorial_run(tmp_path, monkeypatch):
    """Its exact and Aer steps (blocks 1-3) in CI; the device steps run with the slow tests."""
    blocks = python_blocks(DOCS / "tutorials" / "exact-aer-device.md")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(blocks[:3], 1):
        exec(compile(block, f"exact-aer-device.md block {i}", "exec"), namespace)
    assert namespace["aer"].backend == "aer" and Path("results/fig10-aer.records.json").exists()


def _words(page: Path) -> set[str]:
    """Every `code` span of a page, and each dotted part of it."""
    spans = set(re.findall(r"`([^`]+)`", page.read_text()))
    return spans | {part for s in spans for part in re.split(r"[.\s=,\[\]{}]+", s) if part}


@pytest.mark.parametrize("name", sorted(registry.protocols()))
def test_each_protocol_page_names_its_spec_and_result_keys(name):
    page = DOCS / "protocols" / f"{name}.md"
    assert page.is_file(), f"no page for protocol {name!r}"
    words = _words(page)
    proto = registry.protocols()[name]
    missing = sorted((set(proto.keys) | set(proto.required)) - words)
    assert not missing, f"{page.name} does not name the spec keys {missing}"
    specs = [s for s in (qheat.load_spec(n) for n in qheat.bundled_names()) if registry.protocol_of(s).name == name]
    spec = min(specs, key=lambda s: 0 if s.sweep is None else len(s.sweep.points))
    point = spec if spec.sweep is None else registry.expand(spec)[0]  # a sweep: the keys of its points
    data = point.to_dict()
    if "cycles" in data:  # the heat pump: one cycle has every key
        data["cycles"] = 1
    result = qheat.run(qheat.spec_from_dict(data), "exact").to_dict()
    unnamed = sorted(
        k for k in result if k not in {"qheat_version", "schema", "protocol", "backend", "spec"} and k not in words
    )
    assert not unnamed, f"{page.name} does not name the result keys {unnamed} (of {point.key()})"
