"""The cascade spec (seed 001): frozen dataclasses read from TOML/JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.limits import Limits
from qheat.core.spec import (
    MAX_BOOTSTRAP,
    MAX_SHOTS,
    SpecFile,
    Sweep,
    _choice,
    _integer,
    _list,
    _number,
    _table,
    check_phase,
)
from qheat.physics.states import PairCoherence, check_positive

MAX_COLLISIONS = 1_000_000
MAX_SUBSYSTEMS = 12  # the exact engine's limit (cascade.exact.MAX_SUBSYSTEMS), refused before any state is built


# ----------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Coherence:
    """c_pq = strength * exp(i phase) between S_p and S_q (1-based, p < q). A negative strength is phase + pi."""

    pair: tuple[int, int]
    strength: float
    phase: float = 0.0

    @property
    def c(self) -> complex:
        return complex(self.strength * math.cos(self.phase), self.strength * math.sin(self.phase))


@dataclass(frozen=True)
class System:
    """n two-level subsystems H_k = (delta/2) sigma_z at temperatures T_k, with pairwise coherence."""

    temperatures: tuple[float, ...]
    coherence: tuple[Coherence, ...] = ()
    delta: float = 1.0

    @property
    def n(self) -> int:
        return len(self.temperatures)

    def pair_coherences(self) -> list[PairCoherence]:
        return [PairCoherence(c.pair[0] - 1, c.pair[1] - 1, c.c) for c in self.coherence]


@dataclass(frozen=True)
class Bath:
    """Identical bath particles R, each a qubit with the subsystems' gap, thermal at T_R."""

    temperature: float


@dataclass(frozen=True)
class Interaction:
    """Partial SWAPs U_k = exp(-i tau g (s+^k s-^R + h.c.)); ``order`` is 1-based (None: 1..n)."""

    g: float
    tau: float
    collisions: int
    order: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Execution:
    """How the experiment runs on circuits (backends ``aer``, ``aer:<config>``; the exact engine ignores it).

    mode "reset": one circuit per record, the bath qubit refreshed by a mid-circuit reset every
    collision; "reprepare": the repeated procedure of SI Fig. 8, each run prepares the state
    reconstructed by the previous run and performs the collisions up to the next record (constant depth).
    preparation "temporal": one circuit per eigenvector of rho_S^0 (shots split multinomially, the
    NMR paper's temporal averaging); "purification": one ancilla per system qubit.
    engine "snapshots": Aer prepares the branches once; their mixture is evolved by the noisy channels
    of the circuits' pieces and the counts of each measurement setting are drawn from its (noisy)
    outcome probabilities, all branches at once; "circuits": every measurement circuit is run by
    SamplerV2. Same statistics.
    """

    mode: str = "reset"
    preparation: str = "temporal"
    engine: str = "snapshots"


@dataclass(frozen=True)
class Measurement:
    """Records and tomography: a record after every ``every`` interactions (default: one collision).

    ``shots`` per Pauli setting (3^n settings, or 3^(n+1) with the bath); ``bootstrap`` resamples
    of the counts give the ``*_stderr`` of every reported quantity; ``seed`` seeds Aer and the draws.
    """

    every: int | None = None
    shots: int = 4000
    tomography: str = "system"
    seed: int = 1234
    bootstrap: int = 100


@dataclass(frozen=True)
class Mitigation:
    """Error mitigation on Runtime backends (``fake:<name>``, ``ibm:<name>``; refused elsewhere).

    ``readout``: two calibration circuits (all |0>, all |1>, as qiskit-experiments' LocalReadoutError)
    in every job; the tomography fit applies the inverse of each measured qubit's assignment matrix to
    the frequencies. ``dynamical_decoupling`` and ``twirling`` (of two-qubit gates): Runtime's options
    on ``ibm:``; on ``fake:`` the same techniques applied by qheat (local mode ignores them).
    ``zne``: zero-noise extrapolation, the odd noise factors (e.g. ``[1, 3]``) at which every circuit runs,
    its noisy gates folded G -> G (G^dag G)^((f-1)/2) (``mitigation.zne``); each setting's
    (readout-mitigated) frequencies are extrapolated to factor 0 by Richardson's polynomial through the
    points, before linear inversion.
    ``estimator``: the Estimator path instead of Sampler tomography -- every record's state from the
    4^m - 1 Pauli expectation values of the measured qubits, estimated by Runtime's
    ``executor_estimator.Estimator`` with these techniques (``trex``, ``zne``, ``pea``, ``pec``; see
    ``backends.runtime.estimator``), rebuilt by linear inversion and a positive projection
    (``mitigation.pauli``); its standard errors carried to every quantity by Gaussian replicas. It
    replaces the Sampler-path keys above.
    ``observables`` (Estimator path): which Pauli expectations to estimate (``mitigation.pauli``):
    ``state`` (every one: all quantities), ``exchange`` (Z of each qubit, XX and YY of each system pair:
    energies, heats, one-way coherences, apparent temperatures) or ``energies`` (Z alone: energies and
    heats) -- 27, 3 or 1 measurement bases for three subsystems; what they cannot give is null, with a note.
    Fewer than the state need mode reset, hence trex / zne (PEA and PEC run in reprepare mode only).
    """

    readout: bool = False
    dynamical_decoupling: bool = False
    twirling: bool = False
    zne: tuple[int, ...] = ()
    estimator: tuple[str, ...] = ()
    observables: str = "state"

    @property
    def noise_factors(self) -> tuple[int, ...]:
        """The noise factors every circuit runs at: ``zne``, or (1,) without it."""
        return self.zne or (1,)


@dataclass(frozen=True)
class CascadeSpec(SpecFile):
    """Seed 001's collision model: cascade (Fig. 1) or simultaneous (SI Fig. 11) contact."""

    protocol: str
    system: System
    bath: Bath
    interaction: Interaction
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    execution: Execution = Execution()
    measurement: Measurement = Measurement()
    mitigation: Mitigation | None = None
    limits: Limits | None = None

    @property
    def noise_factors(self) -> tuple[int, ...]:
        """The noise factors every circuit runs at (``[mitigation] zne``; (1,) without ZNE)."""
        return self.mitigation.noise_factors if self.mitigation is not None else (1,)

    @property
    def record_every(self) -> int:
        """Interactions between records (``measurement.every``, default one full collision)."""
        return self.measurement.every or self.n

    def record_steps(self) -> list[int]:
        """The steps (interactions completed) at which the state is measured; the last always is."""
        total = self.n * self.interaction.collisions
        steps = list(range(0, total + 1, self.record_every))
        if steps[-1] != total:
            steps.append(total)
        return steps

    @property
    def n(self) -> int:
        return self.system.n

    def refreshes(self, start: int, stop: int) -> int:
        """How many bath refreshes the interactions start+1..stop contain (one per collision started)."""
        return len(range(-(-start // self.n) * self.n, stop, self.n))

    @property
    def order(self) -> tuple[int, ...]:
        """0-based interaction order of the subsystems."""
        if self.interaction.order is None:
            return tuple(range(self.n))
        return tuple(k - 1 for k in self.interaction.order)

    def initial_state(self) -> np.ndarray:
        """rho_S^0 of Eq. (S4) (checked positive semidefinite)."""
        return check_positive(self.system.temperatures, self.system.pair_coherences(), self.system.delta)

    def to_dict(self) -> dict[str, Any]:
        """As ``SpecFile.to_dict``, without an empty ``mitigation.estimator`` or the default ``observables``
        (keys that arrived later: specs written before them keep their hash names and seeds)."""
        data = super().to_dict()
        mitigation = data.get("mitigation", {})
        if mitigation.get("estimator") == []:
            del mitigation["estimator"]
        if mitigation.get("observables") == "state":
            del mitigation["observables"]
        return data

    def check(self) -> None:
        """Refuse too many subsystems, then an unphysical initial state, naming the strength allowed (by
        excitation sectors: no 2^n x 2^n matrix is built)."""
        from qheat.protocols.cascade.positivity import check_positive as check_sectors

        if self.n > MAX_SUBSYSTEMS:
            raise QheatError(
                f"system.temperatures lists {self.n} subsystems; the cascade handles at most "
                f"{MAX_SUBSYSTEMS} (every backend compares with the exact engine, whose state of "
                f"S and R has 4^(n+1) entries)"
            )
        check_sectors(self.system.temperatures, self.system.pair_coherences(), self.system.delta)
        if self.mitigation is not None and self.mitigation.observables != "state":
            boxed = sorted({"pea", "pec"} & set(self.mitigation.estimator))
            if self.execution.mode == "reprepare" or boxed:
                raise QheatError(
                    f"mitigation.observables = {self.mitigation.observables!r} needs execution.mode = 'reset' "
                    "(reprepare mode prepares each run's reconstructed state, which needs every Pauli), where "
                    "the estimator runs trex / zne only (PEA and PEC cannot box the bath's resets); "
                    "otherwise use observables = 'state'"
                )
        self._check_boxed_mitigation()

    def _check_boxed_mitigation(self) -> None:
        """PEA and PEC (``mitigation.estimator``) box the two-qubit layers, and a box holds no reset: only
        a reprepare run of at most one collision (its bath refresh the first thing the bath sees after the
        preparation, a reset of |0> that ``drop_resets`` removes) can be mitigated so."""
        boxed = sorted({"pea", "pec"} & set(self.mitigation.estimator if self.mitigation else ()))
        if not boxed:
            return
        fix = f'use measurement.every <= {self.n} in execution.mode = "reprepare", or the estimator\'s trex / zne'
        if self.execution.mode != "reprepare":
            raise QheatError(
                f"mitigation.estimator {boxed}: mode 'reset' refreshes the bath by mid-circuit resets, which "
                f"Runtime's layer boxing cannot hold; {fix}"
            )
        steps = self.record_steps()
        most = max(self.refreshes(a, b) for a, b in zip(steps, steps[1:]))
        if most > 1:
            raise QheatError(
                f"mitigation.estimator {boxed}: a run of {most} collisions resets the bath between them, which "
                f"Runtime's layer boxing cannot hold; {fix}"
            )


def cascade_from_dict(
    top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None
) -> CascadeSpec:
    sysd = _table(top["system"], "[system]", {"temperatures", "coherence", "delta"}, {"temperatures"})
    temps = tuple(
        _number(t, f"system.temperatures[{i}]", positive=True)
        for i, t in enumerate(_list(sysd["temperatures"], "system.temperatures"))
    )
    n = len(temps)
    if n == 0:
        raise QheatError("system.temperatures must list at least one subsystem temperature")
    delta = _number(sysd.get("delta", 1.0), "system.delta", positive=True)
    coherences, seen = [], set()
    for i, cd in enumerate(_list(sysd.get("coherence", []), "system.coherence")):
        where = f"system.coherence[{i}]"
        cd = _table(cd, where, {"pair", "strength", "phase"}, {"pair", "strength"})
        pair = [_integer(x, f"{where}.pair", minimum=1) for x in _list(cd["pair"], f"{where}.pair")]
        if len(pair) != 2:
            raise QheatError(f"{where}.pair must have two entries, got {cd['pair']!r}")
        p, q = pair
        if p > n or q > n:
            raise QheatError(f"{where}.pair {pair} names subsystem {max(p, q)}, but there are only {n}")
        if p == q:
            raise QheatError(f"{where}.pair {pair} pairs a subsystem with itself; use two different subsystems")
        if p > q:
            raise QheatError(f"{where}.pair {pair}: list the lower index first ([{q}, {p}] with the opposite phase)")
        if (p, q) in seen:
            raise QheatError(f"{where}.pair {pair} is given twice")
        seen.add((p, q))
        coherences.append(
            Coherence(
                (p, q), _number(cd["strength"], f"{where}.strength"), _number(cd.get("phase", 0.0), f"{where}.phase")
            )
        )
    system = System(temps, tuple(coherences), delta)

    bathd = _table(top["bath"], "[bath]", {"temperature"}, {"temperature"})
    bath = Bath(_number(bathd["temperature"], "bath.temperature", positive=True))

    intd = _table(top["interaction"], "[interaction]", {"g", "tau", "order", "collisions"}, {"g", "tau", "collisions"})
    order = None
    if "order" in intd:
        if protocol == "simultaneous":
            raise QheatError(
                "interaction.order has no meaning for protocol 'simultaneous' (all S_k meet R at once); remove it"
            )
        order = tuple(_integer(k, "interaction.order", minimum=1) for k in _list(intd["order"], "interaction.order"))
        if sorted(order) != list(range(1, n + 1)):
            raise QheatError(f"interaction.order {list(order)} is not a permutation of 1..{n}")
    interaction = Interaction(
        _number(intd["g"], "interaction.g"),
        _number(intd["tau"], "interaction.tau", nonnegative=True),
        _integer(intd["collisions"], "interaction.collisions", minimum=0),
        order,
    )
    if not math.isfinite(interaction.g * interaction.tau):
        raise QheatError("interaction.g * interaction.tau (the partial-SWAP angle) must be finite")
    check_phase(
        interaction.g * interaction.tau * math.sqrt(n if protocol == "simultaneous" else 1),
        "the partial-SWAP angle g * tau" + (" * sqrt(n)" if protocol == "simultaneous" else ""),
    )
    if not math.isfinite(interaction.g * interaction.g * interaction.tau):
        raise QheatError(
            f"interaction.g = {interaction.g:.3g}: the collision rate g^2 tau of Eq. (46) overflows double "
            "precision; give g and tau on the scale of the level spacing delta"
        )
    if interaction.collisions > MAX_COLLISIONS:
        raise QheatError(
            f"interaction.collisions = {interaction.collisions} is more than {MAX_COLLISIONS}; split the run"
        )
    execution = _execution_from_dict(top.get("execution", {}))
    measurement = _measurement_from_dict(top.get("measurement", {}), protocol, n, execution)
    mitigation = _mitigation_from_dict(top["mitigation"]) if "mitigation" in top else None
    return CascadeSpec(
        protocol, system, bath, interaction, name, description, sweep, execution, measurement, mitigation
    )


MAX_NOISE_FACTOR = 9


def _mitigation_from_dict(data: Any) -> Mitigation:
    d = _table(
        data, "[mitigation]", {"readout", "dynamical_decoupling", "twirling", "zne", "estimator", "observables"}, set()
    )
    estimator = _estimator_techniques(d.pop("estimator", []))
    observables = d.pop("observables", "state")
    if observables != "state":
        from qheat.mitigation.pauli import OBSERVABLES

        observables = _choice(observables, "mitigation.observables", OBSERVABLES)
    if observables != "state" and not estimator:
        raise QheatError(
            f"mitigation.observables = {observables!r} chooses the Estimator's Pauli values: give the techniques "
            'too (e.g. estimator = ["trex"]), or leave observables out for Sampler tomography'
        )
    for key, value in d.items():
        if key != "zne" and not isinstance(value, bool):
            raise QheatError(f"mitigation.{key} must be true or false, got {value!r}")
    if d.get("zne", []) in ([], ()):  # absent, or [] (what to_dict writes without ZNE): no extrapolation
        d.pop("zne", None)
    else:
        factors = tuple(_integer(f, "mitigation.zne", minimum=1) for f in _list(d["zne"], "mitigation.zne"))
        if (
            len(factors) < 2
            or len(set(factors)) != len(factors)
            or any(f % 2 == 0 or f > MAX_NOISE_FACTOR for f in factors)
        ):
            raise QheatError(
                f"mitigation.zne must list two or more distinct odd noise factors up to "
                f"{MAX_NOISE_FACTOR} (gate folding G (G^dag G)^k), e.g. [1, 3]; got {list(factors)}"
            )
        d["zne"] = tuple(sorted(factors))
    if estimator and any(d.get(k) for k in ("readout", "dynamical_decoupling", "twirling", "zne")):
        raise QheatError(
            "mitigation.estimator replaces the Sampler path's readout/dynamical_decoupling/twirling/zne: "
            'give the Estimator\'s techniques instead (e.g. estimator = ["trex", "zne"])'
        )
    return Mitigation(**d, estimator=estimator, observables=observables)


def _estimator_techniques(value: Any) -> tuple[str, ...]:
    from qheat.backends.runtime.estimator import TECHNIQUES as ESTIMATOR_TECHNIQUES

    names = _list(value, "mitigation.estimator")
    if not all(isinstance(t, str) for t in names):
        raise QheatError(f'mitigation.estimator lists technique names, e.g. ["trex", "pec"]; got {value!r}')
    unknown = [t for t in names if t not in ESTIMATOR_TECHNIQUES]
    if unknown:
        raise QheatError(
            f"mitigation.estimator: unknown technique {unknown[0]!r}; choose from {', '.join(ESTIMATOR_TECHNIQUES)}"
        )
    if "zne" in names and "pea" in names:
        raise QheatError("mitigation.estimator: choose zne (gate folding) or pea (noise injection), not both")
    return tuple(t for t in ESTIMATOR_TECHNIQUES if t in names)  # one order: one spec key and seed


MODES = ("reset", "reprepare")
PREPARATIONS = ("temporal", "purification")
ENGINES = ("snapshots", "circuits")
TOMOGRAPHY = ("system", "system+bath")
MIN_BOOTSTRAP_SHOTS = 30


def _execution_from_dict(data: Any) -> Execution:
    d = _table(data, "[execution]", {"mode", "preparation", "engine"}, set())
    default = Execution()
    return Execution(
        _choice(d.get("mode", default.mode), "execution.mode", MODES),
        _choice(d.get("preparation", default.preparation), "execution.preparation", PREPARATIONS),
        _choice(d.get("engine", default.engine), "execution.engine", ENGINES),
    )


def _measurement_from_dict(data: Any, protocol: str, n: int, execution: Execution) -> Measurement:
    d = _table(data, "[measurement]", {"every", "shots", "tomography", "seed", "bootstrap"}, set())
    default = Measurement()
    every = _integer(d["every"], "measurement.every", minimum=1) if "every" in d else None
    if every is not None:
        if protocol == "simultaneous" and every % n:
            raise QheatError(
                f"measurement.every = {every}: a simultaneous collision is {n} interactions at once; "
                f"use a multiple of {n}"
            )
        if execution.mode == "reprepare" and every % n:
            raise QheatError(
                f"measurement.every = {every}: in mode 'reprepare' every run ends after whole "
                f"collisions; use a multiple of {n} (one collision)"
            )
    shots = _integer(d.get("shots", default.shots), "measurement.shots", minimum=1)
    if shots > MAX_SHOTS:
        raise QheatError(f"measurement.shots = {shots} is more than {MAX_SHOTS} per setting")
    boot = _integer(d.get("bootstrap", default.bootstrap), "measurement.bootstrap", minimum=0)
    if boot == 1 or boot > MAX_BOOTSTRAP:
        raise QheatError(f"measurement.bootstrap = {boot}: use 0 (no error bars) or 2..{MAX_BOOTSTRAP} resamples")
    if boot and shots < MIN_BOOTSTRAP_SHOTS:
        raise QheatError(
            f"measurement.shots = {shots} is too few for bootstrap error bars (resampling a few "
            f"shots understates the error); use >= {MIN_BOOTSTRAP_SHOTS} or bootstrap = 0"
        )
    return Measurement(
        every,
        shots,
        _choice(d.get("tomography", default.tomography), "measurement.tomography", TOMOGRAPHY),
        _integer(d.get("seed", default.seed), "measurement.seed", minimum=0),
        boot,
    )


CASCADE_KEYS = {"system", "bath", "interaction"}
CASCADE_OPTIONAL = {"execution", "measurement", "mitigation"}
