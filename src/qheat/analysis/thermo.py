"""Thermodynamic quantities of seed 001, as pure functions of density matrices.

States follow ``qheat.states``: |0> is the ground state, qubit j is S_{j+1}, energies in
units where H_k = (delta/2) sigma_z has eigenvalues -delta/2 (|0>) and +delta/2 (|1>).
Entropies are in nats.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..linalg import entropy_of_probabilities, num_qubits, reduced_state, von_neumann_entropies, von_neumann_entropy
from ..states import excited_population


def populations(rho_s: np.ndarray) -> np.ndarray:
    """(n, 2) array of (P_k^0, P_k^1): ground and excited populations of each subsystem."""
    n = num_qubits(rho_s)
    diag = np.real(np.diag(rho_s)).reshape((2,) * n)
    out = np.empty((n, 2))
    for k in range(n):
        axis = n - 1 - k
        out[k] = diag.sum(axis=tuple(a for a in range(n) if a != axis))
    return out


def subsystem_energies(rho_s: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """E_k = Tr(rho H_k) = (delta/2)(P_k^1 - P_k^0) (Eq. S17)."""
    p = populations(rho_s)
    return delta / 2.0 * (p[:, 1] - p[:, 0])


def qubit_energy(rho: np.ndarray, delta: float = 1.0) -> float:
    """Energy of one qubit (bath particle) with H_R = (delta/2) sigma_z."""
    return float(delta / 2.0 * (rho[1, 1].real - rho[0, 0].real))


def free_energy(rho_s: np.ndarray, temperature: float, delta: float = 1.0, entropy: float | None = None) -> float:
    """F = Tr(rho H_S) - T S(rho) at the bath temperature T (Eq. S19)."""
    s = von_neumann_entropy(rho_s) if entropy is None else entropy
    return float(subsystem_energies(rho_s, delta).sum() - temperature * s)


def relative_entropy_of_coherence(rho: np.ndarray, entropy: float | None = None) -> float:
    """C(rho) = S(D_H(rho)) - S(rho), D_H removing off-diagonals in the energy basis (Baumgratz et al.)."""
    s = von_neumann_entropy(rho) if entropy is None else entropy
    return max(entropy_of_probabilities(np.real(np.diag(rho))) - s, 0.0)


def mutual_information(s_a: float, s_b: float, s_ab: float) -> float:
    """I(A:B) = S(A) + S(B) - S(AB)."""
    return s_a + s_b - s_ab


def pair_mutual_information(rho_ab: np.ndarray) -> np.ndarray:
    """I(A:B) of two-qubit states (A on the low bit); a stack (m, 4, 4) gives m values."""
    t = np.asarray(rho_ab).reshape(-1, 2, 2, 2, 2)  # axes: b_B, b_A, b_B', b_A'
    rho_a = np.einsum("mbabc->mac", t)
    rho_b = np.einsum("mbaca->mbc", t)
    s = von_neumann_entropies
    out = s(rho_a) + s(rho_b) - s(t.reshape(-1, 4, 4))
    return out if np.ndim(rho_ab) == 3 else out[0]


def exchange_coherences(rho_s: np.ndarray) -> np.ndarray:
    """X[p, q] = <s-^p s+^q> + <s+^p s-^q> = 2 Re <1_p 0_q| rho |0_p 1_q>, symmetric, zero diagonal.

    This is the coherence between the degenerate levels |0_p 1_q>, |1_p 0_q> that enters Eq. (47).
    """
    n = num_qubits(rho_s)
    x = np.zeros((n, n))
    for p in range(n):
        for q in range(p + 1, n):
            pq = reduced_state(rho_s, [p, q])  # index = 2 b_q + b_p: |1_p 0_q> = 1, |0_p 1_q> = 2
            x[p, q] = x[q, p] = 2.0 * pq[1, 2].real
    return x


def coherence_weights(protocol: str, order: Sequence[int]) -> np.ndarray:
    """W[p, k]: how much the p-k exchange coherence counts in the one-way coherence C_k.

    cascade (Eq. 47): 1 if S_p precedes S_k in the interaction order, else 0.
    simultaneous: 1/2 for every p != k (the collective dissipator of exp(-i tau sum_k H_kR)
    splits each pair's coherence evenly); in both cases sum_k C_k is the C of Eq. (53).
    """
    n = len(order)
    w = np.zeros((n, n))
    if protocol == "cascade":
        for i, k in enumerate(order):
            for p in order[:i]:
                w[p, k] = 1.0
    elif protocol == "simultaneous":
        w[:] = 0.5
        np.fill_diagonal(w, 0.0)
    else:
        raise ValueError(f"no one-way coherence for protocol {protocol!r}")
    return w


def one_way_coherence(rho_s: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """C_k = sum_p W[p, k] X[p, k] (Eq. 47)."""
    return np.einsum("pk,pk->k", weights, exchange_coherences(rho_s))


def apparent_temperature(p0: float, p1: float, c: float, delta: float = 1.0) -> tuple[float | None, str]:
    """AT = delta / ln((P^0 + C)/(P^1 + C)) (Eq. 49 per subsystem, Eq. 54 for the system).

    Returns (value, "") or (None, reason) where the logarithm's argument is not positive or is 1.
    """
    num, den = p0 + c, p1 + c
    if num <= 0 or den <= 0:
        return None, "(P0 + C)/(P1 + C) <= 0: the logarithm of Eq. (49) is not real"
    log = math.log(num / den)
    if abs(log) < 1e-15:
        return None, "(P0 + C)/(P1 + C) = 1: the apparent temperature is infinite"
    return delta / log, ""


def reversal_threshold(temperature: float, bath_temperature: float, delta: float = 1.0) -> float:
    """Right-hand side of Eqs. (51)/(52): (e^{b_k d} - e^{b_R d}) / ((e^{b_k d} + 1)(e^{b_R d} - 1)).

    For T_k > T_R heat flow reverses when C_k is below it (Eq. 51), for T_k < T_R when above (Eq. 52).
    """
    ek, er = math.exp(delta / temperature), math.exp(delta / bath_temperature)
    return (ek - er) / ((ek + 1.0) * (er - 1.0))


def reversal_predicted(one_way: float, temperature: float, bath_temperature: float, delta: float = 1.0) -> bool:
    """Eq. (51) when T_k > T_R, Eq. (52) when T_k < T_R; no reversal is defined at T_k = T_R."""
    threshold = reversal_threshold(temperature, bath_temperature, delta)
    if temperature > bath_temperature:
        return one_way < threshold
    if temperature < bath_temperature:
        return one_way > threshold
    return False


def heat_current(p0: float, p1: float, c: float, bath_temperature: float, g: float, tau: float, delta: float = 1.0) -> float:
    """dQ_k/dt into S_k from the bath, Eq. (46), with gamma^+- = g^2 tau <s-+^R s+-^R>_R.

    gamma^+ = g^2 tau P_R^1 (bath excited), gamma^- = g^2 tau P_R^0, so detailed balance holds.
    One collision of duration tau changes E_k by tau * dQ_k/dt to second order in g tau.
    """
    pr1 = excited_population(bath_temperature, delta)
    gamma_plus, gamma_minus = g * g * tau * pr1, g * g * tau * (1.0 - pr1)
    return delta * (gamma_plus * (p0 + c) - gamma_minus * (p1 + c))
