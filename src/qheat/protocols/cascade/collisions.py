"""The S_k-R interactions of seed 001 as Qiskit gates, shared by the exact engine and circuits.

H_kR = g (sigma_+^k sigma_-^R + sigma_-^k sigma_+^R) = (g/2)(X_k X_R + Y_k Y_R), so
U_k = exp(-i tau H_kR) = XXPlusYYGate(2 g tau): a partial SWAP that rotates |01> <-> |10>
by the angle g tau and leaves |00>, |11> alone ([U_k, H_k + H_R] = 0: energy conserving).
In the simultaneous collision (SI Fig. 11) every S_k meets R at once: exp(-i tau sum_k H_kR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit.circuit import Gate
from qiskit.circuit.library import UnitaryGate, XXPlusYYGate
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm


def partial_swap(g: float, tau: float) -> XXPlusYYGate:
    """U_kR = exp(-i tau g (s+ s- + s- s+)) (main text; Eq. 38)."""
    return XXPlusYYGate(2.0 * g * tau)


def exchange_hamiltonian(n: int, g: float, subsystems: tuple[int, ...] | None = None) -> SparsePauliOp:
    """sum_k H_kR over ``subsystems`` (default all) on n system qubits plus R on qubit n."""
    terms = []
    for k in range(n) if subsystems is None else subsystems:
        for pauli in ("X", "Y"):
            label = ["I"] * (n + 1)
            label[n - k] = pauli  # Qiskit labels read from the highest qubit
            label[0] = pauli  # qubit n (R) is the first character
            terms.append(("".join(label), g / 2.0))
    return SparsePauliOp.from_list(terms)


def simultaneous_gate(n: int, g: float, tau: float) -> UnitaryGate:
    """exp(-i tau sum_k H_kR): all subsystems meet the bath particle at once (exact, not Trotterised)."""
    h = exchange_hamiltonian(n, g).to_matrix()
    return UnitaryGate(expm(-1j * tau * h), label="simultaneous")


@dataclass(frozen=True)
class Stage:
    """One step of a collision: ``gate`` on ``qubits``; ``subsystems`` are the S_k (0-based) it touches."""

    gate: Gate
    qubits: tuple[int, ...]
    subsystems: tuple[int, ...]

    @property
    def matrix(self) -> np.ndarray:
        from qiskit.quantum_info import Operator

        return Operator(self.gate).data


def collision_stages(protocol: str, n: int, g: float, tau: float, order: tuple[int, ...]) -> list[Stage]:
    """The stages of one collision with a fresh bath particle on qubit n.

    cascade: one partial SWAP per subsystem in ``order`` (0-based); simultaneous: one joint gate.
    """
    if protocol == "cascade":
        gate = partial_swap(g, tau)
        return [Stage(gate, (k, n), (k,)) for k in order]
    if protocol == "simultaneous":
        return [Stage(simultaneous_gate(n, g, tau), tuple(range(n + 1)), tuple(range(n)))]
    raise ValueError(f"no collision stages for protocol {protocol!r}")
