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

Mixed initial states are prepared as purifications on n ancillas (qubits n..2n-1): a product of
diagonal qubit states by RY + CX per qubit, anything else by ``StatePreparation`` of
sum_i sqrt(p_i) |psi_i>|i> from the eigen-decomposition rho = sum_i p_i |psi_i><psi_i|.
Every circuit carries metadata (time, synthesis, measured qubits, tomography setting).
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit.library import PauliEvolutionGate, StatePreparation
from qiskit.quantum_info import SparsePauliOp
from qiskit.synthesis import LieTrotter, MatrixExponential
from scipy.sparse import SparseEfficiencyWarning

BASIS_GATES = ["cx", "rz", "sx", "x"]
EXACT_MAX_QUBITS = 4
LADDER_PAULIS = {
    "I": (("I", 1.0),),
    "X": (("X", 1.0),),
    "Y": (("Y", 1.0),),
    "Z": (("Z", 1.0),),
    "+": (("X", 0.5), ("Y", -0.5j)),   # |1><0|
    "-": (("X", 0.5), ("Y", 0.5j)),    # |0><1|
}


def term_operator(n: int, ops: dict[int, str], c: complex, hermitian_conjugate: bool) -> SparsePauliOp:
    """c * prod_q ops[q] (+ h.c.) as a SparsePauliOp on n qubits (ladder letters expanded into Paulis)."""
    qubits = sorted(ops)
    entries = []
    for choice in itertools.product(*(LADDER_PAULIS[ops[q]] for q in qubits)):
        label = "".join(p for p, _ in choice)
        coeff = c * np.prod([w for _, w in choice])
        entries.append((label, qubits, coeff))
    op = SparsePauliOp.from_sparse_list(entries or [("", [], c)], num_qubits=n)
    if hermitian_conjugate:
        op = op + op.adjoint()
    return op.simplify(atol=1e-14)


def hamiltonian_operator(n: int, frequencies: Sequence[float],
                         terms: Iterable[tuple[complex, dict[int, str], bool]]) -> tuple[SparsePauliOp, SparsePauliOp]:
    """(H_0, V): H_0 = sum_k -(omega_k/2) Z_k and V the sum of the terms, as SparsePauliOps."""
    h0 = SparsePauliOp.from_sparse_list([("Z", [k], -0.5 * w) for k, w in enumerate(frequencies) if w != 0.0]
                                        or [("", [], 0.0)], num_qubits=n).simplify()
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
            qc.rz(2.0 * float(np.real(coeff)) * t, int(z[0]))      # e^{-i c t Z} = RZ(2ct)
    if synthesis.method == "exact":
        # synthesised here: Qiskit 2.6's transpiler fails on a PauliEvolutionGate carrying MatrixExponential
        with warnings.catch_warnings():   # scipy's sparse expm inside MatrixExponential warns about formats
            warnings.simplefilter("ignore", category=SparseEfficiencyWarning)
            qc.compose(MatrixExponential().synthesize(PauliEvolutionGate(v, t)), range(n), inplace=True)
    else:
        qc.append(PauliEvolutionGate(v, t, synthesis=LieTrotter(reps=synthesis.reps)), range(n))
    return qc


def diagonal_factors(rho: np.ndarray, atol: float = 1e-12) -> dict[int, float]:
    """Qubits k with rho = rho_k (x) rho_rest and rho_k diagonal: {k: excited population of k}."""
    from ..linalg import reduced_state

    n = int(rho.shape[0]).bit_length() - 1
    out: dict[int, float] = {}
    for k in range(n):
        rho_k = reduced_state(rho, [k])
        if abs(rho_k[0, 1]) > atol:
            continue
        rest = [q for q in range(n) if q != k]
        if not rest:
            out[k] = float(np.real(rho_k[1, 1]))
            continue
        product = _place(np.kron(rho_k, reduced_state(rho, rest)), rest + [k])
        if np.abs(product - rho).max() <= atol:
            out[k] = float(np.real(rho_k[1, 1]))
    return out


def _place(m: np.ndarray, order: Sequence[int]) -> np.ndarray:
    n = len(order)
    inv = {q: i for i, q in enumerate(order)}
    axes = [n - 1 - inv[n - 1 - k] for k in range(n)]
    return m.reshape((2,) * (2 * n)).transpose(axes + [n + a for a in axes]).reshape(2**n, 2**n)


def purification_circuit(rho: np.ndarray) -> QuantumCircuit:
    """A circuit on 2n qubits that leaves qubits 0..n-1 in rho; ancilla n + k purifies qubit k.

    Qubits that factor out in a diagonal state get RY + CX with their ancilla (thermofield double:
    the ancilla's Z then equals the qubit's initial Z, so measuring it at the end is a deferred first
    measurement of that qubit). The others are prepared together by ``StatePreparation`` of
    sum_i sqrt(p_i) |psi_i>|i> (eigen-decomposition of their reduced state) on themselves and their ancillas.
    """
    from ..linalg import reduced_state

    n = int(rho.shape[0]).bit_length() - 1
    qc = QuantumCircuit(2 * n, name="prepare")
    factors = diagonal_factors(rho)
    for k, p in factors.items():
        p = float(min(max(p, 0.0), 1.0))
        if p > 0.0:
            qc.ry(2.0 * math.asin(math.sqrt(p)), n + k)
            qc.cx(n + k, k)
    rest = [q for q in range(n) if q not in factors]
    if rest:
        r = reduced_state(rho, rest) if len(rest) < n else rho
        m = len(rest)
        evals, evecs = np.linalg.eigh((r + r.conj().T) / 2)
        evals = np.clip(evals, 0.0, None)
        evals /= evals.sum()
        vec = np.zeros(4**m, dtype=complex)
        for i in range(2**m):
            vec[i * 2**m:(i + 1) * 2**m] = math.sqrt(evals[i]) * evecs[:, i]   # ancilla index i on the high bits
        qc.append(StatePreparation(vec / np.linalg.norm(vec)), rest + [n + q for q in rest])
    qc.metadata = {"thermofield_qubits": sorted(factors)}
    return qc


def two_qubit_gate_count(qc: QuantumCircuit, seed: int = 0) -> int:
    """CX gates after transpiling to ['cx', 'rz', 'sx', 'x'] at optimization level 1."""
    with warnings.catch_warnings():   # scipy sparse-format notices from Qiskit's synthesis
        warnings.simplefilter("ignore", category=SparseEfficiencyWarning)
        compiled = transpile(qc, basis_gates=BASIS_GATES, optimization_level=1, seed_transpiler=seed)
    return int(compiled.count_ops().get("cx", 0))


def measured_circuit(prep: QuantumCircuit, evolution: QuantumCircuit, measure: Sequence[int],
                     basis: Sequence[QuantumCircuit | None] | None = None, metadata: dict | None = None,
                     register: str = "meas") -> QuantumCircuit:
    """prep, then evolution on the system qubits, then (optional) basis rotations and Z measurement of
    ``measure`` (which may include ancillas: all measurements are terminal)."""
    width = prep.num_qubits
    qr = QuantumRegister(width, "q")
    cr = ClassicalRegister(len(measure), register)
    qc = QuantumCircuit(qr, cr, metadata=dict(metadata or {}))
    qc.compose(prep, qubits=range(width), inplace=True)
    qc.compose(evolution, qubits=range(evolution.num_qubits), inplace=True)
    for i, q in enumerate(measure):
        if basis is not None and basis[i] is not None:
            qc.compose(basis[i], qubits=[q], inplace=True)
    qc.measure(list(measure), cr)
    return qc


def outcomes(bit_array) -> np.ndarray:
    """The outcome of every shot of a SamplerV2 BitArray as an integer (bit i = i-th measured qubit)."""
    arr = np.asarray(bit_array.array, dtype=np.int64)          # (shots, bytes), big-endian bytes
    weights = 256 ** np.arange(arr.shape[-1] - 1, -1, -1, dtype=np.int64)
    return arr @ weights


def sample(circuits: Sequence[QuantumCircuit], shots: int, seed: int,
           registers: Sequence[str] = ("meas",)) -> list[dict[str, np.ndarray]]:
    """Per-shot integer outcomes of ``registers`` for every circuit, from qiskit_aer.primitives.SamplerV2
    (one seeded job; each circuit gets its own random stream)."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2

    sim = AerSimulator(method="statevector")
    with warnings.catch_warnings():   # scipy sparse-format notices from Qiskit's synthesis
        warnings.simplefilter("ignore", category=SparseEfficiencyWarning)
        compiled = transpile(list(circuits), sim, optimization_level=1, seed_transpiler=seed)
    result = SamplerV2(seed=seed).run(compiled, shots=shots).result()
    return [{reg: outcomes(getattr(r.data, reg)) for reg in registers} for r in result]


def counts_of(values: np.ndarray, width: int) -> dict[str, int]:
    """Counts dictionary (bit strings of ``width`` bits, Qiskit order) of integer outcomes."""
    keys, freq = np.unique(values, return_counts=True)
    return {format(int(k), f"0{width}b"): int(f) for k, f in zip(keys, freq)}
