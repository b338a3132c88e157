"""qheat.physics.linalg kernels against qiskit.quantum_info as the independent reference.

Conventions checked here (Qiskit's little-endian order): qubit j is bit j of a basis index;
``apply_unitary(rho, U, qubits)`` acts with qubits[0] as U's lowest bit, exactly like
``DensityMatrix.evolve(Operator(U), qargs=qubits)``; ``reduced_state(rho, keep)`` puts keep[0]
on the lowest bit of the result; ``tensor_product(a, b)`` puts a on the lowest qubits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qiskit.quantum_info import (
    DensityMatrix,
    Operator,
    entropy,
    partial_trace,
    random_density_matrix,
    random_statevector,
    random_unitary,
)

from qheat.physics import linalg

ATOL = 1e-12


def _random_state(n: int, seed: int, rank: int | None = None) -> np.ndarray:
    return random_density_matrix(2**n, rank=rank, seed=seed).data


def _qiskit_entropy(rho: np.ndarray) -> float:
    return float(entropy(DensityMatrix(rho), base=np.e))


# ----------------------------------------------------------------------------- apply_unitary


def _unitary_cases():
    rng = np.random.default_rng(2024)
    cases = []
    for n in (3, 4, 5, 6):
        for k in (1, 2, 3):
            for _ in range(3):
                qubits = tuple(int(q) for q in rng.permutation(n)[:k])
                cases.append((n, qubits, int(rng.integers(1 << 30))))
    # every ordered pair and triple on 3 qubits (order matters: qubits[0] is U's low bit)
    for k in (2, 3):
        for qubits in itertools.permutations(range(3), k):
            cases.append((3, qubits, 7 + sum(qubits) * 11 + k))
    return cases


@pytest.mark.parametrize("n, qubits, seed", _unitary_cases())
def test_apply_unitary_matches_qiskit_evolve(n, qubits, seed):
    rho = _random_state(n, seed)
    u = random_unitary(2 ** len(qubits), seed=seed + 1)
    expected = DensityMatrix(rho).evolve(Operator(u), qargs=list(qubits)).data
    got = linalg.apply_unitary(rho, u.data, qubits)
    assert got.shape == rho.shape
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)


def test_apply_unitary_qubit_order_is_not_symmetric():
    # guard against a test that would pass with any order: a CNOT-like gate on (0, 2) differs from (2, 0)
    rho = _random_state(3, 5)
    u = random_unitary(4, seed=9).data
    a = linalg.apply_unitary(rho, u, (0, 2))
    b = linalg.apply_unitary(rho, u, (2, 0))
    assert np.abs(a - b).max() > 1e-3
    np.testing.assert_allclose(b, DensityMatrix(rho).evolve(Operator(u), qargs=[2, 0]).data, atol=ATOL, rtol=0)


def test_apply_unitary_does_not_modify_input():
    rho = _random_state(4, 3)
    before = rho.copy()
    linalg.apply_unitary(rho, random_unitary(4, seed=1).data, (3, 1))
    np.testing.assert_array_equal(rho, before)


# ----------------------------------------------------------------------------- reduced_state


def _reorder_sorted_to_keep(sorted_state: np.ndarray, keep: list[int]) -> np.ndarray:
    """partial_trace keeps qubits in ascending order; move them so keep[m] is bit m.

    Bit b of the partial_trace result belongs to qubit sorted(keep)[b]; in the wanted result,
    bit m belongs to keep[m]. So wanted index i maps to the source index whose bit
    sorted(keep).index(keep[m]) equals bit m of i.
    """
    ordered = sorted(keep)
    k = len(keep)
    src = np.zeros(2**k, dtype=int)
    for i in range(2**k):
        j = 0
        for m, q in enumerate(keep):
            if (i >> m) & 1:
                j |= 1 << ordered.index(q)
        src[i] = j
    return sorted_state[np.ix_(src, src)]


def test_reduced_state_keep_2_0_is_partial_trace_with_qubits_swapped():
    rho = _random_state(4, 11)
    kept = partial_trace(DensityMatrix(rho), [1, 3]).data  # qubit 0 low bit, qubit 2 high bit
    # basis |b_high b_low>: qiskit index = b2*2 + b0; wanted index = b0*2 + b2 -> swap 1 <-> 2
    swap = np.eye(4)[[0, 2, 1, 3]]
    expected = swap @ kept @ swap.T
    got = linalg.reduced_state(rho, [2, 0])
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
    # and the plain order agrees with partial_trace directly
    np.testing.assert_allclose(linalg.reduced_state(rho, [0, 2]), kept, atol=ATOL, rtol=0)


def test_reduced_state_of_product_state_follows_keep_order():
    singles = [_random_state(1, 100 + j) for j in range(4)]
    # qubit j is singles[j]: the full state is s3 (x) s2 (x) s1 (x) s0 (np.kron, high qubit first)
    full = np.kron(np.kron(np.kron(singles[3], singles[2]), singles[1]), singles[0])
    got = linalg.reduced_state(full, [2, 0])  # keep[0] = qubit 2 on the low bit
    np.testing.assert_allclose(got, np.kron(singles[0], singles[2]), atol=ATOL, rtol=0)
    got = linalg.reduced_state(full, [3, 1, 0])
    np.testing.assert_allclose(got, np.kron(np.kron(singles[0], singles[1]), singles[3]), atol=ATOL, rtol=0)


def _reduce_cases():
    rng = np.random.default_rng(77)
    cases = []
    for n in (3, 4, 5, 6):
        for k in range(1, n + 1):
            keep = [int(q) for q in rng.permutation(n)[:k]]
            cases.append((n, keep, int(rng.integers(1 << 30))))
    return cases


@pytest.mark.parametrize("n, keep, seed", _reduce_cases())
def test_reduced_state_matches_qiskit_partial_trace(n, keep, seed):
    rho = _random_state(n, seed)
    traced = [q for q in range(n) if q not in keep]
    kept = partial_trace(DensityMatrix(rho), traced).data if traced else rho
    expected = _reorder_sorted_to_keep(kept, keep)
    got = linalg.reduced_state(rho, keep)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
    assert np.isclose(np.trace(got), 1.0)


@pytest.mark.parametrize("keep", [[0, 0], [3], [-1]])
def test_reduced_state_refuses_bad_qubits(keep):
    with pytest.raises(ValueError):
        linalg.reduced_state(_random_state(3, 1), keep)


# ----------------------------------------------------------------------------- tensor_product


def test_tensor_product_two_states_a_on_low_qubits():
    a, b = _random_state(1, 1), _random_state(2, 2)
    expected = DensityMatrix(b).tensor(DensityMatrix(a)).data  # X.tensor(Y): Y on the low qubits
    np.testing.assert_allclose(linalg.tensor_product(a, b), expected, atol=ATOL, rtol=0)
    # the reduced states recover the factors where qiskit says they are
    full = DensityMatrix(linalg.tensor_product(a, b))
    np.testing.assert_allclose(partial_trace(full, [1, 2]).data, a, atol=ATOL, rtol=0)
    np.testing.assert_allclose(partial_trace(full, [0]).data, b, atol=ATOL, rtol=0)


def test_tensor_product_three_states():
    a, b, c = _random_state(1, 3), _random_state(2, 4), _random_state(1, 5)
    expected = DensityMatrix(c).tensor(DensityMatrix(b)).tensor(DensityMatrix(a)).data
    np.testing.assert_allclose(linalg.tensor_product(a, b, c), expected, atol=ATOL, rtol=0)
    expected_expand = DensityMatrix(a).expand(DensityMatrix(b)).expand(DensityMatrix(c)).data
    np.testing.assert_allclose(linalg.tensor_product(a, b, c), expected_expand, atol=ATOL, rtol=0)


def test_tensor_product_of_one_state_is_that_state():
    a = _random_state(2, 6)
    np.testing.assert_allclose(linalg.tensor_product(a), a, atol=0, rtol=0)


# ----------------------------------------------------------------------------- entropy


def _entropy_states():
    states = {}
    for n in (1, 2, 3, 4, 5):
        states[f"full-rank-{n}q"] = _random_state(n, 30 + n)
    for n, rank in ((2, 1), (3, 2), (4, 3), (5, 7), (6, 5)):
        states[f"rank{rank}-{n}q"] = _random_state(n, 40 + n, rank=rank)
    psi = random_statevector(16, seed=3).data
    states["pure-4q"] = np.outer(psi, psi.conj())
    states["maximally-mixed-3q"] = np.eye(8) / 8
    states["basis-state-5q"] = np.diag(np.eye(32)[7]).astype(complex)
    return states


ENTROPY_STATES = _entropy_states()


@pytest.mark.parametrize("name", sorted(ENTROPY_STATES))
def test_von_neumann_entropy_matches_qiskit(name):
    rho = ENTROPY_STATES[name]
    assert linalg.von_neumann_entropy(rho) == pytest.approx(_qiskit_entropy(rho), abs=1e-10)


def test_von_neumann_entropy_known_values():
    assert linalg.von_neumann_entropy(np.eye(8) / 8) == pytest.approx(3 * np.log(2), abs=1e-12)
    assert linalg.von_neumann_entropy(ENTROPY_STATES["pure-4q"]) == pytest.approx(0.0, abs=1e-10)


def _excitation_block_state(n: int, seed: int, permute: bool) -> np.ndarray:
    """Random state that is block diagonal in the excitation number of n qubits (like the engine's)."""
    rng = np.random.default_rng(seed)
    d = 2**n
    weight = np.array([bin(i).count("1") for i in range(d)])
    rho = np.zeros((d, d), dtype=complex)
    probs = rng.dirichlet(np.ones(n + 1))
    for w in range(n + 1):
        idx = np.flatnonzero(weight == w)
        m = idx.size
        block = random_density_matrix(m, seed=seed + 13 * w).data if m > 1 else np.ones((1, 1))
        if w == 3:  # a rank-deficient block: zero eigenvalues inside a block
            block = random_density_matrix(m, rank=2, seed=seed + 5).data
        rho[np.ix_(idx, idx)] = probs[w] * block
    if permute:  # scatter the blocks over the index range
        perm = rng.permutation(d)
        rho = rho[np.ix_(perm, perm)]
    return rho


@pytest.mark.parametrize("permute", [False, True])
def test_entropy_of_block_diagonal_8_qubit_state_matches_qiskit(permute, monkeypatch):
    rho = _excitation_block_state(8, seed=123, permute=permute)
    expected = _qiskit_entropy(rho)

    # make sure the block path is the one exercised: no eigensolve on the full 256 x 256 matrix
    sizes = []
    real_eigvalsh = np.linalg.eigvalsh

    def spy(a, *args, **kwargs):
        sizes.append(np.shape(a)[-1])
        return real_eigvalsh(a, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "eigvalsh", spy)
    got = linalg.von_neumann_entropy(rho)
    values = linalg.hermitian_eigvalsh(rho)
    monkeypatch.undo()

    assert sizes and max(sizes) < 256, sizes
    assert got == pytest.approx(expected, abs=1e-10)
    assert values.shape == (256,)
    np.testing.assert_allclose(np.sort(values), np.sort(np.linalg.eigvalsh(rho)), atol=1e-12, rtol=0)


def test_hermitian_eigvalsh_block_path_on_product_of_diagonal_and_dense_parts():
    # a 6-qubit state with isolated 1x1 blocks (diagonal part) next to a dense block
    d = 64
    rho = np.zeros((d, d), dtype=complex)
    dense = random_density_matrix(16, seed=8).data
    rho[:16, :16] = 0.6 * dense
    rho[16:, 16:] = np.diag(np.random.default_rng(1).dirichlet(np.ones(48)) * 0.4)
    np.testing.assert_allclose(
        np.sort(linalg.hermitian_eigvalsh(rho)), np.sort(np.linalg.eigvalsh(rho)), atol=1e-12, rtol=0
    )
    assert linalg.von_neumann_entropy(rho) == pytest.approx(_qiskit_entropy(rho), abs=1e-10)


def _state_with_tiny_negative_eigenvalue(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    d = 2**n
    u = random_unitary(d, seed=seed).data
    p = np.random.default_rng(seed).dirichlet(np.ones(d - 2))
    eig = np.concatenate([p, [0.0, -3e-16]])
    eig[0] += 3e-16  # keep the trace at 1
    return (u * eig) @ u.conj().T, eig


@pytest.mark.parametrize("n", [2, 5])  # 5 qubits: the hermitian_eigvalsh connected-component path
def test_entropy_with_tiny_negative_round_off_eigenvalue(n):
    rho, eig = _state_with_tiny_negative_eigenvalue(n, seed=17 + n)
    assert np.linalg.eigvalsh(rho).min() < 0  # the round-off really is there
    expected = _qiskit_entropy(rho)  # qiskit clips negative eigenvalues to zero
    positive = eig[eig > 0]
    assert expected == pytest.approx(float(-np.sum(positive * np.log(positive))), abs=1e-10)
    got = linalg.von_neumann_entropy(rho)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, abs=1e-10)
    stacked = linalg.von_neumann_entropies(rho[None])
    assert np.isfinite(stacked).all()
    assert stacked[0] == pytest.approx(expected, abs=1e-10)


def test_von_neumann_entropies_of_a_stack_match_qiskit():
    states = [
        _random_state(2, 1),
        _random_state(2, 2, rank=1),
        _random_state(2, 3, rank=2),
        np.eye(4, dtype=complex) / 4,
        np.diag([1.0, 0.0, 0.0, 0.0]).astype(complex),
        _state_with_tiny_negative_eigenvalue(2, seed=4)[0],
    ]
    got = linalg.von_neumann_entropies(np.stack(states))
    assert got.shape == (len(states),)
    expected = [_qiskit_entropy(s) for s in states]
    np.testing.assert_allclose(got, expected, atol=1e-10, rtol=0)


def test_von_neumann_entropies_of_single_qubits_match_qiskit():
    states = np.stack([_random_state(1, s) for s in range(10)] + [np.diag([1.0, 0.0]).astype(complex)])
    np.testing.assert_allclose(
        linalg.von_neumann_entropies(states), [_qiskit_entropy(s) for s in states], atol=1e-10, rtol=0
    )


# ----------------------------------------------------------------------------- num_qubits


@pytest.mark.parametrize("shape, n", [((1, 1), 0), ((2, 2), 1), ((16, 16), 4)])
def test_num_qubits(shape, n):
    assert linalg.num_qubits(np.zeros(shape)) == n


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (6, 6)])
def test_num_qubits_refuses_non_power_of_two(shape):
    with pytest.raises(ValueError):
        linalg.num_qubits(np.zeros(shape))


@pytest.mark.parametrize("n,qubits", [(1, [0]), (3, [2]), (4, [0, 3]), (4, [3, 1]), (5, [4, 0, 2])])
def test_apply_channel_is_qiskits_superop_evolution(n, qubits):
    """A random (non-unital) channel on ``qubits`` applied to a stack of states, against DensityMatrix.evolve."""
    from qiskit.quantum_info import SuperOp, random_quantum_channel

    channel = SuperOp(random_quantum_channel(2 ** len(qubits), seed=n + len(qubits)))
    rhos = np.stack([_random_state(n, seed) for seed in range(3)]).reshape(3, 1, 2**n, 2**n)  # two leading axes
    got = linalg.apply_channel(rhos, channel.data, qubits)
    for rho, out in zip(rhos[:, 0], got[:, 0]):
        assert np.abs(out - DensityMatrix(rho).evolve(channel, qargs=qubits).data).max() < ATOL
    with pytest.raises(ValueError, match="superoperator"):
        linalg.apply_channel(
            rhos, channel.data, [*qubits, min(set(range(n)) - set(qubits))] if n > len(qubits) else qubits[:-1]
        )
    with pytest.raises(ValueError, match="invalid qubits"):
        linalg.apply_channel(rhos, channel.data, [*qubits[:-1], n])  # beyond the state
    if len(qubits) > 1:
        with pytest.raises(ValueError, match="invalid qubits"):
            linalg.apply_channel(rhos, channel.data, [qubits[0]] * len(qubits))
