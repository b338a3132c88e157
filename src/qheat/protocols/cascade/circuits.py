""""""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import Kraus

from qheat.circuits.preparation import (
    purification_circuit,
    star_branches,
    temporal_branches,
)
from qheat.physics.states import gibbs_state
from qheat.physics.tomography import measurement_circuit, settings
from qheat.protocols.cascade.collisions import collision_stages
from qheat.protocols.cascade.spec import CascadeSpec

DEPHASING = Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])


def bath_angle(t_r: float, delta: float = 1.0) -> float:
    """theta with RY(theta)|0> having excited population p_1(T_R) = sin^2(theta / 2)."""
    p1 = float(np.real(gibbs_state(t_r, delta)[1, 1]))
    return 2.0 * float(np.arcsin(np.sqrt(p1)))


Compiler = Callable[[QuantumCircuit], QuantumCircuit]


def _identity(qc: QuantumCircuit) -> QuantumCircuit:
    return qc


def measured_qubits(spec: CascadeSpec) -> list[int]:
    """The qubits that tomography measures: the system, and R with ``tomography = "system+bath"``."""
    return list(range(spec.n + (spec.measurement.tomography == "system+bath")))


class CascadeCircuits:
    """The circuits of one spec, built from pieces compiled once each (``compile``: e.g. a transpiler
    bound to a backend): the bath refresh, the segments of a collision, the measurement settings.

    Composing compiled pieces keeps every circuit in the backend's basis without transpiling it
    again: the cost of building 10^4 circuits is the cost of copying them.
    """

    def __init__(self, spec: CascadeSpec, compile: Compiler = _identity, dephasing: str = "measure") -> None:
        if dephasing not in ("measure", "phase"):
            raise ValueError(f"dephasing must be 'measure' or 'phase', got {dephasing!r}")
        self.spec = spec
        self.compile = compile
        self.dephasing = dephasing
        n = spec.n
        theta = bath_angle(spec.bath.temperature, spec.system.delta)
        stages = collision_stages(spec.protocol, n, spec.interaction.g, spec.interaction.tau, spec.order)
        self.segments: dict[int, tuple[QuantumCircuit, int]] = {}
        position = 0
        for stage in stages:
            qc = QuantumCircuit(n + 1)
            qc.append(stage.gate, list(stage.qubits))
            self.segments[position] = (compile(qc), len(stage.subsystems))
            position += len(stage.subsystems)
        # True/False: a bath refresh with/without a snapshot; "phase": (reset + RY, the Z of a phase bit)
        self.refresh: dict[bool | str, QuantumCircuit | tuple[QuantumCircuit, QuantumCircuit]] = {}
        for snapshot in (True, False):
            qc = QuantumCircuit(n + 1, 0 if snapshot else 1)
            qc.reset(n)
            qc.ry(theta, n)
            if snapshot:
                qc.append(DEPHASING, [n])
            else:
                qc.measure(n, 0)
            self.refresh[snapshot] = compile(qc)
        qc = QuantumCircuit(n + 1)
        qc.reset(n)
        qc.ry(theta, n)
        flip = QuantumCircuit(n + 1)
        flip.z(n)
        self.refresh["phase"] = (compile(qc), compile(flip))
        self.measured = measured_qubits(spec)
        self.settings = settings(len(self.measured))
        self._settings: dict[tuple[int, ...], QuantumCircuit] = {}

    def start(self, prep: QuantumCircuit, *, snapshot: bool) -> QuantumCircuit:
        """A circuit with system, R (and ancillas), the ``bath`` register (unless ``snapshot``) and ``prep``
        (compiled) on the system and ancillas, or on system and R if its metadata says
        ``{"qubits": "system+bath"}`` (``preparation.star_vector_circuit``: R must end in |0>)."""
        n = self.spec.n
        with_bath = (prep.metadata or {}).get("qubits") == "system+bath"  # a star preparation through R
        ancillas = 0 if with_bath else prep.num_qubits - n
        regs = [QuantumRegister(n, "s"), QuantumRegister(1, "r")]
        if ancillas:
            regs.append(QuantumRegister(ancillas, "a"))
        qc = QuantumCircuit(*regs)
        if not snapshot and self.dephasing == "measure":
            qc.add_register(ClassicalRegister(1, "bath"))
        qubits = list(range(n + 1)) if with_bath else list(range(n)) + list(range(n + 1, n + 1 + ancillas))
        qc.compose(self.compile(prep), qubits=qubits, inplace=True)
        return qc

    def refreshes(self, start: int, stop: int) -> int:
        """``CascadeSpec.refreshes``: the bath refreshes of the interactions start+1..stop."""
        return self.spec.refreshes(start, stop)

    def evolve(
        self,
        qc: QuantumCircuit,
        start: int,
        stop: int,
        *,
        snapshot: bool,
        records: Iterable[int] = (),
        save_qubits: list[int] | None = None,
        phases: tuple[int, ...] = (),
    ) -> QuantumCircuit:
        """Append the interactions start+1..stop to ``qc`` (in place), refreshing the bath at every
        collision start; in ``snapshot`` circuits save the density matrix of ``save_qubits`` after each
        step of ``records`` (label ``step<k>``: the whole circuit Aer would simulate, which the snapshots
        engine replaces by the pieces' channels; the tests' reference). With ``dephasing = "phase"``,
        ``phases`` holds the bit b of Z^b for each refresh (``refreshes(start, stop)`` of them)."""
        n = self.spec.n
        records = set(records)
        width = list(range(n + 1))
        phase = not snapshot and self.dephasing == "phase"
        if phase and len(phases) != self.refreshes(start, stop):
            raise ValueError(f"{self.refreshes(start, stop)} refreshes need as many phase bits, got {phases}")
        if snapshot and start in records:
            qc.save_density_matrix(save_qubits, label=f"step{start}")
        r = 0
        for refresh, position, step in self.schedule(start, stop):
            if refresh and phase:
                reset_ry, flip = self.refresh["phase"]
                qc.compose(reset_ry, qubits=width, inplace=True)
                if phases[r]:
                    qc.compose(flip, qubits=width, inplace=True)
                r += 1
            elif refresh:
                qc.compose(
                    self.refresh[snapshot], qubits=width, clbits=[] if snapshot else [qc.cregs[0][0]], inplace=True
                )
            qc.compose(self.segments[position][0], qubits=width, inplace=True)
            if snapshot and step in records:
                qc.save_density_matrix(save_qubits, label=f"step{step}")
        return qc

    def schedule(self, start: int, stop: int) -> Iterator[tuple[bool, int, int]]:
        """The interactions start+1..stop segment by segment: (the bath refreshed first?, the segment's
        position in ``segments``, the step after it)."""
        n, step = self.spec.n, start
        while step < stop:
            position = step % n
            step += self.segments[position][1]
            yield position == 0, position, step

    def snapshot_pieces(self) -> dict[str, QuantumCircuit]:
        """Every piece a snapshot evolution is made of, on system and R: the bath refresh and each segment
        ("refresh", "segment<position>"), in the order of ``schedule``'s keys."""
        return {"refresh": self.refresh[True], **{f"segment{p}": qc for p, (qc, _) in self.segments.items()}}

    def setting_circuit(self, setting: tuple[int, ...]) -> QuantumCircuit:
        """The compiled basis rotations and measurements of one Pauli setting on the measured qubits."""
        if setting not in self._settings:
            self._settings[setting] = self.compile(measurement_circuit(setting))
        return self._settings[setting]

    def measure(
        self, qc: QuantumCircuit, setting: tuple[int, ...], piece: QuantumCircuit | None = None
    ) -> QuantumCircuit:
        """``qc`` followed by the Pauli measurement ``setting`` into a ``meas`` register; ``piece``: the
        setting's circuit to use instead of ``setting_circuit(setting)`` (e.g. its gates folded)."""
        out = qc.copy()
        creg = ClassicalRegister(len(self.measured), "meas")
        out.add_register(creg)
        out.compose(
            self.setting_circuit(setting) if piece is None else piece,
            qubits=self.measured,
            clbits=list(creg),
            inplace=True,
        )
        return out


def branches(spec: CascadeSpec, rho: np.ndarray, star: bool = False) -> list[tuple[float, Any]]:
    """(weight, preparation circuit) pairs: eigenvectors (temporal averaging) or one purification.
    ``star``: a device layout (Runtime backends): circuits whose two-qubit gates all touch R, the
    state projected onto the excitation blocks (``preparation.star_branches``)."""
    if spec.execution.preparation == "purification":
        return [(1.0, purification_circuit(rho))]
    if star:
        return [(b.weight, b.circuit) for b in star_branches(rho)]
    return [(b.weight, b.circuit) for b in temporal_branches(rho)]
