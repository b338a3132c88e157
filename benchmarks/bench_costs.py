"""The cost guard's time model against measured run times: measured / estimated for small reference runs
of every protocol (``qheat.core.limits``; ``Protocol.cost``), and the time a refusal takes beside the time a
small run takes (both in this process, so the ratio does not depend on the machine's load).

    python benchmarks/bench_costs.py            # exact runs (a minute)
    python benchmarks/bench_costs.py --aer      # also two small Aer runs

The estimates are meant to be within a factor ~10 either way (they decide refusals of runs of hours,
not of seconds); the refusal of a huge spec should cost less than a small run.
"""

from __future__ import annotations

import sys
import time

from qheat import engine
from qheat.core.errors import QheatError
from qheat.protocols.registry import load_spec, spec_from_dict

CASCADE = {
    "protocol": "cascade",
    "system": {"temperatures": [1.0, 1.0, 1.0]},
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 200},
}


def timed(spec, backend: str) -> tuple[float, float]:
    plan = engine.prepare(spec, backend, allow_large=True)
    start = time.perf_counter()
    engine.run_plan(plan)
    return time.perf_counter() - start, plan.cost.seconds


def main() -> None:
    cases = [
        ("cascade n=3, 200 collisions", spec_from_dict(CASCADE), "exact"),
        (
            "cascade n=8, 3 collisions",
            spec_from_dict(
                {
                    **CASCADE,
                    "system": {"temperatures": [1.0] * 8},
                    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 3},
                }
            ),
            "exact",
        ),
        ("heat-transfer ma-fig1b", load_spec("ma-fig1b"), "exact"),
        ("phase diagram ma-fig2a", load_spec("ma-fig2a"), "exact"),
        ("correlated-pair holdsworth-fig1", load_spec("holdsworth-fig1"), "exact"),
        ("reservoirs zhang-fig2", load_spec("zhang-fig2"), "exact"),
        ("heat-pump holdsworth-pump", load_spec("holdsworth-pump"), "exact"),
    ]
    if "--aer" in sys.argv:
        small = load_spec("fig10")
        cases += [("cascade fig10", small, "aer"), ("heat-transfer ma-fig1b", load_spec("ma-fig1b"), "aer")]
    print(f"{'run':36s} {'backend':8s} {'measured':>9s} {'estimated':>9s} {'ratio':>6s}")
    for label, spec, backend in cases:
        measured, estimated = timed(spec, backend)
        print(f"{label:36s} {backend:8s} {measured:8.2f}s {estimated:8.2f}s {measured / estimated:6.2f}", flush=True)
    huge = {**CASCADE, "interaction": {"g": 20.0, "tau": 0.01, "collisions": 1000000}}
    start = time.perf_counter()
    try:
        engine.prepare(spec_from_dict(huge), "exact")
    except QheatError:
        pass
    refusal = time.perf_counter() - start
    small_run, _ = timed(
        spec_from_dict({**CASCADE, "interaction": {"g": 20.0, "tau": 0.01, "collisions": 20}}), "exact"
    )
    print(f"refusing 10^6 collisions: {refusal:.3f} s = {refusal / small_run:.2f} x a 20-collision run")


if __name__ == "__main__":
    main()
