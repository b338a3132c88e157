"""Fig. 3 on fake IBM devices (Runtime local mode): what readout mitigation, dynamical decoupling and
gate twirling buy for the heats, against the exact engine.

    PYTHONPATH=src python benchmarks/runtime_mitigation.py [--collisions 100] [--every 30] [--shots 2000]

Each configuration: mode 'reprepare' (each run prepares the previous run's reconstruction and performs
``every / 3`` collisions), temporal averaging, one record per run. Writes
``benchmarks/runtime_mitigation.json`` (one line per configuration, appended as each finishes, so an
interrupted study keeps what it measured) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import qheat
from qheat.engine import analyze as analyze_records
from qheat.engine import collect

MODE = "reprepare"
BOOTSTRAP = 50  # resampled chains: the statistical error of each heat (0 in the first rows measured)
SETTINGS = {
    "none": {},
    "readout": {"readout": True},
    "readout+dd": {"readout": True, "dynamical_decoupling": True},
    "readout+twirling": {"readout": True, "twirling": True},
    "readout+zne": {"readout": True, "zne": [1, 3]},
    "readout+zne135": {"readout": True, "zne": [1, 3, 5]},
    "estimator-trex": {"estimator": ["trex"]},  # the Estimator path (shots per basis)
    "estimator-trex-pec": {"estimator": ["trex", "pec"]},
    "estimator-trex-pea": {"estimator": ["trex", "pea"]},
}


def one(backend: str, name: str, setting: str, collisions: int, every: int, shots: int, seed: int = 1234) -> dict:
    data = qheat.load_spec(name).to_dict()
    data["interaction"]["collisions"] = collisions
    data["execution"] = {"mode": MODE}
    data["measurement"] = {"shots": shots, "every": every, "bootstrap": BOOTSTRAP, "seed": seed}
    if SETTINGS[setting]:
        data["mitigation"] = SETTINGS[setting]
    spec = qheat.spec_from_dict(data)
    started = time.time()
    doc = collect(spec, backend)
    res = analyze_records(doc).to_dict()
    heat = [s["heat_absorbed"] for s in res["subsystems"]]
    exact = [s["heat_absorbed"] for s in res["exact"]["subsystems"]]
    stderr = [s.get("heat_absorbed_stderr") for s in res["subsystems"]]
    return {
        "backend": backend,
        "spec": name,
        "mitigation": setting,
        "mode": MODE,
        "collisions": collisions,
        "every": every,
        "shots": shots,
        "seed": seed,
        "heat": heat,
        "heat_stderr": stderr,
        "exact": exact,
        "abs_error": [abs(a - b) for a, b in zip(heat, exact)],
        "seconds": round(time.time() - started, 1),
        "layout": doc["metadata"]["layout"]["assignment"],
        "costs": {k: v for k, v in doc["metadata"]["costs"].items() if k != "note"},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--collisions", type=int, default=100)
    p.add_argument("--every", type=int, default=30)
    p.add_argument("--shots", type=int, default=2000)
    p.add_argument("--plan", default="fake:torino,fake:sherbrooke")
    p.add_argument("--settings", default="none,readout")
    p.add_argument("--specs", default="fig3-zero,fig3-reversed")
    p.add_argument("--mode", default="reprepare", choices=["reprepare", "reset"])
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--out", default=str(Path(__file__).with_name("runtime_mitigation.json")))
    a = p.parse_args()
    global MODE
    MODE = a.mode
    for backend in a.plan.split(","):
        for setting in a.settings.split(","):
            for name in a.specs.split(","):
                row = one(backend, name, setting, a.collisions, a.every, a.shots, a.seed)
                with open(a.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{backend:16s} {name:14s} {setting:17s} heat "
                    + " ".join(f"{h:+.4f}" for h in row["heat"])
                    + "  exact "
                    + " ".join(f"{h:+.4f}" for h in row["exact"])
                    + "  |err| "
                    + " ".join(f"{e:.4f}" for e in row["abs_error"])
                    + f"  {row['seconds']} s",
                    flush=True,
                )


if __name__ == "__main__":
    sys.exit(main())
