"""Mitigation that Runtime applies server-side, applied by qheat on ``fake:`` devices (local mode ignores
the options): dynamical decoupling (X-X padding of idle times, scheduled with the device's durations) and
Pauli twirling of two-qubit gates (``TWIRLS`` random instances per circuit, shots split evenly)."""

from __future__ import annotations

from typing import Any

TWIRLS = 4


def _physical(qc):
    """The same circuit on one register ``q`` (what the scheduling passes take for a physical circuit)."""
    from qiskit import QuantumCircuit

    out = QuantumCircuit(qc.num_qubits, metadata=qc.metadata)
    for creg in qc.cregs:
        out.add_register(creg)
    out.compose(qc, qubits=range(qc.num_qubits), clbits=range(qc.num_clbits), inplace=True)
    return out


def local_techniques(
    circuits: list, shots: list[int], seed: int, target, mitigation: dict[str, Any]
) -> tuple[list, list[int], list[int]]:
    """``mitigation``'s dynamical decoupling and twirling applied to compiled ``circuits`` for ``target``.
    Returns circuits, shots and for each output circuit the index of the circuit it came from."""
    out, out_shots, origin = list(circuits), list(shots), list(range(len(circuits)))
    if mitigation.get("dynamical_decoupling"):
        from qiskit.circuit.library import XGate
        from qiskit.transpiler import PassManager
        from qiskit.transpiler.passes import (
            ALAPScheduleAnalysis,
            PadDynamicalDecoupling,
        )

        pm = PassManager(
            [ALAPScheduleAnalysis(target=target), PadDynamicalDecoupling(target=target, dd_sequence=[XGate(), XGate()])]
        )
        out = [pm.run(_physical(qc)) for qc in out]
    if mitigation.get("twirling"):
        from qiskit.circuit import pauli_twirl_2q_gates

        twirled, tshots, torigin = [], [], []
        for i, (qc, s) in enumerate(zip(out, out_shots)):
            k = max(1, min(TWIRLS, s))
            copies = pauli_twirl_2q_gates(qc, seed=seed + i, num_twirls=k, target=target)
            copies = copies if isinstance(copies, list) else [copies]
            for j, c in enumerate(copies):
                c.metadata = qc.metadata
                twirled.append(c)
                tshots.append(s // k + (1 if j < s % k else 0))
                torigin.append(origin[i])
        out, out_shots, origin = twirled, tshots, torigin
    return out, out_shots, origin
