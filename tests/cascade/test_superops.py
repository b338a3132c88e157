"""The channels of the snapshots engine: one batched Aer run, cached per noise config; the states they
propagate equal Aer's density-matrix simulation of the whole circuits."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SuperOp
from tests.aer_reference import whole_circuit_states
from tests.specs_helper import changed_spec

from qheat.backends import aer
from qheat.backends.aer import AerBackend
from qheat.engine import execute
from qheat.protocols.cascade.circuits import branches
from qheat.protocols.cascade.collect import _Runner


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


def _drive(gen, device):
    """Run a batch generator of the runner on ``device`` to its return value."""
    try:
        batch = next(gen)
        while True:
            batch = gen.send(execute(device, batch))
    except StopIteration as stop:
        return stop.value


@pytest.mark.parametrize(
    "backend,changes,start,stop",
    [
        ("aer:nmr-crotonic", {}, 0, 7),
        ("aer:nmr-depolarizing", {"measurement.tomography": "system+bath"}, 3, 6),  # a reprepare run's span
        ("aer", {"execution.preparation": "purification"}, 0, 5),  # ancillas prepared, then left alone
    ],
)
def test_propagated_states_are_aers_whole_circuit_states(backend, changes, start, stop):
    """Each branch's state at every record, from the pieces' channels, against Aer's density-matrix run of
    the whole circuit (prepare, refresh the bath, collide, save): the independent simulation."""
    spec = changed_spec("fig3-enhanced", **{"interaction.collisions": 3, **changes})
    device = AerBackend(backend)
    runner = _Runner(spec, device, np.random.default_rng(0))
    _drive(runner.channels_batch(), device)
    preps = branches(spec, spec.initial_state())
    records = list(range(start, stop + 1))
    _drive(runner.measure(preps, start, stop, records), device)
    saved = whole_circuit_states(runner, device, preps, start, stop, records)
    weights = np.array([w for w, _ in preps])
    for k in records:
        aer_state = np.einsum("b,bij->ij", weights, saved[k])
        assert np.abs(runner.reference[k] - aer_state).max() < 1e-12
    assert np.abs(runner.reference[stop] - runner.reference[start]).max() > 1e-3  # the collisions did something
