"""What measuring only the Paulis a quantity needs buys (``[mitigation] observables``), on a fake device.

    PYTHONPATH=src python benchmarks/estimator_observables.py [--backend fake:torino] [--collisions 2]
        [--shots 1000] [--techniques trex,zne]

Fig. 3's reversed case (c = -0.5) in mode 'reset' through Runtime's executor Estimator (local mode) with
the same techniques, once per ``observables`` kind, at the same shot budget per circuit: ``state``
spends ``shots`` on each of its 27 bases, ``exchange`` 27 / 3 times that on each of its 3, ``energies``
27 times on its one. Prints, per kind, the heats with their standard errors against the exact engine,
the bases, the shots per circuit and the wall time; appends the rows to
``benchmarks/estimator_observables.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import qheat
from qheat.engine import analyze as analyze_records
from qheat.engine import collect
from qheat.mitigation.pauli import bases, observable_labels

KINDS = ("state", "exchange", "energies")


def one(backend: str, kind: str, collisions: int, shots: int, techniques: list[str]) -> dict:
    budget = shots * bases(observable_labels("state", 3, 3))  # per circuit
    per_basis = budget // bases(observable_labels(kind, 3, 3))
    data = qheat.load_spec("fig3-reversed").to_dict()
    data["interaction"]["collisions"] = collisions
    data["execution"] = {"mode": "reset"}
    data["measurement"] = {"shots": per_basis, "bootstrap": 100}
    data["mitigation"] = {"estimator": techniques, "observables": kind}
    spec = qheat.spec_from_dict(data)
    started = time.time()
    res = analyze_records(collect(spec, backend)).to_dict()
    return {
        "backend": backend,
        "observables": kind,
        "techniques": techniques,
        "collisions": collisions,
        "bases": bases(observable_labels(kind, 3, 3)),
        "shots_per_basis": per_basis,
        "shots_per_circuit": budget,
        "heat": [s["heat_absorbed"] for s in res["subsystems"]],
        "stderr": [s["heat_absorbed_stderr"] for s in res["subsystems"]],
        "exact": [s["heat_absorbed"] for s in res["exact"]["subsystems"]],
        "seconds": round(time.time() - started, 1),
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="fake:torino")
    parser.add_argument("--collisions", type=int, default=2)
    parser.add_argument("--shots", type=int, default=1000, help="per basis of the full state")
    parser.add_argument("--techniques", default="trex,zne")
    args = parser.parse_args()
    out = Path(__file__).with_name("estimator_observables.json")
    print("| observables | bases | shots per basis | heat S1, S2, S3 | stderr S1, S2, S3 | exact | time |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        row = one(args.backend, kind, args.collisions, args.shots, args.techniques.split(","))
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        fmt = lambda xs: ", ".join(f"{x:+.4f}" for x in xs)  # noqa: E731
        print(
            f"| {kind} | {row['bases']} | {row['shots_per_basis']} | {fmt(row['heat'])} | "
            f"{', '.join(f'{x:.4f}' for x in row['stderr'])} | {fmt(row['exact'])} | {row['seconds']} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
