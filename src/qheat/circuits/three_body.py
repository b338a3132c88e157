"""Circuits for seeds 000 and 002: Pauli Hamiltonians, their evolution, mixed-state preparation.

Pauli form of the ladder operators (qheat convention, |0> ground): sigma^+ = |1><0| = (X - iY)/2 raises
the energy, sigma^- = |0><1| = (X + iY)/2. The three-body interaction of seed 000 Eq. (9),
c s+ s- s- + h.c., is then a sum of four mutually commuting three-qubit Paulis (XXX, XYY, YXY, YYX,
and their Y-odd partners for complex c), so its evolution is exact with one product-formula step.

Evolution e^{-iHt}: with H = H_0 + V, H_0 = sum -(omega/2) Z the local part, and [H_0, V] = 0 (the
heat-transfer condition plus an H_0-conserving intrasystem part), e^{-iHt} = e^{-iVt} e^{-iH_0 t}
exactly: H_0 is a layer of RZ, V goes through ``PauliEvolutionGate``:

- ``exact``: the matrix exponential (``MatrixExponential``), synthesised by Qiskit's unitary synthesis;
- ``trotter``: first-order Lie-Trotter with r steps, error ||U - U_r|| <= (t^2 / 2r) sum_{j<k} ||[H_j, H_k]||;
- terms that all commute need one step and are exact (reported as such).

Mixed initial states are prepared by ``circuits.preparation.purification_circuit`` (on n ancillas,
qubits n..2n-1; ``thermofield=True`` for the two-point measurement of heat). Circuits are sampled by
``backends.aer.AerBackend.sample``. Every circuit carries metadata (time, synthesis, measured qubits,
tomography setting).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.quantum_info import SparsePauliOp
from qiskit.synthesis import LieTrotter, MatrixExponential
from scipy.sparse import SparseEfficiencyWarning

EXACT_MAX_QUBITS = 4
LADDER_PAULIS = {
    "I": (("I", 1.0),),
    "X": (("X", 1.0),),
    "Y": (("Y", 1.0),),
    "Z": (("Z", 1.0),),
    "+": (("X", 0.5), ("Y", -0.5j)),  # |1><0|
    "-": (("X", 0.5), ("Y", 0.5j)),  # |0><1|
}


def term_operator(n: int, ops: dict[int, str], c: complex, hermitian_conjugate: bool) -> SparsePauliOp:
    """c * prod_q ops[q] (+ h.c.) as a SparsePauliOp on n qubits (ladder letters expanded into Paulis)."""
    qubits = sorted(ops)
    entries = []
    for choice in itertools.product(*(LADDER_PAULIS[ops[q]] for q in qubits)):
        label = "".join(p for p, _ in choice)
        coeff = complex(c * np.prod([w for _, w in choice]))
        entries.append((label, qubits, coeff))
    op = SparsePauliOp.from_sparse_list(entries or [("", [], c)], num_qubits=n)
    if hermitian_conjugate:
        op = op + op.adjoint()
    return op.simplify(atol=1e-14)


def hamiltonian_operator(
    n: int, frequencies: Sequence[float], terms: Iterable[tuple[complex, dict[int, str], bool]]
) -> tuple[SparsePauliOp, SparsePauliOp]:
    """(H_0, V): H_0 = sum_k -(omega_k/2) Z_k and V the sum of the terms, as SparsePauliOps."""
    h0 = SparsePauliOp.from_sparse_list(
        [("Z", [k], -0.5 * w) for k, w in enumerate(frequencies) if w != 0.0] or [("", [], 0.0)], num_qubits=n
    ).simplify()
    v = sum((term_operator(n, ops, c, hc) for c, ops, hc in terms), SparsePauliOp("I" * n, 0.0))
    return h0, v.simplify(atol=1e-14)


def evolution_parts(h0: SparsePauliOp, v: SparsePauliOp, atol: float = 1e-12) -> tuple[SparsePauliOp, SparsePauliOp]:
    """(H_0, V) if they commute (e^{-iHt} = e^{-iVt} e^{-iH_0 t} exactly), else (0, H_0 + V)."""
    h0m, vm = h0.to_matrix(), v.to_matrix()
    if np.abs(h0m @ vm - vm @ h0m).max() <= atol:
        return h0, v
    n = v.num_qubits
    return SparsePauliOp("I" * n, 0.0), (h0 + v).simplify(atol=1e-14)


def trotter_commutator_sum(v: SparsePauliOp) -> float:
    """sum_{j<k} ||[h_j P_j, h_k P_k]|| = sum over anticommuting pairs of 2 |h_j h_k|."""
    total = 0.0
    for j, k in itertools.combinations(range(len(v)), 2):
        if not v.paulis[j].commutes(v.paulis[k]):
            total += 2.0 * abs(v.coeffs[j] * v.coeffs[k])
    return float(total)


@dataclass(frozen=True)
class Synthesis:
    """How e^{-iVt} is compiled: ``method`` in exact / commuting / trotter, ``reps`` steps, ``error_bound``."""

    method: str
    reps: int
    error_bound: float


def choose_synthesis(v: SparsePauliOp, t: float, requested: str, max_error: float) -> Synthesis:
    """Exact for commuting terms; else the matrix exponential ("exact", or "auto" up to 4 qubits);
    else Lie-Trotter with r = ceil(t^2 S / (2 eps)) steps, S = ``trotter_commutator_sum``."""
    s = trotter_commutator_sum(v)
    if s == 0.0:
        return Synthesis("commuting", 1, 0.0)
    if requested == "exact" or (requested == "auto" and v.num_qubits <= EXACT_MAX_QUBITS):
        return Synthesis("exact", 1, 0.0)
    reps = max(1, math.ceil(t * t * s / (2.0 * max_error)))
    return Synthesis("trotter", reps, t * t * s / (2.0 * reps))


def evolution_circuit(h0: SparsePauliOp, v: SparsePauliOp, t: float, synthesis: Synthesis) -> QuantumCircuit:
    """e^{-iVt} e^{-iH_0 t} (exact split when [H_0, V] = 0; the caller checks) on n qubits."""
    n = v.num_qubits
    qc = QuantumCircuit(n, name="evolution")
    if t == 0.0:
        return qc
    for pauli, coeff in zip(h0.paulis, h0.coeffs):
        z = np.flatnonzero(pauli.z)
        if len(z) == 1 and coeff != 0:
            qc.rz(2.0 * float(np.real(coeff)) * t, int(z[0]))  # e^{-i c t Z} = RZ(2ct)
    if synthesis.method == "exact":
        # synthesised here: Qiskit 2.6's transpiler fails on a PauliEvolutionGate carrying MatrixExponential
        with warnings.catch_warnings():  # scipy's sparse expm inside MatrixExponential warns about formats
            warnings.simplefilter("ignore", category=SparseEfficiencyWarning)
            qc.compose(MatrixExponential().synthesize(PauliEvolutionGate(v, t)), range(n), inplace=True)
    else:
        qc.append(PauliEvolutionGate(v, t, synthesis=LieTrotter(reps=synthesis.reps)), range(n))
    return qc


def measured_circuit(
    prep: QuantumCircuit,
    evolution: QuantumCircuit,
    measure: Sequence[int],
    setting: Sequence[int] | None = None,
    metadata: dict | None = None,
    register: str = "meas",
) -> QuantumCircuit:
    """prep, then evolution on the system qubits, then the measurement of ``measure`` (which may include
    ancillas: all measurements are terminal) into ``register``, bit i = measure[i]: in Z, or in the Pauli
    ``setting`` (``physics.tomography.measurement_circuit``: entry i for measure[i], 0 = Z, 1 = X, 2 = Y)."""
    from qheat.physics.tomography import measurement_circuit

    width = prep.num_qubits
    qr = QuantumRegister(width, "q")
    cr = ClassicalRegister(len(measure), register)
    qc = QuantumCircuit(qr, cr, metadata=dict(metadata or {}))
    qc.compose(prep, qubits=range(width), inplace=True)
    qc.compose(evolution, qubits=range(evolution.num_qubits), inplace=True)
    if setting is None:
        qc.measure(list(measure), cr)
    else:
        qc.compose(measurement_circuit(tuple(setting)), qubits=list(measure), clbits=list(cr), inplace=True)
    return qc
