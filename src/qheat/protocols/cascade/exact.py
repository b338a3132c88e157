"""The exact engine: density-matrix propagation of the n subsystems plus one bath particle R.

Every collision starts from rho_S (x) rho_R^th with a fresh thermal R (qubit n), applies the
stages of ``collisions.collision_stages`` (a partial SWAP per subsystem in the cascade order, or
one joint exchange in simultaneous mode), and records a ``Snapshot`` after every stage.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from qheat.core.errors import QheatError
from qheat.physics.linalg import (
    apply_unitary,
    embed_unitary,
    reduced_state,
    tensor_product,
)
from qheat.physics.states import gibbs_state
from qheat.protocols.cascade.collisions import collision_stages
from qheat.protocols.cascade.spec import CascadeSpec

MAX_SUBSYSTEMS = 10
DENSE_GATE_DIM = 64  # up to this dimension a full-size U @ rho @ U^dagger beats strided block updates (measured)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state after ``step`` single S_k-R interactions.

    rho_s: system state; rho_r: current bath particle; rho_kr[k]: reduced state of (S_k, R) with
    S_k on the low bit; fresh_bath: R was a fresh thermal particle before this step (a collision
    began).
    """

    step: int
    collision: int
    rho_s: np.ndarray
    rho_r: np.ndarray
    rho_kr: np.ndarray
    fresh_bath: bool


def _snapshot(rho: np.ndarray, n: int, step: int, collision: int, fresh: bool) -> Snapshot:
    return Snapshot(
        step=step,
        collision=collision,
        rho_s=reduced_state(rho, range(n)),
        rho_r=reduced_state(rho, [n]),
        rho_kr=np.stack([reduced_state(rho, [k, n]) for k in range(n)]),
        fresh_bath=fresh,
    )


def simulate(spec: CascadeSpec) -> Iterator[Snapshot]:
    """Yield the initial snapshot and one after every stage of every collision."""
    n = spec.n
    if n > MAX_SUBSYSTEMS:
        raise QheatError(f"the exact engine handles at most {MAX_SUBSYSTEMS} subsystems, the spec has {n}")
    delta = spec.system.delta
    bath = gibbs_state(spec.bath.temperature, delta)
    stages = collision_stages(spec.protocol, n, spec.interaction.g, spec.interaction.tau, spec.order)
    dim = 2 ** (n + 1)
    if dim <= DENSE_GATE_DIM:
        gates = [(embed_unitary(s.matrix, s.qubits, n + 1), tuple(range(n + 1))) for s in stages]
    else:
        gates = [(s.matrix, s.qubits) for s in stages]
    rho_s = spec.initial_state()
    rho = tensor_product(rho_s, bath)
    yield _snapshot(rho, n, 0, 0, True)
    step = 0
    for collision in range(1, spec.interaction.collisions + 1):
        if collision > 1:
            rho = tensor_product(rho_s, bath)  # a fresh thermal bath particle
        for i, (stage, (u, qubits)) in enumerate(zip(stages, gates)):
            rho = apply_unitary(rho, u, qubits, inplace=True)
            step += len(stage.subsystems)
            snap = _snapshot(rho, n, step, collision, i == 0)
            yield snap
        rho_s = snap.rho_s
