"""Density matrices that conserve the excitation number, stored sector by sector.

Seed 001's initial states (Eq. S4: thermal populations plus coherences |0_p 1_q><1_p 0_q|) and
its interactions (partial SWAPs exp(-i g tau (s+ s- + h.c.)), Eq. 38, and their simultaneous sum)
commute with the number of excited qubits, so every state of a run is block diagonal: sector m holds
the basis states with m qubits in |1>, in ascending order of their index (Qiskit order, bit j is
qubit j). For n qubits the sectors have C(n, m) states; 12 spins and a bath particle take
C(26, 13) = 1.0e7 entries instead of 4^13 = 6.7e7, and the spectrum is that of the blocks.

With the highest qubit as the bath particle R, sector m of n + 1 qubits lists first the states with
R in |0> (system sector m), then those with R in |1> (system sector m - 1): appending a diagonal
qubit and tracing it out are block slices (``tensor_diagonal_qubit``, ``trace_last_qubit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from qheat.physics.linalg import entropy_of_probabilities


@cache
def sectors(n: int) -> tuple[np.ndarray, ...]:
    """Basis indices of each excitation sector m = 0..n of n qubits, ascending."""
    states = np.arange(2**n)
    weight = np.array([bin(s).count("1") for s in range(2**n)])
    return tuple(states[weight == m] for m in range(n + 1))


@cache
def _rank(n: int) -> np.ndarray:
    """rank[s]: the position of basis state s inside its sector."""
    rank = np.empty(2**n, dtype=np.intp)
    for states in sectors(n):
        rank[states] = np.arange(states.size)
    return rank


@cache
def exchange_pairs(n: int, k: int, j: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per sector, positions (I, J) of |1_k 0_j, rest> and |0_k 1_j, rest> (same rest)."""
    rank, out = _rank(n), []
    for states in sectors(n):
        rows = states[((states >> k) & 1 == 1) & ((states >> j) & 1 == 0)]
        out.append((rank[rows], rank[rows ^ (1 << k) ^ (1 << j)]))
    return tuple(out)


@cache
def _all_pairs(n: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per sector, every exchange pair (p < q) of ``exchange_pairs`` flattened, with the pair's number."""
    pairs = [(p, q) for p in range(n) for q in range(p + 1, n)]
    out = []
    for m in range(n + 1):
        ij = [exchange_pairs(n, p, q)[m] for p, q in pairs]
        label = np.concatenate([np.full(i.size, a) for a, (i, _) in enumerate(ij)]) if ij else np.zeros(0, int)
        rows = np.concatenate([i for i, _ in ij]) if ij else np.zeros(0, int)
        cols = np.concatenate([j for _, j in ij]) if ij else np.zeros(0, int)
        out.append((rows, cols, label))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Blocks:
    """rho = (+)_m rho_m over the excitation sectors of ``n`` qubits (``sectors(n)[m]`` indexes rho_m)."""

    n: int
    blocks: tuple[np.ndarray, ...]

    @classmethod
    def from_dense(cls, rho: np.ndarray, tol: float = 1e-13) -> Blocks:
        """The sectors of a dense matrix; refuses one with entries above ``tol`` between sectors."""
        n = int(rho.shape[0]).bit_length() - 1
        blocks = tuple(rho[np.ix_(s, s)].copy() for s in sectors(n))
        rest = rho.copy()
        for s in sectors(n):
            rest[np.ix_(s, s)] = 0.0
        if np.abs(rest).max(initial=0.0) > tol:
            raise ValueError("the matrix mixes excitation sectors")
        return cls(n, blocks)

    def dense(self) -> np.ndarray:
        """The full 2^n x 2^n matrix."""
        out = np.zeros((2**self.n, 2**self.n), dtype=np.result_type(*self.blocks, complex))
        for s, b in zip(sectors(self.n), self.blocks):
            out[np.ix_(s, s)] = b
        return out

    def diagonal(self) -> np.ndarray:
        """The real diagonal in basis order (the populations of a state)."""
        out = np.empty(2**self.n)
        for s, b in zip(sectors(self.n), self.blocks):
            out[s] = np.real(np.diagonal(b))
        return out

    def eigenvalues(self) -> np.ndarray:
        """All eigenvalues (of a Hermitian matrix), sector by sector."""
        return np.concatenate([np.linalg.eigvalsh(b) if b.shape[0] > 1 else np.real(b).ravel() for b in self.blocks])

    def entropy(self) -> float:
        """S = -Tr rho ln rho in nats."""
        return float(entropy_of_probabilities(self.eigenvalues()))

    def exchange_sum(self, k: int, j: int) -> complex:
        """sum over the rest of <1_k 0_j, rest| rho |0_k 1_j, rest> = Tr(rho s+_j s-_k)."""
        return complex(sum(b[r, c].sum() for b, (r, c) in zip(self.blocks, exchange_pairs(self.n, k, j))))

    def exchange_coherences(self) -> np.ndarray:
        """X[p, q] = 2 Re sum_rest <1_p 0_q rest| rho |0_p 1_q rest> for p != q (symmetric, zero diagonal),
        as ``qheat.physics.thermo.exchange_coherences`` of the dense matrix."""
        n = self.n
        pairs = [(p, q) for p in range(n) for q in range(p + 1, n)]
        values = np.zeros(len(pairs))
        for b, (rows, cols, label) in zip(self.blocks, _all_pairs(n)):
            if rows.size:
                values += np.bincount(label, weights=np.real(b[rows, cols]), minlength=len(pairs))
        x = np.zeros((n, n))
        for a, (p, q) in enumerate(pairs):
            x[p, q] = x[q, p] = 2.0 * values[a]
        return x

    def mix_exchange(self, k: int, j: int, u: np.ndarray) -> None:
        """In place: rho <- U rho U^dagger for U acting as the 2x2 ``u`` on (|1_k 0_j>, |0_k 1_j>) of
        every rest and as the identity on |0_k 0_j>, |1_k 1_j> (a partial SWAP; blocks must hold u's type).

        Rows only (contiguous gathers): with M = U rho, the Hermitian result U rho U^dagger = M U^dagger
        equals its adjoint U M^dagger, a second row update of M^dagger."""
        for m, (rows, cols) in enumerate(exchange_pairs(self.n, k, j)):
            if rows.size == 0:
                continue
            b = self.blocks[m]
            for second in (False, True):
                if second:
                    b[...] = b.conj().T if np.iscomplexobj(b) else b.T  # numpy buffers the overlap
                bi, bj = b[rows], b[cols]
                b[rows], b[cols] = u[0, 0] * bi + u[0, 1] * bj, u[1, 0] * bi + u[1, 1] * bj

    def conjugate_by(self, unitaries: tuple[np.ndarray, ...]) -> None:
        """In place: rho_m <- U_m rho_m U_m^dagger, one unitary per sector."""
        for b, u in zip(self.blocks, unitaries):
            b[...] = u @ b @ u.conj().T

    def trace_last_qubit(self) -> Blocks:
        """Partial trace over qubit n - 1 (the bath particle): sector m = rho_m[R = 0] + rho_{m+1}[R = 1]."""
        low = sectors(self.n - 1)
        out = []
        for m, s in enumerate(low):
            out.append(self.blocks[m][: s.size, : s.size] + self.blocks[m + 1][-s.size :, -s.size :])
        return Blocks(self.n - 1, tuple(out))

    def last_qubit_excited(self) -> float:
        """The excited population of qubit n - 1."""
        low = sectors(self.n - 1)
        return float(sum(np.real(np.trace(self.blocks[m + 1][-s.size :, -s.size :])) for m, s in enumerate(low)))

    def tensor_diagonal_qubit(self, p0: float, p1: float) -> Blocks:
        """rho (x) diag(p0, p1) with the new qubit as qubit n (highest)."""
        out = []
        for m in range(self.n + 2):
            parts = [(p0, self.blocks[m])] if m <= self.n else []
            if m >= 1:
                parts.append((p1, self.blocks[m - 1]))
            size = sum(b.shape[0] for _, b in parts)
            blk = np.zeros((size, size), dtype=self.blocks[0].dtype)
            start = 0
            for w, b in parts:
                blk[start : start + b.shape[0], start : start + b.shape[0]] = w * b
                start += b.shape[0]
            out.append(blk)
        return Blocks(self.n + 1, tuple(out))


def coherent_blocks(pops: np.ndarray, coherences: list[tuple[int, int, complex]]) -> Blocks:
    """rho^th + sum_{p<q} (c_pq chi_pq + h.c.) of Eqs. (S4)-(S5) by sector, from the qubits' Gibbs
    populations ``pops[k] = (P_k^0, P_k^1)``; chi_pq = (x)_{k != p,q} rho_k^th (x) sqrt(P_p^0 P_p^1 P_q^0
    P_q^1) |0_p 1_q><1_p 0_q|. Real blocks when every c_pq is real."""
    n = len(pops)
    real = all(complex(c).imag == 0.0 for _, _, c in coherences)
    dtype = float if real else complex
    blocks = []
    for states in sectors(n):
        bits = (states[:, None] >> np.arange(n)[None, :]) & 1
        weights = np.prod(np.where(bits == 1, pops[:, 1], pops[:, 0]), axis=1)
        blocks.append(np.diag(weights).astype(dtype))
    out = Blocks(n, tuple(blocks))
    for p, q, c in coherences:
        amp = np.sqrt(pops[p, 0] * pops[p, 1] * pops[q, 0] * pops[q, 1])
        rest = np.ones(n, dtype=bool)
        rest[[p, q]] = False
        for m, (states, (i, j)) in enumerate(zip(sectors(n), exchange_pairs(n, q, p))):
            if i.size == 0:
                continue
            # i: |1_q 0_p rest> = |0_p 1_q rest> (row of chi_pq), j: |1_p 0_q rest> (its column)
            rows = states[i]
            bits = (rows[:, None] >> np.arange(n)[None, rest]) & 1
            w = amp * np.prod(np.where(bits == 1, pops[rest, 1], pops[rest, 0]), axis=1)
            value = (c if not real else complex(c).real) * w
            out.blocks[m][i, j] += value
            out.blocks[m][j, i] += np.conj(value)
    return out
