"""Qiskit Runtime backends: ``fake:<name>`` (a fake device of ``qiskit_ibm_runtime.fake_provider`` in
Runtime's local mode, with its noise model) and ``ibm:<name>`` (a device through ``QiskitRuntimeService``).

``RuntimeBackend`` is the device, in the order a run needs it: names (``devices``), layout and compiling
(``layout``), execution -- ``fake:`` in local mode on the fake device *restricted to the layout's qubits*
(the same properties and noise-model builder, so Aer simulates 4 qubits, not 127/133), with dynamical
decoupling / twirling applied locally (``techniques``); ``ibm:`` embeds the circuits in the device width
and submits jobs inside a ``Batch``. Every execution goes through Runtime's client-side
``executor_sampler.Sampler`` (``primitives``: one job per pub in local mode, ~0.2 s per 4-qubit circuit,
measured). Then the account (``account``), and jobs that survive a crash (``jobs``). The names other
modules use are re-exported here.
"""

from __future__ import annotations

from typing import Any

from qheat.backends.runtime.account import (
    NETWORK_DEADLINE,
    _with_deadline,
    credentials,
    reachable,
    service,
)
from qheat.backends.runtime.devices import (
    FAKE_PREFIX,
    IBM_PREFIX,
    check_name,
    fake_device,
    fake_names,
    restricted_fake,
    restricted_target,
    versions,
)
from qheat.backends.runtime.jobs import (
    FINAL_STATES,
    MANIFEST_FORMAT,
    MANIFEST_KIND,
    LocalJobStore,
    _sha256,
    fetch,
    job_states,
    manifest_paths,
    plan_jobs,
    read_manifest,
    submit_pending,
    write_manifest,
)
from qheat.backends.runtime.layout import (
    Layout,
    LayoutCompiler,
    _edge_error,
    _error,
    _two_qubit_ops,
    choose_layout,
    coupled_pairs,
    given_layout,
    two_qubit_count,
)
from qheat.backends.runtime.primitives import (
    equal_shots,
    ibm_sampler,
    local_simulator,
    pub_counts,
    run_local,
    trim_counts,
)
from qheat.backends.runtime.techniques import local_techniques
from qheat.core.errors import QheatError

__all__ = [
    "FINAL_STATES",
    "MANIFEST_FORMAT",
    "MANIFEST_KIND",
    "LocalJobStore",
    "RuntimeBackend",
    "_edge_error",
    "_error",
    "_sha256",
    "_two_qubit_ops",
    "check_name",
    "choose_layout",
    "coupled_pairs",
    "credentials",
    "fake_device",
    "fake_names",
    "fetch",
    "job_states",
    "manifest_paths",
    "plan_jobs",
    "reachable",
    "read_manifest",
    "restricted_target",
    "submit_pending",
    "two_qubit_count",
    "versions",
    "write_manifest",
]

DEFAULT_MAX_CIRCUITS = 300  # pubs per job when the device reports no limit


class RuntimeBackend:
    """``fake:<name>`` or ``ibm:<name>`` prepared for one spec: device, layout, compiler, sampler.

    ``sample(circuits, shots, seed, register, method)`` (the signature of ``AerBackend.sample``, what the
    engine calls) runs compiled circuits in local mode or on the service and returns the counts.
    """

    def __init__(self, name: str, *, instance: str | None = None, service_obj=None) -> None:
        check_name(name)
        self.name = name
        self.kind = "fake" if name.startswith(FAKE_PREFIX) else "ibm"
        self.instance = instance
        self._service = service_obj
        self.layout: Layout | None = None
        self.layout_target = None  # the device target on the layout qubits, set by prepare()
        self.compiler: LayoutCompiler | None = None
        self.mitigation: dict[str, bool] = {}
        self.jobs = 0
        if self.kind == "fake":
            self.device = fake_device(name)
        else:
            self._service = self._service or service(instance)
            try:
                self.device = _with_deadline(
                    lambda: self._service.backend(name[len(IBM_PREFIX) :]),
                    NETWORK_DEADLINE,
                    f"IBM Quantum did not answer for {name}",
                )
            except QheatError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise QheatError(
                    f"device {name[len(IBM_PREFIX) :]!r} is not available to this account ({type(exc).__name__})"
                ) from None

    @property
    def service(self):
        return self._service

    def prepare(self, n: int, measured: int, seed: int = 0, layout: tuple[int, ...] | None = None) -> Layout:
        """Choose (or take) the layout for n subsystems and build the compiler and the execution device."""
        if layout is None:
            self.layout = choose_layout(self.device.target, n, measured)
        else:
            try:
                qubits = tuple(int(q) for q in layout)
            except (TypeError, ValueError):
                raise QheatError(f"a layout is a list of qubit indices (S_1..S_n, R), got {layout!r}") from None
            if len(qubits) != n + 1:
                raise QheatError(f"a layout for {n} subsystems names {n + 1} qubits (S_1..S_n, R), got {list(qubits)}")
            self.layout = given_layout(self.device.target, qubits, measured)
        self.compiler = LayoutCompiler(self.device.target, self.layout, seed)
        self.layout_target = restricted_target(self.device.target, self.layout.qubits)  # what compiled circuits fit
        if self.kind == "fake":
            self.executor = restricted_fake(self.device, self.layout.qubits)
        return self.layout

    def compile(self, qc):
        if self.compiler is None:
            raise QheatError("RuntimeBackend.prepare() must choose a layout before compiling")
        return self.compiler(qc)

    @property
    def max_qubits(self) -> int:
        """The layout's width once ``prepare`` chose it, else the device's."""
        return len(self.layout.qubits) if self.layout is not None else int(self.device.num_qubits)

    def check_width(self, qubits: int, what: str) -> None:
        """As ``AerBackend.check_width``: refuse circuits wider than the device (or the layout)."""
        if qubits > self.max_qubits:
            raise QheatError(f"{what} needs {qubits} qubits but {self.name} has {self.max_qubits}")

    @property
    def max_circuits(self) -> int:
        limit = getattr(self.device, "max_circuits", None)
        return int(limit) if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_CIRCUITS

    def isa(self, qc):
        """A compiled piece-built circuit as the device runs it: the restricted fake device takes it as is;
        a real device gets it embedded in its width on the layout's physical qubits."""
        if self.kind == "fake":
            return qc
        from qiskit import QuantumCircuit

        if self.layout is None:
            raise QheatError("RuntimeBackend.prepare() must choose a layout before embedding circuits")
        full = QuantumCircuit(self.device.num_qubits)
        for creg in qc.cregs:
            full.add_register(creg)
        full.compose(qc, qubits=list(self.layout.qubits[: qc.num_qubits]), inplace=True)
        full.metadata = qc.metadata
        return full

    def local_techniques(self, circuits: list, shots: list[int], seed: int) -> tuple[list, list[int], list[int]]:
        """On ``fake:``, the mitigation Runtime applies server-side (``techniques.local_techniques``); on
        ``ibm:`` the circuits as they are. Returns circuits, shots and each output circuit's origin."""
        if self.kind != "fake":
            return list(circuits), list(shots), list(range(len(circuits)))
        return local_techniques(circuits, shots, seed, self.executor.target, self.mitigation)

    def pubs(self, circuits: list, shots: list[int], seed: int) -> tuple[list, list[int]]:
        """Pubs (circuit, None, shots) for the Sampler with the local techniques applied; and each pub's origin."""
        circs, s, origin = self.local_techniques([self.isa(qc) for qc in circuits], shots, seed)
        return [(qc, None, int(k)) for qc, k in zip(circs, s) if k > 0], [o for o, k in zip(origin, s) if k > 0]

    def expectations(
        self, circuits: list, observables: list[list], shots: list[int], seed: int, techniques: tuple[str, ...] = ()
    ) -> list[dict[str, list[float]]]:
        """Pauli expectation values of every (compiled) circuit through ``executor_estimator.Estimator`` with
        ``techniques`` (``estimator``: trex, zne, pea, pec), in one ``Batch``: local mode on ``fake:`` (layer
        noise for PEA/PEC from the device's own noise model), the service on ``ibm:`` (layer noise from
        ``NoiseLearnerV3``). One record per circuit: ``evs`` and ``stds`` per observable (and per noise
        factor with ZNE/PEA), and the ``techniques`` applied to it: PEA and PEC are dropped for a circuit
        without a two-qubit gate (they act on boxed two-qubit layers only; Runtime's PEC fails on such a
        circuit)."""
        from qiskit_ibm_runtime import Batch
        from qiskit_ibm_runtime.executor_estimator import Estimator

        from qheat.backends.runtime.estimator import (
            drop_resets,
            estimator_options,
            fake_layer_noise,
            learned_layer_noise,
            needs_layer_noise,
            run_estimator,
        )

        options = estimator_options(tuple(techniques), max(shots))
        # PEA and PEC act on the boxed two-qubit layers: a circuit without one runs with the other techniques;
        # the others lose the resets a box cannot hold, before any job (one that acts is refused)
        applied = [_applied(tuple(techniques), qc) for qc in circuits]
        circuits = [drop_resets(qc) if needs_layer_noise(a) else qc for qc, a in zip(circuits, applied)]
        if self.layout is None:
            raise QheatError("RuntimeBackend.prepare() must choose a layout before running circuits")
        layout = self.layout
        if self.kind == "fake":
            pubs = [(qc, list(obs)) for qc, obs in zip(circuits, observables)]
        else:
            width = int(self.device.num_qubits)
            pubs = [
                (self.isa(qc), [o.apply_layout(list(layout.qubits[: qc.num_qubits]), num_qubits=width) for o in obs])
                for qc, obs in zip(circuits, observables)
            ]
        out: list[dict[str, Any]] = [{} for _ in pubs]
        with Batch(backend=local_simulator(self.executor) if self.kind == "fake" else self.device) as batch:
            noise = None
            boxed = [p for p, a in zip(pubs, applied) if needs_layer_noise(a)]
            if boxed:
                probe = Estimator(mode=batch, options=options)
                noise = (
                    fake_layer_noise(probe, boxed, self.executor)
                    if self.kind == "fake"
                    else learned_layer_noise(probe, boxed, batch)
                )
            groups = sorted({(applied[i], s) for i, s in enumerate(shots)})
            for k, (used, count) in enumerate(groups):
                index = [i for i, s in enumerate(shots) if (applied[i], s) == (used, count)]
                got = run_estimator(
                    batch,
                    [pubs[i] for i in index],
                    estimator_options(used, count),
                    seed + k,
                    layer_noise=noise if needs_layer_noise(used) else None,
                    local=self.kind == "fake",
                )
                self.jobs += len(index) if self.kind == "fake" else 1
                for i, res in zip(index, got):
                    out[i] = {**res, "techniques": list(used)}
        return out

    def sample(
        self, circuits: list, shots: list[int], seed: int, register: str = "meas", method: str | None = None
    ) -> list[dict[str, int]]:
        """Counts of every (compiled) circuit, through Runtime local mode (``fake:``) or the service (``ibm:``),
        in jobs of at most ``max_circuits`` pubs inside one ``Batch`` (``executor_sampler.Sampler``, see
        ``primitives``); circuits with 0 shots give {}. ``method`` (Aer's simulation method, in
        ``AerBackend.sample``'s signature) is ignored."""
        from qiskit_ibm_runtime import Batch

        pubs, origin = self.pubs(circuits, shots, seed)
        out: list[dict[str, int]] = [{} for _ in circuits]
        mode_device = local_simulator(self.executor) if self.kind == "fake" else self.device
        with Batch(backend=mode_device) as batch:
            for start in range(0, len(pubs), self.max_circuits):
                chunk = pubs[start : start + self.max_circuits]
                if self.kind == "fake":
                    got = run_local(batch, chunk, seed + start, register)
                else:
                    job = ibm_sampler(batch, self.mitigation).run(equal_shots(chunk))
                    got = trim_counts(pub_counts(job.result(), register), [int(p[2]) for p in chunk], seed + start)
                self.jobs += 1
                for i, counts in enumerate(got):
                    acc = out[origin[start + i]]
                    for k, v in counts.items():
                        acc[k] = acc.get(k, 0) + v
        return out


def _applied(techniques: tuple[str, ...], qc: Any) -> tuple[str, ...]:
    """``techniques`` without PEA/PEC when ``qc`` has no two-qubit gate: nothing for them to act on."""
    if any(len(inst.qubits) > 1 and inst.operation.name != "barrier" for inst in qc.data):
        return techniques
    return tuple(t for t in techniques if t not in ("pea", "pec"))
