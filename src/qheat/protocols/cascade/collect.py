"""Seed 001 measured the way a laboratory measures it: the circuits of a run, as batches for the engine.

Modes (``[execution] mode``):
- ``reset``: the record at step k comes from circuits that prepare rho_S^0 and perform k
  interactions, the bath qubit refreshed every collision (depth grows with k);
- ``reprepare``: the repeated procedure of seed 001, SI Fig. 8: run j prepares the state
  reconstructed by run j - 1 (run 1: rho_S^0), performs the collisions up to the next record and
  measures; the depth is that of one run whatever the number of collisions.

Engines (``[execution] engine``) on Aer: "snapshots" -- the branches prepared once (a "states" batch) and
mixed, the mixture evolved by the noisy channels of the circuits' pieces (a "superop" batch, with the
measurement channels), the counts of every Pauli setting drawn from the exact outcome probabilities of its
noisy measurement circuit; "circuits" -- every measurement circuit sampled (a "counts" batch), as on devices.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from functools import cache
from typing import Any

import numpy as np

from qheat.backends import is_runtime_backend
from qheat.circuits import on_active_qubits
from qheat.core.errors import QheatError
from qheat.core.protocol import Batch, BatchGenerator, Checkpoint
from qheat.core.records import array, matrix
from qheat.mitigation.readout import readout_inverse
from qheat.physics.linalg import apply_channel, reduced_state
from qheat.protocols.cascade.circuits import CascadeCircuits, branches
from qheat.protocols.cascade.devices import prepare_device, runtime_metadata
from qheat.protocols.cascade.records import fit_run, seed_sequence, system_part
from qheat.protocols.cascade.spec import CascadeSpec

# ----------------------------------------------------------------------------- running


def split_shots(rng: np.random.Generator, shots: int, weights: np.ndarray, size: int) -> np.ndarray:
    """Shots of each branch for ``size`` settings: multinomial draws with the branch weights (S, B)."""
    return rng.multinomial(shots, weights / weights.sum(), size=size)


class _Runner:
    """The measurements of one spec on one device (Aer or Runtime), with either engine, as batches."""

    def __init__(self, spec: CascadeSpec, device: Any, rng: np.random.Generator) -> None:
        self.spec, self.device, self.rng = spec, device, rng
        self.runtime = is_runtime_backend(device.name)  # fake:/ibm: every circuit through the sampler
        self.circuits = CascadeCircuits(spec, device.compile, "phase" if self.runtime else "measure")
        self.snapshot = spec.execution.engine == "snapshots" and not self.runtime
        self.readout = bool(self.runtime and spec.mitigation is not None and spec.mitigation.readout)
        self.estimator = spec.mitigation.estimator if self.runtime and spec.mitigation is not None else ()
        self.observables: list[str] = []  # the Estimator path's Pauli labels
        if self.estimator:
            from qheat.mitigation.pauli import observable_labels

            assert spec.mitigation is not None
            self.observables = observable_labels(spec.mitigation.observables, len(self.circuits.measured), spec.n)
        self.last_calibration: list[dict] = []  # readout calibration counts of the last measure() (Runtime)
        self.measured = self.circuits.measured
        self.settings = self.circuits.settings
        self.dim = 2 ** len(self.measured)
        self.jobs = 0
        self.reference: dict[int, np.ndarray] = {}  # snapshots: the state each record samples (all branches)
        self.channels: np.ndarray | None = None
        self.pieces: dict[str, tuple[np.ndarray, tuple[int, ...]]] = {}  # snapshots: superop, qubits

    def channels_batch(self) -> Generator[Batch, list[dict], None]:
        """Snapshots engine, once per run: in ONE "superop" batch, the noisy channel of every setting's
        compiled basis rotations -- its rows give the outcome probabilities, P[o, :] . vec(rho) =
        <o| Phi(rho) |o> -- and of every piece of the evolution (``CascadeCircuits.snapshot_pieces``) on the
        qubits it acts on (the noise of an Aer config is the same on every qubit)."""
        from qiskit import QuantumCircuit

        rotations = []
        for setting in self.settings:
            rot = QuantumCircuit(len(self.measured))
            rot.compose(self.circuits.setting_circuit(setting).remove_final_measurements(inplace=False), inplace=True)
            rotations.append(rot)
        if self.device.noise is not None and self.device.noise.noise_qubits:
            raise QheatError(
                f"{self.device.name}: the snapshots engine needs the same noise on every qubit; use engine = 'circuits'"
            )
        local = {key: on_active_qubits(qc) for key, qc in self.circuits.snapshot_pieces().items()}
        if any(max(qubits) > self.spec.n for qubits, _ in local.values()):
            raise QheatError(f"{self.device.name}: a compiled collision uses qubits beyond system and R")
        out = yield Batch(
            [*rotations, *(qc for _, qc in local.values())],
            [*({"setting": list(s)} for s in self.settings), *({"piece": key} for key in local)],
            kind="superop",
            keep=False,
            label="measurement and evolution channels",
        )
        s = len(rotations)
        self.channels = np.stack([r["superop"][np.arange(self.dim) * (self.dim + 1)] for r in out[:s]])  # (S, D, D^2)
        self.pieces = {key: (r["superop"], qubits) for (key, (qubits, _)), r in zip(local.items(), out[s:])}
        self.assignment = self.device.assignment(len(self.measured))

    def propagate(self, rho: np.ndarray, start: int, stop: int, records: list[int]) -> dict[int, np.ndarray]:
        """Snapshots engine: the state of the measured qubits at each step of ``records`` from the prepared
        state ``rho`` of system and R at ``start``, the channels of the pieces (``channels_batch``) applied
        in the order of the circuits (``CascadeCircuits.schedule``). By linearity this is the density
        matrix Aer saves in the whole circuit, without simulating it."""
        out: dict[int, np.ndarray] = {}

        def keep(step: int, state: np.ndarray) -> None:
            if step in records:
                out[step] = reduced_state(state, self.measured)

        keep(start, rho)
        for refresh, position, step in self.circuits.schedule(start, stop):
            if refresh:
                rho = apply_channel(rho, *self.pieces["refresh"])
            rho = apply_channel(rho, *self.pieces[f"segment{position}"])
            keep(step, rho)
        return out

    def probabilities(self, rho: np.ndarray) -> np.ndarray:
        """Outcome probabilities (..., S, D) of every setting for states rho (..., D, D)."""
        assert self.channels is not None, "channels_batch() runs first on the snapshots engine"
        vec = np.swapaxes(rho, -1, -2).reshape(*rho.shape[:-2], -1)  # column-stacked
        p = np.real(np.einsum("sok,...k->...so", self.channels, vec))
        if self.assignment is not None:
            p = np.einsum("ot,...st->...so", self.assignment, p)
        p = np.clip(p, 0.0, None)
        return p / p.sum(-1, keepdims=True)

    def measure(
        self, preps: list[tuple[float, Any]], start: int, stop: int, records: list[int]
    ) -> Generator[Batch, list[dict], list[dict]]:
        """Prepare each branch at ``start``, evolve to ``stop``; counts of every setting at each step of
        ``records`` (within [start, stop]); circuits and Estimator: shots split among branches by weight.

        Snapshots engine: one record per step and setting, the counts of all branches together. Drawing a
        branch by weight and then an outcome from its state is drawing from the weighted mixture, so the
        counts of the branches' circuits (multinomially split shots, summed) are distributed as shots of
        the mixture: the branches are prepared in ONE Aer run, mixed, and the mixture evolved by the
        pieces' channels (``propagate``)."""
        spec = self.spec
        weights = np.array([w for w, _ in preps])
        shots = spec.measurement.shots
        out: list[dict] = []
        if self.snapshot:
            system_bath = list(range(spec.n + 1))
            prepared = []
            for _, prep in preps:
                qc = self.circuits.start(prep, snapshot=True)
                qc.save_density_matrix(system_bath, label="prepared")
                prepared.append(qc)
            done = yield Batch(
                prepared,
                [{"branch": b, "start": start} for b in range(len(preps))],
                kind="states",
                seed=int(self.rng.integers(2**31)),  # no shot is drawn: the saved states do not depend on it
                keep=False,
                label=f"preparations at step {start}",
            )
            self.jobs += 1
            mixed = np.einsum("b,bij->ij", weights / weights.sum(), np.stack([r["states"]["prepared"] for r in done]))
            states = self.propagate(mixed, start, stop, records)
            for k in records:
                self.reference[k] = states[k]
                counts = self.rng.multinomial(shots, self.probabilities(states[k]))  # (S, D)
                for setting, c in zip(self.settings, counts):
                    out.append(_record(k, setting, c, branches=len(preps)))
            return out
        split = {k: split_shots(self.rng, shots, weights, len(self.settings)) for k in records}  # (S, B)
        if self.estimator:
            return (yield from self.expect(preps, start, records))
        # every measurement circuit sampled
        target = self.device.layout_target if self.runtime else None
        circuits, shot_list, meta = measurement_circuits(
            self.circuits, preps, start, records, split, self.rng, self.spec.noise_factors, target
        )
        if self.readout:
            for qc in calibration_circuits(self.circuits).values():
                circuits.append(qc)
                shot_list.append(int(spec.measurement.shots))
        done = yield Batch(
            circuits,
            [*meta, *({"calibration": qc.metadata["calibration"]} for qc in circuits[len(meta) :])],
            shots=shot_list,
            seed=int(self.rng.integers(2**31)),
            keep=False,
            label=f"steps {start}-{stop}",
        )
        results = [r["counts"] for r in done]
        self.jobs += len(circuits)
        self.last_calibration = [
            {"counts": dict(c), "metadata": {"calibration": qc.metadata["calibration"]}}
            for qc, c in zip(circuits[len(meta) :], results[len(meta) :])
        ]
        return merge_records(meta, results[: len(meta)], self.dim)

    def expect(
        self, preps: list[tuple[float, Any]], start: int, records: list[int]
    ) -> Generator[Batch, list[dict], list[dict]]:
        """The Estimator path (``[mitigation] estimator``): the Paulis of the measured qubits that
        ``[mitigation] observables`` asks for (``mitigation.pauli.observable_labels``; every non-identity
        one for the state) in each branch's circuit at each step of ``records`` (one circuit per Z^b pattern
        of the bath refreshes), through Runtime's Estimator with the spec's techniques. The Estimator
        measures each circuit in every Pauli basis the observables need (its qubit-wise commuting groups:
        3^m for the state, as the tomography settings; 1 for the energies) with its shots: shots per basis
        split by branch weight and over patterns, as the tomography path spends them per setting. One
        record per circuit: values and standard errors (per noise factor too with ZNE or PEA), the
        techniques applied, step, branch, weight, pattern."""
        spec = self.spec
        budget = spec.measurement.shots  # per basis (Runtime's default_shots: per circuit per configuration)
        observables = [_pauli_on(label, self.measured, spec.n + 1) for label in self.observables]
        circuits, shots, meta = [], [], []
        for b, (w, prep) in enumerate(preps):
            for k in records:
                refreshes = self.circuits.refreshes(start, k)
                for pattern, count in _phase_split(self.rng, refreshes, max(1, round(budget * w))):
                    circuits.append(
                        self.circuits.evolve(
                            self.circuits.start(prep, snapshot=False), start, k, snapshot=False, phases=pattern
                        )
                    )
                    shots.append(int(count))
                    meta.append(
                        {"step": int(k), "branch": b, "weight": float(w), "pattern": list(pattern), "shots": int(count)}
                    )
        done = yield Batch(
            circuits,
            meta,
            shots=shots,
            kind="expectations",
            observables=[observables] * len(circuits),
            techniques=tuple(self.estimator),
            seed=int(self.rng.integers(2**31)),
            keep=False,
            label=f"steps {start}-{records[-1]}",
        )
        self.jobs += len(circuits)
        return [{"expectations": dict(r["expectations"]), "metadata": dict(m_)} for r, m_ in zip(done, meta)]


def _pauli_on(label: str, qubits: list[int], width: int):
    """The Pauli ``label`` (Qiskit order: its last character on ``qubits[0]``) as a SparsePauliOp on
    ``width`` circuit qubits."""
    from qiskit.quantum_info import SparsePauliOp

    chars = label[::-1]  # chars[j] acts on qubits[j]
    return SparsePauliOp.from_sparse_list([("".join(chars), list(qubits), 1.0)], num_qubits=width)


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


def measurement_circuits(
    cc: CascadeCircuits,
    preps: list[tuple[float, Any]],
    start: int,
    records: list[int],
    split: dict[int, np.ndarray],
    rng: np.random.Generator,
    factors: tuple[int, ...] = (1,),
    target: Any = None,
) -> tuple[list, list[int], list[dict]]:
    """Every measurement circuit of one run: each branch prepared at ``start``, evolved to each step of
    ``records``, measured in each setting with ``split[k][setting, branch]`` shots -- per Z^b pattern of
    the bath refreshes with ``dephasing = "phase"`` (``_phase_split``), per noise factor with ZNE (noisy gates
    folded, ``mitigation.zne``; every factor gets all the shots). Returns circuits, shots and each
    circuit's record metadata (step, setting, branch, weight[, noise_factor])."""
    from qheat.mitigation.zne import fold_gates

    zne = tuple(factors) != (1,)
    circuits, shots, meta = [], [], []
    inverses: dict = {}  # each gate's inverse written once for every circuit folded here
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
            meta.append(
                {
                    "step": int(k),
                    "setting": list(setting),
                    "branch": b,
                    "weight": float(w),
                    **({"noise_factor": int(f)} if zne else {}),
                }
            )

    for b, (w, prep) in enumerate(preps):
        if cc.dephasing == "measure":  # one growing circuit per branch, measured at every record
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
        rec = _record(m["step"], tuple(m["setting"]), vec, branch=int(m["branch"]), weight=float(m["weight"]))
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


@cache
def _labels(dim: int) -> tuple[str, ...]:
    """The bitstring of every outcome (qubit 0 rightmost)."""
    width = int(round(math.log2(dim)))
    return tuple(format(o, f"0{width}b") for o in range(dim))


def _record(step: int, setting: tuple[int, ...], counts: np.ndarray, **tags: Any) -> dict:
    """A record of counts at ``step`` in ``setting``; ``tags``: which branch and its weight, or how many
    branches share the record."""
    values = np.asarray(counts).tolist()
    return {
        "counts": {label: c for label, c in zip(_labels(len(values)), values) if c},
        "metadata": {"step": int(step), "setting": list(setting), **tags},
    }


def batches(spec: CascadeSpec, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
    """The runs of ``spec`` on ``device`` (Aer or Runtime) as batches; returns the records document's body.

    Mode reprepare checkpoints after step 0 and after every run (the records so far, the state the next run
    prepares, the random generator's state and the layout); resumed from one, the run goes on after its last
    finished run, on the same qubits -- on a seeded simulator with the records of an uninterrupted run."""
    n = spec.n
    runtime = is_runtime_backend(device.name)
    saved = resume if spec.execution.mode == "reprepare" else None
    if runtime:  # a resumed run keeps its qubits, whatever today's calibration would choose
        prepare_device(spec, device, layout=tuple(saved["layout"]) if saved and saved.get("layout") else None)
    else:
        if spec.mitigation is not None and any(vars(spec.mitigation).values()):
            raise QheatError(f"[mitigation] applies to Runtime backends (fake:<name>, ibm:<name>), not {device.name!r}")
        width = n + 1 + (n if spec.execution.preparation == "purification" else 0)
        device.check_width(
            width, f"spec {spec.key()!r} ({n} subsystems, bath" + (", purification ancillas)" if width > n + 1 else ")")
        )
    rng = np.random.default_rng(seed_sequence(spec))
    steps = spec.record_steps()
    rho0 = spec.initial_state()
    first = branches(spec, rho0, runtime)
    runner = _Runner(spec, device, rng)
    if runner.snapshot:
        yield from runner.channels_batch()
    records: list[dict] = []
    runs: list[dict] = []
    calibration: list[dict] = []

    def state(completed: int, prepared: np.ndarray) -> Checkpoint:
        return Checkpoint(
            {
                "layout": list(device.layout.qubits) if runtime else None,
                "completed_run": completed,
                "runs": runs,
                "prepared": matrix(prepared),
                "rng": rng.bit_generator.state,
                "jobs": runner.jobs,
                "reference_states": {str(k): matrix(v) for k, v in runner.reference.items()},
                "records": records,
                "calibration": calibration,
            }
        )

    if spec.execution.mode == "reset":
        records = yield from runner.measure(first, 0, steps[-1], steps)
        calibration += runner.last_calibration
    else:
        if saved is None:
            records = yield from runner.measure(first, 0, 0, [0])
            calibration += runner.last_calibration
            prepared, resumed = rho0, 0
            yield state(0, prepared)
        else:
            try:
                records, calibration, runs = list(saved["records"]), list(saved["calibration"]), list(saved["runs"])
                prepared, resumed = array(saved["prepared"]), int(saved["completed_run"])
                rng.bit_generator.state = saved["rng"]
                runner.reference.update({int(k): array(v) for k, v in saved["reference_states"].items()})
                runner.jobs = int(saved["jobs"])
            except (KeyError, TypeError, ValueError, AttributeError):
                raise QheatError(
                    "damaged checkpoint: its saved state is incomplete; move it away, or use --force to start over"
                ) from None
        for j, (start, stop) in enumerate(zip(steps, steps[1:]), start=1):
            if j <= resumed:
                continue
            preps = first if j == 1 else branches(spec, prepared, runtime)  # run 1 prepares rho_S^0 again
            new = yield from runner.measure(preps, start, stop, [stop])
            for r in new:
                r["metadata"]["run"] = j
            cal = runner.last_calibration
            for r in cal:
                r["metadata"]["run"] = j
            calibration += cal
            records += new
            runs.append({"run": j, "start": start, "stop": stop, "prepared": matrix(prepared)})
            if runner.estimator:
                from qheat.protocols.cascade.expectations import fit_expectations

                prepared = system_part(spec, fit_expectations(new, len(runner.measured)))
            else:
                inverse = readout_inverse(cal, len(runner.measured)) if runner.readout else None
                prepared = system_part(spec, fit_run(new, runner.settings, inverse, spec.noise_factors))
            yield state(j, prepared)
    return {
        "metadata": {
            "seed": spec.measurement.seed,
            "mode": spec.execution.mode,
            "engine": spec.execution.engine,
            "preparation": spec.execution.preparation,
            "measured_qubits": runner.measured,
            **(
                {
                    "expectations": "evs/stds of the Paulis 'observables' of the measured qubits (Qiskit labels: "
                    "the last character on measured qubit 0), Runtime's Estimator with "
                    f"techniques {list(runner.estimator)}; 'pattern': the Z^b bits of the bath refreshes",
                    "observables": runner.observables,
                }
                if runner.estimator
                else {
                    "settings": "Pauli index per measured qubit (0 = Z, 1 = X, 2 = Y), entry j for qubit j; "
                    "bitstrings with qubit 0 rightmost"
                }
            ),
            "shots_per_setting": spec.measurement.shots,
            "aer_runs": runner.jobs,
            **(runtime_metadata(device, runner.circuits, spec) if runtime else {}),
        },
        "runs": runs,
        "reference_states": {str(k): matrix(v) for k, v in sorted(runner.reference.items())},
        "records": records,
        **({"calibration": calibration} if calibration else {}),
    }
