"""What an experiment IS: frozen dataclasses, read from TOML and written to JSON losslessly.

The cascade spec (seed 001) in TOML::

    protocol = "cascade"            # or "simultaneous" (all S_k meet R at once, SI Fig. 11)
    [system]
    temperatures = [1.0, 1.0, 1.0]  # T_k in units of delta (k_B = hbar = 1)
    [[system.coherence]]            # c_pq = strength * exp(i phase), 1-based pair p < q
    pair = [1, 2]
    strength = 0.5
    phase = 3.141592653589793
    [bath]
    temperature = 0.9
    [interaction]
    g = 20.0
    tau = 0.01
    order = [1, 2, 3]               # cascade order; default 1..n
    collisions = 100

An optional ``[sweep]`` table (``parameter = "system.coherence.0.strength"``, ``values = [...]``)
turns one spec into a family: each value replaces the field at that dotted path.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import tomllib
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from qheat.errors import QheatError
from qheat.states import PairCoherence, check_positive

PROTOCOLS = ("cascade", "simultaneous", "reservoirs")
MAX_COLLISIONS = 1_000_000


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
class Sweep:
    """A family of specs: ``values`` substituted at the dotted ``parameter`` path.

    Several parameters move together when ``parameter`` is a tuple of paths and each entry of
    ``values`` a tuple with one value per path (e.g. both reservoir temperatures at fixed bias).
    """

    parameter: str | tuple[str, ...]
    values: tuple[float, ...] | tuple[tuple[float, ...], ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return (self.parameter,) if isinstance(self.parameter, str) else self.parameter

    @property
    def points(self) -> tuple[tuple[float, ...], ...]:
        return tuple((v,) for v in self.values) if isinstance(self.parameter, str) else self.values  # type: ignore[return-value]

    def label(self, point: tuple[float, ...]) -> str:
        return ",".join(f"{p}={v!r}" for p, v in zip(self.parameters, point))


class _SpecFile:
    """What every spec does: plain data for JSON, and a key that names its result file."""

    name: str
    sweep: Sweep | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready); ``spec_from_dict(spec.to_dict()) == spec``."""
        return _drop_empty(_asdict(self))

    def key(self) -> str:
        """A name for the result file: the spec's name, else a hash of its content."""
        if self.name:
            return self.name
        text = json.dumps(self.to_dict(), sort_keys=True)
        return "spec-" + hashlib.sha256(text.encode()).hexdigest()[:10]

    def seed_sequence(self, seed: int, *extra: int) -> list[int]:
        """Entropy for ``np.random.default_rng``: the spec's seed and a hash of its key (and ``extra``), so
        specs and sweep points sharing a seed draw independent random numbers."""
        return [seed, zlib.crc32(self.key().encode()), *extra]


@dataclass(frozen=True)
class Execution:
    """How the experiment runs on circuits (backends ``aer``, ``aer:<config>``; the exact engine ignores it).

    mode "reset": one circuit per record, the bath qubit refreshed by a mid-circuit reset every
    collision; "reprepare": the repeated procedure of SI Fig. 8, each run prepares the state
    reconstructed by the previous run and performs the collisions up to the next record (constant depth).
    preparation "temporal": one circuit per eigenvector of rho_S^0 (shots split multinomially, the
    NMR paper's temporal averaging); "purification": one ancilla per system qubit.
    engine "snapshots": Aer evolves each prepared branch once, saving the density matrix at every
    record, and the counts of each measurement circuit are drawn from its (noisy) outcome
    probabilities; "circuits": every measurement circuit is run by SamplerV2. Same statistics.
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
    its noisy gates folded G -> G (G^dag G)^((f-1)/2) (``circuits.folding``); each setting's
    (readout-mitigated) frequencies are extrapolated to factor 0 by Richardson's polynomial through the
    points, before linear inversion.
    """

    readout: bool = False
    dynamical_decoupling: bool = False
    twirling: bool = False
    zne: tuple[int, ...] = ()

    @property
    def noise_factors(self) -> tuple[int, ...]:
        """The noise factors every circuit runs at: ``zne``, or (1,) without it."""
        return self.zne or (1,)


@dataclass(frozen=True)
class CascadeSpec(_SpecFile):
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

    @property
    def noise_factors(self) -> tuple[int, ...]:
        """The noise factors every circuit runs at (``[mitigation] zne``; (1,) without ZNE)."""
        return self.mitigation.noise_factors if self.mitigation is not None else (1,)

    @property
    def stage_steps(self) -> int:
        """Interactions per stage: 1 in a cascade, n in a simultaneous collision."""
        return self.n if self.protocol == "simultaneous" else 1

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

    @property
    def order(self) -> tuple[int, ...]:
        """0-based interaction order of the subsystems."""
        if self.interaction.order is None:
            return tuple(range(self.n))
        return tuple(k - 1 for k in self.interaction.order)

    def initial_state(self) -> np.ndarray:
        """rho_S^0 of Eq. (S4) (checked positive semidefinite)."""
        return check_positive(self.system.temperatures, self.system.pair_coherences(), self.system.delta)


    def check(self) -> None:
        """Refuse an unphysical initial state now, naming the strength allowed."""
        self.initial_state()


@dataclass(frozen=True)
class QubitSystem:
    """One qubit, or two coupled ones: H_S = sum_k (omega_k/2) sigma_z^k + coupling (seeds 003, 004).

    coupling "exchange": lambda (s+^1 s-^2 + s-^1 s+^2) (seed 003, Eq. 3.27);
    coupling "xx": g sigma_x^1 sigma_x^2 (seed 004, Eq. 1).
    """

    frequencies: tuple[float, ...]
    coupling: str = "exchange"
    strength: float = 0.0

    @property
    def n(self) -> int:
        return len(self.frequencies)


@dataclass(frozen=True)
class Reservoirs:
    """Two bosonic reservoirs A (on qubit 1) and B (on the last qubit) at T_A, T_B.

    spectral_density "flat": the rate function g(w) = strength of seed 003 (Eq. 3.8: a transition
    at w decays at g (1 + n(w))); "ohmic-drude": seed 004's J(w) = strength * w / (1 + (w/cutoff)^2)
    (Eq. 17, gamma_j = C_j lambda_j^2), whose rates are 2 J (1 + n) (Eqs. 12, 14).
    coupling "sigma_x": sigma_x^j (A + A^dagger) (seed 004, Eq. 5); "rwa": s+^j A + s-^j A^dagger
    (seed 003, Eqs. 3.28-3.29). Both give the same global Lindblad equation; Redfield differs.
    """

    temperatures: tuple[float, float]
    strengths: tuple[float, float]
    spectral_density: str = "flat"
    cutoff: float | None = None
    coupling: str = "sigma_x"


@dataclass(frozen=True)
class CollisionSettings:
    """The gate-model reservoir (backend 'aer'): rounds of duration dt, sampled with ``shots``.

    Collision angles follow theta^2 = g(w)(1 + 2n(w)) dt (g the rate function: 2J for Ohmic-Drude),
    so dt is the collision strength; the
    steady-state currents are averaged over ``window`` time units (default: as long as relaxing).
    ``keep_records = false`` leaves the raw counts (megabytes at small dt) out of the result.
    """

    dt: float
    shots: int = 2000
    seed: int = 1234
    window: float | None = None
    keep_records: bool = True


@dataclass(frozen=True)
class ReservoirsSpec(_SpecFile):
    """A qubit system between two reservoirs: steady state and heat currents (seeds 003, 004)."""

    protocol: str
    system: QubitSystem
    reservoirs: Reservoirs
    methods: tuple[str, ...] = ("lindblad", "redfield", "local")
    lamb_shift: bool = False
    collisions: CollisionSettings | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None

    def check(self) -> None:
        """Nothing beyond field validation: every such system has a steady state."""


Spec = CascadeSpec | ReservoirsSpec
COUPLINGS = ("exchange", "xx")
BATH_COUPLINGS = ("sigma_x", "rwa")
SPECTRAL_DENSITIES = ("flat", "ohmic-drude")
METHODS = ("lindblad", "redfield", "local")


def validated(spec: Spec) -> Spec:
    """The same spec, checked as if read from a file (a spec built in Python skips ``spec_from_dict``)."""
    if not isinstance(spec, _SpecFile):
        raise QheatError(f"expected a spec, a bundled name or a path, got {type(spec).__name__}")
    return spec_from_dict(spec.to_dict())


def _asdict(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f: _asdict(getattr(obj, f)) for f in obj.__dataclass_fields__}
    if isinstance(obj, tuple | list):
        return [_asdict(x) for x in obj]
    return obj


def _drop_empty(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _drop_empty(v) for k, v in d.items() if v is not None and v != ""}
    if isinstance(d, list):
        return [_drop_empty(x) for x in d]
    return d


# ----------------------------------------------------------------------------- parsing


def _table(data: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise QheatError(f"{where} must be a table, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise QheatError(f"unknown key {unknown[0]!r} in {where}; expected one of {sorted(allowed)}")
    missing = sorted(required - set(data))
    if missing:
        raise QheatError(f"{where} is missing the key {missing[0]!r}")
    return data


def _number(value: Any, where: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QheatError(f"{where} must be a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise QheatError(f"{where} must be finite, got {value!r}")
    if positive and x <= 0:
        raise QheatError(f"{where} must be > 0, got {value!r}")
    if nonnegative and x < 0:
        raise QheatError(f"{where} must be >= 0, got {value!r}")
    return x


def _integer(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise QheatError(f"{where} must be a finite whole number, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise QheatError(f"{where} must be a whole number, got {value!r}")
    if value < minimum:
        raise QheatError(f"{where} must be >= {minimum}, got {value!r}")
    return int(value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise QheatError(f"{where} must be a list, got {value!r}")
    return list(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise QheatError(f"{where} must be true or false, got {value!r}")
    return value


_COMMON_KEYS = {"protocol", "name", "description", "sweep"}


def spec_from_dict(data: dict[str, Any], *, name: str = "") -> Spec:
    """Validate plain data (from TOML or JSON) into a spec; bad input raises QheatError."""
    if not isinstance(data, dict):
        raise QheatError(f"a spec must be a table of keys, got {type(data).__name__}")
    if "protocol" not in data:
        raise QheatError(f"the spec is missing the key 'protocol' (one of {list(PROTOCOLS)})")
    protocol = data["protocol"]
    if protocol not in PROTOCOLS:
        raise QheatError(f"unknown protocol {protocol!r}; expected one of {list(PROTOCOLS)}")
    parse, allowed, required = _BODIES[protocol]
    top = _table(data, "the spec", _COMMON_KEYS | allowed, {"protocol"} | required)
    sweep = _sweep_from_dict(top["sweep"]) if "sweep" in top else None
    spec_name = str(top.get("name", name) or name)
    if any(ch in spec_name for ch in '/\\:') or spec_name.startswith("."):
        raise QheatError(f"spec name {spec_name!r} must not contain '/', '\\' or ':' or start with '.' (it names the result file)")
    spec = parse(top, protocol, spec_name, str(top.get("description", "")), sweep)
    if sweep is None:
        spec.check()
    else:
        expand(spec)
    return spec


def _sweep_from_dict(data: Any) -> Sweep:
    swd = _table(data, "[sweep]", {"parameter", "values"}, {"parameter", "values"})
    parameter, values = swd["parameter"], _list(swd["values"], "sweep.values")
    if not values:
        raise QheatError("sweep.values is empty")
    if isinstance(parameter, str):
        return Sweep(parameter, tuple(_number(v, "sweep.values") for v in values))
    paths = _list(parameter, "sweep.parameter")
    if not paths or not all(isinstance(p, str) for p in paths) or len(set(paths)) != len(paths):
        raise QheatError("sweep.parameter must be a dotted path such as 'system.coherence.0.strength', or a list of distinct paths")
    points = []
    for i, point in enumerate(values):
        point = _list(point, f"sweep.values[{i}]")
        if len(point) != len(paths):
            raise QheatError(f"sweep.values[{i}] has {len(point)} values for {len(paths)} parameters")
        points.append(tuple(_number(v, f"sweep.values[{i}]") for v in point))
    return Sweep(tuple(paths), tuple(points))


def _cascade_from_dict(top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None) -> CascadeSpec:
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
        coherences.append(Coherence((p, q), _number(cd["strength"], f"{where}.strength"),
                                    _number(cd.get("phase", 0.0), f"{where}.phase")))
    system = System(temps, tuple(coherences), delta)

    bathd = _table(top["bath"], "[bath]", {"temperature"}, {"temperature"})
    bath = Bath(_number(bathd["temperature"], "bath.temperature", positive=True))

    intd = _table(top["interaction"], "[interaction]", {"g", "tau", "order", "collisions"}, {"g", "tau", "collisions"})
    order = None
    if "order" in intd:
        if protocol == "simultaneous":
            raise QheatError("interaction.order has no meaning for protocol 'simultaneous' (all S_k meet R at once); remove it")
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
    if interaction.collisions > MAX_COLLISIONS:
        raise QheatError(f"interaction.collisions = {interaction.collisions} is more than {MAX_COLLISIONS}; split the run")
    execution = _execution_from_dict(top.get("execution", {}))
    measurement = _measurement_from_dict(top.get("measurement", {}), protocol, n, execution)
    mitigation = _mitigation_from_dict(top["mitigation"]) if "mitigation" in top else None
    return CascadeSpec(protocol, system, bath, interaction, name, description, sweep, execution, measurement,
                       mitigation)


MAX_NOISE_FACTOR = 9


def _mitigation_from_dict(data: Any) -> Mitigation:
    d = _table(data, "[mitigation]", {"readout", "dynamical_decoupling", "twirling", "zne"}, set())
    for key, value in d.items():
        if key != "zne" and not isinstance(value, bool):
            raise QheatError(f"mitigation.{key} must be true or false, got {value!r}")
    if d.get("zne", []) in ([], ()):   # absent, or [] (what to_dict writes without ZNE): no extrapolation
        d.pop("zne", None)
    else:
        factors = tuple(_integer(f, "mitigation.zne", minimum=1) for f in _list(d["zne"], "mitigation.zne"))
        if (len(factors) < 2 or len(set(factors)) != len(factors)
                or any(f % 2 == 0 or f > MAX_NOISE_FACTOR for f in factors)):
            raise QheatError(f"mitigation.zne must list two or more distinct odd noise factors up to "
                             f"{MAX_NOISE_FACTOR} (gate folding G (G^dag G)^k), e.g. [1, 3]; got {list(factors)}")
        d["zne"] = tuple(sorted(factors))
    return Mitigation(**d)


MODES = ("reset", "reprepare")
PREPARATIONS = ("temporal", "purification")
ENGINES = ("snapshots", "circuits")
TOMOGRAPHY = ("system", "system+bath")
MAX_SHOTS = 10_000_000
MAX_BOOTSTRAP = 10_000
MIN_BOOTSTRAP_SHOTS = 30


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise QheatError(f"{where} must be one of {list(choices)}, got {value!r}")
    return str(value)


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
            raise QheatError(f"measurement.every = {every}: a simultaneous collision is {n} interactions at once; "
                             f"use a multiple of {n}")
        if execution.mode == "reprepare" and every % n:
            raise QheatError(f"measurement.every = {every}: in mode 'reprepare' every run ends after whole "
                             f"collisions; use a multiple of {n} (one collision)")
    shots = _integer(d.get("shots", default.shots), "measurement.shots", minimum=1)
    if shots > MAX_SHOTS:
        raise QheatError(f"measurement.shots = {shots} is more than {MAX_SHOTS} per setting")
    boot = _integer(d.get("bootstrap", default.bootstrap), "measurement.bootstrap", minimum=0)
    if boot == 1 or boot > MAX_BOOTSTRAP:
        raise QheatError(f"measurement.bootstrap = {boot}: use 0 (no error bars) or 2..{MAX_BOOTSTRAP} resamples")
    if boot and shots < MIN_BOOTSTRAP_SHOTS:
        raise QheatError(f"measurement.shots = {shots} is too few for bootstrap error bars (resampling a few "
                         f"shots understates the error); use >= {MIN_BOOTSTRAP_SHOTS} or bootstrap = 0")
    return Measurement(
        every,
        shots,
        _choice(d.get("tomography", default.tomography), "measurement.tomography", TOMOGRAPHY),
        _integer(d.get("seed", default.seed), "measurement.seed", minimum=0),
        boot,
    )


def _reservoirs_from_dict(top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None) -> ReservoirsSpec:
    sysd = _table(top["system"], "[system]", {"frequencies", "coupling", "strength"}, {"frequencies"})
    freqs = tuple(_number(w, f"system.frequencies[{i}]", positive=True)
                  for i, w in enumerate(_list(sysd["frequencies"], "system.frequencies")))
    if len(freqs) not in (1, 2):
        raise QheatError(f"system.frequencies must list one or two qubit frequencies, got {len(freqs)}")
    coupling = sysd.get("coupling", "exchange")
    if coupling not in COUPLINGS:
        raise QheatError(f"unknown system.coupling {coupling!r}; expected one of {list(COUPLINGS)}")
    strength = _number(sysd.get("strength", 0.0), "system.strength")
    if len(freqs) == 1 and strength != 0.0:
        raise QheatError("system.strength couples two qubits; a single qubit has none (remove it)")
    system = QubitSystem(freqs, coupling, strength)

    resd = _table(top["reservoirs"], "[reservoirs]",
                  {"temperatures", "strengths", "spectral_density", "cutoff", "coupling"}, {"temperatures", "strengths"})
    temps = tuple(_number(t, f"reservoirs.temperatures[{i}]", positive=True)
                  for i, t in enumerate(_list(resd["temperatures"], "reservoirs.temperatures")))
    strengths = tuple(_number(g, f"reservoirs.strengths[{i}]", nonnegative=True)
                      for i, g in enumerate(_list(resd["strengths"], "reservoirs.strengths")))
    if len(temps) != 2 or len(strengths) != 2:
        raise QheatError("reservoirs.temperatures and reservoirs.strengths need two entries each: reservoir A, reservoir B")
    if not any(strengths):
        raise QheatError("reservoirs.strengths are both 0: with no reservoir coupled there is no steady state to find")
    density = resd.get("spectral_density", "flat")
    if density not in SPECTRAL_DENSITIES:
        raise QheatError(f"unknown reservoirs.spectral_density {density!r}; expected one of {list(SPECTRAL_DENSITIES)}")
    cutoff = None
    if density == "ohmic-drude":
        if "cutoff" not in resd:
            raise QheatError("reservoirs.cutoff (the Drude frequency omega_D) is needed for spectral_density 'ohmic-drude'")
        cutoff = _number(resd["cutoff"], "reservoirs.cutoff", positive=True)
    elif "cutoff" in resd:
        raise QheatError("reservoirs.cutoff has no meaning for a flat spectral density; remove it")
    bath_coupling = resd.get("coupling", "sigma_x")
    if bath_coupling not in BATH_COUPLINGS:
        raise QheatError(f"unknown reservoirs.coupling {bath_coupling!r}; expected one of {list(BATH_COUPLINGS)}")
    if bath_coupling == "rwa" and coupling == "xx" and strength != 0.0:
        raise QheatError("reservoirs.coupling 'rwa' needs an excitation-conserving system; use 'sigma_x' with coupling 'xx'")
    if bath_coupling == "rwa" and len(freqs) == 2 and strength**2 >= freqs[0] * freqs[1]:
        raise QheatError(f"rotating-wave reservoirs need positive Bohr frequencies: |strength| < sqrt(w1 w2) = "
                         f"{math.sqrt(freqs[0] * freqs[1]):.6g} (seed 003, below Eq. 3.44)")
    reservoirs = Reservoirs((temps[0], temps[1]), (strengths[0], strengths[1]), density, cutoff, bath_coupling)

    methods = METHODS
    if "methods" in top:
        methods = tuple(_list(top["methods"], "methods"))
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods or len(set(methods)) != len(methods):
            raise QheatError(f"methods must be distinct names from {list(METHODS)}, got {list(methods)}")
    lamb_shift = top.get("lamb_shift", False)
    if not isinstance(lamb_shift, bool):
        raise QheatError(f"lamb_shift must be true or false, got {lamb_shift!r}")
    if lamb_shift and (density == "flat" or bath_coupling != "sigma_x"):
        raise QheatError("lamb_shift needs spectral_density 'ohmic-drude' and coupling 'sigma_x' "
                         "(the principal value of a flat spectrum diverges)")
    collisions = None
    if "collisions" in top:
        cold = _table(top["collisions"], "[collisions]", {"dt", "shots", "seed", "window", "keep_records"}, {"dt"})
        window = cold.get("window")
        if not isinstance(cold.get("keep_records", True), bool):
            raise QheatError("collisions.keep_records must be true or false")
        collisions = CollisionSettings(
            _number(cold["dt"], "collisions.dt", positive=True),
            _integer(cold.get("shots", 2000), "collisions.shots", minimum=2),
            _integer(cold.get("seed", 1234), "collisions.seed", minimum=0),
            None if window is None else _number(window, "collisions.window", positive=True),
            cold.get("keep_records", True),
        )
    return ReservoirsSpec(protocol, system, reservoirs, methods, lamb_shift, collisions, name, description, sweep)


_CASCADE_KEYS = {"system", "bath", "interaction"}
_CASCADE_OPTIONAL = {"execution", "measurement", "mitigation"}
_BODIES = {
    "cascade": (_cascade_from_dict, _CASCADE_KEYS | _CASCADE_OPTIONAL, _CASCADE_KEYS),
    "simultaneous": (_cascade_from_dict, _CASCADE_KEYS | _CASCADE_OPTIONAL, _CASCADE_KEYS),
    "reservoirs": (_reservoirs_from_dict, {"system", "reservoirs", "methods", "lamb_shift", "collisions"},
                   {"system", "reservoirs"}),
}

# Seeds 000 and 002 (protocols heat-transfer, correlated-pair, heat-pump): defined in qheat.heat_specs.
from qheat.heat_specs import BODIES as _HEAT_BODIES  # noqa: E402

_BODIES.update(_HEAT_BODIES)
PROTOCOLS = PROTOCOLS + tuple(_HEAT_BODIES)


def expand(spec: Spec) -> list[Spec]:
    """The specs of a sweep, one per value (a spec without a sweep is its own family of one)."""
    if spec.sweep is None:
        return [spec]
    data = spec.to_dict()
    data.pop("sweep")
    out = []
    for point in spec.sweep.points:
        one = copy.deepcopy(data)
        for path, value in zip(spec.sweep.parameters, point):
            _set_path(one, path, value)
        label = spec.sweep.label(point)
        one["name"] = f"{spec.key()}[{label}]"
        try:
            out.append(spec_from_dict(one))
        except QheatError as exc:
            raise QheatError(f"sweep point {label}: {exc}") from None
    return out


def _set_path(data: dict[str, Any], path: str, value: float) -> None:
    """Replace the number at a dotted path such as ``system.coherence.0.strength``."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        where = ".".join(parts[: i + 1])
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            key: Any = int(part)
        elif isinstance(node, dict) and part in node:
            key = part
        else:
            raise QheatError(f"sweep.parameter {path!r}: no field {where!r} in this spec")
        if i == len(parts) - 1:
            if isinstance(node[key], bool) or not isinstance(node[key], int | float):
                raise QheatError(f"sweep.parameter {path!r}: {where!r} is not a number, it cannot be swept")
            node[key] = value
        else:
            node = node[key]


# ----------------------------------------------------------------------------- loading

_LIBRARY = "spec_library"


def _library_files() -> dict[str, Any]:
    root = resources.files("qheat") / _LIBRARY
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".toml") and p.name != "groups.toml"}


def bundled_groups() -> dict[str, list[str]]:
    """Names that stand for several bundled specs (``fig3`` -> its three cases)."""
    text = (resources.files("qheat") / _LIBRARY / "groups.toml").read_text()
    return {k: list(v) for k, v in tomllib.loads(text).items()}


def bundled_names() -> list[str]:
    return sorted(_library_files())


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QheatError(f"malformed TOML in {source}: {exc}") from None


def load_spec(name_or_path: str | Path) -> Spec:
    """One spec from a bundled name, a TOML file, or a JSON file (a spec or a result holding one)."""
    specs = load_specs(name_or_path)
    if len(specs) != 1:
        raise QheatError(f"{name_or_path!s} names {len(specs)} specs; load_specs() returns them all")
    return specs[0]


def load_specs(name_or_path: str | Path) -> list[Spec]:
    """Specs named by a bundled name, a group name (``fig3``), or a file path."""
    text = str(name_or_path)
    path = Path(text)
    files, groups = _library_files(), bundled_groups()
    suffix = path.suffix.lower()
    if path.is_file() or (suffix in (".toml", ".json") and text not in files):
        if not path.is_file():
            raise QheatError(f"spec file {text} does not exist")
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise QheatError(f"spec file {text} is not UTF-8 text; a spec is a TOML or JSON file") from None
        if suffix == ".json":
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise QheatError(f"malformed JSON in {text}: {exc}") from None
            data = data.get("spec", data) if isinstance(data, dict) else data
        else:
            data = _parse_toml(raw, text)
        return [spec_from_dict(data, name=path.stem)]
    if text in files:
        return [spec_from_dict(_parse_toml(files[text].read_text(), text), name=text)]
    if text in groups:
        return [load_spec(member) for member in groups[text]]
    raise QheatError(f"unknown spec {text!r}: not a file and not a bundled name; 'qheat list' shows the bundled specs")
