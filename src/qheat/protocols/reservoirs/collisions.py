"""Reservoirs emulated by collisions (``qheat.protocols.reservoirs.circuits``): exact channel, counts -> currents, Aer runs.

Three independent routes to the same heat currents:

* ``CollisionModel``: the exact one-round channel as a superoperator (Kraus operators of the lab-frame
  unitaries exp(-i theta G) from scipy, no circuits), its fixed point, its relaxation rate per round,
  and the currents the ancillas carry, both in the steady state and averaged over the measured window
  of a finite circuit (what the circuit's estimator should give, with no shot noise);
* ``currents_from_counts``: the two-point (Z-before, Z-after) ancilla counts of the circuits, turned into
  q_A, q_B with standard errors from the spread between shots (shots are independent; rounds within
  a shot are not, so the error is never computed per round);
* ``master_equation_currents``: qheat's QuTiP master equations (``open_systems.steady_state``).

Heat sign: q_j > 0 when reservoir j gives energy to the system (as ``protocols.reservoirs``).
"Bath side" is what the ancillas measure, -(1/dt) sum_w w <Delta m_w>; "system side" is the system's
energy change per unit time caused by reservoir j's collisions. They are equal for the global model
(its collisions conserve H_S + H_anc) and differ for the local one by the work of switching the
collisions on and off (``qheat.protocols.reservoirs.circuits``'s docstring).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import qutip as qt
from scipy.linalg import expm

from qheat.core.errors import QheatError
from qheat.physics import open_systems
from qheat.physics.open_systems import QubitSystem, Reservoirs
from qheat.protocols.reservoirs import circuits as builders
from qheat.protocols.reservoirs.spec import ReservoirsSpec

NAMES = builders.RESERVOIR_NAMES


# ----------------------------------------------------------------------------- exact channel


def _superop(kraus: list[np.ndarray]) -> np.ndarray:
    """Row-major vectorisation: vec(K rho K^dag) = (K (x) K*) vec(rho)."""
    return sum(np.kron(k, k.conj()) for k in kraus)


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
        h_row = self.h.T.reshape(-1)                        # Tr(H rho) = h_row . vec(rho)
        for c in self.collisions:
            u = builders.collision_unitary(c).reshape(2, d, 2, d)   # [anc out, sys out, anc in, sys in]
            p = c.excited_population
            tau = (1.0 - p, p)
            kraus = [math.sqrt(tau[l]) * u[k, :, l, :] for k in (0, 1) for l in (0, 1)]
            sop = _superop(kraus)
            self.superops.append(sop)
            m = sum(tau[l] * u[1, :, l, :].conj().T @ u[1, :, l, :] for l in (0, 1))
            self.excited.append(m.T.reshape(-1))             # P1 after = Tr(rho M)
            self.energy_rows.append(h_row @ sop - h_row)       # Tr(H Phi(rho)) - Tr(H rho)
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
        return int(math.ceil(math.log(tol) / math.log(second)))

    def currents(self, rho: np.ndarray) -> dict[str, tuple[float, float]]:
        """Per-round currents for a round that starts in ``rho``: bath side (ancillas) and system side."""
        v = rho.reshape(-1)
        return {"bath_side": tuple(float(np.real(r @ v)) for r in self.bath_rows),
                "system_side": tuple(float(np.real(r @ v)) for r in self.system_rows)}

    def steady_state(self) -> dict[str, Any]:
        rho = self.fixed_point()
        out = self.currents(rho)
        return {"rho": rho, "heat_current": out["bath_side"], "system_side": out["system_side"],
                "second_eigenvalue": self.second_eigenvalue()}

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


# ----------------------------------------------------------------------------- counts


def _bit_matrix(counts: dict[str, int], width: int) -> tuple[np.ndarray, np.ndarray]:
    """(unique outcomes x bits, with column i = classical bit i) and their counts."""
    keys = list(counts)
    if any(len(k) != width for k in keys):
        raise QheatError(f"counts keys must be {width}-bit strings of the 'tpm' register alone")
    raw = np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), width) - ord("0")
    return raw[:, ::-1].astype(np.int8), np.array([counts[k] for k in keys], dtype=float)


def currents_from_counts(counts: dict[str, int], metadata: dict[str, Any], estimator: str = "two_point") -> dict[str, Any]:
    """q_A, q_B (and q_A + q_B) with standard errors from the 'tpm' register counts of one circuit.

    Per shot, X_j = -(1/(dt M)) sum_{rounds} sum_{w of j} w (m_after - m_before) (two_point) or
    w (m_after - p) (estimator 'final': only the after-measurement, with the prepared p). Estimate:
    mean over shots; standard error: sample standard deviation over shots / sqrt(shots).
    """
    if estimator not in ("two_point", "final"):
        raise QheatError(f"estimator must be 'two_point' or 'final', got {estimator!r}")
    colls = metadata["collisions"]
    m, dt = metadata["measured_rounds"], metadata["dt"]
    width = 2 * m * len(colls)
    bits, weights = _bit_matrix(counts, width)
    shots = weights.sum()
    per_shot = np.zeros((len(weights), 2))
    for c in colls:
        after = bits[:, c["after_bits"]].sum(axis=1)
        before = bits[:, c["before_bits"]].sum(axis=1) if estimator == "two_point" else c["excited_population"] * m
        j = NAMES.index(c["reservoir"])
        per_shot[:, j] += -(c["frequency"] / (dt * m)) * (after - before)
    per_shot = np.column_stack([per_shot, per_shot.sum(axis=1)])
    mean = weights @ per_shot / shots
    var = weights @ (per_shot - mean) ** 2 / (shots - 1) if shots > 1 else np.full(3, np.nan)
    err = np.sqrt(var / shots)
    return {"heat_current": {"A": float(mean[0]), "B": float(mean[1])},
            "stderr": {"A": float(err[0]), "B": float(err[1])},
            "total": float(mean[2]), "total_stderr": float(err[2]),
            "shots": int(shots), "measured_rounds": m, "estimator": estimator}


# ----------------------------------------------------------------------------- Aer


def aer_expectations(circuit: Any, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a record='save' circuit once on AerSimulator(method='density_matrix'): bath-side currents
    averaged over the measured rounds from the saved <Z> of the ancillas, and the final system state."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    meta = metadata or circuit.metadata
    sim = AerSimulator(method="density_matrix")
    data = sim.run(transpile(circuit, sim, optimization_level=0), shots=1).result().data(0)
    q = np.zeros(2)
    m, dt = meta["measured_rounds"], meta["dt"]
    for r in range(m):
        for ci, c in enumerate(meta["collisions"]):
            p1 = (1.0 - float(np.real(data[f"z_{r}_{ci}"]))) / 2.0
            q[NAMES.index(c["reservoir"])] += -(c["frequency"] / dt) * (p1 - c["excited_population"])
    q /= max(m, 1)
    return {"heat_current": (float(q[0]), float(q[1])), "rho_system": np.asarray(data["rho_system"])}


def sample_circuit(circuit: Any, shots: int, seed: int, method: str = "statevector") -> dict[str, int]:
    """Counts of the 'tpm' register from qiskit_aer.primitives.SamplerV2 (seeded)."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2

    sim = AerSimulator(method=method)
    compiled = transpile(circuit, sim, optimization_level=1, seed_transpiler=seed)
    sampler = SamplerV2(seed=seed, options={"backend_options": {"method": method}})
    result = sampler.run([compiled], shots=shots).result()
    return result[0].data.tpm.get_counts()


MAX_COLLISIONS_PER_SHOT = 50_000  # each measured collision stores two bits per shot in the records


def run_on_aer(spec: ReservoirsSpec, dt: float, *, model: str = "global", rounds: int | None = None,
               measured_rounds: int | None = None, shots: int = 1000, seed: int = 1234,
               relax_tol: float = 1e-3, initial: str | float = "thermal", keep_records: bool = True) -> dict[str, Any]:
    """Steady heat currents of ``spec`` from collision-model circuits sampled on Aer.

    rounds: total rounds (default: enough to relax to ``relax_tol`` from the exact channel's
    |lambda_2|, plus the measured rounds); measured_rounds: default the same number as the
    relaxation rounds. Returns the sampled currents with standard errors, the exact collision-model
    values (steady state, and the expectation of this finite circuit), the master equation it
    approaches, one round's two-qubit gate count, and the records (counts + metadata; one string of
    2 x measured_rounds x collisions bits per shot, megabytes for long windows: ``keep_records=False``
    leaves them out).

    Aer seeds shot k of a run with ``seed + k``: two runs whose seeds differ by less than ``shots``
    share trajectories, so space the seeds of different runs (a sweep, several dt) by more than shots.
    """
    if getattr(spec, "sweep", None) is not None:
        raise QheatError("run_on_aer runs one spec; run each point of qheat.protocols.registry.expand(spec) (with seeds > shots apart)")
    system, res = spec.system, spec.reservoirs
    cm = CollisionModel(system, res, dt, model)
    relax = cm.rounds_to_relax(relax_tol)
    if measured_rounds is None:
        measured_rounds = relax
    if rounds is None:
        rounds = relax + measured_rounds
    if shots < 2 or measured_rounds < 1:
        raise QheatError("run_on_aer needs at least 2 shots and 1 measured round")
    if rounds * len(cm.collisions) > MAX_COLLISIONS_PER_SHOT:
        raise QheatError(f"collisions.dt = {dt:g} needs {rounds} rounds of {len(cm.collisions)} collisions per shot "
                         f"(more than {MAX_COLLISIONS_PER_SHOT}); use a larger dt or a shorter window")
    circuit = builders.reservoir_circuit(system, res, dt, rounds, measured_rounds, model=model, initial=initial)
    start = time.perf_counter()
    counts = sample_circuit(circuit, shots, seed)
    elapsed = time.perf_counter() - start
    sampled = currents_from_counts(counts, circuit.metadata)
    exact = cm.steady_state()
    expected = cm.expected_currents(rounds, measured_rounds, initial)
    me = master_equation_currents(system, res, model)
    gates = builders.round_gate_counts(system, res, dt, model, literal=False)
    return {
        "backend": "aer",
        "model": model,
        "master_equation": me["method"],
        "dt": dt,
        "theta": [c.theta for c in cm.collisions],
        "rounds": rounds,
        "measured_rounds": measured_rounds,
        "shots": shots,
        "seed": seed,
        "heat_current": sampled["heat_current"],
        "stderr": sampled["stderr"],
        "total": sampled["total"],
        "total_stderr": sampled["total_stderr"],
        "exact": {"heat_current": dict(zip(NAMES, exact["heat_current"])),
                  "system_side": dict(zip(NAMES, exact["system_side"])),
                  "circuit_expectation": dict(zip(NAMES, expected["heat_current"])),
                  "second_eigenvalue": exact["second_eigenvalue"]},
        "master_equation_currents": {"heat_current": dict(zip(NAMES, me["heat_current"])),
                                     "system_side": dict(zip(NAMES, me["system_side"]))},
        "two_qubit_gates_per_round": gates["two_qubit"],
        "seconds": elapsed,
        "conventions": {"heat_current": "from each reservoir into the system per unit time, measured on the ancillas "
                                        "(bath side); positive = the reservoir gives energy",
                        "estimator": "two-point Z measurement of every ancilla in the measured rounds; "
                                     "stderr from the spread between shots"},
        "records": [{"counts": counts, "metadata": circuit.metadata}] if keep_records else [],
    }
