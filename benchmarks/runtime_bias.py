"""The bias of each mitigation on fake IBM devices, free of shot noise: Fig. 3 in mode 'reprepare' with
every state computed instead of sampled.

    PYTHONPATH=src python benchmarks/runtime_bias.py [--collisions 100] [--plan fake:torino,fake:sherbrooke]
        [--settings ideal,none,zne13,zne135,twirled,pec,pea135]

Each run's circuits are exactly those qheat sends to the device (star layout, preparation through R,
phase-dephased bath refresh, folded two-qubit gates for ZNE), simulated as density matrices with the
fake device's own noise model (Aer's ``AerSimulator.from_backend`` on the device restricted to the
layout, as Runtime local mode does). Each run prepares the previous run's (extrapolated, positive)
state, as ``collect`` does with fitted states. What this leaves out: shot noise (measured separately by
``runtime_mitigation.py``), the noise of the single-qubit measurement rotations and readout errors
(readout mitigation removes the latter in expectation). 'ideal' runs the same circuits without noise:
it checks the circuits themselves (star preparation, phase dephasing) against the exact engine.

Settings ``twirled``, ``pec`` and ``pea135`` (``--settings twirled,pec,pea135``; mode reprepare, full
noise) model Runtime's executor Estimator in expectation (``qheat.mitigation.expected``): the same circuits
boxed and Pauli-twirled as the Estimator boxes them, each box's noise from the device's noise model, and
the learned layers (what a perfect learner would find) inverted (PEC) or amplified to factors 1, 3, 5 and
extrapolated by Richardson's weights in the state (PEA). PEC and PEA leave the terminal box (the dressing
undoing the last twirl, no entangler) noisy; ``trex-pec`` and ``trex-pea135`` add TREX, which takes that
noise with the readout's (to first order, as readout mitigation is assumed to for the Sampler chain). No
sampling of PEC's quasi-probabilities: what infinitely many shots would give.

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
# Estimator techniques in expectation (qheat.mitigation.expected); trex-: with TREX taking the terminal
# dressing's noise with the readout's
BOXED = ("twirled", "pec", "pea135", "trex-pec", "trex-pea135")
PEA_FACTORS = (1, 3, 5)


def boxed_chain(
    spec, backend: str, techniques: list[str], every: int, layout: tuple[int, ...] | None = None
) -> dict[str, tuple[list[int], np.ndarray]]:
    """Energies E_k (records, n) of the shot-free reprepare chain for each of ``techniques`` (``BOXED``):
    the same circuits as ``chain``, boxed and Pauli-twirled as the executor Estimator runs them, each
    box's noise (the device's noise model) and the learned layers' inverse (PEC) or amplification (PEA at
    ``PEA_FACTORS``, extrapolated by Richardson's weights in the state) applied in expectation."""
    from qiskit_aer import AerSimulator

    from qheat.mitigation.expected import Expected, gain_rules

    be = runtime_backend(spec, backend, layout)
    cc = CascadeCircuits(spec, be.compile, "phase")
    n = spec.n
    width = n + 1
    from qiskit_aer.noise import NoiseModel

    from qheat.backends.runtime import restricted_fake

    single = [
        AerSimulator(method="superop", noise_model=NoiseModel.from_backend(restricted_fake(be.device, (p,))))
        for p in be.layout.qubits
    ]
    expected = Expected(AerSimulator.from_backend(be.executor, method="superop"), width, single)
    rules = gain_rules(sorted({t.removeprefix("trex-").rstrip("0123456789") for t in techniques}), PEA_FACTORS)
    weights = dict(zip(PEA_FACTORS, richardson_weights(PEA_FACTORS)))
    zero = np.zeros((2**width, 2**width), dtype=complex)
    zero[0, 0] = 1
    steps = list(range(0, 3 * spec.interaction.collisions + 1, every))

    def system(rho):  # the bath is the highest circuit qubit
        return np.trace(rho.reshape(2, 2**n, 2, 2**n), axis1=0, axis2=2)

    def run(t: str, rho: np.ndarray, start: int, stop: int) -> np.ndarray:
        w, circuits = zip(*run_circuits(spec, cc, rho, start, stop))
        base = t.removeprefix("trex-")
        own = {k: v for k, v in rules.items() if k == base or (base == "pea135" and k.startswith("pea@"))}
        states = expected.states(circuits, [zero] * len(circuits), own, trex=t.startswith("trex-"))
        mix = {k: sum(wi * system(r) for wi, r in zip(w, v)) for k, v in states.items()}
        return sum(weights[f] * mix[f"pea@{f:g}"] for f in PEA_FACTORS) if base == "pea135" else mix[base]

    # each technique prepares its own previous state
    return {t: reprepare_chain(spec, steps, lambda rho, a, b, t=t: run(t, rho, a, b)) for t in techniques}


def run_circuits(spec, cc, rho: np.ndarray, start: int, stop: int) -> list[tuple[float, object]]:
    """(weight, circuit) of one reprepare run from ``rho``: each preparation branch evolved over the
    interactions start+1..stop, once per Z^b pattern of its bath refreshes (all 2^m, equal weights)."""
    out = []
    m = cc.refreshes(start, stop)
    for wb, prep in branches(spec, rho, True):
        for i in range(2**m):
            pattern = tuple((i >> r) & 1 for r in range(m))
            out.append(
                (wb / 2**m, cc.evolve(cc.start(prep, snapshot=False), start, stop, snapshot=False, phases=pattern))
            )
    return out


def reprepare_chain(spec, steps: list[int], run) -> tuple[list[int], np.ndarray]:
    """(steps, energies E_k) of the shot-free reprepare chain: ``run(rho, start, stop)`` gives a run's
    (extrapolated, linear) state, and each run prepares the positive part of the previous one."""
    states = [run(spec.initial_state(), 0, 0)]
    prepared = spec.initial_state()
    for start, stop in zip(steps, steps[1:]):
        lin = run(prepared, start, stop)
        states.append(lin)
        prepared = physical(lin)
    return steps, system_columns(physical(np.stack(states)), spec)["energy_k"]


def chain(
    spec,
    backend: str,
    factors: tuple[int, ...] | None,
    every: int,
    mode: str = "reprepare",
    noise: str = "full",
    layout: tuple[int, ...] | None = None,
) -> tuple[list[int], np.ndarray]:
    """Energies E_k (records, n) of the shot-free reprepare chain, or of mode 'reset' (one deep circuit, the
    collision model's segments only: cascade order); ``factors`` None = noiseless circuits."""
    from qiskit_aer import AerSimulator

    be = runtime_backend(spec, backend, layout)
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
        for wb, qc in run_circuits(spec, cc, rho, start, stop):
            for f, wf in zip(factors, weights):
                c = fold_gates(qc, f, be.layout_target, inverses)
                c.save_density_matrix(list(range(n)))
                circuits.append(c)
                w.append(wb * wf)
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
    return reprepare_chain(spec, steps, run)


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
    p.add_argument("--layout", help="qubits S_1..S_n,R (default: qheat's choice by the reported errors)")
    p.add_argument("--out", default=str(Path(__file__).with_name("runtime_bias.json")))
    a = p.parse_args()
    layout = tuple(int(q) for q in a.layout.split(",")) if a.layout else None
    for backend in a.plan.split(","):
        for name in a.specs.split(","):
            spec = qheat.load_spec(name)
            data = spec.to_dict()
            data["interaction"]["collisions"] = a.collisions
            spec = qheat.spec_from_dict(data)
            exact = analyze(simulate(spec), spec).data
            settings = a.settings.split(",")
            boxed = [t for t in settings if t in BOXED]
            if boxed and (a.mode != "reprepare" or a.noise != "full"):
                raise SystemExit(f"{', '.join(boxed)}: modelled for mode reprepare with the full noise model only")
            started = time.time()
            chains = boxed_chain(spec, backend, boxed, a.every, layout) if boxed else {}
            boxed_seconds = time.time() - started
            for setting in settings:
                started = time.time()
                if setting in chains:
                    steps, e_k = chains[setting]
                else:
                    steps, e_k = chain(spec, backend, SETTINGS[setting], a.every, a.mode, a.noise, layout)
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
                    **({"layout": list(layout)} if layout else {}),
                    "heat_at_collisions": heat,
                    "seconds": round(boxed_seconds if setting in chains else time.time() - started, 1),
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
