"""States of seed 001: local Gibbs states and the coherent initial state of Eq. (1)/(S4)/(S5).

Convention (the one place it is written): each subsystem has H_k = (delta/2) sigma_z in the
paper's sign, with |0> the ground state. In Qiskit's Pauli Z (Z|0> = +|0>) that is
H_k = -(delta/2) Z_k, so |0> has energy -delta/2 and |1> has +delta/2. Qubit j of a circuit or
density matrix is subsystem S_{j+1}; the bath particle R, where present, is the last qubit.
Units: hbar = k_B = 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from qheat.core.errors import QheatError
from qheat.physics.linalg import tensor_product

POSITIVITY_TOLERANCE = 1e-9  # relative: on the scale of the coherence terms


def excited_population(temperature: float, delta: float = 1.0) -> float:
    """P^1 = e^{-delta/T} / (1 + e^{-delta/T}) of a qubit with gap delta at temperature T (no overflow at T -> 0)."""
    return float(expit(-delta / temperature))


def gibbs_populations(temperature: float, delta: float = 1.0) -> np.ndarray:
    """(P^0, P^1): ground and excited populations of e^{-H/T}/Z."""
    p1 = excited_population(temperature, delta)
    return np.array([1.0 - p1, p1])


def gibbs_state(temperature: float, delta: float = 1.0) -> np.ndarray:
    """rho^th = e^{-H/T}/Z of one qubit (2x2)."""
    return np.diag(gibbs_populations(temperature, delta)).astype(complex)


@dataclass(frozen=True)
class PairCoherence:
    """c_pq = strength * exp(i phase) between 0-based subsystems p and q (Eq. 1)."""

    p: int
    q: int
    c: complex


def thermal_product_state(temperatures: Sequence[float], delta: float = 1.0) -> np.ndarray:
    """rho_S^th = (x)_k rho_k^th, S_1 on qubit 0."""
    return tensor_product(*(gibbs_state(t, delta) for t in temperatures))


def coherence_operator(temperatures: Sequence[float], p: int, q: int, delta: float = 1.0) -> np.ndarray:
    """chi_pq of Eq. (S5): (x)_{k != p,q} rho_k^th (x) sqrt(P_p^0 P_p^1 P_q^0 P_q^1) |0_p 1_q><1_p 0_q|."""
    factors = []
    for k, t in enumerate(temperatures):
        if k == p:
            factors.append(np.array([[0, 1], [0, 0]], dtype=complex))  # |0><1| on p
        elif k == q:
            factors.append(np.array([[0, 0], [1, 0]], dtype=complex))  # |1><0| on q
        else:
            factors.append(gibbs_state(t, delta))
    amp = np.sqrt(np.prod([np.prod(gibbs_populations(temperatures[k], delta)) for k in (p, q)]))
    return amp * tensor_product(*factors)


def coherent_state(
    temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0
) -> np.ndarray:
    """rho_S^0 = rho_S^th + sum_{p<q} (c_pq chi_pq + h.c.), Eq. (S4). Not checked for positivity."""
    rho = thermal_product_state(temperatures, delta)
    for pc in coherences:
        term = pc.c * coherence_operator(temperatures, pc.p, pc.q, delta)
        rho = rho + term + term.conj().T
    return rho


def max_coherence_scale(
    temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0
) -> float:
    """Largest s >= 0 such that rho^th + s * (coherence terms) stays positive semidefinite.

    rho^th is positive definite at finite T, so rho^th + s M >= 0 iff 1 + s lambda >= 0 for every
    eigenvalue lambda of K = rho^-1/2 M rho^-1/2: the bound is -1 / lambda_min(K).
    """
    thermal = thermal_product_state(temperatures, delta)
    m = coherent_state(temperatures, coherences, delta) - thermal
    diag = np.real(np.diag(thermal))
    support = diag > 0.0  # a population can underflow to 0 at very low T
    if np.any(m[~support]):
        return 0.0
    w = 1.0 / np.sqrt(diag[support])
    k = w[:, None] * m[np.ix_(support, support)] * w[None, :]
    lam = np.linalg.eigvalsh(k).min()
    return float("inf") if lam >= -1e-15 else float(-1.0 / lam)


def check_positive(
    temperatures: Sequence[float], coherences: Sequence[PairCoherence], delta: float = 1.0
) -> np.ndarray:
    """Return the state of Eq. (S4), or refuse it with the largest strength allowed at its phases.

    The test is scale-free: rho = rho^th + M is positive semidefinite iff the coherence may be
    scaled by at least 1 (``max_coherence_scale``), so a violation among populations of 1e-40 is
    caught as surely as one of order 1, and states exactly on the boundary (Fig. 3's c = -0.5) pass.
    """
    rho = coherent_state(temperatures, coherences, delta)
    scale = max_coherence_scale(temperatures, coherences, delta)
    if scale >= 1.0 - POSITIVITY_TOLERANCE:
        return rho
    low = float(np.linalg.eigvalsh(rho).min())
    if len(coherences) == 1:
        pc = coherences[0]
        limit = (
            f"at phase {np.angle(pc.c):.6g} the strength of c_{pc.p + 1}{pc.q + 1} can be at most "
            f"{abs(pc.c) * scale:.6g}"
        )
    else:
        limit = (
            f"at these phases the strengths can be at most {scale:.6g} times those given ("
            + ", ".join(f"|c_{pc.p + 1}{pc.q + 1}| <= {abs(pc.c) * scale:.6g}" for pc in coherences)
            + ")"
        )
    raise QheatError(f"the initial state is not positive semidefinite (smallest eigenvalue {low:.3g}): {limit}")
