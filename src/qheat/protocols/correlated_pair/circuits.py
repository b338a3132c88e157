"""Circuits of seed 002 Sec. III: rho_AB^0 purified on two ancillas, the exact two-qubit evolution under
H_A + H_B + V_AB (Eq. 7), and two-qubit state tomography of A, B (9 Pauli settings).

Qubits: A = 0, B = 1, ancillas 2, 3. Each tomography circuit measures A, B into register ``meas``
(bit i = qubit i) after the rotation of its setting ``m_idx`` (entry i for qubit i;
``PauliMeasurementBasis``: 0 Z, 1 X, 2 Y), the order of ``qheat.physics.tomography.settings(2)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qheat.circuits import three_body
from qheat.circuits.preparation import circuit_cost, purification_circuit
from qheat.physics.tomography import settings as pauli_settings
from qheat.protocols.correlated_pair.exact import hamiltonian, initial_state
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec

MEASURED = [0, 1]


def tomography_times(spec: CorrelatedPairSpec) -> np.ndarray:
    """The ``circuits.points`` times, evenly spaced in [0, evolution.t_max]."""
    return np.linspace(0.0, spec.evolution.t_max, spec.circuit_settings().points)


def pauli_hamiltonian(spec: CorrelatedPairSpec) -> tuple[SparsePauliOp, SparsePauliOp]:
    """(H_A + H_B, V_AB) as Pauli sums, checked against the matrices of ``exact.hamiltonian``.

    V_AB: the paper's |01><10| = |A0 B1><A1 B0| = s-_A s+_B (s+ = |1><0|), so V_AB = Omega e^{i phi_V}
    s-_A s+_B + h.c. (Eq. 7); H_A = (omega/2) sigma_z = -(omega/2) Z.
    """
    q, c = spec.qubits, spec.coupling
    terms = [(c.strength * np.exp(1j * c.phase), {0: "-", 1: "+"}, True)]
    h0, v = three_body.hamiltonian_operator(2, [q.frequency, q.frequency], terms)
    h_a, h_b, v_ab = hamiltonian(spec)
    if np.abs((h0 + v).to_matrix() - (h_a + h_b + v_ab)).max() > 1e-12:
        raise AssertionError("Pauli form of H_A + H_B + V_AB disagrees with its matrix")
    return h0, v


def tomography_circuits(
    prep: QuantumCircuit, evolutions: list[QuantumCircuit], metadata: list[dict[str, Any]]
) -> list[QuantumCircuit]:
    """``prep``, each evolution, then each of the 9 settings on qubits 0, 1 (time-major order); circuit
    metadata: the evolution's ``metadata`` entry, ``m_idx`` and ``measured_qubits``."""
    return [
        three_body.measured_circuit(
            prep, evo, MEASURED, setting=s, metadata={**meta, "m_idx": list(s), "measured_qubits": MEASURED}
        )
        for evo, meta in zip(evolutions, metadata)
        for s in pauli_settings(2)
    ]


def pair_circuits(spec: CorrelatedPairSpec) -> tuple[list[QuantumCircuit], dict[str, int]]:
    """The tomography circuits of a spec (uncompiled) and the two-qubit gate counts of its pieces
    ({cx, rz, sx, x} basis: "preparation", and "evolution", the largest over the times)."""
    h0, v = pauli_hamiltonian(spec)
    times = tomography_times(spec)
    prep = purification_circuit(initial_state(spec))
    exact = three_body.Synthesis("exact", 1, 0.0)
    evolutions = [three_body.evolution_circuit(h0, v, float(t), exact) for t in times]
    circuits = tomography_circuits(prep, evolutions, [{"time": float(t)} for t in times])
    return circuits, {"preparation": circuit_cost(prep), "evolution": max(circuit_cost(e) for e in evolutions)}
