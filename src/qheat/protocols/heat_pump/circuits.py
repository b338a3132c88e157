"""Seed 002's heat-pump cycle as gate-model circuits (backends ``aer`` and ``aer:<config>``), and the
batches a run hands to the engine (``batches``).

Qubits: A on 0, B on 1, the bath ancillas a_A on 2 and a_B on 3 (also the purification's ancillas: see below).
One collision round of length dt (the exact engine's order): RZ(-omega dt) on A and B (exp(-i (H_A + H_B) dt),
H_k = -(omega/2) Z_k), in the coupling window also exp(-i V_AB dt) = ``XXPlusYYGate(2 Omega dt, beta)`` on
(A, B) with beta = phi_V ([V_AB, H_A + H_B] = 0, so the split is exact); then for k = A, B: refresh a_k
(mid-circuit ``reset``, ``RY`` to the Gibbs population of T_k, a Z measurement that dephases it into the
Gibbs mixture, as the cascade protocol refreshes seed 001's bath) and the partial SWAP
``XXPlusYYGate(2 theta_k)`` on (k, a_k), theta_k^2 = kappa_k (1 + 2 n_k) dt.

Each cycle starts at its injection: the purification (``preparation.purification_circuit``, one
``StatePreparation`` of A, B and two ancillas, exact) prepares the state the exact engine reaches
right after injecting chi. Its ancillas are the bath ancillas: their first refresh resets them, which
traces the purification out and leaves A, B in exactly that state (4 qubits instead of 6: Aer's density
matrices are 16 times smaller). This *replaces* the injection (a non-unitary rho -> rho + chi) by a
re-preparation; the thermalisation before it is not run on the circuit (the re-preparation would erase it).

Two circuits per cycle ("a circuit per measured quantity"):

- ``decouple``: the coupling window (n_c rounds); in every round each ancilla's refresh measurement
  (kept: its first energy) and a Z measurement after its collision (second energy); then Z on A and B.
  Heat drawn from bath k in a round = the ancilla's energy loss omega (in - out) (two-point measurement;
  the partial SWAP conserves qubit + ancilla energy). Keeping the refresh outcome instead of using the
  Gibbs mean makes the sum over rounds nearly noise-free when nothing is exchanged.
- ``cycle``: the whole cycle (coupling window + rethermalisation, n_c + n_r rounds), then Z on A and B.
  Its ancilla measurements are discarded, so they are replaced by their channel (the Kraus map
  {|0><0|, |1><1|}, ``DEPHASING``): the same distribution of the final outcomes,
  and Aer evolves one density matrix and samples all shots from it instead of simulating 10^4
  mid-circuit measurements shot by shot (~0.14 s per shot for 5000 rounds).

Per-cycle heat, Q_k = sum over the window of the ancilla losses + E_k(end) - E_k(decouple): outside the
window only the collisions change E_k (H_A + H_B commutes with H_k), so the rethermalisation's heat is the
qubit's energy change; inside it V_AB moves energy between A and B, which only the ancillas see. Summing
ancilla losses over the 5000 rethermalisation rounds instead would add ~9 (omega^2) of variance per shot.
The estimator from the counts is ``analysis.sampled_heats``.

``snapshot=True`` replaces every measurement by its channel and saves expectation values instead
(the shot-free value of the same estimator, used by the tests and reported as ``shot_free``).

On ``aer:<config>`` the pieces are compiled by the device (its basis gates) and run with its noise
model: the decouple circuit as noisy statevector trajectories, the others on noisy density matrices;
the shot-free values are then the noisy circuit's (without the readout error, which acts on counts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.circuit.library import XXPlusYYGate
from qiskit.quantum_info import Kraus, Pauli
from qiskit_aer.library import SaveExpectationValue  # noqa: F401  (registers QuantumCircuit.save_*)

from qheat.circuits.preparation import purification_circuit
from qheat.core.protocol import Batch, BatchGenerator
from qheat.core.records import matrix
from qheat.physics import dense as ht
from qheat.protocols.heat_pump.exact import bath_parameters, simulate
from qheat.protocols.heat_pump.spec import HeatPumpSpec

if TYPE_CHECKING:
    from qheat.backends.aer import AerBackend

Compiler = Callable[[QuantumCircuit], QuantumCircuit]
WIDTH = 4
ANCILLA = (2, 3)
PURIFIER = (4, 5)  # on Runtime devices: each bath ancilla's purifying partner (the cycle circuit's refresh)
DEVICE_WIDTH = 6
Z = Pauli("Z")
DEPHASING = Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])  # a Z measurement whose outcome is discarded
CLBITS = (
    "decouple: bit 4r + 2k = bath ancilla a_k after its refresh in coupled round r, 4r + 2k + 1 = a_k "
    "after its collision, 4 n_c + k = qubit k at the decoupling; cycle: bit k = qubit k at the end "
    "(k = 0: A, 1: B; bitstrings with bit 0 rightmost)"
)


def _identity(qc: QuantumCircuit) -> QuantumCircuit:
    return qc


def coupling_phase(v: np.ndarray) -> float:
    """beta with XXPlusYYGate(2 Omega dt, beta) = exp(-i V dt) on (A, B) (qheat order: A on bit 0)."""
    return float(-np.angle(v[1, 2]))


class PumpCircuits:
    """The pieces of one spec (compiled once each) and the circuits of a cycle built from them."""

    def __init__(
        self,
        omega: float,
        dt: float,
        omega_c: float,
        beta: float,
        thetas: tuple[float, float],
        p_excited: tuple[float, float],
        compile: Compiler = _identity,
    ) -> None:
        self.compile = compile
        free = QuantumCircuit(WIDTH)
        for k in range(2):
            free.rz(-omega * dt, k)
        coupled = free.copy()
        coupled.append(XXPlusYYGate(2.0 * omega_c * dt, beta), [0, 1])
        self.free = {False: compile(free), True: compile(coupled)}
        self.refresh, self.swap = {}, {}
        for k in range(2):
            angle = 2.0 * math.asin(math.sqrt(min(max(p_excited[k], 0.0), 1.0)))
            for mode in ("measure", "channel", "purify"):
                qc = QuantumCircuit(DEVICE_WIDTH if mode == "purify" else WIDTH, 1 if mode == "measure" else 0)
                qc.reset(ANCILLA[k])
                if mode == "purify":
                    qc.reset(PURIFIER[k])
                qc.ry(angle, ANCILLA[k])
                if mode == "measure":
                    qc.measure(ANCILLA[k], 0)
                elif mode == "channel":
                    qc.append(DEPHASING, [ANCILLA[k]])
                else:
                    qc.cx(ANCILLA[k], PURIFIER[k])
                self.refresh[k, mode] = compile(qc)
            qc = QuantumCircuit(WIDTH)
            qc.append(XXPlusYYGate(2.0 * thetas[k]), [k, ANCILLA[k]])
            self.swap[k] = compile(qc)

    def prepare(self, rho: np.ndarray, clbits: int, width: int = WIDTH) -> QuantumCircuit:
        qc = QuantumCircuit(width)
        if clbits:
            qc.add_register(ClassicalRegister(clbits, "meas"))
        qc.compose(self.compile(purification_circuit(rho)), qubits=[0, 1, 2, 3], inplace=True)
        return qc

    def decouple(self, rho: np.ndarray, n_couple: int) -> QuantumCircuit:
        """Window with two-point ancilla records: bit 4r + 2k (refresh of a_k in round r), 4r + 2k + 1 (a_k
        after its collision); bits 4 n_couple, 4 n_couple + 1: Z of A, B at the decoupling."""
        qc = self.prepare(rho, 4 * n_couple + 2)
        bits = qc.cregs[0]
        for r in range(n_couple):
            qc.compose(self.free[True], inplace=True)
            for k in range(2):
                qc.compose(self.refresh[k, "measure"], clbits=[bits[4 * r + 2 * k]], inplace=True)
                qc.compose(self.swap[k], inplace=True)
                qc.measure(ANCILLA[k], bits[4 * r + 2 * k + 1])
        qc.measure([0, 1], [bits[4 * n_couple], bits[4 * n_couple + 1]])
        return qc

    def cycle(
        self, rho: np.ndarray, n_couple: int, n_relax: int, *, snapshot: bool = False, refresh: str = "channel"
    ) -> QuantumCircuit:
        """The whole cycle, ancilla measurements as channels; Z of A, B at the end (bits 0, 1). ``snapshot``:
        no measurement; saves <Z> of each ancilla after its refresh (``in<r>_<k>``) and collision
        (``out<r>_<k>``) in the window, of A, B at the decoupling (``dec<k>``) and the end (``end<k>``).
        ``refresh = "purify"`` (Runtime devices, which run no Kraus channel): each ancilla and its purifier
        (qubits 4, 5) reset, RY, CX -- a fresh ancilla in exactly the Gibbs mixture, without measurement."""
        qc = self.prepare(rho, 0 if snapshot else 2, DEVICE_WIDTH if refresh == "purify" else WIDTH)
        for r in range(n_couple + n_relax):
            coupled = r < n_couple
            qc.compose(self.free[coupled], inplace=True)
            for k in range(2):
                qc.compose(self.refresh[k, refresh], qubits=range(self.refresh[k, refresh].num_qubits), inplace=True)
                if snapshot and coupled:
                    qc.save_expectation_value(Z, [ANCILLA[k]], label=f"in{r}_{k}")
                qc.compose(self.swap[k], inplace=True)
                if snapshot and coupled:
                    qc.save_expectation_value(Z, [ANCILLA[k]], label=f"out{r}_{k}")
            if snapshot and r == n_couple - 1:
                for k in range(2):
                    qc.save_expectation_value(Z, [k], label=f"dec{k}")
        if snapshot:
            for k in range(2):
                qc.save_expectation_value(Z, [k], label=f"end{k}")
        else:
            qc.measure([0, 1], list(qc.cregs[0]))
        return qc


def circuit_pieces(spec: HeatPumpSpec, compile: Compiler = _identity) -> PumpCircuits:
    """The ``PumpCircuits`` of ``spec``, its pieces compiled by ``compile``."""
    thetas, p_exc = bath_parameters(spec)
    beta = coupling_phase(ht.exchange_coupling(spec.coupling.strength, spec.coupling.phase))
    return PumpCircuits(
        spec.qubits.frequency,
        spec.baths.dt,
        spec.coupling.strength,
        beta,
        (thetas[0], thetas[1]),
        (p_exc[0], p_exc[1]),
        compile,
    )


def batches(spec: HeatPumpSpec, device: AerBackend, resume: dict[str, Any] | None = None) -> BatchGenerator:
    """Three batches, one circuit per cycle each: ``decouple`` (sampled; statevector, for its mid-circuit
    measurements), ``cycle`` (sampled; density matrix) and ``shot_free`` (saved expectation values).

    The states each cycle prepares are the exact engine's (``exact.simulate``) right after the injection.
    Returns the records document's metadata and the prepared states. ``resume`` is unused (not adaptive).

    On a Runtime device (``fake:``/``ibm:``): the cycle circuit's ancillas are refreshed by reset + RY + CX to
    a purifier (``refresh = "purify"``, 6 qubits), the whole circuits are compiled on the layout chosen for
    their interaction graph (``runs.prepare_run``), and there is no shot-free batch (a device saves no state)."""
    from qheat.backends import is_runtime_backend

    runtime = is_runtime_backend(device.name)
    device.check_width(DEVICE_WIDTH if runtime else WIDTH, _what(spec, runtime))
    data = simulate(spec)
    injected = data["_injected"]
    n_couple, n_relax = data["rounds"]["coupling"], data["rounds"]["relax"]
    settings = spec.circuit_settings()
    pieces = circuit_pieces(spec, _identity if runtime else device.compile)
    rng = np.random.default_rng(spec.seed_sequence(settings.seed))
    seeds = [int(rng.integers(2**62)) for _ in range(3)]
    shots = [settings.shots] * len(injected)

    def metadata(circuit: str) -> list[dict[str, Any]]:
        return [
            {"circuit": circuit, "cycle": c + 1, "coupling_rounds": n_couple, "relax_rounds": n_relax}
            for c in range(len(injected))
        ]

    decouple = [pieces.decouple(rho, n_couple) for rho in injected]
    cycle = [pieces.cycle(rho, n_couple, n_relax, refresh="purify" if runtime else "channel") for rho in injected]
    device_part: dict[str, Any] = {}
    if runtime:
        from qheat.backends.runtime.runs import prepare_run

        run = prepare_run(
            device,
            [*decouple, *cycle],
            names=("A", "B", "a_A", "a_B", "p_A", "p_B"),
            measured=(0, 1, *ANCILLA),
            seed=seeds[0],
        )
        decouple, cycle = [run.compile(qc) for qc in decouple], [run.compile(qc) for qc in cycle]
        device_part = run.metadata([*decouple, *cycle])
    yield Batch(decouple, metadata("decouple"), shots, method="statevector", seed=seeds[0], label="decouple")
    yield Batch(cycle, metadata("cycle"), shots, seed=seeds[1], label="cycle")
    if not runtime:
        yield Batch(
            [pieces.cycle(rho, n_couple, n_relax, snapshot=True) for rho in injected],
            metadata("shot_free"),
            kind="states",
            seed=seeds[2],
            label="shot-free",
        )
    return {
        "metadata": {
            "shots": settings.shots,
            "seed": settings.seed,
            "sampler_seeds": seeds,
            "clbits": CLBITS,
            **device_part,
        },
        "prepared_states": [matrix(rho) for rho in injected],
    }


def _what(spec: HeatPumpSpec, runtime: bool) -> str:
    return f"spec {spec.key()!r} (qubits A, B and their two bath ancillas" + (
        ", with a purifier each)" if runtime else ")"
    )
