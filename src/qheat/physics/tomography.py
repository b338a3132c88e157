"""State tomography from Pauli-basis counts with qiskit-experiments' fitters, and bootstrap resampling.

The fit is qiskit-experiments' ``linear_inversion`` (dual basis of ``PauliMeasurementBasis``)
followed by its ``postprocess_fitter(make_positive=True)``, which rescales the eigenvalues to the
nearest positive semidefinite state of trace one (Smolin, Gambetta, Smith, PRL 108, 070502; done here
for whole stacks at once, which equals calling the fitter on each, tested), so
that entropy, free energy and apparent temperature are defined. Linear inversion is linear in the
frequencies and local in the qubits: we obtain each qubit's dual operators from
``linear_inversion`` itself and apply their tensor products to whole batches of frequencies at once
(bootstrap replicas, every record), which equals calling the fitter on each (tested).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(None)
def _single_qubit_duals() -> np.ndarray:
    """d[s, o]: the dual operator of setting s (0 = Z, 1 = X, 2 = Y), outcome o, of qiskit-experiments'
    ``linear_inversion`` with ``PauliMeasurementBasis``: I/6 + (-1)^o P_s / 2 (tested against the fitter;
    written out because importing qiskit-experiments costs ~4 s of every run)."""
    from qheat.physics.dense import OPERATORS

    paulis = np.stack([OPERATORS["Z"], OPERATORS["X"], OPERATORS["Y"]])
    signs = np.array([1.0, -1.0])
    return np.eye(2) / 6 + signs[None, :, None, None] * paulis[:, None] / 2


@lru_cache(None)
def inversion_map(num_qubits: int) -> np.ndarray:
    """M[s, o] with rho = sum_{s,o} f[s, o] M[s, o]; s runs over ``settings`` order
    (entry j of a setting for qubit j) and bit j of outcome o is qubit j (Qiskit order)."""
    from qheat.physics.tomography import settings

    d = _single_qubit_duals()
    dim = 2**num_qubits
    out = np.empty((3**num_qubits, dim, dim, dim), dtype=complex)
    for i, setting in enumerate(settings(num_qubits)):
        for o in range(dim):
            op = np.ones((1, 1), dtype=complex)
            for q in range(num_qubits):  # kron puts the highest qubit first
                op = np.kron(d[setting[q], (o >> q) & 1], op)
            out[i, o] = op
    return out


def linear_fit(frequencies: np.ndarray) -> np.ndarray:
    """Linear-inversion estimates (..., d, d) from outcome frequencies (..., settings, outcomes)."""
    frequencies = np.asarray(frequencies, dtype=float)
    num_qubits = int(round(np.log2(frequencies.shape[-1])))
    m = inversion_map(num_qubits)
    s, d = m.shape[0] * m.shape[1], m.shape[-1]
    flat = frequencies.reshape(-1, s) @ m.reshape(s, d * d)  # one matrix product for every record and replica
    return flat.reshape(*frequencies.shape[:-2], d, d)


def physical(rho: np.ndarray) -> np.ndarray:
    """The nearest density matrices (PSD, trace one), as qiskit-experiments' ``postprocess_fitter(make_positive=True,
    trace=1.0)`` gives them (its eigenvalue rescaling of Smolin, Gambetta, Smith), for a whole stack at once.

    For each matrix with a negative eigenvalue: eigenvalues in descending order l_0 >= ... >= l_{d-1}, the
    largest j with l_j + s_j / (j + 1) >= 0 (s_j = sum_{i > j} l_i) is kept, l_i + s_j / (j + 1) for i <= j and 0
    beyond; then the trace is set to one unless it is already within 1e-10 of one (or of zero)."""
    rho = np.asarray(rho)
    flat = rho.reshape(-1, *rho.shape[-2:]).astype(complex)
    evals, evecs = np.linalg.eigh(flat)
    evals, evecs = evals[:, ::-1], evecs[:, :, ::-1]  # descending, as qiskit-experiments
    dim = evals.shape[-1]
    suffix = np.concatenate([np.cumsum(evals[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((len(evals), 1))], axis=1)
    keep = evals + suffix / np.arange(1, dim + 1) >= 0
    last = np.where(keep.any(1), dim - 1 - np.argmax(keep[:, ::-1], axis=1), -1)
    shift = np.where(last >= 0, suffix[np.arange(len(evals)), np.maximum(last, 0)] / (last + 1), 0.0)
    scaled = np.where(np.arange(dim) <= last[:, None], evals + shift[:, None], 0.0)
    negative = np.asarray((evals < 0).any(1))
    out = np.where(negative[:, None, None], (evecs * scaled[:, None, :]) @ np.swapaxes(evecs.conj(), 1, 2), flat)
    trace = np.where(negative, scaled.sum(1), evals.sum(1))
    rescale = (np.abs(trace) > 1e-10) & (np.abs(trace - 1.0) > 1e-10)
    out = np.where(rescale[:, None, None], out / np.where(rescale, trace, 1.0)[:, None, None], out)
    return out.reshape(rho.shape)


def richardson_weights(factors: tuple[int, ...] | list[int]) -> np.ndarray:
    """w_i with P(0) = sum_i w_i y_i for the polynomial P of degree len - 1 through (factor_i, y_i):
    Richardson extrapolation to zero noise (Lagrange basis at 0; two factors = a straight line)."""
    lam = np.asarray(factors, dtype=float)
    return np.array([np.prod([mu / (mu - nu) for mu in lam if mu != nu]) for nu in lam])


def linear_estimate(
    counts: np.ndarray, inverse: np.ndarray | None = None, factors: tuple[int, ...] | None = None
) -> np.ndarray:
    """Linear-inversion estimates (..., d, d) from counts (..., settings, outcomes), readout-mitigated
    with ``inverse`` (see ``mitigate``) when given. With ``factors`` the counts are (..., F, settings,
    outcomes), measured at those noise factors, and the mitigated frequencies are extrapolated to zero
    noise (``richardson_weights``) before the (linear) inversion."""
    counts = np.asarray(counts, dtype=float)
    freq = mitigate(counts / counts.sum(-1, keepdims=True), inverse)
    if factors is not None:
        freq = np.einsum("f,...fso->...so", richardson_weights(factors), freq)
    return linear_fit(freq)


def fit_states(
    counts: np.ndarray, inverse: np.ndarray | None = None, factors: tuple[int, ...] | None = None
) -> np.ndarray:
    """Physical states (..., d, d) from counts (..., [F,] settings, outcomes) (see ``linear_estimate``)."""
    return physical(linear_estimate(counts, inverse, factors))


def bootstrap_counts(counts: np.ndarray, replicas: int, rng: np.random.Generator) -> np.ndarray:
    """Nonparametric bootstrap: each setting's counts redrawn (multinomial) from its own frequencies.

    counts (..., settings, outcomes) -> (replicas, ..., settings, outcomes).
    """
    counts = np.asarray(counts, dtype=np.int64)
    shots = counts.sum(-1)
    p = counts / np.maximum(shots, 1)[..., None]
    return rng.multinomial(np.broadcast_to(shots, (replicas, *shots.shape)), np.broadcast_to(p, (replicas, *p.shape)))


# ----------------------------------------------------------------------------- readout mitigation
#
# One mechanism: the inverse of the tensor product of each measured qubit's 2x2 assignment matrix
# (qiskit-experiments' ``LocalReadoutMitigator``, as qiskit-experiments' ``LocalReadoutError`` builds it) applied
# to every setting's outcome frequencies before ``linear_fit``. Linear inversion is linear, so this
# equals linear inversion with the mitigated POVMs; ``physical`` then makes the result a state.


def assignment_matrices(all_zero: dict[str, int], all_one: dict[str, int], num_qubits: int) -> list[np.ndarray]:
    """A_q[measured, prepared] of each qubit q (bit q of the outcome, Qiskit order) from the counts of two
    calibration circuits that prepare all |0> and all |1> (qiskit-experiments' LocalReadoutError)."""
    mats = []
    for q in range(num_qubits):
        col = []
        for counts in (all_zero, all_one):
            total = sum(counts.values())
            if total <= 0:
                raise ValueError("a readout calibration circuit has no counts")
            ones = sum(c for bits, c in counts.items() if bits[::-1][q] == "1")
            col.append([1 - ones / total, ones / total])
        mats.append(np.array(col).T)
    return mats


def mitigation_matrix(matrices: list[np.ndarray]) -> np.ndarray:
    """The inverse assignment matrix on all measured qubits, from qiskit-experiments' ``LocalReadoutMitigator``."""
    from qiskit_experiments.data_processing import LocalReadoutMitigator

    return np.asarray(LocalReadoutMitigator(assignment_matrices=[np.asarray(m) for m in matrices]).mitigation_matrix())


def mitigate(frequencies: np.ndarray, inverse: np.ndarray | None) -> np.ndarray:
    """Frequencies (..., settings, outcomes) with the readout inverse applied (no-op if ``inverse`` is None)."""
    if inverse is None:
        return np.asarray(frequencies, dtype=float)
    return np.einsum("ot,...t->...o", inverse, np.asarray(frequencies, dtype=float))


def measurement_circuit(setting: tuple[int, ...]):
    """The rotations and measurements of one Pauli setting (entry j for qubit j: 0 = Z, 1 = X by H, 2 = Y by
    Sdg then H) into register ``meas``: qiskit-experiments' ``PauliMeasurementBasis().circuit(setting)``
    decomposed (tested equal), built here because importing qiskit-experiments costs ~4 s."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    qc = QuantumCircuit(QuantumRegister(len(setting), "q"), ClassicalRegister(len(setting), "meas"))
    for q, s in enumerate(setting):
        if s == 2:
            qc.sdg(q)
        if s:
            qc.h(q)
    qc.barrier()
    qc.measure(range(len(setting)), range(len(setting)))
    return qc


def settings(num_qubits: int) -> list[tuple[int, ...]]:
    """Pauli settings (0 = Z, 1 = X, 2 = Y; entry j for measured qubit j), qiskit-experiments' indices."""
    from itertools import product

    return [tuple(reversed(t)) for t in product(range(3), repeat=num_qubits)]
