"""Seed 004's question with a numerically exact method: does the NDTC of Figs. 5-6 survive HEOM?

For each bundled zhang-fig5/fig6 spec, the current J_1 from reservoir 1 along T_1 = 5 + DeltaT (T_2 = 5) from
the global Lindblad, Bloch-Redfield and HEOM (QuTiP HEOMSolver, Drude-Lorentz baths of the same J(w)) steady
states, and whether each shows negative differential thermal conductance (the current falls while DeltaT grows).
Prints a Markdown table (docs/studies/heom.md holds one run).

    python benchmarks/heom_ndtc_study.py [--depth 2] [--terms 6] [--points 11] [SPEC ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qheat.physics import heom, open_systems
from qheat.protocols.registry import load_spec

DEFAULT = [
    "zhang-fig5-eps5.0-g0.05",
    "zhang-fig5-eps5.0-g0.2",
    "zhang-fig5-eps4.0-g0.1",
    "zhang-fig6-gamma0.01",
    "zhang-fig6-gamma0.03",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="*", default=DEFAULT)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--terms", type=int, default=6)
    ap.add_argument("--points", type=int, default=11, help="temperatures per spec, spread over its sweep")
    args = ap.parse_args()
    print(f"HEOM depth {args.depth}, {args.terms} Pade terms per bath\n")
    print("| spec | DeltaT range | method | J_1 at peak | peak at DeltaT | J_1 at largest DeltaT | NDTC |")
    print("|---|---|---|---|---|---|---|")
    checks = []
    for name in args.specs:
        spec = load_spec(name)
        values = np.asarray(spec.sweep.values, dtype=float)
        temps = values[np.linspace(0, len(values) - 1, args.points).round().astype(int)]
        start = time.perf_counter()
        rows: dict[str, list[float]] = {"lindblad": [], "redfield": [], "heom": []}
        for t1 in temps:
            res = type(spec.reservoirs)(
                (float(t1), spec.reservoirs.temperatures[1]),
                spec.reservoirs.strengths,
                spec.reservoirs.spectral_density,
                spec.reservoirs.cutoff,
                spec.reservoirs.coupling,
            )
            for method in ("lindblad", "redfield"):
                rows[method].append(open_systems.steady_state(method, spec.system, res).heat_currents[0])
            rows["heom"].append(heom.steady_state(spec.system, res, args.depth, args.terms).heat_currents[0])
        bias = temps - spec.reservoirs.temperatures[1]
        for method, q in rows.items():
            nd = open_systems.negative_differential_conductance(bias, np.array(q))
            print(
                f"| {name} | {bias[0]:g}-{bias[-1]:g} | {method} | {nd['peak_current']:.5g} | {nd['peak_at']:g} | "
                f"{q[-1]:.5g} | {'yes' if nd['present'] else 'no'} |"
            )
        deeper = heom.steady_state(spec.system, res, args.depth + 1, args.terms + 1).heat_currents[0]
        checks.append(
            f"{name}: J_1 at DeltaT = {bias[-1]:g}: {rows['heom'][-1]:.6g} (depth {args.depth}, "
            f"{args.terms} terms), {deeper:.6g} (depth {args.depth + 1}, {args.terms + 1} terms); "
            f"{time.perf_counter() - start:.1f} s"
        )
    print("\nConvergence at the largest DeltaT of each spec:")
    for line in checks:
        print(f"- {line}")


if __name__ == "__main__":
    main()
