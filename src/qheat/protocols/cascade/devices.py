"""Seed 001 on Qiskit Runtime devices: layouts, costs, and submissions (manifests of jobs) of the cascade."""

from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.protocols.cascade.circuits import CascadeCircuits, branches
from qheat.protocols.cascade.spec import CascadeSpec


def check_device(spec: CascadeSpec, backend: str) -> None:
    """Refuse, before any work, what a device cannot run, and ``ibm:`` without an account."""
    from qheat.backends.runtime.account import credentials
    from qheat.backends.runtime.devices import IBM_PREFIX

    if backend.startswith(IBM_PREFIX):
        credentials()  # one line when there is no account
    if spec.execution.preparation == "purification":
        raise QheatError(
            f"{backend}: preparation = 'purification' needs 2n + 1 connected qubits; "
            "use preparation = 'temporal' on devices"
        )
    if spec.protocol == "simultaneous":
        raise QheatError(
            f"{backend}: protocol = 'simultaneous' is one gate on all {spec.n + 1} qubits, which a device "
            "synthesises from hundreds of two-qubit gates per collision; run it on aer or the exact "
            "engine, or use protocol = 'cascade' on devices"
        )


def prepare_device(spec: CascadeSpec, device: Any, layout: tuple[int, ...] | None = None) -> Any:
    """A ``RuntimeBackend`` made ready for ``spec``: layout chosen (or ``layout`` taken), compiler built,
    mitigation set."""
    from qheat.protocols.cascade.circuits import measured_qubits

    check_device(spec, device.name)
    device.prepare(spec.n, len(measured_qubits(spec)), seed=spec.measurement.seed, layout=layout)
    device.mitigation = dict(vars(spec.mitigation)) if spec.mitigation is not None else {}
    return device


def runtime_backend(spec: CascadeSpec, backend: str, layout: tuple[int, ...] | None = None, **kwargs: Any):
    """A ``RuntimeBackend`` for ``backend``, prepared for ``spec`` (``prepare_device``)."""
    from qheat.backends.runtime import RuntimeBackend

    check_device(spec, backend)
    return prepare_device(spec, RuntimeBackend(backend, **kwargs), layout)


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
    preps = [cc.compile(c) for _, c in branches(spec, spec.initial_state(), True)]
    swaps = sum((seg.metadata or {}).get("routing_swaps", 0) for seg, _ in cc.segments.values())
    return {
        "two_qubit_gates_per_collision": two_qubit_count(qc),
        "depth_per_collision": qc.depth(),
        "two_qubit_gates_preparation_max": max(two_qubit_count(p) for p in preps),
        "swaps": swaps,
        "swaps_preparation_max": max((p.metadata or {}).get("routing_swaps", 0) for p in preps),
        "note": "one collision = bath refresh (reset, RY, Z) + n partial SWAPs, compiled for the layout; 'swaps': "
        "the SWAPs that move the bath to the S_k that are not its neighbours and back (included in the "
        "two-qubit gate count)",
    }


def runtime_metadata(be: Any, cc: CascadeCircuits, spec: CascadeSpec) -> dict[str, Any]:
    from qheat.backends.runtime import versions

    return {
        "device": be.device.name,
        "layout": be.layout.to_dict(),
        "costs": circuit_costs(cc, spec),
        "mitigation": dict(be.mitigation),
        "engine": "circuits (Qiskit Runtime "
        + (
            "executor_estimator.Estimator"
            if spec.mitigation is not None and spec.mitigation.estimator
            else "executor_sampler.Sampler"
        )
        + (", local mode on the fake device restricted to the layout)" if be.kind == "fake" else ")"),
        "versions": versions(),
    }


# ----------------------------------------------------------------------------- submission (qheat submit)
