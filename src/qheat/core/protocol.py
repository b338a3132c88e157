"""The interface every protocol implements, and the batches of circuits it hands to the engine.

A protocol describes an experiment and never runs anything itself, never writes a file and never
imports another protocol. The engine (``qheat.engine``) drives it::

    spec = protocol.parse(...)                      # strict, frozen, JSON round trip
    protocol.check(spec, backend)                   # refuse what cannot run, before any work
    body = protocol.exact(spec)                     # backend "exact": the result body
    gen = protocol.batches(spec, device)            # circuit backends: a generator of Batch objects;
    records = gen.send(records_of_the_last_batch)   #   it receives each batch's records (adaptive runs)
    body = protocol.analyze(document, spec)         # pure: the records document and the spec only
    protocol.summary(result), protocol.figure(results)

A records document is plain JSON: ``records`` (one entry per circuit: its ``metadata`` and its
``counts`` or saved ``states``) and ``metadata`` (what the protocol's generator returned).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qheat.core.errors import QheatError
from qheat.core.limits import Cost
from qheat.core.spec import SpecFile, Sweep

if TYPE_CHECKING:  # matplotlib is imported only by the figure methods
    from matplotlib.figure import Figure

KINDS = ("counts", "states", "superop", "expectations")


@dataclass(frozen=True, eq=False)
class Batch:
    """Circuits the engine runs on a backend, one metadata dict per circuit.

    kind "counts": ``shots[i]`` shots of circuit i, the counts of classical register ``register``;
    "states": each circuit's saved density matrices (``save_density_matrix`` labels), one shot;
    "superop": the superoperator of each circuit (a noisy measurement channel, for example);
    "expectations": ``observables[i]`` (a list of ``SparsePauliOp`` on circuit i's qubits) estimated with
    ``shots[i]`` shots and the error-mitigation ``techniques`` (Runtime's Estimator: trex, zne, pea, pec),
    each record's values and standard errors. ``method`` asks for a simulation method where it matters
    ("statevector" for pure-state circuits too wide for density matrices, or with mid-circuit
    measurements). ``seed`` makes the run reproducible; the engine gives circuit i its own stream derived
    from it.
    """

    circuits: Sequence[Any]
    metadata: Sequence[dict[str, Any]]
    shots: Sequence[int] = ()
    kind: str = "counts"
    register: str = "meas"
    method: str | None = None
    seed: int = 0
    keep: bool = True  # False: the engine hands the results back but leaves them out of the records file
    label: str = ""  # what the batch is, for progress lines
    observables: Sequence[Any] = ()  # kind "expectations": one list of observables per circuit
    techniques: tuple[str, ...] = ()  # kind "expectations": Estimator error mitigation

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"batch kind {self.kind!r} is not one of {KINDS}")
        if len(self.metadata) != len(self.circuits):
            raise ValueError(f"{len(self.circuits)} circuits but {len(self.metadata)} metadata entries")
        if self.kind in ("counts", "expectations") and len(self.shots) != len(self.circuits):
            raise ValueError(f"{len(self.circuits)} circuits but {len(self.shots)} shot counts")
        if self.kind == "expectations" and len(self.observables) != len(self.circuits):
            raise ValueError(f"{len(self.circuits)} circuits but {len(self.observables)} observable lists")


Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Checkpoint:
    """Yielded by an adaptive protocol between batches: ``state`` (plain JSON) lets a crashed run resume.

    The engine writes it atomically beside the records; a re-run hands it back to ``batches`` as
    ``resume``, with the records of every batch finished before it."""

    state: dict[str, Any] = field(default_factory=dict)


BatchGenerator = Generator[Batch | Checkpoint, Records, dict[str, Any]]


class Protocol(ABC):
    """One experiment family: its spec, its exact solution, its circuits, its analysis, its figure."""

    name: str = ""  # the registry name
    keys: frozenset[str] = frozenset()  # allowed top-level keys besides protocol, name, description, sweep
    required: frozenset[str] = frozenset()  # required top-level keys
    circuit_backends: bool = True  # False: the exact engine only

    @abstractmethod
    def parse(self, top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None) -> SpecFile:
        """The spec from a validated top-level table (unknown keys already refused)."""

    def check(self, spec: SpecFile, backend: str) -> None:
        """Refuse, in one line and before any work, a backend or setting this spec cannot run with."""
        if backend != "exact" and not self.circuit_backends:
            raise QheatError(f"protocol {self.name!r} runs on backend 'exact' only, not {backend!r}")

    def cost(self, spec: SpecFile, backend: str) -> Cost:
        """What running ``spec`` (one point) on ``backend`` will cost (``qheat.core.limits``), from the spec alone:
        the engine refuses, before any work, a run beyond its limits. The default: a small run."""
        return Cost(seconds=0.1)

    @abstractmethod
    def exact(self, spec: SpecFile) -> dict[str, Any]:
        """The result body from the exact engine."""

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        """The circuits of a run on ``device`` (a backend: compile, layout, limits), as batches.

        A generator: ``records = yield batch`` hands over each batch and receives its records; a
        ``Checkpoint`` may be yielded between batches (it receives an empty list). The return value is
        the records document's ``metadata``."""
        raise QheatError(f"protocol {self.name!r} has no circuits; run it on backend 'exact'")

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        """The result body from a records document (pure: reads the document and the spec only)."""
        raise QheatError(f"protocol {self.name!r} has no records to analyse")

    def plan_submission(
        self, spec: SpecFile, backend: str, *, instance: str | None = None, max_circuits: int | None = None
    ) -> tuple[dict[str, Any], list]:
        """The device circuits of ``spec`` split into jobs: a manifest (jobs, layout, costs, options) and the
        circuits in its order; ``qheat.submission`` writes both before anything is submitted."""
        raise QheatError(
            f"submit runs seed 001's cascade specs so far; {spec.key()} is protocol "
            f"{getattr(spec, 'protocol', self.name)!r} (run it with 'qheat run --backend ...')"
        )

    def records_from_jobs(
        self, spec: SpecFile, manifest: dict[str, Any], job_counts: dict[int, list], report: list[dict]
    ) -> dict[str, Any]:
        """The records document of a submission from its finished jobs' counts."""
        raise QheatError(f"protocol {self.name!r} has no submissions")

    def combine(self, spec: SpecFile, points: list[dict[str, Any]]) -> dict[str, Any]:
        """Keys a sweep result adds beside its points (e.g. a summary along the sweep)."""
        return {}

    def summary(self, result: dict[str, Any]) -> str:
        """One line saying what a result found."""
        if "points" in result:
            heads = [p.get("headline") for p in result["points"]]
            return f"{len(heads)} sweep points" + (": " + "; ".join(map(str, heads)) if all(heads) else "")
        return str(result.get("headline", "done"))

    def figure(self, results: list[dict[str, Any]]) -> Figure:
        """A matplotlib figure of one result (or of several that belong together)."""
        raise QheatError(f"protocol {self.name!r} draws no figure")

    def one_result(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The single result (one point or a whole sweep) a figure of this protocol draws."""
        if len(results) != 1:
            raise QheatError(f"plot a {self.name} result on its own (one file)")
        return results[0]

    def required_result_keys(self, result: dict[str, Any]) -> tuple[str, ...]:
        """Keys a complete result file of this protocol holds (checked before plotting)."""
        return ("spec",)
