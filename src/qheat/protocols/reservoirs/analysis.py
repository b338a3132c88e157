"""Seeds 003/004 on circuits: the records of ``experiment.batches`` turned into heat currents (pure).

* ``currents_from_counts``: the two-point (Z-before, Z-after) ancilla counts of a sampled circuit,
  turned into q_A, q_B with standard errors from the spread between shots (shots are independent;
  rounds within a shot are not, so the error is never computed per round);
* ``currents_from_states``: the same currents from the shot-free circuit's saved <Z> before and after
  each measured collision (Aer density matrix), times the readout factor of the device;
* ``analyze``: the result body, each method's measured currents beside the exact collision-model
  values and the master equation they approach (``exact``), recomputed from the spec.

Heat sign: q_j > 0 when reservoir j gives energy to the system (bath side: what the ancillas measure).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.records import array
from qheat.protocols.reservoirs import circuits as builders
from qheat.protocols.reservoirs.exact import (
    CONVENTIONS,
    CollisionModel,
    master_equation_currents,
)
from qheat.protocols.reservoirs.spec import ReservoirsSpec

NAMES = builders.RESERVOIR_NAMES


def _bit_matrix(counts: dict[str, int], width: int) -> tuple[np.ndarray, np.ndarray]:
    """(unique outcomes x bits, with column i = classical bit i) and their counts."""
    keys = list(counts)
    if any(len(k) != width for k in keys):
        raise QheatError(f"counts keys must be {width}-bit strings of the 'tpm' register alone")
    raw = np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), width) - ord("0")
    return raw[:, ::-1].astype(np.int8), np.array([counts[k] for k in keys], dtype=float)


def currents_from_counts(
    counts: dict[str, int], metadata: dict[str, Any], estimator: str = "two_point"
) -> dict[str, Any]:
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
    return {
        "heat_current": {"A": float(mean[0]), "B": float(mean[1])},
        "stderr": {"A": float(err[0]), "B": float(err[1])},
        "total": float(mean[2]),
        "total_stderr": float(err[2]),
        "shots": int(shots),
        "measured_rounds": m,
        "estimator": estimator,
    }


def readout_factor(assignment: list[list[float]] | None) -> float:
    """A[1,1] - A[1,0] for a one-qubit assignment matrix A[measured, true]: a flipped bit shifts
    <m> to A[1,0] + (A[1,1] - A[1,0]) <m>, so every two-point difference m_after - m_before, and
    with it every current, is multiplied by this factor (1 - 2r for a symmetric error r)."""
    if assignment is None:
        return 1.0
    a = np.asarray(assignment, dtype=float)
    return float(a[1, 1] - a[1, 0])


def currents_from_states(states: dict[str, Any], metadata: dict[str, Any], factor: float = 1.0) -> dict[str, Any]:
    """q_A, q_B of the shot-free circuit: -(1/dt) sum_w w (p1_after - p1_before) per round, averaged over
    the measured rounds, from the saved <Z> (p1 = (1 - <Z>)/2); ``factor``: ``readout_factor``."""
    m, dt = metadata["measured_rounds"], metadata["dt"]
    q = np.zeros(2)
    for r in range(m):
        for ci, c in enumerate(metadata["collisions"]):
            change = (_z(states[f"z_before_{r}_{ci}"]) - _z(states[f"z_after_{r}_{ci}"])) / 2.0
            q[NAMES.index(c["reservoir"])] += -(c["frequency"] / dt) * change
    q *= factor / max(m, 1)
    return {"heat_current": {"A": float(q[0]), "B": float(q[1])}, "total": float(q.sum()), "readout_factor": factor}


def _z(value: Any) -> float:
    return float(np.real(array(value) if isinstance(value, dict) else value))


def analyze(document: dict[str, Any], spec: ReservoirsSpec) -> dict[str, Any]:
    """The result body of a records document: per method the sampled currents (``currents_from_counts``),
    the shot-free value of the same circuit on the same backend, and the exact references."""
    settings = spec.collisions
    if settings is None:
        raise QheatError("these records have no [collisions] table in their spec; they are not reservoir circuits")
    meta = document.get("metadata", {})
    sampled: dict[str, dict[str, Any]] = {}
    shot_free: dict[str, dict[str, Any]] = {}
    for record in document["records"]:
        where = sampled if record["metadata"].get("circuit") == "sampled" else shot_free
        where[record["metadata"]["method"]] = record
    factor = readout_factor(meta.get("readout_assignment"))
    methods = {}
    for method, record in sampled.items():
        md = record["metadata"]
        body = _method(spec, md, record["counts"], document["backend"])
        body["sampler_seed"] = md["sampler_seed"]
        body["seconds"] = meta.get("sampled_seconds", {}).get(method)
        if method in shot_free:
            body["shot_free"] = currents_from_states(shot_free[method]["states"], shot_free[method]["metadata"], factor)
        body["records"] = [{"counts": record["counts"], "metadata": md}] if settings.keep_records else []
        methods[method] = body
    if not methods:
        raise QheatError("these records hold no sampled reservoir circuit")
    device = {k: meta[k] for k in ("device", "layout", "costs", "engine") if k in meta}
    return {"methods": methods, "conventions": conventions(spec), **({"device": device} if device else {})}


def _method(spec: ReservoirsSpec, md: dict[str, Any], counts: dict[str, int], backend: str) -> dict[str, Any]:
    system, res, settings = spec.system, spec.reservoirs, spec.collision_settings()
    model, rounds, measured = md["model"], md["rounds"], md["measured_rounds"]
    cm = CollisionModel(system, res, md["dt"], model)
    exact = cm.steady_state()
    expected = cm.expected_currents(rounds, measured, md["initial"])
    me = master_equation_currents(system, res, model)
    measured_currents = currents_from_counts(counts, md)
    return {
        "backend": backend,
        "model": model,
        "master_equation": me["method"],
        "dt": md["dt"],
        "theta": [c.theta for c in cm.collisions],
        "rounds": rounds,
        "measured_rounds": measured,
        "shots": settings.shots,
        "seed": settings.seed,
        **{k: measured_currents[k] for k in ("heat_current", "stderr", "total", "total_stderr")},
        "exact": {
            "heat_current": dict(zip(NAMES, exact["heat_current"])),
            "system_side": dict(zip(NAMES, exact["system_side"])),
            "circuit_expectation": dict(zip(NAMES, expected["heat_current"])),
            "second_eigenvalue": exact["second_eigenvalue"],
        },
        "master_equation_currents": {
            "heat_current": dict(zip(NAMES, me["heat_current"])),
            "system_side": dict(zip(NAMES, me["system_side"])),
        },
        "two_qubit_gates_per_round": builders.round_gate_counts(system, res, md["dt"], model, literal=False)[
            "two_qubit"
        ],
        "two_qubit_gates_compiled": md["two_qubit_gates_compiled"],
        "conventions": {
            "heat_current": "from each reservoir into the system per unit time, measured on the ancillas "
            "(bath side); positive = the reservoir gives energy",
            "estimator": "two-point Z measurement of every ancilla in the measured rounds; "
            "stderr from the spread between shots",
        },
    }


def conventions(spec: ReservoirsSpec) -> dict[str, str]:
    """The result's conventions on circuits; ``not_run`` names what the circuits do not give."""
    from qheat.protocols.reservoirs.exact import COLLISION_MODELS

    skipped = [m for m in spec.methods if m not in COLLISION_MODELS]
    not_run = f"{', '.join(skipped)}: no collision-model counterpart (backend 'exact' solves it); " if skipped else ""
    return {
        **CONVENTIONS,
        "heat_current": "from each reservoir into the system per unit time, measured on its ancillas (bath side): "
        "positive = the reservoir gives energy; q_A + q_B = 0 for 'lindblad' (energy-conserving "
        "collisions), not for 'local', whose collisions do work on the coupled qubits",
        "collision_model": "lindblad <- energy-resolved collisions in the eigenbasis; "
        "local <- partial SWAPs at each qubit",
        "stderr": "standard error over shots; exact.circuit_expectation is the noise-free shot-free value of the same "
        "circuit (exact channel); shot_free is its value on this backend (Aer density matrix of the compiled "
        "circuit, noise included, measurements as channels, times the readout factor): what the sampled "
        "currents estimate",
        "not_run": not_run + "populations, rho and coherences are not measured on circuits (only the heat currents), "
        "so the figure draws the currents alone: bars of q_A, q_B with their standard errors "
        "beside the master equation (one spec), or q_A against the swept parameter (a sweep)",
    }
