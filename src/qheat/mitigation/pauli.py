"""States and quantities from (mitigated) Pauli expectation values, with their errors propagated.

The Estimator path measures <P> for the Pauli strings a quantity needs; a full n-qubit state needs all
4^n - 1 non-identity strings. ``linear_state`` is linear inversion, rho = (1/2^n) sum_P <P> P (the Pauli
expansion of a density matrix; <I> = 1); ``state`` then projects it to the nearest density matrix
(``physics.tomography.physical``: the eigenvalue rescaling of Smolin, Gambetta and Smith, PRL 108, 070502
(2012), as qiskit-experiments' fitters do). ``propagate`` carries the Estimator's standard errors to any
quantity f(<P>) by first-order (linear) propagation with central differences, treating the expectations as
independent (the Estimator reports no covariances); the linear state's entries have closed-form errors
``linear_state_errors``. Labels are Qiskit's: the last character acts on qubit 0. Pure functions.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping

import numpy as np

from qheat.physics.dense import OPERATORS
from qheat.physics.tomography import physical


def labels(n: int) -> list[str]:
    """The 4^n - 1 non-identity Pauli labels on n qubits."""
    return ["".join(p) for p in itertools.product("IXYZ", repeat=n)][1:]


OBSERVABLES = ("state", "energies", "exchange")


def observable_labels(kind: str, m: int, n: int) -> list[str]:
    """The Pauli labels a kind of quantity needs on m measured qubits, the first n of them the system (in
    ``labels(m)`` order): ``energies`` -- Z of every measured qubit (E_k = -(delta/2) <Z_k>, and so the heats);
    ``exchange`` -- those and X_p X_q, Y_p Y_q of every system pair, the exchange coherence
    X[p, q] = <s+^p s-^q + s-^p s+^q> = (<X_p X_q> + <Y_p Y_q>) / 2 of the one-way coherence (seed 001,
    Eq. 47) and the apparent temperatures (Eqs. 49, 54); ``state`` -- every non-identity label."""
    if kind not in OBSERVABLES:
        raise ValueError(f"unknown observables {kind!r}; choose from {', '.join(OBSERVABLES)}")
    if kind == "state":
        return labels(m)

    def on(chars: dict[int, str]) -> str:
        return "".join(chars.get(q, "I") for q in reversed(range(m)))  # the last character on qubit 0

    wanted = {on({q: "Z"}) for q in range(m)}
    if kind == "exchange":
        wanted |= {on({p: c, q: c}) for p, q in itertools.combinations(range(n), 2) for c in "XY"}
    return [p for p in labels(m) if p in wanted]


def embed(values: np.ndarray, measured: list[str], m: int) -> np.ndarray:
    """Expectations (..., len(measured)) of the labels ``measured`` as arrays (..., 4^m - 1) in ``labels(m)``
    order, zero for every label not measured: their linear-inversion operator has the measured Paulis'
    expectations exactly (each Pauli is orthogonal to the others), so every quantity linear in them --
    populations of each qubit, exchange coherences -- is exact on it; nothing else is."""
    index = {p: i for i, p in enumerate(labels(m))}
    values = np.asarray(values, dtype=float)
    out = np.zeros((*values.shape[:-1], 4**m - 1))
    out[..., [index[p] for p in measured]] = values
    return out


def basis_count(kind: str, m: int, n: int) -> int:
    """The Estimator's bases for ``observable_labels(kind, m, n)`` in closed form (``bases`` of them, tested):
    3^m for the state, all-Z for the energies, and all-X, all-Y besides for exchange (with a system pair)."""
    if kind == "state":
        return 3**m
    return 1 + 2 * (kind == "exchange" and n >= 2)


def bases(measured: list[str]) -> int:
    """How many measurement bases the Estimator takes for these labels: its qubit-wise commuting groups
    (``PauliList.group_commuting(qubit_wise=True)``, as qiskit-mitigation's ``get_measurement_bases``)."""
    from qiskit.quantum_info import PauliList

    return len(PauliList(measured).group_commuting(qubit_wise=True))


def pauli_matrix(label: str) -> np.ndarray:
    """The matrix of a Pauli label (Qiskit order: the first character on the highest qubit)."""
    out = np.ones((1, 1), dtype=complex)
    for c in label:  # the first character is the highest qubit: kron order
        out = np.kron(out, OPERATORS[c])
    return out


def _check(values: Mapping[str, float]) -> int:
    n = len(next(iter(values)))
    missing = [p for p in labels(n) if p not in values]
    if missing:
        raise ValueError(f"a {n}-qubit state needs every non-identity Pauli expectation; missing {missing[:3]}")
    return n


def linear_state(values: Mapping[str, float]) -> np.ndarray:
    """rho = (I + sum_P <P> P) / 2^n from every non-identity expectation (Hermitian, trace one)."""
    n = _check(values)
    return linear_states(np.array([float(values[p]) for p in labels(n)]), n)


def linear_states(values: np.ndarray, n: int) -> np.ndarray:
    """``linear_state`` for arrays (..., 4^n - 1) of expectations in ``labels(n)`` order: (..., 2^n, 2^n)."""
    mats = _matrices(n)
    return (np.eye(2**n) + np.einsum("...p,pij->...ij", np.asarray(values, dtype=float), mats)) / 2**n


@functools.lru_cache(maxsize=8)
def _matrices(n: int) -> np.ndarray:
    out = np.stack([pauli_matrix(p) for p in labels(n)])
    out.setflags(write=False)
    return out


def linear_state_errors(stds: Mapping[str, float]) -> np.ndarray:
    """Standard error of every entry of ``linear_state`` (|entry| error, real and imaginary parts together):
    sqrt(sum_P |P_ij|^2 sigma_P^2) / 2^n, each Pauli's entries having modulus 0 or 1."""
    n = _check(stds)
    var = np.zeros((2**n, 2**n))
    for p in labels(n):
        var = var + np.abs(pauli_matrix(p)) ** 2 * float(stds[p]) ** 2
    return np.sqrt(var) / 2**n


def state(values: Mapping[str, float]) -> np.ndarray:
    """The nearest density matrix to the linear-inversion state (positive, trace one)."""
    return np.asarray(physical(linear_state(values)))


def propagate(
    quantity: Callable[[Mapping[str, float]], float],
    values: Mapping[str, float],
    stds: Mapping[str, float],
    step: float = 1e-6,
) -> tuple[float, float]:
    """f(<P>) and its standard error, sqrt(sum_P (df/d<P>)^2 sigma_P^2), derivatives by central
    differences (``quantity`` may go through ``state``: the projection is piecewise smooth)."""
    base = dict(values)
    value = float(quantity(base))
    var = 0.0
    for p, s in stds.items():
        if not s:
            continue
        up, down = dict(base), dict(base)
        up[p], down[p] = base[p] + step, base[p] - step
        var += ((float(quantity(up)) - float(quantity(down))) / (2 * step) * float(s)) ** 2
    return value, float(np.sqrt(var))
