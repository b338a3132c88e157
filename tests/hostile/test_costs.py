"""The cost guard (``qheat.core.limits``, ``Protocol.cost``) and the cascade's positivity check by sectors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import qheat
from qheat import engine
from qheat.core.limits import GIB, Cost, Limits, guard, limits_from_dict, matrix_bytes, refusal
from qheat.physics.states import PairCoherence, coherent_state, max_coherence_scale
from qheat.protocols.cascade.positivity import check_positive, coherence_scale, smallest_eigenvalue
from qheat.protocols.registry import bundled_names, load_spec, spec_from_dict

CASCADE = {
    "protocol": "cascade",
    "system": {"temperatures": [1.0, 1.0]},
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 2},
}


def test_sizes_are_the_arrays_they_name():
    assert matrix_bytes(1) == 16 * 4 and matrix_bytes(14) == 4 * GIB  # the 4.00 GiB array of 14 spins
    spec = spec_from_dict({"protocol": "heat-transfer", "phase_diagram": {"a": [1.0, 2.0], "points": 101}})
    cost = qheat.core.protocol.Protocol.cost  # the default: a small run
    assert engine.prepare(spec, "exact").cost.memory == 4 * 8 * 101**2 * 2 and cost


def test_sweep_cost_is_the_sum_of_its_points_and_the_largest_array():
    spec = spec_from_dict({**CASCADE, "sweep": {"parameter": "interaction.collisions", "values": [1, 10, 100]}})
    plan = engine.prepare(spec, "exact")
    one = [engine.prepare(p, "exact").cost for p in plan.points]
    assert plan.cost.seconds == pytest.approx(sum(c.seconds for c in one))
    assert plan.cost.memory == max(c.memory for c in one) and plan.cost.points == 3
    # estimates grow linearly with the work: 90 more collisions cost 10 times 9 more
    assert one[2].seconds - one[1].seconds == pytest.approx(10 * (one[1].seconds - one[0].seconds))


def test_guard_names_the_size_the_estimate_and_the_override():
    cost = Cost(memory=5 * GIB, array="a big matrix", seconds=7200.0, circuits=3, shots=4 * 10**9)
    with pytest.raises(qheat.QheatError) as err:
        guard(cost, None, False, "x")
    text = str(err.value)
    assert "memory 5 GiB" in text and "~2 h" in text and "4e+09 shots" in text and "--allow-large" in text
    guard(cost, None, True, "x")  # overridden
    guard(cost, Limits(memory_gib=8, seconds=8000, shots=1e10), False, "x")  # a [limits] table above it
    assert refusal(Cost(seconds=1.0), Limits()) == ""


def test_limits_table_round_trips_and_is_strict():
    spec = spec_from_dict({**CASCADE, "limits": {"seconds": 10, "memory_gib": 0.5}})
    assert spec.limits == Limits(memory_gib=0.5, seconds=10.0)
    assert spec_from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert "limits" not in spec_from_dict(CASCADE).to_dict()  # golden specs unchanged
    for bad in ({"seconds": -1}, {"seconds": "1"}, {"minutes": 1}, [1]):
        with pytest.raises(qheat.QheatError):
            limits_from_dict(bad)


def test_allow_large_runs_what_the_limits_refuse():
    spec = spec_from_dict({**CASCADE, "limits": {"seconds": 1e-9}})
    with pytest.raises(qheat.QheatError, match="allow-large"):
        qheat.run(spec)
    assert qheat.run(spec, allow_large=True).to_dict()["subsystems"]


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_spec_is_within_the_limits_on_exact(name):
    assert engine.prepare(load_spec(name), "exact").cost.seconds < Limits().seconds


def test_a_long_accepted_run_says_its_estimate():
    import logging

    spec = spec_from_dict({**CASCADE, "interaction": {"g": 20.0, "tau": 0.01, "collisions": 0}})
    plan = engine.prepare(spec, "exact")
    plan = engine.Plan(plan.spec, plan.proto, plan.backend, plan.points, Cost(seconds=100.0, array="x"))
    lines: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("qheat")
    logger.addHandler(handler)
    try:
        engine.run_plan(plan)
        engine.run_plan(engine.prepare(spec, "exact"))  # a short run says nothing
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 1 and "estimated" in lines[0] and "~1.67 min" in lines[0]


# ----------------------------------------------------------------------------- positivity by sectors


def _random_case(rng):
    n = int(rng.integers(2, 6))
    temps = list(rng.uniform(0.05, 3.0, n))
    pairs = [(p, q) for p in range(n) for q in range(p + 1, n) if rng.random() < 0.6] or [(0, 1)]
    return temps, [PairCoherence(p, q, complex(*rng.normal(0.0, 0.4, 2))) for p, q in pairs]


def test_sector_scale_and_eigenvalue_agree_with_the_dense_matrix():
    """An independent method: the 2^n x 2^n state of Eq. (S4) diagonalised whole."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        temps, coh = _random_case(rng)
        dense, sectors = max_coherence_scale(temps, coh), coherence_scale(temps, coh)
        assert dense == sectors == math.inf or sectors == pytest.approx(dense, rel=1e-9)
        assert smallest_eigenvalue(temps, coh) == pytest.approx(
            np.linalg.eigvalsh(coherent_state(temps, coh)).min(), abs=1e-12
        )


def test_sector_check_keeps_the_single_pair_bound_and_the_boundary():
    # one pair: PSD iff |c| <= 1 at any temperatures; Fig. 3's c = -0.5 on three spins sits on the boundary
    check_positive([1.0, 0.3], [PairCoherence(0, 1, 1.0)])
    with pytest.raises(qheat.QheatError, match=r"at most 1\b"):
        check_positive([1.0, 0.3], [PairCoherence(0, 1, 1.01)])
    check_positive([1.0] * 3, [PairCoherence(p, q, -0.5) for p, q in ((0, 1), (0, 2), (1, 2))])
    with pytest.raises(qheat.QheatError, match="not positive semidefinite"):
        check_positive([1.0] * 3, [PairCoherence(p, q, -0.51) for p, q in ((0, 1), (0, 2), (1, 2))])


def test_twelve_spins_are_checked_without_the_dense_state():
    coherences = [{"pair": [p, q], "strength": 0.05} for p in range(1, 13) for q in range(p + 1, 13)]
    spec = spec_from_dict({**CASCADE, "system": {"temperatures": [1.0] * 12, "coherence": coherences}})
    assert spec.n == 12
