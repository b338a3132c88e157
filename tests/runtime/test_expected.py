"""Shot-free twirled / PEC / PEA expectations (``qheat.mitigation.expected``) against independent answers:
Aer's density matrices of the same circuits (noiseless; with explicitly enumerated Pauli twirls; with a
depolarizing channel whose fidelities are the amplified ones), and the limits where PEC is exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("samplomatic")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.quantum_info import Pauli, random_unitary  # noqa: E402
from qiskit_aer import AerSimulator  # noqa: E402
from qiskit_aer.noise import NoiseModel, amplitude_damping_error, depolarizing_error  # noqa: E402

from qheat.mitigation.expected import Expected, boxed, gain_rules  # noqa: E402


def _circuit() -> QuantumCircuit:
    """Three qubits in the device basis: dressings, two CZ layers, a reset and a qubit without any CZ."""
    qc = QuantumCircuit(3)
    rng = np.random.default_rng(7)
    for q in range(3):
        qc.rz(float(rng.uniform(0, 6)), q)
        qc.sx(q)
        qc.rz(float(rng.uniform(0, 6)), q)
    qc.cz(0, 1)
    qc.sx(0)
    qc.rz(0.4, 1)
    qc.sx(1)
    qc.cz(0, 1)
    qc.reset(1)
    qc.sx(1)
    qc.x(2)  # qubit 2 never meets a CZ: its gates stay outside every box
    return qc


def _sims(noise: NoiseModel, width: int):
    """Expected's simulators for an all-qubit noise model: the register's and each qubit's alone."""
    return (
        AerSimulator(method="superop", noise_model=noise),
        width,
        [AerSimulator(method="superop", noise_model=noise)] * width,
    )


def _zero(width: int) -> np.ndarray:
    rho = np.zeros((2**width, 2**width), dtype=complex)
    rho[0, 0] = 1
    return rho


def _aer(qc: QuantumCircuit, noise: NoiseModel | None = None) -> np.ndarray:
    c = qc.copy()
    c.save_density_matrix()
    return np.asarray(AerSimulator(method="density_matrix", noise_model=noise).run(c).result().data()["density_matrix"])


def _noise(cz=None, sx=None) -> NoiseModel:
    model = NoiseModel(basis_gates=["cz", "sx", "x", "rz"])
    if cz is not None:
        model.add_all_qubit_quantum_error(cz, ["cz"])
    if sx is not None:
        model.add_all_qubit_quantum_error(sx, ["sx", "x"])
    return model


def test_the_boxed_circuit_is_the_circuit():
    """Rule 'ideal' (boxes resynthesised as two-SX dressings, the reset, the unboxed gates) gives Aer's
    noiseless state."""
    qc = _circuit()
    assert any(i.operation.name == "box" for i in boxed(qc).data)
    got = Expected(AerSimulator(method="superop"), 3, [AerSimulator(method="superop")] * 3).states(
        [qc], [_zero(3)], gain_rules(["ideal"])
    )["ideal"][0]
    np.testing.assert_allclose(got, _aer(qc), atol=1e-10)


def _explicit_twirl(qc: QuantumCircuit, ones: list, noise: NoiseModel) -> np.ndarray:
    """Aer's noisy state averaged over all 16 twirls of a one-CZ circuit as the device runs them: each
    qubit's dressing P_q U_q (two SX), the CZ, the terminal dressing P'_q (P' = CZ P CZ, two SX)."""
    from qheat.mitigation.expected import dressing

    states = []
    for label in ("".join(p) for p in itertools.product("IXYZ", repeat=2)):
        t = QuantumCircuit(2)
        for q in range(2):
            dressing(Pauli(label[1 - q]).to_matrix() @ ones[q], t, q)
        t.cz(0, 1)
        after = Pauli(label).evolve(_cz_clifford(), frame="s").to_label().lstrip("-i")
        for q in range(2):
            dressing(Pauli(after[1 - q]).to_matrix(), t, q)
        states.append(_aer(t, noise))
    return np.mean(states, axis=0)


def test_twirled_is_the_average_over_explicit_pauli_twirls():
    """Amplitude damping + depolarizing on the CZ and amplitude damping gamma on every SX (neither Pauli
    nor covariant): the 'twirled' state is the mean over the 16 explicitly run twirls up to terms of
    second order in the noise (the model averages each box's dressing noise on its own): the error
    falls ~4x when gamma halves, and stays far below the first-order effect of twirling."""
    from qiskit.quantum_info import Operator

    qc = QuantumCircuit(2)
    qc.rz(0.7, 0)
    qc.sx(0)
    qc.rz(1.1, 1)
    qc.sx(1)
    qc.cz(0, 1)
    ones = [Operator(qc.data[1].operation).data @ Operator(qc.data[0].operation).data]
    ones.append(Operator(qc.data[3].operation).data @ Operator(qc.data[2].operation).data)
    errors = []
    for gamma in (0.01, 0.005):
        cz = (
            amplitude_damping_error(4 * gamma)
            .tensor(amplitude_damping_error(gamma))
            .compose(depolarizing_error(gamma, 2))
        )
        noise = _noise(cz=cz, sx=amplitude_damping_error(gamma))
        want = _explicit_twirl(qc, ones, noise)
        got = Expected(*_sims(noise, 2)).states([qc], [_zero(2)], gain_rules(["twirled"]))["twirled"][0]
        errors.append(np.abs(got - want).max())
        assert errors[-1] < 0.02 * np.abs(_aer(qc, noise) - want).max()  # twirling's own effect, first order
    assert errors[1] < errors[0] / 3


def _cz_clifford():
    from qiskit.quantum_info import Clifford

    cz = QuantumCircuit(2)
    cz.cz(0, 1)
    return Clifford(cz)


def _layers() -> QuantumCircuit:
    """Two qubits, three CZ layers between arbitrary single-qubit gates: every gate inside a box."""
    qc = QuantumCircuit(2)
    for k in range(3):
        for q in range(2):
            qc.append(random_unitary(2, seed=10 * k + q), [q])
        qc.cz(0, 1)
    return qc.decompose()  # unitary gates as rz/sx (the device basis)


def test_pec_is_exact_when_the_learned_layer_is_the_actual_one():
    """Depolarizing noise on every gate (covariant: the dressing's angles do not change the layer's
    channel): PEC restores the noiseless state up to the terminal box, whose dressing (two SX per qubit,
    undoing the last twirl) has no entangler and is left alone, as Runtime does: the noiseless state
    under one-qubit depolarizing of Pauli fidelity (1 - p)^2 on each qubit. Amplitude damping on SX makes
    the learned generic dressing differ from the actual one (first order in the damping), and PEC keeps a
    residual below half the unmitigated error."""
    from qiskit.quantum_info import DensityMatrix, SuperOp

    qc = _layers()
    ideal = _aer(qc)
    p = 0.004
    depol = _noise(cz=depolarizing_error(0.03, 2), sx=depolarizing_error(p, 1))
    got = Expected(*_sims(depol, 2)).states([qc], [_zero(2)], gain_rules(["pec"]))
    terminal = SuperOp(depolarizing_error(1 - (1 - p) ** 2, 1)).tensor(SuperOp(depolarizing_error(1 - (1 - p) ** 2, 1)))
    want = DensityMatrix(ideal).evolve(terminal).data
    np.testing.assert_allclose(got["pec"][0], want, atol=1e-10)
    assert np.abs(want - ideal).max() > 1e-4  # the terminal noise is visible
    with_trex = Expected(*_sims(depol, 2)).states([qc], [_zero(2)], gain_rules(["pec"]), trex=True)
    np.testing.assert_allclose(with_trex["pec"][0], ideal, atol=1e-10)  # TREX takes the terminal noise
    damped = _noise(cz=depolarizing_error(0.03, 2), sx=amplitude_damping_error(0.01))
    got = Expected(*_sims(damped, 2)).states([qc], [_zero(2)], gain_rules(["pec", "twirled"]))
    residual = np.abs(got["pec"][0] - ideal).max()
    assert 1e-6 < residual < 0.5 * np.abs(got["twirled"][0] - ideal).max()


def test_gates_outside_boxes_run_untwirled_with_their_noise():
    """Without any CZ nothing is boxed: every technique but 'ideal' is Aer's noisy state itself."""
    qc = QuantumCircuit(2)
    qc.sx(0)
    qc.rz(0.5, 0)
    qc.x(1)
    qc.reset(0)
    qc.sx(0)
    noise = _noise(sx=amplitude_damping_error(0.05))
    got = Expected(*_sims(noise, 2)).states([qc], [_zero(2)], gain_rules(["ideal", "twirled", "pec"]))
    np.testing.assert_allclose(got["ideal"][0], _aer(qc), atol=1e-12)
    for t in ("twirled", "pec"):
        np.testing.assert_allclose(got[t][0], _aer(qc, noise), atol=1e-12)


def test_pea_amplifies_like_a_stronger_depolarizing_channel():
    """A depolarizing CZ (fidelity f on every Pauli) amplified to noise factor lam is the depolarizing CZ
    of fidelity f^lam, run by Aer; noiseless single-qubit gates."""
    p = 0.05
    f = 1 - p  # depolarizing_error(p): rho -> (1 - p) rho + p I / 4
    qc = QuantumCircuit(2)
    qc.sx(0)
    qc.rz(0.3, 0)
    qc.sx(1)
    for _ in range(3):
        qc.cz(0, 1)
        qc.sx(0)
    got = Expected(*_sims(_noise(cz=depolarizing_error(p, 2)), 2)).states(
        [qc], [_zero(2)], gain_rules(["pea"], factors=(1, 2.5))
    )
    for lam in (1, 2.5):
        p_lam = 1 - f**lam
        want = _aer(qc, _noise(cz=depolarizing_error(p_lam, 2)))
        np.testing.assert_allclose(got[f"pea@{lam:g}"][0], want, atol=1e-10)


def test_gates_aers_superop_method_lacks_keep_their_noise():
    """ECR (fake:sherbrooke's two-qubit gate) runs as a unitary labelled 'ecr': the superoperator carries
    the device's ECR error, as Aer's density-matrix method applies it."""
    from qheat.backends.runtime import fake_device, restricted_fake

    device = restricted_fake(fake_device("fake:sherbrooke"), (0, 1))
    noise = NoiseModel.from_backend(device)
    qc = QuantumCircuit(2)
    qc.sx(0)
    qc.ecr(1, 0)  # the device's direction
    superop = Expected(*_sims(noise, 2)).superops([qc])[0]
    got = (superop @ _zero(2).reshape(-1, order="F")).reshape(4, 4, order="F")
    np.testing.assert_allclose(got, _aer(qc, noise), atol=1e-12)
    assert np.abs(got - _aer(qc)).max() > 1e-3
