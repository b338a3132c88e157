"""The ``qheat`` command, in-process (``qheat.cli.main``) and as a real subprocess.

Bad input of any kind: exit code 2, exactly one line on stderr starting with 'qheat: error:',
no traceback (README).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

import qheat
from qheat.cli import main

LIBRARY = resources.files("qheat") / "spec_library"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIG3 = ["fig3-zero", "fig3-reversed", "fig3-enhanced"]

# docs/specs-and-results.md, "Result JSON"
TOP_KEYS = {
    "qheat_version",
    "schema",
    "protocol",
    "backend",
    "spec",
    "steps",
    "collision",
    "subsystems",
    "system",
    "bath",
    "conventions",
}
SUBSYSTEM_KEYS = {
    "label",
    "energy",
    "apparent_temperature",
    "heat_absorbed",
    "one_way_coherence",
    "mutual_information_with_bath",
    "reversal_threshold",
    "reversal_predicted",
    "initial_heat_current",
}
SYSTEM_KEYS = {
    "energy",
    "free_energy",
    "coherence",
    "entropy",
    "apparent_temperature",
    "mutual_information_with_bath",
    "heat_absorbed",
}
BATH_KEYS = {"temperature", "heat_received", "particle_energy"}


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``qheat args`` in-process; an escaping exception is a failure (it would be a traceback)."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"qheat {' '.join(args)} raised {exc!r} (a traceback for the user)")
    out, err = capsys.readouterr()
    return code, out, err


def subprocess_cli(cwd: Path, *args: str, exe: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = (exe or [sys.executable, "-m", "qheat.cli"]) + list(args)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def assert_one_error_line(code, err: str, *needles: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qheat: error:"), err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    return lines[0]


def strict_json(path: Path) -> dict:
    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token} in {path}")

    return json.loads(path.read_text(), parse_constant=refuse)


def spec_toml(**changes: str) -> str:
    fields = {
        "protocol": '"cascade"',
        "temperatures": "[1.0, 1.0]",
        "coherence": "",
        "bath": "0.9",
        "collisions": "2",
        "order": "",
    }
    fields.update(changes)
    return (
        f"protocol = {fields['protocol']}\n[system]\ntemperatures = {fields['temperatures']}\n"
        f"{fields['coherence']}\n[bath]\ntemperature = {fields['bath']}\n"
        f"[interaction]\ng = 20.0\ntau = 0.01\ncollisions = {fields['collisions']}\n{fields['order']}\n"
    )


def coherence(p, q, strength, phase=0.0) -> str:
    return f"[[system.coherence]]\npair = [{p}, {q}]\nstrength = {strength}\nphase = {phase}\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """fig3 (three files) and fig13 (a sweep) results, made once through the CLI."""
    out = tmp_path_factory.mktemp("results")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["run", "fig3", "--output", str(out / "fig3")]) == 0
        assert main(["run", "fig13", "--output", str(out / "fig13.json")]) == 0
    return out, buf.getvalue()


# ----------------------------------------------------------------------------- list / show


def test_list_names_every_bundled_spec_with_its_description(capsys):
    code, out, err = cli(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    for name in qheat.bundled_names():
        description = tomllib.loads((LIBRARY / f"{name}.toml").read_text())["description"]
        assert description
        matches = [ln for ln in lines if ln.split()[0] == name]
        assert len(matches) == 1, name
        assert matches[0][len(name) :].strip() == description
    groups = tomllib.loads((LIBRARY / "groups.toml").read_text())
    for group, members in groups.items():
        line = next(ln for ln in lines if ln.split()[0] == group)
        assert all(m in line for m in members)


def test_show_prints_the_spec_as_json(capsys):
    code, out, _ = cli(capsys, "show", "fig4c-reverse")
    assert code == 0
    data = json.loads(out)
    raw = tomllib.loads((LIBRARY / "fig4c-reverse.toml").read_text())
    assert data["interaction"]["order"] == raw["interaction"]["order"] == [3, 2, 1]
    assert data["system"]["temperatures"] == raw["system"]["temperatures"]
    assert [c["pair"] for c in data["system"]["coherence"]] == [c["pair"] for c in raw["system"]["coherence"]]


# ----------------------------------------------------------------------------- run


def test_run_fig10_writes_the_promised_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "run", "fig10", "--output", "x.json")
    assert code == 0, err
    assert "x.json" in out
    data = strict_json(tmp_path / "x.json")
    assert set(data) == TOP_KEYS
    assert data["qheat_version"] == qheat.__version__
    assert data["protocol"] == "cascade" and data["backend"] == "exact"
    raw = tomllib.loads((LIBRARY / "fig10.toml").read_text())
    assert data["spec"]["system"]["temperatures"] == raw["system"]["temperatures"]
    assert data["spec"]["interaction"]["collisions"] == raw["interaction"]["collisions"]

    n, collisions = len(raw["system"]["temperatures"]), raw["interaction"]["collisions"]
    steps = data["steps"]
    assert steps == list(range(n * collisions + 1))
    length = len(steps)

    assert [s["label"] for s in data["subsystems"]] == [f"S{k + 1}" for k in range(n)]
    for sub in data["subsystems"]:
        assert SUBSYSTEM_KEYS <= set(sub), set(sub) ^ SUBSYSTEM_KEYS
        assert len(sub["energy"]) == length
        assert len(sub["apparent_temperature"]) == length
        assert all(t is None or isinstance(t, float) for t in sub["apparent_temperature"])
        # heat_absorbed is E_end - E_start (README)
        assert sub["heat_absorbed"] == pytest.approx(sub["energy"][-1] - sub["energy"][0], abs=1e-14)
        # at the start a subsystem is thermal at its temperature: E = -(1/2) tanh(1/(2T)) (delta = 1)
        t = raw["system"]["temperatures"][int(sub["label"][1:]) - 1]
        assert sub["energy"][0] == pytest.approx(-0.5 * math.tanh(0.5 / t), abs=1e-12)
    assert SYSTEM_KEYS <= set(data["system"])
    for key in ("energy", "free_energy", "coherence"):
        assert len(data["system"][key]) == length
    assert set(data["bath"]) == BATH_KEYS
    heat = data["bath"]["heat_received"]
    assert len(heat) == length and heat[0] == 0.0
    # partial SWAPs conserve excitations: what the subsystems absorb the bath gives (README heat sign)
    absorbed = sum(s["heat_absorbed"] for s in data["subsystems"])
    assert heat[-1] == pytest.approx(-absorbed, abs=1e-10)
    # Seed 001 SI Fig. 10: with c12 = -1 the second subsystem absorbs heat from the colder bath
    assert data["subsystems"][1]["heat_absorbed"] > 0


def test_run_simultaneous_counts_n_steps_per_collision(tmp_path, capsys):
    code, _, err = cli(capsys, "run", "fig11", "--output", str(tmp_path / "fig11.json"))
    assert code == 0, err
    data = strict_json(tmp_path / "fig11.json")
    assert data["protocol"] == "simultaneous"
    assert data["steps"] == [0, 2]


def test_run_group_writes_three_files(made):
    out, printed = made
    files = sorted(p.name for p in (out / "fig3").iterdir())
    assert files == sorted(f"{name}.json" for name in FIG3)
    for name in FIG3:
        data = strict_json(out / "fig3" / f"{name}.json")
        assert data["spec"]["name"] == name
        assert data["steps"] == list(range(3 * 100 + 1))
        assert name in printed


def test_fig3_heat_directions_of_seed_001(made):
    out, _ = made
    heat = {
        name: [s["heat_absorbed"] for s in strict_json(out / "fig3" / f"{name}.json")["subsystems"]] for name in FIG3
    }
    assert all(h < 0 for h in heat["fig3-zero"])  # every subsystem releases heat to the colder bath
    assert heat["fig3-reversed"][1] > 0 and heat["fig3-reversed"][2] > 0  # S2, S3 absorb
    assert all(e < z for e, z in zip(heat["fig3-enhanced"][1:], heat["fig3-zero"][1:]))


def test_sweep_result_is_strict_json_with_nine_points(made):
    out, _ = made
    data = strict_json(out / "fig13.json")
    assert data["spec"]["sweep"]["values"] == [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
    assert len(data["points"]) == 9
    for point, value in zip(data["points"], data["spec"]["sweep"]["values"]):
        assert point["spec"]["system"]["coherence"][0]["strength"] == value


def test_second_run_of_a_sweep_skips(made, capsys):
    out, _ = made
    target = out / "fig13.json"
    before = (target.stat().st_mtime_ns, target.read_bytes())
    code, printed, err = cli(capsys, "run", "fig13", "--output", str(target))
    assert code == 0, err
    assert "up to date" in printed
    assert (target.stat().st_mtime_ns, target.read_bytes()) == before


def test_second_identical_run_skips(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fig10", "--output", "x.json")[0] == 0
    target = tmp_path / "x.json"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))  # an old mtime: any rewrite would show
    before = target.read_bytes()
    code, out, err = cli(capsys, "run", "fig10", "--output", "x.json")
    assert code == 0, err
    assert "up to date" in out
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert target.read_bytes() == before


def test_second_identical_group_run_skips_every_file(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(capsys, "run", "fig12", "--output", str(out))[0] == 0
    for p in out.iterdir():
        os.utime(p, ns=(1_000_000_000, 1_000_000_000))
    code, printed, _ = cli(capsys, "run", "fig12", "--output", str(out))
    assert code == 0
    assert printed.count("up to date") == 2
    assert all(p.stat().st_mtime_ns == 1_000_000_000 for p in out.iterdir())


def test_run_of_another_spec_onto_an_existing_file_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fig10", "--output", "x.json")[0] == 0
    target = tmp_path / "x.json"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = target.read_bytes()
    code, _, err = cli(capsys, "run", "fig11", "--output", "x.json")
    assert_one_error_line(code, err, "x.json", "--force")
    assert target.read_bytes() == before
    assert target.stat().st_mtime_ns == 1_000_000_000


def test_force_redoes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fig10", "--output", "x.json")[0] == 0
    target = tmp_path / "x.json"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    code, out, _ = cli(capsys, "run", "fig10", "--output", "x.json", "--force")
    assert code == 0 and "up to date" not in out
    assert target.stat().st_mtime_ns > 1_000_000_000
    # --force also overwrites a result of another spec
    code, _, _ = cli(capsys, "run", "fig11", "--output", "x.json", "--force")
    assert code == 0
    assert strict_json(target)["protocol"] == "simultaneous"


def test_default_output_directory_is_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fig10", "--quiet") == (0, "", "")
    assert (tmp_path / "results" / "fig10.json").is_file()


def test_rerun_of_a_group_into_a_directory_named_after_it(tmp_path, monkeypatch, capsys):
    """BUG: after ``qheat run fig3 --output fig3`` the directory ./fig3 hides the group name:
    the second run fails with 'spec file fig3 does not exist' instead of skipping."""
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fig12-cascade", "--output", "fig12-cascade", "--quiet")[0] == 0
    code, out, err = cli(capsys, "run", "fig12-cascade", "--output", "fig12-cascade")
    assert code == 0, err
    assert "up to date" in out


def test_spec_name_cannot_write_outside_the_output_directory(tmp_path, monkeypatch, capsys):
    """BUG: the result file name is the spec's ``name`` unchecked, so ``name = "../escape"``
    writes ./escape.json next to (not inside) --output out/, and "a/b" creates out/a/b.json."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.toml").write_text('name = "../escape"\n' + spec_toml(collisions="1"))
    (tmp_path / "out").mkdir()
    code, _, err = cli(capsys, "run", "evil.toml", "--output", "out")
    assert not (tmp_path / "escape.json").exists()
    if code != 0:
        assert_one_error_line(code, err, "name")


# ----------------------------------------------------------------------------- plot


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert 20_000 < len(data) < 20_000_000, len(data)


def test_plot_fig3_results_writes_a_png(made, tmp_path, capsys):
    out, _ = made
    files = [str(out / "fig3" / f"{name}.json") for name in FIG3]
    code, printed, err = cli(capsys, "plot", *files, "--output", str(tmp_path / "fig3.png"), "--dpi", "60")
    assert code == 0, err
    assert_png(tmp_path / "fig3.png")


def test_plot_sweep_result_writes_a_png(made, tmp_path, capsys):
    out, _ = made
    code, _, err = cli(
        capsys, "plot", str(out / "fig13.json"), "--output", str(tmp_path / "sub" / "fig13.png"), "--dpi", "60"
    )
    assert code == 0, err
    assert_png(tmp_path / "sub" / "fig13.png")


def test_plot_sweep_together_with_trajectories_is_refused(made, tmp_path, capsys):
    out, _ = made
    code, _, err = cli(
        capsys,
        "plot",
        str(out / "fig13.json"),
        str(out / "fig3" / "fig3-zero.json"),
        "--output",
        str(tmp_path / "x.png"),
    )
    assert_one_error_line(code, err, "sweep")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--output", "fig.xyz"], "xyz"),
        (["--dpi", "0"], "dpi"),
    ],
)
def test_plot_bad_image_options_give_one_error_line(made, tmp_path, monkeypatch, capsys, args, needle):
    """BUG: an unsupported image suffix or a non-positive --dpi reaches matplotlib, whose
    ValueError is not caught: a traceback and exit code 1 instead of one line and exit 2."""
    out, _ = made
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "plot", str(out / "fig3" / "fig3-zero.json"), *args)
    assert_one_error_line(code, err, needle)


# ----------------------------------------------------------------------------- bad input


BAD_SPECS = {
    "unknown protocol": (spec_toml(protocol='"cascad"'), ["protocol", "cascad"]),
    "negative temperature": (spec_toml(temperatures="[1.0, -1.0]"), ["system.temperatures[1]"]),
    "zero bath temperature": (spec_toml(bath="0.0"), ["bath.temperature"]),
    "nan temperature": (spec_toml(temperatures="[nan, 1.0]"), ["system.temperatures[0]", "finite"]),
    "inf temperature": (spec_toml(bath="inf"), ["bath.temperature", "finite"]),
    "pair out of range": (spec_toml(coherence=coherence(1, 3, 0.1)), ["pair", "3"]),
    "p == q": (spec_toml(coherence=coherence(2, 2, 0.1)), ["pair", "itself"]),
    "order not a permutation": (spec_toml(order="order = [1, 1]"), ["order", "permutation"]),
    "negative collisions": (spec_toml(collisions="-3"), ["collisions"]),
    "non-PSD state": (spec_toml(coherence=coherence(1, 2, 1.5, math.pi)), ["positive semidefinite", "at most 1"]),
    "unknown key": (spec_toml().replace("[bath]\ntemperature", "[bath]\ntemprature"), ["temprature"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_file_gives_one_error_line(tmp_path, monkeypatch, capsys, case):
    text, needles = BAD_SPECS[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text)
    code, out, err = cli(capsys, "run", "bad.toml")
    assert_one_error_line(code, err, *needles)
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_collisions_give_one_error_line(tmp_path, monkeypatch, capsys, value):
    """BUG: collisions = nan / inf crash _integer() with ValueError / OverflowError (a traceback)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(spec_toml(collisions=value))
    code, _, err = cli(capsys, "run", "bad.toml")
    assert_one_error_line(code, err, "collisions")


def test_malformed_toml_names_the_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = spec_toml().replace("tau = 0.01", "tau = 0.01 0.02")
    line = text.splitlines().index("tau = 0.01 0.02") + 1
    (tmp_path / "bad.toml").write_text(text)
    code, _, err = cli(capsys, "run", "bad.toml")
    assert_one_error_line(code, err, "TOML", f"line {line}")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["run", "no-such-spec"], ["no-such-spec"]),
        (["run", "fig10", "--backend", "nope"], ["nope", "exact"]),
        (["run", "missing.toml"], ["missing.toml"]),
        (["run", "missing.json"], ["missing.json"]),
        (["run", "fig3", "--output", "x.json"], ["x.json", "3"]),
        (["show", "no-such-spec"], ["no-such-spec"]),
        (["plot", "missing-result.json"], ["missing-result.json"]),
    ],
)
def test_bad_command_line_gives_one_error_line(tmp_path, monkeypatch, capsys, args, needles):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *args)
    assert_one_error_line(code, err, *needles)
    assert not (tmp_path / "x.json").exists()
    assert not (tmp_path / "results").exists()


def test_plot_of_a_non_result_json_gives_one_error_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.json").write_text(json.dumps(qheat.load_spec("fig10").to_dict()))
    (tmp_path / "text.json").write_text("not json at all")
    for name in ("spec.json", "text.json"):
        code, _, err = cli(capsys, "plot", name, "--output", "p.png")
        assert_one_error_line(code, err, name)
    assert not (tmp_path / "p.png").exists()


# ----------------------------------------------------------------------------- real processes


def test_console_script_is_installed(tmp_path):
    exe = shutil.which("qheat")
    assert exe is not None
    proc = subprocess_cli(tmp_path, "list", exe=[exe])
    assert proc.returncode == 0, proc.stderr
    for name in qheat.bundled_names():
        assert name in proc.stdout


def test_subprocess_run_and_skip(tmp_path):
    proc = subprocess_cli(tmp_path, "run", "fig10", "--output", "x.json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = strict_json(tmp_path / "x.json")
    assert set(data) == TOP_KEYS and data["steps"] == [0, 1, 2]
    proc = subprocess_cli(tmp_path, "run", "fig10", "--output", "x.json")
    assert proc.returncode == 0 and "up to date" in proc.stdout


def test_subprocess_bad_inputs(tmp_path):
    (tmp_path / "bad.toml").write_text(spec_toml(temperatures="[1.0, 0.0]"))
    (tmp_path / "broken.toml").write_text("protocol = \n")
    cases = [
        (["run", "no-such-spec"], "no-such-spec"),
        (["run", "bad.toml"], "system.temperatures[1]"),
        (["run", "broken.toml"], "line 1"),
        (["run", "fig10", "--backend", "nope"], "nope"),
    ]
    for args, needle in cases:
        proc = subprocess_cli(tmp_path, *args)
        assert_one_error_line(proc.returncode, proc.stderr, needle)
        assert proc.stdout == ""
