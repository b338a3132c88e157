"""The exact engine: density-matrix propagation of the n subsystems plus one bath particle R.

Every collision starts from rho_S (x) rho_R^th with a fresh thermal R (qubit n), applies the
stages of ``collisions.collision_stages`` (a partial SWAP per subsystem in the cascade order, or
one joint exchange in simultaneous mode), and yields a ``Snapshot`` after every stage. Nothing is
kept between snapshots but the current state, so a consumer that reduces each snapshot as it comes
(``analysis.analyze``) runs in the memory of one state.

The state is held by excitation sectors (``qheat.physics.excitation``): the initial state of Eq. (S4)
and every exchange conserve the number of excitations. It is held in the frame rotated by
D = diag(1, i) on R (rho' = D^dagger rho D): there the partial SWAP of Eq. (38) is a real rotation,
so a run whose coherences c_pq are real stays real (half the memory, a third of the time); rho_S
and rho_R do not see D, rho_kR is rotated back in the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.linalg import expm

from qheat.core.errors import QheatError
from qheat.physics.excitation import Blocks, coherent_blocks, sectors
from qheat.physics.states import gibbs_populations
from qheat.protocols.cascade.collisions import exchange_hamiltonian, partial_swap
from qheat.protocols.cascade.spec import CascadeSpec

# The largest n the exact engine accepts (a record after each of 12 x 100 interactions: ~3-5 min and
# ~0.5 GB on 2 cores with real coherences, benchmarks/bench_exact.py). Read by the cost guard.
MAX_SUBSYSTEMS = 12


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state after ``step`` single S_k-R interactions.

    system: rho_S by excitation sectors (``rho_s`` is the dense matrix); rho_r: the current bath
    particle; rho_kr[k]: reduced state of (S_k, R) with S_k on the low bit; fresh_bath: R was a fresh
    thermal particle before this step (a collision began).
    """

    step: int
    collision: int
    system: Blocks
    rho_r: np.ndarray
    rho_kr: np.ndarray
    fresh_bath: bool

    @property
    def rho_s(self) -> np.ndarray:
        """rho_S as a dense 2^n x 2^n matrix."""
        return self.system.dense()


@cache
def _bits(n: int) -> np.ndarray:
    return (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1


def _snapshot(joint: Blocks, step: int, collision: int, fresh: bool) -> Snapshot:
    n = joint.n - 1
    diag, bits = joint.diagonal(), _bits(n + 1)
    rho_kr = np.zeros((n, 4, 4), dtype=complex)
    for k in range(n):
        rho_kr[k][np.diag_indices(4)] = np.bincount(bits[:, k] + 2 * bits[:, n], weights=diag, minlength=4)
        c = -1j * joint.exchange_sum(k, n)  # <1_k 0_R| rho |0_k 1_R>, rotated back from the frame of D
        rho_kr[k, 1, 2], rho_kr[k, 2, 1] = c, np.conj(c)
    p1 = joint.last_qubit_excited()
    return Snapshot(step, collision, joint.trace_last_qubit(), np.diag([1.0 - p1, p1]).astype(complex), rho_kr, fresh)


def _exchange_rotation(g: float, tau: float, real: bool) -> np.ndarray:
    """The partial SWAP (Qiskit's XXPlusYYGate(2 g tau), qubits (S_k, R)) on (|1_k 0_R>, |0_k 1_R>), in
    the frame of D; it must leave |00> and |11> alone."""
    from qiskit.quantum_info import Operator

    u = Operator(partial_swap(g, tau)).data
    inner = u[np.ix_([1, 2], [1, 2])]
    rest = u.copy()
    rest[np.ix_([1, 2], [1, 2])] = 0.0
    if np.abs(rest - np.diag([1, 0, 0, 1])).max() > 1e-14:
        raise ValueError("the S_k-R interaction is not an exchange of |01> and |10>")
    rotated = inner * np.array([[1.0, 1j], [-1j, 1.0]])
    return rotated.real if real and not rotated.imag.any() else rotated


def _joint_unitaries(n: int, g: float, tau: float, real: bool) -> tuple[np.ndarray, ...]:
    """exp(-i tau sum_k H_kR) (SI Fig. 11) sector by sector, in the frame of D."""
    h = exchange_hamiltonian(n, g).to_matrix(sparse=True).tocsr()
    out = []
    for states in sectors(n + 1):
        phase = np.where(states >> n, 1j, 1.0)
        gen = -1j * tau * (phase.conj()[:, None] * h[states][:, states].toarray() * phase[None, :])
        out.append(expm(gen.real if real and not gen.imag.any() else gen))
    return tuple(out)


def simulate(spec: CascadeSpec) -> Iterator[Snapshot]:
    """Yield the initial snapshot and one after every stage of every collision.

    The spec's initial state was checked positive when it was parsed (``CascadeSpec.check``)."""
    n = spec.n
    if n > MAX_SUBSYSTEMS:
        raise QheatError(f"the exact engine handles at most {MAX_SUBSYSTEMS} subsystems, the spec has {n}")
    delta = spec.system.delta
    pops = np.array([gibbs_populations(t, delta) for t in spec.system.temperatures])
    coherences = [(pc.p, pc.q, pc.c) for pc in spec.system.pair_coherences()]
    rho_s = coherent_blocks(pops, coherences)
    real = not np.iscomplexobj(rho_s.blocks[0])
    p0, p1 = gibbs_populations(spec.bath.temperature, delta)
    g, tau = spec.interaction.g, spec.interaction.tau
    stages: list[tuple[tuple[int, ...], np.ndarray | tuple[np.ndarray, ...]]]
    if spec.protocol == "cascade":
        u = _exchange_rotation(g, tau, real)
        real = real and not np.iscomplexobj(u)
        stages = [((k,), u) for k in spec.order]
    else:
        joint_u = _joint_unitaries(n, g, tau, real)
        real = real and not any(np.iscomplexobj(x) for x in joint_u)
        stages = [(tuple(range(n)), joint_u)]
    if not real:
        rho_s = Blocks(n, tuple(b.astype(complex) for b in rho_s.blocks))
    joint = rho_s.tensor_diagonal_qubit(p0, p1)
    yield _snapshot(joint, 0, 0, True)
    step = 0
    for collision in range(1, spec.interaction.collisions + 1):
        if collision > 1:
            joint = rho_s.tensor_diagonal_qubit(p0, p1)  # a fresh thermal bath particle
        for i, (subsystems, op) in enumerate(stages):
            if isinstance(op, tuple):
                joint.conjugate_by(op)
            else:
                joint.mix_exchange(subsystems[0], n, op)
            step += len(subsystems)
            snap = _snapshot(joint, step, collision, i == 0)
            yield snap
        rho_s = snap.system
