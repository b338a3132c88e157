"""Circuits that prepare a mixed system state rho_S (Eq. S4 or a state reconstructed by tomography).

Two methods, both exact:

- *temporal averaging* (the NMR paper's method): rho = sum_i p_i |v_i><v_i|; one circuit per
  eigenvector with p_i > 0, the shots of every measurement setting split among them by a
  multinomial draw with weights p_i, so the merged counts are exact samples of rho. rho_S^0
  conserves the excitation number, so each |v_i> lies in one excitation sector and is prepared
  with excitation-preserving gates: X on one qubit, then a chain of Givens rotations
  ``XXPlusYYGate(theta)`` that hands the excitation on, then phase gates (sector n - 1 is the
  same with every qubit flipped). Other vectors (any sector of n >= 4 with 2 <= k <= n - 2, or
  a reconstructed state that mixes sectors) fall back to Qiskit's generic ``StatePreparation``.
- *purification*: one ancilla per system qubit; the 2n-qubit vector sum_i sqrt(p_i) |v_i>|i>
  is prepared by ``StatePreparation`` and the system's reduced state is rho (with ``thermofield``,
  qubits in a diagonal product factor get a thermofield double with their own ancilla instead).

Two-qubit gates for n = 3 after transpiling to {cx, rz, sx, x} at optimisation level 1
(``circuit_cost``), for rho_S^0 of Fig. 3 (c = -0.5): temporal averaging, each branch at most
4 CX (2 Givens rotations); purification, one 6-qubit circuit of 57 CX. The generic
``StatePreparation`` of one 3-qubit vector costs 4 CX (measured by ``tests/cascade/test_circuits``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import StatePreparation, XXPlusYYGate

from qheat.core.errors import QheatError

WEIGHT_TOL = 1e-12  # eigenvalues below this carry no shots (a prepared state is PSD only up to rounding)
SECTOR_TOL = 1e-10  # a vector is in one excitation sector if its weight outside is below this


@dataclass(frozen=True, eq=False)
class Branch:
    """One preparation circuit of temporal averaging: ``circuit`` prepares ``vector`` with weight ``weight``."""

    weight: float
    vector: np.ndarray
    circuit: QuantumCircuit


def excitations(n: int) -> np.ndarray:
    """Number of excited qubits of each basis index (Qiskit order: qubit j is bit j)."""
    idx = np.arange(2**n)
    return np.array([bin(i).count("1") for i in idx])


def eigen_branches(rho: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """rho = sum_i p_i |v_i><v_i| with p_i > WEIGHT_TOL; eigenvectors taken inside excitation sectors
    when rho conserves the excitation number (so degenerate eigenvalues cannot mix sectors)."""
    rho = np.asarray(rho, dtype=complex)
    n = int(np.log2(rho.shape[0]))
    exc = excitations(n)
    blocks = [np.flatnonzero(exc == k) for k in range(n + 1)]
    off = rho.copy()
    for b in blocks:
        off[np.ix_(b, b)] = 0
    groups = blocks if np.abs(off).max(initial=0.0) < SECTOR_TOL else [np.arange(2**n)]
    out = []
    for idx in groups:
        w, v = np.linalg.eigh(rho[np.ix_(idx, idx)])
        for p, vec in zip(w, v.T):
            if p > WEIGHT_TOL:
                full = np.zeros(2**n, dtype=complex)
                full[idx] = vec
                out.append((float(p), full))
    total = sum(p for p, _ in out)
    if not out or abs(total - 1) > 1e-6:
        raise QheatError(f"cannot prepare a state of trace {total:.6g}; it must be a density matrix")
    return [(p / total, v) for p, v in out]


def _single_excitation(amplitudes: np.ndarray, n: int) -> QuantumCircuit:
    """sum_j a_j |e_j> (e_j: qubit j excited) from |0..0>: X, a Givens chain, phase gates."""
    qc = QuantumCircuit(n)
    support = [j for j in range(n) if abs(amplitudes[j]) > SECTOR_TOL]
    first = support[0]
    qc.x(first)
    remaining = float(np.linalg.norm(amplitudes[support]))
    for a, b in zip(support, support[1:]):
        # XXPlusYY(theta) on (a, b): |1_a 0_b> -> cos(theta/2)|1_a 0_b> - i sin(theta/2)|0_a 1_b>
        keep = min(abs(amplitudes[a]) / remaining, 1.0) if remaining > 0 else 1.0
        theta = 2.0 * np.arccos(keep)
        qc.append(XXPlusYYGate(theta), [a, b])
        remaining = np.sqrt(max(remaining**2 - abs(amplitudes[a]) ** 2, 0.0))
    # amplitudes now |a_j| (-i)^(position in chain); fix each phase with a P gate on its qubit
    for pos, j in enumerate(support):
        phase = np.angle(amplitudes[j]) - np.angle((-1j) ** pos)
        if abs(np.angle(np.exp(1j * phase))) > 1e-14:
            qc.p(phase, j)
    return qc


def vector_circuit(vector: np.ndarray) -> QuantumCircuit:
    """A circuit taking |0...0> to ``vector`` (Qiskit order), excitation-preserving when it can."""
    vector = np.asarray(vector, dtype=complex)
    n = int(np.log2(vector.size))
    exc = excitations(n)
    weight = np.abs(vector) ** 2
    sectors = {int(exc[i]) for i in np.flatnonzero(weight > SECTOR_TOL**2)}
    if len(sectors) == 1:
        k = sectors.pop()
        if k == 0:
            return QuantumCircuit(n)
        if k == n:
            qc = QuantumCircuit(n)
            qc.x(range(n))
            return qc
        ones = [1 << j for j in range(n)]
        if k == 1:
            return _single_excitation(vector[ones], n)
        if k == n - 1:
            full = 2**n - 1
            qc = _single_excitation(vector[[full ^ o for o in ones]], n)
            qc.x(range(n))
            return qc
    qc = QuantumCircuit(n)
    qc.append(StatePreparation(vector / np.linalg.norm(vector)), range(n))
    return qc


def star_single_excitation(amplitudes: np.ndarray, n: int) -> QuantumCircuit:
    """sum_j a_j |e_j> on the system qubits 0..n-1, built through the bath qubit n as a hub (n + 1 qubits,
    the hub starts and ends in |0>): X on the hub, then ``XXPlusYYGate`` from the hub to each S_j in
    turn hands it its share of the excitation (the last takes the rest), then phase gates. Every
    two-qubit gate touches the hub: native when the S_j are R's neighbours (a star), else the
    bath is moved to the farther S_j (``circuits.routing``)."""
    qc = QuantumCircuit(n + 1)
    support = [j for j in range(n) if abs(amplitudes[j]) > SECTOR_TOL]
    qc.x(n)
    remaining = float(np.linalg.norm(amplitudes[support]))
    for i, j in enumerate(support):
        share = 1.0 if i == len(support) - 1 else min(abs(amplitudes[j]) / remaining, 1.0) if remaining > 0 else 0.0
        # XXPlusYY(theta) on (hub, S_j): |1_hub 0_j> -> cos(theta/2)|1_hub 0_j> - i sin(theta/2)|0_hub 1_j>
        qc.append(XXPlusYYGate(2.0 * np.arcsin(share)), [n, j])
        remaining = np.sqrt(max(remaining**2 - abs(amplitudes[j]) ** 2, 0.0))
    for j in support:  # every S_j holds |a_j| (-i): a common phase; set the relative ones
        phase = np.angle(amplitudes[j]) - np.angle(-1j)
        if abs(np.angle(np.exp(1j * phase))) > 1e-14:
            qc.p(phase, j)
    return qc


def star_vector_circuit(vector: np.ndarray) -> QuantumCircuit:
    """A circuit on the system and the bath qubit (n + 1 qubits; metadata ``{"qubits": "system+bath"}``)
    taking |0...0>|0>_R to ``vector`` (x) |0>_R with every two-qubit gate between R and a system qubit
    (for a device whose bath qubit neighbours every S_k). Vectors outside the sectors it builds (0, 1,
    n - 1, n excitations) fall back to ``vector_circuit`` on the system qubits, which the compiler routes."""
    vector = np.asarray(vector, dtype=complex)
    n = int(np.log2(vector.size))
    exc = excitations(n)
    sectors = {int(exc[i]) for i in np.flatnonzero(np.abs(vector) ** 2 > SECTOR_TOL**2)}
    qc = QuantumCircuit(n + 1, metadata={"qubits": "system+bath"})
    if len(sectors) == 1 and (k := next(iter(sectors))) in (1, n - 1) and 0 < k < n:
        ones = [1 << j for j in range(n)]
        if k == 1:
            qc.compose(star_single_excitation(vector[ones], n), inplace=True)
        else:
            full = 2**n - 1
            qc.compose(star_single_excitation(vector[[full ^ o for o in ones]], n), inplace=True)
            qc.x(range(n))
        return qc
    qc.compose(vector_circuit(vector), qubits=range(n), inplace=True)
    return qc


def sector_projection(rho: np.ndarray) -> np.ndarray:
    """rho with the coherences between different excitation numbers removed (the blocks that
    excitation-conserving collisions with a diagonal bath keep; off-block elements are noise)."""
    rho = np.asarray(rho, dtype=complex)
    exc = excitations(int(np.log2(rho.shape[0])))
    return np.where(exc[:, None] == exc[None, :], rho, 0.0)


def star_branches(rho: np.ndarray) -> list[Branch]:
    """Temporal averaging for a star layout: rho projected onto excitation blocks
    (``sector_projection``), one ``star_vector_circuit`` per eigenvector."""
    return [Branch(p, v, star_vector_circuit(v)) for p, v in eigen_branches(sector_projection(rho))]


def temporal_branches(rho: np.ndarray) -> list[Branch]:
    """Temporal averaging: one preparation circuit per eigenvector of rho with positive weight."""
    return [Branch(p, v, vector_circuit(v)) for p, v in eigen_branches(rho)]


def diagonal_factors(rho: np.ndarray, atol: float = 1e-12) -> dict[int, float]:
    """Qubits k with rho = rho_k (x) rho_rest and rho_k diagonal: {k: excited population of k}."""
    from qheat.physics.dense import place
    from qheat.physics.linalg import reduced_state

    n = int(rho.shape[0]).bit_length() - 1
    out: dict[int, float] = {}
    for k in range(n):
        rho_k = reduced_state(rho, [k])
        if abs(rho_k[0, 1]) > atol:
            continue
        rest = [q for q in range(n) if q != k]
        if not rest or np.abs(place(np.kron(rho_k, reduced_state(rho, rest)), rest + [k]) - rho).max() <= atol:
            out[k] = float(np.real(rho_k[1, 1]))
    return out


def purification_circuit(rho: np.ndarray, *, thermofield: bool = False) -> QuantumCircuit:
    """2n qubits (system 0..n-1, ancillas n..2n-1) whose system reduced state is rho.

    Default: one ``StatePreparation`` of sum_i sqrt(p_i) |v_i>|i> (the ancilla register holds the branch i).
    ``thermofield``: every qubit k that factors out of rho in a diagonal state gets RY + CX with its own
    ancilla n + k (a thermofield double: the ancilla's Z equals the qubit's initial Z, so measuring it at the
    end is a deferred first measurement of k -- the two-point measurement of heat needs this), and the other
    qubits are purified together as above on themselves and their ancillas. ``metadata["thermofield_qubits"]``
    lists the qubits so prepared (empty by default).
    """
    from qheat.physics.linalg import reduced_state

    rho = np.asarray(rho, dtype=complex)
    n = int(np.log2(rho.shape[0]))
    qc = QuantumCircuit(2 * n, name="prepare")
    factors = diagonal_factors(rho) if thermofield else {}
    for k, p in factors.items():
        p = float(min(max(p, 0.0), 1.0))
        if p > 0.0:
            qc.ry(2.0 * np.arcsin(np.sqrt(p)), n + k)
            qc.cx(n + k, k)
    rest = [q for q in range(n) if q not in factors]
    if rest:
        m = len(rest)
        psi = np.zeros(4**m, dtype=complex)
        for i, (p, v) in enumerate(eigen_branches(reduced_state(rho, rest) if m < n else rho)):
            psi[i * 2**m : (i + 1) * 2**m] += np.sqrt(p) * v  # ancilla register holds i (high bits)
        qc.append(StatePreparation(psi / np.linalg.norm(psi)), rest + [n + q for q in rest])
    qc.metadata = {"thermofield_qubits": sorted(factors)}
    return qc


def circuit_cost(qc: QuantumCircuit) -> int:
    """Two-qubit gates of ``qc`` transpiled to {cx, rz, sx, x} (optimisation level 1)."""
    from qiskit import transpile

    tq = transpile(qc, basis_gates=["cx", "rz", "sx", "x"], optimization_level=1)
    return int(sum(1 for inst in tq.data if inst.operation.num_qubits == 2))
