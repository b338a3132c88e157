"""The reservoirs spec (seeds 003, 004)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.limits import Limits
from qheat.core.spec import MAX_SHOTS, SpecFile, Sweep, _integer, _list, _number, _table
from qheat.physics.heom import HeomSettings
from qheat.physics.open_systems import QubitSystem, Reservoirs


@dataclass(frozen=True)
class CollisionSettings:
    """The gate-model reservoir (backends 'aer', 'aer:<config>'): rounds of duration dt, sampled with ``shots``.

    Collision angles follow theta^2 = g(w)(1 + 2n(w)) dt (g the rate function: 2J for Ohmic-Drude),
    so dt is the collision strength; the steady-state currents are averaged over ``window`` time
    units (default: as long as relaxing). Every random stream derives from ``seed`` and the spec's key
    (``SpecFile.seed_sequence``). The records file always holds the raw counts; ``keep_records = false``
    leaves their copy (megabytes at small dt) out of the result.
    """

    dt: float
    shots: int = 2000
    seed: int = 1234
    window: float | None = None
    keep_records: bool = True


@dataclass(frozen=True)
class ReservoirsSpec(SpecFile):
    """A qubit system between two reservoirs: steady state and heat currents (seeds 003, 004)."""

    protocol: str
    system: QubitSystem
    reservoirs: Reservoirs
    methods: tuple[str, ...] = ("lindblad", "redfield", "local")
    lamb_shift: bool = False
    collisions: CollisionSettings | None = None
    heom: HeomSettings | None = None  # set exactly when methods include "heom"
    name: str = ""
    description: str = ""
    sweep: Sweep | None = None
    limits: Limits | None = None

    def check(self) -> None:
        """Nothing beyond field validation: every such system has a steady state."""

    def collision_settings(self) -> CollisionSettings:
        """The [collisions] table of a circuit backend (``check`` refuses such a backend when it is missing)."""
        if self.collisions is None:
            raise QheatError(f"spec {self.key()!r} has no [collisions] table (dt, shots); circuit backends need one")
        return self.collisions


COUPLINGS = ("exchange", "xx")
BATH_COUPLINGS = ("sigma_x", "rwa")
SPECTRAL_DENSITIES = ("flat", "ohmic-drude")
METHODS = ("lindblad", "redfield", "local", "heom")
DEFAULT_METHODS = ("lindblad", "redfield", "local")


def reservoirs_from_dict(
    top: dict[str, Any], protocol: str, name: str, description: str, sweep: Sweep | None
) -> ReservoirsSpec:
    sysd = _table(top["system"], "[system]", {"frequencies", "coupling", "strength"}, {"frequencies"})
    freqs = tuple(
        _number(w, f"system.frequencies[{i}]", positive=True)
        for i, w in enumerate(_list(sysd["frequencies"], "system.frequencies"))
    )
    if len(freqs) not in (1, 2):
        raise QheatError(f"system.frequencies must list one or two qubit frequencies, got {len(freqs)}")
    coupling = sysd.get("coupling", "exchange")
    if coupling not in COUPLINGS:
        raise QheatError(f"unknown system.coupling {coupling!r}; expected one of {list(COUPLINGS)}")
    strength = _number(sysd.get("strength", 0.0), "system.strength")
    if len(freqs) == 1 and strength != 0.0:
        raise QheatError("system.strength couples two qubits; a single qubit has none (remove it)")
    system = QubitSystem(freqs, coupling, strength)

    resd = _table(
        top["reservoirs"],
        "[reservoirs]",
        {"temperatures", "strengths", "spectral_density", "cutoff", "coupling"},
        {"temperatures", "strengths"},
    )
    temps = tuple(
        _number(t, f"reservoirs.temperatures[{i}]", positive=True)
        for i, t in enumerate(_list(resd["temperatures"], "reservoirs.temperatures"))
    )
    strengths = tuple(
        _number(g, f"reservoirs.strengths[{i}]", nonnegative=True)
        for i, g in enumerate(_list(resd["strengths"], "reservoirs.strengths"))
    )
    if len(temps) != 2 or len(strengths) != 2:
        raise QheatError(
            "reservoirs.temperatures and reservoirs.strengths need two entries each: reservoir A, reservoir B"
        )
    if not any(strengths):
        raise QheatError("reservoirs.strengths are both 0: with no reservoir coupled there is no steady state to find")
    density = resd.get("spectral_density", "flat")
    if density not in SPECTRAL_DENSITIES:
        raise QheatError(f"unknown reservoirs.spectral_density {density!r}; expected one of {list(SPECTRAL_DENSITIES)}")
    cutoff = None
    if density == "ohmic-drude":
        if "cutoff" not in resd:
            raise QheatError(
                "reservoirs.cutoff (the Drude frequency omega_D) is needed for spectral_density 'ohmic-drude'"
            )
        cutoff = _number(resd["cutoff"], "reservoirs.cutoff", positive=True)
    elif "cutoff" in resd:
        raise QheatError("reservoirs.cutoff has no meaning for a flat spectral density; remove it")
    bath_coupling = resd.get("coupling", "sigma_x")
    if bath_coupling not in BATH_COUPLINGS:
        raise QheatError(f"unknown reservoirs.coupling {bath_coupling!r}; expected one of {list(BATH_COUPLINGS)}")
    if bath_coupling == "rwa" and coupling == "xx" and strength != 0.0:
        raise QheatError(
            "reservoirs.coupling 'rwa' needs an excitation-conserving system; use 'sigma_x' with coupling 'xx'"
        )
    if bath_coupling == "rwa" and len(freqs) == 2 and strength**2 >= freqs[0] * freqs[1]:
        raise QheatError(
            f"rotating-wave reservoirs need positive Bohr frequencies: |strength| < sqrt(w1 w2) = "
            f"{math.sqrt(freqs[0] * freqs[1]):.6g} (seed 003, below Eq. 3.44)"
        )
    reservoirs = Reservoirs((temps[0], temps[1]), (strengths[0], strengths[1]), density, cutoff, bath_coupling)

    methods = DEFAULT_METHODS
    if "methods" in top:
        methods = tuple(_list(top["methods"], "methods"))
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods or len(set(methods)) != len(methods):
            raise QheatError(f"methods must be distinct names from {list(METHODS)}, got {list(methods)}")
    lamb_shift = top.get("lamb_shift", False)
    if not isinstance(lamb_shift, bool):
        raise QheatError(f"lamb_shift must be true or false, got {lamb_shift!r}")
    if lamb_shift and (density == "flat" or bath_coupling != "sigma_x"):
        raise QheatError(
            "lamb_shift needs spectral_density 'ohmic-drude' and coupling 'sigma_x' "
            "(the principal value of a flat spectrum diverges)"
        )
    heom = HeomSettings() if "heom" in methods else None
    if "heom" in top:
        hd = _table(top["heom"], "[heom]", {"depth", "terms", "check"}, set())
        if not isinstance(hd.get("check", True), bool):
            raise QheatError("heom.check must be true or false")
        if heom is None:
            raise QheatError("[heom] sets the hierarchy of method 'heom'; add \"heom\" to methods or remove [heom]")
        heom = HeomSettings(
            _integer(hd.get("depth", heom.depth), "heom.depth", minimum=1),
            _integer(hd.get("terms", heom.terms), "heom.terms", minimum=1),
            hd.get("check", True),
        )
    if "heom" in methods and (density != "ohmic-drude" or bath_coupling != "sigma_x"):
        raise QheatError(
            "method 'heom' needs Drude-Lorentz reservoirs: spectral_density = 'ohmic-drude' and "
            "coupling = 'sigma_x' (HEOM couples a Hermitian Q to each bath)"
        )
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
        if collisions.shots > MAX_SHOTS:
            raise QheatError(f"collisions.shots = {collisions.shots} is more than {MAX_SHOTS}")
    return ReservoirsSpec(protocol, system, reservoirs, methods, lamb_shift, collisions, heom, name, description, sweep)
