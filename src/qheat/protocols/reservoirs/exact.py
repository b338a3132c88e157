"""Seeds 003 and 004 without circuits: the master equations' steady states, and the exact collision-model channel.

``solve(spec)`` is the exact engine: for each master equation the spec names (global Lindblad,
Redfield / Bloch-Redfield, local Lindblad; ``qheat.physics.open_systems``) the steady state and the
heat current from each reservoir; ``summarize`` adds, for a sweep, the current along the sweep and
whether it shows negative differential thermal conductance (seed 004).

``CollisionModel`` is the exact one-round channel of the gate-model reservoir
(``qheat.protocols.reservoirs.circuits``) as a superoperator -- Kraus operators of the lab-frame
unitaries exp(-i theta G) from scipy, no circuits -- with its fixed point, its relaxation rate per
round, and the currents the ancillas carry, both in the steady state and averaged over the measured
window of a finite circuit (what the circuit's estimator gives with no shot noise and no noise).
``master_equation_currents`` gives the currents it approaches as dt -> 0.

Heat sign: q_j > 0 when reservoir j gives energy to the system. "Bath side" is what the ancillas
measure, -(1/dt) sum_w w <Delta m_w>; "system side" is the system's energy change per unit time
caused by reservoir j's collisions. They are equal for the global model (its collisions conserve
H_S + H_anc) and differ for the local one by the work of switching the collisions on and off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import qutip as qt
from scipy.linalg import expm

from qheat.core.errors import QheatError
from qheat.physics import heom, open_systems
from qheat.physics.open_systems import QubitSystem, Reservoirs
from qheat.protocols.reservoirs import circuits as builders
from qheat.protocols.reservoirs.spec import ReservoirsSpec

COLLISION_MODELS = {method: model for model, method in builders.MASTER_EQUATION.items()}  # method -> model

CONVENTIONS = {
    "units": "hbar = k_B = 1; frequencies, energies and temperatures in the spec's units",
    "ground_state": "|0> is the ground state of each qubit; basis index bit j is qubit j (qubit 0 meets reservoir A)",
    "heat_current": "from each reservoir into the system in the steady state (seed 003 q^A, q^B; seed 004 J_1, J_2); "
    "positive = the reservoir gives energy; q_A + q_B = 0",
    "populations": "<E_i|rho|E_i> in the eigenbasis of H_S, energies ascending",
    "rho_energy_basis": "<E_i|rho|E_k>, energies ascending, each eigenvector's largest component real positive",
    "methods": "lindblad: global Born-Markov-secular; redfield: global Bloch-Redfield, no secular approximation; "
    "local: Lindblad dissipators on each reservoir's own qubit",
}

HEOM_CONVENTION = (
    "QuTiP's hierarchical equations of motion with Drude-Lorentz baths of the same J(w) (numerically "
    "exact: every order in the coupling, the Lamb shift included), currents from the first-level "
    "auxiliary density operators; 'hierarchy' gives depth, Pade terms and the convergence check"
)


def solve(spec: ReservoirsSpec) -> dict[str, Any]:
    """The result body of one spec: each method's steady state and currents."""
    methods: dict[str, Any] = {}
    energies = None
    for method in spec.methods:
        report = None
        if method == "heom":
            assert spec.heom is not None
            ss, report = heom.solve(spec.system, spec.reservoirs, spec.heom)
        else:
            ss = open_systems.steady_state(method, spec.system, spec.reservoirs, spec.lamb_shift)
        energies = ss.energies
        methods[method] = {
            "heat_current": {"A": ss.heat_currents[0], "B": ss.heat_currents[1]},
            "populations": ss.populations,
            "min_population": float(ss.populations.min()),
            "negative_populations": bool(ss.populations.min() < -1e-12),
            "min_eigenvalue": ss.min_eigenvalue,
            "rho": {"real": ss.rho.real, "imag": ss.rho.imag},
            "rho_energy_basis": {"real": ss.rho_energy.real, "imag": ss.rho_energy.imag},
            **({"hierarchy": report} if report is not None else {}),
        }
    lamb = (
        "included in the global equations (seed 004, Eqs. 9-15); not in the local one; with it the "
        "Bloch-Redfield current at T_A = T_B is of second order in the coupling, not 0"
        if spec.lamb_shift
        else "not included (Gamma(w) real, as in QuTiP's Bloch-Redfield tensor)"
    )
    heom_note = {"heom": HEOM_CONVENTION} if "heom" in spec.methods else {}
    return {"energies": energies, "methods": methods, "conventions": {**CONVENTIONS, "lamb_shift": lamb, **heom_note}}


def summarize(points: list[dict[str, Any]], spec: ReservoirsSpec) -> dict[str, Any]:
    """Current from reservoir A along the sweep and, per method, NDTC against T_A - T_B."""
    if spec.sweep is None:
        raise QheatError(f"spec {spec.key()!r} has no [sweep]: there is nothing to summarise along it")
    x = np.array([p[0] for p in spec.sweep.points], dtype=float)
    bias = np.array([np.subtract(*p["spec"]["reservoirs"]["temperatures"]) for p in points])
    out: dict[str, Any] = {
        "x": {"parameter": spec.sweep.parameters[0], "values": x},
        "temperature_difference": bias,
        "heat_current_A": {},
        "ndtc": {},
    }
    for method in points[0]["methods"]:
        data = [p["methods"][method] for p in points]
        out["heat_current_A"][method] = np.array([d["heat_current"]["A"] for d in data])
        # on circuits, judge NDTC on the shot-free value of each circuit, not on shot noise
        judged = [d["exact"]["circuit_expectation"]["A"] if "exact" in d else d["heat_current"]["A"] for d in data]
        out["ndtc"][method] = open_systems.negative_differential_conductance(bias, np.array(judged))
    return out


# ----------------------------------------------------------------------------- collision model


def _superop(kraus: list[np.ndarray]) -> np.ndarray:
    """Row-major vectorisation: vec(K rho K^dag) = (K (x) K*) vec(rho)."""
    return np.sum([np.kron(k, k.conj()) for k in kraus], axis=0)


@dataclass
class CollisionModel:
    """The exact collision-model channel of one round (free evolution, then the collisions in order)."""

    system: QubitSystem
    res: Reservoirs
    dt: float
    model: str = "global"
    free: bool = True
    collisions: list[builders.Collision] = field(init=False)

    def __post_init__(self) -> None:
        self.collisions = builders.collisions(self.system, self.res, self.dt, self.model)
        self.h = builders.hamiltonian(self.system)
        d = self.d = self.h.shape[0]
        u_free = expm(-1j * self.h * self.dt) if self.free else np.eye(d)
        self.free_superop = np.kron(u_free, u_free.conj())
        self.superops, self.excited, self.energy_rows = [], [], []
        h_row = self.h.T.reshape(-1)  # Tr(H rho) = h_row . vec(rho)
        for c in self.collisions:
            u = builders.collision_unitary(c).reshape(2, d, 2, d)  # [anc out, sys out, anc in, sys in]
            p = c.excited_population
            tau = (1.0 - p, p)
            kraus = [math.sqrt(tau[j]) * u[k, :, j, :] for k in (0, 1) for j in (0, 1)]
            sop = _superop(kraus)
            self.superops.append(sop)
            m = sum(tau[j] * u[1, :, j, :].conj().T @ u[1, :, j, :] for j in (0, 1))
            self.excited.append(m.T.reshape(-1))  # P1 after = Tr(rho M)
            self.energy_rows.append(h_row @ sop - h_row)  # Tr(H Phi(rho)) - Tr(H rho)
        self.round = self.free_superop
        for sop in self.superops:
            self.round = sop @ self.round
        # q_j(rho) = row_j . vec(rho) for the state at the start of a round (bath side and system side)
        trace_row = np.eye(d).reshape(-1)
        self.bath_rows = [np.zeros(d * d, complex), np.zeros(d * d, complex)]
        self.system_rows = [np.zeros(d * d, complex), np.zeros(d * d, complex)]
        prop = self.free_superop
        for c, sop, ex, en in zip(self.collisions, self.superops, self.excited, self.energy_rows):
            self.bath_rows[c.reservoir] += -(c.frequency / self.dt) * (ex - c.excited_population * trace_row) @ prop
            self.system_rows[c.reservoir] += (en / self.dt) @ prop
            prop = sop @ prop

    # -- steady state ------------------------------------------------------------------

    def fixed_point(self) -> np.ndarray:
        """The state at the start of a round that one round maps to itself (Tr = 1)."""
        d = self.d
        a = np.vstack([self.round - np.eye(d * d), np.eye(d).reshape(1, -1)])
        b = np.zeros(d * d + 1, complex)
        b[-1] = 1.0
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        rho = x.reshape(d, d)
        return (rho + rho.conj().T) / 2.0

    def second_eigenvalue(self) -> float:
        """|lambda_2| of the round channel: deviations from the fixed point shrink by it per round."""
        ev = np.sort(np.abs(np.linalg.eigvals(self.round)))
        return float(ev[-2])

    def rounds_to_relax(self, tol: float = 1e-3) -> int:
        """Rounds after which a deviation from the fixed point is below ``tol`` of its start (|lambda_2|^R <= tol)."""
        second = self.second_eigenvalue()
        if not second < 1.0 - 1e-12:
            raise QheatError("this collision model has no unique steady state: some levels are reached by no reservoir")
        return math.ceil(math.log(tol) / math.log(second))

    def currents(self, rho: np.ndarray) -> dict[str, tuple[float, float]]:
        """Per-round currents for a round that starts in ``rho``: bath side (ancillas) and system side."""
        v = rho.reshape(-1)
        bath_a, bath_b = (float(np.real(r @ v)) for r in self.bath_rows)
        system_a, system_b = (float(np.real(r @ v)) for r in self.system_rows)
        return {"bath_side": (bath_a, bath_b), "system_side": (system_a, system_b)}

    def steady_state(self) -> dict[str, Any]:
        rho = self.fixed_point()
        out = self.currents(rho)
        return {
            "rho": rho,
            "heat_current": out["bath_side"],
            "system_side": out["system_side"],
            "second_eigenvalue": self.second_eigenvalue(),
        }

    def expected_currents(self, rounds: int, measured_rounds: int, initial: str | float = "thermal") -> dict[str, Any]:
        """What the circuit's estimator averages to (no shot noise): the bath-side currents of the
        last ``measured_rounds`` of ``rounds``, from ``builders.initial_state`` (exact propagation)."""
        v = builders.initial_state(self.system, self.res, initial).reshape(-1).astype(complex)
        acc = np.zeros(2)
        for r in range(rounds):
            if r >= rounds - measured_rounds:
                acc += [np.real(row @ v) for row in self.bath_rows]
            v = self.round @ v
        q = acc / max(measured_rounds, 1)
        return {"heat_current": (float(q[0]), float(q[1])), "final_rho": v.reshape(self.d, self.d)}


# ----------------------------------------------------------------------------- master equations


def master_equation_currents(system: QubitSystem, res: Reservoirs, model: str = "global") -> dict[str, Any]:
    """The currents the collision model should approach as dt -> 0, from qheat's QuTiP master equation.

    system_side: qheat's q_j = Tr(H_S D_j rho). bath_side: what ancillas measure, Tr(H_j D_j rho)
    with H_j the bath-side energy: H_S for the global equation (every jump at w changes H_S by w), the
    bare w_j sigma_z^j / 2 for the local one.
    """
    method = builders.MASTER_EQUATION[model]
    ss = open_systems.steady_state(method, system, res)
    if model == "global":
        bath = ss.heat_currents
    else:
        h = open_systems.hamiltonian(system)
        rho = qt.Qobj(ss.rho, dims=h.dims)
        bath_list = []
        for j in (0, 1):
            k = builders.site(j, system.n)
            d = open_systems.bath_dissipator("local", h, system, res, j)
            local_h = 0.5 * system.frequencies[k] * open_systems.on_qubit(open_systems.SIGMA_Z, k, system.n)
            bath_list.append(open_systems.energy_flow(local_h, d, rho))
        bath = (bath_list[0], bath_list[1])
    return {"method": method, "heat_current": tuple(bath), "system_side": tuple(ss.heat_currents), "rho": ss.rho}
