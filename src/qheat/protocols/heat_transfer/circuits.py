"""The circuits of seed 000: Q(t) = Delta<H_B> with B measured in Z, one circuit per time.

At each of ``circuits.points`` evenly spaced times t in [0, t_max] one circuit: rho_0 + chi prepared
as a purification (``circuits.preparation.purification_circuit``: system qubits 0..n-1, one ancilla
n + k per qubit k), e^{-iHt} compiled with ``PauliEvolutionGate`` (``circuits.three_body``: the local
part split off exactly when it commutes, exact synthesis up to 4 qubits, Lie-Trotter within
``max_trotter_error`` beyond), then B's qubits measured in Z -- and, when every qubit of B is a
diagonal factor of rho_0, its ancillas too: a thermofield ancilla holds its qubit's initial Z, so
E_B(t) - E_B(0) per shot is a (deferred) two-point measurement of heat.

``batches`` hands these circuits, compiled by the device (``device.compile``; on ``aer:<config>``
with its noise model), to the engine as one batch of counts, seeded from the spec's seed and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit import QuantumCircuit

from qheat.circuits import three_body
from qheat.circuits.preparation import circuit_cost, purification_circuit
from qheat.core.errors import QheatError
from qheat.core.protocol import Batch, BatchGenerator
from qheat.protocols.heat_transfer.model import Model, build_model
from qheat.protocols.heat_transfer.spec import HeatTransferPhaseSpec, HeatTransferSpec

if TYPE_CHECKING:
    from qheat.backends.aer import AerBackend

MAX_TROTTER_REPS = 10_000  # product-formula steps per circuit: beyond, compiling and simulating takes hours


@dataclass(frozen=True, eq=False)
class HeatCircuits:
    """The logical (uncompiled) circuits of a spec and how each was made."""

    times: np.ndarray
    preparation: QuantumCircuit
    evolutions: tuple[QuantumCircuit, ...]
    synthesis: tuple[three_body.Synthesis, ...]
    measured: tuple[int, ...]  # clbit i = qubit measured[i]: B's qubits, then (two-point) their ancillas
    two_point: bool
    split_local_part: bool
    circuits: tuple[QuantumCircuit, ...]  # preparation + evolution + measurement, metadata per time


def width(spec: HeatTransferSpec) -> int:
    """Qubits of every circuit: the system and one purifying ancilla per qubit."""
    return 2 * spec.n


def heat_circuits(spec: HeatTransferSpec, model: Model) -> HeatCircuits:
    """The circuits of ``spec`` (a pure function of the spec: ``analysis`` rebuilds them for the shot-free Q)."""
    settings = spec.circuits
    if settings is None:
        raise QheatError("circuits need a [circuits] table (points, shots, seed)")
    n, b = model.n, model.partition.b
    h0, v = three_body.evolution_parts(*three_body.hamiltonian_operator(n, spec.frequencies, model.terms))
    times = np.linspace(0.0, spec.evolution.t_max, settings.points)
    prep = purification_circuit(model.rho0, thermofield=True)
    two_point = set(b) <= set(prep.metadata["thermofield_qubits"])
    measured = tuple(b) + (tuple(n + q for q in b) if two_point else ())
    synth, evolutions, circuits = [], [], []
    for t in times:
        s = three_body.choose_synthesis(v, float(t), settings.synthesis, settings.max_trotter_error)
        evo = three_body.evolution_circuit(h0, v, float(t), s)
        synth.append(s)
        evolutions.append(evo)
        circuits.append(
            three_body.measured_circuit(
                prep,
                evo,
                measured,
                metadata={"time": float(t), "synthesis": s.method, "reps": s.reps, "measured_qubits": list(measured)},
            )
        )
    return HeatCircuits(
        times, prep, tuple(evolutions), tuple(synth), measured, two_point, bool(np.any(h0.coeffs)), tuple(circuits)
    )


def sampler_seed(spec: HeatTransferSpec) -> int:
    """The batch's seed: one draw from the spec's seed and key (sweep points differ)."""
    return int(np.random.default_rng(spec.seed_sequence(spec.circuit_settings().seed)).integers(2**62))


def check_backend(spec: HeatTransferSpec | HeatTransferPhaseSpec, backend: str) -> None:
    """Refuse, in one line and before any work, what cannot run on ``backend``."""
    from qheat.backends import check, is_runtime_backend, open_device

    check(backend)
    if backend == "exact":
        return
    if isinstance(spec, HeatTransferPhaseSpec):
        raise QheatError("a [phase_diagram] spec is a closed-form map; it runs on backend 'exact' only")
    if spec.circuits is None:
        raise QheatError(f"backend {backend!r} needs a [circuits] table (points, shots, seed)")
    if is_runtime_backend(backend):
        from qheat.backends.runtime.runs import check_runtime

        check_runtime(backend, width(spec), _what(spec))
    else:
        check_width(spec, open_device(backend))
    model = build_model(spec)
    if np.abs(model.h_b - np.diag(np.diag(model.h_b))).max() > 1e-12:
        raise QheatError(
            f"H_B has terms that are not diagonal (X or Y inside B): backend {backend!r} measures H_B "
            "in the Z basis only; use backend 'exact'"
        )
    _, v = three_body.evolution_parts(*three_body.hamiltonian_operator(model.n, spec.frequencies, model.terms))
    s = three_body.choose_synthesis(v, spec.evolution.t_max, spec.circuits.synthesis, spec.circuits.max_trotter_error)
    if s.reps > MAX_TROTTER_REPS:
        raise QheatError(
            f"Lie-Trotter needs {s.reps} steps at t_max = {spec.evolution.t_max:g} for "
            f"circuits.max_trotter_error = {spec.circuits.max_trotter_error:g} (at most {MAX_TROTTER_REPS}); "
            "raise max_trotter_error, shorten t_max or set circuits.synthesis = 'exact'"
        )


def _what(spec: HeatTransferSpec) -> str:
    return f"spec {spec.key()!r} ({spec.n} qubits and one purifying ancilla each)"


def check_width(spec: HeatTransferSpec, device: AerBackend) -> None:
    """Refuse circuits wider than the device."""
    device.check_width(width(spec), _what(spec))


def batches(spec: HeatTransferSpec, device: AerBackend, resume: dict[str, Any] | None = None) -> BatchGenerator:
    """One batch: the circuit of every time, compiled by ``device``, ``shots`` each (statevector method on
    ideal Aer, the device's density matrices with its noise model otherwise). ``resume`` is unused (one
    batch). Returns the records document's metadata: seeds, estimator and two-qubit gate counts.

    On a Runtime device (``fake:``/``ibm:``) the layout is chosen for the circuits' interaction graph by the
    device's reported errors (``backends.runtime.runs.prepare_run``) and the metadata add device, layout and
    costs (with the synthesis and its Trotter error bound)."""
    from qheat.backends import is_runtime_backend

    check_width(spec, device)
    hc = heat_circuits(spec, build_model(spec))
    settings = spec.circuit_settings()
    seed = sampler_seed(spec)
    runtime = is_runtime_backend(device.name)
    run = None
    if runtime:
        from qheat.backends.runtime.runs import prepare_run

        names = spec.labels + tuple(f"anc_{label}" for label in spec.labels)
        run = prepare_run(device, hc.circuits, names=names, measured=hc.measured, seed=seed)
    compiled = [(run or device).compile(qc) for qc in hc.circuits]
    method = None if runtime or device.noise is not None else "statevector"
    yield Batch(
        compiled,
        [dict(qc.metadata) for qc in hc.circuits],
        [settings.shots] * len(compiled),
        method=method,
        seed=seed,
        label="heat-transfer circuits",
    )
    gates_evo = [circuit_cost(evo) for evo in hc.evolutions]
    device_part = (
        {}
        if run is None
        else run.metadata(
            compiled,
            group=spec.n,
            synthesis=[s.method for s in hc.synthesis],
            trotter_reps=[s.reps for s in hc.synthesis],
            trotter_error_bound_max=max(s.error_bound for s in hc.synthesis),
        )
    )
    return {
        "metadata": {
            "sampler_seed": seed,
            "method": method or getattr(device, "sample_method", "device"),
            "noise": runtime or device.noise is not None,
            **device_part,
            "estimator": "two-point" if hc.two_point else "end-point",
            "two_qubit_gates": {
                "preparation": circuit_cost(hc.preparation),
                "evolution": gates_evo,
                "evolution_max": int(max(gates_evo)),
                "compiled": [_two_qubit_gates(qc) for qc in compiled],
            },
        }
    }


def _two_qubit_gates(qc: QuantumCircuit) -> int:
    return sum(1 for inst in qc.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")
