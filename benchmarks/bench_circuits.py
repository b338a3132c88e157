"""Time the full Fig. 3 experiment on circuits against the plain qiskit-experiments loop.

qheat: the three Fig. 3 specs (100 collisions, a record after every collision: 101 time points,
3-qubit Pauli tomography, 4000 shots per setting, 100 bootstrap resamples), ``reset`` mode, on
``aer`` and ``aer:nmr-crotonic``: records collected (``qheat.engine.collect``) and analysed
(``qheat.engine.analyze``), in a fresh process each so that the interpreter, the imports and Aer's
warm-up are included (the wall time is taken around the child process: from process start).
Baseline: ``../shared/baselines/naive_fig3.py`` (one StateTomography experiment per time point on
a purified 8-qubit circuit) on time points 0, 150 and 300 of the same experiment (interactions;
all three are points of qheat's run), in the same run of this script. In a clone without
``../shared`` (or with ``--own-baseline``) the same loop as re-written here (``NAIVE``) runs
instead, and the output says which one ran. The figure of merit is seconds per time point,
baseline / qheat.

    python3 benchmarks/bench_circuits.py            # full run (~3 min with the baseline, quiet machine)
    python3 benchmarks/bench_circuits.py --no-baseline
    python3 benchmarks/bench_circuits.py --mode reprepare --backends aer:nmr-crotonic

Targets (issue 15): at least 600x faster per point than the baseline on the stand-in
(``aer:nmr-crotonic``), and a full Fig. 3 under 5 min on 2 cores. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT.parent / "shared" / "baselines" / "naive_fig3.py"
FIG3 = ("fig3-zero", "fig3-reversed", "fig3-enhanced")

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from qheat.protocols.registry import load_spec, spec_from_dict
from qheat.engine import analyze as analyze_records, collect
backend, mode = sys.argv[1], sys.argv[2]
out = {"cases": []}
for name in %r:
    data = load_spec(name).to_dict()
    data["execution"] = {"mode": mode}
    spec = spec_from_dict(data)
    t = time.perf_counter(); doc = collect(spec, backend); t_collect = time.perf_counter() - t
    t = time.perf_counter(); res = analyze_records(doc).data; t_analyze = time.perf_counter() - t
    heats = [[s["heat_absorbed"], s["heat_absorbed_stderr"], e["heat_absorbed"]]
             for s, e in zip(res["subsystems"], res["exact"]["subsystems"])]
    out["cases"].append({"name": name, "points": len(res["steps"]), "collect_s": t_collect,
                         "analyze_s": t_analyze, "heats": heats})
out["total_s"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
""" % (FIG3,)


# The baseline as a user would write it without qheat, for a clone without ../shared: plain Qiskit, one
# qiskit-experiments StateTomography per time point on the purified circuit of Fig. 3 (c = -0.5), on the
# density-matrix Aer simulator. Written here from the paper's definitions, not copied from naive_fig3.py.
NAIVE = r"""
import sys, time
import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import StatePreparation, XXPlusYYGate
from qiskit_aer import AerSimulator
from qiskit_experiments.library import StateTomography

points, shots = int(sys.argv[1]), int(sys.argv[2])
T_S, T_R, G, TAU, C = 1.0, 0.9, 20.0, 0.01, -0.5

def populations(t):                       # (ground, excited) of H = (1/2) sigma_z at temperature t
    e = np.exp(-1.0 / t)
    return np.array([1.0, e]) / (1.0 + e)

def on(ops):                              # ops[q] acts on qubit q; Qiskit order (qubit 0 rightmost)
    out = np.eye(1)
    for m in ops:
        out = np.kron(m, out)
    return out

p = populations(T_S)
thermal = np.diag(p)
rho = on([thermal] * 3).astype(complex)
lower, raise_ = np.array([[0, 1], [0, 0]]), np.array([[0, 0], [1, 0]])   # |0><1|, |1><0|
for a, b in ((0, 1), (0, 2), (1, 2)):     # Eq. (S4): c sqrt(P0 P1 P0 P1) |0_a 1_b><1_a 0_b| (x) rho_rest + h.c.
    ops = [thermal] * 3
    ops[a], ops[b] = lower, raise_
    term = C * p[0] * p[1] * on(ops)
    rho = rho + term + term.conj().T
w, v = np.linalg.eigh(rho)
w = np.clip(w, 0.0, None) / np.clip(w, 0.0, None).sum()
purified = np.zeros(64, dtype=complex)    # sum_i sqrt(w_i) |v_i>_S |i>_A, system on qubits 0-2
for i in range(8):
    purified += np.sqrt(w[i]) * np.kron(np.eye(8)[i], v[:, i])
bath_angle = 2 * np.arcsin(np.sqrt(populations(T_R)[1]))

def experiment(interactions):
    qc = QuantumCircuit(8)                # 0-2 system, 3-5 its purification, 6 bath particle, 7 its purification
    qc.append(StatePreparation(purified), range(6))
    for step in range(interactions):
        if step % 3 == 0:                 # a fresh thermal bath particle every collision
            qc.reset([6, 7])
            qc.ry(bath_angle, 6)
            qc.cx(6, 7)
        qc.append(XXPlusYYGate(2 * G * TAU), [step % 3, 6])
    return qc

simulator = AerSimulator(method="density_matrix")
start = time.time()
for interactions in np.linspace(0, 300, points).astype(int):
    tomo = StateTomography(experiment(int(interactions)), measurement_indices=[0, 1, 2])
    tomo.analysis.set_options(target=None)
    state = tomo.run(simulator, shots=shots, seed_simulator=11).block_for_results().analysis_results(
        "state", dataframe=True).iloc[0].value
elapsed = time.time() - start
print(f"points={points} shots={shots} total_s={elapsed:.2f} per_point_s={elapsed / points:.3f}")
"""


def run_qheat(backend: str, mode: str) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, backend, mode], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    return {**json.loads(line[7:]), "process_s": wall}


def run_baseline(points: int, shots: int, own: bool) -> float:
    if own:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(NAIVE)
        script = f.name
    else:
        script = str(BASELINE)
    proc = subprocess.run([sys.executable, script, str(points), str(shots)], capture_output=True, text=True, check=True)
    if own:
        Path(script).unlink()
    match = re.search(r"per_point_s=([0-9.]+)", proc.stdout)
    if not match:
        raise SystemExit(f"could not read the baseline's output:\n{proc.stdout}\n{proc.stderr}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="reset", choices=("reset", "reprepare"))
    parser.add_argument("--backends", nargs="+", default=["aer", "aer:nmr-crotonic"])
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--own-baseline", action="store_true", help="the baseline re-written here, even if ../shared exists"
    )
    parser.add_argument("--baseline-points", type=int, default=3)
    args = parser.parse_args()
    ok = True
    rows = []
    for backend in args.backends:
        res = run_qheat(backend, args.mode)
        points = sum(c["points"] for c in res["cases"])
        per_point = res["process_s"] / points
        rows.append((backend, res, points, per_point))
        print(
            f"{backend:18s} {args.mode}: full Fig. 3 ({points} time points) in {res['process_s']:.1f} s from process "
            f"start ({res['total_s']:.1f} s after the interpreter started) = {per_point:.4f} s per point"
        )
        for c in res["cases"]:
            heats = ", ".join(f"{q:+.4f}+-{e:.4f} (exact {x:+.4f})" for q, e, x in c["heats"])
            print(f"   {c['name']:14s} collect {c['collect_s']:5.1f} s, analyse {c['analyze_s']:4.1f} s; heats {heats}")
        if res["process_s"] > 300:
            print(f"TARGET MISSED: {backend} full Fig. 3 took {res['process_s']:.0f} s (> 300 s)")
            ok = False
    if not args.no_baseline:
        own = args.own_baseline or not BASELINE.exists()
        t = time.perf_counter()
        base = run_baseline(args.baseline_points, 4000, own)
        which = "the re-written loop of this script (NAIVE)" if own else str(BASELINE)
        print(
            f"baseline ({which}): {base:.2f} s per time point ({args.baseline_points} points, "
            f"{time.perf_counter() - t:.0f} s)"
        )
        for backend, res, points, per_point in rows:
            ratio = base / per_point
            print(
                f"   {backend:18s} {ratio:6.0f}x faster per point; full Fig. 3 baseline estimate "
                f"{base * points / 3600:.1f} h vs {res['process_s']:.0f} s"
            )
            if backend == "aer:nmr-crotonic" and ratio < 600:
                print(f"TARGET MISSED: {backend} is only {ratio:.0f}x faster than the baseline (< 600x)")
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
