"""Does the sampled reprepare chain itself bias the heats? Fig. 3 on ideal Aer (no noise), many seeds.

    PYTHONPATH=src python benchmarks/chain_bias.py [--seeds 40] [--shots 3000] [--collisions 10]

Each seed runs the spec in mode 'reprepare' (every run prepares the previous run's positive tomographic
reconstruction) on the noiseless ``aer`` backend, so the only error is statistical: the shots, the
linear inversion, the positive projection and its propagation along the chain. The mean error of each
heat over seeds, with its standard error, says whether that pipeline is biased; 3000 shots per setting
give about the error bars of the device runs with ZNE at 8000 (``runtime_mitigation.py``: Richardson's
weights for [1, 3] raise the variance 2.5x). Appends a line to ``benchmarks/chain_bias.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import qheat
from qheat.engine import analyze, collect


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="fig3-zero")
    p.add_argument("--seeds", type=int, default=40)
    p.add_argument("--shots", type=int, default=3000)
    p.add_argument("--collisions", type=int, default=10)
    p.add_argument("--out", default=str(Path(__file__).with_name("chain_bias.json")))
    a = p.parse_args()
    started = time.time()
    errors = []
    for seed in range(a.seeds):
        data = qheat.load_spec(a.spec).to_dict()
        data["interaction"]["collisions"] = a.collisions
        data["execution"] = {"mode": "reprepare"}
        data["measurement"] = {"shots": a.shots, "tomography": "system", "seed": 1000 + seed, "bootstrap": 0}
        res = analyze(collect(qheat.spec_from_dict(data), "aer")).data
        errors.append(
            [s["heat_absorbed"] - e["heat_absorbed"] for s, e in zip(res["subsystems"], res["exact"]["subsystems"])]
        )
    d = np.array(errors)
    row = {
        "spec": a.spec,
        "backend": "aer",
        "mode": "reprepare",
        "collisions": a.collisions,
        "shots": a.shots,
        "seeds": a.seeds,
        "mean_error": d.mean(0).round(5).tolist(),
        "mean_error_stderr": (d.std(0, ddof=1) / np.sqrt(len(d))).round(5).tolist(),
        "spread": d.std(0, ddof=1).round(5).tolist(),
        "seconds": round(time.time() - started, 1),
    }
    print(json.dumps(row))
    with open(a.out, "a") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
