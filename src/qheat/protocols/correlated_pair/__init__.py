"""Seed 002 Sec. III (Holdsworth & Kawai): two locally thermal qubits, entangled by chi, coupled by V_AB.

Backend ``exact``: ``exact.trajectory``. Backends ``aer`` and ``aer:<config>``: the exact body and, under
``circuits``, two-qubit state tomography of rho_AB(t) at ``circuits.points`` times (``circuits.py``: one
batch of 9 settings per time, compiled by the device; ``analysis.py``: fit and bootstrap from the records).
"""

from __future__ import annotations

from typing import Any

from qheat.backends.runtime.runs import BatchSubmission
from qheat.core.errors import QheatError
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.core.spec import SpecFile
from qheat.protocols.correlated_pair.spec import (
    CorrelatedPairSpec,
    correlated_pair_from_dict,
)


class CorrelatedPair(BatchSubmission, Protocol):
    """The subspace energy difference (Eq. 12), concurrence and mutual information of a correlated pair."""

    name = "correlated-pair"
    keys = frozenset({"qubits", "correlation", "coupling", "evolution", "circuits"})
    required = frozenset({"qubits", "coupling", "evolution"})

    def parse(self, top, protocol, name, description, sweep):
        return correlated_pair_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: SpecFile, backend: str) -> None:
        from qheat.backends import check, is_runtime_backend

        spec = _own(spec)
        check(backend)
        if backend == "exact":
            return
        if spec.circuits is None:
            raise QheatError(f"backend {backend!r} needs a [circuits] table (points, shots, seed)")
        if is_runtime_backend(backend):
            from qheat.backends.runtime.runs import check_runtime

            check_runtime(backend, 4, f"{self.name} tomography (A, B and two purifying ancillas)")

    def cost(self, spec, backend):
        from qheat.protocols.correlated_pair.costs import cost

        return cost(spec, backend)

    def exact(self, spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.correlated_pair.exact import trajectory

        return trajectory(_own(spec))

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        """One batch: the 9 tomography settings at every time, compiled by ``device``, seeded from the spec; on a
        Runtime device on the layout chosen for the circuits' interaction graph (``runs.prepare_run``)."""
        from qheat.backends import is_runtime_backend
        from qheat.core.protocol import Batch
        from qheat.protocols.correlated_pair.analysis import streams
        from qheat.protocols.correlated_pair.circuits import MEASURED, pair_circuits

        spec = _own(spec)
        circuits, gates = pair_circuits(spec)
        device.check_width(circuits[0].num_qubits, f"{self.name} tomography (A, B and two purifying ancillas)")
        seed, _ = streams(spec)
        run = None
        if is_runtime_backend(device.name):
            from qheat.backends.runtime.runs import prepare_run

            # the 9 settings of a time differ by one-qubit rotations only: one of them per time has every interaction
            run = prepare_run(device, circuits[::9], names=("A", "B", "anc_A", "anc_B"), measured=MEASURED, seed=seed)
        compiled = [(run or device).compile(qc) for qc in circuits]
        # ideal Aer: pure states, statevector is exact and fast; a noise model needs density matrices
        method = "statevector" if device.name == "aer" else None
        yield Batch(
            compiled,
            [dict(qc.metadata) for qc in circuits],
            [spec.circuit_settings().shots] * len(circuits),
            method=method,
            seed=seed,
            label="tomography",
        )
        return {
            "metadata": {
                "sampler_seed": seed,
                "two_qubit_gates": gates,
                "compiled_two_qubit_gates": max(_two_qubit(qc) for qc in compiled),
                **({} if run is None else run.metadata(compiled)),
            }
        }

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.correlated_pair.analysis import headline, measured
        from qheat.protocols.correlated_pair.exact import trajectory

        spec = _own(spec)
        data = trajectory(spec)
        data["circuits"] = measured(document, spec)
        data["headline"] += headline(document["backend"], data["circuits"])
        return data

    def combine(self, spec, points):
        from qheat.protocols.correlated_pair.exact import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.correlated_pair.plots import correlated_pair_figure

        return correlated_pair_figure(self.one_result(results))

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "times", "sed")


def _two_qubit(qc: Any) -> int:
    return sum(1 for inst in qc.data if inst.operation.num_qubits == 2)


def _own(spec: SpecFile) -> CorrelatedPairSpec:
    """``spec`` as a correlated-pair spec (the engine hands a protocol the specs it parsed)."""
    if not isinstance(spec, CorrelatedPairSpec):
        raise QheatError(f"protocol 'correlated-pair' runs a CorrelatedPairSpec, not a {type(spec).__name__}")
    return spec


PROTOCOL = CorrelatedPair()
