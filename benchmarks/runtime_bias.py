"""The bias of each mitigation on fake IBM devices, free of shot noise: Fig. 3 in mode 'reprepare' with
every state computed instead of sampled.

    PYTHONPATH=src python benchmarks/runtime_bias.py [--collisions 100] [--plan fake:torino,fake:sherbrooke]

Each run's circuits are exactly those qheat sends to the device (star layout, preparation through R,
phase-dephased bath refresh, folded two-qubit gates for ZNE), simulated as density matrices with the
fake device's own noise model (Aer's ``AerSimulator.from_backend`` on the device restricted to the
layout, as Runtime local mode does). Each run prepares the previous run's (extrapolated, positive)
state, as ``collect`` does with fitted states. What this leaves out: shot noise (measured separately by
``runtime_mitigation.py``), the noise of the single-qubit measurement rotations and readout errors
(readout mitigation removes the latter in expectation). 'ideal' runs the same circuits without noise:
it checks the circuits themselves (star preparation, phase dephasing) against the exact engine.

Writes ``benchmarks/runtime_bias.json`` (a line per configuration) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import qheat
from qheat.mitigation.zne import fold_gates
from qheat.physics.tomography import physical, richardson_weights
from qheat.protocols.cascade.analysis import analyze, system_columns
from qheat.protocols.cascade.circuits import CascadeCircuits, branches
from qheat.protocols.cascade.devices import runtime_backend
from qheat.protocols.cascade.exact import simulate

SETTINGS = {"ideal": None, "none": (1,), "zne13": (1, 3), "zne135": (1, 3, 5)}


def chain(
    spec, backend: str, factors: tuple[int, ...] | None, every: int, mode: str = "reprepare", noise: str = "full"
) -> tuple[list[int], np.ndarray]:
    """Energies E_k (records, n) of the shot-free reprepare chain, or of mode 'reset' (one deep circuit, the
    collision model's segments only: cascade order); ``factors`` None = noiseless circuits."""
    from qiskit_aer import AerSimulator

    be = runtime_backend(spec, backend)
    cc = CascadeCircuits(spec, be.compile, "phase")
    if factors is None:
        sim = AerSimulator(method="density_matrix")
    elif noise == "full":
        sim = AerSimulator.from_backend(be.executor, method="density_matrix")
    else:  # the device's noise model with one part switched off (the fake backend's own builder)
        from qiskit_aer.noise import NoiseModel

        model = NoiseModel.from_backend(
            be.executor, thermal_relaxation=noise != "no-relaxation", gate_error=noise != "relaxation-only"
        )
        sim = AerSimulator(method="density_matrix", noise_model=model)
    factors = factors or (1,)
    weights = richardson_weights(factors)
    inverses: dict = {}  # each gate's inverse written once for every folded circuit
    n = spec.n
    steps = list(range(0, 3 * spec.interaction.collisions + 1, every))

    def run(rho, start, stop):
        circuits, w = [], []
        for wb, prep in branches(spec, rho, True):
            m = cc.refreshes(start, stop)
            for i in range(2**m):
                pattern = tuple((i >> r) & 1 for r in range(m))
                qc = cc.evolve(cc.start(prep, snapshot=False), start, stop, snapshot=False, phases=pattern)
                for f, wf in zip(factors, weights):
                    c = fold_gates(qc, f, be.layout_target, inverses)
                    c.save_density_matrix(list(range(n)))
                    circuits.append(c)
                    w.append(wb / 2**m * wf)
        data = sim.run(circuits).result()
        return sum(wi * np.asarray(data.data(i)["density_matrix"]) for i, wi in enumerate(w))

    rho0 = spec.initial_state()
    if mode == "reset":  # one circuit per branch, saved at every record; R dephased by its channel
        from qheat.protocols.cascade.circuits import DEPHASING

        reset_ry, _ = cc.refresh["phase"]
        circuits, w = [], []
        for wb, prep in branches(spec, rho0, True):
            qc = cc.start(prep, snapshot=True)
            for step in range(steps[-1]):
                if step in steps:
                    qc.save_density_matrix(list(range(n)), label=f"s{step}")
                if step % n == 0:
                    qc.compose(reset_ry, qubits=range(n + 1), inplace=True)
                    qc.append(DEPHASING, [n])
                qc.compose(cc.segments[step % n][0], qubits=range(n + 1), inplace=True)
            qc.save_density_matrix(list(range(n)), label=f"s{steps[-1]}")
            for f, wf in zip(factors, weights):
                circuits.append(fold_gates(qc, f, be.layout_target, inverses))
                w.append(wb * wf)
        data = sim.run(circuits).result()
        states = [sum(wi * np.asarray(data.data(i)[f"s{k}"]) for i, wi in enumerate(w)) for k in steps]
        return steps, system_columns(physical(np.stack(states)), spec)["energy_k"]
    states = [run(rho0, 0, 0)]
    prepared = rho0
    for start, stop in zip(steps, steps[1:]):
        lin = run(prepared, start, stop)
        states.append(lin)
        prepared = physical(lin)
    return steps, system_columns(physical(np.stack(states)), spec)["energy_k"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--collisions", type=int, default=100)
    p.add_argument("--every", type=int, default=3)
    p.add_argument("--plan", default="fake:torino,fake:sherbrooke")
    p.add_argument("--settings", default="ideal,none,zne13,zne135")
    p.add_argument("--specs", default="fig3-zero,fig3-reversed,fig3-enhanced")
    p.add_argument("--mode", default="reprepare", choices=["reprepare", "reset"])
    p.add_argument(
        "--noise",
        default="full",
        choices=["full", "no-relaxation", "relaxation-only"],
        help="switch off a part of the device's noise model (diagnosis: which part ZNE leaves)",
    )
    p.add_argument("--out", default=str(Path(__file__).with_name("runtime_bias.json")))
    a = p.parse_args()
    for backend in a.plan.split(","):
        for name in a.specs.split(","):
            spec = qheat.load_spec(name)
            data = spec.to_dict()
            data["interaction"]["collisions"] = a.collisions
            spec = qheat.spec_from_dict(data)
            exact = analyze(simulate(spec), spec).data
            for setting in a.settings.split(","):
                started = time.time()
                steps, e_k = chain(spec, backend, SETTINGS[setting], a.every, a.mode, a.noise)
                heat = {}
                for c in sorted(c for c in {10, 30, a.collisions} if spec.n * c in steps):  # on the run grid
                    i = steps.index(spec.n * c)
                    want = [
                        float(np.asarray(s["energy"])[spec.n * c] - np.asarray(s["energy"])[0])
                        for s in exact["subsystems"]
                    ]
                    got = [float(e_k[i, k] - e_k[0, k]) for k in range(spec.n)]
                    heat[c] = {"heat": got, "exact": want, "abs_error": [abs(x - y) for x, y in zip(got, want)]}
                row = {
                    "backend": backend,
                    "spec": name,
                    "mitigation": setting,
                    "mode": a.mode,
                    "every": a.every,
                    "noise": a.noise,
                    "heat_at_collisions": heat,
                    "seconds": round(time.time() - started, 1),
                }
                with open(a.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
                for c, h in heat.items():
                    print(
                        f"{backend:16s} {name:14s} {setting:7s} {a.mode:9s} {a.noise:15s} c={c:3d} heat "
                        + " ".join(f"{x:+.4f}" for x in h["heat"])
                        + "  exact "
                        + " ".join(f"{x:+.4f}" for x in h["exact"])
                        + "  |err| "
                        + " ".join(f"{x:.4f}" for x in h["abs_error"]),
                        flush=True,
                    )


if __name__ == "__main__":
    sys.exit(main())
