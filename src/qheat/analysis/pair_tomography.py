"""Two-qubit state tomography from counts, with qiskit-experiments' fitter functions.

Nine Pauli settings (Z, X, Y on each qubit: ``PauliMeasurementBasis`` indices 0, 1, 2); the fit is
``linear_inversion`` followed by ``postprocess_fitter(make_positive=True)`` (eigenvalues rescaled to a
positive semidefinite state of trace 1), called as plain functions on our own counts. Standard errors
come from a parametric bootstrap: counts redrawn from the observed frequencies and refitted.
(A small helper on purpose; a shared tomography module may replace it.)
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis
from qiskit_experiments.library.tomography.fitters import linear_inversion, postprocess_fitter

BASIS = PauliMeasurementBasis()
SETTINGS = tuple(itertools.product(range(3), repeat=2))   # (index on qubit 0, index on qubit 1)


def basis_rotations(setting: Sequence[int]) -> list[QuantumCircuit]:
    """The single-qubit rotation before the Z measurement of each qubit for a setting."""
    return [BASIS.circuit([i]) for i in setting]


def fit(frequencies: np.ndarray, shots: np.ndarray, settings: Sequence[Sequence[int]] = SETTINGS) -> np.ndarray:
    """The PSD, trace-1 two-qubit state from outcome counts (n_settings, 4): outcome index bit i = qubit i."""
    outcome = np.asarray(frequencies, dtype=float)[None]            # no conditioning
    meas = np.asarray(settings, dtype=int)
    prep = np.zeros((len(settings), 0), dtype=int)
    raw, meta = linear_inversion(outcome, np.asarray(shots, dtype=float), meas, prep, measurement_basis=BASIS,
                                 measurement_qubits=(0, 1))
    states, _ = postprocess_fitter(raw, meta, make_positive=True, trace=1.0, qpt=False)
    return np.asarray(states[0].data)


def fit_with_errors(frequencies: np.ndarray, functions: dict[str, Callable[[np.ndarray], float]],
                    resamples: int = 40, seed: int = 0) -> tuple[np.ndarray, dict[str, float], dict[str, float]]:
    """The fitted state, each function of it, and bootstrap standard errors of each function."""
    frequencies = np.asarray(frequencies, dtype=float)
    shots = frequencies.sum(axis=1)
    rho = fit(frequencies, shots)
    values = {k: f(rho) for k, f in functions.items()}
    rng = np.random.default_rng(seed)
    probs = frequencies / shots[:, None]
    boot = {k: [] for k in functions}
    for _ in range(resamples):
        redrawn = np.array([rng.multinomial(int(n), p) for n, p in zip(shots, probs)], dtype=float)
        r = fit(redrawn, shots)
        for k, f in functions.items():
            boot[k].append(f(r))
    errors = {k: float(np.std(v, ddof=1)) for k, v in boot.items()}
    return rho, values, errors
