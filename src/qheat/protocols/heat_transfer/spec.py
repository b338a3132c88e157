"""The heat-transfer spec (seed 000)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scipy.constants import h as PLANCK_H
from scipy.constants import k as BOLTZMANN_K

from qheat.core.errors import QheatError
from qheat.core.limits import Limits
from qheat.core.spec import (
    SpecFile,
    Sweep,
    _bool,
    _choice,
    _integer,
    _list,
    _number,
    _table,
    check_phase,
)
from qheat.core.tables import (
    CircuitSettings,
    Evolution,
    _check_points,
    _circuits,
    _evolution,
)
from qheat.protocols.heat_transfer.model import Model, build_model

KELVIN_PER_GHZ = PLANCK_H * 1e9 / BOLTZMANN_K  # h * 1 GHz / k_B = 0.04799 K
SYSTEMS = ("A", "B")
LETTERS = ("I", "X", "Y", "Z", "+", "-")
MAX_QUBITS = 8
MAX_CHECK_POINTS = 10_000


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
class HeatTransferSpec(SpecFile):
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
    limits: Limits | None = None

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

    def model(self) -> Model:
        return build_model(self)

    def circuit_settings(self) -> CircuitSettings:
        """The [circuits] table of a circuit backend (``check`` refuses such a backend when it is missing)."""
        if self.circuits is None:
            raise QheatError(f"spec {self.key()!r} has no [circuits] table (shots, seed); circuit backends need one")
        return self.circuits

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
class HeatTransferPhaseSpec(SpecFile):
    """Seed 000 Fig. 2: the AHT region of the three-body model from the closed forms (Eqs. 10, S30)."""

    protocol: str
    phase_diagram: PhaseDiagram
    allow_nonconserving: bool = False
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    limits: Limits | None = None

    def check(self) -> None:
        if any(j != 0.0 for j in self.phase_diagram.j_over_c) and not self.allow_nonconserving:
            raise QheatError(
                "phase_diagram.j_over_c != 0 adds two-body terms that break [H_I, H_A + H_B] = 0; "
                "set allow_nonconserving = true (Q is then the energy change of B)"
            )


def _term(data: Any, where: str, labels: tuple[str, ...]) -> Term:
    d = _table(data, where, {"ops", "coefficient", "coefficient_imag", "hermitian_conjugate"}, {"ops", "coefficient"})
    ops = d["ops"]
    if not isinstance(ops, dict) or not ops:
        raise QheatError(f'{where}.ops must be a table such as {{A1 = "+", B = "-"}}, got {ops!r}')
    pairs = []
    for label, letter in ops.items():
        if label not in labels:
            raise QheatError(f"{where}.ops names qubit {label!r}, which is not among the qubits {list(labels)}")
        pairs.append((label, _choice(letter, f"{where}.ops[{label!r}]", LETTERS)))
    pairs.sort(key=lambda p: labels.index(p[0]))
    return Term(
        tuple(pairs),
        _number(d["coefficient"], f"{where}.coefficient"),
        _number(d.get("coefficient_imag", 0.0), f"{where}.coefficient_imag"),
        _bool(d.get("hermitian_conjugate", False), f"{where}.hermitian_conjugate"),
    )


def heat_transfer_from_dict(
    top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None
) -> HeatTransferSpec | HeatTransferPhaseSpec:
    allow = _bool(top.get("allow_nonconserving", False), "allow_nonconserving")
    if "phase_diagram" in top:
        extra = sorted(set(top) & {"qubits", "interaction", "correlation", "evolution", "circuits", "omega0_ghz"})
        if extra:
            raise QheatError(f"a [phase_diagram] spec describes the Eq. (9) model itself; remove {extra[0]!r}")
        d = _table(
            top["phase_diagram"],
            "[phase_diagram]",
            {"a", "j_over_c", "beta_b_omega_b", "ratio_max", "points", "check_points"},
            {"a"},
        )
        a = tuple(
            _number(x, f"phase_diagram.a[{i}]", positive=True) for i, x in enumerate(_list(d["a"], "phase_diagram.a"))
        )
        j = tuple(
            _number(x, f"phase_diagram.j_over_c[{i}]", nonnegative=True)
            for i, x in enumerate(_list(d.get("j_over_c", [0.0]), "phase_diagram.j_over_c"))
        )
        if not a or not j:
            raise QheatError("phase_diagram.a and phase_diagram.j_over_c need at least one value each")
        pd = PhaseDiagram(
            a,
            j,
            _number(d.get("beta_b_omega_b", 1.0), "phase_diagram.beta_b_omega_b", positive=True),
            _number(d.get("ratio_max", 3.0), "phase_diagram.ratio_max", positive=True),
            _integer(d.get("points", 121), "phase_diagram.points", minimum=3),
            _integer(d.get("check_points", 6), "phase_diagram.check_points", minimum=0),
        )
        if pd.points > 2001:
            raise QheatError(f"phase_diagram.points = {pd.points} is more than 2001")
        if pd.check_points > MAX_CHECK_POINTS:
            raise QheatError(
                f"phase_diagram.check_points = {pd.check_points} is more than {MAX_CHECK_POINTS} "
                "(each is a numerical check of the closed form at a random point)"
            )
        return HeatTransferPhaseSpec(protocol, pd, allow, name, description, sweep)
    for key in ("qubits", "interaction", "evolution"):
        if key not in top:
            raise QheatError(f"the spec is missing the key {key!r} (or give a [phase_diagram])")
    omega0 = None if "omega0_ghz" not in top else _number(top["omega0_ghz"], "omega0_ghz", positive=True)
    qubits = []
    for i, qd in enumerate(_list(top["qubits"], "qubits")):
        where = f"qubits[{i}]"
        qd = _table(
            qd, where, {"label", "system", "frequency", "temperature"}, {"label", "system", "frequency", "temperature"}
        )
        label = qd["label"]
        if not isinstance(label, str) or not label or not label.replace("_", "").isalnum():
            raise QheatError(f"{where}.label must be a short name of letters and digits, got {label!r}")
        qubits.append(
            HTQubit(
                label,
                _choice(qd["system"], f"{where}.system", SYSTEMS),
                _number(qd["frequency"], f"{where}.frequency", nonnegative=True),
                _number(qd["temperature"], f"{where}.temperature", positive=True),
            )
        )
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
    interaction = tuple(
        _term(t, f"interaction[{i}]", labels) for i, t in enumerate(_list(top["interaction"], "interaction"))
    )
    if not interaction:
        raise QheatError("interaction lists no term; H_I = 0 transfers no heat")
    correlation = tuple(
        _term(t, f"correlation[{i}]", labels) for i, t in enumerate(_list(top.get("correlation", []), "correlation"))
    )
    evolution = _evolution(top["evolution"])
    _check_points(evolution)
    scale = max([q.frequency for q in qubits] + [abs(t.c) for t in interaction])
    check_phase(scale * evolution.t_max, "the largest phase of e^{-iHt}, max(frequency, |coefficient|) * t_max")
    circuits = _circuits(top["circuits"]) if "circuits" in top else None
    return HeatTransferSpec(
        protocol, tuple(qubits), interaction, evolution, correlation, allow, omega0, circuits, name, description, sweep
    )
