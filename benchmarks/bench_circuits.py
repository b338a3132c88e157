"""Time the full Fig. 3 experiment on circuits against the plain qiskit-experiments loop.

qheat: the three Fig. 3 specs (100 collisions, a record after every collision: 101 time points,
3-qubit Pauli tomography, 4000 shots per setting, 100 bootstrap resamples), ``reset`` mode, on
``aer`` and ``aer:nmr-crotonic``: records collected (``qheat.engine.collect``) and analysed
(``qheat.engine.analyze``), in a fresh process each so that Aer's warm-up is included.
Baseline: ``../shared/baselines/naive_fig3.py`` (one StateTomography experiment per time point on
a purified 8-qubit circuit) on time points 0, 150 and 300 of the same experiment (interactions;
all three are points of qheat's run), in the same run of this script. The figure of merit is
seconds per time point, baseline / qheat.

    python3 benchmarks/bench_circuits.py            # full run (~3 min with the baseline)
    python3 benchmarks/bench_circuits.py --no-baseline
    python3 benchmarks/bench_circuits.py --mode reprepare

Targets (issue 3): at least 50x faster per point than the baseline, and a full Fig. 3 under 5 min
on 2 cores. Exit code 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
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


def run_qheat(backend: str, mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, backend, mode], capture_output=True, text=True, check=True)
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[7:])


def run_baseline(points: int, shots: int) -> float:
    proc = subprocess.run([sys.executable, str(BASELINE), str(points), str(shots)], capture_output=True, text=True,
                          check=True)
    match = re.search(r"per_point_s=([0-9.]+)", proc.stdout)
    if not match:
        raise SystemExit(f"could not read the baseline's output:\n{proc.stdout}\n{proc.stderr}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="reset", choices=("reset", "reprepare"))
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-points", type=int, default=3)
    args = parser.parse_args()
    ok = True
    rows = []
    for backend in ("aer", "aer:nmr-crotonic"):
        res = run_qheat(backend, args.mode)
        points = sum(c["points"] for c in res["cases"])
        per_point = res["total_s"] / points
        rows.append((backend, res, points, per_point))
        print(f"{backend:18s} {args.mode}: full Fig. 3 ({points} time points) in {res['total_s']:.1f} s "
              f"= {per_point:.3f} s per point")
        for c in res["cases"]:
            heats = ", ".join(f"{q:+.4f}+-{e:.4f} (exact {x:+.4f})" for q, e, x in c["heats"])
            print(f"   {c['name']:14s} collect {c['collect_s']:5.1f} s, analyse {c['analyze_s']:4.1f} s; heats {heats}")
        if res["total_s"] > 300:
            print(f"TARGET MISSED: {backend} full Fig. 3 took {res['total_s']:.0f} s (> 300 s)")
            ok = False
    if not args.no_baseline:
        if not BASELINE.exists():
            print(f"baseline not found at {BASELINE}; use --no-baseline")
            return 1
        t = time.perf_counter()
        base = run_baseline(args.baseline_points, 4000)
        print(f"baseline naive_fig3.py: {base:.2f} s per time point ({args.baseline_points} points, "
              f"{time.perf_counter() - t:.0f} s)")
        for backend, res, points, per_point in rows:
            ratio = base / per_point
            print(f"   {backend:18s} {ratio:6.0f}x faster per point; full Fig. 3 baseline estimate "
                  f"{base * points / 3600:.1f} h vs {res['total_s']:.0f} s")
            if ratio < 50:
                print(f"TARGET MISSED: {backend} is only {ratio:.0f}x faster than the baseline (< 50x)")
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
