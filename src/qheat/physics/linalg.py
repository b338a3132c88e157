"""Dense density-matrix kernels for the exact engine.

Qubit order is Qiskit's (little-endian): qubit ``j`` is bit ``j`` of a basis index, so a
density matrix of ``N`` qubits reshaped to ``(2,)*2N`` has row axis ``N-1-j`` for qubit ``j``.

Why not ``qiskit.quantum_info`` here: measured on this machine (2 cores) for 9 qubits,
``DensityMatrix.evolve`` of a two-qubit gate takes about 25 ms and ``entropy`` of a 256x256
state about 260 ms; the kernels below take about 2-3 ms and 1 ms (blocks by excitation
number), which keeps an 8-subsystem run of 100 collisions well under 10 s
(``benchmarks/bench_exact.py``). Their results are tested against ``qiskit.quantum_info``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def num_qubits(rho: np.ndarray) -> int:
    """Number of qubits of a matrix of side 2**N (or of each matrix in a stack (..., 2**N, 2**N))."""
    n = int(rho.shape[-1]).bit_length() - 1
    if rho.ndim < 2 or rho.shape[-2:] != (2**n, 2**n):
        raise ValueError(f"expected 2^N x 2^N matrices, got shape {rho.shape}")
    return n


def _mix(arr: np.ndarray, u: np.ndarray, axes: Sequence[int]) -> None:
    """In place: arr[.., b, ..] <- sum_b' u[b, b'] arr[.., b', ..] over the bit axes ``axes`` (axes[j] = bit j).

    Works on strided views and touches only the blocks that u changes, so a sparse gate (a
    partial SWAP leaves |00>, |11> alone) costs only the blocks it mixes.
    """

    def view(index: int) -> np.ndarray:
        key: list[Any] = [slice(None)] * arr.ndim
        for j, axis in enumerate(axes):
            key[axis] = (index >> j) & 1
        return arr[tuple(key)]

    rows = [np.flatnonzero(u[o]) for o in range(u.shape[0])]
    changed = [o for o in range(u.shape[0]) if not (rows[o].size == 1 and rows[o][0] == o and u[o, o] == 1.0)]
    saved = {i: view(i).copy() for i in {int(i) for o in changed for i in rows[o]} if i in changed}
    for o in changed:
        dst = view(o)
        if rows[o].size == 0:
            dst[...] = 0.0
            continue
        first, *rest = (int(i) for i in rows[o])
        np.multiply(saved.get(first, view(first)), u[o, first], out=dst)
        for i in rest:
            dst += u[o, i] * saved.get(i, view(i))


def apply_unitary(rho: np.ndarray, unitary: np.ndarray, qubits: Sequence[int], *, inplace: bool = False) -> np.ndarray:
    """Return U rho U^dagger with U acting on ``qubits`` (Qiskit order: qubits[0] is U's lowest bit).

    With ``inplace=True`` the result overwrites ``rho`` (for a caller that owns it).
    """
    n = num_qubits(rho)
    qubits = list(qubits)
    if qubits == list(range(n)):
        return unitary @ rho @ unitary.conj().T
    d = rho.shape[0]
    out = rho if inplace else rho.copy()
    _mix(out.reshape((2,) * n + (d,)), unitary, [n - 1 - q for q in qubits])
    _mix(out.reshape((d,) + (2,) * n), unitary.conj(), [n - q for q in qubits])
    return out


def apply_channel(rhos: np.ndarray, superop: np.ndarray, qubits: Sequence[int]) -> np.ndarray:
    """Phi(rho) for each matrix of a stack (..., D, D), the channel Phi acting on ``qubits`` (qubits[0] its
    lowest bit) given by its superoperator in Qiskit's convention (``SuperOp``: column-stacked vec,
    vec(Phi(rho)) = S vec(rho)). One tensor contraction for the whole stack."""
    n = num_qubits(rhos)
    qubits = list(qubits)
    k = len(qubits)
    if len(set(qubits)) != k or any(not 0 <= q < n for q in qubits):
        raise ValueError(f"invalid qubits {qubits} for a {n}-qubit state")
    if superop.shape != (4**k, 4**k):
        raise ValueError(f"a channel on {k} qubits needs a {4**k}x{4**k} superoperator, got {superop.shape}")
    rows = [_LETTERS[i] for i in range(n)]  # row letter of qubit q at axis n-1-q, column letters after
    cols = [_LETTERS[n + i] for i in range(n)]
    fresh = iter(_LETTERS[2 * n :])
    out_rows, out_cols = list(rows), list(cols)
    for q in qubits:
        out_rows[n - 1 - q], out_cols[n - 1 - q] = next(fresh), next(fresh)
    axes = [n - 1 - q for q in reversed(qubits)]  # the channel's qubits, most significant first

    def letters(of: list[str]) -> str:
        return "".join(of[a] for a in axes)

    # S[(a + d b), (c + d e)] (out row a, out col b, in row c, in col e) reshaped C-order: axes b, a, e, c
    spec = (
        letters(out_cols)
        + letters(out_rows)
        + letters(cols)
        + letters(rows)
        + ",..."
        + "".join(rows + cols)
        + "->..."
        + "".join(out_rows + out_cols)
    )
    lead = rhos.shape[:-2]
    out = np.einsum(spec, superop.reshape((2,) * (4 * k)), rhos.reshape(lead + (2,) * (2 * n)), optimize=True)
    return out.reshape(rhos.shape)


def embed_unitary(unitary: np.ndarray, qubits: Sequence[int], n: int) -> np.ndarray:
    """The 2^n x 2^n matrix of ``unitary`` acting on ``qubits`` of n (identity elsewhere)."""
    d = 2**n
    out = np.eye(d, dtype=complex)
    _mix(out.reshape((2,) * n + (d,)), unitary, [n - 1 - q for q in qubits])
    return out


def reduced_state(rho: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """Partial trace keeping ``keep`` (in that order, keep[0] the lowest bit of the result).

    Uses einsum on strided diagonal views, so tracing out many qubits costs only the kept block.
    """
    n = num_qubits(rho)
    keep = list(keep)
    if len(set(keep)) != len(keep) or any(not 0 <= q < n for q in keep):
        raise ValueError(f"invalid qubits {keep} for a {n}-qubit state")
    rows = [_LETTERS[i] for i in range(n)]  # letter for qubit q sits at axis n-1-q
    cols = list(rows)
    out_rows, out_cols = [], []
    for j, q in enumerate(reversed(keep)):
        rows[n - 1 - q] = _LETTERS[n + j]
        cols[n - 1 - q] = _LETTERS[n + len(keep) + j]
        out_rows.append(rows[n - 1 - q])
        out_cols.append(cols[n - 1 - q])
    spec = "".join(rows) + "".join(cols) + "->" + "".join(out_rows) + "".join(out_cols)
    d = 2 ** len(keep)
    return np.einsum(spec, rho.reshape((2,) * (2 * n))).reshape(d, d)


def tensor_product(*states: np.ndarray) -> np.ndarray:
    """Kronecker product in Qiskit order: states[0] on the lowest qubits."""
    out = np.array([[1.0 + 0j]])
    for s in states:
        out = np.kron(s, out)
    return out


def hermitian_eigvalsh(rho: np.ndarray, tol: float = 1e-14) -> np.ndarray:
    """Eigenvalues of a Hermitian matrix, or of each in a stack (..., d, d), block by block.

    States that conserve a quantity (here: the excitation number) are block diagonal; the
    blocks are found from the pattern of entries above ``tol`` (shared over the stack), so for
    any Hermitian input the result differs from a full diagonalisation only by the neglected
    entries (below 1e-14), and is faster when blocks exist. The eigenvalues come grouped by
    block, each block's in ascending order.
    """
    d = rho.shape[-1]
    if d <= 16:
        return np.linalg.eigvalsh(rho)
    pattern = np.abs(rho) > tol
    if pattern.ndim > 2:
        pattern = pattern.reshape(-1, d, d).any(axis=0)
    count, labels = connected_components(csr_matrix(pattern), directed=False)
    if count == 1:
        return np.linalg.eigvalsh(rho)
    values = []
    for c in range(count):
        idx = np.flatnonzero(labels == c)
        if idx.size == 1:
            values.append(rho[..., idx, idx].real)
        else:
            values.append(np.linalg.eigvalsh(rho[..., idx[:, None], idx[None, :]]))
    return np.concatenate(values, axis=-1)


def entropy_of_probabilities(p: np.ndarray) -> np.ndarray | float:
    """Shannon entropy in nats over the last axis; tiny negative round-off counts as zero."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, None)
    logs = np.log(np.where(p > 1e-15, p, 1.0))
    out = -np.sum(p * logs, axis=-1)
    return float(out) if out.ndim == 0 else out


def von_neumann_entropies(rhos: np.ndarray) -> np.ndarray:
    """S = -Tr rho ln rho (nats) of each matrix in a stack (..., d, d)."""
    return np.asarray(entropy_of_probabilities(hermitian_eigvalsh(rhos)))


def von_neumann_entropy(rho: np.ndarray) -> float:
    """S(rho) = -Tr rho ln rho, in nats (natural logarithm, k_B = 1)."""
    return float(entropy_of_probabilities(hermitian_eigvalsh(rho)))
