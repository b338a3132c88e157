"""Specs of seeds 000 and 002: heat transfer between qubit systems, a correlated pair, a heat pump.

Registered in ``qheat.specs`` (protocols "heat-transfer", "correlated-pair", "heat-pump"); parsed
as strictly as the others: unknown keys, non-finite numbers and unphysical input raise QheatError.

Heat transfer (seed 000, Ma et al.) in TOML::

    protocol = "heat-transfer"
    omega0_ghz = 4.0               # optional: temperatures in kelvin, k_B T / (hbar omega_0) with omega_0/2pi = 4 GHz
    allow_nonconserving = false    # true: accept [H_I, H_A + H_B] != 0 (Q is then an energy change, not heat)
    [[qubits]]                     # H_X = -(omega/2) sigma^z (Eq. 6), |0> the ground state
    label = "A1"
    system = "A"                   # "A" (each qubit a subsystem A_k at its own temperature) or "B" (one Gibbs state)
    frequency = 2.0                # omega in units of omega_0
    temperature = 1.0              # kelvin with omega0_ghz, else units of hbar omega_0 / k_B
    [[interaction]]                # one term of H_I, H_AI or H_BI (sorted by the systems it touches)
    ops = {A1 = "+", A2 = "-", B = "-"}   # I, X, Y, Z, "+" = |1><0| (raises the energy), "-" = |0><1|
    coefficient = 0.005            # real part, units of omega_0
    coefficient_imag = 0.0
    hermitian_conjugate = true     # add the h.c. of the term
    [[correlation]]                # optional chi of the initial state rho_0 + chi (same form, a pure number)
    [evolution]
    t_max = 1000.0                 # units of 1/omega_0
    points = 201
    [circuits]                     # backend 'aer'
    points = 11
    shots = 4000                   # per circuit, at least 30 (the error bars are the spread over shots)
    seed = 1234                    # with the spec's key (each sweep point its own): every circuit its own stream
    synthesis = "auto"             # "exact" | "trotter" | "auto" (exact up to 4 qubits)
    max_trotter_error = 1e-3       # operator-norm bound of the product formula (first order)

The correlated pair's ``[circuits]`` also takes ``bootstrap = 40`` (10..10000 nonparametric resamples of the
tomography counts for its error bars).

A ``[phase_diagram]`` table instead of qubits gives the convexity maps of Fig. 2 (the Eq. 9 model).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.constants import h as PLANCK_H
from scipy.constants import k as BOLTZMANN_K

from qheat.errors import QheatError
from qheat.specs import MAX_BOOTSTRAP, MAX_SHOTS, Sweep, _bool, _choice, _integer, _list, _number, _SpecFile, _table

KELVIN_PER_GHZ = PLANCK_H * 1e9 / BOLTZMANN_K   # h * 1 GHz / k_B = 0.04799 K
SYSTEMS = ("A", "B")
LETTERS = ("I", "X", "Y", "Z", "+", "-")
SYNTHESES = ("auto", "exact", "trotter")
MAX_QUBITS = 8
MAX_POINTS = 100_000
MAX_CIRCUIT_POINTS = 1000
MIN_SHOTS = 30        # below it the standard errors (spread over shots, bootstrap) are meaningless
MIN_BOOTSTRAP = 10
CONSERVATION_TOLERANCE = 1e-10   # relative to ||H_I|| ||H_A + H_B||
POSITIVITY_TOLERANCE = 1e-12


# ----------------------------------------------------------------------------- shared tables


@dataclass(frozen=True)
class Evolution:
    """Times 0 .. t_max (``points`` of them, evenly spaced) at which the exact engine reports the state."""

    t_max: float
    points: int = 201

    @property
    def times(self) -> np.ndarray:
        return np.linspace(0.0, self.t_max, self.points)


@dataclass(frozen=True)
class CircuitSettings:
    """Circuits on Aer (SamplerV2, seeded): ``points`` evenly spaced times in [0, t_max], ``shots`` each.

    synthesis of e^{-iHt}: "exact" (the matrix exponential, synthesised by Qiskit), "trotter" (first-order
    Lie-Trotter with enough steps that the commutator bound (t^2/2r) sum_{j<k} ||[H_j, H_k]|| stays below
    max_trotter_error), "auto" (exact up to 4 qubits).
    """

    points: int = 11
    shots: int = 4000
    seed: int = 1234
    synthesis: str = "auto"
    max_trotter_error: float = 1e-3
    bootstrap: int | None = None    # correlated-pair: nonparametric bootstrap resamples of the tomography (40)


def _evolution(data: Any) -> Evolution:
    d = _table(data, "[evolution]", {"t_max", "points"}, {"t_max"})
    return Evolution(_number(d["t_max"], "evolution.t_max", positive=True),
                     _integer(d.get("points", 201), "evolution.points", minimum=2))


def _circuits(data: Any, *, bootstrap: bool = False) -> CircuitSettings:
    """The [circuits] table; ``bootstrap``: the protocol fits tomography and takes a ``bootstrap`` count."""
    keys = {"points", "shots", "seed", "synthesis", "max_trotter_error"} | ({"bootstrap"} if bootstrap else set())
    d = _table(data, "[circuits]", keys, set())
    out = CircuitSettings(_integer(d.get("points", 11), "circuits.points", minimum=2),
                          _integer(d.get("shots", 4000), "circuits.shots", minimum=1),
                          _integer(d.get("seed", 1234), "circuits.seed", minimum=0),
                          _choice(d.get("synthesis", "auto"), "circuits.synthesis", SYNTHESES),
                          _number(d.get("max_trotter_error", 1e-3), "circuits.max_trotter_error", positive=True),
                          _integer(d.get("bootstrap", 40), "circuits.bootstrap", minimum=1) if bootstrap else None)
    if out.points > MAX_CIRCUIT_POINTS or out.shots > MAX_SHOTS:
        raise QheatError(f"circuits.points must be <= {MAX_CIRCUIT_POINTS} and circuits.shots <= {MAX_SHOTS}")
    if out.shots < MIN_SHOTS:
        raise QheatError(f"circuits.shots = {out.shots}: the error bars need at least {MIN_SHOTS} shots per circuit")
    if bootstrap and not MIN_BOOTSTRAP <= out.bootstrap <= MAX_BOOTSTRAP:
        raise QheatError(f"circuits.bootstrap = {out.bootstrap}: the error bars need {MIN_BOOTSTRAP}..{MAX_BOOTSTRAP} "
                         "resamples")
    return out


def _check_points(ev: Evolution) -> None:
    if ev.points > MAX_POINTS:
        raise QheatError(f"evolution.points = {ev.points} is more than {MAX_POINTS}")


# ----------------------------------------------------------------------------- seed 000


@dataclass(frozen=True)
class HTQubit:
    """Qubit ``label`` of system A or B: H = -(frequency/2) sigma^z (Eq. 6), Gibbs at ``temperature`` (Eq. 3)."""

    label: str
    system: str
    frequency: float
    temperature: float


@dataclass(frozen=True)
class Term:
    """coefficient * prod_q ops[q] (+ h.c. if hermitian_conjugate); ops pairs (qubit label, letter)."""

    ops: tuple[tuple[str, str], ...]
    coefficient: float = 1.0
    coefficient_imag: float = 0.0
    hermitian_conjugate: bool = False

    @property
    def c(self) -> complex:
        return complex(self.coefficient, self.coefficient_imag)


@dataclass(frozen=True)
class HeatTransferSpec(_SpecFile):
    """Seed 000: systems A (qubits A_k) and B, H = H_A + H_B + H_I (Eq. 1), from rho_0 + chi (Eqs. 3-4)."""

    protocol: str
    qubits: tuple[HTQubit, ...]
    interaction: tuple[Term, ...]
    evolution: Evolution
    correlation: tuple[Term, ...] = ()
    allow_nonconserving: bool = False
    omega0_ghz: float | None = None
    circuits: CircuitSettings | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        for key in ("interaction", "correlation"):
            for term in data.get(key, []):
                term["ops"] = {label: letter for label, letter in term["ops"]}
            if not data.get(key):
                data.pop(key, None)
        if not data.get("allow_nonconserving"):
            data.pop("allow_nonconserving", None)
        return data

    @property
    def n(self) -> int:
        return len(self.qubits)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(q.label for q in self.qubits)

    @property
    def frequencies(self) -> tuple[float, ...]:
        return tuple(q.frequency for q in self.qubits)

    def temperatures(self) -> tuple[float, ...]:
        """Temperatures in units of hbar omega_0 / k_B (kelvin converted with omega0_ghz)."""
        if self.omega0_ghz is None:
            return tuple(q.temperature for q in self.qubits)
        return tuple(q.temperature / (KELVIN_PER_GHZ * self.omega0_ghz) for q in self.qubits)

    def model(self):  # -> protocols.heat_transfer.Model
        from qheat.protocols.heat_transfer import build_model

        return build_model(self)

    def check(self) -> None:
        """Refuse unknown qubits, non-Hermitian H, a broken heat-transfer condition, a chi that is not
        locally traceless or makes rho_0 + chi non-positive (with the largest allowed scale)."""
        self.model()


@dataclass(frozen=True)
class PhaseDiagram:
    """Fig. 2 of seed 000: sign of d^2Q/dt^2 at t = 0 (Eq. 10; Eq. S30 with J) for the Eq. (9) model.

    omega_A1 = (1 + a) omega_B, omega_A2 = a omega_B, product Gibbs state; the plane is
    (beta_A2/beta_B, beta_A1/beta_B) in [0, ratio_max]^2 at fixed beta_B omega_B; one map per a and J/c.
    """

    a: tuple[float, ...]
    j_over_c: tuple[float, ...] = (0.0,)
    beta_b_omega_b: float = 1.0
    ratio_max: float = 3.0
    points: int = 121
    check_points: int = 6


@dataclass(frozen=True)
class HeatTransferPhaseSpec(_SpecFile):
    """Seed 000 Fig. 2: the AHT region of the three-body model from the closed forms (Eqs. 10, S30)."""

    protocol: str
    phase_diagram: PhaseDiagram
    allow_nonconserving: bool = False
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None

    def check(self) -> None:
        if any(j != 0.0 for j in self.phase_diagram.j_over_c) and not self.allow_nonconserving:
            raise QheatError("phase_diagram.j_over_c != 0 adds two-body terms that break [H_I, H_A + H_B] = 0; "
                             "set allow_nonconserving = true (Q is then the energy change of B)")


def _term(data: Any, where: str, labels: tuple[str, ...]) -> Term:
    d = _table(data, where, {"ops", "coefficient", "coefficient_imag", "hermitian_conjugate"}, {"ops", "coefficient"})
    ops = d["ops"]
    if not isinstance(ops, dict) or not ops:
        raise QheatError(f"{where}.ops must be a table such as {{A1 = \"+\", B = \"-\"}}, got {ops!r}")
    pairs = []
    for label, letter in ops.items():
        if label not in labels:
            raise QheatError(f"{where}.ops names qubit {label!r}, which is not among the qubits {list(labels)}")
        pairs.append((label, _choice(letter, f"{where}.ops[{label!r}]", LETTERS)))
    pairs.sort(key=lambda p: labels.index(p[0]))
    return Term(tuple(pairs), _number(d["coefficient"], f"{where}.coefficient"),
                _number(d.get("coefficient_imag", 0.0), f"{where}.coefficient_imag"),
                _bool(d.get("hermitian_conjugate", False), f"{where}.hermitian_conjugate"))


def _heat_transfer_from_dict(top: dict[str, Any], protocol: str, name: str, description: str,
                             sweep: Sweep | None) -> HeatTransferSpec | HeatTransferPhaseSpec:
    allow = _bool(top.get("allow_nonconserving", False), "allow_nonconserving")
    if "phase_diagram" in top:
        extra = sorted(set(top) & {"qubits", "interaction", "correlation", "evolution", "circuits", "omega0_ghz"})
        if extra:
            raise QheatError(f"a [phase_diagram] spec describes the Eq. (9) model itself; remove {extra[0]!r}")
        d = _table(top["phase_diagram"], "[phase_diagram]",
                   {"a", "j_over_c", "beta_b_omega_b", "ratio_max", "points", "check_points"}, {"a"})
        a = tuple(_number(x, f"phase_diagram.a[{i}]", positive=True) for i, x in enumerate(_list(d["a"], "phase_diagram.a")))
        j = tuple(_number(x, f"phase_diagram.j_over_c[{i}]", nonnegative=True)
                  for i, x in enumerate(_list(d.get("j_over_c", [0.0]), "phase_diagram.j_over_c")))
        if not a or not j:
            raise QheatError("phase_diagram.a and phase_diagram.j_over_c need at least one value each")
        pd = PhaseDiagram(a, j, _number(d.get("beta_b_omega_b", 1.0), "phase_diagram.beta_b_omega_b", positive=True),
                          _number(d.get("ratio_max", 3.0), "phase_diagram.ratio_max", positive=True),
                          _integer(d.get("points", 121), "phase_diagram.points", minimum=3),
                          _integer(d.get("check_points", 6), "phase_diagram.check_points", minimum=0))
        if pd.points > 2001:
            raise QheatError(f"phase_diagram.points = {pd.points} is more than 2001")
        return HeatTransferPhaseSpec(protocol, pd, allow, name, description, sweep)
    for key in ("qubits", "interaction", "evolution"):
        if key not in top:
            raise QheatError(f"the spec is missing the key {key!r} (or give a [phase_diagram])")
    omega0 = None if "omega0_ghz" not in top else _number(top["omega0_ghz"], "omega0_ghz", positive=True)
    qubits = []
    for i, qd in enumerate(_list(top["qubits"], "qubits")):
        where = f"qubits[{i}]"
        qd = _table(qd, where, {"label", "system", "frequency", "temperature"}, {"label", "system", "frequency", "temperature"})
        label = qd["label"]
        if not isinstance(label, str) or not label or not label.replace("_", "").isalnum():
            raise QheatError(f"{where}.label must be a short name of letters and digits, got {label!r}")
        qubits.append(HTQubit(label, _choice(qd["system"], f"{where}.system", SYSTEMS), _number(qd["frequency"], f"{where}.frequency", nonnegative=True),
                              _number(qd["temperature"], f"{where}.temperature", positive=True)))
    labels = tuple(q.label for q in qubits)
    if len(set(labels)) != len(labels):
        raise QheatError(f"qubit labels must be distinct, got {list(labels)}")
    if not 2 <= len(qubits) <= MAX_QUBITS:
        raise QheatError(f"qubits: give between 2 and {MAX_QUBITS} qubits, got {len(qubits)}")
    for s in SYSTEMS:
        if not any(q.system == s for q in qubits):
            raise QheatError(f"system {s} has no qubit; heat transfer needs qubits in both A and B")
    t_b = {q.temperature for q in qubits if q.system == "B"}
    if len(t_b) > 1:
        raise QheatError(f"the qubits of B form one Gibbs state (Eq. 3): give them one temperature, got {sorted(t_b)}")
    interaction = tuple(_term(t, f"interaction[{i}]", labels) for i, t in enumerate(_list(top["interaction"], "interaction")))
    if not interaction:
        raise QheatError("interaction lists no term; H_I = 0 transfers no heat")
    correlation = tuple(_term(t, f"correlation[{i}]", labels)
                        for i, t in enumerate(_list(top.get("correlation", []), "correlation")))
    evolution = _evolution(top["evolution"])
    _check_points(evolution)
    circuits = _circuits(top["circuits"]) if "circuits" in top else None
    return HeatTransferSpec(protocol, tuple(qubits), interaction, evolution, correlation, allow, omega0,
                            circuits, name, description, sweep)


# ----------------------------------------------------------------------------- seed 002


@dataclass(frozen=True)
class PairQubits:
    """Qubits A and B, H_A = H_B = (frequency/2) sigma_z, locally Gibbs at temperatures (T_A, T_B)."""

    temperatures: tuple[float, float]
    frequency: float = 1.0


@dataclass(frozen=True)
class PairCorrelation:
    """chi of Eq. (10): phase phi_chi and strength = |chi_23| / sqrt(lambda_4) (1: Eq. 10; > 1 not positive)."""

    phase: float = 0.0
    strength: float = 1.0


@dataclass(frozen=True)
class PairCoupling:
    """V_AB = Omega (e^{i phi_V} |01><10| + h.c.) (Eq. 7): strength Omega, phase phi_V."""

    strength: float
    phase: float = 0.0


class _PairSpec(_SpecFile):
    """What the pair specs share: delta of Eq. (12) and the positivity bound of chi (Appendix A)."""

    @property
    def delta(self) -> float:
        """delta = phi_V - phi_chi (Eq. 12)."""
        return self.coupling.phase - self.correlation.phase

    def check(self) -> None:
        _check_strength(self.correlation.strength)


@dataclass(frozen=True)
class CorrelatedPairSpec(_PairSpec):
    """Seed 002 Sec. III: two qubits, locally thermal, correlated by chi, coupled by V_AB (Figs. 1, 2)."""

    protocol: str
    qubits: PairQubits
    correlation: PairCorrelation
    coupling: PairCoupling
    evolution: Evolution
    circuits: CircuitSettings | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None



@dataclass(frozen=True)
class Baths:
    """Collision-model baths: every dt each qubit meets a fresh ancilla thermal at its own temperature in a
    partial SWAP of angle theta_k, theta_k^2 = kappa_k (1 + 2 n_k) dt (n_k the Bose occupation at omega),
    whose small-dt limit is the Lindblad equation with rates kappa(1 + n) (down) and kappa n (up)."""

    kappa: tuple[float, float]
    dt: float = 0.1
    relax_time: float = 500.0


@dataclass(frozen=True)
class HeatPumpSpec(_PairSpec):
    """Seed 002 Sec. V: thermalise, inject chi, couple for tau, decouple, rethermalise; ``cycles`` times.

    coupling_time: tau (default |theta|/(2 Omega), Eq. 13); the baths stay on throughout, as in the paper.
    circuits: shots and seed of backend ``aer`` (``points``, ``synthesis`` and ``max_trotter_error`` unused).
    """

    protocol: str
    qubits: PairQubits
    correlation: PairCorrelation
    coupling: PairCoupling
    baths: Baths
    cycles: int = 2
    coupling_time: float | None = None
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    circuits: CircuitSettings | None = None

    def check(self) -> None:
        super().check()
        steps = (self.cycles * (self.baths.relax_time + (self.coupling_time or 0.0) + 100.0)) / self.baths.dt
        if steps > 2_000_000:
            raise QheatError(f"{self.cycles} cycles of relax_time {self.baths.relax_time:g} at dt = {self.baths.dt:g} "
                             "take more than 2000000 collision rounds; use a larger dt or fewer cycles")


def _check_strength(strength: float) -> None:
    if strength > 1.0 + POSITIVITY_TOLERANCE:
        raise QheatError(f"correlation.strength = {strength!r} makes rho_A (x) rho_B + chi non-positive: "
                         "|chi_23| <= sqrt(lambda_4), i.e. strength <= 1 (seed 002 Appendix A)")


def _pair_common(top: dict[str, Any]) -> tuple[PairQubits, PairCorrelation, PairCoupling]:
    qd = _table(top["qubits"], "[qubits]", {"temperatures", "frequency"}, {"temperatures"})
    temps = tuple(_number(t, f"qubits.temperatures[{i}]", positive=True)
                  for i, t in enumerate(_list(qd["temperatures"], "qubits.temperatures")))
    if len(temps) != 2:
        raise QheatError(f"qubits.temperatures needs two entries (T_A, T_B), got {len(temps)}")
    qubits = PairQubits((temps[0], temps[1]), _number(qd.get("frequency", 1.0), "qubits.frequency", positive=True))
    cd = _table(top.get("correlation", {}), "[correlation]", {"phase", "strength"}, set())
    correlation = PairCorrelation(_number(cd.get("phase", 0.0), "correlation.phase"),
                                  _number(cd.get("strength", 1.0), "correlation.strength", nonnegative=True))
    vd = _table(top["coupling"], "[coupling]", {"strength", "phase"}, {"strength"})
    coupling = PairCoupling(_number(vd["strength"], "coupling.strength", positive=True),
                            _number(vd.get("phase", 0.0), "coupling.phase"))
    return qubits, correlation, coupling


def _correlated_pair_from_dict(top: dict[str, Any], protocol: str, name: str, description: str,
                               sweep: Sweep | None) -> CorrelatedPairSpec:
    qubits, correlation, coupling = _pair_common(top)
    evolution = _evolution(top["evolution"])
    _check_points(evolution)
    circuits = _circuits(top["circuits"], bootstrap=True) if "circuits" in top else None
    return CorrelatedPairSpec(protocol, qubits, correlation, coupling, evolution, circuits, name, description, sweep)


def _heat_pump_from_dict(top: dict[str, Any], protocol: str, name: str, description: str,
                         sweep: Sweep | None) -> HeatPumpSpec:
    qubits, correlation, coupling = _pair_common(top)
    bd = _table(top["baths"], "[baths]", {"kappa", "dt", "relax_time"}, {"kappa"})
    kappa = tuple(_number(k, f"baths.kappa[{i}]", positive=True) for i, k in enumerate(_list(bd["kappa"], "baths.kappa")))
    if len(kappa) != 2:
        raise QheatError(f"baths.kappa needs two entries (kappa_A, kappa_B), got {len(kappa)}")
    baths = Baths((kappa[0], kappa[1]), _number(bd.get("dt", 0.1), "baths.dt", positive=True),
                  _number(bd.get("relax_time", 500.0), "baths.relax_time", positive=True))
    from qheat.analysis.open_systems import planck   # here: it brings QuTiP

    for k, t in zip(kappa, qubits.temperatures):
        theta2 = k * baths.dt * (1.0 + 2.0 * planck(qubits.frequency, t))
        if theta2 > (math.pi / 2) ** 2:
            raise QheatError(f"baths.dt = {baths.dt:g}: the collision angle sqrt(kappa (1 + 2n) dt) = {math.sqrt(theta2):.3g} "
                             "exceeds pi/2; use a smaller dt")
    tau = None if "coupling_time" not in top else _number(top["coupling_time"], "coupling_time", positive=True)
    cycles = _integer(top.get("cycles", 2), "cycles", minimum=1)
    circuits = _circuits(top["circuits"]) if "circuits" in top else None
    return HeatPumpSpec(protocol, qubits, correlation, coupling, baths, cycles, tau, name, description, sweep, circuits)


BODIES = {
    "heat-transfer": (_heat_transfer_from_dict,
                      {"qubits", "interaction", "correlation", "evolution", "circuits", "allow_nonconserving",
                       "omega0_ghz", "phase_diagram"}, set()),
    "correlated-pair": (_correlated_pair_from_dict, {"qubits", "correlation", "coupling", "evolution", "circuits"},
                        {"qubits", "coupling", "evolution"}),
    "heat-pump": (_heat_pump_from_dict, {"qubits", "correlation", "coupling", "baths", "cycles", "coupling_time",
                                         "circuits"},
                  {"qubits", "coupling", "baths"}),
}
SPEC_TYPES = (HeatTransferSpec, HeatTransferPhaseSpec, CorrelatedPairSpec, HeatPumpSpec)
