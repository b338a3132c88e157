"""Seeds 003/004 on circuits: what may run, how long each circuit is, and the batches the engine runs.

Each master equation with a collision model (``exact.COLLISION_MODELS``: 'lindblad' <- global
collisions, 'local' <- local ones; 'redfield' has none) gives two circuits of the same rounds
(``circuits.reservoir_circuit``): one *sampled* (two-point Z measurements of the ancillas, register
'tpm', statevector method for its mid-circuit measurements and resets) and one *shot-free* (each
measurement replaced by the unconditional measurement channel and the ancilla's <Z> saved before
and after each measured collision; run once with the density-matrix method), both compiled for the
device, so that on a noisy device the shot-free value is what the sampled one estimates.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit.circuit import Gate

from qheat.core.errors import QheatError
from qheat.core.protocol import Batch, BatchGenerator
from qheat.protocols.reservoirs import circuits as builders
from qheat.protocols.reservoirs.exact import COLLISION_MODELS, CollisionModel
from qheat.protocols.reservoirs.spec import ReservoirsSpec

RELAX_TOL = 1e-3  # relaxation rounds: |lambda_2|^R <= RELAX_TOL from the exact channel
MAX_COLLISIONS_PER_SHOT = 50_000  # each measured collision stores two bits per shot in the records


@dataclass(frozen=True)
class Plan:
    """One collision model's circuit: ``rounds`` rounds of duration ``dt``, the last ``measured_rounds`` recorded."""

    method: str
    model: str
    dt: float
    rounds: int
    measured_rounds: int


def plans(spec: ReservoirsSpec) -> list[Plan]:
    """The circuit of every method of ``spec`` that has a collision model, in the spec's order.

    Relaxation: enough rounds to relax to ``RELAX_TOL`` (from the exact channel's |lambda_2|); measured:
    ``collisions.window / dt`` rounds (default: as many as relaxing)."""
    settings = spec.collision_settings()
    out = []
    for method in spec.methods:
        if method not in COLLISION_MODELS:
            continue
        model = COLLISION_MODELS[method]
        cm = CollisionModel(spec.system, spec.reservoirs, settings.dt, model)
        relax = cm.rounds_to_relax(RELAX_TOL)
        measured = relax if settings.window is None else max(1, math.ceil(settings.window / settings.dt))
        rounds = relax + measured
        if rounds * len(cm.collisions) > MAX_COLLISIONS_PER_SHOT:
            raise QheatError(
                f"collisions.dt = {settings.dt:g} needs {rounds} rounds of {len(cm.collisions)} collisions "
                f"per shot (more than {MAX_COLLISIONS_PER_SHOT}); use a larger dt or a shorter window"
            )
        out.append(Plan(method, model, settings.dt, rounds, measured))
    return out


def check(spec: ReservoirsSpec, backend: str) -> None:
    """Refuse, in one line, a backend or spec the gate-model reservoir cannot run (every sweep point checked)."""
    if backend == "exact":
        return
    if spec.collisions is None:
        raise QheatError(
            f"backend {backend!r} needs a [collisions] table with dt (the collision strength), e.g. dt = 0.25"
        )
    if spec.lamb_shift:
        raise QheatError(
            f"backend {backend!r} has no collision model with the Lamb shift; remove lamb_shift or use backend 'exact'"
        )
    if not any(m in COLLISION_MODELS for m in spec.methods):
        raise QheatError(
            f"backend {backend!r} has collision models for methods 'lindblad' and 'local' only; "
            f"add one of them to methods {list(spec.methods)}"
        )
    if spec.sweep is None:  # the engine checks every point of a sweep
        plans(spec)
    if backend.startswith(("fake:", "ibm:")):
        from qheat.backends.runtime.runs import check_runtime

        check_runtime(backend, spec.system.n + 2, _what(spec, True))


def _what(spec: ReservoirsSpec, runtime: bool) -> str:
    return f"spec {spec.key()!r} ({spec.system.n} system qubits and one ancilla" + (
        " with its purifier)" if runtime else ")"
    )


def batches(spec: ReservoirsSpec, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
    """One sampled batch per collision model (``collisions.shots`` shots), then one shot-free batch of all.

    Seeds: one per sampled batch, then one for the shot-free batch, drawn in that order from
    ``spec.seed_sequence(collisions.seed)`` (every sweep point its own stream). Returns the records
    document's metadata: the seeds, the seconds each sampled batch took, the device's one-qubit readout
    assignment matrix (None if ideal). ``resume`` is unused (nothing adaptive).

    On a Runtime device (``fake:``/``ibm:``) the sampled circuits refresh every unrecorded ancilla by reset + RY
    + CX to a purifier (prep 'purify': no Kraus channel, no measurement but the records, register 'meas'), are
    compiled on the layout chosen for their interaction graph (``runs.prepare_run``), and there is no shot-free
    batch (a device saves no state)."""
    from qheat.backends import is_runtime_backend

    check(spec, device.name)  # also when the engine's collect is driven without ``Protocol.check``
    settings, system, res = spec.collision_settings(), spec.system, spec.reservoirs
    todo = plans(spec)
    runtime = is_runtime_backend(device.name)
    device.check_width(system.n + (2 if runtime else 1), _what(spec, runtime))
    rng = np.random.default_rng(spec.seed_sequence(settings.seed))
    seeds = [int(rng.integers(2**62)) for _ in range(len(todo) + 1)]
    seconds: dict[str, float] = {}
    device_options = {"prep": "purify", "register": "meas"} if runtime else {}

    def logical(plan: Plan, **options: Any) -> Any:
        return builders.reservoir_circuit(
            system, res, plan.dt, plan.rounds, plan.measured_rounds, model=plan.model, **options
        )

    run = None
    if runtime:
        from qheat.backends.runtime.runs import prepare_run

        run = prepare_run(
            device,
            [logical(p, **device_options) for p in todo],
            names=(*(f"S{k + 1}" for k in range(system.n)), "ancilla", "purifier"),
            measured=(system.n,),
            seed=seeds[0],
        )
    done: list[Any] = []

    def compiled(plan: Plan, circuit: str, **options: Any) -> tuple[Any, dict[str, Any]]:
        qc = logical(plan, **options)
        out = (run or device).compile(qc)
        done.append(out)
        gates = sum(1 for inst in out.data if isinstance(inst.operation, Gate) and inst.operation.num_qubits == 2)
        return out, {"method": plan.method, "circuit": circuit, **qc.metadata, "two_qubit_gates_compiled": gates}

    register = "meas" if runtime else "tpm"
    for plan, seed in zip(todo, seeds):
        qc, metadata = compiled(plan, "sampled", **device_options)
        metadata["sampler_seed"] = seed
        start = time.perf_counter()
        yield Batch(
            [qc],
            [metadata],
            [settings.shots],
            register=register,
            method="statevector",
            seed=seed,
            label=f"{plan.method} collisions, sampled",
        )
        seconds[plan.method] = time.perf_counter() - start
    assignment = None
    if run is None:
        shot_free = [compiled(plan, "shot_free", prep="dephase", record="save") for plan in todo]
        yield Batch(
            [c for c, _ in shot_free],
            [m for _, m in shot_free],
            kind="states",
            seed=seeds[-1],
            label="collisions, shot-free",
        )
        assignment = device.assignment(1)
    return {
        "metadata": {
            "collision_seed": settings.seed,
            "sampler_seeds": seeds[:-1],
            "shot_free_seed": seeds[-1],
            "sampled_seconds": seconds,
            "readout_assignment": None if assignment is None else np.asarray(assignment).tolist(),
            **({} if run is None else run.metadata(done)),
        }
    }
