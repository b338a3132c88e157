"""Seed 001's thermodynamics of a trajectory: ``analyze(snapshots, spec)`` turns the state
after every interaction into energies, heat, free energy (Eq. S19), apparent temperatures
(Eqs. 49, 54), one-way coherence (Eq. 47), relative entropy of coherence and mutual
information with the bath particle (SI resource analysis, Eqs. S26 and 27-36).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from qheat.core.result import Result
from qheat.physics import thermo
from qheat.physics.linalg import von_neumann_entropy
from qheat.physics.states import gibbs_state
from qheat.protocols.cascade.exact import Snapshot
from qheat.protocols.cascade.spec import CascadeSpec

CHUNK = 64  # snapshots analysed together: batched linear algebra, bounded memory at large n


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def system_columns(rho_s: np.ndarray, spec: CascadeSpec) -> dict[str, np.ndarray]:
    """Everything that the system's states alone determine, batched over the leading axes of rho_s:
    populations, one-way coherence C_k (Eq. 47), energies, apparent temperatures (Eqs. 49, 54),
    entropy, relative entropy of coherence and free energy F = E - T_R S (Eq. S19)."""
    delta, t_r = spec.system.delta, spec.bath.temperature
    weights = thermo.coherence_weights(spec.protocol, spec.order)
    pops = thermo.populations(rho_s)
    c_k = thermo.one_way_coherence(rho_s, weights)
    e_k = thermo.subsystem_energies(pops, delta)
    s_sys = thermo.von_neumann_entropies(rho_s)
    energy = e_k.sum(axis=-1)
    return {
        "pops": pops,
        "c_k": c_k,
        "energy_k": e_k,
        "at_k": thermo.apparent_temperature(pops[..., 0], pops[..., 1], c_k, delta),
        "energy": energy,
        "at": thermo.apparent_temperature(pops[..., 0].sum(-1), pops[..., 1].sum(-1), c_k.sum(-1), delta),
        "entropy": s_sys,
        "coherence": thermo.relative_entropy_of_coherence(rho_s, s_sys),
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

    parts: dict[str, list[np.ndarray]] = {}
    steps: list[int] = []
    collisions: list[int] = []
    heat_cum: list[float] = []
    mi_sys: list[float] = []
    heat, e_r_before, s_prev, s_joint = 0.0, e_bath_th, 0.0, 0.0
    for chunk in _chunks(snapshots, CHUNK):
        rho_s = np.stack([s.rho_s for s in chunk])
        rho_r = np.stack([s.rho_r for s in chunk])
        s_r = thermo.von_neumann_entropies(rho_r)
        e_r = thermo.qubit_energy(rho_r, delta)
        columns = system_columns(rho_s, spec)
        s_sys = columns["entropy"]
        columns["mi_k"] = np.maximum(thermo.pair_mutual_information(np.stack([s.rho_kr for s in chunk])), 0.0)
        columns["particle_energy"] = e_r
        for key, value in columns.items():
            parts.setdefault(key, []).append(np.asarray(value))
        for i, snap in enumerate(chunk):
            if snap.step == 0:
                s_joint = s_sys[i] + s_bath_th
            else:
                if snap.fresh_bath:
                    e_r_before, s_joint = e_bath_th, s_prev + s_bath_th
                heat += e_r[i] - e_r_before
            e_r_before, s_prev = e_r[i], s_sys[i]
            steps.append(snap.step)
            collisions.append(snap.collision)
            heat_cum.append(heat)
            mi_sys.append(max(thermo.mutual_information(s_sys[i], s_r[i], s_joint), 0.0))
    col = {key: np.concatenate(value) for key, value in parts.items()}

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
                pops0[k, 0], pops0[k, 1], float(c0[k]), t_r, spec.interaction.g, spec.interaction.tau, delta),
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

