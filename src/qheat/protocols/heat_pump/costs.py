"""What a heat-pump run costs (``Protocol.cost``), from its spec alone: see ``qheat.core.limits``.

The exact engine advances 4 x 4 density matrices (16 x 16 superoperators) round by round: 12.5 s for the
12,000 rounds of holdsworth-pump on this machine (``ROUND_SECONDS``). On Aer the decouple circuit of each
cycle is simulated shot by shot (mid-circuit measurements: 4 per round of the coupling window), the
cycle and shot-free circuits once on density matrices of 4 qubits (compiling and running their thousands
of rounds dominates: holdsworth-pump with 30 shots took 356 s on this machine under load).
"""

from __future__ import annotations

import math

from qheat.core.limits import Cost, aer_seconds
from qheat.protocols.heat_pump.spec import HeatPumpSpec

ROUND_SECONDS = 1.2e-3
CIRCUIT_ROUND_SECONDS = 0.03  # compiling and running one round of the cycle circuits on Aer (356 s for 2 x 5100)
MAX_SAMPLES_BYTES = 16 * 16 * 5000  # the exact engine keeps at most ~5000 sampled 4 x 4 states


def rounds(spec: HeatPumpSpec) -> tuple[int, int]:
    """Collision rounds of the coupling window and of one rethermalisation (tau at most pi / (2 Omega), Eq. 13)."""
    tau = spec.coupling_time if spec.coupling_time is not None else math.pi / (2.0 * spec.coupling.strength)
    return max(1, round(tau / spec.baths.dt)), max(1, round(spec.baths.relax_time / spec.baths.dt))


def cost(spec: HeatPumpSpec, backend: str) -> Cost:
    n_couple, n_relax = rounds(spec)
    total = spec.cycles * (n_couple + n_relax)
    exact = Cost(MAX_SAMPLES_BYTES, "the sampled 4 x 4 states of the cycle", total * ROUND_SECONDS)
    if backend == "exact" or spec.circuits is None:
        return exact
    shots = spec.circuits.shots
    circuits = 3 * spec.cycles
    seconds = (
        aer_seconds(spec.cycles, spec.cycles * shots, mid_circuit_ops=4 * n_couple)
        + aer_seconds(2 * spec.cycles, spec.cycles * shots)
        + total * CIRCUIT_ROUND_SECONDS
    )
    counts = spec.cycles * shots * (8 * n_couple + 8)  # worst case: a distinct bit string per shot
    memory = max(exact.memory, float(counts))
    return Cost(
        memory,
        "the decouple circuits' counts" if counts > exact.memory else exact.array,
        exact.seconds + seconds,
        circuits,
        2 * spec.cycles * shots,
    )
