"""Time a 100-point DeltaT sweep of seed 004 with both master equations (global Lindblad and
Bloch-Redfield), against the plain QuTiP loop a user would write, in the same run.

Target (issue): the sweep in under 10 s. The baseline builds ``qutip.bloch_redfield_tensor``
twice per point (secular and not) and calls ``qutip.steadystate`` with its default solver; its
currents must agree with qheat's to 1e-8 or the comparison is void.

    python3 benchmarks/bench_reservoirs.py [--points 100] [--repeat 3]

Exit code 1 if the target is missed or the baseline disagrees.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import qutip as qt

import qheat
from qheat.physics.open_systems import SIGMA_X, hamiltonian, on_qubit, power_spectrum
from qheat.protocols.registry import spec_from_dict

TARGET_S = 10.0


def sweep_spec(points: int) -> dict:
    return {
        "protocol": "reservoirs",
        "name": "bench-ndtc",
        "methods": ["lindblad", "redfield"],
        "system": {"frequencies": [5.0, 5.0], "coupling": "xx", "strength": 0.1},
        "reservoirs": {
            "temperatures": [5.0, 5.0],
            "strengths": [0.01, 0.01],
            "spectral_density": "ohmic-drude",
            "cutoff": 50.0,
            "coupling": "sigma_x",
        },
        "sweep": {"parameter": "reservoirs.temperatures.0", "values": list(5.0 + np.linspace(0.0, 40.0, points))},
    }


def baseline(spec) -> dict[str, list[float]]:
    """The same currents with the QuTiP calls a user would make, one point at a time."""
    out: dict[str, list[float]] = {"lindblad": [], "redfield": []}
    for point in qheat.core.spec.expand(spec):
        h = hamiltonian(point.system)
        a_ops = [
            (on_qubit(SIGMA_X, 0, 2), power_spectrum(point.reservoirs, 0)),
            (on_qubit(SIGMA_X, 1, 2), power_spectrum(point.reservoirs, 1)),
        ]
        for method, cutoff in (("lindblad", 1e-6), ("redfield", -1)):
            rho = qt.steadystate(qt.bloch_redfield_tensor(h, a_ops, sec_cutoff=cutoff, fock_basis=True))
            r_a = qt.bloch_redfield_tensor(h, a_ops[:1], sec_cutoff=cutoff, fock_basis=True)
            out[method].append(float(np.real((h * qt.vector_to_operator(r_a * qt.operator_to_vector(rho))).tr())))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = spec_from_dict(sweep_spec(args.points))
    qheat.run(spec_from_dict(sweep_spec(3)))  # warm-up
    times, base_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = qheat.run(spec).to_dict()
        times.append(time.perf_counter() - t0)
    for _ in range(max(1, args.repeat // 3)):
        t0 = time.perf_counter()
        ref = baseline(spec)
        base_times.append(time.perf_counter() - t0)
    worst = max(np.abs(np.array(result["summary"]["heat_current_A"][m]) - np.array(ref[m])).max() for m in ref)
    qheat_s, base_s = statistics.median(times), statistics.median(base_times)
    ndtc = result["summary"]["ndtc"]
    print(
        f"{args.points}-point DeltaT sweep, lindblad + redfield: qheat {qheat_s:.2f} s (min {min(times):.2f}), "
        f"plain QuTiP loop {base_s:.2f} s, speed-up {base_s / qheat_s:.1f}x; max |current difference| {worst:.1e}"
    )
    print(
        f"NDTC: lindblad {ndtc['lindblad']['present']}, redfield {ndtc['redfield']['present']} "
        f"(peak at DeltaT = {ndtc['redfield']['peak_at']:g})"
    )
    status = 0
    if worst > 1e-8:
        print(f"CHECK FAILED: baseline and qheat differ by {worst:.2e}")
        status = 1
    if qheat_s >= TARGET_S:
        print(f"TARGET MISSED: {qheat_s:.2f} s >= {TARGET_S} s")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
