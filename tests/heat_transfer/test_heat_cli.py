"""`qheat run` / `qheat plot` for the bundled specs of seeds 000 and 002; bad input gives one line, exit 2."""

from __future__ import annotations

import json

import pytest

from qheat.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAMES = [
    "ma-fig1b",
    "ma-fig1c",
    "ma-fig1d",
    "ma-fig2a",
    "ma-fig2b",
    "holdsworth-fig1",
    "holdsworth-fig2",
    "holdsworth-pump",
]


def _cli(capsys, *args):
    capsys.readouterr()
    code = main(list(args))
    return code, *capsys.readouterr()


@pytest.mark.parametrize("name", NAMES)
def test_run_and_plot_each_bundled_spec(tmp_path, capsys, name):
    out = tmp_path / f"{name}.json"
    code, stdout, err = _cli(capsys, "run", name, "--output", str(out))
    assert code == 0 and err == "" and name in stdout
    data = json.loads(out.read_text())
    assert data["protocol"] in ("heat-transfer", "correlated-pair", "heat-pump") and "conventions" in data
    png = tmp_path / f"{name}.png"
    code, _, err = _cli(capsys, "plot", str(out), "--output", str(png))
    assert code == 0 and err == ""
    assert png.read_bytes()[:8] == PNG_MAGIC
    code, stdout, _ = _cli(capsys, "run", name, "--output", str(out))
    assert code == 0 and "up to date" in stdout


def test_run_on_aer_and_plot(tmp_path, capsys):
    out = tmp_path / "aer.json"
    code, stdout, err = _cli(capsys, "run", "ma-fig1b", "--backend", "aer", "--output", str(out))
    assert code == 0 and "aer:" in stdout
    data = json.loads(out.read_text())
    assert data["backend"] == "aer" and len(data["circuits"]["heat"]) == data["spec"]["circuits"]["points"]
    code, _, err = _cli(capsys, "plot", str(out), "--output", str(tmp_path / "aer.png"))
    assert code == 0 and err == ""


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "holdsworth-pump", "--backend", "aer:nope"], "aer:nope"),
        (["run", "ma-fig2a", "--backend", "aer"], "exact"),
        (["run", "holdsworth-fig1", "--backend", "nope"], "nope"),
        (["run", "ma-fig1b", "--backend", "aer:nmr-crotonic"], "needs 6 qubits but aer:nmr-crotonic has 4"),
        (["run", "ma-fig1b", "--backend", "fake:manila"], "needs 6 qubits but fake:manila has 5"),
    ],
)
def test_bad_backends_give_one_line(capsys, tmp_path, args, needle):
    code, out, err = _cli(capsys, *args, "--output", str(tmp_path))
    assert code == 2 and out == "" and err.count("\n") == 1 and needle in err and err.startswith("qheat: error:")


PAIR = """
protocol = "heat-transfer"
description = "A1 (cold) and B (hot) exchanging an excitation: 4 circuit qubits"

[[qubits]]
label = "A1"
system = "A"
frequency = 1.0
temperature = 0.5

[[qubits]]
label = "B"
system = "B"
frequency = 1.0
temperature = 2.0

[[interaction]]
ops = { A1 = "-", B = "+" }
coefficient = 0.1
hermitian_conjugate = true

[evolution]
t_max = 15.0
points = 31

[circuits]
points = 4
shots = 2000
seed = 11
"""


@pytest.mark.parametrize("backend", ["aer", "aer:nmr-crotonic"])
def test_records_first_then_offline_analysis_gives_the_same_numbers(tmp_path, capsys, backend):
    spec = tmp_path / "pair.toml"
    spec.write_text(PAIR)
    folder = tmp_path / "d"
    code, stdout, err = _cli(capsys, "run", str(spec), "--backend", backend, "--output", str(folder))
    assert code == 0 and f"{backend}: max |Q_aer - Q_exact|" in stdout
    records, result = folder / "pair.records.json", folder / "pair.json"
    doc = json.loads(records.read_text())
    assert doc["backend"] == backend and [sum(r["counts"].values()) for r in doc["records"]] == [2000] * 4
    assert all(set(r["metadata"]) == {"time", "synthesis", "reps", "measured_qubits"} for r in doc["records"])
    assert records.stat().st_mtime_ns <= result.stat().st_mtime_ns  # the records were written first
    other = tmp_path / "other.json"
    code, _, err = _cli(capsys, "analyze", str(records), "--output", str(other))
    assert code == 0 and err == ""
    assert json.loads(other.read_text()) == json.loads(result.read_text())
    body = json.loads(result.read_text())
    assert body["circuits"]["records"] == [
        {"counts": dict(sorted(r["counts"].items())), "metadata": r["metadata"]} for r in doc["records"]
    ]


def test_plot_refuses_two_heat_results(tmp_path, capsys):
    out = tmp_path / "a.json"
    assert _cli(capsys, "run", "ma-fig2a", "--output", str(out))[0] == 0
    code, _, err = _cli(capsys, "plot", str(out), str(out), "--output", str(tmp_path / "x.png"))
    assert code == 2 and "on its own" in err


def test_heat_figures_keep_their_style_local():
    import subprocess
    import sys

    # importing the module leaves matplotlib's settings alone but for the Agg backend (a fresh interpreter)
    code = (
        "import matplotlib as m; before = dict(m.rcParams); import qheat.protocols.heat_transfer.plots; "
        "print(sum(before[k] != v for k, v in m.rcParams.items() if not k.startswith('backend')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    import matplotlib

    import qheat
    from qheat.protocols.heat_transfer.plots import phase_figure

    default = matplotlib.rcParams["axes.labelsize"]
    fig = phase_figure(qheat.run("ma-fig2a").to_dict())
    assert fig.axes[0].xaxis.label.get_fontsize() == 9  # drawn in the figures' style ...
    assert matplotlib.rcParams["axes.labelsize"] == default  # ... which does not outlive it
