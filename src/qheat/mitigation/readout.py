"""Readout-error mitigation: the inverse assignment matrix from calibration counts (all |0>, all |1>)."""

from __future__ import annotations

import numpy as np

from qheat.core.errors import QheatError
from qheat.physics.tomography import (
    assignment_matrices,
    mitigation_matrix,
)


def readout_inverse(calibration: list[dict], num_qubits: int) -> np.ndarray | None:
    """The inverse assignment matrix from calibration records (pooled over runs), or None if there are none."""
    zero = [r["counts"] for r in calibration if r["metadata"].get("calibration") == "0" * num_qubits]
    one = [r["counts"] for r in calibration if r["metadata"].get("calibration") == "1" * num_qubits]
    if not zero or not one:
        return None

    def pool(items: list[dict]) -> dict[str, int]:
        acc: dict[str, int] = {}
        for c in items:
            for k, v in c.items():
                acc[k] = acc.get(k, 0) + int(v)
        return acc

    try:
        return mitigation_matrix(assignment_matrices(pool(zero), pool(one), num_qubits))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise QheatError(f"the readout calibration cannot be inverted ({exc})") from None
