"""Heat transfer between correlated or interacting quantum systems: pure functions (seeds 000, 002).

Seed 000 (Ma et al., "Anomalous Heat Transfer in Nonequilibrium Quantum Systems"):
qubit X_i has H_{X_i} = -(omega_i/2) sigma^z_i (Eq. 6), sigma^z = Qiskit's Z, so |0> is the ground
state (energy -omega/2), as everywhere in qheat. The ladder operators follow the paper's *usage*
(Eqs. S16, S29 and Fig. 1(c)): sigma^+ = |1><0| raises the energy, sigma^- = |0><1| lowers it.
The paper's written definition sigma^+- = (sigma^x +- i sigma^y)/2 would, with sigma^z|0> = +|0>,
make sigma^+ = |0><1| the *lowering* operator; with that reading S16 and S29 change sign and Fig.
1(c) breaks the heat-transfer condition by ||[H_I, H_A + H_B]|| = 0.04 omega_0 (see
``FIG1C_CONVENTION``). With sigma^+ = |1><0| = (X - iY)/2 every printed formula holds.

Seed 002 (Holdsworth & Kawai, "Heat pump driven entirely by quantum correlation"): H_A = H_B =
(omega/2) sigma_z with the paper's sigma_z = +1 on the excited |1> (= -Z), the same energies.
The paper's product basis {|00>, |01>, |10>, |11>} lists A first; qheat's basis index has A on bit 0,
so the paper's |01> (A ground, B excited) is qheat index 2 (``PAPER_ORDER`` permutes).

Functions take dense matrices (qheat order: basis index bit j is qubit j) and stacks of them
(..., d, d). Entropies in nats; hbar = k_B = 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from qheat.physics.linalg import (
    reduced_state,
    tensor_product,
    von_neumann_entropies,
)

FIG1C_CONVENTION = (
    "Fig. 1(c) of seed 000 satisfies [H_I, H_A + H_B] = 0 only with sigma^+ = |e><g| (raising the energy; "
    "= (sigma^x - i sigma^y)/2 when sigma^z|g> = +|g>, as H = -(omega/2) sigma^z requires). With the written "
    "definition sigma^+ = (sigma^x + i sigma^y)/2 (lowering) the commutator has operator norm 0.04 omega_0; flipping "
    "sigma^y (or the sign of H_AI, r_2 = -1/2 in Eq. S28) restores it. Eqs. S16 and S29 use the same raising "
    "convention, which qheat adopts for the ops '+' and '-'."
)

# Single-qubit operators of the spec's "ops" tables (qheat order: |0> ground, |1> excited).
OPERATORS: dict[str, np.ndarray] = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
    "+": np.array([[0, 0], [1, 0]], dtype=complex),  # sigma^+ = |1><0|: raises the energy
    "-": np.array([[0, 1], [0, 0]], dtype=complex),  # sigma^- = |0><1|: lowers it
}
PAPER_ORDER = np.array([0, 2, 1, 3])  # seed 002's |AB> basis index -> qheat index (A on bit 0)


# ----------------------------------------------------------------------------- operators


def term_matrix(n: int, ops: dict[int, str]) -> np.ndarray:
    """The product of single-qubit operators ``ops`` {qubit: letter} on n qubits (identity elsewhere)."""
    return tensor_product(*(OPERATORS[ops.get(q, "I")] for q in range(n)))


def operator_sum(n: int, terms: Iterable[tuple[complex, dict[int, str], bool]]) -> np.ndarray:
    """sum of c * term (+ h.c. where the flag is set), as a dense 2^n x 2^n matrix."""
    out = np.zeros((2**n, 2**n), dtype=complex)
    for c, ops, hc in terms:
        m = c * term_matrix(n, ops)
        out += m + m.conj().T if hc else m
    return out


def local_hamiltonian(frequencies: Sequence[float], qubits: Iterable[int] | None = None) -> np.ndarray:
    """sum_k -(omega_k/2) Z_k over ``qubits`` (default all): Eq. (6) of seed 000 (diagonal)."""
    n = len(frequencies)
    qubits = range(n) if qubits is None else qubits
    return sum((-0.5 * frequencies[k] * term_matrix(n, {k: "Z"}) for k in qubits), np.zeros((2**n, 2**n), complex))


def place(m: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """A matrix given on qubits ``order`` (order[0] its lowest bit) rewritten in qheat order (bit q = qubit q)."""
    n = len(order)
    inv = {q: i for i, q in enumerate(order)}
    axes = [n - 1 - inv[n - 1 - k] for k in range(n)]
    t = m.reshape((2,) * (2 * n)).transpose(axes + [n + a for a in axes])
    return t.reshape(2**n, 2**n)


def commutator(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b - b @ a


def nested_commutators(h: np.ndarray, h_b: np.ndarray, n_max: int) -> list[np.ndarray]:
    """[h, h_B]_n for n = 1..n_max with [h, h_B]_n = [h, [h, h_B]_{n-1}] (Eq. 2)."""
    out, c = [], h_b
    for _ in range(n_max):
        c = commutator(h, c)
        out.append(c)
    return out


def heat_derivatives(rho: np.ndarray, h: np.ndarray, h_b: np.ndarray, n_max: int = 4) -> np.ndarray:
    """d^n Q / dt^n = i^n Tr(rho [H, H_B]_n), n = 1..n_max (Eq. 2; the full H, which equals H_I there
    when [H_I, H_A + H_B] = 0, and stays right when it does not)."""
    return np.array([np.real((1j**k) * np.trace(rho @ c)) for k, c in enumerate(nested_commutators(h, h_b, n_max), 1)])


# ----------------------------------------------------------------------------- evolution


def evolve(rho0: np.ndarray, h: np.ndarray, times: Sequence[float] | np.ndarray) -> np.ndarray:
    """rho(t) = e^{-iHt} rho0 e^{iHt} for every t, as a stack (len(times), d, d)."""
    e, v = np.linalg.eigh(h)
    r = v.conj().T @ rho0 @ v
    phase = np.exp(-1j * np.outer(np.asarray(times, float), e))  # (m, d)
    rt = phase[:, :, None] * r[None] * phase.conj()[:, None, :]
    return v[None] @ rt @ v.conj().T[None]


def expectation(rhos: np.ndarray, op: np.ndarray) -> np.ndarray:
    """Re Tr(rho op) for each rho of a stack."""
    return np.real(np.einsum("...ij,ji->...", rhos, op))


def marginals(rhos: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """Reduced states on ``keep`` of every state of a stack."""
    return np.stack([reduced_state(r, list(keep)) for r in rhos])


# ----------------------------------------------------------------------------- entropies


def log_matrix(sigma: np.ndarray) -> np.ndarray:
    """ln sigma of a positive definite matrix."""
    e, v = np.linalg.eigh(sigma)
    if e.min() <= 0:
        raise ValueError("relative entropy to a state that is not full rank")
    return (v * np.log(e)) @ v.conj().T


def relative_entropy(rhos: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """S(rho || sigma) = Tr rho ln rho - Tr rho ln sigma for each rho of a stack (sigma full rank)."""
    return -von_neumann_entropies(rhos) - expectation(rhos, log_matrix(sigma))


def gibbs(h: np.ndarray, beta: float) -> np.ndarray:
    """e^{-beta H} / Z of a Hermitian matrix."""
    e, v = np.linalg.eigh(h)
    w = np.exp(-beta * (e - e.min()))
    return (v * (w / w.sum())) @ v.conj().T


@dataclass(frozen=True)
class Partition:
    """How n qubits form system A (subsystems A_k, one qubit each) and system B (the rest together)."""

    a: tuple[int, ...]
    b: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.a) + len(self.b)


def heat_transfer_terms(
    rhos: np.ndarray,
    partition: Partition,
    h_ak: Sequence[np.ndarray],
    h_ai: np.ndarray,
    h_b: np.ndarray,
    beta_ak: Sequence[float],
    beta_b: float,
) -> dict[str, np.ndarray]:
    """Every term of the heat-transfer equation (5) of seed 000 along a trajectory rhos[0] -> rhos[t].

    The references are the initial marginals, which a local-equilibrium state (Eq. 3) has as Gibbs
    states: rho_{A_k} of H_{A_k} at beta_{A_k}, rho_B of H_B at beta_B. beta_A = min_k beta_{A_k}
    (the hottest part of A, Eq. S5). Returns arrays over time:

    relative_entropy_A[k] = S(rho'_{A_k} || rho_{A_k}), relative_entropy_B = S(rho'_B || rho_B),
    delta_I_AB = Delta of the multipartite mutual information sum_k S(A_k) + S(B) - S(AB),
    split into delta_I_A (within A: sum_k S(A_k) - S(A)) and delta_I_A_B (between A and B),
    delta_T_A = sum_k (beta_A - beta_{A_k}) Delta<H_{A_k}> (temperature inhomogeneity),
    delta_J_A = beta_A Delta<H_AI> (intrasystem interaction), their sum ``rhs``, and
    ``lhs`` = beta_B Delta<H_B> + beta_A Delta<H_A>, which is (beta_B - beta_A) Q when
    [H_I, H_A + H_B] = 0 (Delta<H_A> = -Q). lhs = rhs holds for any unitary evolution (Eq. S4).
    """
    beta_a = min(beta_ak)
    s_total = von_neumann_entropies(rhos)
    a_states = [marginals(rhos, [q]) for q in partition.a]
    b_states = marginals(rhos, partition.b)
    a_all = marginals(rhos, partition.a) if len(partition.a) > 1 else a_states[0]
    s_ak = np.stack([von_neumann_entropies(s) for s in a_states])  # (N, m)
    s_b = von_neumann_entropies(b_states)
    s_a = von_neumann_entropies(a_all)
    rel_a = np.stack([relative_entropy(s, s[0]) for s in a_states])
    rel_b = relative_entropy(b_states, b_states[0])
    i_ab = s_ak.sum(0) + s_b - s_total
    i_a = s_ak.sum(0) - s_a
    i_a_b = s_a + s_b - s_total
    e_ak = np.stack([expectation(rhos, h) for h in h_ak])
    d_e_ak = e_ak - e_ak[:, :1]
    e_ai = expectation(rhos, h_ai)
    e_b = expectation(rhos, h_b)
    d_t_a = sum((beta_a - b) * d for b, d in zip(beta_ak, d_e_ak))
    d_j_a = beta_a * (e_ai - e_ai[0])
    q = e_b - e_b[0]
    d_e_a = d_e_ak.sum(0) + (e_ai - e_ai[0])
    out = {
        "heat": q,
        "delta_H_A": d_e_a,
        "relative_entropy_A": rel_a,
        "relative_entropy_B": rel_b,
        "delta_I_AB": i_ab - i_ab[0],
        "delta_I_A": i_a - i_a[0],
        "delta_I_A_B": i_a_b - i_a_b[0],
        "delta_T_A": d_t_a,
        "delta_J_A": d_j_a,
    }
    out["rhs"] = rel_a.sum(0) + rel_b + out["delta_I_AB"] + d_t_a + d_j_a
    out["lhs"] = beta_b * q + beta_a * d_e_a
    return out


# ----------------------------------------------------------------------------- closed forms, seed 000


def convexity_eq10(
    beta_a1: np.ndarray | float,
    beta_a2: np.ndarray | float,
    beta_b: np.ndarray | float,
    w_a1: float,
    w_a2: float,
    w_b: float,
    c: complex = 1.0,
) -> np.ndarray:
    """d^2 Q / dt^2 at t = 0 for H_I = c s+_{A1} s-_{A2} s-_B + h.c. and the product state rho_0 (Eq. 10).

    Written with logistic functions (no overflow): e^x / (1 + e^x) = expit(x).
    """
    x1, x2, xb = np.multiply(beta_a1, w_a1), np.multiply(beta_a2, w_a2), np.multiply(beta_b, w_b)
    # 2|c|^2 w_B [e^{x2 + xB} - e^{x1}] / ((1 + e^{x1})(1 + e^{x2})(1 + e^{xB}))
    forward = expit(x2) * expit(xb) * expit(-x1)
    backward = expit(x1) * expit(-x2) * expit(-xb)
    return 2.0 * abs(c) ** 2 * w_b * (forward - backward)


def convexity_s30(
    beta_a1: np.ndarray | float,
    beta_a2: np.ndarray | float,
    beta_b: np.ndarray | float,
    w_a1: float,
    w_a2: float,
    w_b: float,
    c: complex = 1.0,
    j: float = 0.0,
) -> np.ndarray:
    """Eq. (S30): Eq. (10) plus the J^2 term of the two-body perturbation H_b = J sum_{u<v} sum_a s^a_u s^a_v.

    The paper's S30 is written with H = -omega sigma^z (gap 2 omega); in Eq. (6)'s units (gap omega)
    its second term reads -8 J^2 omega_B / (1 + e^{x_B}) sum_{i=1,2} (e^{x_i} - e^{x_B}) / (1 + e^{x_i}),
    x = beta omega, i.e. 4 J^2 omega_B sum_i [tanh(x_B/2) - tanh(x_i/2)] (Eqs. S18-S19 with c = 2J).
    """
    xb = np.multiply(beta_b, w_b)
    pert = sum(np.tanh(xb / 2.0) - np.tanh(np.multiply(b, w) / 2.0) for b, w in ((beta_a1, w_a1), (beta_a2, w_a2)))
    return convexity_eq10(beta_a1, beta_a2, beta_b, w_a1, w_a2, w_b, c) + 4.0 * j**2 * w_b * pert


def three_body_model(
    w_a1: float, w_a2: float, w_b: float, c: complex = 1.0, j: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(H, H_B) of the Eq. (9) model on qubits A1 = 0, A2 = 1, B = 2, with the two-body perturbation
    J sum_{u<v} (XX + YY + ZZ) of Fig. 2(b); built from explicit matrices, not from Eq. (10)."""
    h0 = local_hamiltonian([w_a1, w_a2, w_b])
    h_i = operator_sum(3, [(c, {0: "+", 1: "-", 2: "-"}, True)])
    pairs = [(0, 1), (0, 2), (1, 2)]
    h_pert = operator_sum(3, [(j, {u: p, v: p}, False) for u, v in pairs for p in "XYZ"])
    return h0 + h_i + h_pert, local_hamiltonian([w_a1, w_a2, w_b], [2])


def product_gibbs(frequencies: Sequence[float], betas: Sequence[float]) -> np.ndarray:
    """rho_0 of Eq. (4): the product of qubit Gibbs states of -(omega/2) Z at inverse temperatures beta."""
    return tensor_product(*(np.diag([expit(b * w), expit(-b * w)]).astype(complex) for w, b in zip(frequencies, betas)))


# ----------------------------------------------------------------------------- seed 002


def pair_lambdas(t_a: float, t_b: float, omega: float = 1.0) -> np.ndarray:
    """(lambda_1, ..., lambda_4) of Eq. (6): the product Gibbs populations of |00>, |01>, |10>, |11>
    (paper order, A first), H_A = H_B = (omega/2) sigma_z."""
    pa = np.array([expit(omega / t_a), expit(-omega / t_a)])
    pb = np.array([expit(omega / t_b), expit(-omega / t_b)])
    return np.array([pa[0] * pb[0], pa[0] * pb[1], pa[1] * pb[0], pa[1] * pb[1]])


def to_qheat_order(m_paper: np.ndarray) -> np.ndarray:
    """A 4x4 matrix in seed 002's basis {|00>,|01>,|10>,|11>} (A first) in qheat order (A on bit 0)."""
    return m_paper[np.ix_(PAPER_ORDER, PAPER_ORDER)]


def correlation_matrix(t_a: float, t_b: float, phase: float, strength: float = 1.0, omega: float = 1.0) -> np.ndarray:
    """chi of Eq. (10), in qheat order, with |chi_23| = strength * sqrt(lambda_4) (strength 1: Eq. 10).

    chi_23 = <01|chi|10> (paper basis: A ground and B excited, against A excited and B ground)
    = strength e^{i phi_chi} sqrt(lambda_4); the diagonal (-l4, +l4, +l4, -l4) keeps both marginals Gibbs.
    Positive iff strength <= 1 (Appendix A: (lambda_2 + lambda_4)(lambda_3 + lambda_4) = lambda_4).
    """
    l4 = pair_lambdas(t_a, t_b, omega)[3]
    chi = np.diag([-l4, l4, l4, -l4]).astype(complex)
    chi[1, 2] = strength * np.exp(1j * phase) * np.sqrt(l4)
    chi[2, 1] = np.conj(chi[1, 2])
    return to_qheat_order(chi)


def correlated_pair_state(
    t_a: float, t_b: float, phase: float, strength: float = 1.0, omega: float = 1.0
) -> np.ndarray:
    """rho_AB^0 = rho_A^0 (x) rho_B^0 + chi (Eqs. 3, 5, 10), qheat order."""
    return to_qheat_order(np.diag(pair_lambdas(t_a, t_b, omega)).astype(complex)) + correlation_matrix(
        t_a, t_b, phase, strength, omega
    )


def exchange_coupling(omega_c: float, phase: float) -> np.ndarray:
    """V_AB = Omega (e^{i phi_V} |01><10| + h.c.) of Eq. (7), qheat order."""
    v = np.zeros((4, 4), dtype=complex)
    v[1, 2] = omega_c * np.exp(1j * phase)
    v[2, 1] = np.conj(v[1, 2])
    return to_qheat_order(v)


def pair_hamiltonians(omega: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(H_A, H_B) = ((omega/2) sigma_z on A, on B) with sigma_z = +1 on |1> (qheat: -Z)."""
    return -0.5 * omega * term_matrix(2, {0: "Z"}), -0.5 * omega * term_matrix(2, {1: "Z"})


def sed_closed_form(
    t: np.ndarray, delta0: float, c0: float, delta: float, omega_c: float, omega: float = 1.0
) -> np.ndarray:
    """Delta_AB(t) of Eq. (12): Delta_0 sqrt(1 + (C_0 sin d / Delta_0)^2) cos(2 Omega t + theta),
    theta = atan(C_0 sin d / Delta_0) (Eq. 13), d = phi_V - phi_chi; energies in units of omega, so
    with omega != 1 the concurrence term carries omega: = Delta_0 cos 2Wt - omega C_0 sin d sin 2Wt."""
    t = np.asarray(t, dtype=float)
    if delta0 == 0.0:
        return -omega * c0 * np.sin(delta) * np.sin(2 * omega_c * t)
    ratio = omega * c0 * np.sin(delta) / delta0
    return delta0 * np.sqrt(1.0 + ratio**2) * np.cos(2 * omega_c * t + np.arctan(ratio))


def theta_eq13(delta0: float, c0: float, delta: float, omega: float = 1.0) -> float:
    """theta = atan(omega C_0 sin(delta) / Delta_0) of Eq. (13), |theta| <= pi/2. The heat pump decouples at
    tau = |theta| / (2 Omega). At Delta_0 = 0 (equal temperatures) Eq. (13) is the limit Delta_0 -> 0+,
    sign(C_0 sin delta) pi/2 (0 when C_0 sin delta = 0); tau = pi / (4 Omega) either way."""
    if delta0 == 0.0:
        return float(np.sign(c0 * np.sin(delta)) * np.pi / 2)
    return float(np.arctan(omega * c0 * np.sin(delta) / delta0))


def concurrence(rhos: np.ndarray) -> np.ndarray:
    """Wootters concurrence of each two-qubit state of a stack (qiskit.quantum_info.concurrence)."""
    from qiskit.quantum_info import DensityMatrix
    from qiskit.quantum_info import concurrence as qiskit_concurrence

    rhos = np.asarray(rhos)
    flat = rhos.reshape(-1, 4, 4)
    out = np.array([qiskit_concurrence(DensityMatrix((r + r.conj().T) / 2)) for r in flat])
    return out.reshape(rhos.shape[:-2])


def mutual_information(rhos: np.ndarray, a: Sequence[int], b: Sequence[int]) -> np.ndarray:
    """I(A:B) = S(A) + S(B) - S(AB) of each state of a stack, for qubit sets a and b (nats)."""
    rhos = np.asarray(rhos)
    return (
        von_neumann_entropies(marginals(rhos, a))
        + von_neumann_entropies(marginals(rhos, b))
        - von_neumann_entropies(rhos)
    )


def deviation_in_sigma(estimate: Sequence[float], exact: Sequence[float], stderr: Sequence[float]) -> str:
    """The largest |estimate - exact| / stderr as "z.z sigma" over the points with a standard error; points
    whose standard error is 0 (every shot alike, e.g. Q(0) = 0) have none; "sigma undefined" if no point has one."""
    err = np.abs(np.subtract(estimate, exact))
    se = np.asarray(stderr, dtype=float)
    ok = se > 0
    return f"{(err[ok] / se[ok]).max():.1f} sigma" if ok.any() else "sigma undefined (standard errors 0)"
