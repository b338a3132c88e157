"""Seed 001: a coherent multipartite system in cascade (or simultaneous) contact with a bath.

``run(spec, backend)`` simulates and analyses; ``analyze(snapshots, spec)`` turns the state
after every interaction into energies, heat, free energy (Eq. S19), apparent temperatures
(Eqs. 49, 54), one-way coherence (Eq. 47), relative entropy of coherence and mutual
information with the bath particle (Eqs. S26-S36).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..analysis import thermo
from ..backends import get_backend
from ..linalg import von_neumann_entropy
from ..results import HEAT_SIGN, Result
from ..specs import CascadeSpec, expand
from ..states import gibbs_state


def run(spec: CascadeSpec, backend: str = "exact") -> Result:
    """Simulate ``spec`` on ``backend`` and analyse it; a spec with a sweep gives one point per value."""
    simulate = get_backend(backend)
    if spec.sweep is not None:
        points = [run(point, backend).to_dict() for point in expand(spec)]
        data = {"sweep": {"parameter": spec.sweep.parameter, "values": list(spec.sweep.values)}, "points": points}
        return Result(spec, backend, data)
    return analyze(simulate(spec), spec, backend)


def analyze(snapshots: Iterable, spec: CascadeSpec, backend: str = "exact") -> Result:
    """Thermodynamics of a trajectory of snapshots (see ``backends.exact.Snapshot``).

    S(S R) inside a collision is taken from unitary invariance: it equals S(rho_S) at the start
    of the collision plus S(rho_R^th), since each collision is a unitary on S (x) R.
    """
    n, delta, t_r = spec.n, spec.system.delta, spec.bath.temperature
    weights = thermo.coherence_weights(spec.protocol, spec.order)
    bath_th = gibbs_state(t_r, delta)
    s_bath_th = von_neumann_entropy(bath_th)
    e_bath_th = thermo.qubit_energy(bath_th, delta)

    cols: dict[str, list[Any]] = {k: [] for k in (
        "steps", "collision", "energy_k", "at_k", "cw_k", "mi_k", "energy", "free", "coh", "entropy",
        "at", "mi", "heat", "bath_energy")}
    at_notes: list[dict[str, int | str]] = [{} for _ in range(n)]
    system_at_note: dict[str, int | str] = {}
    heat = 0.0
    e_r_before = e_bath_th
    s_joint = None
    s_prev = None
    for snap in snapshots:
        rho_s = snap.rho_s
        s_sys = von_neumann_entropy(rho_s)
        if snap.step == 0:
            s_joint = s_sys + s_bath_th
        elif snap.fresh_bath:
            e_r_before = e_bath_th
            s_joint = s_prev + s_bath_th
        e_r = thermo.qubit_energy(snap.rho_r, delta)
        if snap.step > 0:
            heat += e_r - e_r_before
        e_r_before = e_r
        s_prev = s_sys

        pops = thermo.populations(rho_s)
        c_k = np.einsum("pk,pk->k", weights, thermo.exchange_coherences(rho_s))
        ats = []
        for k in range(n):
            value, why = thermo.apparent_temperature(pops[k, 0], pops[k, 1], c_k[k], delta)
            ats.append(value)
            if value is None and not at_notes[k]:
                at_notes[k] = {"first_step": snap.step, "reason": why}
        value, why = thermo.apparent_temperature(pops[:, 0].sum(), pops[:, 1].sum(), c_k.sum(), delta)
        if value is None and not system_at_note:
            system_at_note = {"first_step": snap.step, "reason": why}
        e_k = delta / 2.0 * (pops[:, 1] - pops[:, 0])

        cols["steps"].append(snap.step)
        cols["collision"].append(snap.collision)
        cols["energy_k"].append(e_k)
        cols["at_k"].append(ats)
        cols["cw_k"].append(c_k)
        cols["mi_k"].append(np.maximum(thermo.pair_mutual_information(snap.rho_kr), 0.0))
        cols["energy"].append(e_k.sum())
        cols["free"].append(thermo.free_energy(rho_s, t_r, delta, entropy=s_sys))
        cols["coh"].append(thermo.relative_entropy_of_coherence(rho_s, entropy=s_sys))
        cols["entropy"].append(s_sys)
        cols["at"].append(value)
        cols["mi"].append(max(thermo.mutual_information(s_sys, von_neumann_entropy(snap.rho_r), s_joint), 0.0))
        cols["heat"].append(heat)
        cols["bath_energy"].append(e_r)

    energy_k = np.array(cols["energy_k"])
    pops0 = thermo.populations(spec.initial_state())
    c0 = np.array(cols["cw_k"][0])
    subsystems = []
    for k in range(n):
        t_k = spec.system.temperatures[k]
        entry: dict[str, Any] = {
            "label": f"S{k + 1}",
            "temperature": t_k,
            "energy": energy_k[:, k],
            "heat_absorbed": float(energy_k[-1, k] - energy_k[0, k]),
            "apparent_temperature": [row[k] for row in cols["at_k"]],
            "one_way_coherence": [row[k] for row in cols["cw_k"]],
            "mutual_information_with_bath": [row[k] for row in cols["mi_k"]],
            "reversal_threshold": thermo.reversal_threshold(t_k, t_r, delta),
            "reversal_predicted": thermo.reversal_predicted(float(c0[k]), t_k, t_r, delta),
            "initial_heat_current": thermo.heat_current(
                pops0[k, 0], pops0[k, 1], float(c0[k]), t_r, spec.interaction.g, spec.interaction.tau, delta),
        }
        if at_notes[k]:
            entry["apparent_temperature_note"] = (
                f"null from step {at_notes[k]['first_step']} where {at_notes[k]['reason']}")
        subsystems.append(entry)
    system: dict[str, Any] = {
        "energy": cols["energy"],
        "heat_absorbed": float(cols["energy"][-1] - cols["energy"][0]),
        "free_energy": cols["free"],
        "coherence": cols["coh"],
        "entropy": cols["entropy"],
        "apparent_temperature": cols["at"],
        "mutual_information_with_bath": cols["mi"],
    }
    if system_at_note:
        system["apparent_temperature_note"] = (
            f"null from step {system_at_note['first_step']} where {system_at_note['reason']}")
    data = {
        "steps": cols["steps"],
        "collision": cols["collision"],
        "subsystems": subsystems,
        "system": system,
        "bath": {"temperature": t_r, "heat_received": cols["heat"], "particle_energy": cols["bath_energy"]},
        "conventions": {
            "units": "hbar = k_B = 1; energies and temperatures in units of delta",
            "ground_state": "|0> is the ground state of H_k = (delta/2) sigma_z (energy -delta/2)",
            "heat_sign": HEAT_SIGN,
            "steps": "single S_k-R interactions completed (a simultaneous collision counts n)",
            "entropy": "nats",
            "coherence": "relative entropy of coherence in the energy (computational) basis",
            "mutual_information_with_bath": "with the current bath particle; 0 right after a refresh",
            "one_way_coherence": "C_k of Eq. (47); simultaneous mode weighs each pair by 1/2",
        },
    }
    return Result(spec, backend, data)
