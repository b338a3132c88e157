"""Aer backends: ``aer`` (ideal) and ``aer:<config>`` (noise model from ``hardware_configs/<config>.toml``).

Two ways to turn circuits into counts, with the same statistics:

- ``sample``: every circuit run by ``qiskit_aer.primitives.SamplerV2``, each with its own seed;
- ``evolve`` + ``superop``: Aer's density-matrix method evolves each prepared branch once and saves
  the state at every record; with the noisy channel of each measurement circuit's basis rotations
  (Aer's superoperator method) and the readout ``assignment`` matrix, a protocol has the exact outcome
  probabilities of the same circuits, and counts drawn from them are distributed as if each circuit had
  been run (the cascade's snapshots engine; tested against ``sample``).
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


def config_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(CONFIG_PACKAGE).iterdir() if p.name.endswith(".toml"))


def _positive(d: dict[str, Any], key: str, where: str, *, allow_zero: bool = False) -> float:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise QheatError(f"{where}.{key} must be a {'non-negative' if allow_zero else 'positive'} number, got {value!r}")
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
            coupling=data["coupling"] if isinstance(data["coupling"], str)
            else tuple(tuple(map(int, pair)) for pair in data["coupling"]),
            basis_gates=tuple(data["basis_gates"]),
            single_qubit_time=_positive(dur, "single_qubit", "durations", allow_zero=True),
            two_qubit_time=_positive(dur, "two_qubit", "durations", allow_zero=True),
            t1=_positive(rel, "t1", "relaxation"),
            t2=_positive(rel, "t2", "relaxation"),
            single_qubit_depolarizing=_positive(err, "single_qubit_depolarizing", "errors", allow_zero=True),
            two_qubit_depolarizing=_positive(err, "two_qubit_depolarizing", "errors", allow_zero=True),
            readout=_positive(err, "readout", "errors", allow_zero=True),
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise QheatError(f"hardware config {name!r} is malformed ({type(exc).__name__}: {exc})") from None
    if cfg.t2 > 2 * cfg.t1:
        raise QheatError(f"hardware config {name!r}: t2 = {cfg.t2} exceeds 2 t1 = {2 * cfg.t1}, which no qubit can have")
    return cfg


def noise_model(cfg: HardwareConfig):
    """Aer noise model: depolarizing then thermal relaxation for the gate's duration on every gate,
    and a symmetric readout error; the same on every qubit."""
    from qiskit_aer.noise import (
        NoiseModel,
        ReadoutError,
        depolarizing_error,
        thermal_relaxation_error,
    )

    one = [g for g in cfg.basis_gates if g not in ("rz", "rzz", "cx", "cz", "ecr")]
    two = [g for g in cfg.basis_gates if g in ("rzz", "cx", "cz", "ecr")]
    model = NoiseModel(basis_gates=list(cfg.basis_gates))
    e1 = depolarizing_error(cfg.single_qubit_depolarizing, 1)
    if cfg.single_qubit_time > 0:
        e1 = e1.compose(thermal_relaxation_error(cfg.t1, cfg.t2, cfg.single_qubit_time))
    model.add_all_qubit_quantum_error(e1, one)
    e2 = depolarizing_error(cfg.two_qubit_depolarizing, 2)
    if cfg.two_qubit_time > 0:
        relax = thermal_relaxation_error(cfg.t1, cfg.t2, cfg.two_qubit_time)
        e2 = e2.compose(relax.expand(relax))
    model.add_all_qubit_quantum_error(e2, two)
    if cfg.readout > 0:
        r = cfg.readout
        model.add_all_qubit_readout_error(ReadoutError([[1 - r, r], [r, 1 - r]]))
    return model


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
    def pass_manager(self):
        """One preset pass manager for the simulator's target (building it per call costs ~60 ms)."""
        from qiskit.transpiler import generate_preset_pass_manager

        return generate_preset_pass_manager(optimization_level=1, target=self.simulator.target, seed_transpiler=0)

    def compile(self, qc: QuantumCircuit) -> QuantumCircuit:
        """Transpile one circuit (a piece: preparation, collision segment, setting) to this backend.

        On ideal ``aer`` a circuit wider than the density-matrix simulator's target (pure states for the
        statevector method) is transpiled to the ideal basis without a target."""
        if self.config is None and qc.num_qubits > self.simulator.target.num_qubits:
            from qiskit import transpile

            return transpile(qc, basis_gates=IDEAL_BASIS, optimization_level=1, seed_transpiler=0)
        return self.pass_manager.run(qc)

    # ------------------------------------------------------------------ SamplerV2 path

    def sample(self, circuits: list[QuantumCircuit], shots: list[int], seed: int, register: str = "meas",
               method: str | None = None) -> list[dict[str, int]]:
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
        out = []
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
            raise QheatError(f"{self.name}: quantum errors on reset cannot be replaced by a channel; use engine = 'circuits'")
        result = self.simulator.run(circuits, shots=1, seed_simulator=seed).result()
        return [{k: np.asarray(v) for k, v in result.data(i).items()} for i in range(len(circuits))]

    def superop(self, circuit: QuantumCircuit) -> np.ndarray:
        """The noisy superoperator of a circuit (column-stacked vec, as Qiskit's SuperOp): one Aer run."""
        qc = circuit.copy()
        qc.save_superop()
        return np.asarray(self._superop_simulator.run(qc, shots=1).result().data(0)["superop"])

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
