"""Thermodynamic quantities of seed 001, as pure functions of density matrices.

States follow ``qheat.physics.states``: |0> is the ground state, qubit j is S_{j+1}, energies in
units where H_k = (delta/2) sigma_z has eigenvalues -delta/2 (|0>) and +delta/2 (|1>).
Entropies are in nats. Functions taking states accept one matrix (d, d) or a stack
(..., d, d) and then return one value per matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np

from qheat.physics.linalg import (
    entropy_of_probabilities,
    num_qubits,
    von_neumann_entropies,
)
from qheat.physics.states import excited_population


def populations(rho_s: np.ndarray) -> np.ndarray:
    """(..., n, 2) array of (P_k^0, P_k^1): ground and excited populations of each subsystem."""
    n = num_qubits(rho_s)
    diag = np.real(np.diagonal(rho_s, axis1=-2, axis2=-1))
    bits = _bits(n)  # (d, n)
    p1 = diag @ bits
    total = diag.sum(axis=-1)[..., None]
    return np.stack([total - p1, p1], axis=-1)


@cache
def _bits(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def subsystem_energies(pops: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """E_k = Tr(rho H_k) = (delta/2)(P_k^1 - P_k^0) (Eq. S17), from ``populations`` (..., n, 2)."""
    return delta / 2.0 * (pops[..., 1] - pops[..., 0])


def qubit_energy(rho: np.ndarray, delta: float = 1.0) -> np.ndarray | float:
    """Energy of a qubit (the bath particle) with H_R = (delta/2) sigma_z."""
    e = delta / 2.0 * (np.real(rho[..., 1, 1]) - np.real(rho[..., 0, 0]))
    return float(e) if np.ndim(e) == 0 else e


def free_energy(energy: np.ndarray | float, entropy: np.ndarray | float, temperature: float) -> np.ndarray | float:
    """F = Tr(rho H_S) - T S(rho) at the bath temperature T (Eq. S19)."""
    return energy - temperature * entropy


def relative_entropy_of_coherence(rho: np.ndarray, entropy: np.ndarray | float | None = None) -> np.ndarray | float:
    """C(rho) = S(D_H(rho)) - S(rho), D_H removing off-diagonals in the energy basis (Baumgratz et al.)."""
    s = von_neumann_entropies(rho) if entropy is None else np.asarray(entropy)
    diag = np.real(np.diagonal(rho, axis1=-2, axis2=-1))
    out = np.maximum(entropy_of_probabilities(diag) - s, 0.0)
    return float(out) if np.ndim(out) == 0 else out


def mutual_information(
    s_a: np.ndarray | float, s_b: np.ndarray | float, s_ab: np.ndarray | float
) -> np.ndarray | float:
    """I(A:B) = S(A) + S(B) - S(AB)."""
    return s_a + s_b - s_ab


def pair_mutual_information(rho_ab: np.ndarray) -> np.ndarray | float:
    """I(A:B) of two-qubit states (A on the low bit), one value per 4x4 matrix in a stack."""
    rho_ab = np.asarray(rho_ab)
    t = rho_ab.reshape(rho_ab.shape[:-2] + (2, 2, 2, 2))  # axes: b_B, b_A, b_B', b_A'
    rho_a = np.einsum("...babc->...ac", t)
    rho_b = np.einsum("...baca->...bc", t)
    s = von_neumann_entropies
    out = s(rho_a) + s(rho_b) - s(rho_ab)
    return float(out) if np.ndim(out) == 0 else out


@cache
def _exchange_indices(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every pair p < q: rows i with bit p = 1, bit q = 0 and columns i ^ (1<<p) ^ (1<<q)."""
    idx = np.arange(2**n)
    rows, cols, pairs = [], [], []
    for p in range(n):
        for q in range(p + 1, n):
            sel = idx[((idx >> p) & 1 == 1) & ((idx >> q) & 1 == 0)]
            rows.append(sel)
            cols.append(sel ^ (1 << p) ^ (1 << q))
            pairs.append((p, q))
    if not pairs:
        return np.zeros((0, 0), int), np.zeros((0, 0), int), np.zeros((0, 2), int)
    return np.array(rows), np.array(cols), np.array(pairs)


def exchange_coherences(rho_s: np.ndarray) -> np.ndarray:
    """X[p, q] = <s-^p s+^q> + <s+^p s-^q> = 2 Re sum_rest <1_p 0_q rest| rho |0_p 1_q rest>.

    Symmetric with zero diagonal, shape (..., n, n): the coherence between the degenerate levels
    |0_p 1_q>, |1_p 0_q> that enters Eq. (47).
    """
    n = num_qubits(rho_s)
    rows, cols, pairs = _exchange_indices(n)
    x = np.zeros(rho_s.shape[:-2] + (n, n))
    if len(pairs):
        values = 2.0 * np.real(rho_s[..., rows, cols]).sum(axis=-1)  # (..., n_pairs)
        x[..., pairs[:, 0], pairs[:, 1]] = values
        x[..., pairs[:, 1], pairs[:, 0]] = values
    return x


def coherence_weights(protocol: str, order: Sequence[int]) -> np.ndarray:
    """W[p, k]: how much the p-k exchange coherence counts in the one-way coherence C_k.

    cascade (Eq. 47): 1 if S_p precedes S_k in the interaction order, else 0.
    simultaneous: 1/2 for every p != k (the collective dissipator of exp(-i tau sum_k H_kR)
    splits each pair's coherence evenly). In both cases sum_k C_k is the C of Eqs. (53)/(54):
    each unordered pair counted once, as Q_S = sum_k Q_k requires (read over ordered pairs l != k,
    Eq. (53) as printed would count each pair twice).
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
    """C_k = sum_p W[p, k] X[p, k] (Eq. 47), shape (..., n)."""
    return np.einsum("pk,...pk->...k", weights, exchange_coherences(rho_s))


def apparent_temperature(
    p0: np.ndarray | float, p1: np.ndarray | float, c: np.ndarray | float, delta: float = 1.0
) -> np.ndarray | float:
    """AT = delta / ln((P^0 + C)/(P^1 + C)) (Eq. 49 per subsystem, Eq. 54 for the system).

    Element-wise on arrays; NaN where the logarithm's argument is not positive or equals 1
    (see ``apparent_temperature_issue`` for the reason).
    """
    num, den = np.asarray(p0 + c, dtype=float), np.asarray(p1 + c, dtype=float)
    ok = (num > 0) & (den > 0)
    log = np.log(np.where(ok, num, 1.0) / np.where(ok, den, 1.0))
    ok &= np.abs(log) > 1e-15
    out = np.where(ok, delta / np.where(ok, log, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def apparent_temperature_issue(p0: float, p1: float, c: float) -> str:
    """Why Eq. (49) gives no finite apparent temperature here ('' if it does)."""
    if p0 + c <= 0 or p1 + c <= 0:
        return "P0 + C or P1 + C is not positive: the logarithm of Eq. (49) is not defined"
    if abs(math.log((p0 + c) / (p1 + c))) <= 1e-15:
        return "(P0 + C)/(P1 + C) = 1: the apparent temperature is infinite"
    return ""


def reversal_threshold(temperature: float, bath_temperature: float, delta: float = 1.0) -> float:
    """Right-hand side of Eqs. (51)/(52): (e^{b_k d} - e^{b_R d}) / ((e^{b_k d} + 1)(e^{b_R d} - 1)).

    For T_k > T_R heat flow reverses when C_k is below it (Eq. 51), for T_k < T_R when above (Eq. 52).
    """
    # the same expression divided by e^{b_k d} e^{b_R d}, so that it cannot overflow at low T
    xk, xr = math.exp(-delta / temperature), math.exp(-delta / bath_temperature)
    return (xr - xk) / ((1.0 + xk) * -math.expm1(-delta / bath_temperature))


def reversal_predicted(one_way: float, temperature: float, bath_temperature: float, delta: float = 1.0) -> bool:
    """Eq. (51) when T_k > T_R, Eq. (52) when T_k < T_R; no reversal is defined at T_k = T_R."""
    threshold = reversal_threshold(temperature, bath_temperature, delta)
    if temperature > bath_temperature:
        return one_way < threshold
    if temperature < bath_temperature:
        return one_way > threshold
    return False


def heat_current(
    p0: float, p1: float, c: float, bath_temperature: float, g: float, tau: float, delta: float = 1.0
) -> float:
    """dQ_k/dt into S_k from the bath (positive: S_k gains energy), Eq. (46).

    gamma^+ = g^2 tau <s+^R s-^R>_R = g^2 tau P_R^1 (bath excited) and
    gamma^- = g^2 tau <s-^R s+^R>_R = g^2 tau P_R^0, so gamma^+/gamma^- = e^{-delta/T_R}.
    One collision of duration tau changes E_k by tau * dQ_k/dt to second order in g tau.
    """
    pr1 = excited_population(bath_temperature, delta)
    gamma_plus, gamma_minus = g * g * tau * pr1, g * g * tau * (1.0 - pr1)
    return delta * (gamma_plus * (p0 + c) - gamma_minus * (p1 + c))
