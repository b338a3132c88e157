"""Shared circuit builders: state preparation, Pauli evolution, routing.

``IDEAL_BASIS``: the gates every ideal compilation (Aer without a noise model) targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

IDEAL_BASIS = ["rz", "sx", "x", "cx"]


def on_active_qubits(qc: QuantumCircuit) -> tuple[tuple[int, ...], QuantumCircuit]:
    """The qubits an (unmeasured) circuit acts on, in increasing order, and the circuit on them alone
    (qubit j of the result is the j-th of them): where the noise is the same on every qubit, the two
    have the same channel on those qubits and the identity elsewhere."""
    from qiskit import QuantumCircuit

    if qc.num_clbits:
        raise ValueError("on_active_qubits takes circuits without classical bits")
    active = sorted({qc.find_bit(q).index for ins in qc.data for q in ins.qubits})
    where = {q: j for j, q in enumerate(active)}
    out = QuantumCircuit(len(active), global_phase=qc.global_phase)
    for ins in qc.data:
        out.append(ins.operation, [where[qc.find_bit(q).index] for q in ins.qubits])
    return tuple(active), out
