"""A seventh protocol in one file, to show what adding one takes: a package (here a module) exposing
``PROTOCOL`` and one line in ``qheat.protocols.registry.PACKAGES``.

The experiment: a qubit rotated by RY(theta) and measured in Z; P(1) = sin^2(theta / 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit

from qheat.core.protocol import Batch, Protocol
from qheat.core.spec import SpecFile, Sweep, _integer, _number, _table


@dataclass(frozen=True)
class Rotation:
    theta: float
    shots: int = 1000
    seed: int = 1


@dataclass(frozen=True)
class ToySpec(SpecFile):
    protocol: str
    rotation: Rotation
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None

    def check(self) -> None:
        """Every angle is a valid experiment."""


class Toy(Protocol):
    name = "toy"
    keys = frozenset({"rotation"})
    required = frozenset({"rotation"})

    def parse(self, top, protocol, name, description, sweep):
        d = _table(top["rotation"], "[rotation]", {"theta", "shots", "seed"}, {"theta"})
        rotation = Rotation(
            _number(d["theta"], "rotation.theta"),
            _integer(d.get("shots", 1000), "rotation.shots", minimum=1),
            _integer(d.get("seed", 1), "rotation.seed", minimum=0),
        )
        return ToySpec(protocol, rotation, name, description, sweep)

    def exact(self, spec: ToySpec) -> dict[str, Any]:
        return {
            "p1": math.sin(spec.rotation.theta / 2) ** 2,
            "headline": f"P(1) = {math.sin(spec.rotation.theta / 2) ** 2:.4f}",
        }

    def batches(self, spec: ToySpec, device: Any, resume=None):
        import numpy as np

        qc = QuantumCircuit(1)
        qc.ry(spec.rotation.theta, 0)
        qc.measure_all()
        seed = int(np.random.default_rng(spec.seed_sequence(spec.rotation.seed)).integers(2**31))
        yield Batch([device.compile(qc)], [{"theta": spec.rotation.theta}], shots=[spec.rotation.shots], seed=seed)
        return {"metadata": {"what": "one RY rotation"}}

    def analyze(self, document: dict[str, Any], spec: ToySpec) -> dict[str, Any]:
        counts = document["records"][0]["counts"]
        p1 = counts.get("1", 0) / sum(counts.values())
        return {
            "p1": p1,
            "p1_stderr": math.sqrt(max(p1 * (1 - p1), 1e-12) / spec.rotation.shots),
            **{"exact": self.exact(spec)},
            "headline": f"P(1) = {p1:.4f}",
        }


PROTOCOL = Toy()
