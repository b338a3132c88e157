"""The dense matrices of a heat-transfer spec (seed 000, Eqs. 1, 3, 4), checked: H Hermitian, the
heat-transfer condition [H_I, H_A + H_B] = 0, a locally traceless chi with rho_0 + chi >= 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.tables import POSITIVITY_TOLERANCE
from qheat.physics import dense as ht

CONSERVATION_TOLERANCE = 1e-10  # relative to ||H_I|| ||H_A + H_B||
MIN_POPULATION = 1e-10  # smallest eigenvalue of a reference marginal: below it S(rho'||rho) drowns in rounding


class ModelSpec(Protocol):
    """What ``build_model`` reads of a heat-transfer spec (``spec.HeatTransferSpec``, which validates itself
    by building its model: this module must not import it)."""

    @property
    def qubits(self) -> tuple[Any, ...]: ...

    @property
    def interaction(self) -> tuple[Any, ...]: ...

    @property
    def correlation(self) -> tuple[Any, ...]: ...

    @property
    def allow_nonconserving(self) -> bool: ...

    @property
    def n(self) -> int: ...

    @property
    def labels(self) -> tuple[str, ...]: ...

    @property
    def frequencies(self) -> tuple[float, ...]: ...

    def temperatures(self) -> tuple[float, ...]: ...


@dataclass(frozen=True, eq=False)
class Model:
    """Dense matrices of a heat-transfer spec (qubit j = bit j, in the spec's qubit order)."""

    n: int
    partition: ht.Partition
    frequencies: tuple[float, ...]
    betas: tuple[float, ...]
    h_ak: tuple[np.ndarray, ...]
    h_ai: np.ndarray
    h_b: np.ndarray
    h_i: np.ndarray
    h: np.ndarray
    chi: np.ndarray
    rho0: np.ndarray
    commutator_norm: float
    terms: tuple[tuple[complex, dict[int, str], bool], ...]

    @property
    def conserving(self) -> bool:
        return self.commutator_norm <= CONSERVATION_TOLERANCE

    @property
    def beta_ak(self) -> tuple[float, ...]:
        return tuple(self.betas[q] for q in self.partition.a)

    @property
    def beta_b(self) -> float:
        return self.betas[self.partition.b[0]]

    @property
    def h_a(self) -> np.ndarray:
        return sum(self.h_ak) + self.h_ai


def _norm(m: np.ndarray) -> float:
    return float(np.linalg.norm(m, 2)) if m.size else 0.0


def build_model(spec: ModelSpec) -> Model:
    """The matrices of ``spec``, refusing a non-Hermitian H, a broken heat-transfer condition (unless
    allowed), and a correlation that is not locally traceless or leaves rho_0 + chi non-positive."""
    labels = spec.labels
    n = spec.n
    a = tuple(i for i, q in enumerate(spec.qubits) if q.system == "A")
    b = tuple(i for i, q in enumerate(spec.qubits) if q.system == "B")
    temps = spec.temperatures()
    betas = tuple(1.0 / t for t in temps)
    d = 2**n
    h_ai = np.zeros((d, d), complex)
    h_bi = np.zeros((d, d), complex)
    h_i = np.zeros((d, d), complex)
    terms = []
    for i, term in enumerate(spec.interaction):
        ops = {labels.index(lab): letter for lab, letter in term.ops}
        m = ht.operator_sum(n, [(term.c, ops, term.hermitian_conjugate)])
        if np.abs(m - m.conj().T).max() > 1e-12 * max(1.0, np.abs(m).max()):
            raise QheatError(
                f"interaction[{i}] is not Hermitian; set hermitian_conjugate = true (or a real "
                "coefficient of Pauli letters)"
            )
        touched = {spec.qubits[q].system for q, letter in ops.items() if letter != "I"}
        if touched == {"A"}:
            h_ai += m
        elif touched == {"B"}:
            h_bi += m
        else:
            h_i += m
        terms.append((term.c, ops, term.hermitian_conjugate))
    if not np.any(h_i):
        raise QheatError("no interaction term couples A and B (H_I = 0): no heat can flow")
    h_ak = tuple(ht.local_hamiltonian(spec.frequencies, [k]) for k in a)
    h_b = ht.local_hamiltonian(spec.frequencies, b) + h_bi
    h_a = sum(h_ak) + h_ai
    comm = _norm(ht.commutator(h_i, h_a + h_b)) / max(_norm(h_i) * _norm(h_a + h_b), 1e-300)
    if comm > CONSERVATION_TOLERANCE and not spec.allow_nonconserving:
        raise QheatError(
            f"the interaction breaks the heat-transfer condition: ||[H_I, H_A + H_B]|| = "
            f"{comm * _norm(h_i) * _norm(h_a + h_b):.3g}; set allow_nonconserving = true to run it anyway "
            "(Q is then the energy change of B, not heat)"
        )
    # local equilibrium (Eq. 3): each A_k Gibbs of H_{A_k}, B Gibbs of H_B; they commute, so one exponential
    generator = sum(betas[k] * h for k, h in zip(a, h_ak)) + betas[b[0]] * h_b
    rho_prod = ht.gibbs(generator, 1.0)
    for part, name in [((k,), labels[k]) for k in a] + [(b, "B")]:
        low = float(np.linalg.eigvalsh(ht.reduced_state(rho_prod, list(part))).min())
        if low < MIN_POPULATION:
            raise QheatError(
                f"{name} at temperature {temps[part[0]]:.3g} is too cold: its initial state is nearly pure "
                f"(smallest population {low:.2g} < {MIN_POPULATION:g}), so the relative entropies of Eq. (5) "
                "against it are lost in rounding (infinite as T -> 0); raise its temperature"
            )
    chi = np.zeros((d, d), complex)
    for i, term in enumerate(spec.correlation):
        # chi_S (x) rho_rest: the term on its qubits S, the other qubits in their initial (Gibbs) state
        support = sorted(labels.index(lab) for lab, _ in term.ops)
        rest = [q for q in range(n) if q not in support]
        ops = {support.index(labels.index(lab)): letter for lab, letter in term.ops}
        m_s = ht.operator_sum(len(support), [(term.c, ops, term.hermitian_conjugate)])
        if np.abs(m_s - m_s.conj().T).max() > 1e-12 * max(1.0, np.abs(m_s).max()):
            raise QheatError(f"correlation[{i}] is not Hermitian; set hermitian_conjugate = true")
        rho_rest = ht.reduced_state(rho_prod, rest) if rest else np.ones((1, 1))
        chi += ht.place(np.kron(rho_rest, m_s), support + rest)
    if np.any(chi):
        for part, name in [((k,), labels[k]) for k in a] + [(b, "B")]:
            if np.abs(ht.reduced_state(chi, list(part))).max() > 1e-12:
                raise QheatError(
                    f"the correlation changes the reduced state of {name}: a local-equilibrium state "
                    f"(Eq. 3) needs Tr_rest(chi) = 0 for every A_k and for B"
                )
        low = float(np.linalg.eigvalsh(rho_prod + chi).min())
        if low < -POSITIVITY_TOLERANCE:
            e, v = np.linalg.eigh(rho_prod)  # rho_prod + s chi >= 0 iff s <= -1 / lambda_min(rho^-1/2 chi rho^-1/2)
            root = (v * (1.0 / np.sqrt(e))) @ v.conj().T
            scale = -1.0 / np.linalg.eigvalsh(root @ chi @ root).min()
            raise QheatError(
                f"rho_0 + chi is not positive semidefinite (smallest eigenvalue {low:.3g}): the "
                f"correlation may be at most {scale:.6g} times the one given"
            )
    return Model(
        n,
        ht.Partition(a, b),
        spec.frequencies,
        betas,
        h_ak,
        h_ai,
        h_b,
        h_i,
        h_a + h_b + h_i,
        chi,
        rho_prod + chi,
        comm,
        tuple(terms),
    )


# ----------------------------------------------------------------------------- closed forms
