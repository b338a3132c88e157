"""The NMR stand-in study (issue 15, item 1): seed 001's Figs. 3 and 4 on the faithful and the depolarizing
stand-ins, and an error budget that says which error decides the heats' signs.

Two parts:

- ``aer``: every bundled fig3-*/fig4* spec on ``aer:nmr-crotonic`` (faithful) and ``aer:nmr-depolarizing``,
  in ``reprepare`` (the paper's repeated procedure, SI Fig. 8) and ``reset`` mode, through the engine
  (records, tomography, bootstrap): each subsystem's heat after 100 collisions +- its bootstrap stderr
  against the exact engine, and whether the paper's claims hold (c = 0: every S_k releases; c = -0.5:
  S2 and S3 absorb; c = +0.5: S2 and S3 release more than at c = 0).
- ``alone``: each error of ``aer:nmr-crotonic`` kept alone on Aer (block fidelity, T2, T1), Fig. 3's
  shot-free heats and claims: which error decides on the circuits themselves.
- ``budget``: an independent channel model of the laboratory (qiskit.quantum_info SuperOps on the 16x16
  effective state, no shots): every interaction is the partial SWAP with the coherent residual, followed by
  T1/T2 relaxation of *all four* spins for its 40/3 ms (Aer relaxes only the gate's qubits), with three
  readings of relaxation of the pseudo-pure deviation (seed 001, SI Eqs. S13-S15):
    "infinite-T": Aer's thermal relaxation toward the room-temperature equilibrium applied to rho_eff
                  (excited population 1/2): populations decay toward I/2, heating the emulated spins;
    "to-|0>":     Aer's relaxation toward |0> (the faithful config): the closest quantum channel;
    "deviation":  decay at 1/T1 plus the regrowth of <Z_k> toward eps_th / eps_pps = 8 (not a channel on
                  rho_eff; an affine map: the additive term comes from the identity part of the real state).
  It sweeps each error alone (block fidelity, T2, T1 per reading) and prints the smallest value at which the
  paper's signs all hold. Its noiseless limit is checked against the exact engine.

    python3 benchmarks/nmr_standin_study.py --part budget         # ~1 min
    python3 benchmarks/nmr_standin_study.py --part aer            # 28 runs of 100 collisions (~15-40 min)
    python3 benchmarks/nmr_standin_study.py --part alone --modes reset   # each Aer error alone (~10 min)
    python3 benchmarks/nmr_standin_study.py --part aer --specs fig3-zero --collisions 10 --shots 1000
    python3 benchmarks/nmr_standin_study.py --json benchmarks/nmr_standin_study.json   # both, saved
    python3 benchmarks/nmr_standin_study.py --markdown benchmarks/nmr_standin_study.json  # the docs tables

On a shared machine set OPENBLAS_NUM_THREADS=1 (the 256 x 256 products gain nothing from threads).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import XXPlusYYGate
from qiskit.quantum_info import (
    DensityMatrix,
    Operator,
    Pauli,
    SuperOp,
    average_gate_fidelity,
    partial_trace,
)
from scipy.optimize import brentq

SPECS = ("fig3-zero", "fig3-reversed", "fig3-enhanced", "fig4a", "fig4b", "fig4c-forward", "fig4c-reverse")
FIG3 = SPECS[:3]
BLOCK_TIME = 0.040  # s: seed 001, main text (ii), three interactions
PREP_TIME = 0.050  # s: seed 001, SI "State Preparation": the coherence pulse is 50 ms
PPS_RATIO = 8.0  # eps_th / eps_pps: the pseudo-pure state keeps 1/8 of the thermal polarization (S15)
READINGS = ("infinite-T", "to-|0>", "deviation")


# ----------------------------------------------------------------------------- the paper's claims


def claims(heats: dict[str, list[float]]) -> dict[str, bool]:
    """Seed 001, Fig. 3 and main text: c = 0 every S_k releases (heat_absorbed < 0); c = -0.5 S2, S3 absorb;
    c = +0.5 S2 and S3 release more than at c = 0 (enhancement)."""
    z, r, e = heats["fig3-zero"], heats["fig3-reversed"], heats["fig3-enhanced"]
    return {
        "c=0 releases": all(q < 0 for q in z),
        "c=-0.5 S2,S3 absorb": r[1] > 0 and r[2] > 0,
        "c=+0.5 enhances S2,S3": e[1] < z[1] and e[2] < z[2],
    }


# ----------------------------------------------------------------------------- coherent residual


def block_fidelity(angle: float, kind: str = "over-rotation", g_tau: float = 0.2) -> float:
    """Average gate fidelity (qiskit.quantum_info) of one block of three partial SWAPs XXPlusYY(2 g tau) on
    (S_k, R) with the residual ``angle``: "over-rotation" -- each partial SWAP at 2 g tau + 2 angle (what
    RZZ(angle) after each of its two compiled rzz gives); "zz" -- RZZ(angle) on (S_k, R) in the logical
    frame after each partial SWAP (an unrefocused J coupling)."""
    ideal, noisy = QuantumCircuit(4), QuantumCircuit(4)
    for k in range(3):
        ideal.append(XXPlusYYGate(2 * g_tau), [k, 3])
        noisy.append(XXPlusYYGate(2 * g_tau + (2 * angle if kind == "over-rotation" else 0.0)), [k, 3])
        if kind == "zz":
            noisy.rzz(angle, k, 3)
    return float(average_gate_fidelity(Operator(noisy), Operator(ideal)))


def residual_for(fidelity: float, kind: str = "over-rotation") -> float:
    """The residual angle at which one block has average gate fidelity ``fidelity``."""
    if fidelity >= 1:
        return 0.0
    return float(brentq(lambda a: block_fidelity(a, kind) - fidelity, 0.0, 1.5, xtol=1e-13))


# ----------------------------------------------------------------------------- channel model


@dataclass(frozen=True)
class Lab:
    """One error budget: coherent residual (kind, angle), T1, T2 (s; inf: none), relaxation reading,
    and whether each collision also re-prepares the system (``reprepare``: PREP_TIME of relaxation)."""

    residual: float = 0.0
    kind: str = "over-rotation"
    t1: float = np.inf
    t2: float = np.inf
    reading: str = "to-|0>"
    reprepare: bool = False


def _relaxation(lab: Lab, t: float, qubits: int) -> tuple[np.ndarray, np.ndarray]:
    """(superop matrix, additive vector) of T1/T2 relaxation of every qubit for ``t``, column-stacked vec."""
    from qiskit_aer.noise import thermal_relaxation_error

    dim = 2**qubits
    if not np.isfinite(lab.t1) and not np.isfinite(lab.t2):
        return np.eye(dim * dim), np.zeros(dim * dim)
    t1 = lab.t1 if np.isfinite(lab.t1) else 1e12
    t2 = min(lab.t2 if np.isfinite(lab.t2) else 1e12, 2 * t1)
    p1 = 0.0 if lab.reading == "to-|0>" else 0.5
    one = SuperOp(thermal_relaxation_error(t1, t2, t, p1).to_quantumchannel())
    total = one
    for _ in range(qubits - 1):
        total = total.tensor(one)
    add = np.zeros((dim, dim), dtype=complex)
    if lab.reading == "deviation":  # regrowth of <Z_k> from the identity part of the real state
        z = np.diag([1.0, -1.0])
        for q in range(qubits):
            op = np.ones((1, 1))
            for k in reversed(range(qubits)):  # qubit 0 is the least significant (Qiskit)
                op = np.kron(op, z if k == q else np.eye(2))
            add += PPS_RATIO * (1 - np.exp(-t / t1)) * op / dim
    return np.asarray(total.data), add.reshape(-1, order="F")


def channel_heats(spec, lab: Lab) -> list[float]:
    """Each S_k's heat_absorbed after the spec's collisions, in the channel model (effective state)."""
    from qheat.physics.states import gibbs_state
    from qheat.protocols.cascade.collisions import collision_stages

    n = spec.n
    g, tau = spec.interaction.g, spec.interaction.tau
    over = lab.residual / tau if lab.kind == "over-rotation" else 0.0  # 2 g' tau = 2 g tau + 2 residual
    stages = collision_stages(spec.protocol, n, g + over, tau, spec.order)
    dim = 2 ** (n + 1)
    relax, add = _relaxation(lab, BLOCK_TIME / n, n + 1)
    steps = []
    for stage in stages:
        qc = QuantumCircuit(n + 1)
        qc.unitary(stage.matrix, list(stage.qubits))
        if lab.kind == "zz" and lab.residual:
            for k in stage.subsystems:
                qc.rzz(lab.residual, k, n)
        steps.append(relax @ np.asarray(SuperOp(qc).data))
    prep_relax, prep_add = _relaxation(lab, PREP_TIME, n + 1) if lab.reprepare else (None, None)
    bath = DensityMatrix(gibbs_state(spec.bath.temperature, spec.system.delta))
    start = DensityMatrix(spec.initial_state())
    rho_s = start
    for _ in range(spec.interaction.collisions):
        vec = np.asarray(rho_s.expand(bath).data).reshape(-1, order="F")
        if prep_relax is not None:
            vec = prep_relax @ vec + prep_add
        for step in steps:
            vec = step @ vec + add
        rho_s = partial_trace(DensityMatrix(vec.reshape(dim, dim, order="F")), [n])
    return [energy(rho_s, k, spec.system.delta) - energy(start, k, spec.system.delta) for k in range(n)]


def energy(rho: DensityMatrix, k: int, delta: float) -> float:
    """E_k = (delta/2) <sigma_z^k> with the paper's sigma_z = -Z (|0> the ground state); no clipping: the
    deviation-aware effective state may leave the Bloch ball."""
    return -0.5 * delta * float(np.real(rho.expectation_value(Pauli("Z"), [k])))


# ----------------------------------------------------------------------------- parts


def budget(specs: tuple[str, ...]) -> dict:
    """The error-budget sweeps of the channel model, printed, and their numbers."""
    from qheat.engine import run
    from qheat.protocols.registry import load_spec

    loaded = {name: load_spec(name) for name in specs}
    exact = {
        name: [s["heat_absorbed"] for s in run(spec, "exact").to_dict()["subsystems"]] for name, spec in loaded.items()
    }
    ideal = {name: channel_heats(spec, Lab()) for name, spec in loaded.items()}
    check = max(abs(a - b) for name in specs for a, b in zip(ideal[name], exact[name]))
    print(f"channel model, noiseless, against the exact engine: largest |difference| {check:.1e}")
    phi = residual_for(0.995)
    cases: dict[str, Lab] = {
        "coherent over-rotation (F = 0.995)": Lab(residual=phi),
        "coherent logical ZZ (F = 0.995)": Lab(residual=residual_for(0.995, "zz"), kind="zz"),
        "T2 = 1 s": Lab(t2=1.0),
        **{f"T1 = 5 s, {r}": Lab(t1=5.0, reading=r) for r in READINGS},
        **{f"faithful budget, {r}": Lab(residual=phi, t1=5.0, t2=1.0, reading=r) for r in READINGS},
        "faithful budget, deviation, reprepare": Lab(residual=phi, t1=5.0, t2=1.0, reading="deviation", reprepare=True),
    }
    out: dict = {"exact": exact, "check": check, "residual_angle": phi, "cases": {}, "thresholds": {}}
    rows = [("exact", exact)]
    for label, lab in cases.items():
        heats = {name: channel_heats(spec, lab) for name, spec in loaded.items()}
        out["cases"][label] = heats
        rows.append((label, heats))
    for label, heats in rows:
        cells = "  ".join(f"{name}: " + " ".join(f"{q:+.4f}" for q in heats[name]) for name in specs)
        verdict = claims(heats) if all(n in heats for n in FIG3) else {}
        print(f"{label:40s} {cells}  {' '.join(k + ('' if v else ' FAILS') for k, v in verdict.items())}")
    fig3 = {name: loaded[name] for name in FIG3}

    def holds(lab: Lab) -> bool:
        return all(claims({name: channel_heats(spec, lab) for name, spec in fig3.items()}).values())

    sweeps = {
        "block fidelity (over-rotation)": (
            [0.9, 0.95, 0.98, 0.99, 0.995, 0.999],
            lambda f: Lab(residual=residual_for(f)),
        ),
        "T2 (s)": ([0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], lambda t: Lab(t2=t)),
        **{f"T1 (s), {r}": ([1.0, 10.0, 100.0, 1e3, 1e4, 1e5], lambda t, r=r: Lab(t1=t, reading=r)) for r in READINGS},
    }
    for label, (values, make) in sweeps.items():
        ok = [v for v in values if holds(make(v))]
        out["thresholds"][label] = {"values": values, "claims_hold": [v in ok for v in values]}
        print(
            f"sweep {label:32s} "
            + " ".join(f"{v:g}:{'ok' if v in ok else 'no'}" for v in values)
            + f"  -> smallest that holds: {min(ok) if ok else None}"
        )
    return out


def aer_part(
    specs: tuple[str, ...], backends: list[str], modes: list[str], shots: int, collisions: int | None, seed: int
) -> dict:
    """Every spec on every backend and mode through the engine: heats +- stderr against exact."""
    from qheat.engine import analyze as analyze_records
    from qheat.engine import collect
    from qheat.protocols.registry import load_spec, spec_from_dict

    out: dict = {}
    for backend in backends:
        for mode in modes:
            started = time.perf_counter()
            key = f"{backend} {mode}"
            out[key] = {}
            print(f"== {key}: {shots} shots per setting")
            for name in specs:
                data = load_spec(name).to_dict()
                data["execution"] = {"mode": mode}
                data["measurement"] = {"shots": shots, "seed": seed}
                if collisions:
                    data["interaction"]["collisions"] = collisions
                res = analyze_records(collect(spec_from_dict(data), backend)).data
                free = res.get("shot_free", {}).get("subsystems", [{}] * len(res["subsystems"]))
                rows = [
                    {
                        "label": s["label"],
                        "heat": s["heat_absorbed"],
                        "stderr": s["heat_absorbed_stderr"],
                        "exact": x["heat_absorbed"],
                        "shot_free": f.get("heat_absorbed"),
                    }
                    for s, x, f in zip(res["subsystems"], res["exact"]["subsystems"], free)
                ]
                out[key][name] = rows
                print(
                    f"  {name:14s} "
                    + "; ".join(
                        f"{r['label']} {r['heat']:+.4f}+-{r['stderr']:.4f} (shot-free {r['shot_free']:+.4f}, "
                        f"exact {r['exact']:+.4f})"
                        for r in rows
                    )
                )
            if all(n in out[key] for n in FIG3):
                verdict = claims({n: [r["heat"] for r in out[key][n]] for n in FIG3})
                out[key]["claims"] = verdict
                print("  claims: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in verdict.items()))
            print(f"  ({time.perf_counter() - started:.0f} s)")
    return out


ALONE = (
    "F=0.995",
    "F=0.998",
    "F=0.999",
    "F=0.9995",
    "T2=1",
    "T2=3",
    "T2=10",
    "T2=30",
    "T2=100",
    "T1=5",
    "F=0.9995,T1=500,T2=100",
)


def variant(base, label: str):
    """``base`` (a HardwareConfig) keeping only the errors ``label`` lists, e.g. "F=0.999" (the coherent
    residual at that block fidelity), "T2=10" (dephasing; T1 = 1e6 s unless given), "T1=5" (T2 = 2 T1
    unless given), or several joined by commas. Errors not listed are removed."""
    import dataclasses

    kept = {k: float(v) for k, v in (item.split("=") for item in label.split(","))}
    residual = residual_for(kept["F"]) if "F" in kept else 0.0
    if "T1" not in kept and "T2" not in kept:
        return dataclasses.replace(base, single_qubit_time=0.0, two_qubit_time=0.0, two_qubit_coherent_zz=residual)
    t1 = kept.get("T1", 1e6)
    return dataclasses.replace(base, two_qubit_coherent_zz=residual, t1=t1, t2=kept.get("T2", 2 * t1))


def alone(labels: tuple[str, ...], mode: str, collisions: int | None) -> dict:
    """Each error of aer:nmr-crotonic alone, on Aer through the engine (fig3 specs, shot-free heats). The
    engine takes backend names, so the variant is served under the name nmr-crotonic by patching this
    process's ``qheat.backends.aer.load_config`` (the records say ``aer:nmr-crotonic``: not for keeping)."""
    import qheat.backends.aer as aer
    from qheat.engine import analyze as analyze_records
    from qheat.engine import collect
    from qheat.protocols.registry import load_spec, spec_from_dict

    original = aer.load_config
    base = original("nmr-crotonic")
    out: dict = {}
    try:
        for label in labels:
            cfg = variant(base, label)
            aer.load_config = lambda name, cfg=cfg: cfg if name == "nmr-crotonic" else original(name)
            heats = {}
            for name in FIG3:
                data = load_spec(name).to_dict()
                data["execution"] = {"mode": mode}
                # reset: shot-free heats do not depend on the shots; reprepare: each run prepares the last one's
                # reconstruction, so the shots set the chain's scatter (the spec's 4000)
                data["measurement"] = {"shots": 1000 if mode == "reset" else 4000, "bootstrap": 0}
                if collisions:
                    data["interaction"]["collisions"] = collisions
                res = analyze_records(collect(spec_from_dict(data), "aer:nmr-crotonic")).data
                heats[name] = [s["heat_absorbed"] for s in res["shot_free"]["subsystems"]]
            out[label] = {"heats": heats, "claims": claims(heats)}
            print(
                f"{mode} {label:9s} "
                + "  ".join(f"{n}: " + " ".join(f"{q:+.4f}" for q in heats[n]) for n in FIG3)
                + "  "
                + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in claims(heats).items()),
                flush=True,
            )
    finally:
        aer.load_config = original
    return out


def markdown(result: dict) -> str:
    """The docs page's tables from a saved ``--json`` file: heats +- stderr (shot-free) against exact."""
    lines = []
    for key, runs in result.get("aer", {}).items():
        lines += [f"**{key}**", "", "| spec | S1 | S2 | S3 |", "|---|---|---|---|"]
        for name in SPECS:
            if name in runs:
                cells = [
                    f"{r['heat']:+.4f} +- {r['stderr']:.4f} ({r['shot_free']:+.4f}; exact {r['exact']:+.4f})"
                    for r in runs[name]
                ]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if "claims" in runs:
            lines += ["", "claims: " + ", ".join(f"{k}: {'yes' if v else '**no**'}" for k, v in runs["claims"].items())]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["aer", "budget", "alone", "all"], default="all")
    parser.add_argument("--alone", nargs="+", default=list(ALONE), help="errors kept one at a time (--part alone)")
    parser.add_argument("--specs", nargs="+", default=list(SPECS))
    parser.add_argument("--backends", nargs="+", default=["aer:nmr-crotonic", "aer:nmr-depolarizing"])
    parser.add_argument("--modes", nargs="+", default=["reprepare", "reset"])
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--collisions", type=int, default=None, help="override the specs' 100 collisions")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--markdown", type=Path, default=None, help="print the tables of a saved --json file")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    specs = tuple(args.specs)
    result: dict = {}
    if args.part in ("budget", "all"):
        result["budget"] = budget(specs)
    if args.part in ("alone", "all"):
        result["alone"] = {mode: alone(tuple(args.alone), mode, args.collisions) for mode in args.modes}
    if args.part in ("aer", "all"):
        result["aer"] = aer_part(specs, args.backends, args.modes, args.shots, args.collisions, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
