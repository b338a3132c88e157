"""What a correlated-pair run costs (``Protocol.cost``), from its spec alone: see ``qheat.core.limits``.

The exact trajectory is a stack of 4 x 4 states, one per time; on Aer nine Pauli settings per time of
a 4-qubit circuit (A, B and two purifying ancillas), then a tomography fit per time and bootstrap resample.
"""

from __future__ import annotations

from qheat.core.limits import COMPLEX, STEP_SECONDS, Cost, aer_seconds
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec

WIDTH = 4
FIT_SECONDS = 0.08  # one two-qubit tomography fit (holdsworth-fig1 on aer: 45 s of 54 s for 13 x 41 fits)


def cost(spec: CorrelatedPairSpec, backend: str) -> Cost:
    points = spec.evolution.points
    exact = Cost(3 * COMPLEX * 16.0 * points, f"{points} states of the pair", points * STEP_SECONDS / 3)
    if backend == "exact" or spec.circuits is None:
        return exact
    c = spec.circuits
    circuits = 9 * c.points
    shots = circuits * c.shots
    fits = c.points * ((c.bootstrap or 0) + 1) * FIT_SECONDS
    return Cost(
        exact.memory,
        exact.array,
        exact.seconds + fits + aer_seconds(circuits, shots, entries=4.0**WIDTH),
        circuits,
        shots,
    )
