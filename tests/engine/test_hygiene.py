"""The hygiene of a released package: license, metadata, one version, py.typed, changelog, lint and type
configuration, no import-time matplotlib backend, quiet broken pipes, results loaded back as objects."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import qheat
from qheat import QheatError, Result

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "qheat"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_license_file_is_the_full_apache_2_text_the_project_declares():
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n") and "Version 2.0, January 2004" in text
    sections = [f"{i}. " for i in range(1, 10)]
    body = text.split("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION")[1]
    body = body.split("END OF TERMS AND CONDITIONS")[0]
    assert all(f"\n   {s}" in body for s in sections)  # the nine sections, in the full text
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]


def test_metadata_classifiers_extras_and_tool_configuration():
    project = PYPROJECT["project"]
    classifiers = set(project["classifiers"])
    assert {
        "Typing :: Typed",
        "Topic :: Scientific/Engineering :: Physics",
        "Intended Audience :: Science/Research",
    } <= classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it (PEP 639)
    python = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert python in classifiers
    names = {
        extra: {r.split(">")[0].split("[")[0].split("=")[0] for r in reqs}
        for extra, reqs in project["optional-dependencies"].items()
    }
    assert {"ruff", "mypy", "pytest"} <= names["test"] and {"sphinx", "myst-parser", "furo"} <= names["docs"]
    tools = PYPROJECT["tool"]
    assert tools["ruff"]["line-length"] == 120 and tools["ruff"]["lint"]["select"]
    assert tools["mypy"]["files"] == ["src/qheat"]
    assert "py.typed" in tools["setuptools"]["package-data"]["qheat"] and (SRC / "py.typed").is_file()


def test_one_version_from_the_package_metadata():
    assert qheat.__version__ == metadata.version("qheat")
    literal = PYPROJECT["project"]["version"]
    copies = [p for p in SRC.rglob("*.py") if f'"{literal}"' in p.read_text() or f"'{literal}'" in p.read_text()]
    assert not copies, copies


def test_the_changelog_has_an_unreleased_section_and_the_released_version():
    text = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and f"## [{PYPROJECT['project']['version']}]" in text


def test_no_module_switches_the_matplotlib_backend_when_imported():
    calls = []
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only: functions may choose
            for sub in ast.walk(node):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    break
                if (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == "use"
                    and isinstance(sub.func.value, ast.Name)
                    and sub.func.value.id == "matplotlib"
                ):
                    calls.append(f"{path.relative_to(SRC)}:{sub.lineno}")
    assert not calls, calls
    code = (
        "import matplotlib; matplotlib.use('svg'); import qheat.plotting\n"
        "from qheat.protocols.registry import protocols\n"
        "import importlib\n"
        "for name in ('cascade', 'correlated_pair', 'heat_pump', 'heat_transfer', 'reservoirs'):\n"
        "    importlib.import_module(f'qheat.protocols.{name}.plots')\n"
        "print(matplotlib.get_backend())"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "svg"


def test_a_closed_pipe_ends_qheat_quietly():
    """``qheat list | head -1``: the reader is gone before qheat writes anything."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qheat.cli", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # closed long before the ~1 s of imports are over
    err = proc.stderr.read()
    code = proc.wait(timeout=300)
    assert err == "" and code == 141, (code, err)
    shell = subprocess.run(
        f"'{sys.executable}' -m qheat.cli list | head -1", shell=True, capture_output=True, text=True, timeout=300
    )
    assert shell.stderr == "" and len(shell.stdout.splitlines()) == 1 and shell.stdout.startswith("fig10")


# ----------------------------------------------------------------------------- results as objects


@pytest.fixture(scope="module")
def fig10(tmp_path_factory):
    path = tmp_path_factory.mktemp("fig10") / "fig10.json"
    qheat.run("fig10", "exact", output=path)
    return path


def test_a_result_file_loads_back_into_the_same_result(fig10):
    result = Result.load(fig10)
    assert result.spec == qheat.load_spec("fig10") and result.backend == "exact"
    saved = json.loads(fig10.read_text())
    assert result.to_dict() == saved  # same version installed: the file, key for key


def test_what_is_not_a_result_of_this_schema_is_refused_in_one_line(fig10, tmp_path):
    records = tmp_path / "x.records.json"
    records.write_text(json.dumps({"kind": "qheat-records", "spec": {}, "backend": "aer", "protocol": "cascade"}))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**json.loads(fig10.read_text()), "schema": 1}))
    for path, needle in ((records, "not a qheat result"), (old, "schema 1"), (tmp_path / "none.json", "no such")):
        with pytest.raises(QheatError, match=needle) as info:
            Result.load(path)
        assert "\n" not in str(info.value)


def _numbers(text: str) -> int:
    """How many numbers a JSON text holds (booleans and null are not numbers), counted by the JSON parser."""
    count = 0

    def number(token: str) -> float:
        nonlocal count
        count += 1
        return float(token)

    json.loads(text, parse_int=number, parse_float=number)
    return count


def test_to_dataframe_holds_every_number_of_the_result_once(fig10):
    pytest.importorskip("pandas")
    data = json.loads(fig10.read_text())
    body = {k: v for k, v in data.items() if k not in ("qheat_version", "schema", "protocol", "backend", "spec")}
    frame = Result.load(fig10).to_dataframe()
    assert list(frame.columns) == ["key", "index", "value"]
    assert frame["value"].notna().sum() == _numbers(json.dumps(body))
    for key, index in frame[frame["value"].isna()][["key", "index"]].itertuples(index=False):
        node = body  # a NaN row is a null of a list in the file
        for part in key.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        assert node[index] is None, (key, index)
    s2 = frame[frame.key == "subsystems.1.energy"].sort_values("index")
    assert s2["value"].tolist() == data["subsystems"][1]["energy"] and s2["index"].tolist() == list(range(3))
    heat = frame[frame.key == "subsystems.0.heat_absorbed"]
    assert heat["index"].isna().all() and heat["value"].tolist() == [data["subsystems"][0]["heat_absorbed"]]


def test_a_sweep_table_names_its_points_and_swept_values():
    pytest.importorskip("pandas")
    result = qheat.run("fig13", "exact")
    frame = result.to_dataframe()
    parameter = "system.coherence.0.strength"
    assert list(frame.columns) == ["point", parameter, "key", "index", "value"]
    heats = frame[frame.key == "subsystems.1.heat_absorbed"].sort_values("point")
    points = result.to_dict()["points"]
    assert heats[parameter].tolist() == result.to_dict()["sweep"]["values"]
    assert heats["value"].tolist() == [p["subsystems"][1]["heat_absorbed"] for p in points]
    assert [p["spec"]["system"]["coherence"][0]["strength"] for p in points] == heats[parameter].tolist()


def test_to_dataframe_without_pandas_says_so_in_one_line(fig10, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(QheatError, match=r"needs pandas: pip install pandas$"):
        Result.load(fig10).to_dataframe()


def test_cached_results_are_keyed_on_spec_backend_and_schema_not_the_package_version(fig10, tmp_path):
    path = tmp_path / "fig10.json"
    data = json.loads(fig10.read_text())
    path.write_text(json.dumps({**data, "qheat_version": "0.0.1-another-release"}))
    qheat.run("fig10", "exact", output=path)  # another version, same schema: reused, not redone
    assert json.loads(path.read_text())["qheat_version"] == "0.0.1-another-release"
    path.write_text(json.dumps({**data, "schema": data["schema"] + 1}))
    with pytest.raises(QheatError, match="result schema"):  # another schema: never taken for this run's result
        qheat.run("fig10", "exact", output=path)
