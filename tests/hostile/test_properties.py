"""Property-based: a generated spec of any protocol is refused in one line (QheatError) or runs on 'exact'
within its limits, and what runs obeys the physics each result reports.

Specs are drawn with tiny sizes and hostile numbers mixed in (huge, tiny, negative, whole-number floats,
wrong types). Invariants checked on what runs: energy conservation of each interaction (cascade: system
energy lost = heat received by the bath; heat-transfer: <H_A + H_B + H_I> constant), populations in
[0, 1] and entropies in [0, n ln 2], steady-state heat balance (reservoirs: J_A + J_B = 0), the pair's
concurrence in [0, 1] and mutual information in [0, 2 ln 2]. Profiles: tests/hostile/conftest.py ("ci"
by default, "slow" for a long search, which is also marked slow below).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qheat import engine
from qheat.core.errors import QheatError
from qheat.core.records import jsonable
from qheat.protocols.registry import spec_from_dict

LN2 = math.log(2.0)
TOL = 1e-9

hostile = st.sampled_from([0.0, -1.0, 1e300, 1e-300, 1e12, float("nan"), "1", None, True, 2.0, [1.0], {}])


def num(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False)


def integer(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() if k != "protocol" for leaf in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*path, i))]
    return [path]


def poisoned(specs: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """Half the specs as drawn, half with one value replaced by something hostile (huge, tiny, negative,
    NaN, a whole-number float, a string, a list, a table)."""

    @st.composite
    def draw_one(draw) -> dict[str, Any]:
        data = draw(specs)
        if draw(st.booleans()):
            leaves = _leaves(data)
            path = leaves[draw(st.integers(0, len(leaves) - 1))]
            node = data
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = draw(hostile)
        return data

    return draw_one()


@st.composite
def cascade(draw) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    temps = [draw(num(0.05, 5.0)) for _ in range(n)]
    coherence = [
        {"pair": [p, q], "strength": draw(num(-0.7, 0.7)), "phase": draw(num(-4.0, 4.0))}
        for p in range(1, n + 1)
        for q in range(p + 1, n + 1)
        if draw(st.booleans())
    ]
    return {
        "protocol": draw(st.sampled_from(["cascade", "simultaneous"])),
        "system": {"temperatures": temps, "coherence": coherence},
        "bath": {"temperature": draw(num(0.05, 5.0))},
        "interaction": {"g": draw(num(-30.0, 30.0)), "tau": draw(num(0.0, 0.1)), "collisions": draw(integer(0, 4))},
    }


@st.composite
def heat_transfer(draw) -> dict[str, Any]:
    qubits = [
        {"label": "A1", "system": "A", "frequency": draw(num(0.0, 3.0)), "temperature": draw(num(0.1, 5.0))},
        {"label": "B", "system": "B", "frequency": draw(num(0.0, 3.0)), "temperature": draw(num(0.1, 5.0))},
    ]
    term = {
        "ops": {"A1": "+", "B": draw(st.sampled_from(["-", "+", "X"]))},
        "coefficient": draw(num(-1.0, 1.0)),
        "hermitian_conjugate": True,
    }
    return {
        "protocol": "heat-transfer",
        "qubits": qubits,
        "interaction": [term],
        "allow_nonconserving": True,
        "evolution": {"t_max": draw(num(0.1, 20.0)), "points": draw(integer(2, 12))},
    }


@st.composite
def correlated_pair(draw) -> dict[str, Any]:
    return {
        "protocol": "correlated-pair",
        "qubits": {"temperatures": [draw(num(0.1, 5.0)), draw(num(0.1, 5.0))]},
        "correlation": {"strength": draw(num(0.0, 1.0)), "phase": draw(num(-4.0, 4.0))},
        "coupling": {"strength": draw(num(0.01, 1.0)), "phase": draw(num(-4.0, 4.0))},
        "evolution": {"t_max": draw(num(0.1, 30.0)), "points": draw(integer(2, 12))},
    }


@st.composite
def reservoirs(draw) -> dict[str, Any]:
    two = draw(st.booleans())
    system: dict[str, Any] = {"frequencies": [draw(num(0.5, 5.0))] + ([draw(num(0.5, 5.0))] if two else [])}
    if two:
        system["strength"] = draw(num(0.0, 0.3))
    return {
        "protocol": "reservoirs",
        "system": system,
        "reservoirs": {
            "temperatures": [draw(num(0.1, 5.0)), draw(num(0.1, 5.0))],
            "strengths": [draw(num(0.0, 0.05)), draw(num(0.001, 0.05))],
        },
        "methods": draw(st.sampled_from([["lindblad"], ["local"], ["lindblad", "redfield"]])),
    }


@st.composite
def heat_pump(draw) -> dict[str, Any]:
    return {
        "protocol": "heat-pump",
        "qubits": {"temperatures": [draw(num(1.0, 3.0)), draw(num(0.3, 1.0))]},
        "coupling": {"strength": draw(num(0.05, 0.5)), "phase": draw(num(-2.0, 2.0))},
        "baths": {"kappa": [draw(num(0.01, 0.1)), draw(num(0.01, 0.1))], "dt": 0.5, "relax_time": draw(num(2.0, 10.0))},
        "cycles": draw(integer(1, 2)),
    }


def refused_or_run(data: dict[str, Any]) -> dict[str, Any] | None:
    """The result of ``data`` on 'exact', or None when it is refused in one line."""
    try:
        plan = engine.prepare(spec_from_dict(data), "exact")
    except QheatError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None
    try:
        return jsonable(engine.run_plan(plan).to_dict())
    except QheatError as exc:  # a refusal found during the run (e.g. a coupling time shorter than dt)
        assert "\n" not in str(exc) and str(exc)
        return None


def in_unit(values: Any) -> bool:
    a = np.asarray([v for v in np.ravel(values) if v is not None], dtype=float)
    return bool(np.all(a >= -TOL) and np.all(a <= 1 + TOL))


@given(poisoned(cascade()))
def test_cascade(data):
    result = refused_or_run(data)
    if result is None:
        return
    n = len(result["subsystems"])
    system, bath = result["system"], result["bath"]
    # each partial SWAP conserves H_S + H_R: what the system loses the bath particles receive
    assert system["heat_absorbed"] == pytest.approx(-bath["heat_received"][-1], abs=1e-9)
    assert system["heat_absorbed"] == pytest.approx(sum(s["heat_absorbed"] for s in result["subsystems"]), abs=1e-9)
    assert all(-TOL <= s <= n * LN2 + TOL for s in system["entropy"])
    for sub in result["subsystems"]:  # E_k = delta (P1 - 1/2): populations in [0, 1]
        assert in_unit(np.asarray(sub["energy"]) / data["system"].get("delta", 1.0) + 0.5)
        assert all(m >= -TOL for m in sub["mutual_information_with_bath"])


@given(poisoned(heat_transfer()))
def test_heat_transfer(data):
    result = refused_or_run(data)
    if result is None:
        return
    e = result["energies"]
    total = np.add(np.add(e["H_A"], e["H_B"]), e["H_I"])
    assert np.allclose(total, total[0], atol=1e-9 * max(1.0, np.abs(total).max()))  # closed system: H conserved
    if result["conserving"]:  # [H_I, H_A + H_B] = 0: the heat into B is the energy A lost
        assert np.allclose(result["heat"], np.asarray(e["H_B"]) - e["H_B"][0], atol=1e-9)
    assert result["heat_transfer_equation"]["max_residual"] < 1e-6


@given(poisoned(correlated_pair()))
def test_correlated_pair(data):
    result = refused_or_run(data)
    if result is None:
        return
    assert in_unit(result["concurrence"])
    assert all(-TOL <= i <= 2 * LN2 + TOL for i in result["mutual_information"])
    assert np.allclose(result["sed"], result["sed_closed_form"], atol=1e-9)


@given(poisoned(reservoirs()))
def test_reservoirs(data):
    result = refused_or_run(data)
    if result is None:
        return
    for method, r in result["methods"].items():
        j = r["heat_current"]
        scale = max(abs(j["A"]), abs(j["B"]), 1e-300)
        assert abs(j["A"] + j["B"]) <= 1e-6 * scale + 1e-12, method  # steady state: what A gives, B takes
        if not r.get("negative_populations"):
            assert in_unit(r["populations"])


@settings(max_examples=5)
@given(poisoned(heat_pump()))
def test_heat_pump(data):
    result = refused_or_run(data)
    if result is None:
        return
    assert in_unit(result["concurrence"])
    assert all(-TOL <= i <= 2 * LN2 + TOL for i in result["mutual_information"])


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(poisoned(st.one_of(cascade(), heat_transfer(), correlated_pair(), reservoirs())))
def test_every_protocol_long_search(data):
    refused_or_run(data)
