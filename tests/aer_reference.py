"""The independent reference of the snapshots engine: Aer's density-matrix run of the whole circuits."""

from __future__ import annotations

from typing import Any

import numpy as np


def whole_circuit_states(runner: Any, device: Any, preps: list, start: int, stop: int, records: list[int]) -> dict:
    """Each branch's state of the measured qubits at every step of ``records`` (step -> (B, D, D)), from one
    Aer run of each branch's whole circuit (prepare at ``start``, refresh the bath, collide, save)."""
    circuits = [
        runner.circuits.evolve(
            runner.circuits.start(prep, snapshot=True),
            start,
            stop,
            snapshot=True,
            records=records,
            save_qubits=runner.measured,
        )
        for _, prep in preps
    ]
    saved = device.evolve(circuits, seed=0)
    return {k: np.stack([s[f"step{k}"] for s in saved]) for k in records}
