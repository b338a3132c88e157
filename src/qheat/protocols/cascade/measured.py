"""Seed 001 measured the way a laboratory measures it: circuits on Aer, counts first, then tomography.

``collect(spec, backend)`` runs the experiment and returns a *records* document: the raw counts of
every measurement circuit with its metadata (step, Pauli setting, preparation branch, run).
``analyze_records(doc)`` reads only that document (and the spec inside it) and reconstructs the
system state at every record by tomography, then the same quantities as the exact engine, each
with a bootstrap standard error ``<key>_stderr``.

Modes (``[execution] mode``):
- ``reset``: the record at step k comes from circuits that prepare rho_S^0 and perform k
  interactions, the bath qubit refreshed by mid-circuit reset every collision (depth grows with k);
- ``reprepare``: the repeated procedure of seed 001, SI Fig. 8: run j prepares the state
  reconstructed by run j - 1 (run 1: rho_S^0), performs the collisions up to the next record and
  measures; the depth is that of one run whatever the number of collisions.

Error bars. In ``reset`` mode every record is an independent experiment and the bootstrap
resamples each record's counts. In ``reprepare`` mode a record's state also carries the
reconstruction errors of every earlier run, propagated by the collisions: with eps_j the bootstrap
deviation of run j's linear-inversion estimate and Phi the (ideal) channel of one run,
delta_j = Phi(delta_{j-1}) + eps_j, so each replica is a whole resampled chain.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from qheat.backends.aer import AerBackend
from qheat.circuits.preparation import (
    purification_circuit,
    star_branches,
    temporal_branches,
)
from qheat.core.errors import QheatError
from qheat.core.result import Result
from qheat.core.version import __version__
from qheat.physics import thermo
from qheat.physics.linalg import apply_unitary, reduced_state, tensor_product
from qheat.physics.states import gibbs_state
from qheat.physics.tomography import (
    assignment_matrices,
    bootstrap_counts,
    fit_states,
    linear_estimate,
    mitigation_matrix,
    physical,
)
from qheat.protocols.cascade.analysis import CONVENTIONS
from qheat.protocols.cascade.circuits import CascadeCircuits
from qheat.protocols.cascade.spec import CascadeSpec
from qheat.protocols.registry import spec_from_dict, validated

RECORDS_KIND = "qheat-records"
Progress = Callable[[int, int], None]


# ----------------------------------------------------------------------------- running


def _branches(spec: CascadeSpec, rho: np.ndarray, star: bool = False) -> list[tuple[float, Any]]:
    """(weight, preparation circuit) pairs: eigenvectors (temporal averaging) or one purification.
    ``star``: a device layout (Runtime backends): circuits whose two-qubit gates all touch R, the
    state projected onto the excitation blocks (``preparation.star_branches``)."""
    if spec.execution.preparation == "purification":
        return [(1.0, purification_circuit(rho))]
    if star:
        return [(b.weight, b.circuit) for b in star_branches(rho)]
    return [(b.weight, b.circuit) for b in temporal_branches(rho)]


def _split_shots(rng: np.random.Generator, shots: int, weights: np.ndarray, size: int) -> np.ndarray:
    """Shots of each branch for ``size`` settings: multinomial draws with the branch weights (S, B)."""
    return rng.multinomial(shots, weights / weights.sum(), size=size)


class _Runner:
    """Executes the circuits of one spec on one Aer backend, with either engine."""

    def __init__(self, spec: CascadeSpec, backend: Any, rng: np.random.Generator,
                 progress: Callable[[], None] | None = None) -> None:
        self.spec, self.backend, self.rng = spec, backend, rng
        self.tick = progress or (lambda: None)
        self.runtime = not isinstance(backend, AerBackend)          # fake:/ibm: every circuit through SamplerV2
        self.circuits = CascadeCircuits(spec, backend.compile, "phase" if self.runtime else "measure")
        self.snapshot = spec.execution.engine == "snapshots" and not self.runtime
        self.readout = bool(self.runtime and spec.mitigation is not None and spec.mitigation.readout)
        self.last_calibration: list[dict] = []  # readout calibration counts of the last measure() (Runtime)
        self.measured = self.circuits.measured
        self.settings = self.circuits.settings
        self.dim = 2 ** len(self.measured)
        self.jobs = 0
        self.reference: dict[int, np.ndarray] = {}  # snapshots: the state each record samples (all branches)
        if self.snapshot:
            from qiskit import QuantumCircuit

            rows = []
            for setting in self.settings:
                rot = QuantumCircuit(len(self.measured))
                rot.compose(self.circuits.setting_circuit(setting).remove_final_measurements(inplace=False),
                            inplace=True)
                rows.append(backend.setting_channel(rot))
            self.channels = np.stack(rows)                       # (S, D, D^2)
            self.assignment = backend.assignment(len(self.measured))

    def probabilities(self, rho: np.ndarray) -> np.ndarray:
        """Outcome probabilities (..., S, D) of every setting for states rho (..., D, D)."""
        vec = np.swapaxes(rho, -1, -2).reshape(*rho.shape[:-2], -1)      # column-stacked
        p = np.real(np.einsum("sok,...k->...so", self.channels, vec))
        if self.assignment is not None:
            p = np.einsum("ot,...st->...so", self.assignment, p)
        p = np.clip(p, 0.0, None)
        return p / p.sum(-1, keepdims=True)

    def measure(self, preps: list[tuple[float, Any]], start: int, stop: int, records: list[int]) -> list[dict]:
        """Prepare each branch at ``start``, evolve to ``stop``; counts of every setting at each step of
        ``records`` (within [start, stop]), shots split among branches by weight."""
        spec = self.spec
        weights = np.array([w for w, _ in preps])
        shots = spec.measurement.shots
        split = {k: _split_shots(self.rng, shots, weights, len(self.settings)) for k in records}   # (S, B)
        out: list[dict] = []
        if self.snapshot:
            states = []
            for _, prep in preps:  # one Aer run per branch: a progress tick each
                qc = self.circuits.start(prep, snapshot=True)
                qc = self.circuits.evolve(qc, start, stop, snapshot=True, records=records, save_qubits=self.measured)
                states += self.backend.evolve([qc], seed=int(self.rng.integers(2**31)))
                self.jobs += 1
                self.tick()
            for k in records:
                rho = np.stack([s[f"step{k}"] for s in states])                  # (B, D, D)
                self.reference[k] = np.einsum("b,bij->ij", weights, rho)
                p = self.probabilities(rho)                                       # (B, S, D)
                counts = self.rng.multinomial(split[k].T, p)                      # (B, S, D)
                for b in range(len(preps)):
                    for i, setting in enumerate(self.settings):
                        out.append(_record(k, setting, b, weights[b], counts[b, i]))
            return out
        # every measurement circuit through SamplerV2
        target = self.backend.layout_target if self.runtime else None
        circuits, shot_list, meta = measurement_circuits(self.circuits, preps, start, records, split, self.rng,
                                                         self.spec.noise_factors, target)
        if self.readout:
            for qc in calibration_circuits(self.circuits).values():
                circuits.append(qc)
                shot_list.append(int(spec.measurement.shots))
        results = self.backend.sample(circuits, shot_list, seed=int(self.rng.integers(2**31)))
        self.jobs += len(circuits)
        self.tick()
        self.last_calibration = [{"counts": dict(c), "metadata": {"calibration": qc.metadata["calibration"]}}
                                 for qc, c in zip(circuits[len(meta):], results[len(meta):])]
        return merge_records(meta, results[: len(meta)], self.dim)


PHASE_PATTERNS = 8


def _phase_split(rng: np.random.Generator, refreshes: int, shots: int) -> list[tuple[tuple[int, ...], int]]:
    """(Z^b bits of each refresh, shots) for one circuit (``CascadeCircuits`` with ``dephasing = "phase"``):
    every pattern with equal shots (the remainder to patterns drawn at random) when there are at most
    ``PHASE_PATTERNS``, else that many patterns drawn at random. Either way the expected counts are those of
    R dephased at every refresh."""
    if refreshes == 0:
        return [((), shots)]
    if 2**refreshes <= PHASE_PATTERNS:
        patterns = [tuple((i >> r) & 1 for r in range(refreshes)) for i in range(2**refreshes)]
    else:
        patterns = [tuple(int(x) for x in rng.integers(0, 2, refreshes)) for _ in range(PHASE_PATTERNS)]
    k = len(patterns)
    split = np.full(k, shots // k)
    split[rng.choice(k, shots % k, replace=False)] += 1
    return [(p, int(c)) for p, c in zip(patterns, split) if c > 0]


def measurement_circuits(cc: CascadeCircuits, preps: list[tuple[float, Any]], start: int, records: list[int],
                         split: dict[int, np.ndarray], rng: np.random.Generator, factors: tuple[int, ...] = (1,),
                         target: Any = None) -> tuple[list, list[int], list[dict]]:
    """Every measurement circuit of one run: each branch prepared at ``start``, evolved to each step of
    ``records``, measured in each setting with ``split[k][setting, branch]`` shots -- per Z^b pattern of
    the bath refreshes with ``dephasing = "phase"`` (``_phase_split``), per noise factor with ZNE (noisy gates
    folded, ``circuits.folding``; every factor gets all the shots). Returns circuits, shots and each
    circuit's record metadata (step, setting, branch, weight[, noise_factor])."""
    from qheat.mitigation.zne import fold_gates

    zne = tuple(factors) != (1,)
    circuits, shots, meta = [], [], []
    inverses: dict = {}     # each gate's inverse written once for every circuit folded here
    pieces: dict[tuple, Any] = {}

    def folded(qc, f: int):
        """Folding acts gate by gate, so a measured circuit is its folded base + its folded setting:
        each base and each setting is folded once, not once per measured circuit."""
        return qc if f == 1 else fold_gates(qc, f, target, inverses)

    def add(base: dict[int, Any], count: int, k: int, setting: tuple[int, ...], b: int, w: float) -> None:
        for f in factors:
            if (setting, f) not in pieces:
                pieces[setting, f] = folded(cc.setting_circuit(setting), f)
            circuits.append(cc.measure(base[f], setting, pieces[setting, f]))
            shots.append(int(count))
            meta.append({"step": int(k), "setting": list(setting), "branch": b, "weight": float(w),
                         **({"noise_factor": int(f)} if zne else {})})

    for b, (w, prep) in enumerate(preps):
        if cc.dephasing == "measure":        # one growing circuit per branch, measured at every record
            qc, at = cc.start(prep, snapshot=False), start
            for k in records:
                cc.evolve(qc, at, k, snapshot=False)
                at = k
                base = {f: folded(qc, f) for f in factors}
                for i, setting in enumerate(cc.settings):
                    add(base, int(split[k][i, b]), k, setting, b, w)
            continue
        bases: dict[tuple, dict[int, Any]] = {}
        for k in records:
            for i, setting in enumerate(cc.settings):
                for pattern, count in _phase_split(rng, cc.refreshes(start, k), int(split[k][i, b])):
                    if (k, pattern) not in bases:
                        qc = cc.evolve(cc.start(prep, snapshot=False), start, k, snapshot=False, phases=pattern)
                        bases[k, pattern] = {f: folded(qc, f) for f in factors}
                    add(bases[k, pattern], count, k, setting, b, w)
    return circuits, shots, meta


def merge_records(meta: list[dict], counts: list[dict[str, int]], dim: int) -> list[dict]:
    """One record per (step, setting, branch[, noise factor]): the counts of its circuits (Z^b patterns) summed."""
    merged: dict[tuple, tuple[dict, np.ndarray]] = {}
    for m, c in zip(meta, counts):
        key = (m["step"], tuple(m["setting"]), m["branch"], m.get("noise_factor"))
        vec = merged.setdefault(key, (m, np.zeros(dim, dtype=np.int64)))[1]
        for bits, v in c.items():
            vec[int(bits, 2)] += int(v)
    out = []
    for m, vec in merged.values():
        rec = _record(m["step"], tuple(m["setting"]), m["branch"], m["weight"], vec)
        if "noise_factor" in m:
            rec["metadata"]["noise_factor"] = m["noise_factor"]
        out.append(rec)
    return out


def calibration_circuits(cc: CascadeCircuits) -> dict[str, Any]:
    """qiskit-experiments' LocalReadoutError circuits on the measured qubits -- all |0>, all |1>, measured
    into ``meas`` -- compiled like every other piece."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    m = len(cc.measured)
    out = {}
    for label in ("0" * m, "1" * m):
        qc = QuantumCircuit(m)
        if label[0] == "1":
            qc.x(range(m))
        compiled = cc.compile(qc)
        full = QuantumCircuit(QuantumRegister(cc.spec.n, "s"), QuantumRegister(1, "r"))
        creg = ClassicalRegister(m, "meas")
        full.add_register(creg)
        full.compose(compiled, qubits=cc.measured, inplace=True)
        full.measure(cc.measured, list(creg))
        full.metadata = {"calibration": label}
        out[label] = full
    return out


def readout_inverse(calibration: list[dict], num_qubits: int) -> np.ndarray | None:
    """The inverse assignment matrix from calibration records (pooled over runs), or None if there are none."""
    zero = [r["counts"] for r in calibration if r["metadata"].get("calibration") == "0" * num_qubits]
    one = [r["counts"] for r in calibration if r["metadata"].get("calibration") == "1" * num_qubits]
    if not zero or not one:
        return None

    def pool(items: list[dict]) -> dict[str, int]:
        acc: dict[str, int] = {}
        for c in items:
            for k, v in c.items():
                acc[k] = acc.get(k, 0) + int(v)
        return acc

    try:
        return mitigation_matrix(assignment_matrices(pool(zero), pool(one), num_qubits))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise QheatError(f"the readout calibration cannot be inverted ({exc})") from None


def _record(step: int, setting: tuple[int, ...], branch: int, weight: float, counts: np.ndarray) -> dict:
    width = int(round(math.log2(len(counts))))
    return {
        "counts": {format(o, f"0{width}b"): int(c) for o, c in enumerate(counts) if c},
        "metadata": {"step": int(step), "setting": list(setting), "branch": int(branch), "weight": float(weight)},
    }


def collect(spec: CascadeSpec, backend: str, progress: Progress | None = None,
            checkpoint: Any = None) -> dict[str, Any]:
    """Run ``spec`` on an Aer or Runtime backend; the records document (counts first, nothing analysed).

    ``checkpoint`` (a path; mode reprepare): after step 0 and after every run the records so far, the
    state the next run prepares, the random generator's state and the layout are written there
    atomically, and a call that finds a checkpoint of the same spec (every field) and backend resumes
    after its last run on the same qubits -- a crash costs at most the run in progress; on a seeded
    simulator the resumed records are those of an uninterrupted run."""
    spec = validated(spec)
    if spec.sweep is not None:
        raise QheatError("circuits run one spec at a time; run the points of the sweep separately")
    from qheat.backends import is_runtime_backend

    n = spec.n
    runtime = is_runtime_backend(backend)
    saved = _read_checkpoint(checkpoint, spec, backend) if spec.execution.mode == "reprepare" else None
    if runtime:   # a resumed run keeps its qubits, whatever today's calibration would choose
        be = runtime_backend(spec, backend, layout=tuple(saved["layout"]) if saved and saved.get("layout") else None)
    else:
        if spec.mitigation is not None and any(vars(spec.mitigation).values()):
            raise QheatError(f"[mitigation] applies to Runtime backends (fake:<name>, ibm:<name>), not {backend!r}")
        be = AerBackend(backend)
        width = n + 1 + (n if spec.execution.preparation == "purification" else 0)
        be.check_width(width, f"spec {spec.key()!r} ({n} subsystems, bath"
                       + (", purification ancillas)" if width > n + 1 else ")"))
    rng = np.random.default_rng(_seed_sequence(spec))
    steps = spec.record_steps()
    rho0 = spec.initial_state()
    first = _branches(spec, rho0, runtime)
    done = [0]
    # units of work: branches (snapshots) or jobs (circuits), per run; reprepare runs prepare up to 2^n branches
    branches = len(first) if spec.execution.engine == "snapshots" else 1
    total = branches if spec.execution.mode == "reset" else branches + (len(steps) - 1) * (
        2**n if spec.execution.engine == "snapshots" and spec.execution.preparation == "temporal" else 1)

    def tick() -> None:
        done[0] += 1
        if progress:
            progress(min(done[0], total), total)

    runner = _Runner(spec, be, rng, tick)
    started = time.time()
    records: list[dict] = []
    runs: list[dict] = []
    calibration: list[dict] = []
    if spec.execution.mode == "reset":
        records = runner.measure(first, 0, steps[-1], steps)
        calibration += runner.last_calibration
    else:
        def save(completed: int) -> None:
            if checkpoint is None:
                return
            from qheat.core.records import write_json_atomic

            write_json_atomic(checkpoint, {
                "kind": CHECKPOINT_KIND, "qheat_version": __version__, "spec": spec.to_dict(), "backend": backend,
                "layout": list(be.layout.qubits) if runtime else None, "completed_run": completed, "runs": runs,
                "prepared": _matrix(prepared), "rng": rng.bit_generator.state, "jobs": runner.jobs, "done": done[0],
                "seconds": time.time() - started,
                "reference_states": {str(k): _matrix(v) for k, v in runner.reference.items()},
                "records": records, "calibration": calibration}, indent=None)

        if saved is None:
            records = runner.measure(first, 0, 0, [0])
            calibration += runner.last_calibration
            prepared, resumed = rho0, 0
            save(0)
        else:
            try:
                records, calibration, runs = list(saved["records"]), list(saved["calibration"]), list(saved["runs"])
                prepared, resumed = _array(saved["prepared"]), int(saved["completed_run"])
                rng.bit_generator.state = saved["rng"]
                runner.reference.update({int(k): _array(v) for k, v in saved["reference_states"].items()})
                runner.jobs, done[0] = int(saved["jobs"]), int(saved["done"])
                started -= float(saved["seconds"])
            except (KeyError, TypeError, ValueError, AttributeError):
                raise QheatError(f"{checkpoint} is a damaged checkpoint; delete it or use --force") from None
        for j, (start, stop) in enumerate(zip(steps, steps[1:]), start=1):
            if j <= resumed:
                continue
            preps = first if j == 1 else _branches(spec, prepared, runtime)  # run 1 prepares rho_S^0 again
            new = runner.measure(preps, start, stop, [stop])
            for r in new:
                r["metadata"]["run"] = j
            cal = runner.last_calibration
            for r in cal:
                r["metadata"]["run"] = j
            calibration += cal
            records += new
            runs.append({"run": j, "start": start, "stop": stop, "prepared": _matrix(prepared)})
            inverse = readout_inverse(cal, len(runner.measured)) if runner.readout else None
            prepared = _system_part(spec, _fit(new, runner.settings, inverse, spec.noise_factors))
            save(j)
    return {
        "kind": RECORDS_KIND,
        "qheat_version": __version__,
        "spec": spec.to_dict(),
        "backend": backend,
        "metadata": {
            "spec_key": spec.key(),
            "backend": backend,
            "seed": spec.measurement.seed,
            "mode": spec.execution.mode,
            "engine": spec.execution.engine,
            "preparation": spec.execution.preparation,
            "measured_qubits": runner.measured,
            "settings": "Pauli index per measured qubit (0 = Z, 1 = X, 2 = Y), entry j for qubit j; "
                        "bitstrings with qubit 0 rightmost",
            "shots_per_setting": spec.measurement.shots,
            "aer_runs": runner.jobs,
            "seconds": round(time.time() - started, 3),
            **(runtime_metadata(be, runner.circuits, spec) if runtime else {}),
        },
        "runs": runs,
        "reference_states": {str(k): _matrix(v) for k, v in sorted(runner.reference.items())},
        "records": records,
        **({"calibration": calibration} if calibration else {}),
    }


CHECKPOINT_KIND = "qheat.cascade.checkpoint"


def _array(m: dict[str, list]) -> np.ndarray:
    return np.array(m["real"]) + 1j * np.array(m["imag"])


def _read_checkpoint(path: Any, spec: CascadeSpec, backend: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it holds runs of this spec and backend (None if there is none);
    anything else is refused in one line rather than overwritten."""
    import json
    from pathlib import Path

    if path is None or not Path(path).exists():
        return None
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise QheatError(f"{path} is not a readable checkpoint ({type(exc).__name__}); delete it or use --force") from None
    if not (isinstance(doc, dict) and doc.get("kind") == CHECKPOINT_KIND and doc.get("spec") == spec.to_dict()
            and doc.get("backend") == backend and doc.get("qheat_version") == __version__):
        raise QheatError(f"{path} holds a partial run of another spec, backend or qheat version; "
                         "use --force to start over or another --output")
    return doc


def runtime_backend(spec: CascadeSpec, backend: str, layout: tuple[int, ...] | None = None, **kwargs: Any):
    """A ``RuntimeBackend`` prepared for ``spec``: layout chosen (or ``layout`` taken), compiler built,
    mitigation set."""
    from qheat.backends.runtime import RuntimeBackend

    if spec.execution.preparation == "purification":
        raise QheatError(f"{backend}: preparation = 'purification' needs 2n + 1 connected qubits; "
                         "use preparation = 'temporal' on devices")
    if spec.protocol == "simultaneous":
        raise QheatError(f"{backend}: protocol = 'simultaneous' is one gate on all {spec.n + 1} qubits, which a device "
                         "synthesises from hundreds of two-qubit gates per collision; run it on aer or the exact "
                         "engine, or use protocol = 'cascade' on devices")
    be = RuntimeBackend(backend, **kwargs)
    from qheat.protocols.cascade.circuits import measured_qubits

    be.prepare(spec.n, len(measured_qubits(spec)), seed=spec.measurement.seed, layout=layout)
    be.mitigation = dict(vars(spec.mitigation)) if spec.mitigation is not None else {}
    return be


def circuit_costs(cc: CascadeCircuits, spec: CascadeSpec) -> dict[str, Any]:
    """Two-qubit gates and depth of one compiled collision (bath refresh + the n interactions), and of the
    largest preparation of rho_S^0, on the device."""
    from qiskit import ClassicalRegister, QuantumCircuit

    from qheat.backends.runtime import two_qubit_count

    n = spec.n
    qc = QuantumCircuit(n + 1)
    if cc.dephasing == "measure":
        qc.add_register(ClassicalRegister(1, "bath"))
    cc.evolve(qc, 0, n, snapshot=False, phases=(1,) if cc.dephasing == "phase" else ())
    preps = [cc.compile(c) for _, c in _branches(spec, spec.initial_state(), True)]
    swaps = sum((seg.metadata or {}).get("routing_swaps", 0) for seg, _ in cc.segments.values())
    return {"two_qubit_gates_per_collision": two_qubit_count(qc), "depth_per_collision": qc.depth(),
            "two_qubit_gates_preparation_max": max(two_qubit_count(p) for p in preps),
            "swaps": swaps, "swaps_preparation_max": max((p.metadata or {}).get("routing_swaps", 0) for p in preps),
            "note": "one collision = bath refresh (reset, RY, Z) + n partial SWAPs, compiled for the layout; 'swaps': "
                    "the SWAPs that move the bath to the S_k that are not its neighbours and back (included in the "
                    "two-qubit gate count)"}


def runtime_metadata(be: Any, cc: CascadeCircuits, spec: CascadeSpec) -> dict[str, Any]:
    from qheat.backends.runtime import versions

    return {"device": be.device.name, "layout": be.layout.to_dict(), "costs": circuit_costs(cc, spec),
            "mitigation": dict(be.mitigation), "engine": "circuits (Qiskit Runtime SamplerV2"
            + (", local mode on the fake device restricted to the layout)" if be.kind == "fake" else ")"),
            "versions": versions()}


def _seed_sequence(spec: CascadeSpec, *extra: int) -> list[int]:
    """Random streams of a run: the spec's seed and its key, so specs sharing a seed draw independently."""
    return spec.seed_sequence(spec.measurement.seed, *extra)


def _matrix(rho: np.ndarray) -> dict[str, list]:
    return {"real": np.real(rho).tolist(), "imag": np.imag(rho).tolist()}


def _system_part(spec: CascadeSpec, rho: np.ndarray) -> np.ndarray:
    """rho_S from a state of the measured qubits (the system, or system + R with R the highest qubit)."""
    if rho.shape[-1] == 2**spec.n:
        return rho
    return reduced_state(rho, range(spec.n))


# ----------------------------------------------------------------------------- analysis


def _counts_by_step(doc: dict[str, Any], settings: list[tuple[int, ...]], dim: int,
                    factors: tuple[int, ...] = (1,)) -> tuple[list[int], np.ndarray]:
    """Counts merged over preparation branches: (steps, array (K, F, S, D)), F the noise factors."""
    index = {s: i for i, s in enumerate(settings)}
    level = {f: i for i, f in enumerate(factors)}
    by_step: dict[int, np.ndarray] = {}
    for rec in doc["records"]:
        meta = rec["metadata"]
        arr = by_step.setdefault(int(meta["step"]), np.zeros((len(factors), len(settings), dim), dtype=np.int64))
        row = arr[level[meta.get("noise_factor", 1)], index[tuple(meta["setting"])]]
        for bits, c in rec["counts"].items():
            row[int(bits, 2)] += int(c)
    steps = sorted(by_step)
    return steps, np.stack([by_step[k] for k in steps])


def _fit(records: list[dict], settings: list[tuple[int, ...]], inverse: np.ndarray | None = None,
         factors: tuple[int, ...] = (1,)) -> np.ndarray:
    """The positive fit of one run's records (all at one step), extrapolated to zero noise with ZNE."""
    _, counts = _counts_by_step({"records": records}, settings, 2 ** len(settings[0]), factors)
    return fit_states(counts, inverse, factors)[0]


def run_channel(spec: CascadeSpec, start: int, stop: int, measured: int) -> np.ndarray:
    """The ideal map of one reprepare run on system operators, as a matrix on row-major vec:
    X_S -> (state of the measured qubits after interactions start+1..stop, each collision with a fresh
    thermal bath particle). Linear, so it propagates deviations as well as states."""
    from qiskit.quantum_info import Operator

    from qheat.circuits import collision_stages

    n, d = spec.n, 2**spec.n
    bath = gibbs_state(spec.bath.temperature, spec.system.delta)
    stages = collision_stages(spec.protocol, n, spec.interaction.g, spec.interaction.tau, spec.order)
    mats = [(Operator(s.gate).data, s.qubits, len(s.subsystems)) for s in stages]
    cols = []
    for a in range(d):
        for b in range(d):
            x = np.zeros((d, d), dtype=complex)
            x[a, b] = 1.0
            step, joint = start, None
            while step < stop:
                pos = step % n
                if pos == 0:
                    xs = x if joint is None else reduced_state(joint, range(n))
                    joint = tensor_product(xs, bath)
                offset = 0
                for u, qubits, size in mats:
                    if offset == pos:
                        joint = apply_unitary(joint, u, qubits)
                        step += size
                        break
                    offset += size
            out = x if joint is None else reduced_state(joint, range(measured))
            cols.append(out.reshape(-1))
    return np.array(cols).T


def analyze_records(doc: dict[str, Any]) -> Result:
    """Tomography and thermodynamics of a records document (see module doc); reads nothing else."""
    from qheat.protocols.cascade import analysis as cascade

    if not isinstance(doc, dict) or doc.get("kind") != RECORDS_KIND:
        raise QheatError("not a qheat records file (no kind = 'qheat-records')")
    spec = spec_from_dict(doc["spec"])
    if not isinstance(spec, CascadeSpec):
        raise QheatError("records of this protocol cannot be analysed by the cascade analysis")
    from qheat.physics.tomography import settings as all_settings
    from qheat.protocols.cascade.circuits import measured_qubits

    measured = len(measured_qubits(spec))
    settings = all_settings(measured)
    lost = set(doc.get("metadata", {}).get("incomplete_steps") or [])   # circuits of failed or cancelled jobs
    _check_records(doc, spec, settings, lost)
    factors = spec.noise_factors
    steps, counts = _counts_by_step(doc, settings, 2**measured, factors)
    complete = (counts.sum(-1) > 0).all((-2, -1)) & np.array([k not in lost for k in steps])
    missing = [k for k, ok in zip(steps, complete) if not ok]
    if missing:
        steps = [k for k, ok in zip(steps, complete) if ok]
        counts = counts[complete]
        if len(steps) < 2:
            raise QheatError(f"too few complete records to analyse (steps with every setting: {steps}); "
                             f"incomplete: {missing}")
    inverse = None
    if spec.mitigation is not None and spec.mitigation.readout:
        inverse = readout_inverse(doc.get("calibration", []), measured)
        if inverse is None:
            raise QheatError("the spec asks for readout mitigation but the records hold no calibration counts")
    lin = linear_estimate(counts, inverse, factors)                    # (K, D, D)
    states = physical(lin)
    replicas = spec.measurement.bootstrap
    rng = np.random.default_rng(_seed_sequence(spec, 7))
    rep_states = None
    if replicas:
        rep_lin = linear_estimate(bootstrap_counts(counts, replicas, rng), inverse, factors)
        if spec.execution.mode == "reprepare":
            rep_lin = _chain(spec, steps, states, rep_lin, measured)
        rep_states = physical(rep_lin)                                  # (B, K, D, D)
    result = _result(spec, doc, steps, states, rep_states, cascade.system_columns)
    block = result.data["measurement"]
    if inverse is not None:
        block["readout_mitigation"] = ("inverse of the per-qubit assignment matrices (qiskit-experiments "
                                       "LocalReadoutMitigator) from the all-|0>/all-|1> calibration circuits of the "
                                       "same jobs, applied to the frequencies before linear inversion; bootstrap "
                                       "does not resample the calibration")
    if factors != (1,):
        block["zero_noise_extrapolation"] = (f"gates folded to noise factors {list(factors)}; each setting's "
                                             "frequencies extrapolated to zero noise (Richardson) before linear "
                                             "inversion; the bootstrap resamples every factor")
    if missing:
        block["incomplete_steps"] = missing
    meta = doc.get("metadata", {})
    for key in ("device", "layout", "costs", "mitigation", "jobs_report", "versions"):
        if key in meta:
            block[key] = meta[key]
    if "engine" in meta and "layout" in meta:
        block["engine"] = meta["engine"]
    return result


def _check_records(doc: dict[str, Any], spec: CascadeSpec, settings: list[tuple[int, ...]],
                   lost: set[int] = frozenset()) -> None:
    """Refuse records that cannot be this spec's: every record step and setting (except the steps
    ``lost`` to failed or cancelled jobs, which the analysis leaves out), well-formed counts."""
    records = doc.get("records")
    factors = spec.noise_factors
    if not isinstance(records, list) or not records:
        raise QheatError("the records document holds no counts (every job failed or none was fetched)")
    width = len(settings[0])
    known = set(settings)
    seen: dict[int, set] = {}
    for i, rec in enumerate(records):
        meta = rec.get("metadata") if isinstance(rec, dict) else None
        counts = rec.get("counts") if isinstance(rec, dict) else None
        if not isinstance(meta, dict) or not isinstance(counts, dict):
            raise QheatError(f"record {i} has no counts or metadata")
        step, setting = meta.get("step"), meta.get("setting")
        if meta.get("noise_factor", 1) not in factors:
            raise QheatError(f"record {i}: noise factor {meta.get('noise_factor')!r} is not one of the spec's "
                             f"{list(factors)} ([mitigation] zne)")
        if not isinstance(step, int) or not isinstance(setting, list) or tuple(setting) not in known:
            raise QheatError(f"record {i}: step {step!r} / setting {setting!r} is not one of this spec's "
                             f"({width}-qubit Pauli settings)")
        for bits, c in counts.items():
            if len(bits) != width or set(bits) - {"0", "1"} or isinstance(c, bool) or not isinstance(c, int) or c < 0:
                raise QheatError(f"record {i}: bad count {bits!r}: {c!r} ({width}-bit strings, counts >= 0)")
        seen.setdefault(step, set()).add((meta.get("noise_factor", 1), tuple(setting)))
    expected = set(spec.record_steps())
    if set(seen) - expected or expected - set(seen) - set(lost):
        odd = sorted((set(seen) - expected) | (expected - set(seen) - set(lost)))
        raise QheatError(f"the records do not match the spec's record steps (e.g. step {odd[0]}); "
                         "were they made with another spec?")
    wanted = {(f, s) for f in factors for s in known}
    for step, have in seen.items():
        if have != wanted and step not in lost:
            raise QheatError(f"step {step}: {len(wanted) - len(have)} of {len(wanted)} Pauli settings"
                             + (" x noise factors" if len(factors) > 1 else "") + " have no records")


def _chain(spec: CascadeSpec, steps: list[int], states: np.ndarray, rep_lin: np.ndarray, measured: int) -> np.ndarray:
    """Bootstrap replicas of a reprepare chain, each re-run through the whole chain.

    Run j prepared the positive fit of run j - 1, sigma_{j-1} = states_{j-1}|_S (run 1: the
    exact rho_S^0). A replica that reconstructed physical(lin^b_{j-1})|_S instead would have
    prepared that, so its run j differs by Phi_j(sigma^b_{j-1} - sigma_{j-1}) on top of its own
    resampling deviation: lin^b_j += Phi_j(physical(lin^b_{j-1})|_S - sigma_{j-1}). The projection
    inside the chain lets the replicas carry the bias that preparing projected states builds up.
    """
    out = rep_lin.copy()
    n = spec.n
    d_m = 2**measured
    cache: dict[int, np.ndarray] = {}

    def system(rho: np.ndarray) -> np.ndarray:
        return rho if measured == n else np.stack([reduced_state(r, range(n)) for r in rho])

    for j in range(2, len(steps)):
        length = steps[j] - steps[j - 1]
        if length not in cache:
            cache[length] = run_channel(spec, steps[j - 1], steps[j], measured)
        shift = system(physical(out[:, j - 1])) - system(states[j - 1][None])[0]
        out[:, j] += (shift.reshape(len(shift), -1) @ cache[length].T).reshape(-1, d_m, d_m)
    return out


def _stderr(replicas: np.ndarray) -> np.ndarray:
    """Standard deviation over bootstrap replicas (axis 0), ignoring replicas where a quantity is
    undefined (an apparent temperature without a solution); NaN where fewer than two remain."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(replicas, axis=0, ddof=1)


def _result(spec: CascadeSpec, doc: dict[str, Any], steps: list[int], states: np.ndarray,
            rep_states: np.ndarray | None, columns_of: Callable) -> Result:
    n, delta, t_r = spec.n, spec.system.delta, spec.bath.temperature
    with_bath = states.shape[-1] == 2 ** (n + 1)
    rho_s = np.stack([_system_part(spec, r) for r in states])
    col = columns_of(rho_s, spec)
    rep = None
    if rep_states is not None:
        b, k = rep_states.shape[:2]
        flat = rep_states.reshape(b * k, *rep_states.shape[2:])
        rep_s = np.stack([_system_part(spec, r) for r in flat])
        rep = {key: v.reshape(b, k, *v.shape[1:]) for key, v in columns_of(rep_s, spec).items()}

    def entry(key: str, value: np.ndarray, rep_value: np.ndarray | None) -> dict[str, Any]:
        out = {key: value}
        if rep_value is not None:
            out[f"{key}_stderr"] = _stderr(rep_value)
        return out

    def pick(key: str, f: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        return f(col[key]), (None if rep is None else f(rep[key]))

    from qheat.protocols.cascade.analysis import analyze
    from qheat.protocols.cascade.exact import simulate

    exact = analyze(simulate(spec), spec).data
    pops0, c0 = col["pops"][0], col["c_k"][0]
    subsystems = []
    for k in range(n):
        t_k = spec.system.temperatures[k]
        sub: dict[str, Any] = {"label": f"S{k + 1}", "temperature": t_k}
        sub.update(entry("energy", *pick("energy_k", lambda a: a[..., k])))
        sub.update(entry("energy_change", *pick("energy_k", lambda a: a[..., k] - a[..., :1, k])))
        sub.update(entry("heat_absorbed", *pick("energy_k", lambda a: a[..., -1, k] - a[..., 0, k])))
        if rep is not None:  # bootstrap bias estimate: replica mean minus estimate
            sub["heat_absorbed_bootstrap_bias"] = float(np.mean(rep["energy_k"][:, -1, k] - rep["energy_k"][:, 0, k])
                                                        - sub["heat_absorbed"])
        sub.update(entry("apparent_temperature", *pick("at_k", lambda a: a[..., k])))
        sub.update(entry("one_way_coherence", *pick("c_k", lambda a: a[..., k])))
        sub["reversal_threshold"] = thermo.reversal_threshold(t_k, t_r, delta)
        sub["reversal_predicted"] = thermo.reversal_predicted(float(c0[k]), t_k, t_r, delta)
        sub["initial_heat_current"] = thermo.heat_current(
            pops0[k, 0], pops0[k, 1], float(c0[k]), t_r, spec.interaction.g, spec.interaction.tau, delta)
        subsystems.append(sub)
    system: dict[str, Any] = {}
    system.update(entry("energy", *pick("energy", lambda a: a)))
    system.update(entry("heat_absorbed", *pick("energy", lambda a: a[..., -1] - a[..., 0])))
    for key in ("free_energy", "coherence", "entropy"):
        system.update(entry(key, *pick(key, lambda a: a)))
    system.update(entry("free_energy_change", *pick("free_energy", lambda a: a - a[..., :1])))
    system.update(entry("apparent_temperature", *pick("at", lambda a: a)))
    heat = -(col["energy"] - col["energy"][0])
    note = ("inferred from the measured system energy: the collisions conserve H_S + H_R, so "
            "Q_R = -(E_S(t) - E_S(0))")
    if ":" in doc["backend"]:
        note += "; on a noisy backend this also counts the energy that the noise adds to or takes from the system"
    bath: dict[str, Any] = {"temperature": t_r, "heat_received": heat, "heat_received_note": note}
    if rep is not None:
        bath["heat_received_stderr"] = _stderr(-(rep["energy"] - rep["energy"][:, :1]))
    if with_bath:
        rho_r = np.stack([reduced_state(r, [n]) for r in states])
        bath["particle_energy"] = thermo.qubit_energy(rho_r, delta)
        mi = [[max(thermo.pair_mutual_information(reduced_state(r, [k, n])[None])[0], 0.0) for k in range(n)]
              for r in states]
        for k in range(n):
            subsystems[k]["mutual_information_with_bath"] = [m[k] for m in mi]
        s_sr = thermo.von_neumann_entropies(states)
        system["mutual_information_with_bath"] = np.maximum(
            col["entropy"] + thermo.von_neumann_entropies(rho_r) - s_sr, 0.0)
    meta = doc.get("metadata", {})
    reference = doc.get("reference_states") or {}
    shot_free = None
    if reference and all(str(k) in reference for k in steps):
        ref_states = np.stack([_array(reference[str(k)]) for k in steps])
        ref_col = columns_of(np.stack([_system_part(spec, r) for r in ref_states]), spec)
        shot_free = {
            "note": "the simulator's own states at each record before any shot was drawn (snapshots engine): "
                    "what infinitely many shots would give on this backend; beside 'exact' it shows the noise",
            "subsystems": [{"energy": ref_col["energy_k"][:, k],
                            "heat_absorbed": float(ref_col["energy_k"][-1, k] - ref_col["energy_k"][0, k])}
                           for k in range(n)],
            "system": {"energy": ref_col["energy"], "free_energy": ref_col["free_energy"],
                       "coherence": ref_col["coherence"]},
        }
    data = {
        "steps": steps,
        "collision": [math.ceil(s / n) for s in steps],
        "subsystems": subsystems,
        "system": system,
        "bath": bath,
        "measurement": {
            "mode": spec.execution.mode,
            "engine": spec.execution.engine,
            "preparation": spec.execution.preparation,
            "tomography": spec.measurement.tomography,
            "shots_per_setting": spec.measurement.shots,
            "fit": "qiskit-experiments linear_inversion + postprocess_fitter(make_positive=True)",
            "stderr": (f"standard deviation over {spec.measurement.bootstrap} bootstrap resamples of the counts"
                       + ("; reprepare chains: each run's deviation propagated through the later runs"
                          if spec.execution.mode == "reprepare" else "")) if spec.measurement.bootstrap else "none",
            "records_seconds": meta.get("seconds"),
        },
        "exact": {
            "note": "the exact engine on the same spec, at every step, for comparison",
            "steps": exact["steps"],
            "subsystems": [{key: sub[key] for key in ("label", "energy", "heat_absorbed", "apparent_temperature")}
                           for sub in exact["subsystems"]],
            "system": {key: exact["system"][key] for key in ("energy", "heat_absorbed", "free_energy", "coherence")},
            "bath": {"heat_received": exact["bath"]["heat_received"]},
        },
        "conventions": CONVENTIONS,
    }
    if shot_free is not None:
        data["shot_free"] = shot_free
    return Result(spec, doc["backend"], data)


# ----------------------------------------------------------------------------- submission (qheat submit)


def submission_circuits(spec: CascadeSpec, be: Any) -> tuple[list, list[int], list[dict], CascadeCircuits]:
    """Every measurement circuit of a ``reset``-mode run, compiled for ``be`` (a prepared RuntimeBackend):
    circuits, shots (each setting's shots split among the preparation branches by a multinomial draw, as
    ``collect`` does) and the metadata of each record. Readout calibration circuits are added per job by
    ``backends.runtime.plan_jobs``."""
    if spec.execution.mode != "reset":
        raise QheatError("qheat submit runs mode 'reset' (every circuit known in advance); mode 'reprepare' needs "
                         "each run's tomography before the next run: use 'qheat run SPEC --backend ...', which waits")
    rng = np.random.default_rng(_seed_sequence(spec))
    cc = CascadeCircuits(spec, be.compile, "phase")
    steps = spec.record_steps()
    preps = _branches(spec, spec.initial_state(), True)
    weights = np.array([w for w, _ in preps])
    split = {k: _split_shots(rng, spec.measurement.shots, weights, len(cc.settings)) for k in steps}
    circuits, shots, meta = measurement_circuits(cc, preps, 0, steps, split, rng, spec.noise_factors,
                                                 be.layout_target)
    # step-major: a job that fails takes few records with it (a record needs every branch of every setting)
    order = sorted(range(len(meta)), key=lambda i: (meta[i]["step"], meta[i]["branch"]))
    return [circuits[i] for i in order], [shots[i] for i in order], [meta[i] for i in order], cc


def records_from_jobs(manifest: dict[str, Any], job_counts: dict[int, list[dict[str, int]]],
                      report: list[dict]) -> dict[str, Any]:
    """The records document of a submission: the counts of every finished job with the metadata the manifest
    kept for each of its pubs (twirled instances of one circuit summed), calibration apart."""
    merged: dict[int, dict[str, int]] = {}
    meta_of: dict[int, dict] = {}
    calibration: list[dict] = []
    for job in manifest["jobs"]:
        counts = job_counts.get(job["index"])
        if counts is None:
            continue
        if len(counts) != len(job["pubs"]):
            raise QheatError(f"job {job['index']} ({job.get('job_id')}) returned {len(counts)} results for "
                             f"{len(job['pubs'])} circuits")
        for pub, c in zip(job["pubs"], counts):
            if "calibration" in pub:
                calibration.append({"counts": dict(c), "metadata": {"calibration": pub["calibration"],
                                                                    "job": job["index"]}})
                continue
            acc = merged.setdefault(pub["circuit"], {})
            meta_of[pub["circuit"]] = pub["metadata"]
            for k, v in c.items():
                acc[k] = acc.get(k, 0) + int(v)
    records = [{"counts": merged[i], "metadata": meta_of[i]} for i in sorted(merged)]
    lost = sorted({pub["metadata"]["step"] for job in manifest["jobs"] if job["index"] not in job_counts
                   for pub in job["pubs"] if "metadata" in pub})
    spec = spec_from_dict(manifest["spec"])
    return {
        "kind": RECORDS_KIND,
        "qheat_version": __version__,
        "spec": manifest["spec"],
        "backend": manifest["backend"],
        "metadata": {
            "spec_key": spec.key(),
            "backend": manifest["backend"],
            "seed": spec.measurement.seed,
            "mode": spec.execution.mode,
            "engine": manifest.get("engine", "circuits (Qiskit Runtime SamplerV2)"),
            "preparation": spec.execution.preparation,
            "settings": "Pauli index per measured qubit (0 = Z, 1 = X, 2 = Y), entry j for qubit j; "
                        "bitstrings with qubit 0 rightmost",
            "shots_per_setting": spec.measurement.shots,
            "jobs": len(manifest["jobs"]),
            "jobs_report": report,
            "incomplete_steps": lost,
            "manifest": manifest["id"],
            "device": manifest.get("device"),
            "layout": manifest.get("layout"),
            "costs": manifest.get("costs"),
            "mitigation": manifest.get("options", {}).get("mitigation"),
            "versions": manifest.get("versions"),
            "seconds": None,
        },
        "runs": [],
        "records": records,
        **({"calibration": calibration} if calibration else {}),
    }


def plan_submission(spec: CascadeSpec, backend: str, manifest_path: Any, *, instance: str | None = None,
                    max_circuits: int | None = None) -> dict[str, Any]:
    """Build the ISA circuits of ``spec`` for ``backend``, split them into jobs and write the circuits (QPY)
    and the manifest atomically -- before anything is submitted. Returns the manifest."""
    import uuid
    from pathlib import Path

    from qiskit import qpy

    from qheat.backends import runtime as rt
    from qheat.core.records import write_json_atomic  # noqa: F401 -- same atomic rule for the QPY below

    spec = validated(spec)
    if spec.sweep is not None:
        raise QheatError("submit one spec at a time; run the points of the sweep separately")
    if spec.execution.mode != "reset":
        submission_circuits(spec, None)  # raises the explanation
    path = Path(manifest_path)
    be = runtime_backend(spec, backend, instance=instance)
    circuits, shots, meta, cc = submission_circuits(spec, be)
    seed = int(np.random.default_rng(_seed_sequence(spec, 11)).integers(2**31))
    pubs, origin = be.pubs(circuits, shots, seed)
    calibration = None
    if spec.mitigation is not None and spec.mitigation.readout:
        calibration = {label: be.isa(qc) for label, qc in calibration_circuits(cc).items()}
    limit = max_circuits or be.max_circuits
    flat, jobs = rt.plan_jobs(pubs, origin, meta, calibration, spec.measurement.shots, limit)
    files = rt.manifest_paths(path)
    files["circuits"].parent.mkdir(parents=True, exist_ok=True)
    tmp = files["circuits"].with_name(f".{files['circuits'].name}.tmp")
    with tmp.open("wb") as fh:
        qpy.dump(flat, fh)
    import os

    os.replace(tmp, files["circuits"])
    manifest = {
        "kind": rt.MANIFEST_KIND,
        "format": rt.MANIFEST_FORMAT,
        "id": uuid.uuid4().hex[:16],
        "created": __import__("time").strftime("%Y-%m-%dT%H:%M:%S%z"),
        "spec": spec.to_dict(),
        "backend": backend,
        "device": be.device.name,
        "store": "local" if be.kind == "fake" else "ibm",
        "layout": be.layout.to_dict(),
        "costs": circuit_costs(cc, spec),
        "engine": "circuits (Qiskit Runtime SamplerV2" + (", local mode on the fake device restricted to the layout)"
                                                          if be.kind == "fake" else ", IBM Quantum, in a Batch)"),
        "options": {"shots_per_setting": spec.measurement.shots, "seed": seed, "max_circuits": limit,
                    "mitigation": dict(be.mitigation),
                    "runtime_options": ({"dynamical_decoupling.enable": True, "dynamical_decoupling.sequence_type": "XY4"}
                                        if be.mitigation.get("dynamical_decoupling") and be.kind == "ibm" else {})
                    | ({"twirling.enable_gates": True} if be.mitigation.get("twirling") and be.kind == "ibm" else {}),
                    "local_techniques": "dynamical decoupling / twirling applied by qheat (local mode ignores Runtime's "
                                        "options)" if be.kind == "fake" else None},
        "versions": rt.versions(),
        "circuits_file": files["circuits"].name,
        "circuits_sha256": rt._sha256(files["circuits"]),
        "circuits": len(circuits),
        "jobs": jobs,
    }
    rt.write_manifest(path, manifest)
    return manifest
