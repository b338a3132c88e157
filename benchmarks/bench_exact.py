"""Time the exact engine on the two workloads of the performance issue, against a qiskit.quantum_info baseline.

(a) the three Fig. 3 cases (``qheat.run("fig3-zero" | "fig3-reversed" | "fig3-enhanced")``,
    100 collisions each, a record after every interaction): target < 1 s together;
(b) n = 8 subsystems in cascade, 100 collisions, with some coherence: target < 10 s;
(c) ``--sizes 8 10 12``: the same workload at n spins x 100 collisions (a record after every interaction),
    each in a fresh process: wall and CPU time of the streamed run (``analyze(simulate(spec))``), the spec's
    parse and positivity check apart, peak memory (``resource.getrusage``), and two physical checks: S_1's
    energy equals a one-spin run's, and the system's energy change plus the bath's heat is zero.
    Targets at n = 12: < 300 s and < 4 GB.

Each workload is timed end to end (``qheat.run``) and split into simulation (iterating
``qheat.protocols.cascade.exact.simulate(spec)`` alone) and analysis (``qheat.protocols.cascade.analysis.analyze``
over a list of snapshots materialised once beforehand). The baseline is the same Fig. 3
trajectories propagated with plain ``qiskit.quantum_info``, timed in the same process; its
energies and free energies must agree with qheat's to 1e-9 or the comparison is void.

    python3 benchmarks/bench_exact.py               # full run, updates benchmarks/README.md
    python3 benchmarks/bench_exact.py --quick       # smoke run: 1 repeat, (b) estimated, README untouched
    python3 benchmarks/bench_exact.py --profile     # also cProfile both workloads once
    python3 benchmarks/bench_exact.py --sizes 8 10 12 [--collisions 100]   # only (c)

Exit code 1 if a target is missed or the baseline disagrees with qheat.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime
import gc
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import reduce
from pathlib import Path

import numpy as np
import qiskit
from qiskit.circuit.library import XXPlusYYGate
from qiskit.quantum_info import DensityMatrix, Operator, Pauli, entropy, partial_trace

import qheat
from qheat.protocols.cascade.analysis import analyze
from qheat.protocols.cascade.exact import simulate
from qheat.protocols.cascade.spec import CascadeSpec
from qheat.protocols.registry import load_spec, spec_from_dict

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- bench_exact:begin -->", "<!-- bench_exact:end -->"

FIG3 = ("fig3-zero", "fig3-reversed", "fig3-enhanced")
TARGET_FIG3_S = 1.0
TARGET_N8_S = 10.0
AGREEMENT = 1e-9

# Workload (b): 8 subsystems at T = 1, bath at 0.9, c_pq = -0.1 on a few pairs (a chain and a far pair).
N8 = {
    "protocol": "cascade",
    "name": "bench-n8",
    "system": {
        "temperatures": [1.0] * 8,
        "coherence": [{"pair": list(p), "strength": -0.1} for p in ((1, 2), (2, 3), (3, 4), (5, 8))],
    },
    "bath": {"temperature": 0.9},
    "interaction": {"g": 20.0, "tau": 0.01, "collisions": 100},
}


# ----------------------------------------------------------------------------- baseline


def baseline_run(spec: CascadeSpec) -> dict[str, np.ndarray]:
    """The trajectory of a cascade spec as a user would write it with plain qiskit.quantum_info.

    Builds rho_S of Eq. (S4) with np.kron, then per collision: rho = rho_S (x) rho_R^th,
    one DensityMatrix.evolve(Operator(XXPlusYYGate(2 g tau)), qargs=[k, R]) per subsystem, and
    after every interaction partial_trace for rho_S and rho_R, <Z_k> for the energies and
    qiskit.quantum_info.entropy for the free energy F = E - T_R S (Eq. S19).
    """
    n, delta, t_r = spec.n, spec.system.delta, spec.bath.temperature
    g, tau = spec.interaction.g, spec.interaction.tau

    def populations(t: float) -> tuple[float, float]:
        p1 = 1.0 / (1.0 + np.exp(delta / t))
        return 1.0 - p1, p1

    def kron_qiskit(factors: list[np.ndarray]) -> np.ndarray:  # factors[0] on qubit 0 (lowest bit)
        return reduce(lambda acc, f: np.kron(f, acc), factors[1:], factors[0])

    temps = spec.system.temperatures
    gibbs = [np.diag(populations(t)).astype(complex) for t in temps]
    rho0 = kron_qiskit(gibbs)
    for c in spec.system.coherence:
        p, q = c.pair[0] - 1, c.pair[1] - 1
        factors = list(gibbs)
        factors[p] = np.array([[0, 1], [0, 0]], dtype=complex)  # |0><1| on S_p
        factors[q] = np.array([[0, 0], [1, 0]], dtype=complex)  # |1><0| on S_q
        amp = np.sqrt(np.prod(populations(temps[p])) * np.prod(populations(temps[q])))
        term = c.c * amp * kron_qiskit(factors)
        rho0 = rho0 + term + term.conj().T

    u = Operator(XXPlusYYGate(2.0 * g * tau))
    bath = DensityMatrix(np.diag(populations(t_r)).astype(complex))
    z = [Pauli("I" * (n - 1 - k) + "Z" + "I" * k) for k in range(n)]
    energies, free, bath_energy = [], [], []

    def record(rho_s: DensityMatrix, rho_r: DensityMatrix) -> None:
        e_k = [-delta / 2.0 * float(np.real(rho_s.expectation_value(zk))) for zk in z]
        energies.append(e_k)
        free.append(sum(e_k) - t_r * entropy(rho_s, base=np.e))
        bath_energy.append(-delta / 2.0 * float(np.real(rho_r.expectation_value(Pauli("Z")))))

    rho_s = DensityMatrix(rho0)
    record(rho_s, bath)
    for _ in range(spec.interaction.collisions):
        rho = rho_s.expand(bath)  # bath particle R on qubit n
        for k in spec.order:
            rho = rho.evolve(u, qargs=[k, n])
            rho_s = partial_trace(rho, [n])
            record(rho_s, partial_trace(rho, list(range(n))))
    return {"energy_k": np.array(energies), "free_energy": np.array(free), "bath_energy": np.array(bath_energy)}


def disagreement(result: qheat.core.result.Result, base: dict[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute differences between qheat's trajectory and the baseline's."""
    data = result.data
    e_q = np.column_stack([s["energy"] for s in data["subsystems"]])
    return {
        "final E_k": float(np.max(np.abs(e_q[-1] - base["energy_k"][-1]))),
        "E_k (all steps)": float(np.max(np.abs(e_q - base["energy_k"]))),
        "free energy": float(np.max(np.abs(np.asarray(data["system"]["free_energy"]) - base["free_energy"]))),
        "bath particle energy": float(
            np.max(np.abs(np.asarray(data["bath"]["particle_energy"]) - base["bath_energy"]))
        ),
    }


# ----------------------------------------------------------------------------- timing


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def drain(spec: CascadeSpec) -> None:
    for _ in simulate(spec):
        pass


def with_collisions(spec: CascadeSpec, collisions: int) -> CascadeSpec:
    return dataclasses.replace(spec, interaction=dataclasses.replace(spec.interaction, collisions=collisions))


@dataclasses.dataclass
class Times:
    values: list[float] = dataclasses.field(default_factory=list)
    scale: float = 1.0  # quick mode: times of a shorter run scaled up to the full one

    def add(self, seconds: float) -> None:
        self.values.append(seconds * self.scale)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)


def bench_fig3(repeat: int) -> dict:
    specs = {name: load_spec(name) for name in FIG3}
    total, base_total = Times(), Times()
    per = {name: {"run": Times(), "sim": Times(), "analysis": Times(), "baseline": Times()} for name in FIG3}
    results, baselines = {}, {}
    for _ in range(repeat):
        run_sum = base_sum = 0.0
        for name in FIG3:
            t, results[name] = timed(lambda: qheat.run(name))
            per[name]["run"].add(t)
            run_sum += t
            t, _ = timed(lambda: drain(specs[name]))
            per[name]["sim"].add(t)
            snaps = list(simulate(specs[name]))
            t, _ = timed(lambda: analyze(snaps, specs[name]))
            per[name]["analysis"].add(t)
            t, baselines[name] = timed(lambda: baseline_run(specs[name]))
            per[name]["baseline"].add(t)
            base_sum += t
        total.add(run_sum)
        base_total.add(base_sum)
    sim = Times([sum(per[n]["sim"].values[i] for n in FIG3) for i in range(repeat)])
    ana = Times([sum(per[n]["analysis"].values[i] for n in FIG3) for i in range(repeat)])
    worst = {}
    for name in FIG3:
        for key, value in disagreement(results[name], baselines[name]).items():
            worst[key] = max(worst.get(key, 0.0), value)
    return {"total": total, "sim": sim, "analysis": ana, "baseline": base_total, "per": per, "disagreement": worst}


def bench_n8(repeat: int, collisions: int) -> dict:
    full = spec_from_dict(N8)
    spec = with_collisions(full, collisions)
    scale = full.interaction.collisions / collisions
    total, sim, ana = Times(scale=scale), Times(scale=scale), Times(scale=scale)
    # The baseline costs seconds per interaction at n = 8: time one collision and scale it up.
    one = with_collisions(full, 1)
    base = Times(scale=full.interaction.collisions)
    for _ in range(repeat):
        total.add(timed(lambda: qheat.run(spec))[0])
        sim.add(timed(lambda: drain(spec))[0])
        t, base_one = timed(lambda: baseline_run(one))
        base.add(t)
    snaps = list(simulate(spec))  # ~0.2 MB per snapshot at n = 8 (excitation sectors): ~0.16 GB for 100 collisions
    for _ in range(repeat):
        ana.add(timed(lambda: analyze(snaps, spec))[0])
    del snaps
    gc.collect()
    return {
        "total": total,
        "sim": sim,
        "analysis": ana,
        "baseline": base,
        "collisions": collisions,
        "estimated": scale != 1.0,
        "disagreement": disagreement(qheat.run(one), base_one),
    }


SIZE_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
from qheat.protocols.cascade.analysis import analyze
from qheat.protocols.cascade.exact import simulate
from qheat.protocols.registry import spec_from_dict
n, collisions = int(sys.argv[1]), int(sys.argv[2])
data = json.loads(sys.argv[3])
data["system"]["temperatures"] = [1.0] * n
data["system"]["coherence"] = [c for c in data["system"]["coherence"] if max(c["pair"]) <= n]
data["interaction"]["collisions"] = collisions
t = time.perf_counter(); spec = spec_from_dict(data); t_parse = time.perf_counter() - t
c, t = time.process_time(), time.perf_counter()
res = analyze(simulate(spec), spec).data
t_run, c_run = time.perf_counter() - t, time.process_time() - c
one = {**data, "system": {"temperatures": [1.0]}}
alone = analyze(simulate(spec_from_dict(one)), spec_from_dict(one)).data
steps = np.array(res["steps"])
e1_alone = np.array(alone["subsystems"][0]["energy"])[(steps + n - 1) // n]   # after the same number of collisions
s1 = np.abs(np.array(res["subsystems"][0]["energy"]) - e1_alone).max()
e = np.array(res["system"]["energy"])
balance = np.abs(e - e[0] + np.array(res["bath"]["heat_received"])).max()
print("RESULT " + json.dumps({"n": n, "records": len(res["steps"]), "parse_s": t_parse, "run_s": t_run, "cpu_s": c_run,
      "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "s1_vs_one_spin": s1,
      "heat_balance": balance, "heat": [s["heat_absorbed"] for s in res["subsystems"]],
      "total_s": time.perf_counter() - t0}))
"""


def bench_sizes(sizes: list[int], collisions: int) -> list[dict]:
    """Workload (c): one fresh process per n (so the peak memory is that n's own)."""
    import json

    # The analysis runs the sectors' spectra on 2 threads of its own; OpenBLAS's own threads on top of them
    # oversubscribe 2 cores (measured: the 13 sectors of 12 spins 0.47 s single-threaded, 7.7 s with both).
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    out = []
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, "-c", SIZE_CHILD, str(n), str(collisions), json.dumps(N8)],
            capture_output=True,
            text=True,
            env=env,
        )
        line = next((row for row in proc.stdout.splitlines() if row.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"n = {n} failed:\n{proc.stdout}\n{proc.stderr}")
        r = json.loads(line[7:])
        out.append(r)
        print(
            f"n = {n:2d}: {r['records']} records in {r['run_s']:7.1f} s wall, {r['cpu_s']:7.1f} s CPU, peak "
            f"{r['peak_gb']:.2f} GB (spec parse + positivity check {r['parse_s']:.1f} s apart); "
            f"S1 vs one spin {r['s1_vs_one_spin']:.1e}, heat balance {r['heat_balance']:.1e}",
            flush=True,
        )
    return out


def profile(label: str, fn: Callable[[], object], top: int) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\n=== cProfile: {label} ===")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


# ----------------------------------------------------------------------------- environment and report


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=HERE.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
        return head + ("+dirty src" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict[str, str]:
    threads = ", ".join(
        f"{k}={os.environ[k]}"
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    )
    return {
        "date": datetime.date.today().isoformat(),
        "commit": git_state(),
        "machine": f"{os.cpu_count()} cores, {cpu_model()}" + (f", {threads}" if threads else ""),
        "versions": f"Python {platform.python_version()}, numpy {np.__version__}, qiskit {qiskit.__version__}",
        "load": f"{os.getloadavg()[0]:.2f}",
    }


def fmt(t: Times) -> str:
    return f"{t.median:.3f} s (min {t.min:.3f})"


def update_readme(row: str, key: str) -> None:
    """Replace the row with the same key (date, commit, machine, versions), else append it."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Measured\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    table, tail = rest.split(END, 1)
    header = (
        "| date | commit | machine | versions | load | repeats | (a) Fig. 3 x3, median (min) | (a) sim + analysis "
        "| (a) baseline qiskit.quantum_info | (a) speed-up | (b) n=8, median (min) | (b) sim + analysis "
        "| (b) baseline, est. from 1 collision | (b) speed-up | targets |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [line for line in table.strip().splitlines()[2:] if line.startswith("|")]
    rows = [r for r in rows if not r.startswith(key)] + [row]
    README.write_text(head + BEGIN + "\n" + header + "\n" + "\n".join(rows) + "\n" + END + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=None, help="timed repetitions of each workload (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 repeat, (b) on 10 collisions scaled x10, benchmarks/README.md left alone",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile each workload once and print the top functions"
    )
    parser.add_argument("--top", type=int, default=15, help="rows per cProfile listing (default 15)")
    parser.add_argument("--sizes", type=int, nargs="+", help="only workload (c) at these n (e.g. 8 10 12)")
    parser.add_argument("--collisions", type=int, default=100, help="collisions of workload (c) (default 100)")
    args = parser.parse_args(argv)
    if args.sizes:
        rows = bench_sizes(args.sizes, args.collisions)
        bad = [r for r in rows if r["s1_vs_one_spin"] > 1e-12 or r["heat_balance"] > 1e-12]
        slow = [r for r in rows if r["n"] == 12 and args.collisions == 100 and (r["run_s"] > 300 or r["peak_gb"] > 4)]
        for r in bad:
            print(
                f"CHECK FAILED at n = {r['n']}: S1 vs one spin {r['s1_vs_one_spin']:.1e}, balance {r['heat_balance']:.1e}"
            )
        for r in slow:
            print(f"TARGET MISSED at n = 12: {r['run_s']:.0f} s (< 300 s), {r['peak_gb']:.2f} GB (< 4 GB)")
        return 1 if bad or slow else 0
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if repeat < 1:
        parser.error("--repeat must be >= 1")
    n8_collisions = 10 if args.quick else N8["interaction"]["collisions"]

    env = environment()
    print(
        f"qheat {qheat.__version__} ({env['commit']}) on {env['machine']}; {env['versions']}; "
        f"load average {env['load']}; {repeat} repeat(s)"
    )
    if float(env["load"]) > 0.5:
        print("note: the machine is not idle (load average above 0.5); expect noisy figures and trust the minima more")

    # Warm-up: one 1-collision run of each workload (imports inside qiskit, einsum paths, BLAS threads).
    qheat.run(with_collisions(load_spec("fig3-zero"), 1))
    qheat.run(with_collisions(spec_from_dict(N8), 1))
    baseline_run(with_collisions(load_spec("fig3-zero"), 1))

    fig3 = bench_fig3(repeat)
    n8 = bench_n8(repeat, n8_collisions)
    speedup = fig3["baseline"].median / fig3["total"].median
    speedup_n8 = n8["baseline"].median / n8["total"].median

    cols = ("qheat.run", "simulate", "analyze", "qiskit.quantum_info", "speed-up")
    print(f"\n{'seconds, median (min)':<34}" + "".join(f"{c:>21}" for c in cols))

    def line(label: str, times: dict) -> None:
        cells = [
            f"{t.median:.3f} ({t.min:.3f})" for t in (times["run"], times["sim"], times["analysis"], times["baseline"])
        ]
        print(
            f"{label:<34}"
            + "".join(f"{c:>21}" for c in cells)
            + f"{times['baseline'].median / times['run'].median:>20.1f}x"
        )

    for name in FIG3:
        line(f"{name} (100 coll.)", fig3["per"][name])
    line("(a) Fig. 3, three cases", {**fig3, "run": fig3["total"]})
    line(
        "(b) n=8, 100 coll." + (f" (est. x{100 // n8['collisions']})" if n8["estimated"] else ""),
        {**n8, "run": n8["total"]},
    )
    print("(the n=8 baseline is one collision timed and scaled x100)")
    print(
        "\nqheat vs qiskit.quantum_info, largest |difference| over the three Fig. 3 cases: "
        + ", ".join(f"{k} {v:.1e}" for k, v in fig3["disagreement"].items())
    )
    print(
        "                                          on one collision at n = 8: "
        + ", ".join(f"{k} {v:.1e}" for k, v in n8["disagreement"].items())
    )

    failures, missed = [], []
    worst = max(*fig3["disagreement"].values(), *n8["disagreement"].values())
    if worst > AGREEMENT:
        failures.append(
            f"CHECK FAILED: qheat and the qiskit.quantum_info baseline differ by {worst:.2e} > "
            f"{AGREEMENT:g}; the speed-up is meaningless"
        )
    if fig3["total"].median >= TARGET_FIG3_S:
        missed.append("(a)")
        failures.append(
            f"TARGET MISSED: (a) the three Fig. 3 cases take {fig3['total'].median:.3f} s (median), "
            f"target < {TARGET_FIG3_S:g} s"
        )
    if n8["total"].median >= TARGET_N8_S:
        missed.append("(b)")
        failures.append(
            f"TARGET MISSED: (b) n = 8, 100 collisions takes {n8['total'].median:.3f} s (median"
            + (", estimated from 10 collisions" if n8["estimated"] else "")
            + f"), target < {TARGET_N8_S:g} s"
        )
    verdict = " and ".join(missed) + " missed" if missed else "met"
    if worst > AGREEMENT:
        verdict += "; baseline check FAILED"

    if args.quick:
        print("\n--quick: benchmarks/README.md not updated")
    else:
        key = f"| {env['date']} | {env['commit']} | {env['machine']} | {env['versions']} |"
        row = (
            f"{key} {env['load']} | {repeat} | {fmt(fig3['total'])} | {fig3['sim'].median:.3f} + "
            f"{fig3['analysis'].median:.3f} s | {fmt(fig3['baseline'])} | {speedup:.1f}x | {fmt(n8['total'])} | "
            f"{n8['sim'].median:.3f} + {n8['analysis'].median:.3f} s | {fmt(n8['baseline'])} | {speedup_n8:.1f}x | {verdict} |"
        )
        update_readme(row, key)
        print(f"\nbenchmarks/README.md updated ({README})")

    if args.profile:
        profile("(a) the three Fig. 3 cases via qheat.run", lambda: [qheat.run(name) for name in FIG3], args.top)
        profile(
            f"(b) n = 8, {n8_collisions} collisions via qheat.run",
            lambda: qheat.run(with_collisions(spec_from_dict(N8), n8_collisions)),
            args.top,
        )

    print()
    for line in failures:
        print(line)
    if not failures:
        print(
            f"targets met: (a) {fig3['total'].median:.3f} s < {TARGET_FIG3_S:g} s, "
            f"(b) {n8['total'].median:.3f} s < {TARGET_N8_S:g} s; baseline agrees to {AGREEMENT:g}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
