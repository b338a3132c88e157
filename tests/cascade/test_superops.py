"""The measurement channels of the snapshots engine: one batched Aer run, cached per noise config."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SuperOp

from qheat.backends import aer
from qheat.backends.aer import AerBackend


def _settings() -> list[QuantumCircuit]:
    out = []
    for basis in ("z", "x", "y"):
        qc = QuantumCircuit(2)
        if basis == "x":
            qc.h(0)
        elif basis == "y":
            qc.sdg(0)
            qc.h(0)
        qc.cx(0, 1)
        out.append(qc)
    return out


def test_ideal_superops_are_qiskits_superop():
    aer._SUPEROPS.clear()
    circuits = _settings()
    for qc, got in zip(circuits, AerBackend("aer").superops(circuits)):
        assert np.abs(got - SuperOp(qc).data).max() < 1e-12


def test_batched_equals_one_run_per_circuit_and_is_cached():
    device = AerBackend("aer:nmr-crotonic")
    circuits = [device.compile(qc) for qc in _settings()]
    aer._SUPEROPS.clear()
    one_by_one = []
    for qc in circuits:
        aer._SUPEROPS.clear()
        one_by_one.append(device.superops([qc])[0])
    aer._SUPEROPS.clear()
    batched = device.superops(circuits)
    assert all(np.abs(a - b).max() < 1e-12 for a, b in zip(batched, one_by_one))
    ideal = SuperOp(_settings()[1]).data
    assert np.abs(batched[1] - ideal).max() > 1e-4  # the noise is in the channel
    again = AerBackend("aer:nmr-crotonic").superops(circuits[::-1])  # another device object, same config
    assert all(a is b for a, b in zip(again, batched[::-1]))  # served from the cache, no new run
    assert AerBackend("aer").superops(circuits[:1])[0] is not batched[0]  # another noise config: its own entry
