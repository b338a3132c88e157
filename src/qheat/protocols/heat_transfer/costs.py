"""What a heat-transfer run costs (``Protocol.cost``), from its spec alone: see ``qheat.core.limits``.

The exact trajectory holds rho(t) at every time (``physics.dense.evolve``: points x 4^n complex, with two
temporaries of that size) and multiplies d x d matrices at each; a phase diagram holds every map
(points^2 numbers) and checks ``check_points`` of them against Eq. (2) with 8 x 8 matrices. On Aer: one
circuit per time of 2n qubits (statevector when ideal, a density matrix with a noise model).
"""

from __future__ import annotations

from qheat.core.limits import COMPLEX, FLOAT, FLOP_SECONDS, STEP_SECONDS, Cost, aer_seconds
from qheat.protocols.heat_transfer.spec import HeatTransferPhaseSpec, HeatTransferSpec

GRID_SECONDS = 2e-7  # one grid point of a map: closed forms on arrays
CHECK_SECONDS = 0.03  # one check of a map against Eq. (2) (ma-fig2a: 0.82 s for 4 maps, 24 checks)


def cost(spec: HeatTransferSpec | HeatTransferPhaseSpec, backend: str) -> Cost:
    if isinstance(spec, HeatTransferPhaseSpec):
        pd = spec.phase_diagram
        maps = len(pd.a) * len(pd.j_over_c)
        grid = float(pd.points) ** 2
        return Cost(
            4 * FLOAT * grid * maps,
            f"{maps} maps of {pd.points} x {pd.points} points",
            maps * (grid * GRID_SECONDS + pd.check_points * CHECK_SECONDS),
        )
    d, points = 2.0**spec.n, spec.evolution.points
    exact = Cost(
        3 * COMPLEX * d * d * points,
        f"{points} density matrices of {spec.n} qubits",
        points * (STEP_SECONDS / 10 + 12 * FLOP_SECONDS * d**3),
    )
    if backend == "exact" or spec.circuits is None:
        return exact
    c, width = spec.circuits, 2 * spec.n
    noisy = backend != "aer"
    state = COMPLEX * (4.0**width if noisy else 2.0**width)
    run = aer_seconds(c.points, c.points * c.shots, entries=state / COMPLEX, ops=1000)
    big = state > exact.memory
    return Cost(
        max(state, exact.memory),
        f"the {width}-qubit {'density matrix' if noisy else 'state'}" if big else exact.array,
        exact.seconds + run,
        c.points,
        c.points * c.shots,
    )
