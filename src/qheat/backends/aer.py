"""Aer backends: ``aer`` (ideal) and ``aer:<config>`` (noise model from ``hardware_configs/<config>.toml``).

Two ways to turn circuits into counts, with the same statistics:

- ``sample``: every circuit run by ``qiskit_aer.primitives.SamplerV2``, each with its own seed;
- ``evolve`` + ``superops``: Aer's density-matrix method saves the states a circuit labels, and its
  superoperator method gives the noisy channel of a circuit (the noise is the same on every qubit, so a
  piece's channel on the qubits it acts on is that of the piece alone). With the channels of a circuit's
  pieces, of each measurement circuit's basis rotations and the readout ``assignment`` matrix, a protocol
  has the exact outcome probabilities of the same circuits, and counts drawn from them are distributed as
  if each circuit had been run (the cascade's snapshots engine; tested against ``sample``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qheat.circuits import IDEAL_BASIS
from qheat.core.errors import QheatError

CONFIG_PACKAGE = "qheat.hardware_configs"


@dataclass(frozen=True)
class HardwareConfig:
    """A processor described by data: size, connectivity, basis, durations (s), relaxation (s), errors."""

    name: str
    description: str
    qubits: int
    coupling: str | tuple[tuple[int, int], ...]
    basis_gates: tuple[str, ...]
    single_qubit_time: float
    two_qubit_time: float
    t1: float
    t2: float
    single_qubit_depolarizing: float
    two_qubit_depolarizing: float
    readout: float
    excited_population: float = 0.0  # the population of |1> that relaxation drives toward (Aer's thermal relaxation)
    two_qubit_coherent_zz: float = 0.0  # rad: RZZ(angle) after every rzz, a fixed coherent over-rotation


def config_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(CONFIG_PACKAGE).iterdir() if p.name.endswith(".toml"))


def _positive(d: dict[str, Any], key: str, where: str, *, allow_zero: bool = False) -> float:
    value = d.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        raise QheatError(
            f"{where}.{key} must be a {'non-negative' if allow_zero else 'positive'} number, got {value!r}"
        )
    return float(value)


def load_config(name: str) -> HardwareConfig:
    """The hardware config ``name`` (a file of ``qheat/hardware_configs``); unknown names list the known ones."""
    if name not in config_names():
        raise QheatError(f"unknown hardware config {name!r}; available: {', '.join(config_names()) or 'none'}")
    text = resources.files(CONFIG_PACKAGE).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
        dur, rel, err = data["durations"], data["relaxation"], data["errors"]
        cfg = HardwareConfig(
            name=name,
            description=str(data.get("description", "")),
            qubits=int(data["qubits"]),
            coupling=data["coupling"]
            if isinstance(data["coupling"], str)
            else tuple((int(a), int(b)) for a, b in data["coupling"]),
            basis_gates=tuple(data["basis_gates"]),
            single_qubit_time=_positive(dur, "single_qubit", "durations", allow_zero=True),
            two_qubit_time=_positive(dur, "two_qubit", "durations", allow_zero=True),
            t1=_positive(rel, "t1", "relaxation"),
            t2=_positive(rel, "t2", "relaxation"),
            single_qubit_depolarizing=_positive(err, "single_qubit_depolarizing", "errors", allow_zero=True),
            two_qubit_depolarizing=_positive(err, "two_qubit_depolarizing", "errors", allow_zero=True),
            readout=_positive(err, "readout", "errors", allow_zero=True),
            excited_population=_positive(rel, "excited_population", "relaxation", allow_zero=True)
            if "excited_population" in rel
            else 0.0,
            two_qubit_coherent_zz=_angle(err, "two_qubit_coherent_zz"),
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise QheatError(f"hardware config {name!r} is malformed ({type(exc).__name__}: {exc})") from None
    if cfg.t2 > 2 * cfg.t1:
        raise QheatError(
            f"hardware config {name!r}: t2 = {cfg.t2} exceeds 2 t1 = {2 * cfg.t1}, which no qubit can have"
        )
    if cfg.excited_population > 1:
        raise QheatError(
            f"hardware config {name!r}: relaxation.excited_population = {cfg.excited_population} "
            "is a population; use a number in [0, 1]"
        )
    if cfg.two_qubit_coherent_zz and "rzz" not in cfg.basis_gates:
        raise QheatError(
            f"hardware config {name!r}: errors.two_qubit_coherent_zz acts on rzz gates; "
            "add 'rzz' to basis_gates or remove it"
        )
    return cfg


def _angle(d: dict[str, Any], key: str) -> float:
    value = d.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) < math.pi:
        raise QheatError(f"errors.{key} must be an angle in radians with |angle| < pi, got {value!r}")
    return float(value)


def noise_model(cfg: HardwareConfig):
    """Aer noise model, the same on every qubit: on every rzz first the coherent residual RZZ(angle)
    (``coherent_unitary_error``), then on every gate depolarizing and thermal relaxation for the gate's
    duration toward ``excited_population``; a symmetric readout error."""
    from qiskit.circuit.library import RZZGate
    from qiskit_aer.noise import (
        NoiseModel,
        ReadoutError,
        coherent_unitary_error,
        depolarizing_error,
        thermal_relaxation_error,
    )

    one = [g for g in cfg.basis_gates if g not in ("rz", "rzz", "cx", "cz", "ecr")]
    two = [g for g in cfg.basis_gates if g in ("rzz", "cx", "cz", "ecr")]
    model = NoiseModel(basis_gates=list(cfg.basis_gates))
    p1 = cfg.excited_population
    e1 = depolarizing_error(cfg.single_qubit_depolarizing, 1)
    if cfg.single_qubit_time > 0:
        e1 = e1.compose(thermal_relaxation_error(cfg.t1, cfg.t2, cfg.single_qubit_time, p1))
    model.add_all_qubit_quantum_error(e1, one)
    e2 = depolarizing_error(cfg.two_qubit_depolarizing, 2)
    if cfg.two_qubit_time > 0:
        relax = thermal_relaxation_error(cfg.t1, cfg.t2, cfg.two_qubit_time, p1)
        e2 = e2.compose(relax.expand(relax))
    rzz = e2
    if cfg.two_qubit_coherent_zz:
        rzz = coherent_unitary_error(RZZGate(cfg.two_qubit_coherent_zz).to_matrix()).compose(e2)
    for gate in two:
        model.add_all_qubit_quantum_error(rzz if gate == "rzz" else e2, gate)
    if cfg.readout > 0:
        r = cfg.readout
        model.add_all_qubit_readout_error(ReadoutError([[1 - r, r], [r, 1 - r]]))
    return model


_SUPEROP_CACHE = 512
_PASS_MANAGERS: dict[tuple, Any] = {}  # ([kind,] backend, config) -> pass manager, see AerBackend.pass_manager
_SUPEROPS: dict[tuple, np.ndarray] = {}  # (backend, config, circuit key) -> superoperator, see AerBackend.superops


def _circuit_key(qc: QuantumCircuit) -> tuple:
    """What fixes a circuit's channel: its width and every instruction (name, parameters, qubit indices)."""

    def param(p: Any) -> Any:
        return (p.shape, p.tobytes()) if isinstance(p, np.ndarray) else repr(p)

    return (
        qc.num_qubits,
        tuple(
            (
                ins.operation.name,
                tuple(param(p) for p in ins.operation.params),
                tuple(qc.find_bit(q).index for q in ins.qubits),
            )
            for ins in qc.data
        ),
    )


_NON_GATES = frozenset({"unitary", "reset", "measure", "barrier", "kraus"})


def _standard_only(qc: QuantumCircuit) -> bool:
    """Whether every instruction of ``qc`` is a standard gate of Qiskit's library, a unitary matrix, reset,
    measure, barrier or a Kraus channel: what ``_standard_pass_manager`` compiles as the preset one does."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = get_standard_gate_name_mapping()
    for ins in qc.data:
        name = ins.operation.name
        if name in _NON_GATES:
            continue
        if name == "delay" or name not in standard or type(ins.operation) is not type(standard[name]):
            return False
    return True


def _standard_pass_manager(target: Any):
    """Qiskit's level-1 preset pass manager for ``target`` (no coupling map), stage by stage, without
    HighLevelSynthesis: initial cancellation; UnitarySynthesis and BasisTranslator; then single-qubit
    resynthesis and inverse cancellation, re-translated if needed, until size and depth stop changing.
    HighLevelSynthesis leaves standard gates to the BasisTranslator (they are in the equivalence library) and
    unitary matrices to UnitarySynthesis (its default method is built in), so
    for circuits that ``_standard_only`` accepts the output is the preset one (tested on every piece of the
    cascade specs); building it loads no plugin (~3 ms instead of ~3 s)."""
    from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
    from qiskit.passmanager.flow_controllers import ConditionalController, DoWhileController
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import (
        BasisTranslator,
        ContractIdleWiresInControlFlow,
        Depth,
        FixedPoint,
        GatesInBasis,
        InverseCancellation,
        Optimize1qGatesDecomposition,
        Size,
        UnitarySynthesis,
    )

    def translation():
        return [UnitarySynthesis(target=target), BasisTranslator(SessionEquivalenceLibrary, None, target)]

    def fixed_point():
        return [Size(recurse=True), Depth(recurse=True), FixedPoint("size"), FixedPoint("depth")]

    pm = PassManager([InverseCancellation(), ContractIdleWiresInControlFlow(), *translation(), *fixed_point()])
    loop = [
        Optimize1qGatesDecomposition(target=target),
        InverseCancellation(),
        ContractIdleWiresInControlFlow(),
        GatesInBasis(target=target),
        ConditionalController(translation(), condition=lambda ps: not ps["all_gates_in_basis"]),
        *fixed_point(),
    ]
    pm.append(DoWhileController(loop, do_while=lambda ps: not (ps["depth_fixed_point"] and ps["size_fixed_point"])))
    return pm


class AerBackend:
    """``aer`` or ``aer:<config>``: compile, sample with SamplerV2, or evolve and draw (see module doc)."""

    sample_method = "density_matrix"

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "aer":
            self.config: HardwareConfig | None = None
        elif name.startswith("aer:"):
            self.config = load_config(name[4:])
        else:
            raise QheatError(f"{name!r} is not an Aer backend (use 'aer' or 'aer:<config>')")

    @cached_property
    def noise(self):
        return None if self.config is None else noise_model(self.config)

    @cached_property
    def simulator(self):
        from qiskit_aer import AerSimulator

        if self.config is None:
            return AerSimulator(method="density_matrix", basis_gates=IDEAL_BASIS)
        coupling = None
        if not isinstance(self.config.coupling, str):
            coupling = [list(p) for p in self.config.coupling] + [list(reversed(p)) for p in self.config.coupling]
        return AerSimulator(method="density_matrix", noise_model=self.noise, coupling_map=coupling)

    @property
    def max_qubits(self) -> int | None:
        return None if self.config is None else self.config.qubits

    def check_width(self, qubits: int, what: str) -> None:
        if self.max_qubits is not None and qubits > self.max_qubits:
            raise QheatError(f"{what} needs {qubits} qubits but {self.name} has {self.max_qubits}")

    @cached_property
    def _config_key(self) -> tuple[str, str]:
        """This backend's name and noise config: the key of the process-wide caches below."""
        return (self.name, repr(self.config))

    @property
    def pass_manager(self):
        """One preset pass manager per noise config and process (``optimization_level=1``): building one costs
        ~3 s, as Qiskit imports every installed transpiler and synthesis plugin (qiskit-experiments and
        qiskit-ibm-runtime among them), and the cases of a job share theirs."""
        from qiskit.transpiler import generate_preset_pass_manager

        key = self._config_key
        if key not in _PASS_MANAGERS:
            _PASS_MANAGERS[key] = generate_preset_pass_manager(
                optimization_level=1, target=self.simulator.target, seed_transpiler=0
            )
        return _PASS_MANAGERS[key]

    @property
    def standard_pass_manager(self):
        """The preset pass manager's passes for circuits of standard gates on a target without connectivity
        constraints, built without loading any plugin (``_standard_pass_manager``); None where the target has
        a coupling map (layout and routing are needed)."""
        key = ("standard", *self._config_key)
        if key not in _PASS_MANAGERS:
            target = self.simulator.target
            _PASS_MANAGERS[key] = None if target.build_coupling_map() is not None else _standard_pass_manager(target)
        return _PASS_MANAGERS[key]

    def compile(self, qc: QuantumCircuit) -> QuantumCircuit:
        """Transpile one circuit (a piece: preparation, collision segment, setting) to this backend.

        Circuits of standard gates (and unitary matrices, reset, measure, barrier, Kraus channels) go through
        ``standard_pass_manager``, anything else through the preset ``pass_manager``. On ideal ``aer`` a
        circuit wider than the density-matrix simulator's target (pure states for the statevector method) is
        transpiled to the ideal basis without a target."""
        if self.config is None and qc.num_qubits > self.simulator.target.num_qubits:
            from qiskit import transpile

            return transpile(qc, basis_gates=IDEAL_BASIS, optimization_level=1, seed_transpiler=0)
        if self.standard_pass_manager is not None and _standard_only(qc):
            return self.standard_pass_manager.run(qc)
        return self.pass_manager.run(qc)

    # ------------------------------------------------------------------ SamplerV2 path

    def sample(
        self,
        circuits: list[QuantumCircuit],
        shots: list[int],
        seed: int,
        register: str = "meas",
        method: str | None = None,
    ) -> list[dict[str, int]]:
        """Counts of ``register`` for every circuit (already compiled) from ``qiskit_aer.primitives.SamplerV2``.

        ``method``: Aer's simulation method (default ``sample_method``); "statevector" for pure-state
        circuits too wide for density matrices (ideal ``aer`` only).

        Each circuit gets its own seed, spaced by more than its shots. Aer's SamplerV2 runs the pubs
        of each shot count as one Aer job with the primitive's one seed, and Aer seeds the i-th circuit
        of a job alike in every job, so the i-th circuits of two shot-count groups (temporal averaging
        gives many) draw the same random numbers; with shared prefixes their counts were correlated
        (chi-square per record from 0.34 to 4.4 times its degrees of freedom instead of 1 +- 0.27).
        """
        from qiskit_aer.primitives import SamplerV2

        options: dict[str, Any] = {"backend_options": {"method": method or self.sample_method}}
        if self.noise is not None:
            options["backend_options"]["noise_model"] = self.noise
        stride = max([*shots, 1]) + 1
        out: list[dict[str, int]] = []
        for i, (qc, s) in enumerate(zip(circuits, shots)):
            if s <= 0:
                out.append({})
                continue
            sampler = SamplerV2(seed=(seed + i * stride) % 2**62, options=options)
            out.append(getattr(sampler.run([(qc, None, int(s))]).result()[0].data, register).get_counts())
        return out

    # ------------------------------------------------------------------ snapshot path

    def evolve(self, circuits: list[QuantumCircuit], seed: int) -> list[dict[str, np.ndarray]]:
        """The density matrices saved in each (compiled) circuit, by label; one Aer run."""
        if self.noise is not None and "reset" in self.noise.noise_instructions:
            raise QheatError(
                f"{self.name}: quantum errors on reset cannot be replaced by a channel; use engine = 'circuits'"
            )
        result = self.simulator.run(circuits, shots=1, seed_simulator=seed).result()
        return [{k: np.asarray(v) for k, v in result.data(i).items()} for i in range(len(circuits))]

    def superops(self, circuits: list[QuantumCircuit]) -> list[np.ndarray]:
        """The noisy superoperators of circuits (column-stacked vec, as Qiskit's SuperOp), those not cached
        by an earlier call in ONE Aer run (27 measurement settings: 0.5 s instead of 4.7 s in 27 runs).
        Cached per noise config and circuit content, so the cases of a job that share their settings compute
        them once."""
        keys = [(*self._config_key, _circuit_key(qc)) for qc in circuits]
        todo = {key: qc for key, qc in zip(keys, circuits) if key not in _SUPEROPS}
        if todo:
            simulator = self._superop_simulator  # imports qiskit_aer, which adds QuantumCircuit.save_superop
            batch = []
            for qc in todo.values():
                qc = qc.copy()
                qc.save_superop()
                batch.append(qc)
            result = simulator.run(batch, shots=1).result()
            if len(_SUPEROPS) + len(todo) > _SUPEROP_CACHE:
                _SUPEROPS.clear()
            for i, key in enumerate(todo):
                _SUPEROPS[key] = np.asarray(result.data(i)["superop"])
                _SUPEROPS[key].setflags(write=False)
        return [_SUPEROPS[key] for key in keys]

    def expectations(
        self,
        circuits: list[QuantumCircuit],
        observables: list[list],
        shots: list[int],
        seed: int,
        techniques: tuple[str, ...] = (),
    ) -> list[dict[str, list[float]]]:
        """The "expectations" batch on Aer: each observable's exact expectation value in the circuit's final
        state under this backend's noise (density matrix, one Aer run; no shot noise, so ``stds`` are 0 and
        ``shots`` unused). Error-mitigation techniques are Runtime's Estimator's: refused here."""
        if techniques:
            raise QheatError(
                f"{self.name}: Estimator techniques {list(techniques)} need a Runtime backend (fake:/ibm:)"
            )
        probes = []
        for qc, obs in zip(circuits, observables):
            probe = qc.remove_final_measurements(inplace=False)
            for i, op in enumerate(obs):
                probe.save_expectation_value(op, list(range(probe.num_qubits)), label=f"e{i}")
            probes.append(probe)
        result = self.simulator.run(probes, shots=1, seed_simulator=seed, method="density_matrix").result()
        out = []
        for i, obs in enumerate(observables):
            data = result.data(i)
            out.append({"evs": [float(np.real(data[f"e{j}"])) for j in range(len(obs))], "stds": [0.0] * len(obs)})
        return out

    @cached_property
    def _superop_simulator(self):
        from qiskit_aer import AerSimulator

        return AerSimulator(method="superop", **({} if self.noise is None else {"noise_model": self.noise}))

    def assignment(self, num_qubits: int) -> np.ndarray | None:
        """Readout assignment matrix A[measured, true] on ``num_qubits`` qubits (None if ideal)."""
        if self.config is None or self.config.readout == 0:
            return None
        r = self.config.readout
        a1 = np.array([[1 - r, r], [r, 1 - r]])
        a = np.ones((1, 1))
        for _ in range(num_qubits):
            a = np.kron(a1, a)
        return a
