"""Circuits of seed 001 against independent answers: prepared states against the definition of Eq. (S4)
(the reference simulator, big-endian, no qheat code), collision circuits on Aer against the reference
trajectory, the bath refresh against the Gibbs state, tomography against qiskit-experiments' own
fitter and against known states."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import reference as ref  # noqa: E402
from qheat.backends.aer import AerBackend  # noqa: E402
from qheat.circuits.preparation import (  # noqa: E402
    circuit_cost,
    eigen_branches,
    purification_circuit,
    temporal_branches,
    vector_circuit,
)
from qheat.physics.tomography import settings  # noqa: E402
from qheat.protocols.cascade.circuits import CascadeCircuits, bath_angle
from qheat.protocols.registry import bundled_names, load_spec  # noqa: E402
from specs_helper import changed_spec  # noqa: E402


def _reference_state(spec) -> np.ndarray:
    """rho_S^0 built pair by pair from Eq. (S4) by the reference, in Qiskit order."""
    coh = [(c.pair[0], c.pair[1], c.c) for c in spec.system.coherence]
    return ref.to_little_endian(ref.coherent_state(spec.system.temperatures, coh, spec.system.delta))


def _fidelity(a: np.ndarray, b: np.ndarray) -> float:
    from qiskit.quantum_info import state_fidelity

    return float(state_fidelity(DensityMatrix(a), DensityMatrix(b), validate=False))


CASCADE = [n for n in bundled_names() if load_spec(n).protocol in ("cascade", "simultaneous")]


@pytest.mark.parametrize("name", CASCADE)
def test_temporal_averaging_prepares_every_bundled_initial_state(name):
    spec = load_spec(name)
    target = _reference_state(spec)
    branches = temporal_branches(spec.initial_state())
    mix = sum(b.weight * DensityMatrix(Statevector(b.circuit)).data for b in branches)
    assert _fidelity(mix, target) > 1 - 1e-9
    assert np.abs(mix - target).max() < 1e-12
    for b in branches:  # excitation-preserving preparation: no generic state preparation needed
        assert "state_preparation" not in b.circuit.count_ops()


@pytest.mark.parametrize("name", ["fig3-reversed", "fig4b", "fig12-cascade"])
def test_purification_prepares_the_initial_state(name):
    spec = load_spec(name)
    qc = purification_circuit(spec.initial_state())
    n = spec.n
    reduced = partial_trace(DensityMatrix(qc), list(range(n, 2 * n))).data
    assert _fidelity(reduced, _reference_state(spec)) > 1 - 1e-9


def test_gate_counts_in_the_module_docstring():
    """n = 3, Fig. 3 (c = -0.5): temporal branches <= 4 CX each, purification 57 CX, generic vector 4 CX."""
    rho = load_spec("fig3-reversed").initial_state()
    assert max(circuit_cost(b.circuit) for b in temporal_branches(rho)) == 4
    assert circuit_cost(purification_circuit(rho)) == 57
    rng = np.random.default_rng(3)
    v = rng.normal(size=8) + 1j * rng.normal(size=8)
    assert circuit_cost(vector_circuit(v / np.linalg.norm(v))) == 4


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_sector_vectors_and_generic_vectors(n):
    rng = np.random.default_rng(n)
    for k in range(n + 1):
        v = np.zeros(2**n, dtype=complex)
        idx = [i for i in range(2**n) if bin(i).count("1") == k]
        v[idx] = rng.normal(size=len(idx)) + 1j * rng.normal(size=len(idx))
        v /= np.linalg.norm(v)
        qc = vector_circuit(v)
        assert abs(np.vdot(Statevector(qc).data, v)) ** 2 > 1 - 1e-12
        excitations = {int(bin(i).count("1")) for i in range(2**n) if abs(Statevector(qc).data[i]) > 1e-9}
        assert excitations <= {k}
    # a state mixing sectors (as a tomography fit does) falls back to a generic preparation
    w = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    rho = np.outer(w, w.conj()) / np.vdot(w, w) * 0.5 + np.eye(2**n) / 2 ** (n + 1)
    mix = sum(b.weight * DensityMatrix(Statevector(b.circuit)).data for b in temporal_branches(rho))
    assert np.abs(mix - rho).max() < 1e-10


def test_degenerate_eigenvalues_across_sectors_stay_in_sectors():
    """The maximally mixed state is degenerate; its branches must still be basis states of one sector."""
    branches = eigen_branches(np.eye(8) / 8)
    assert len(branches) == 8
    for _, v in branches:
        assert np.count_nonzero(np.abs(v) > 1e-12) == 1


def test_bath_refresh_gives_the_gibbs_state():
    for t_r in (0.3, 0.9, 5.0):
        theta = bath_angle(t_r)
        assert np.sin(theta / 2) ** 2 == pytest.approx(ref.excited_population(t_r), abs=1e-14)
    spec = load_spec("fig3-reversed")
    cc = CascadeCircuits(spec)
    qc = cc.start(temporal_branches(spec.initial_state())[1].circuit, snapshot=True)
    qc.x(spec.n)  # a used bath particle in |1> ...
    qc.h(spec.n)  # ... with coherence
    qc.compose(cc.refresh[True], qubits=range(spec.n + 1), inplace=True)
    qc.save_density_matrix([spec.n], label="r")
    backend = AerBackend("aer")
    rho_r = backend.evolve([backend.compile(qc)], seed=1)[0]["r"]
    assert np.abs(rho_r - ref.gibbs(spec.bath.temperature)).max() < 1e-12


_spec = changed_spec


@pytest.mark.parametrize("name,every", [("fig4c-reverse", 1), ("fig12-simultaneous", 4), ("fig3-enhanced", 3)])
def test_collision_circuits_reproduce_the_reference_trajectory(name, every):
    """Aer density matrices of the circuits (dephased bath refresh, any order, simultaneous mode, a
    record after every interaction) equal the independent reference simulator's states."""
    spec = _spec(name, **{"interaction.collisions": 4, "measurement.every": every})
    coh = [(c.pair[0], c.pair[1], c.c) for c in spec.system.coherence]
    traj = ref.simulate(
        spec.system.temperatures,
        spec.bath.temperature,
        spec.interaction.g,
        spec.interaction.tau,
        4,
        coh,
        spec.interaction.order,
        spec.protocol,
    )
    backend = AerBackend("aer")
    cc = CascadeCircuits(spec, backend.compile)
    steps = spec.record_steps()
    branches = temporal_branches(spec.initial_state())
    circuits = [
        cc.evolve(
            cc.start(b.circuit, snapshot=True),
            0,
            steps[-1],
            snapshot=True,
            records=steps,
            save_qubits=list(range(spec.n)),
        )
        for b in branches
    ]
    states = backend.evolve(circuits, seed=1)
    for k in steps:
        mix = sum(b.weight * s[f"step{k}"] for b, s in zip(branches, states))
        i = traj.steps.index(k)
        assert np.abs(mix - ref.to_little_endian(traj.rho_s(i))).max() < 1e-10, k


def test_settings_order_matches_qiskit_experiments():
    from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis

    basis = PauliMeasurementBasis()
    for s in settings(2):
        qc = basis.circuit(s)
        # the rotation on qubit j is the one of index s[j]
        names = [inst.operation.name for inst in qc.data if inst.operation.name.startswith("PauliMeas")]
        assert names == [f"PauliMeas{'ZXY'[i]}" for i in s]
