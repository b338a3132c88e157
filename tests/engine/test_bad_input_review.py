"""Bad input found in review: each gets a QheatError (CLI: one line, exit code 2), nothing is lost."""

from __future__ import annotations

import json
import os
import stat
import warnings
from dataclasses import replace

import numpy as np
import pytest

import qheat
from qheat.cli import main
from qheat.physics import thermo
from qheat.protocols.registry import spec_from_dict

BASE = {
    "protocol": "cascade",
    "system": {"temperatures": [1.0, 1.0], "coherence": [{"pair": [1, 2], "strength": 0.5, "phase": 3.14159}]},
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 2},
}


def one_error_line(capsys, *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qheat: error:"), err
    return lines[0]


def test_spec_file_that_is_not_utf8(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'protocol = "cascade"\n\xff\xfe\n')
    assert "UTF-8" in one_error_line(capsys, "run", str(bad), "--output", str(tmp_path / "o.json"))


def test_very_cold_subsystems_and_bath_run_without_overflow():
    spec = spec_from_dict({**BASE, "system": {"temperatures": [0.001, 0.002]}, "bath": {"temperature": 0.001}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = qheat.run(spec).to_dict()
    # both subsystems start in their ground state to double precision: no heat can flow out
    assert all(abs(s["heat_absorbed"]) < 1e-12 for s in data["subsystems"])
    # Eq. (51) threshold at T_k = 0.001 < T_R ... finite and equal to its closed form's limit (e^{-1000} ~ 0)
    assert np.isfinite(data["subsystems"][0]["reversal_threshold"])


def test_coherence_with_a_nearly_frozen_spin_keeps_the_single_pair_bound():
    # one pair: the 2x2 block [[a, c x], [c* x, b]] with x = sqrt(ab) is PSD iff |c| <= 1, at any temperatures
    data = {**BASE, "system": {"temperatures": [1.0, 0.01], "coherence": [{"pair": [1, 2], "strength": 2.0}]}}
    with pytest.raises(qheat.QheatError, match=r"at most 1\b"):
        spec_from_dict(data)
    # at 0.001 the excited population underflows to 0: chi_12 vanishes and any strength is the thermal state
    frozen = {**BASE, "system": {"temperatures": [1.0, 0.001], "coherence": [{"pair": [1, 2], "strength": 2.0}]}}
    assert np.allclose(spec_from_dict(frozen).initial_state(), np.diag(np.diag(spec_from_dict(frozen).initial_state())))


def test_non_finite_partial_swap_angle(tmp_path, capsys):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({**BASE, "interaction": {"g": 1e308, "tau": 1e308, "collisions": 1}}))
    assert "finite" in one_error_line(capsys, "run", str(path), "--output", str(tmp_path / "o.json"))


def test_plot_of_an_incomplete_result(tmp_path, capsys):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"spec": BASE, "steps": [0]}))
    assert "subsystems" in one_error_line(capsys, "plot", str(path), "--output", str(tmp_path / "f.png"))


def test_plot_with_an_absurd_dpi(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "fig10", "--output", str(out), "-q"]) == 0
    one_error_line(capsys, "plot", str(out), "--output", str(tmp_path / "f.png"), "--dpi", "100000")


def test_spec_built_in_python_is_validated_before_running():
    spec = qheat.load_spec("fig3-zero")
    bad = replace(spec, interaction=replace(spec.interaction, order=(1, 1, 2)))
    with pytest.raises(qheat.QheatError, match="permutation"):
        qheat.run(bad)
    with pytest.raises(qheat.QheatError, match="protocol"):
        qheat.run(replace(spec, protocol="foo"))


def test_unwritable_output_names_the_target(capsys):
    line = one_error_line(capsys, "run", "fig10", "--output", "/proc/qheat-test/x.json")
    assert "/proc/qheat-test/x.json" in line and ".tmp" not in line


def test_result_files_get_ordinary_permissions(tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "fig10", "--output", str(out), "-q"]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_upper_case_json_suffix_is_a_file(tmp_path):
    out = tmp_path / "OUT.JSON"
    assert main(["run", "fig10", "--output", str(out), "-q"]) == 0
    assert out.is_file() and json.loads(out.read_text())["spec"]["name"] == "fig10"


def test_existing_non_result_file_at_the_target_is_kept(tmp_path, capsys):
    out = tmp_path / "notes.json"
    out.write_text('{"mine": 1}')
    assert "not a qheat result" in one_error_line(capsys, "run", "fig10", "--output", str(out))
    assert json.loads(out.read_text()) == {"mine": 1}


def test_apparent_temperature_reason_when_both_terms_are_negative():
    # P0 + C < 0 and P1 + C < 0: the ratio is positive, but Eq. (49) is still not defined
    assert np.isnan(thermo.apparent_temperature(0.6, 0.4, -0.7))
    assert "not positive" in thermo.apparent_temperature_issue(0.6, 0.4, -0.7)
    assert "not positive" in thermo.apparent_temperature_issue(0.6, 0.4, -0.4)


@pytest.mark.parametrize("parameter", ["system.temperatures.-1", "protocol", "name", "system.coherence.0.pair"])
def test_sweeps_only_over_numbers_that_exist(parameter):
    with pytest.raises(qheat.QheatError, match="sweep"):
        spec_from_dict({**BASE, "sweep": {"parameter": parameter, "values": [1.0, 2.0]}})


def test_sweep_point_errors_say_which_point():
    with pytest.raises(qheat.QheatError, match=r"sweep point system.coherence.0.strength=5.0"):
        spec_from_dict({**BASE, "sweep": {"parameter": "system.coherence.0.strength", "values": [0.5, 5.0]}})


def test_sweep_points_have_distinct_names_for_close_values():
    spec = spec_from_dict({**BASE, "sweep": {"parameter": "bath.temperature", "values": [0.9, 0.9000001]}})
    names = [p.name for p in qheat.protocols.registry.expand(spec)]
    assert len(set(names)) == 2


def test_too_many_collisions_are_refused():
    with pytest.raises(qheat.QheatError, match="collisions"):
        spec_from_dict({**BASE, "interaction": {"g": 1.0, "tau": 0.01, "collisions": 10**10}})
