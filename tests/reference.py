"""An independent reference simulator of seed 001's collision model (imports nothing from qheat).

Conventions, chosen on purpose to differ from qheat's so that the two cannot share a mistake:

- BIG-endian: ``np.kron(A_1, A_2, ..., A_n, A_R)``: subsystem S_1 is the leftmost (most
  significant) factor and the bath particle R is the last factor.
- Each qubit has H = (delta/2) sigma_z in the paper's sign with |0> the ground state, so
  H = diag(-delta/2, +delta/2); sigma_+ = |1><0| raises the energy, sigma_- = |0><1| lowers it.
- H_kR = g (sigma_+^k sigma_-^R + sigma_-^k sigma_+^R), U = expm(-i tau H); the simultaneous
  collision is expm(-i tau sum_k H_kR).
- A fresh thermal bath qubit, P1 = 1 / (1 + exp(delta / T_R)), at the start of every collision.
- The coherent initial state of Eqs. (S4)/(S5) is built from its definition, pair by pair.

Entropies are in nats. ``to_little_endian`` converts an n-qubit matrix to qheat's (Qiskit's)
order, where qubit j (= S_{j+1}) is bit j of the basis index; use it only to compare matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from scipy.linalg import expm

KET0 = np.array([1.0, 0.0], dtype=complex)
KET1 = np.array([0.0, 1.0], dtype=complex)
SIGMA_PLUS = np.outer(KET1, KET0)  # |1><0|: raises the energy
SIGMA_MINUS = np.outer(KET0, KET1)  # |0><1|: lowers the energy
SIGMA_Z = np.outer(KET1, KET1) - np.outer(KET0, KET0)  # paper's sigma_z: +1 on |1>, -1 on |0>
IDENTITY = np.eye(2, dtype=complex)


# ----------------------------------------------------------------------------- states


def excited_population(temperature: float, delta: float = 1.0) -> float:
    """P^1 = 1 / (1 + exp(delta / T))."""
    return 1.0 / (1.0 + np.exp(delta / temperature))


def gibbs(temperature: float, delta: float = 1.0) -> np.ndarray:
    """exp(-H/T)/Z for H = diag(-delta/2, +delta/2)."""
    h = np.diag([-delta / 2.0, delta / 2.0])
    w = np.exp(-np.diag(h) / temperature)
    return np.diag(w / w.sum()).astype(complex)


def kron_all(factors) -> np.ndarray:
    return reduce(np.kron, factors, np.array([[1.0 + 0j]]))


def site_operator(op: np.ndarray, site: int, num: int) -> np.ndarray:
    """``op`` on ``site`` (0-based, big-endian) of ``num`` qubits, identity elsewhere."""
    return kron_all([op if j == site else IDENTITY for j in range(num)])


def coherent_state(temperatures, coherences=(), delta: float = 1.0) -> np.ndarray:
    """rho_S^0 of Eq. (S4): prod_k rho_k^th + sum_{p<q} (c_pq chi_pq + h.c.), with chi_pq of Eq. (S5).

    ``coherences``: iterable of (p, q, c) with 1-based p < q and complex c.
    chi_pq = (x)_{k != p, q} rho_k^th (x) sqrt(P_p^0 P_p^1 P_q^0 P_q^1) |0_p 1_q><1_p 0_q|.
    """
    n = len(temperatures)
    rho = kron_all([gibbs(t, delta) for t in temperatures])
    for p, q, c in coherences:
        p0, q0 = p - 1, q - 1
        factors = []
        for k in range(n):
            if k == p0:
                factors.append(np.outer(KET0, KET1))  # ket 0_p, bra 1_p
            elif k == q0:
                factors.append(np.outer(KET1, KET0))  # ket 1_q, bra 0_q
            else:
                factors.append(gibbs(temperatures[k], delta))
        pp1, pq1 = excited_population(temperatures[p0], delta), excited_population(temperatures[q0], delta)
        amp = np.sqrt((1 - pp1) * pp1 * (1 - pq1) * pq1)
        chi = amp * kron_all(factors)
        rho = rho + c * chi + np.conj(c) * chi.conj().T
    return rho


def to_little_endian(rho: np.ndarray) -> np.ndarray:
    """Reorder an n-qubit matrix from big-endian (qubit 0 leftmost) to Qiskit's little-endian."""
    n = int(round(np.log2(rho.shape[0])))
    t = rho.reshape((2,) * (2 * n))
    axes = list(range(n - 1, -1, -1)) + list(range(2 * n - 1, n - 1, -1))
    return t.transpose(axes).reshape(rho.shape)


# ----------------------------------------------------------------------------- operators


def exchange_hamiltonian(k: int, num: int, g: float) -> np.ndarray:
    """H_kR = g (s+^k s-^R + s-^k s+^R) with 0-based k and R the last of ``num`` qubits."""
    r = num - 1
    a = site_operator(SIGMA_PLUS, k, num) @ site_operator(SIGMA_MINUS, r, num)
    return g * (a + a.conj().T)


def local_hamiltonian(k: int, num: int, delta: float = 1.0) -> np.ndarray:
    return site_operator(delta / 2.0 * SIGMA_Z, k, num)


# ----------------------------------------------------------------------------- partial trace, entropies


def partial_trace(rho: np.ndarray, keep, num: int) -> np.ndarray:
    """Keep qubits ``keep`` (0-based, big-endian; the result is ordered as sorted(keep))."""
    keep = sorted(keep)
    t = rho.reshape((2,) * (2 * num))
    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = list(letters[:num])
    cols = [letters[num + j] if j in keep else rows[j] for j in range(num)]
    out = [rows[j] for j in keep] + [cols[j] for j in keep]
    d = 2 ** len(keep)
    return np.einsum("".join(rows) + "".join(cols) + "->" + "".join(out), t).reshape(d, d)


def entropy(rho: np.ndarray) -> float:
    w = np.linalg.eigvalsh((rho + rho.conj().T) / 2)
    w = w[w > 1e-15]
    return float(-np.sum(w * np.log(w)))


def shannon(p) -> float:
    p = np.asarray(p, dtype=float)
    p = p[p > 1e-15]
    return float(-np.sum(p * np.log(p)))


def relative_entropy(rho: np.ndarray, sigma: np.ndarray) -> float:
    """S(rho || sigma) = Tr rho ln rho - Tr rho ln sigma (sigma must be full rank)."""
    ws, vs = np.linalg.eigh((sigma + sigma.conj().T) / 2)
    log_sigma = (vs * np.log(ws)) @ vs.conj().T
    return float(-entropy(rho) - np.real(np.trace(rho @ log_sigma)))


def dephase(rho: np.ndarray) -> np.ndarray:
    """D_H: remove the off-diagonal elements in the energy (computational) basis."""
    return np.diag(np.diag(rho))


def coherence(rho: np.ndarray) -> float:
    """Relative entropy of coherence C(rho) = S(D_H(rho)) - S(rho)."""
    return shannon(np.real(np.diag(rho))) - entropy(rho)


def mutual_information(rho: np.ndarray, a, b, num: int) -> float:
    """I(A:B) of the qubit sets ``a`` and ``b`` of a ``num``-qubit state."""
    return (
        entropy(partial_trace(rho, a, num))
        + entropy(partial_trace(rho, b, num))
        - entropy(partial_trace(rho, list(a) + list(b), num))
    )


def qubit_energy(rho1: np.ndarray, delta: float = 1.0) -> float:
    """E = (delta/2)(P1 - P0) of a one-qubit state."""
    return float(delta / 2.0 * (rho1[1, 1].real - rho1[0, 0].real))


def system_energy(rho_s: np.ndarray, delta: float = 1.0) -> float:
    n = int(round(np.log2(rho_s.shape[0])))
    h = sum(local_hamiltonian(k, n, delta) for k in range(n))
    return float(np.real(np.trace(rho_s @ h)))


def free_energy(rho_s: np.ndarray, bath_temperature: float, delta: float = 1.0) -> float:
    """F = Tr(rho H_S) - T_R S(rho) (Eq. S19)."""
    return system_energy(rho_s, delta) - bath_temperature * entropy(rho_s)


def one_way_coherence(rho_s: np.ndarray, k: int, preceding, weight: float = 1.0) -> float:
    """Eq. (47): weight * sum_{p in preceding} <s-^p s+^k> + <s+^p s-^k> (0-based indices)."""
    n = int(round(np.log2(rho_s.shape[0])))
    total = 0.0
    for p in preceding:
        op = site_operator(SIGMA_MINUS, p, n) @ site_operator(SIGMA_PLUS, k, n) + site_operator(
            SIGMA_PLUS, p, n
        ) @ site_operator(SIGMA_MINUS, k, n)
        total += weight * np.trace(rho_s @ op)
    assert abs(np.imag(total)) < 1e-12
    return float(np.real(total))


def heat_current_eq46(
    p0: float, p1: float, c: float, bath_temperature: float, g: float, tau: float, delta: float = 1.0
) -> float:
    """Eq. (46): -delta gamma^- (P1 + C) + delta gamma^+ (P0 + C), gamma^+- = g^2 tau <s+-^R s-+^R>_R."""
    r = gibbs(bath_temperature, delta)
    gamma_plus = g * g * tau * np.real(np.trace(SIGMA_PLUS @ SIGMA_MINUS @ r))  # excited population of R
    gamma_minus = g * g * tau * np.real(np.trace(SIGMA_MINUS @ SIGMA_PLUS @ r))  # ground population of R
    return -delta * gamma_minus * (p1 + c) + delta * gamma_plus * (p0 + c)


# ----------------------------------------------------------------------------- the collision model


@dataclass
class Trajectory:
    """The record after every stage: step counts single S_k-R interactions (simultaneous: n per collision)."""

    n: int
    delta: float
    steps: list = field(default_factory=list)
    collision: list = field(default_factory=list)
    interacting: list = field(default_factory=list)  # 0-based subsystems of the stage (empty at step 0)
    full: list = field(default_factory=list)  # big-endian state of S_1..S_n, R
    fresh: list = field(default_factory=list)  # True: R was fresh before this stage

    @property
    def num(self) -> int:
        return self.n + 1

    def rho_s(self, i: int) -> np.ndarray:
        return partial_trace(self.full[i], range(self.n), self.num)

    def rho_r(self, i: int) -> np.ndarray:
        return partial_trace(self.full[i], [self.n], self.num)

    def rho_k(self, i: int, k: int) -> np.ndarray:
        return partial_trace(self.full[i], [k], self.num)

    def energies(self) -> np.ndarray:
        """(steps, n) array of E_k = (delta/2)(P1_k - P0_k)."""
        return np.array(
            [[qubit_energy(self.rho_k(i, k), self.delta) for k in range(self.n)] for i in range(len(self.full))]
        )

    def bath_energy(self) -> np.ndarray:
        return np.array([qubit_energy(self.rho_r(i), self.delta) for i in range(len(self.full))])

    def bath_energy_changes(self) -> np.ndarray:
        """Delta E_R of each stage (entry 0 is 0); a fresh R starts at its thermal energy."""
        e = self.bath_energy()
        out = np.zeros(len(e))
        for i in range(1, len(e)):
            before = e[0] if self.fresh[i] else e[i - 1]  # e[0] is the thermal bath energy
            out[i] = e[i] - before
        return out

    def heat_received(self) -> np.ndarray:
        """Cumulative energy gained by the bath particles (positive: system -> bath)."""
        return np.cumsum(self.bath_energy_changes())

    def system_states(self) -> list:
        return [self.rho_s(i) for i in range(len(self.full))]


def simulate(
    temperatures,
    bath_temperature: float,
    g: float,
    tau: float,
    collisions: int,
    coherences=(),
    order=None,
    protocol: str = "cascade",
    delta: float = 1.0,
    initial_state: np.ndarray | None = None,
) -> Trajectory:
    """Run the collision model; ``order`` is 1-based (default 1..n), ignored when simultaneous."""
    n = len(temperatures)
    num = n + 1
    rho_s = coherent_state(temperatures, coherences, delta) if initial_state is None else initial_state
    bath = gibbs(bath_temperature, delta)
    if protocol == "cascade":
        ks = [k - 1 for k in (order if order is not None else range(1, n + 1))]
        stages = [((k,), expm(-1j * tau * exchange_hamiltonian(k, num, g))) for k in ks]
    elif protocol == "simultaneous":
        h = sum(exchange_hamiltonian(k, num, g) for k in range(n))
        stages = [(tuple(range(n)), expm(-1j * tau * h))]
    else:
        raise ValueError(protocol)
    traj = Trajectory(n=n, delta=delta)
    full = np.kron(rho_s, bath)
    traj.steps.append(0)
    traj.collision.append(0)
    traj.interacting.append(())
    traj.full.append(full)
    traj.fresh.append(True)
    step = 0
    for c in range(1, collisions + 1):
        full = np.kron(rho_s, bath)
        for i, (ks_, u) in enumerate(stages):
            full = u @ full @ u.conj().T
            step += len(ks_)
            traj.steps.append(step)
            traj.collision.append(c)
            traj.interacting.append(ks_)
            traj.full.append(full)
            traj.fresh.append(i == 0)
        rho_s = partial_trace(full, range(n), num)
    return traj
