"""Gate-model reservoirs: each bosonic reservoir of seeds 003/004 emulated by repeated collisions with
fresh thermal ancilla qubits (pure builders; ``experiment`` makes the batches, ``analysis`` reads the records).

Physics
-------
Reservoir j (A: j = 0 on qubit 0; B: j = 1 on the last qubit) couples through sigma_x of its qubit
(``rwa`` specs: s+ A + s- A^dag, which gives the same eigenoperators below). Split it into
eigenoperators of H_S (``qheat.physics.open_systems.hamiltonian``),

    sigma_x^j = sum_{w > 0} [V_j(w) + V_j(w)^dag],   [H_S, V_j(w)] = -w V_j(w),

grouping Bohr frequencies equal within QuTiP's secular tolerance (1e-6 of the smallest level
spacing, the same rule as qheat's 'lindblad' master equation).

*Global collision* (-> global Born-Markov-secular Lindblad, qheat method 'lindblad'): for each j and
each w with V_j(w) != 0 a fresh ancilla of frequency w, thermal at T_j (excited population
p = 1/(1 + e^{w/T_j})), meets the system through

    U_{j,w} = exp[-i theta_{j,w} (V_j(w) s+ + V_j(w)^dag s-)],

which conserves H_S + w s+ s- exactly. Tracing out the ancilla, one collision maps
rho -> rho + theta^2 [(1-p) D[V] + p D[V^dag]] rho + O(theta^4), while the Lindblad equation over dt
adds dt [J(w)(1+n) D[V] + J(w) n D[V^dag]] (n = Bose occupation; J(w)(1+n) = S(w) and J(w) n = S(-w)
are ``open_systems.power_spectrum``, i.e. J is its ``rate_function``: seed 003's g, twice seed 004's
Ohmic-Drude J). With 1 - p = (1+n)/(1+2n) and p = n/(1+2n) the two agree to O(dt^2) when

    theta_{j,w}^2 = J_j(w) (1 + 2 n_j(w)) dt = [S_j(w) + S_j(-w)] dt        (rate matching).

*Local collision* (-> qheat method 'local'): a partial SWAP XXPlusYYGate(2 theta) between qubit j and
an ancilla at the qubit's bare frequency w_j, theta^2 = J_j(w_j)(1 + 2 n_j(w_j)) dt. It conserves
w_j sigma_z^j/2 + H_anc but not H_S: the coupling term of H_S makes the collision cost work, so the
ancillas' energy change (the bath-side current w_j Tr[sigma_z^j/2 D_j rho]) differs from qheat's
local q_j = Tr[H_S D_j rho], and q_A + q_B != 0 on the bath side (seed 003's system: q_A = -q_B/2).

One *round* is exp(-i H_S dt) (free evolution) and then every collision of A, then every one of B,
in the order of ``collisions()``. For the global model the free evolution commutes with the
collision channel (the channel is covariant), so it changes neither the steady state nor the
currents; it is kept (in the eigenframe it is a diagonal gate of Rz's) so that one round is one
time step dt of the physical model. For the local model it is essential (it carries the coupling).

Compilation
-----------
The global model runs in the eigenframe: W (columns = eigenvectors of H_S, energies ascending,
eigenstate i labelled by the bit string of i) maps it to the lab frame. For a two-qubit system with
E_0 + E_3 = E_1 + E_2 (both seed 003's exchange and seed 004's xx coupling) every V_j(w) lowers one
*dressed bit* k by the same w, with an amplitude c_o that depends on the other bits o:
V = (sum_o c_o |o><o|) (x) sigma_-^k in the eigenframe. The energy-resolved partial SWAP is then

    c_o all equal:       XXPlusYYGate(2 theta c) on (k, ancilla)                            2 CX
    c_1 = -c_0 (n = 2):  CZ(o, k) . XXPlusYYGate(2 theta c_0) . CZ(o, k)                    4 CX
    otherwise:           the exact 3-qubit unitary as a UnitaryGate (Qiskit synthesis)

(CZ(o, k) turns sigma_-^k into Z_o sigma_-^k). Both papers' systems need only the first two kinds: each
V_j(w) has amplitudes +-c (e.g. seed 003: 0.924, 0.924 and 0.383, -0.383).
A literal round is W^dag, the partial SWAPs, W; since only the ancillas are measured, consecutive
W W^dag cancel, so the circuit prepares its initial state directly in the eigenframe and applies W
once, at the end, so that the system register ends in the lab frame.

Two-qubit gates per round, measured with ``round_gate_counts`` (free evolution, four ancilla
resets + RY and the collisions, transpiled to ['cx', 'rz', 'sx', 'x'] at optimization level 3):

    system                                        global, eigenframe   global, W^dag..W   local
    seed 003 Fig. 4 (omega = 1, 2; lambda = 0.5)          10 CX              14 CX         6 CX
    seed 004 Fig. 3 (eps = 5, 4; g = 0.5)                 12 CX              14 CX         6 CX

(4 global collisions per round, at Bohr frequencies 0.7929 and 2.2071 for seed 003, 3.8206 and
5.2348 for seed 004; the local round is 2 partial SWAPs of 2 CX plus exp(-i H_S dt)). A 3-qubit
UnitaryGate of the exact collision unitary instead transpiles to 12-19 CX per collision, about 60
per round.

Ancillas and measurement
------------------------
One ancilla qubit (index n) is reused: every collision starts with ``reset`` and RY(2 arcsin sqrt p).
prep="measure" then measures it in Z: the outcome is discarded in relaxation rounds, and it is the
first point of a two-point (TPM) measurement in the measured rounds; either way the ancilla is the
thermal mixture diag(1-p, p), exactly. prep="purify" instead entangles it with a second ancilla
(qubit n+1, CX then left alone, reset before the next collision), the purification of the same
mixture: no classical randomness, so a density-matrix simulation is deterministic. prep="dephase"
applies the unconditional Z measurement as a channel (Aer's Kraus instruction) instead: the very
gates of prep="measure" with no classical bit, for a deterministic density-matrix run of the sampled
circuit (on a noisy device the gate errors are those of the sampled circuit; readout errors, which
Aer applies to the recorded bits only, are not). The system's initial mixture (thermal at a
temperature, in the eigenframe: a superposition with amplitudes sqrt(p_i), then dephased by Z
measurements, by CX to the purifier and reset, or by the channel) is built the same way.

In each measured round every collision's ancilla is measured before and after (register "tpm"):
the heat from reservoir j per unit time is q_j = -(1/dt) sum_w w <m_after - m_before>, positive
when the reservoir gives energy to the system; ``metadata["collisions"][i]["before_bits"]`` and
``["after_bits"]`` name the bits of collision i. The before-measurement costs nothing (it is the
preparation) and, since m_after = m_before in most collisions, it cuts the standard error 4-9 times
against <m_after> - p on the same counts (seed 003, dt = 2 and 0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit.library import (
    DiagonalGate,
    StatePreparation,
    UnitaryGate,
    XXPlusYYGate,
)
from qiskit.quantum_info import Kraus, Pauli
from scipy.linalg import expm
from scipy.special import expit

from qheat.core.errors import QheatError
from qheat.physics import open_systems
from qheat.physics.linalg import tensor_product
from qheat.physics.open_systems import QubitSystem, Reservoirs

MODELS = ("global", "local")
MASTER_EQUATION = {"global": "lindblad", "local": "local"}  # the qheat method each model approaches
RESERVOIR_NAMES = ("A", "B")
SIGMA_MINUS = open_systems.SIGMA_PLUS.dag().full()  # |0><1|: lowers the energy
SIGMA_X = open_systems.SIGMA_X.full()
ATOL = 1e-12
MAX_ANGLE = math.pi / 2  # beyond a quarter turn a collision no longer approximates the dissipator


# ----------------------------------------------------------------------------- operators


def on_qubit(op: np.ndarray, k: int, n: int) -> np.ndarray:
    """``op`` on qubit k of n in qheat/Qiskit order (basis index bit k is qubit k)."""
    return tensor_product(*(op if q == k else np.eye(2) for q in range(n)))


site = open_systems.site


def hamiltonian(system: QubitSystem) -> np.ndarray:
    """H_S as a dense array (qheat order), from ``open_systems.hamiltonian``."""
    return np.asarray(open_systems.hamiltonian(system).full())


def eigenbasis(system: QubitSystem) -> tuple[np.ndarray, np.ndarray]:
    """Energies (ascending) and W, whose column i is eigenvector i; each column's largest entry is real positive."""
    return open_systems.energy_basis(hamiltonian(system))


def eigenoperators(system: QubitSystem, operator: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """A = sum_w A(w) with [H_S, A(w)] = -w A(w), from ``open_systems.eigenoperators``."""
    return open_systems.eigenoperators(hamiltonian(system), operator, ATOL)


def lowering_parts(system: QubitSystem, res: Reservoirs, j: int) -> list[tuple[float, np.ndarray]]:
    """(w, V_j(w)) for w > 0: the parts of reservoir j's coupling operator that lower H_S by w."""
    n = system.n
    if res.coupling == "rwa":
        parts = eigenoperators(system, on_qubit(SIGMA_MINUS, site(j, n), n))
        if any(w <= 0 for w, _ in parts):
            raise QheatError("rotating-wave reservoirs need sigma_- to lower the energy at every Bohr frequency")
        return parts
    parts = eigenoperators(system, on_qubit(SIGMA_X, site(j, n), n))
    if any(w == 0 for w, _ in parts):
        raise QheatError(
            "sigma_x has a zero-frequency part for this system (degenerate levels): "
            "a collision model needs an ancilla of nonzero frequency"
        )
    return [(w, v) for w, v in parts if w > 0]


# ----------------------------------------------------------------------------- collisions


@dataclass(frozen=True)
class Collision:
    """One ancilla meeting the system: exp[-i theta (V s+ + V^dag s-)], ancilla thermal at ``temperature``."""

    reservoir: int  # 0: A, 1: B
    frequency: float  # the ancilla's frequency w (= the Bohr frequency V lowers)
    temperature: float
    theta: float
    operator: np.ndarray  # V in the lab (computational) basis, qheat order
    model: str

    @property
    def excited_population(self) -> float:
        """p = 1/(1 + e^{w/T}): the ancilla's thermal excited population."""
        return float(expit(-self.frequency / self.temperature))

    def describe(self) -> dict[str, Any]:
        return {
            "reservoir": RESERVOIR_NAMES[self.reservoir],
            "frequency": self.frequency,
            "temperature": self.temperature,
            "theta": self.theta,
            "excited_population": self.excited_population,
        }


def collision_angle(res: Reservoirs, j: int, w: float, dt: float) -> float:
    """theta with theta^2 = J_j(w) (1 + 2 n_j(w)) dt = [S_j(w) + S_j(-w)] dt (rate matching over dt).

    S_j is ``open_systems.power_spectrum``: the emission rate S(w) = J(1 + n) and absorption rate
    S(-w) = J n of a transition at w in qheat's master equations (J: its ``rate_function``).
    """
    spectrum = open_systems.power_spectrum(res, j)
    theta = float(math.sqrt((spectrum(w) + spectrum(-w)) * dt))
    if not theta <= MAX_ANGLE:
        raise QheatError(
            f"collisions.dt = {dt:g} gives a collision angle {theta:.3g} > pi/2 at frequency {w:.4g}: "
            "the collision model needs small angles; use a smaller dt"
        )
    return theta


def collisions(system: QubitSystem, res: Reservoirs, dt: float, model: str = "global") -> list[Collision]:
    """The collisions of one round in order: reservoir A's (w ascending), then B's."""
    if model not in MODELS:
        raise QheatError(f"unknown collision model {model!r}; expected one of {list(MODELS)}")
    if not (dt > 0 and math.isfinite(dt)):
        raise QheatError(f"the collision time step dt must be > 0, got {dt!r}")
    n, out = system.n, []
    for j in (0, 1):
        temperature = res.temperatures[j]
        if model == "local":
            w = system.frequencies[site(j, n)]
            parts = [(w, on_qubit(SIGMA_MINUS, site(j, n), n))]
        else:
            parts = lowering_parts(system, res, j)
        for w, v in parts:
            theta = collision_angle(res, j, w, dt)
            if theta > 0:
                out.append(Collision(j, float(w), temperature, theta, v, model))
    return out


def collision_generator(c: Collision) -> np.ndarray:
    """G = V s+ + V^dag s- on the system (low qubits) and the ancilla (the highest qubit)."""
    up = SIGMA_MINUS.T
    return np.kron(up, c.operator) + np.kron(up.T, c.operator.conj().T)


def collision_unitary(c: Collision) -> np.ndarray:
    """The exact lab-frame unitary exp(-i theta G) (ancilla = highest qubit)."""
    return expm(-1j * c.theta * collision_generator(c))


def _dressed_structure(v_eig: np.ndarray, n: int) -> tuple[int, np.ndarray] | None:
    """(k, c) if V = (sum_o c_o |o><o|) (x) sigma_-^k in the eigenframe (c indexed by the full index with bit k = 0)."""
    rows, cols = np.nonzero(np.abs(v_eig) > ATOL)
    flips = {int(a) ^ int(b) for a, b in zip(rows, cols)}
    if len(flips) != 1:
        return None
    mask = flips.pop()
    if mask & (mask - 1) or np.max(np.abs(v_eig.imag)) > ATOL:
        return None
    k = mask.bit_length() - 1
    if any(not (int(b) >> k) & 1 for b in cols):
        return None
    amps = np.zeros(2 ** (n - 1))
    others = [q for q in range(n) if q != k]
    for a, b in zip(rows, cols):
        o = sum(((int(a) >> q) & 1) << i for i, q in enumerate(others))
        amps[o] = v_eig[a, b].real
    return k, amps


def global_collision_circuit(c: Collision, w: np.ndarray, n: int) -> QuantumCircuit:
    """The energy-resolved partial SWAP in the eigenframe on n system qubits + the ancilla (qubit n)."""
    qc = QuantumCircuit(n + 1, name=f"coll_{RESERVOIR_NAMES[c.reservoir]}_{c.frequency:.4g}")
    v_eig = w.conj().T @ c.operator @ w
    structure = _dressed_structure(v_eig, n)
    if structure is None:
        return _exact_collision(qc, c, v_eig, n)
    k, amps = structure
    if np.allclose(amps, amps[0], atol=ATOL, rtol=0):
        qc.append(XXPlusYYGate(2.0 * c.theta * amps[0]), [k, n])
        return qc
    others = [q for q in range(n) if q != k]
    if len(others) == 1 and abs(amps[0] + amps[1]) <= ATOL:
        # V = c Z_o sigma_-^k = CZ (c sigma_-^k) CZ: the partial SWAP picks up a sign when o = 1
        qc.cz(others[0], k)
        qc.append(XXPlusYYGate(2.0 * c.theta * amps[0]), [k, n])
        qc.cz(others[0], k)
        return qc
    return _exact_collision(qc, c, v_eig, n)


def _exact_collision(qc: QuantumCircuit, c: Collision, v_eig: np.ndarray, n: int) -> QuantumCircuit:
    """Any other structure: the exact collision unitary, left to Qiskit's synthesis."""
    u = expm(
        -1j * c.theta * collision_generator(Collision(c.reservoir, c.frequency, c.temperature, c.theta, v_eig, c.model))
    )
    qc.append(UnitaryGate(u, label="collision"), range(n + 1))
    return qc


def local_collision_circuit(c: Collision, n: int) -> QuantumCircuit:
    """Partial SWAP XXPlusYYGate(2 theta) between the reservoir's qubit and the ancilla (qubit n)."""
    qc = QuantumCircuit(n + 1, name=f"coll_{RESERVOIR_NAMES[c.reservoir]}_local")
    qc.append(XXPlusYYGate(2.0 * c.theta), [site(c.reservoir, n), n])
    return qc


def collision_circuit(c: Collision, system: QubitSystem, frame: str = "lab") -> QuantumCircuit:
    """One collision as gates on n system qubits + the ancilla (qubit n).

    Global collisions: frame 'eigen' acts on the eigenframe (no basis change); frame 'lab' wraps
    the same gates in W^dag ... W. Local collisions are lab-frame partial SWAPs either way.
    """
    n = system.n
    if c.model == "local":
        return local_collision_circuit(c, n)
    _, w = eigenbasis(system)
    inner = global_collision_circuit(c, w, n)
    if frame == "eigen":
        return inner
    qc = QuantumCircuit(n + 1, name=inner.name)
    qc.append(UnitaryGate(w.conj().T, label="W^dag"), range(n))
    qc.compose(inner, inplace=True)
    qc.append(UnitaryGate(w, label="W"), range(n))
    return qc


def free_evolution(system: QubitSystem, dt: float, frame: str = "lab") -> QuantumCircuit:
    """exp(-i H_S dt): a DiagonalGate in the eigenframe, a UnitaryGate in the lab frame."""
    n = system.n
    qc = QuantumCircuit(n, name="free")
    if frame == "eigen":
        energies, _ = eigenbasis(system)
        qc.append(DiagonalGate(list(np.exp(-1j * energies * dt))), range(n))
    else:
        qc.append(UnitaryGate(expm(-1j * hamiltonian(system) * dt), label="exp(-iH dt)"), range(n))
    return qc


# ----------------------------------------------------------------------------- circuits


def _thermal_amplitudes(system: QubitSystem, temperature: float) -> np.ndarray:
    energies, _ = eigenbasis(system)
    weights = np.exp(-(energies - energies.min()) / temperature)
    return np.sqrt(weights / weights.sum())


def initial_state(system: QubitSystem, res: Reservoirs, initial: str | float = "thermal") -> np.ndarray:
    """The system's initial density matrix (lab frame): 'ground', 'thermal' (at (T_A + T_B)/2) or a temperature."""
    _, w = eigenbasis(system)
    if initial == "ground":
        pops = np.zeros(2**system.n)
        pops[0] = 1.0
    else:
        temperature = float(np.mean(res.temperatures)) if initial == "thermal" else float(initial)
        pops = _thermal_amplitudes(system, temperature) ** 2
    return w @ np.diag(pops) @ w.conj().T


def round_circuit(
    system: QubitSystem, res: Reservoirs, dt: float, model: str = "global", *, literal: bool = True, free: bool = True
) -> QuantumCircuit:
    """One round for gate counts and drawings: free evolution, then per collision reset + RY of the
    ancilla and the collision (no measurements; the resets keep the transpiler from merging gates
    of different ancillas). literal=True wraps the global round in W^dag ... W (lab frame in and out).
    """
    n = system.n
    frame = "eigen" if model == "global" else "lab"
    qc = QuantumCircuit(n + 1, name=f"round_{model}")
    _, w = eigenbasis(system)
    if literal and model == "global":
        qc.append(UnitaryGate(w.conj().T, label="W^dag"), range(n))
    if free:
        qc.compose(free_evolution(system, dt, frame), range(n), inplace=True)
    for c in collisions(system, res, dt, model):
        _prepare_ancilla(qc, n, None, c.excited_population, None)
        qc.compose(collision_circuit(c, system, frame), inplace=True)
    if literal and model == "global":
        qc.append(UnitaryGate(w, label="W"), range(n))
    return qc


BASIS = ("cx", "rz", "sx", "x")


def round_gate_counts(
    system: QubitSystem,
    res: Reservoirs,
    dt: float,
    model: str = "global",
    *,
    literal: bool = True,
    basis: tuple[str, ...] = BASIS,
    seed: int = 7,
) -> dict[str, int]:
    """Gate counts of one round after ``transpile(basis_gates=basis, optimization_level=3)``."""
    qc = transpile(
        round_circuit(system, res, dt, model, literal=literal),
        basis_gates=list(basis),
        optimization_level=3,
        seed_transpiler=seed,
    )
    ops = dict(qc.count_ops())
    ops["two_qubit"] = sum(1 for inst in qc.data if inst.operation.num_qubits == 2)
    return ops


def _dephasing() -> Any:
    """The unconditional Z measurement as a channel: rho -> diag(rho) on one qubit (an Aer 'kraus' instruction)."""
    return Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]).to_instruction()


def _prepare_ancilla(
    qc: QuantumCircuit, anc: int, purifier: int | None, p: float, bit: Any | None, dephase: bool = False
) -> None:
    qc.reset(anc)
    qc.ry(2.0 * math.asin(math.sqrt(p)), anc)
    if purifier is not None:
        qc.reset(purifier)
        qc.cx(anc, purifier)
    if bit is not None:
        qc.measure(anc, bit)
    if dephase:
        qc.append(_dephasing(), [anc])


def reservoir_circuit(
    system: QubitSystem,
    res: Reservoirs,
    dt: float,
    rounds: int,
    measured_rounds: int,
    *,
    model: str = "global",
    prep: str = "measure",
    record: str = "measure",
    initial: str | float = "thermal",
    free: bool = True,
    register: str = "tpm",
) -> QuantumCircuit:
    """``rounds`` collision rounds; the last ``measured_rounds`` record every ancilla.

    prep: 'measure' (RY then Z measurement: the thermal mixture; 3 qubits for two system qubits),
    'purify' (RY then CX to a second ancilla; 4 qubits) or 'dephase' (RY then the dephasing channel;
    3 qubits); the last two are deterministic under a density-matrix method.
    record: 'measure' (two-point Z measurements into register 'tpm'), 'save' (Aer
    save_expectation_value of Z on the ancilla before and after each measured collision, labels
    'z_before_<r>_<c>' and 'z_after_<r>_<c>', and save_density_matrix of the system, label
    'rho_system', at the end) or 'none'.
    initial: 'ground', 'thermal' (Gibbs state of H_S at (T_A + T_B)/2) or a temperature.
    prep='purify' with record='measure' (Runtime devices: no Kraus channel, no measurement but the records):
    the ancilla of a recorded collision is measured after its RY, every other one purified.
    register: the name of the two-point register ('meas' on Runtime devices, whose jobs return that one).
    """
    if prep not in ("measure", "purify", "dephase") or record not in ("measure", "save", "none"):
        raise QheatError(
            f"prep must be 'measure', 'purify' or 'dephase' and record 'measure', 'save' or 'none'; "
            f"got {prep!r}, {record!r}"
        )
    if record == "measure" and prep not in ("measure", "purify"):
        raise QheatError(
            "record='measure' needs prep='measure' or 'purify' (the Z measurement of a recorded "
            "ancilla is the first point of the two)"
        )
    if not (initial in ("ground", "thermal") or (isinstance(initial, int | float) and initial > 0)):
        raise QheatError(f"initial must be 'ground', 'thermal' or a positive temperature, got {initial!r}")
    if not 0 <= measured_rounds <= rounds:
        raise QheatError(f"measured_rounds must be between 0 and rounds = {rounds}, got {measured_rounds}")
    if record == "save":
        from qiskit_aer.library import SaveDensityMatrix, SaveExpectationValue
    n = system.n
    colls = collisions(system, res, dt, model)
    frame = "eigen" if model == "global" else "lab"
    energies, w = eigenbasis(system)
    blocks = [collision_circuit(c, system, frame) for c in colls]
    evolution = free_evolution(system, dt, frame) if free else None

    qreg = QuantumRegister(n, "sys")
    areg = QuantumRegister(2 if prep == "purify" else 1, "anc")
    qc = QuantumCircuit(qreg, areg)
    anc, purifier = n, (n + 1 if prep == "purify" else None)
    tpm = scratch = None
    if record == "measure" and measured_rounds:
        tpm = ClassicalRegister(2 * measured_rounds * len(colls), register)
        qc.add_register(tpm)
    if prep == "measure" and (rounds > measured_rounds or record != "measure"):
        scratch = ClassicalRegister(1, "prep")
        qc.add_register(scratch)

    # initial state, prepared in the eigenframe: sqrt(p_i) amplitudes, then dephased
    if initial != "ground":
        temperature = float(np.mean(res.temperatures)) if initial == "thermal" else float(initial)
        qc.append(StatePreparation(list(_thermal_amplitudes(system, temperature))), qreg)
        if prep == "measure":
            init = ClassicalRegister(n, "init")
            qc.add_register(init)
            qc.measure(qreg, init)
        elif prep == "dephase":
            for k in range(n):
                qc.append(_dephasing(), [k])
        else:
            for k in range(n):
                qc.reset(purifier)
                qc.cx(k, purifier)
            qc.reset(purifier)
    if frame == "lab":
        qc.append(UnitaryGate(w, label="W"), qreg)

    tpm_bits: list[list[list[int]]] = [[[], []] for _ in colls]  # per collision: before bits, after bits
    first = rounds - measured_rounds
    for r in range(rounds):
        if evolution is not None:
            qc.compose(evolution, range(n), inplace=True)
        for ci, (c, block) in enumerate(zip(colls, blocks)):
            measured = r >= first
            index = 2 * ((r - first) * len(colls) + ci)
            bit = None
            if prep == "measure":
                if measured and tpm is not None:
                    bit = tpm[index]
                else:  # an unrecorded round, or no records: the scratch bit exists exactly then
                    assert scratch is not None
                    bit = scratch[0]
            elif prep == "purify" and measured and tpm is not None:
                bit = tpm[index]
            _prepare_ancilla(
                qc, anc, None if bit is not None else purifier, c.excited_population, bit, dephase=prep == "dephase"
            )
            if measured and record == "save":
                qc.append(SaveExpectationValue(Pauli("Z"), label=f"z_before_{r - first}_{ci}"), [anc])
            qc.compose(block, range(n + 1), inplace=True)
            if measured and record == "measure":
                assert tpm is not None  # a measured round with record "measure" has its register
                qc.measure(anc, tpm[index + 1])
                tpm_bits[ci][0].append(index)
                tpm_bits[ci][1].append(index + 1)
            elif measured and record == "save":
                qc.append(SaveExpectationValue(Pauli("Z"), label=f"z_after_{r - first}_{ci}"), [anc])
    if frame == "eigen":
        qc.append(UnitaryGate(w, label="W"), qreg)
    if record == "save":
        qc.append(SaveDensityMatrix(n, label="rho_system"), qreg)

    qc.metadata = {
        "protocol": "reservoirs",
        "kind": "collision_reservoir",
        "model": model,
        "master_equation": MASTER_EQUATION[model],
        "frame": frame,
        "dt": dt,
        "rounds": rounds,
        "measured_rounds": measured_rounds,
        "prep": prep,
        "record": record,
        "initial": initial,
        "free_evolution": free,
        "system_qubits": list(range(n)),
        "ancilla_qubit": anc,
        "collisions": [
            c.describe() | {"before_bits": tpm_bits[i][0], "after_bits": tpm_bits[i][1]} for i, c in enumerate(colls)
        ],
        "register": register if tpm is not None else None,
        "energies": [float(e) for e in energies],
        "heat_sign": "q_j > 0: reservoir j gives energy to the system",
    }
    return qc
