"""The acceptance study of the circuits issue: Fig. 3 and Fig. 4 of seed 001 on ideal Aer, measured.

For every spec (fig3-zero, fig3-reversed, fig3-enhanced, fig4a, fig4b, fig4c-forward,
fig4c-reverse), 100 collisions, 8000 shots per Pauli setting, in ``reset`` mode and in
``reprepare`` mode (one collision per run, and optionally ten), it prints each subsystem's heat
after 100 collisions with its bootstrap standard error, the exact engine's value, the deviation in
standard errors and whether the sign agrees, and a summary line per mode.

    python3 benchmarks/fig3_fig4_study.py                 # reset and reprepare (~10 min)
    python3 benchmarks/fig3_fig4_study.py --modes reset --shots 4000
    python3 benchmarks/fig3_fig4_study.py --every 30      # reprepare with ten collisions per run
"""

from __future__ import annotations

import argparse
import time

from qheat.engine import analyze as analyze_records
from qheat.engine import collect
from qheat.protocols.registry import load_spec, spec_from_dict

SPECS = ("fig3-zero", "fig3-reversed", "fig3-enhanced", "fig4a", "fig4b", "fig4c-forward", "fig4c-reverse")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["reset", "reprepare"])
    parser.add_argument("--shots", type=int, default=8000)
    parser.add_argument("--every", type=int, default=None, help="interactions per record (default: one collision)")
    parser.add_argument("--backend", default="aer")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    for mode in args.modes:
        inside, signs, total, worst = 0, 0, 0, 0.0
        started = time.perf_counter()
        print(f"== {mode} on {args.backend}, {args.shots} shots per setting, every = {args.every or 'collision'}")
        for name in SPECS:
            data = load_spec(name).to_dict()
            data["execution"] = {"mode": mode}
            data["measurement"] = {
                "shots": args.shots,
                "seed": args.seed,
                **({"every": args.every} if args.every else {}),
            }
            res = analyze_records(collect(spec_from_dict(data), args.backend)).data
            cells = []
            for sub, ex in zip(res["subsystems"], res["exact"]["subsystems"]):
                q, err, x = sub["heat_absorbed"], sub["heat_absorbed_stderr"], ex["heat_absorbed"]
                z = (q - x) / err
                ok3, sign = abs(z) <= 3, (q > 0) == (x > 0)
                inside += ok3
                signs += sign
                total += 1
                worst = max(worst, abs(z))
                cells.append(
                    f"{sub['label']} {q:+.4f}+-{err:.4f} (exact {x:+.4f}, z {z:+.1f}{'' if sign else ', SIGN'})"
                )
            print(f"  {name:14s} " + "; ".join(cells))
        print(
            f"  -> within 3 sigma: {inside}/{total}; sign as exact: {signs}/{total}; largest |z| {worst:.1f}; "
            f"{time.perf_counter() - started:.0f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
