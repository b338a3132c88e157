"""What a reservoirs run costs (``Protocol.cost``), from its spec alone: see ``qheat.core.limits``.

The exact steady states are of 2 x 2 or 4 x 4 systems (QuTiP; ~0.1 s per method). On Aer every collision
model's sampled circuit runs shot by shot through all its rounds (reset, preparation, partial SWAP and
the two-point measurement of each collision: ``OPS_PER_COLLISION`` instructions), and its counts hold
two bits per measured collision per shot.
"""

from __future__ import annotations

from qheat.core.limits import Cost, aer_seconds
from qheat.protocols.reservoirs.spec import ReservoirsSpec

METHOD_SECONDS = 0.1
OPS_PER_COLLISION = 5


def cost(spec: ReservoirsSpec, backend: str) -> Cost:
    exact = Cost(16.0 * 256, "the steady states", METHOD_SECONDS * len(spec.methods))
    if backend == "exact" or spec.collisions is None:
        return exact
    from qheat.protocols.reservoirs.exact import CollisionModel
    from qheat.protocols.reservoirs.experiment import plans

    shots, seconds, counts, circuits = spec.collisions.shots, exact.seconds, 0.0, 0
    for plan in plans(spec):
        per_round = len(CollisionModel(spec.system, spec.reservoirs, plan.dt, plan.model).collisions)
        seconds += aer_seconds(2, shots, mid_circuit_ops=OPS_PER_COLLISION * per_round * plan.rounds, entries=4**4)
        counts = max(counts, float(shots) * (2 * per_round * plan.measured_rounds + 100))
        circuits += 2
    return Cost(
        counts, "the counts of a sampled circuit (a bit string per shot)", seconds, circuits, shots * circuits // 2
    )
