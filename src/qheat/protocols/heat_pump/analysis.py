"""Per-cycle heats from the records of a circuit run (``circuits.batches``), beside the exact engine's.

Q_k of a cycle (seed 002 Eq. C2, heat drawn from bath k) = the bath-k ancilla energy losses summed over
the coupling window (two-point Z measurements) + E_k(end of cycle) - E_k(decoupling): see the
``circuits`` module doc. Per shot x_k = sum(losses) - E_k(decouple) (decouple circuit) and y_k =
E_k(end) (cycle circuit): Q_k = mean(x_k) + mean(y_k), standard error sqrt(var(x_k)/S + var(y_k)/S)
(independent circuits). ``shot_free``: the same estimator from the saved expectation values.
COP = measured Q_B / (T_A I_0) of the last cycle (Eq. 18), I_0 of the prepared state (exact).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.records import array
from qheat.protocols.heat_pump.exact import exact_body
from qheat.protocols.heat_pump.spec import HeatPumpSpec

CIRCUIT_CONVENTIONS = {
    "circuits": "per cycle: the exact engine's post-injection state re-prepared by purification (replaces the "
    "injection), collision rounds as RZ + XXPlusYYGate, bath ancillas refreshed by reset + RY + "
    "measurement (see qheat.protocols.heat_pump.circuits)",
    "heat": "Q_k = sum of bath-k ancilla energy losses in the coupling window (two-point Z measurements) + "
    "E_k(end of cycle) - E_k(decoupling); stderr from the shots of the two circuits; shot_free: the same "
    "estimator from Aer's density matrix",
    "cop": "Q_B / (T_A I_0) of the last cycle with the measured Q_B; I_0 of the prepared state (exact)",
}
NOISE = (
    "the circuits ran with the noise model of {backend} (every compiled gate and readout, the "
    "decouple circuit as noisy statevector trajectories); shot_free is the same noisy circuit's expectation "
    "values; the *_exact values are noise-free"
)


DEVICE_NOISE = (
    "the circuits ran on {backend} (Qiskit Runtime; on fake: its noise model in local mode): the cycle "
    "circuit's bath ancillas refreshed by reset + RY + CX to a purifier; no shot-free values (a device "
    "saves no state: the tests compare with the same circuits' noisy density matrices); the *_exact "
    "values are noise-free"
)


def energy(z: np.ndarray | float, omega: float) -> np.ndarray | float:
    """(omega/2) sigma_z with sigma_z = +1 on |1>: -omega <Z> / 2."""
    return -0.5 * omega * np.asarray(z)


def shot_free_heats(saved: dict[str, float], n_couple: int, omega: float) -> tuple[float, float]:
    """(Q_A, Q_B) of one cycle from a snapshot circuit's expectation values (same estimator as the shots)."""
    out = []
    for k in range(2):
        loss = sum(
            float(energy(saved[f"in{r}_{k}"], omega) - energy(saved[f"out{r}_{k}"], omega)) for r in range(n_couple)
        )
        out.append(loss + float(energy(saved[f"end{k}"], omega) - energy(saved[f"dec{k}"], omega)))
    return out[0], out[1]


def _bits(counts: dict[str, int], width: int) -> np.ndarray:
    """(shots, width) array of outcomes, column j = clbit j."""
    rows = []
    for key, c in counts.items():
        b = np.array([int(ch) for ch in key.replace(" ", "")[::-1]], dtype=np.int8)[:width]
        rows.append(np.repeat(b[None], c, axis=0))
    return np.concatenate(rows)


def sampled_heats(
    decouple_counts: dict[str, int], cycle_counts: dict[str, int], n_couple: int, omega: float
) -> dict[str, dict[str, float]]:
    """{"A": {"Q", "stderr"}, "B": ...} of one cycle from the two circuits' counts (see module doc)."""
    d = _bits(decouple_counts, 4 * n_couple + 2).astype(float)
    e = _bits(cycle_counts, 2).astype(float)
    out = {}
    for k, name in enumerate("AB"):
        loss = omega * (d[:, 2 * k : 4 * n_couple : 4] - d[:, 2 * k + 1 : 4 * n_couple : 4]).sum(axis=1)
        x = loss - omega * (d[:, 4 * n_couple + k] - 0.5)  # - E_k(decouple), E = omega (bit - 1/2)
        y = omega * (e[:, k] - 0.5)  # E_k(end)
        q = float(x.mean() + y.mean())
        se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        out[name] = {"Q": q, "stderr": se}
    return out


def analyze(document: dict[str, Any], spec: HeatPumpSpec) -> dict[str, Any]:
    """The result body of a circuit run: the exact body (recomputed from the spec) with the circuits' part."""
    data = exact_body(spec)
    n_couple, w = data["rounds"]["coupling"], spec.qubits.frequency
    found = {(r["metadata"]["circuit"], r["metadata"]["cycle"]): r for r in document["records"]}
    runtime = document["backend"].startswith(("fake:", "ibm:"))  # a device saves no state: no shot-free batch
    per_cycle = []
    for c, exact in enumerate(data["per_cycle"], start=1):
        try:
            dec, cyc = found["decouple", c]["counts"], found["cycle", c]["counts"]
            saved = None if runtime else {k: float(array(v).real) for k, v in found["shot_free", c]["states"].items()}
        except KeyError:
            raise QheatError(
                f"the records lack a circuit of cycle {c} (decouple, cycle, shot_free); run the spec again with --force"
            ) from None
        m = sampled_heats(dec, cyc, n_couple, w)
        free = (None, None) if saved is None else shot_free_heats(saved, n_couple, w)
        per_cycle.append(
            {
                "Q_A": m["A"]["Q"],
                "Q_A_stderr": m["A"]["stderr"],
                "Q_B": m["B"]["Q"],
                "Q_B_stderr": m["B"]["stderr"],
                "Q_A_shot_free": free[0],
                "Q_B_shot_free": free[1],
                "Q_A_exact": exact["Q_A"],
                "Q_B_exact": exact["Q_B"],
                "I_0": exact["I_0"],
            }
        )
    last, t_a = per_cycle[-1], spec.qubits.temperatures[0]
    cop = last["Q_B"] / (t_a * last["I_0"]) if last["I_0"] > 0 else 0.0
    cop_se = last["Q_B_stderr"] / (t_a * last["I_0"]) if last["I_0"] > 0 else 0.0
    backend, meta = document["backend"], document["metadata"]
    conventions = dict(CIRCUIT_CONVENTIONS)
    if runtime:
        conventions["noise"] = DEVICE_NOISE.format(backend=backend)
    elif backend != "aer":
        conventions["noise"] = NOISE.format(backend=backend)
    data["circuits"] = {
        "shots": spec.circuit_settings().shots,
        "seed": spec.circuit_settings().seed,
        "sampler_seeds": meta["sampler_seeds"],
        "per_cycle": per_cycle,
        "cop": cop,
        "cop_stderr": cop_se,
        "seconds": meta["seconds"],
        "conventions": conventions,
        **{k: meta[k] for k in ("device", "layout", "costs", "engine") if k in meta},
    }
    data["headline"] += (
        f"; {backend} ({spec.circuit_settings().shots} shots per circuit): Q_A = {last['Q_A']:+.4f} +- "
        f"{last['Q_A_stderr']:.4f}, Q_B = {last['Q_B']:+.4f} +- {last['Q_B_stderr']:.4f}, COP "
        f"{cop:.3f} +- {cop_se:.3f}"
    )
    return data
