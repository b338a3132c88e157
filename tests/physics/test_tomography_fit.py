"""The batched tomography fit against qiskit-experiments' own fitters, called on the same counts one by one."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix
from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis
from qiskit_experiments.library.tomography.fitters import linear_inversion, postprocess_fitter

from qheat.physics.tomography import (
    _single_qubit_duals,
    bootstrap_counts,
    fit_states,
    inversion_map,
    measurement_circuit,
    physical,
    settings,
)


def _qiskit_experiments_fit(counts: np.ndarray, num_qubits: int) -> np.ndarray:
    """linear_inversion + postprocess_fitter(make_positive=True, trace=1) on one record's counts (S, D)."""
    meas = np.array(settings(num_qubits))
    shots = counts.sum(-1)
    fits, meta = linear_inversion(
        counts[None], shots, meas, np.zeros((len(meas), 0), dtype=int), measurement_basis=PauliMeasurementBasis()
    )
    states, _ = postprocess_fitter(fits, {"output_dims": (2**num_qubits,)}, make_positive=True, trace=1.0, qpt=False)
    return states[0].data


@pytest.mark.parametrize("num_qubits", [1, 2, 3])
def test_batched_fit_equals_qiskit_experiments(num_qubits):
    rng = np.random.default_rng(11 + num_qubits)
    d, s = 2**num_qubits, 3**num_qubits
    # a near-pure state measured with few shots: many fits have negative eigenvalues to rescale
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    rho = 0.9 * np.outer(v, v.conj()) / np.vdot(v, v).real + 0.1 * np.eye(d) / d
    m = inversion_map(num_qubits)  # p[s, o] = Tr(rho E_so) with E the POVM dual to M
    probs = np.zeros((s, d))
    for i, setting in enumerate(settings(num_qubits)):
        rotated = DensityMatrix(rho)
        for q, b in enumerate(setting):
            if b == 1:
                rotated = rotated.evolve(np.array([[1, 1], [1, -1]]) / np.sqrt(2), qargs=[q])
            elif b == 2:
                rotated = rotated.evolve(np.array([[1, -1j], [1, 1j]]) / np.sqrt(2), qargs=[q])
        probs[i] = np.real(np.diag(rotated.data))
    assert m.shape == (s, d, d, d)
    counts = rng.multinomial(40, probs, size=(60, s))  # 60 records of 40 shots per setting
    counts = np.concatenate([counts, bootstrap_counts(counts[0], 20, rng)])
    ours = fit_states(counts)
    theirs = np.stack([_qiskit_experiments_fit(c, num_qubits) for c in counts])
    rescaled = sum(
        np.linalg.eigvalsh(r).min() < -1e-12
        for r in (np.einsum("so,soij->ij", c / c.sum(-1, keepdims=True), m) for c in counts)
    )
    assert rescaled > 10  # the test exercises the eigenvalue rescaling
    assert np.abs(ours - theirs).max() < 1e-10
    assert np.abs(np.trace(ours, axis1=-2, axis2=-1) - 1).max() < 1e-12
    assert np.linalg.eigvalsh(ours).min() > -1e-12


def test_written_out_duals_and_circuits_are_qiskit_experiments():
    """The closed-form duals (I/6 + (-1)^o P/2) are linear_inversion's on unit counts, and measurement_circuit
    is PauliMeasurementBasis' circuit decomposed, for every setting of 1-3 qubits."""
    unit = np.zeros((6, 3, 2), dtype=int)
    for j in range(6):
        unit[j, j // 2, j % 2] = 1
    fits, _ = linear_inversion(
        unit,
        np.ones(3, dtype=int),
        np.arange(3)[:, None],
        np.zeros((3, 0), dtype=int),
        measurement_basis=PauliMeasurementBasis(),
    )
    assert np.abs(np.asarray(fits).reshape(3, 2, 2, 2) - _single_qubit_duals()).max() < 1e-14
    basis = PauliMeasurementBasis()
    for n in (1, 2, 3):
        for setting in settings(n):
            assert measurement_circuit(setting) == basis.circuit(setting).decompose(), setting


def test_physical_keeps_positive_states_and_handles_zero_trace():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = a @ a.conj().T
    rho /= np.trace(rho).real
    assert np.abs(physical(rho[None])[0] - rho).max() < 1e-14
    # eigenvalues (0.5, 0, 0, -0.5): the rescaling removes all weight (0.5 - 0.5 / 1 = 0), a zero trace stays
    assert np.abs(physical(np.diag([0.5, -0.5, 0.0, 0.0]))).max() < 1e-15
