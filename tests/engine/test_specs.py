"""Specs: bundled library, lossless TOML -> spec -> JSON -> spec, loading, groups, sweeps, bad input.

Expected values come from the TOML text itself (parsed with tomllib) or are derived by hand
(positivity bounds), never from the code under test.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from importlib import resources

import pytest

import qheat
from qheat import QheatError
from qheat.protocols.registry import expand, spec_from_dict

LIBRARY = resources.files("qheat") / "spec_library"


def _library_toml(name: str) -> dict:
    return tomllib.loads((LIBRARY / f"{name}.toml").read_text())


def _json_roundtrip(spec):
    text = json.dumps(spec.to_dict(), allow_nan=False)
    return spec_from_dict(json.loads(text))


def make_toml(
    *,
    protocol: str = '"cascade"',
    temperatures: str = "[1.0, 1.0, 1.0]",
    coherence: str = "",
    bath: str = "[bath]\ntemperature = 0.9\n",
    g: str = "20.0",
    tau: str = "0.01",
    collisions: str = "3",
    order: str | None = None,
    extra: str = "",
) -> str:
    text = f"protocol = {protocol}\n[system]\ntemperatures = {temperatures}\n{coherence}\n{bath}\n"
    text += f"[interaction]\ng = {g}\ntau = {tau}\ncollisions = {collisions}\n"
    if order is not None:
        text += f"order = {order}\n"
    return text + extra


def pair(p: int, q: int, strength: float, phase: float = 0.0) -> str:
    return f"[[system.coherence]]\npair = [{p}, {q}]\nstrength = {strength!r}\nphase = {phase!r}\n"


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "spec.toml"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


def refused(path_or_name) -> str:
    with pytest.raises(QheatError) as info:
        qheat.load_spec(path_or_name)
    message = str(info.value)
    assert "\n" not in message.strip(), message
    return message


# ----------------------------------------------------------------------------- bundled specs


def test_bundled_names_are_the_library_files():
    files = sorted(p.name[:-5] for p in LIBRARY.iterdir() if p.name.endswith(".toml") and p.name != "groups.toml")
    assert qheat.bundled_names() == files
    assert {"fig3-zero", "fig3-reversed", "fig3-enhanced", "fig10", "fig13"} <= set(files)


@pytest.mark.parametrize("name", qheat.bundled_names())
def test_every_bundled_spec_loads_and_matches_its_toml(name):
    spec = qheat.load_spec(name)
    raw = _library_toml(name)
    assert spec.name == name
    assert spec.protocol == raw["protocol"]
    assert spec.description == raw["description"] and spec.description
    assert (spec.sweep is not None) == ("sweep" in raw)
    if spec.protocol == "reservoirs":
        assert spec.system.frequencies == tuple(raw["system"]["frequencies"])
        assert spec.reservoirs.temperatures == tuple(raw["reservoirs"]["temperatures"])
        assert spec.reservoirs.strengths == tuple(raw["reservoirs"]["strengths"])
        assert spec.methods == tuple(raw["methods"])
        return
    if spec.protocol in ("heat-transfer", "correlated-pair", "heat-pump"):  # seeds 000/002: test_heat_transfer.py etc.
        assert spec_from_dict(spec.to_dict()) == spec
        return
    assert spec.system.temperatures == tuple(raw["system"]["temperatures"])
    assert spec.bath.temperature == raw["bath"]["temperature"]
    assert spec.interaction.g == raw["interaction"]["g"]
    assert spec.interaction.tau == raw["interaction"]["tau"]
    assert spec.interaction.collisions == raw["interaction"]["collisions"]
    assert spec.interaction.order == (tuple(raw["interaction"]["order"]) if "order" in raw["interaction"] else None)
    coh = raw["system"].get("coherence", [])
    assert [(c.pair, c.strength, c.phase) for c in spec.system.coherence] == [
        (tuple(c["pair"]), c["strength"], c.get("phase", 0.0)) for c in coh
    ]
    assert (spec.sweep is not None) == ("sweep" in raw)


@pytest.mark.parametrize("name", qheat.bundled_names())
def test_every_bundled_spec_roundtrips_through_json(name):
    spec = qheat.load_spec(name)
    assert _json_roundtrip(spec) == spec
    assert _json_roundtrip(spec).to_dict() == spec.to_dict()


# ----------------------------------------------------------------------------- lossless round trip

ODD_PHASES = (0.12345678901234566, -2.718281828459045, 1e-17)


def _rich_toml() -> str:
    coherence = pair(1, 2, 0.1, ODD_PHASES[0]) + pair(1, 3, 0.05, ODD_PHASES[1]) + pair(2, 3, 0.0731, ODD_PHASES[2])
    sweep = '[sweep]\nparameter = "system.coherence.1.phase"\nvalues = [0.1, -0.3333333333333333, 3.0]\n'
    return (
        make_toml(temperatures="[1.0, 0.7, 1.3]", coherence=coherence, order="[3, 1, 2]", tau="0.012345678901234568")
        + sweep
    )


def test_rich_spec_roundtrips_losslessly(write):
    path = write(_rich_toml(), "rich.toml")
    spec = qheat.load_spec(path)
    # the fields are exactly what the TOML says
    assert [c.phase for c in spec.system.coherence] == list(ODD_PHASES)
    assert [c.pair for c in spec.system.coherence] == [(1, 2), (1, 3), (2, 3)]
    assert spec.interaction.order == (3, 1, 2)
    assert spec.order == (2, 0, 1)
    assert spec.interaction.tau == 0.012345678901234568
    assert spec.sweep.parameter == "system.coherence.1.phase"
    assert spec.sweep.values == (0.1, -0.3333333333333333, 3.0)
    # TOML -> spec -> to_dict -> JSON text -> spec_from_dict
    back = _json_roundtrip(spec)
    assert back == spec
    assert back.to_dict() == spec.to_dict()
    c = spec.system.coherence[1]
    assert c.c == complex(0.05 * math.cos(ODD_PHASES[1]), 0.05 * math.sin(ODD_PHASES[1]))


def test_spec_without_name_roundtrips(write):
    data = tomllib.loads(make_toml(coherence=pair(1, 2, 0.2, 1.0)))
    spec = spec_from_dict(data)
    assert spec.name == ""
    assert _json_roundtrip(spec) == spec
    assert spec.key().startswith("spec-")
    assert _json_roundtrip(spec).key() == spec.key()


def test_simultaneous_spec_roundtrips(write):
    spec = qheat.load_spec(write(make_toml(protocol='"simultaneous"', coherence=pair(2, 3, 0.3, -1.0))))
    assert spec.interaction.order is None
    assert _json_roundtrip(spec) == spec


# ----------------------------------------------------------------------------- loading


def test_load_spec_from_bundled_name_toml_path_json_spec_and_result(tmp_path):
    by_name = qheat.load_spec("fig10")

    toml_path = tmp_path / "fig10.toml"
    toml_path.write_text((LIBRARY / "fig10.toml").read_text())
    assert qheat.load_spec(toml_path) == by_name
    assert qheat.load_spec(str(toml_path)) == by_name

    json_path = tmp_path / "spec.json"
    json_path.write_text(json.dumps(by_name.to_dict()))
    assert qheat.load_spec(json_path) == by_name

    result_path = tmp_path / "result.json"
    qheat.run(by_name).save(result_path)
    assert "spec" in json.loads(result_path.read_text())
    assert qheat.load_spec(result_path) == by_name


def test_load_spec_from_sweep_result_file(tmp_path):
    # a result file of a sweep also holds its spec (with the sweep)
    data = {"spec": qheat.load_spec("fig13").to_dict(), "sweep": {}, "points": []}
    path = tmp_path / "fig13-result.json"
    path.write_text(json.dumps(data))
    assert qheat.load_spec(path) == qheat.load_spec("fig13")


def test_toml_file_name_becomes_spec_name(write):
    spec = qheat.load_spec(write(make_toml(), "my-experiment.toml"))
    assert spec.name == "my-experiment"
    assert spec.key() == "my-experiment"


def test_groups():
    fig3 = qheat.load_specs("fig3")
    assert [s.name for s in fig3] == ["fig3-zero", "fig3-reversed", "fig3-enhanced"]
    assert fig3 == [qheat.load_spec(n) for n in ("fig3-zero", "fig3-reversed", "fig3-enhanced")]
    groups = tomllib.loads((LIBRARY / "groups.toml").read_text())
    for group, members in groups.items():
        assert [s.name for s in qheat.load_specs(group)] == members
    with pytest.raises(QheatError, match="3 specs"):
        qheat.load_spec("fig3")


def test_load_specs_of_single_name_is_a_list_of_one():
    assert qheat.load_specs("fig10") == [qheat.load_spec("fig10")]


def test_bundled_group_name_is_not_hidden_by_a_directory_of_that_name(tmp_path, monkeypatch):
    """BUG: ``qheat run fig3 --output fig3`` makes ./fig3/; afterwards the name ``fig3`` is taken
    for a path (load_specs tests ``path.exists()``) and refused with 'spec file fig3 does not exist'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fig3").mkdir()
    (tmp_path / "fig10").mkdir()
    assert [s.name for s in qheat.load_specs("fig3")] == ["fig3-zero", "fig3-reversed", "fig3-enhanced"]
    assert qheat.load_spec("fig10").name == "fig10"


# ----------------------------------------------------------------------------- sweeps


def test_fig13_sweep_expands_to_nine_specs_with_the_strength_substituted():
    spec = qheat.load_spec("fig13")
    raw = _library_toml("fig13")
    values = raw["sweep"]["values"]
    assert len(values) == 9
    points = expand(spec)
    assert len(points) == 9
    for point, value in zip(points, values):
        assert point.sweep is None
        assert point.system.coherence[0].strength == value
        assert point.system.coherence[0].pair == (1, 2)
        assert point.system.coherence[0].phase == raw["system"]["coherence"][0]["phase"]
        assert point.system.temperatures == tuple(raw["system"]["temperatures"])
        assert point.bath.temperature == raw["bath"]["temperature"]
        assert point.interaction.collisions == raw["interaction"]["collisions"]
        assert point.protocol == raw["protocol"]
    assert len({p.key() for p in points}) == 9


def test_expand_of_spec_without_sweep_is_itself():
    spec = qheat.load_spec("fig10")
    assert expand(spec) == [spec]


def test_sweep_of_interaction_field(write):
    sweep = '[sweep]\nparameter = "interaction.tau"\nvalues = [0.01, 0.02]\n'
    points = expand(qheat.load_spec(write(make_toml() + sweep)))
    assert [p.interaction.tau for p in points] == [0.01, 0.02]


@pytest.mark.parametrize(
    "parameter, named",
    [
        ("system.coherence.5.strength", "system.coherence.5"),
        ("system.nothing.strength", "system.nothing"),
        ("interaction.gamma", "gamma"),
        ("nowhere.at.all", "nowhere"),
    ],
)
def test_sweep_over_missing_path_is_refused(write, parameter, named):
    sweep = f'[sweep]\nparameter = "{parameter}"\nvalues = [0.1, 0.2]\n'
    message = refused(write(make_toml(coherence=pair(1, 2, 0.1)) + sweep))
    assert named in message


def test_sweep_into_unphysical_state_is_refused(write):
    sweep = '[sweep]\nparameter = "system.coherence.0.strength"\nvalues = [0.5, 1.5]\n'
    message = refused(write(make_toml(temperatures="[1.0, 1.0]", coherence=pair(1, 2, 0.0)) + sweep))
    assert "positive semidefinite" in message


def test_empty_sweep_is_refused(write):
    sweep = '[sweep]\nparameter = "interaction.tau"\nvalues = []\n'
    assert "sweep.values" in refused(write(make_toml() + sweep))


# ----------------------------------------------------------------------------- bad input

BAD = {
    "unknown protocol": (dict(protocol='"cascad"'), ["protocol", "cascad"]),
    "temperature zero": (dict(temperatures="[1.0, 0.0, 1.0]"), ["system.temperatures[1]", "> 0"]),
    "temperature negative": (dict(temperatures="[-1.0, 1.0, 1.0]"), ["system.temperatures[0]", "> 0"]),
    "temperature nan": (dict(temperatures="[1.0, 1.0, nan]"), ["system.temperatures[2]", "finite"]),
    "temperature inf": (dict(temperatures="[inf, 1.0, 1.0]"), ["system.temperatures[0]", "finite"]),
    "temperature -inf": (dict(temperatures="[1.0, -inf, 1.0]"), ["system.temperatures[1]", "finite"]),
    "temperature string": (dict(temperatures='[1.0, "hot", 1.0]'), ["system.temperatures[1]", "number"]),
    "no subsystems": (dict(temperatures="[]"), ["system.temperatures"]),
    "bath temperature zero": (dict(bath="[bath]\ntemperature = 0.0\n"), ["bath.temperature", "> 0"]),
    "bath temperature nan": (dict(bath="[bath]\ntemperature = nan\n"), ["bath.temperature", "finite"]),
    "bath temperature inf": (dict(bath="[bath]\ntemperature = inf\n"), ["bath.temperature", "finite"]),
    "pair out of range": (dict(coherence=pair(1, 4, 0.1)), ["system.coherence[0].pair", "4", "only 3"]),
    "pair index zero": (dict(coherence=pair(0, 2, 0.1)), ["system.coherence[0].pair", ">= 1"]),
    "p == q": (dict(coherence=pair(2, 2, 0.1)), ["system.coherence[0].pair", "itself"]),
    "p > q": (dict(coherence=pair(3, 1, 0.1)), ["system.coherence[0].pair", "lower index first"]),
    "duplicate pair": (
        dict(coherence=pair(1, 2, 0.1) + pair(1, 3, 0.1) + pair(1, 2, 0.2)),
        ["system.coherence[2].pair", "twice"],
    ),
    "order repeats": (dict(order="[1, 1, 2]"), ["interaction.order", "permutation"]),
    "order too short": (dict(order="[1, 2]"), ["interaction.order", "permutation"]),
    "order too long": (dict(order="[1, 2, 3, 4]"), ["interaction.order", "permutation"]),
    "order out of range": (dict(order="[1, 2, 4]"), ["interaction.order", "permutation"]),
    "order zero-based": (dict(order="[0, 1, 2]"), ["interaction.order"]),
    "order for simultaneous": (
        dict(protocol='"simultaneous"', order="[1, 2, 3]"),
        ["interaction.order", "simultaneous"],
    ),
    "collisions negative": (dict(collisions="-1"), ["interaction.collisions", ">= 0"]),
    "collisions fractional": (dict(collisions="1.5"), ["interaction.collisions", "whole number"]),
    "tau negative": (dict(tau="-0.01"), ["interaction.tau", ">= 0"]),
    "g nan": (dict(g="nan"), ["interaction.g", "finite"]),
    "unknown key typo": (dict(bath="[bath]\ntemprature = 0.9\n"), ["temprature", "[bath]"]),
    "unknown top-level key": (dict(extra='protocl = "cascade"\n'), ["protocl"]),
    "missing bath": (dict(bath=""), ["bath", "missing"]),
    "bath without temperature": (dict(bath="[bath]\n"), ["[bath]", "missing", "temperature"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_a_message_naming_the_problem(write, case):
    overrides, needles = BAD[case]
    message = refused(write(make_toml(**overrides)))
    for needle in needles:
        assert needle in message, (case, message)


@pytest.mark.parametrize("collisions", ["nan", "inf", "-inf"])
def test_non_finite_collisions_are_refused_with_qheat_error(write, collisions):
    """BUG: _integer() calls int(value) before checking finiteness: nan gives ValueError
    ('cannot convert float NaN to integer'), inf an OverflowError; neither is a QheatError,
    so the CLI prints a traceback."""
    message = refused(write(make_toml(collisions=collisions)))
    assert "interaction.collisions" in message


@pytest.mark.parametrize(
    "field, text",
    [
        ("order", dict(order="[1, 2, nan]")),
        ("pair", dict(coherence="[[system.coherence]]\npair = [1, inf]\nstrength = 0.1\n")),
    ],
)
def test_non_finite_integers_elsewhere_are_refused_with_qheat_error(write, field, text):
    """BUG (same root as above): every _integer() field crashes on nan/inf."""
    message = refused(write(make_toml(**text)))
    assert field in message


def test_huge_json_integer_is_refused_with_qheat_error(tmp_path):
    """BUG: a JSON spec with an integer too large for a float (JSON has no size limit) makes
    _number() raise OverflowError ('int too large to convert to float') instead of QheatError."""
    data = tomllib.loads(make_toml())
    data["system"]["temperatures"] = [10**400, 1.0, 1.0]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data))
    assert "system.temperatures[0]" in refused(path)


def test_malformed_toml_names_the_line(write):
    text = make_toml().replace("tau = 0.01", "tau = = 0.01")
    line = text.splitlines().index("tau = = 0.01") + 1
    message = refused(write(text))
    assert "TOML" in message
    assert f"line {line}" in message


def test_malformed_json_is_refused(write):
    assert "JSON" in refused(write('{"protocol": "cascade",', "bad.json"))


def test_json_that_is_not_a_table_is_refused(write):
    refused(write("[1, 2, 3]", "list.json"))


def test_missing_file_and_unknown_name_are_refused(tmp_path):
    assert "does not exist" in refused(tmp_path / "nope.toml")
    assert "does not exist" in refused(tmp_path / "nope.json")
    message = refused("no-such-spec")
    assert "no-such-spec" in message and "qheat list" in message


# ----------------------------------------------------------------------------- positivity
#
# A single pair (p, q): the state restricted to {|0_p 1_q>, |1_p 0_q>} (times the other factors)
# is [[P0_p P1_q, c s], [c* s, P1_p P0_q]] with s = sqrt(P0_p P1_p P0_q P1_q). Its determinant is
# s^2 (1 - |c|^2), so the largest allowed strength is |c| = 1 at any temperatures and phase.
#
# Three pairs with equal c at equal temperatures: in the one-excitation (and two-excitation)
# sector the normalised state is I + c (J - I) (J all ones); J - I has eigenvalues 2, -1, -1,
# so for c = -s (phase pi) the smallest eigenvalue is 1 - 2 s: strengths up to 1/2 are allowed.


def _numbers_after(pattern: str, message: str) -> list[float]:
    return [float(x) for x in re.findall(pattern + r"\s*([-+0-9.eE]+)", message)]


@pytest.mark.parametrize(
    "temperatures, strength, phase",
    [
        ("[1.0, 1.0]", 1.5, math.pi),
        ("[1.0, 1.0]", 1.01, 0.0),
        ("[1.0, 0.5]", 2.0, 0.7),
        ("[0.3, 2.0, 1.0]", 1.2, -2.0),
    ],
)
def test_non_psd_single_pair_names_the_largest_allowed_strength(write, temperatures, strength, phase):
    message = refused(write(make_toml(temperatures=temperatures, coherence=pair(1, 2, strength, phase))))
    assert "positive semidefinite" in message
    allowed = _numbers_after("at most", message)
    assert allowed and allowed[0] == pytest.approx(1.0, rel=1e-5), message


def test_single_pair_at_the_bound_is_accepted(write):
    spec = qheat.load_spec(write(make_toml(temperatures="[1.0, 1.0]", coherence=pair(1, 2, 1.0, math.pi))))
    assert spec.system.coherence[0].strength == 1.0


def test_non_psd_three_pairs_names_each_allowed_strength(write):
    coherence = pair(1, 2, 0.6, math.pi) + pair(1, 3, 0.6, math.pi) + pair(2, 3, 0.6, math.pi)
    message = refused(write(make_toml(coherence=coherence)))
    assert "positive semidefinite" in message
    for label in ("c_12", "c_13", "c_23"):
        bound = _numbers_after(re.escape(f"|{label}| <="), message)
        assert bound and bound[0] == pytest.approx(0.5, rel=1e-5), message


def test_three_pairs_at_the_bound_are_accepted(write):
    # fig3-reversed sits exactly at the bound 1/2 derived above
    coherence = pair(1, 2, 0.5, math.pi) + pair(1, 3, 0.5, math.pi) + pair(2, 3, 0.5, math.pi)
    qheat.load_spec(write(make_toml(coherence=coherence)))
