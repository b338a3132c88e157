"""Q(t) from the counts of a circuit run (``circuits.batches``), beside the exact engine's.

Per shot x = E_B(s_t) - E_B(s_0) (two-point: s_0 read from B's purifying ancillas) or x = E_B(s_t)
(end-point, then Q(t) = <x>(t) - <x>(0) from separate circuits), E_B(s) = <s|H_B|s> for H_B diagonal;
standard errors from the spread over shots. ``circuit_heat_shot_free`` is the same circuits' exact,
noise-free expectation (``Statevector``, rebuilt from the spec): it differs from the exact Q(t) only by
the product-formula error. Pure: reads the records document and the spec only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qheat.core.errors import QheatError
from qheat.physics import dense as ht
from qheat.protocols.heat_transfer.circuits import heat_circuits
from qheat.protocols.heat_transfer.exact import trajectory
from qheat.protocols.heat_transfer.model import Model, build_model
from qheat.protocols.heat_transfer.spec import HeatTransferPhaseSpec, HeatTransferSpec

CONVENTIONS = {
    "heat": "two-point: Q(t) = mean over shots of E_B(t) - E_B(0), E_B(0) read from the ancillas purifying B "
    "(Z-correlated with B's initial state; used when B is a diagonal factor of rho_0); end-point: "
    "<H_B>(t) - <H_B>(0) from separate circuits. SamplerV2 on Aer (AerBackend.sample: circuit i seeded "
    "sampler_seed + i (shots + 1), sampler_seed drawn from the spec's seed and key, so sweep points "
    "differ), all measurements terminal; stderr from the spread over shots",
    "records": "counts per time over metadata.measured_qubits (bit i = i-th of them): B's qubits, then "
    "(two-point) their ancillas",
    "circuit_heat_shot_free": "the same circuits' exact expectation (Statevector of their gates, product "
    "formulas included): differs from exact_heat only by the product-formula error",
    "preparation": "purification of rho_0 + chi on one ancilla per qubit",
}
DEVICE_KEYS = ("device", "layout", "costs", "engine")  # Runtime devices: what ran where, and its cost
RUNTIME = (
    "{backend}: circuits compiled for the layout under 'layout' and sampled through Qiskit Runtime (fake: local "
    "mode with the device's noise model); exact_heat and circuit_heat_shot_free are noise-free, so they differ "
    "from the sampled heat by the device's bias as well as by the shot noise"
)
IDEAL = "ideal Aer: circuits compiled to {{rz, sx, x, cx}}, sampled with the statevector method"
NOISY = (
    "{backend}: circuits compiled by the device and sampled with its noise model (gates, relaxation, "
    "readout) and density matrices; exact_heat and circuit_heat_shot_free are noise-free"
)


def analyze(document: dict[str, Any], spec: HeatTransferSpec | HeatTransferPhaseSpec) -> dict[str, Any]:
    """The exact result body (recomputed from the spec) with the circuits' part under ``circuits``."""
    if isinstance(spec, HeatTransferPhaseSpec):
        raise QheatError("a [phase_diagram] spec has no circuits; it runs on backend 'exact' only")
    model = build_model(spec)
    data = trajectory(spec, model)
    c = circuit_part(document, spec, model)
    data["circuits"] = c
    err = np.abs(np.subtract(c["heat"], c["exact_heat"]))
    label = "Q_device" if "device" in document.get("metadata", {}) else "Q_aer"
    data["headline"] += (
        f"; {document['backend']}: max |{label} - Q_exact| = {err.max():.2g} "
        f"({ht.deviation_in_sigma(c['heat'], c['exact_heat'], c['stderr'])}), "
        f"{c['two_qubit_gates']['evolution_max']} CX per evolution"
    )
    return data


def circuit_part(document: dict[str, Any], spec: HeatTransferSpec, model: Model) -> dict[str, Any]:
    """Q(t) with standard errors from the records, the exact and shot-free Q(t) at the same times."""
    hc = heat_circuits(spec, model)
    records, meta = document["records"], document.get("metadata", {})
    missing = next((k for k in ("sampler_seed", "two_qubit_gates", "seconds") if k not in meta), None)
    if missing:
        raise QheatError(f"the records' metadata has no {missing!r}: not a heat-transfer circuit run; measure again")
    times = [r.get("metadata", {}).get("time") for r in records]
    if (
        len(records) != len(hc.times)
        or None in times
        or not np.allclose(np.asarray(times, dtype=float), hc.times, rtol=1e-12)
    ):
        raise QheatError(
            f"the records hold {len(records)} circuits, not the {len(hc.times)} times of the spec's "
            "[circuits] table; measure again (--force)"
        )
    b, n = model.partition.b, model.n
    e_b = energies_of_b(model.h_b, b, n)
    mask = 2 ** len(b) - 1
    means, errs = [], []
    for r in records:
        counts = r["counts"]
        outcome = np.array([int(k, 2) for k in counts])
        freq = np.array(list(counts.values()), dtype=float)
        x = e_b[outcome & mask] - (e_b[outcome >> len(b)] if hc.two_point else 0.0)
        mean = float(freq @ x / freq.sum())
        means.append(mean)
        errs.append(float(np.sqrt(freq @ (x - mean) ** 2 / (freq.sum() - 1) / freq.sum())))
    energy, err = np.array(means), np.array(errs)
    if hc.two_point:
        heat, stderr = energy, err
    else:
        heat = energy - energy[0]
        stderr = np.sqrt(err**2 + err[0] ** 2)
        stderr[0] = 0.0
    exact = ht.expectation(ht.evolve(model.rho0, model.h, hc.times), model.h_b)
    shot_free = shot_free_energy(hc.circuits, b, e_b)
    backend = document["backend"]
    return {
        "times": hc.times,
        "heat": heat,
        "stderr": stderr,
        "exact_heat": exact - exact[0],
        "circuit_heat_shot_free": shot_free - shot_free[0],
        "energy_B": energy,
        "synthesis": [s.method for s in hc.synthesis],
        "trotter_reps": [s.reps for s in hc.synthesis],
        "trotter_error_bound": [s.error_bound for s in hc.synthesis],
        "split_local_part": hc.split_local_part,
        "two_qubit_gates": meta["two_qubit_gates"],
        "shots": spec.circuit_settings().shots,
        "seed": spec.circuit_settings().seed,
        "sampler_seed": meta["sampler_seed"],
        "seconds": meta["seconds"],
        "estimator": "two-point" if hc.two_point else "end-point",
        **{k: meta[k] for k in DEVICE_KEYS if k in meta},
        "records": [{"counts": dict(sorted(r["counts"].items())), "metadata": r["metadata"]} for r in records],
        "conventions": {
            **CONVENTIONS,
            "device": (RUNTIME if "device" in meta else NOISY if meta.get("noise") else IDEAL).format(backend=backend),
        },
    }


def energies_of_b(h_b: np.ndarray, b: Sequence[int], n: int) -> np.ndarray:
    """<s|H_B|s> for every bit string s of B's qubits (bit i = qubit b[i]); H_B acts on B only."""
    idx = np.zeros(2 ** len(b), dtype=int)
    for s in range(2 ** len(b)):
        idx[s] = sum(((s >> i) & 1) << q for i, q in enumerate(b))
    return np.real(np.diag(h_b))[idx]


def shot_free_energy(circuits: Sequence[QuantumCircuit], b: Sequence[int], e_b: np.ndarray) -> np.ndarray:
    """<H_B> at the end of each (logical) circuit, from its exact state (Statevector, no shots, no noise).

    Each ``PauliEvolutionGate`` is first replaced by its product formula: ``Statevector`` would otherwise
    apply the gate's exact exponential and hide the Trotter error the compiled circuits carry."""
    from qiskit.quantum_info import Statevector

    out = []
    for qc in circuits:
        gates = qc.remove_final_measurements(inplace=False).decompose(gates_to_decompose=["PauliEvolution"])
        out.append(float(Statevector(gates).probabilities(list(b)) @ e_b))  # probabilities little endian over b
    return np.array(out)
