"""Seed 001's thermodynamics of a trajectory: ``analyze(snapshots, spec)`` turns the state
after every interaction into energies, heat, free energy (Eq. S19), apparent temperatures
(Eqs. 49, 54), one-way coherence (Eq. 47), relative entropy of coherence and mutual
information with the bath particle (SI resource analysis, Eqs. S26 and 27-36).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from qheat.core.result import Result
from qheat.physics import thermo
from qheat.physics.linalg import entropy_of_probabilities, von_neumann_entropy
from qheat.physics.states import gibbs_state
from qheat.protocols.cascade.exact import Snapshot
from qheat.protocols.cascade.spec import CascadeSpec

ENTROPY_WORKERS = 2  # the machine's 2 cores: LAPACK releases the GIL
LOOKAHEAD = 3  # snapshots alive at once besides the engine's state (memory: ~20 MB each at 12 spins)
THREADS_FROM = 9  # fewer subsystems: sectors of <= 70 states, cheaper inline than handed to a thread


def state_measures(rho_s: np.ndarray) -> dict[str, np.ndarray]:
    """What the thermodynamics needs of system states (a stack (..., d, d)): the diagonal, the exchange
    coherences X[p, q] of Eq. (47) and the von Neumann entropy."""
    return {
        "diagonal": np.real(np.diagonal(rho_s, axis1=-2, axis2=-1)),
        "exchange": thermo.exchange_coherences(rho_s),
        "entropy": thermo.von_neumann_entropies(rho_s),
    }


def system_columns(rho_s: np.ndarray, spec: CascadeSpec) -> dict[str, np.ndarray]:
    """Everything that the system's states alone determine, batched over the leading axes of rho_s
    (see ``measure_columns``)."""
    return measure_columns(state_measures(rho_s), spec)


def linear_columns(kind: str) -> Callable[[np.ndarray, CascadeSpec], dict[str, np.ndarray]]:
    """``system_columns`` for operators that carry only some Pauli expectations (the Estimator's
    ``observables``, ``mitigation.pauli.embed``): the populations of each qubit, and with ``exchange`` the
    exchange coherences, are linear in them and exact; the entropy (and with ``energies`` the coherences)
    needs the Paulis not measured: NaN, and so is everything built on it."""

    def columns(rho_s: np.ndarray, spec: CascadeSpec) -> dict[str, np.ndarray]:
        exchange = thermo.exchange_coherences(rho_s)
        measures = {
            "diagonal": np.real(np.diagonal(rho_s, axis1=-2, axis2=-1)),
            "exchange": exchange if kind == "exchange" else np.full_like(exchange, np.nan),
            "entropy": np.full(rho_s.shape[:-2], np.nan),
        }
        return measure_columns(measures, spec)

    return columns


def measure_columns(measures: dict[str, np.ndarray], spec: CascadeSpec) -> dict[str, np.ndarray]:
    """From ``state_measures``: populations, one-way coherence C_k (Eq. 47), energies, apparent
    temperatures (Eqs. 49, 54), entropy, relative entropy of coherence and free energy F = E - T_R S (Eq. S19)."""
    delta, t_r = spec.system.delta, spec.bath.temperature
    weights = thermo.coherence_weights(spec.protocol, spec.order)
    diag, s_sys = measures["diagonal"], np.asarray(measures["entropy"])
    n = spec.n
    bits = ((np.arange(diag.shape[-1])[:, None] >> np.arange(n)[None, :]) & 1).astype(float)
    p1 = diag @ bits
    pops = np.stack([diag.sum(axis=-1)[..., None] - p1, p1], axis=-1)
    c_k = np.einsum("pk,...pk->...k", weights, measures["exchange"])
    e_k = thermo.subsystem_energies(pops, delta)
    energy = e_k.sum(axis=-1)
    return {
        "pops": pops,
        "c_k": c_k,
        "energy_k": e_k,
        "at_k": thermo.apparent_temperature(pops[..., 0], pops[..., 1], c_k, delta),
        "energy": energy,
        "at": thermo.apparent_temperature(pops[..., 0].sum(-1), pops[..., 1].sum(-1), c_k.sum(-1), delta),
        "entropy": s_sys,
        "coherence": np.maximum(entropy_of_probabilities(diag) - s_sys, 0.0),
        "free_energy": thermo.free_energy(energy, s_sys, t_r),
    }


def analyze(snapshots: Iterable[Snapshot], spec: CascadeSpec, backend: str = "exact") -> Result:
    """Thermodynamics of a trajectory of snapshots (see ``protocols.cascade.exact.Snapshot``).

    S(S R) inside a collision is taken from unitary invariance: it equals S(rho_S) at the start
    of the collision plus S(rho_R^th), since each collision is a unitary on S (x) R.
    """
    n, delta, t_r = spec.n, spec.system.delta, spec.bath.temperature
    bath_th = gibbs_state(t_r, delta)
    s_bath_th = von_neumann_entropy(bath_th)
    e_bath_th = thermo.qubit_energy(bath_th, delta)

    measures: dict[str, list] = {"diagonal": [], "exchange": [], "entropy": []}
    rho_r, rho_kr, steps, collisions, fresh = [], [], [], [], []
    # Each snapshot is reduced as it comes; its entropy (the dominant cost: the sectors' spectra) runs on
    # worker threads while the engine computes the next states, at most LOOKAHEAD snapshots ahead.
    pending: deque[Future[float]] = deque()
    with ThreadPoolExecutor(max_workers=ENTROPY_WORKERS if n >= THREADS_FROM else 1) as pool:
        for snap in snapshots:
            if n >= THREADS_FROM:
                pending.append(pool.submit(snap.system.entropy))
            else:
                measures["entropy"].append(snap.system.entropy())
            measures["diagonal"].append(snap.system.diagonal())
            measures["exchange"].append(snap.system.exchange_coherences())
            rho_r.append(snap.rho_r)
            rho_kr.append(snap.rho_kr)
            steps.append(snap.step)
            collisions.append(snap.collision)
            fresh.append(snap.fresh_bath)
            if len(pending) > LOOKAHEAD:
                measures["entropy"].append(pending.popleft().result())
        measures["entropy"].extend(f.result() for f in pending)
    col = measure_columns({key: np.asarray(value) for key, value in measures.items()}, spec)
    col["mi_k"] = np.maximum(thermo.pair_mutual_information(np.stack(rho_kr)), 0.0)
    e_r = np.asarray(thermo.qubit_energy(np.stack(rho_r), delta))
    col["particle_energy"] = e_r
    # heat into the bath: the particle's energy change, from e_bath_th wherever a fresh particle came in
    before = np.where(fresh, e_bath_th, np.concatenate([[e_bath_th], e_r[:-1]]))
    heat_cum = np.cumsum(np.where(np.asarray(steps) == 0, 0.0, e_r - before)).tolist()
    # S(S R) = S(rho_S) at the start of the collision + S(rho_R^th) (unitary invariance)
    s_sys = col["entropy"]
    start = np.maximum.accumulate(np.where(fresh, np.arange(len(steps)), 0))
    s_joint = np.where(np.asarray(steps) == 0, s_sys, s_sys[np.maximum(start - 1, 0)]) + s_bath_th
    s_r = thermo.von_neumann_entropies(np.stack(rho_r))
    mi_sys = np.maximum(thermo.mutual_information(s_sys, s_r, s_joint), 0.0).tolist()

    pops0, c0 = col["pops"][0], col["c_k"][0]
    subsystems = []
    for k in range(n):
        t_k = spec.system.temperatures[k]
        at = col["at_k"][:, k]
        entry: dict[str, Any] = {
            "label": f"S{k + 1}",
            "temperature": t_k,
            "energy": col["energy_k"][:, k],
            "heat_absorbed": float(col["energy_k"][-1, k] - col["energy_k"][0, k]),
            "apparent_temperature": at,
            "one_way_coherence": col["c_k"][:, k],
            "mutual_information_with_bath": col["mi_k"][:, k],
            "reversal_threshold": thermo.reversal_threshold(t_k, t_r, delta),
            "reversal_predicted": thermo.reversal_predicted(float(c0[k]), t_k, t_r, delta),
            "initial_heat_current": thermo.heat_current(
                pops0[k, 0], pops0[k, 1], float(c0[k]), t_r, spec.interaction.g, spec.interaction.tau, delta
            ),
        }
        note = _at_note(at, col["pops"][:, k, 0], col["pops"][:, k, 1], col["c_k"][:, k], steps)
        if note:
            entry["apparent_temperature_note"] = note
        subsystems.append(entry)
    system: dict[str, Any] = {
        "energy": col["energy"],
        "heat_absorbed": float(col["energy"][-1] - col["energy"][0]),
        "free_energy": col["free_energy"],
        "coherence": col["coherence"],
        "entropy": col["entropy"],
        "apparent_temperature": col["at"],
        "mutual_information_with_bath": mi_sys,
    }
    note = _at_note(col["at"], col["pops"][..., 0].sum(-1), col["pops"][..., 1].sum(-1), col["c_k"].sum(-1), steps)
    if note:
        system["apparent_temperature_note"] = note
    data = {
        "steps": steps,
        "collision": collisions,
        "subsystems": subsystems,
        "system": system,
        "bath": {"temperature": t_r, "heat_received": heat_cum, "particle_energy": col["particle_energy"]},
        "conventions": CONVENTIONS,
    }
    return Result(spec, backend, data)


def _at_note(at: np.ndarray, p0: np.ndarray, p1: np.ndarray, c: np.ndarray, steps: list[int]) -> str:
    """Where the apparent temperature is null, say from which step and why."""
    bad = np.flatnonzero(~np.isfinite(at))
    if bad.size == 0:
        return ""
    i = int(bad[0])
    why = thermo.apparent_temperature_issue(float(p0[i]), float(p1[i]), float(c[i]))
    return f"null at {bad.size} of {len(steps)} records, first at step {steps[i]}, where {why}"


HEAT_SIGN = (
    "heat_received by the bath is positive when energy flows system -> bath (as in Fig. 3(e)-(g) of seed 001); "
    "heat_absorbed by a subsystem is E_end - E_start, and initial_heat_current (Eq. 46) is dE_k/dt at the start: "
    "both positive when the subsystem takes energy from the bath"
)

# Written into every result; the physical convention itself is defined in qheat.physics.states.
CONVENTIONS = {
    "units": "hbar = k_B = 1; energies and temperatures in units of delta",
    "ground_state": "|0> is the ground state of H_k = (delta/2) sigma_z (energy -delta/2)",
    "heat_sign": HEAT_SIGN,
    "steps": "single S_k-R interactions completed (a simultaneous collision counts n)",
    "entropy": "nats",
    "coherence": "relative entropy of coherence in the energy (computational) basis",
    "mutual_information_with_bath": "with the bath particle of the current collision (0 before the first interaction)",
    "one_way_coherence": "C_k of Eq. (47); simultaneous mode weighs each pair by 1/2; the system's C = sum_k C_k",
}
