"""Positivity of seed 001's initial state (Eq. S4) by excitation sectors, without the 2^n x 2^n matrix.

rho^th and every chi_pq (Eq. S5, |0_p 1_q><1_p 0_q|) keep the number of excitations, so rho_S^0 and
K = rho_th^-1/2 M rho_th^-1/2 (M the coherence terms) are block diagonal over the sectors of k
excitations (C(n, k) states each). ``physics.states.max_coherence_scale`` diagonalises K whole
(2^n, 27 s at n = 10 on this machine); here each block is diagonalised on its own (the largest
C(12, 6) = 924 at n = 12), with the same rule: rho_th + s M >= 0 iff s <= -1 / lambda_min(K).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qheat.core.errors import QheatError
from qheat.physics.states import POSITIVITY_TOLERANCE, PairCoherence, gibbs_populations


def _blocks(temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float):
    """Per sector: the thermal populations (diagonal) and the coherence terms M of rho_S^0 (bit k of a basis
    state's index: S_{k+1} excited)."""
    n = len(temperatures)
    pops = np.array([gibbs_populations(t, delta) for t in temperatures])  # (n, 2)
    codes = np.arange(2**n)
    bits = (codes[:, None] >> np.arange(n)[None, :]) & 1  # (2^n, n)
    weight = bits.sum(axis=1)
    rank = np.zeros(2**n, dtype=int)  # position inside its sector
    for k in range(n + 1):
        rank[weight == k] = np.arange(int(np.sum(weight == k)))
    for k in range(n + 1):
        members = codes[weight == k]
        b = bits[members]
        diag = np.prod(pops[np.arange(n), b], axis=1)
        m = np.zeros((len(members), len(members)), dtype=complex)
        for pc in coherences:
            rows = np.flatnonzero((b[:, pc.q] == 1) & (b[:, pc.p] == 0))  # |0_p 1_q>: the ket of chi_pq
            if rows.size == 0:
                continue
            cols = rank[members[rows] ^ ((1 << pc.p) | (1 << pc.q))]  # <1_p 0_q|
            others = [r for r in range(n) if r not in (pc.p, pc.q)]
            rest = (
                np.prod(pops[others][np.arange(len(others))[None, :], b[rows][:, others]], axis=1)
                if others
                else np.ones(rows.size)
            )
            value = pc.c * np.sqrt(np.prod(pops[pc.p]) * np.prod(pops[pc.q])) * rest
            m[rows, cols] += value
            m[cols, rows] += np.conj(value)
        yield diag, m


def coherence_scale(temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0) -> float:
    """Largest s >= 0 with rho^th + s M positive semidefinite (``physics.states.max_coherence_scale``, by sectors)."""
    lam = np.inf
    for diag, m in _blocks(temperatures, coherences, delta):
        support = diag > 0.0
        if np.any(m[~support]) or np.any(m[:, ~support]):
            return 0.0
        if not np.any(m):
            continue
        w = 1.0 / np.sqrt(diag[support])
        k = w[:, None] * m[np.ix_(support, support)] * w[None, :]
        lam = min(lam, _lowest(k))
    return float("inf") if lam >= -1e-15 else float(-1.0 / lam)


def smallest_eigenvalue(
    temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0
) -> float:
    """The smallest eigenvalue of rho_S^0 (Eq. S4), sector by sector."""
    return min(_lowest(np.diag(diag) + m) for diag, m in _blocks(temperatures, coherences, delta))


def _lowest(h: np.ndarray) -> float:
    """The smallest eigenvalue of a Hermitian block (real arithmetic when it is real: 3x faster)."""
    from scipy.linalg import eigvalsh

    if not np.any(h.imag):
        h = h.real
    return float(eigvalsh(h, subset_by_index=[0, 0])[0])


def check_positive(temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0) -> None:
    """Refuse a non-positive rho_S^0 with the largest strengths allowed at its phases (the message of
    ``physics.states.check_positive``), in the time of the largest sector instead of 2^n."""
    scale = coherence_scale(temperatures, coherences, delta)
    if scale >= 1.0 - POSITIVITY_TOLERANCE:
        return
    low = smallest_eigenvalue(temperatures, coherences, delta)
    if len(coherences) == 1:
        pc = coherences[0]
        limit = (
            f"at phase {np.angle(pc.c):.6g} the strength of c_{pc.p + 1}{pc.q + 1} can be at most "
            f"{abs(pc.c) * scale:.6g}"
        )
    else:
        limit = (
            "at these phases the strengths can be at most "
            f"{scale:.6g} times those given ("
            + ", ".join(f"|c_{pc.p + 1}{pc.q + 1}| <= {abs(pc.c) * scale:.6g}" for pc in coherences)
            + ")"
        )
    raise QheatError(f"the initial state is not positive semidefinite (smallest eigenvalue {low:.3g}): {limit}")
