"""What Runtime's twirled, PEC and PEA estimates converge to with unlimited shots: the bias of each
technique, free of sampling noise.

A circuit is boxed as the executor Estimator boxes it for PEC/PEA (samplomatic's
``generate_boxing_pass_manager``: one layer of two-qubit gates per box, the single-qubit gates before it
absorbed into the box's left dressing, every active qubit in every box). On the device each box runs as
its dressing -- per qubit its gates U_q times the twirl's random Pauli P_q, synthesised rz-sx-rz-sx-rz
(two SX) -- then its two-qubit layer L. Its noise channel is N = E_L L N_D L^dag (E_L L the noisy layer,
N_D the dressing's noise, a product over qubits). Twirling makes it, in expectation, the Pauli channel
with fidelities f_Q = Tr(Q Nbar(Q)) / 2^n of the channel averaged over the twirl; as the twirl's Paulis
are uniform and independent per qubit, Nbar = E_L L (x)_q [mean_P N_q(P U_q)] L^dag (van den Berg et
al., Nat. Phys. 19, 1116 (2023), Eq. 1). A twirled box is its ideal unitary followed by that channel.
The learner (NoiseLearnerV3; on ``fake:`` ``backends.runtime.estimator.layer_channel``) sees the same
layer with Pauli-only dressings (U_q = 1): its fidelities g_Q differ from f_Q only through the dressing
noise's dependence on U_q (relaxation during the SX is not covariant under the dressing's rotations).
The mitigations act on each Pauli component after the box:

- ``twirled``: f_Q (no mitigation);
- ``pec``: f_Q / g_Q (PEC's quasi-probability inverse of the learned Pauli-Lindblad map);
- ``pea`` at noise factor lam: f_Q g_Q^(lam - 1) (probabilistic error amplification injects the learned
  map lam - 1 more times; Kim et al., Nature 618, 500 (2023)); the factors are then extrapolated
  linearly in the state (``physics.tomography.richardson_weights``).

PEC and PEA act on boxes with an entangler only; the terminal box (the dressing that undoes the last
twirl) keeps its noise, unless TREX runs (``states(..., trex=True)``): its dressing is then the twirled
measurement's, whose calibration divides out, to first order, that noise with the readout's.

Resets run exactly, barriers are dropped, single-qubit gates no box absorbed run untwirled with their own
noise. Pure numerics on a few qubits (4^n Pauli components).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from qheat.mitigation.pauli import pauli_matrix
from qheat.physics.dense import OPERATORS

RULES = ("ideal", "twirled", "pec", "pea")  # what gain_rules models


@functools.lru_cache(maxsize=4)
def _pauli_rows(width: int) -> np.ndarray:
    """A with A vec_F(rho) = (Tr(Q rho))_Q over all 4^width Paulis (Qiskit order: last character qubit 0)."""
    return np.array(
        [pauli_matrix("".join(p)).reshape(-1, order="F").conj() for p in itertools.product("IXYZ", repeat=width)]
    )


def boxed(circuit):
    """``circuit`` boxed as the executor Estimator boxes it for PEC and PEA."""
    from samplomatic.transpiler import generate_boxing_pass_manager

    pm = generate_boxing_pass_manager(
        enable_gates=True,
        enable_measures=False,
        twirling_strategy="active_circuit",
        remove_barriers="immediately",
    )
    return pm.run(circuit.remove_final_measurements(inplace=False))


def dressing(unitary: np.ndarray, qc, qubit: int) -> None:
    """Append ``unitary`` (2x2) to ``qc`` as rz-sx-rz-sx-rz, the dressing's fixed two-SX form."""
    from qiskit.synthesis import OneQubitEulerDecomposer

    theta, phi, lam = OneQubitEulerDecomposer("U3").angles(unitary)
    qc.rz(lam, qubit)
    qc.sx(qubit)
    qc.rz(theta + np.pi, qubit)
    qc.sx(qubit)
    qc.rz(phi + np.pi, qubit)


_PAULIS = tuple(OPERATORS[c] for c in "IXYZ")


def box_parts(instruction, circuit) -> tuple[dict[int, np.ndarray], list[tuple[Any, tuple[int, ...]]]]:
    """A left-dressed box as (each of its qubits' single-qubit unitary, its two-qubit layer)."""
    from qiskit.quantum_info import Operator

    body = instruction.operation.body
    qubits = [circuit.find_bit(q).index for q in instruction.qubits]
    ones = {q: np.eye(2, dtype=complex) for q in qubits}
    layer: list[tuple[Any, tuple[int, ...]]] = []
    for inst in body.data:
        qs = tuple(qubits[body.find_bit(q).index] for q in inst.qubits)
        if len(qs) == 1:
            if any(qs[0] in g for _, g in layer):
                raise ValueError("a single-qubit gate after a box's two-qubit layer (not a left-dressed box)")
            ones[qs[0]] = Operator(inst.operation).data @ ones[qs[0]]
        elif inst.operation.name != "barrier":
            layer.append((inst.operation, qs))
    return ones, layer


class Expected:
    """Shot-free expectation of boxed, twirled circuits on ``width`` qubits under the device's noise:
    ``noise_sim`` an Aer superop simulator with its noise model on the ``width`` qubits, ``single[q]``
    the same for qubit q alone (its single-qubit errors).

    A box's noise is N = E_L L N_D L^dag (E_L L the noisy layer, N_D the dressing's noise), and its
    twirl averages N_D over the random Pauli P merged into each qubit's dressing: per qubit the mean of
    N_q(P U_q) over the four Paulis (the qubits' single-qubit errors are independent), U_q the box's own
    gates on qubit q. The learner sees the same layer with Pauli-only dressings (U_q = 1)."""

    def __init__(self, noise_sim, width: int, single: Sequence[Any]) -> None:
        self.sim = noise_sim
        self.single = list(single)
        self.width = width
        self.rows = _pauli_rows(width)
        self.layers: dict[Any, tuple[np.ndarray, np.ndarray]] = {}  # key -> (noisy, ideal) PTM of the layer
        self.dressings: dict[Any, np.ndarray] = {}  # (qubit, U) -> twirl-averaged PTM of its dressing noise
        self.plain: dict[Any, np.ndarray] = {}

    def _ptm(self, superop: np.ndarray) -> np.ndarray:
        return np.real(self.rows @ superop @ self.rows.conj().T) / 2**self.width

    def superops(self, circuits: Sequence, sim: Any = None) -> list[np.ndarray]:
        """The noisy superoperator (column stacking) of each circuit, one Aer run of ``sim`` (default:
        the full-width simulator)."""
        if not circuits:
            return []
        from qiskit.circuit.library import UnitaryGate
        from qiskit.quantum_info import Operator

        sim = self.sim if sim is None else sim
        native = set(sim.configuration().basis_gates)
        probes = []
        for qc in circuits:
            p = qc.copy_empty_like()
            for inst in qc.data:  # Aer's superop method lacks e.g. ECR: a unitary labelled so keeps its noise
                op = inst.operation
                p.append(op if op.name in native else UnitaryGate(Operator(op), label=op.name), inst.qubits)
            p.save_superop()
            probes.append(p)
        result = sim.run(probes).result()
        return [np.asarray(result.data(i)["superop"]) for i in range(len(probes))]

    def _layer(self, key, layer) -> tuple[np.ndarray, np.ndarray]:
        if key not in self.layers:
            from qiskit import QuantumCircuit
            from qiskit.quantum_info import Operator

            qc = QuantumCircuit(self.width)
            for op, qs in layer:
                qc.append(op, qs)
            u = Operator(qc).data
            self.layers[key] = (self._ptm(self.superops([qc])[0]), self._ptm(np.kron(u.conj(), u)))
        return self.layers[key]

    def _dressings(self, wanted: set) -> None:
        """Dressing-noise PTMs (4x4) for each wanted (qubit, rounded U, place), in the frame of the ideal
        U: a box's dressing runs P U Q (P its twirl, Q the previous box's compensating Pauli), its noise
        N(PUQ) seen as P N(PUQ) P after U, averaged over P and Q -- Q = 1 in a qubit's first box, and the
        terminal box (no layer, no twirl of its own) runs U Q with its noise N(UQ) as it is."""
        from qiskit import QuantumCircuit

        rows = _pauli_rows(1)
        signs = [np.diag([1.0, *(1.0 if b in (0, a) else -1.0 for a in range(1, 4))]) for b in range(4)]
        pairs: dict[str, list[tuple[int | None, int]]] = {
            "first": [(j, 0) for j in range(4)],
            "middle": [(j, k) for j in range(4) for k in range(4)],
            "terminal": [(None, k) for k in range(4)],
        }
        for q in sorted({w[0] for w in wanted}):
            items = [w for w in wanted if w[0] == q and w not in self.dressings]
            circuits, terms = [], []
            for _, u_key, place in items:
                u = (np.array(u_key[0]) + 1j * np.array(u_key[1])).reshape(2, 2)
                for j, k in pairs[place]:
                    v = (np.eye(2) if j is None else _PAULIS[j]) @ u @ _PAULIS[k]
                    qc = QuantumCircuit(1)
                    dressing(v, qc, 0)
                    circuits.append(qc)
                    terms.append((np.real(rows @ np.kron(v.conj(), v) @ rows.conj().T) / 2, signs[j or 0]))
            noisy = iter(np.real(rows @ s @ rows.conj().T) / 2 for s in self.superops(circuits, self.single[q]))
            at = iter(terms)
            for item in items:
                count = len(pairs[item[2]])
                acc = np.zeros((4, 4))
                for _ in range(count):
                    ideal, sign = next(at)
                    acc += sign @ next(noisy) @ ideal.T @ sign
                self.dressings[item] = acc / count

    def _box_channel(self, key, layer, ones: dict[int, tuple]) -> np.ndarray:
        """A box's noise channel (PTM) after its ideal unitary: diag(f_L) . R_L Mbar R_L^T, f_L the Pauli
        fidelities of the layer's noise (twirled), Mbar the product of the qubits' averaged dressing
        noise (``ones``: qubit -> (U key, place)); a terminal box (no layer) is Mbar itself."""
        noisy, ideal = self._layer(key, layer)
        dress = np.ones((1, 1))
        for q in reversed(range(self.width)):  # Qiskit order: the highest qubit first in the kron
            dress = np.kron(dress, self.dressings[(q, *ones[q])] if q in ones else np.eye(4))
        if not layer:
            return dress
        f_layer = np.einsum("qk,qk->q", noisy, ideal)
        return f_layer[:, None] * (ideal @ dress @ ideal.T)

    def states(
        self, circuits: Sequence, rhos: Sequence[np.ndarray], gains: dict[str, Any], *, trex: bool = False
    ) -> dict[str, list[np.ndarray]]:
        """The final state of each circuit started in ``rhos`` (full width) for each named rule of
        ``gain_rules``. Single-qubit gates that no box absorbed (on qubits without two-qubit gates) run
        untwirled with their own noise (noiseless under the rule None). The terminal box (no entangler)
        keeps its noise under every rule; with ``trex`` it runs ideal: with TREX its dressing is that of
        the twirled measurement, whose calibration divides out, to first order, the dressing's noise with
        the readout's."""
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import Operator

        plans = []
        wanted: set = set()
        plain: dict[Any, Any] = {}  # single-qubit gates no box absorbed: they run untwirled
        for qc in circuits:
            b = boxed(qc)
            ops: list[tuple] = []
            seen: set[int] = set()  # qubits that a box has twirled already
            for inst in b.data:
                name = inst.operation.name
                if name == "box":
                    ones, layer = box_parts(inst, b)
                    key = tuple((op.name, tuple(float(p) for p in op.params), qs) for op, qs in layer)
                    identity = _u_key(np.eye(2))
                    if not layer:  # the terminal right-dressed box: its dressing undoes the last twirl
                        actual = {q: (_u_key(u), "terminal") for q, u in ones.items()}
                        learned = {q: (identity, "terminal") for q in ones}
                    else:
                        actual = {q: (_u_key(u), "middle" if q in seen else "first") for q, u in ones.items()}
                        learned = {q: (identity, "middle") for q in ones}  # the learner's random dressings
                    seen |= set(ones)
                    wanted |= {(q, *v) for q, v in actual.items()} | {(q, *v) for q, v in learned.items()}
                    box = QuantumCircuit(self.width)
                    for q, u in ones.items():
                        box.unitary(u, [q])
                    for op, qs in layer:
                        box.append(op, qs)
                    ops.append(("box", Operator(box).data, key, layer, actual, learned))
                elif name == "reset":
                    ops.append(("reset", b.find_bit(inst.qubits[0]).index))
                elif inst.operation.num_qubits == 1 and hasattr(inst.operation, "to_matrix"):
                    lone = QuantumCircuit(self.width)
                    lone.append(inst.operation, [b.find_bit(inst.qubits[0]).index])
                    name_ = _signature(lone)
                    if name_ not in self.plain:
                        plain[name_] = lone
                    ops.append(("plain", Operator(lone).data, name_))
                elif name not in ("barrier", "delay"):
                    raise ValueError(f"{name} outside a box: not modelled")
            plans.append(ops)
        for name_, superop in zip(plain, self.superops(list(plain.values()))):
            self.plain[name_] = superop
        self._dressings(wanted)
        d = 2**self.width
        out: dict[str, list[np.ndarray]] = {name: [] for name in gains}
        for ops, rho0 in zip(plans, rhos):
            channels = [
                (self._box_channel(op[2], op[3], op[4]), np.diag(self._box_channel(op[2], op[3], op[5])))
                if op[0] == "box"
                else None
                for op in ops
            ]
            for name, gain in gains.items():
                rho = np.asarray(rho0, dtype=complex)
                for op, fg in zip(ops, channels):
                    if op[0] == "reset":
                        rho = _reset(rho, op[1], self.width)
                    elif op[0] == "plain":
                        if gain is None:
                            rho = op[1] @ rho @ op[1].conj().T
                        else:
                            rho = (self.plain[op[2]] @ rho.reshape(-1, order="F")).reshape(d, d, order="F")
                    else:
                        u = op[1]
                        rho = u @ rho @ u.conj().T
                        assert fg is not None  # every box has its channel
                        box_channel, box_learned = fg
                        r = self.rows @ rho.reshape(-1, order="F")
                        if gain is not None and (op[3] or not trex):
                            r = box_channel @ r
                            if op[3]:  # Runtime cancels or amplifies the noise of entangler boxes only
                                r = r * gain(box_learned)
                        rho = (self.rows.conj().T @ r).reshape(d, d, order="F") / d
                out[name].append(rho)
        return out


def _u_key(u: np.ndarray) -> tuple:
    """A hashable single-qubit unitary, its global phase fixed (first nonzero entry of row 0 real >= 0)."""
    u = np.asarray(u, dtype=complex)
    lead = u[0, 0] if abs(u[0, 0]) > 1e-9 else u[0, 1]
    u = u * np.exp(-1j * np.angle(lead))
    return (tuple(np.round(u.real, 10).ravel()), tuple(np.round(u.imag, 10).ravel()))


def _signature(qc) -> tuple:
    return tuple(
        (
            i.operation.name,
            tuple(round(float(p), 12) for p in i.operation.params),
            tuple(qc.find_bit(q).index for q in i.qubits),
        )
        for i in qc.data
    )


def _reset(rho: np.ndarray, qubit: int, width: int) -> np.ndarray:
    """Reset ``qubit`` (Qiskit order) to |0>: Kraus operators |0><0| and |0><1| on it."""
    out = np.zeros_like(rho)
    for k in (np.array([[1, 0], [0, 0]]), np.array([[0, 1], [0, 0]])):
        full = np.kron(np.kron(np.eye(2 ** (width - 1 - qubit)), k), np.eye(2**qubit))
        out = out + full @ rho @ full.conj().T
    return out


def gain_rules(techniques: Sequence[str], factors: Sequence[float] = (1, 3, 5)) -> dict[str, Any]:
    """Named rules for ``Expected.states``, each the per-Pauli multiplier applied after a box's noise
    given the learned fidelities g (None: no noise at all), PEA one rule per noise factor (``pea@<lam>``)."""
    rules: dict[str, Any] = {}
    for t in techniques:
        if t == "ideal":
            rules[t] = None
        elif t == "twirled":
            rules[t] = lambda g: 1.0
        elif t == "pec":
            rules[t] = lambda g: 1.0 / g
        elif t == "pea":
            for lam in factors:
                rules[f"pea@{lam:g}"] = lambda g, lam=lam: g ** (lam - 1)
        else:
            raise ValueError(f"unknown technique {t!r}; choose from {', '.join(RULES)}")
    return rules
