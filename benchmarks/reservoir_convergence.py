"""Gate-model reservoirs: collision-model heat currents on Aer converge to the master equations as dt -> 0.

For seed 003's coupled qubits (omega = 1, 2, lambda = 0.5, flat g_A = g_B = 0.05, T_A = 3, T_B = 1) and
seed 004's Fig. 3 system (eps = 5, 4, g = 0.5 sigma_x sigma_x, Ohmic-Drude gamma = 0.01, omega_D = 50,
T_1 = 10, T_2 = 5), and for global (energy-resolved, eigenbasis) and local (bare partial SWAP)
collisions, each row gives for one dt:

* theta: the range of collision angles, theta^2 = J(w)(1 + 2n(w)) dt;
* rounds: relaxation rounds (|lambda_2|^R <= 1e-3 from the exact channel) + measured rounds
  (measured physical time ``--window`` / dt);
* exact: the steady-state current q_A of the exact one-round channel (no circuits, no shots);
* sampled: q_A from two-point Z measurements of the ancillas, Aer SamplerV2 (statevector, seeded),
  +- the standard error over shots; z = (sampled - exact expectation of that finite circuit) / stderr;
* ME: the master equation's q_A (global: qheat 'lindblad'; local: the bath-side current
  Tr(w_A sigma_z^A/2 D_A rho) of qheat's 'local' steady state, which is what the ancillas measure);
* rel. err: (exact - ME) / ME, and rel. err / dt (constant when the error is linear in dt);
* q_A + q_B sampled: 0 for global collisions; for local ones it is minus the power spent switching the
  collisions (q_A + q_B of the exact channel in brackets).

    python3 benchmarks/reservoir_convergence.py            # full run (~4 min on 2 cores), rewrites its section of README.md
    python3 benchmarks/reservoir_convergence.py --quick    # ~30 s: fewer shots and rows, README untouched
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import sys
import time
from pathlib import Path

import qiskit
import qiskit_aer

import qheat
from qheat.protocols.registry import spec_from_dict
from qheat.protocols.reservoirs import circuits as rc
from qheat.protocols.reservoirs import exact as cr

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- reservoir_convergence:begin -->", "<!-- reservoir_convergence:end -->"
HEADING = "## Gate-model reservoirs: collision-model currents vs master equations"

SYSTEMS = {
    "seed 003 (Fogedby Fig. 4 system): omega = 1, 2, lambda = 0.5, flat g = 0.05, T_A = 3, T_B = 1": {
        "protocol": "reservoirs",
        "system": {"frequencies": [1.0, 2.0], "coupling": "exchange", "strength": 0.5},
        "reservoirs": {"temperatures": [3.0, 1.0], "strengths": [0.05, 0.05], "spectral_density": "flat"},
    },
    "seed 004 (Zhang Fig. 3 system): eps = 5, 4, g = 0.5, Ohmic-Drude gamma = 0.01, omega_D = 50, T_1 = 10, T_2 = 5": {
        "protocol": "reservoirs",
        "system": {"frequencies": [5.0, 4.0], "coupling": "xx", "strength": 0.5},
        "reservoirs": {
            "temperatures": [10.0, 5.0],
            "strengths": [0.01, 0.01],
            "spectral_density": "ohmic-drude",
            "cutoff": 50.0,
        },
    },
}
SEED_STRIDE = 1_000_003  # distinct collisions.seed per run (each run's streams also hash its spec's key)


def run_on_aer(spec, dt: float, model: str, window: float, shots: int, seed: int) -> dict:
    """One collision model of ``spec`` on backend 'aer' through the engine: the result's method entry."""
    method = rc.MASTER_EQUATION[model]
    data = {
        **spec.to_dict(),
        "methods": [method],
        "collisions": {"dt": dt, "shots": shots, "seed": seed, "window": window, "keep_records": False},
    }
    return qheat.run(data, backend="aer").to_dict()["methods"][method]


def table(
    title: str, spec, model: str, dts, sampled_dts, shots: int, window: float, seed: int
) -> tuple[list[str], float]:
    system, res = spec.system, spec.reservoirs
    me = cr.master_equation_currents(system, res, model)
    q_me = me["heat_current"][0]
    gates = rc.round_gate_counts(system, res, 1.0, model, literal=False)["two_qubit"]
    literal = rc.round_gate_counts(system, res, 1.0, model, literal=True)["two_qubit"]
    head = (
        f"**{title}; {model} collisions** -> qheat '{me['method']}': q_A = {q_me:.6g}"
        + (f" (qheat's system-side local q_A = {me['system_side'][0]:.6g})" if model == "local" else "")
        + f"; {len(cr.CollisionModel(system, res, 1.0, model).collisions)} collisions and "
        + (
            f"{gates} CX per round (eigenframe; {literal} with W^dag ... W in every round)"
            if model == "global"
            else f"{gates} CX per round (with exp(-i H_S dt))"
        )
    )
    lines = [
        head,
        "",
        "| dt | theta | rounds (relax + measured) | exact q_A | sampled q_A +- stderr | z | ME q_A | rel. err | rel. err / dt | sampled q_A + q_B (exact) | Aer s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    seconds = 0.0
    for i, dt in enumerate(dts):
        cm = cr.CollisionModel(system, res, dt, model)
        st = cm.steady_state()
        q = st["heat_current"][0]
        theta = [c.theta for c in cm.collisions]
        rel = (q - q_me) / q_me
        relax = cm.rounds_to_relax(1e-3)
        if dt in sampled_dts:
            measured = math.ceil(window / dt)
            out = run_on_aer(spec, dt, model, window, shots, seed + SEED_STRIDE * i)
            seconds += out["seconds"]
            expect = out["exact"]["circuit_expectation"]
            z = (out["heat_current"]["A"] - expect["A"]) / out["stderr"]["A"]
            sampled = f"{out['heat_current']['A']:.5f} +- {out['stderr']['A']:.5f}"
            total = f"{out['total']:+.5f} +- {out['total_stderr']:.5f} ({sum(st['heat_current']):+.5f})"
            rounds = f"{relax} + {measured}"
            zs, secs = f"{z:+.2f}", f"{out['seconds']:.1f}"
        else:
            sampled, total, rounds, zs, secs = "-", f"- ({sum(st['heat_current']):+.5f})", f"{relax} + -", "-", "-"
        lines.append(
            f"| {dt:g} | {min(theta):.3f}-{max(theta):.3f} | {rounds} | {q:.6f} | {sampled} | {zs} | "
            f"{q_me:.6f} | {rel:+.2e} | {rel / dt:+.2e} | {total} | {secs} |"
        )
        print(lines[-1], flush=True)
    return lines, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 shots, sampled at dt = 2, 1 only; README untouched")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--window", type=float, default=250.0, help="measured physical time per shot (rounds x dt)")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args(argv)
    dts = (2.0, 1.0, 0.5, 0.25, 0.125, 0.0625)
    sampled_dts = (2.0, 1.0) if args.quick else (2.0, 1.0, 0.5, 0.25)
    shots = 300 if args.quick else args.shots

    start = time.perf_counter()
    out: list[str] = []
    aer_seconds = 0.0
    k = 0
    for title, data in SYSTEMS.items():
        spec = spec_from_dict(data)
        for model in ("global", "local"):
            print(f"\n{title}; {model}", flush=True)
            lines, secs = table(
                title, spec, model, dts, sampled_dts, shots, args.window, args.seed + 100 * SEED_STRIDE * k
            )
            out += lines + [""]
            aer_seconds += secs
            k += 1
    total = time.perf_counter() - start
    stamp = (
        f"{datetime.date.today()} | Python {platform.python_version()}, qiskit {qiskit.__version__}, "
        f"qiskit-aer {qiskit_aer.__version__} | {shots} shots, window {args.window:g} per shot | "
        f"Aer {aer_seconds:.0f} s, total {total:.0f} s"
    )
    print(f"\n{stamp}")
    if not args.quick:
        write_readme(out, stamp)
    return 0


def write_readme(lines: list[str], stamp: str) -> None:
    body = (
        "\n".join(
            [
                "`python3 benchmarks/reservoir_convergence.py` (`--quick` for a smoke run). Each reservoir is emulated by",
                "repeated collisions with fresh thermal ancillas (`qheat.protocols.reservoirs.circuits`); q_A is the heat per unit",
                "time from reservoir A into the system, measured from the ancillas' Z before and after each collision.",
                "*exact*: fixed point of the exact one-round channel; *sampled*: Aer SamplerV2 on the circuits, +- the",
                "standard error over shots, z against the exact expectation of that finite circuit; *ME*: the master",
                "equation the model approaches (for local collisions the bath-side current, which the ancillas",
                "measure: local collisions do work, so q_A + q_B != 0 there).",
                "",
                f"Run: {stamp}",
                "",
                *lines,
            ]
        ).rstrip()
        + "\n"
    )
    text = README.read_text()
    block = f"{BEGIN}\n{body}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{block}\n"
    README.write_text(text)
    print(f"wrote {README}")


if __name__ == "__main__":
    sys.exit(main())
