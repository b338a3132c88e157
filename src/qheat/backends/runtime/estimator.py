"""Runtime's client-side Estimator (``qiskit_ibm_runtime.executor_estimator.Estimator``) for the Pauli
expectation values a quantity needs, with TREX, ZNE (gate folding or PEA) and PEC.

Techniques (``estimator_options``): ``trex`` -- measurement twirling + readout rescaling (resilience
level 1); ``zne`` -- gate folding at noise factors (1, 3, 5) with the Estimator's extrapolators; ``pea`` --
ZNE whose amplification injects the layers' learned noise; ``pec`` -- probabilistic error cancellation
(gamma^2 sampling overhead). PEA and PEC need ``resilience.layer_noise_model`` (boxed layer, Pauli-Lindblad
map) pairs:

- on ``fake:`` (``fake_layer_noise``) what a perfect learner would find: the channel of each layer under
  the device's own noise model (Aer superoperator of the layer's two-qubit gates after its twirling
  dressing, two SX per qubit), divided by the ideal layer, Pauli-twirled (its Pauli fidelities f_Q), and
  written as a Pauli-Lindblad map: f_Q = exp(-2 sum_k lambda_k <k, Q>_sp) (van den Berg et al.,
  Nat. Phys. 19, 1116 (2023), Eq. 2) solved exactly over all non-identity generators of the layer;
- on ``ibm:`` (``learned_layer_noise``) from ``NoiseLearnerV3`` on the service (local mode refuses it).

In local mode the simulator injects ``simulator.layer_noise_model`` on top of the device's noise when it
is left unset; qheat sets it to ``[]`` so that the device's own noise model is the only noise, and the
layer model serves the mitigation alone. As with the Sampler (``primitives``), each pub runs as its own
job with its own simulator seed (local mode seeds every item of a job alike).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.mitigation.pauli import labels

TECHNIQUES = ("trex", "zne", "pea", "pec")
ZNE_FACTORS = (1, 3, 5)


def estimator_options(techniques: tuple[str, ...], shots: int, *, noise_factors: tuple[int, ...] = ZNE_FACTORS):
    """``EstimatorOptions`` for ``techniques`` (a subset of ``TECHNIQUES``) and ``shots`` per circuit."""
    from qiskit_ibm_runtime.options_models import EstimatorOptions

    unknown = [t for t in techniques if t not in TECHNIQUES]
    if unknown:
        raise QheatError(f"unknown estimator technique {unknown[0]!r}; choose from {', '.join(TECHNIQUES)}")
    if "zne" in techniques and "pea" in techniques:
        raise QheatError("choose zne (gate folding) or pea (noise injection), not both")
    options = EstimatorOptions()
    options.resilience_level = 0
    options.default_shots = int(shots)
    options.resilience.measure_mitigation = "trex" in techniques
    options.resilience.zne_mitigation = "zne" in techniques or "pea" in techniques
    if options.resilience.zne_mitigation:
        options.resilience.zne.noise_factors = tuple(float(f) for f in noise_factors)
        options.resilience.zne.amplifier = "pea" if "pea" in techniques else "gate_folding"
    options.resilience.pec_mitigation = "pec" in techniques
    return options


def needs_layer_noise(techniques: tuple[str, ...]) -> bool:
    return "pea" in techniques or "pec" in techniques


# ----------------------------------------------------------------------------- layer noise models


def _anticommute(a: str, b: str) -> int:
    return sum(x != "I" and y != "I" and x != y for x, y in zip(a, b)) % 2


def pauli_fidelities(channel: np.ndarray, n: int) -> dict[str, float]:
    """f_Q = Tr(Q N(Q)) / 2^n of a superoperator (column-stacking, ``qiskit.quantum_info.SuperOp``) for
    every non-identity Pauli label Q (Qiskit order: the last character is qubit 0)."""
    from qiskit.quantum_info import Pauli

    out = {}
    for label in labels(n):
        q = Pauli(label).to_matrix()
        image = (channel @ q.reshape(-1, order="F")).reshape(2**n, 2**n, order="F")
        out[label] = float(np.real(np.trace(q @ image)) / 2**n)
    return out


def lindblad_rates(fidelities: dict[str, float]) -> dict[str, float]:
    """The rates lambda_k of the Pauli-Lindblad map with these Pauli fidelities, every non-identity
    generator k: the linear system -log(f_Q) / 2 = sum_k lambda_k <k, Q>_sp, solved exactly."""
    names = list(fidelities)
    f = np.array([fidelities[q] for q in names])
    if np.any(f <= 0):
        raise QheatError("a layer's Pauli fidelity is <= 0: no Pauli-Lindblad map has it")
    m = np.array([[_anticommute(k, q) for k in names] for q in names], dtype=float)
    rates = np.linalg.solve(m, -np.log(f) / 2)
    return dict(zip(names, rates.tolist()))


def layer_channel(layer, circuit, device) -> np.ndarray:
    """The noise channel after one boxed ``layer`` of ``circuit`` on ``device`` (a fake backend the circuit
    is compiled for), on the layer's qubits in the layer's order: the Aer superoperator of [two SX per
    qubit (the twirl's rz-sx dressing), the layer's gates] under the device's noise model on those qubits
    (``restricted_fake``: the same calibration, hence the same ``NoiseModel.from_backend``), composed with
    the inverse of the same ideal sequence."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import SuperOp
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    from qheat.backends.runtime.devices import restricted_fake

    qubits = tuple(circuit.find_bit(q).index for q in layer.qubits)
    body = layer.operation.body
    seq = QuantumCircuit(len(qubits))
    for q in range(len(qubits)):
        seq.sx(q)
        seq.sx(q)
    for inst in body.data:
        seq.append(inst.operation, [body.find_bit(q).index for q in inst.qubits])
    ideal = SuperOp(seq)
    probe = seq.copy()
    probe.save_superop()
    local = restricted_fake(device, qubits)
    sim = AerSimulator(method="superop", noise_model=NoiseModel.from_backend(local))
    noisy = SuperOp(np.asarray(sim.run(probe).result().data()["superop"]))
    return np.asarray(noisy.compose(ideal.adjoint()).data)  # N = S_noisy . S_ideal^-1 (ideal: unitary)


def pauli_lindblad_map(channel: np.ndarray, n: int):
    """The Pauli-Lindblad map of the Pauli twirl of ``channel`` (all non-identity generators)."""
    from qiskit.quantum_info import PauliLindbladMap

    rates = lindblad_rates(pauli_fidelities(channel, n))
    return PauliLindbladMap.from_list(list(rates.items()))


def fake_layer_noise(estimator, pubs: list, device) -> list[tuple[Any, Any]]:
    """(layer, Pauli-Lindblad map) for every unique gate layer of ``pubs`` on the fake ``device``: what a
    perfect noise learner would find for the device's own noise model."""
    out = []
    circuits = [p[0] for p in pubs]
    for layer in estimator.find_unique_layers(pubs):
        owner = next(qc for qc in circuits if all(q in qc.qubits for q in layer.qubits))
        out.append((layer, pauli_lindblad_map(layer_channel(layer, owner, device), len(layer.qubits))))
    return out


def learned_layer_noise(estimator, pubs: list, mode) -> list[tuple[Any, Any]]:
    """(layer, Pauli-Lindblad map) for every unique gate layer of ``pubs``, learned by ``NoiseLearnerV3``
    in ``mode`` (a ``Batch`` on an ``ibm:`` device; one server-side job)."""
    from qiskit_ibm_runtime.noise_learner_v3 import NoiseLearnerV3

    layers = estimator.find_unique_layers(pubs)
    learned = NoiseLearnerV3(mode=mode).run(layers).result()
    return list(zip(layers, learned.to_pauli_lindblad_maps()))


def drop_resets(qc, atol: float = 1e-6):
    """``qc`` with every reset of a qubit that the ideal circuit holds in |0> at that point removed (the
    identity there: the ideal output, which PEA and PEC estimate, is unchanged); Runtime's layer boxing
    for PEA and PEC cannot hold a reset. Raises ``QheatError`` for a reset that acts (a qubit not in |0>):
    one that only mitigation by a reset could replace."""
    from qiskit.quantum_info import DensityMatrix, partial_trace

    out = qc.copy_empty_like()
    for inst in qc.data:
        if inst.operation.name == "reset":
            q = qc.find_bit(inst.qubits[0]).index
            if not any(q in [qc.find_bit(b).index for b in i.qubits] for i in out.data):
                continue  # an untouched qubit
            rho = DensityMatrix(out.remove_final_measurements(inplace=False))
            keep = [j for j in range(qc.num_qubits) if j != q]
            p0 = float(np.real(partial_trace(rho, keep).data[0, 0])) if keep else float(np.real(rho.data[0, 0]))
            if abs(1.0 - p0) <= atol:
                continue
            raise QheatError(
                f"PEA and PEC cannot mitigate a reset of a qubit in use (qubit {q} of a circuit, P(0) = {p0:.3f}): "
                "Runtime's layer boxing holds no reset; use the estimator's trex / zne for this circuit"
            )
        out.append(inst)
    return out


# ----------------------------------------------------------------------------- running


def pub_result(res, factors: bool) -> dict[str, Any]:
    """Plain data of one ``EstimatorPubResult``: values and standard errors per observable (and per noise
    factor for ZNE)."""
    data = res.data
    out = {
        "evs": np.atleast_1d(np.asarray(data.evs, dtype=float)).tolist(),
        "stds": np.atleast_1d(np.asarray(data.stds, dtype=float)).tolist(),
    }
    if factors:
        out["evs_noise_factors"] = np.asarray(data.evs_noise_factors, dtype=float).tolist()
        out["stds_noise_factors"] = np.asarray(data.stds_noise_factors, dtype=float).tolist()
    return out


def run_estimator(mode, pubs: list, options, seed: int, *, layer_noise=None, local: bool = True) -> list[dict]:
    """Expectation values of pubs (circuit, observables) through ``executor_estimator.Estimator`` in
    ``mode``; in local mode each pub its own job with its own seed (``primitives.pub_seeds``) and the
    device's noise model as the only noise. ``layer_noise``: (layer, map) pairs for PEA/PEC."""
    from qiskit_ibm_runtime.executor_estimator import Estimator

    from qheat.backends.runtime.primitives import pub_seeds

    estimator = Estimator(mode=mode, options=options.model_copy(deep=True))
    if layer_noise is not None:
        estimator.options.resilience.layer_noise_model = list(layer_noise)
    factors = bool(options.resilience.zne_mitigation)
    if not local:
        results, note = _noting(lambda: estimator.run(pubs).result())
        return [{**pub_result(r, factors), **note} for r in results]
    estimator.options.simulator.layer_noise_model = []  # no noise injected on top of the device's
    out = []
    for pub, s in zip(pubs, pub_seeds(seed, len(pubs))):
        estimator.options.simulator.seed_simulator = s
        results, note = _noting(functools.partial(lambda p: estimator.run([p]).result(), pub))
        out.append({**pub_result(results[0], factors), **note})
    return out


UNWEIGHTED_FIT = "No positive, finite standard errors were found"  # qiskit-mitigation's ZNE fallback


def _noting(run: Callable[[], Any]) -> tuple[Any, dict[str, str]]:
    """``run()``, with qiskit-mitigation's warning that a ZNE fit fell back to equal weights (every noise
    factor's standard error 0: a Pauli all of whose shots agreed) turned into a note for the record;
    every other warning passes on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run()
    note = {}
    for w in caught:
        if issubclass(w.category, UserWarning) and UNWEIGHTED_FIT in str(w.message):
            note["note"] = "ZNE fit unweighted for some values: every noise factor's standard error was 0"
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, note
