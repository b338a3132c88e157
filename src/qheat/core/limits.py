"""What a run will cost, estimated from its spec and backend before any work, and the limits it must keep.

Each protocol states the sizes of a run (``Protocol.cost(spec, backend)`` returns a ``Cost``: the largest
array it holds, its circuits and shots, and its seconds from the simple model below); the engine's
``prepare`` sums the points of a sweep and refuses, in one line, a run beyond the ``Limits`` -- the
defaults, or a spec's ``[limits]`` table -- unless ``allow_large`` (``qheat run --allow-large``).

Time model (seconds), calibrated on this project's machine (2 cores shared by 8 engineers, load 8-13;
``benchmarks/bench_costs.py`` prints measured / estimated for reference runs of every protocol):

- dense linear algebra: ``FLOP_SECONDS`` per complex multiply-add (a d x d matmul or eigendecomposition
  is d^3 of them): the cascade's exact engine took 5.2 s per interaction at 10 subsystems (d = 2^11,
  two d^3 products per gate: 8^11 x 6e-10 s), 0.063 s at 8;
- Python per step: ``STEP_SECONDS`` per recorded step of an exact engine (3.2e-3 s per interaction of a
  2- or 3-subsystem cascade, its analysis included);
- Aer: ``CIRCUIT_SECONDS`` per circuit (compile and run) plus ``SHOT_SECONDS`` per shot (ma-fig1b's 15
  circuits: 29.6 s at 10^4 shots each, 55.8 s at 10^5; holdsworth-fig1's 117: 54 s and 130 s) and
  ``SHOT_OP_SECONDS`` per shot and instruction of circuits simulated shot by shot (mid-circuit
  measurements): a reservoirs run of 200 shots through 12,700 collisions (5 instructions each) took
  231 s, heat-pump decouple circuits ~0.14 s per shot for 5000 rounds (4 instructions each);
- tomography: ``FIT_SECONDS`` per Pauli setting and density-matrix entry of each fit, the bootstrap's draws
  included (vectorised: 102 records of a 3-qubit cascade with 100 resamples, 27 settings, took 0.65 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from qheat.core.errors import QheatError

FLOP_SECONDS = 6e-10
STEP_SECONDS = 3e-3
CIRCUIT_SECONDS = 0.5
SHOT_SECONDS = 2e-5
SHOT_OP_SECONDS = 1.5e-5
FIT_SECONDS = 4e-8  # per Pauli setting and density-matrix entry of one tomography fit
COMPLEX = 16  # bytes of a complex128
FLOAT = 8
LONG_RUN_SECONDS = 30.0  # accepted runs estimated longer than this say so when they start
GIB = 2**30


def matrix_bytes(qubits: int, count: int = 1) -> float:
    """Bytes of ``count`` complex density matrices of ``qubits`` qubits (16 * 4^n each)."""
    return float(count) * COMPLEX * 4.0**qubits


def dense_seconds(dim: float, products: float = 1.0) -> float:
    """Seconds of ``products`` dense d x d complex products or eigendecompositions (d^3 each)."""
    return products * FLOP_SECONDS * float(dim) ** 3


def aer_seconds(
    circuits: float, shots: float, mid_circuit_ops: float = 0.0, entries: float = 0.0, ops: float = 100.0
) -> float:
    """Seconds of ``circuits`` Aer circuits with ``shots`` shots in all: ``mid_circuit_ops`` instructions per shot
    of circuits simulated shot by shot (mid-circuit measurements), ``ops`` instructions per circuit on a state of
    ``entries`` amplitudes (2^w for a statevector, 4^w for a density matrix)."""
    return circuits * (CIRCUIT_SECONDS + FLOP_SECONDS * entries * ops) + shots * (
        SHOT_SECONDS + SHOT_OP_SECONDS * mid_circuit_ops
    )


@dataclass(frozen=True)
class Cost:
    """The estimated cost of a run: the largest array (bytes, and what it is), circuits, shots, seconds."""

    memory: float = 0.0
    array: str = ""
    seconds: float = 0.0
    circuits: int = 0
    shots: int = 0
    points: int = 1

    def __add__(self, other: Cost) -> Cost:
        """Two runs one after the other: the larger array, the sums of the rest."""
        big = self if self.memory >= other.memory else other
        return Cost(
            big.memory,
            big.array,
            self.seconds + other.seconds,
            self.circuits + other.circuits,
            self.shots + other.shots,
            self.points + other.points,
        )

    def describe(self) -> str:
        """The estimate in a few words: memory, circuits x shots, time."""
        parts = [f"{_bytes(self.memory)} ({self.array})" if self.array else _bytes(self.memory)]
        if self.circuits:
            parts.append(f"{self.circuits} circuits, {self.shots:.3g} shots")
        if self.points > 1:
            parts.append(f"{self.points} sweep points")
        parts.append(f"~{_duration(self.seconds)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Limits:
    """What a run may cost without ``--allow-large`` (a spec's ``[limits]`` table sets its own)."""

    memory_gib: float = 4.0  # the largest single array (the machine has ~20 GiB free, shared)
    seconds: float = 1800.0  # the estimated run time
    shots: float = 1e9  # shots over all circuits
    circuits: float = 200_000  # circuits over all points


def limits_from_dict(data: Any) -> Limits:
    """``[limits]``: memory_gib, seconds, shots, circuits (positive numbers; each replaces the default)."""
    from qheat.core.spec import _number, _table

    allowed = {f.name for f in fields(Limits)}
    d = _table(data, "[limits]", allowed, set())
    return Limits(**{k: _number(v, f"limits.{k}", positive=True) for k, v in d.items()})


def refusal(cost: Cost, limits: Limits) -> str:
    """Why ``cost`` is beyond ``limits`` ('' if it is not)."""
    checks = [
        (cost.memory > limits.memory_gib * GIB, f"memory {_bytes(cost.memory)}", f"memory_gib = {limits.memory_gib:g}"),
        (cost.seconds > limits.seconds, f"time ~{_duration(cost.seconds)}", f"seconds = {limits.seconds:g}"),
        (cost.shots > limits.shots, f"{cost.shots:.3g} shots", f"shots = {limits.shots:.3g}"),
        (cost.circuits > limits.circuits, f"{cost.circuits} circuits", f"circuits = {limits.circuits:.3g}"),
    ]
    over = [(what, limit) for bad, what, limit in checks if bad]
    if not over:
        return ""
    return ", ".join(w for w, _ in over) + " is beyond the limit (" + ", ".join(lim for _, lim in over) + ")"


def guard(cost: Cost, limits: Limits | None, allow_large: bool, what: str) -> None:
    """Refuse ``cost`` beyond ``limits`` in one line naming the size, the estimate and the override."""
    if allow_large:
        return
    why = refusal(cost, limits or Limits())
    if why:
        raise QheatError(
            f"{what}: {why}; estimated {cost.describe()}. Run it anyway with --allow-large "
            "(Python: allow_large=True) or raise the limit in a [limits] table of the spec"
        )


def _bytes(n: float) -> str:
    if not math.isfinite(n):
        return "unbounded memory"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "for ever"
    for unit, size in (("years", 3.15e7), ("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"
