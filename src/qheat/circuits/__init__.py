"""Pure builders of gates and circuits for the collision models (seed 001)."""
from qheat.protocols.cascade.collisions import (
    collision_stages,
    exchange_hamiltonian,
    partial_swap,
    simultaneous_gate,
)

__all__ = ["collision_stages", "exchange_hamiltonian", "partial_swap", "simultaneous_gate"]
