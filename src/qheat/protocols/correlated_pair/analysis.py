"""Seed 002 Sec. III from the records: two-qubit state tomography of rho_AB(t) and its SED (Eq. 4),
concurrence and mutual information, with nonparametric bootstrap standard errors.

Pure: reads the records document and the spec. The fit is qiskit-experiments' linear inversion made
positive (``qheat.physics.tomography.fit_states``); the bootstrap redraws each setting's counts from
its observed frequencies (``circuits.bootstrap`` resamples) with a generator seeded from the spec, the
same stream that gave the sampler's seed (``streams``), so a records file always analyses to the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.physics import dense as ht
from qheat.physics.tomography import bootstrap_counts, fit_states
from qheat.physics.tomography import settings as pauli_settings
from qheat.protocols.correlated_pair.circuits import tomography_times
from qheat.protocols.correlated_pair.exact import hamiltonian, initial_state
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec

CONVENTIONS = {
    "tomography": "9 Pauli settings x shots per time (SamplerV2 on the run's Aer backend, its noise model included, "
    "every circuit its own seed, sampler_seed drawn from the spec's seed and key); linear inversion "
    "(qiskit-experiments, qheat.physics.tomography) rescaled to a PSD trace-1 state; stderr: std over "
    "`bootstrap` nonparametric bootstrap refits (each setting's counts redrawn from its observed "
    "frequencies, from the same seeded stream); no readout mitigation",
    "records": "counts per setting, bit i = qubit i (A = 0, B = 1) after the rotation of metadata.m_idx (entry i "
    "for qubit i; PauliMeasurementBasis: 0 Z, 1 X, 2 Y)",
    "fidelity": "Uhlmann fidelity of the fitted state with the exact one",
}


DEVICE = (
    "fake:/ibm: the tomography circuits ran on the device (Qiskit Runtime; fake: its noise model in local mode) "
    "on the layout under 'layout': its gate and readout errors bias the fitted states, so the exact_* values "
    "differ by more than the shot noise; the same circuits' noisy shot-free state is what the fit estimates"
)


def streams(spec: CorrelatedPairSpec) -> tuple[int, np.random.Generator]:
    """The sampler's seed and the bootstrap's generator: one stream from ``circuits.seed`` and the spec's key
    (the seed is its first draw, the bootstrap continues it)."""
    rng = np.random.default_rng(spec.seed_sequence(spec.circuit_settings().seed))
    return int(rng.integers(2**62)), rng


def count_table(records: list[dict[str, Any]], times: np.ndarray) -> np.ndarray:
    """Counts (times, 9 settings, 4 outcomes) of the records, matched by metadata time and m_idx
    (outcome index: bit i = qubit i)."""
    by_key = {(r["metadata"].get("time"), tuple(r["metadata"].get("m_idx", ()))): r["counts"] for r in records}
    order = pauli_settings(2)
    table = np.zeros((len(times), len(order), 4), dtype=np.int64)
    for i, t in enumerate(times):
        for j, s in enumerate(order):
            counts = by_key.get((float(t), tuple(s)))
            if counts is None:
                raise QheatError(
                    f"the records hold no counts for time {float(t)!r}, setting {list(s)}; "
                    "they are not this spec's records (run it again)"
                )
            for key, k in counts.items():
                table[i, j, int(key, 2)] = k
    return table


def fit(table: np.ndarray, bootstrap: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The fitted states (T, 4, 4) and those of ``bootstrap`` resamples (bootstrap, T, 4, 4)."""
    return fit_states(table), fit_states(bootstrap_counts(table, bootstrap, rng))


def measured(document: dict[str, Any], spec: CorrelatedPairSpec) -> dict[str, Any]:
    """The result's ``circuits`` part: the tomography of rho_AB(t) beside the exact states."""
    settings = spec.circuit_settings()
    if settings.bootstrap is None:  # set by every correlated-pair [circuits] table
        raise QheatError(f"spec {spec.key()!r}: circuits.bootstrap is missing (the tomography's resamples)")
    meta = document.get("metadata", {})
    if "two_qubit_gates" not in meta:
        raise QheatError("the records' metadata has no 'two_qubit_gates'; they are not correlated-pair records")
    times = tomography_times(spec)
    sampler_seed, rng = streams(spec)
    states, replicas = fit(count_table(document["records"], times), settings.bootstrap, rng)
    h_a, h_b, v = hamiltonian(spec)
    functions = {
        "sed": lambda r: float(np.real(np.trace(r @ (h_a - h_b)))),
        "concurrence": lambda r: float(ht.concurrence(r)),
        "mutual_information": lambda r: float(ht.mutual_information(r[None], [0], [1])[0]),
    }
    out: dict[str, list] = {}
    for name, f in functions.items():
        out[name] = [f(r) for r in states]
        out["stderr_" + name] = [float(np.std([f(r) for r in column], ddof=1)) for column in replicas.swapaxes(0, 1)]
    exact = ht.evolve(initial_state(spec), h_a + h_b + v, times)
    return {
        "times": times,
        **out,
        "exact_sed": ht.expectation(exact, h_a) - ht.expectation(exact, h_b),
        "exact_concurrence": ht.concurrence(exact),
        "exact_mutual_information": ht.mutual_information(exact, [0], [1]),
        "fidelity": [fidelity(e, s) for e, s in zip(exact, states)],
        "rho": {"real": np.real(states), "imag": np.imag(states)},
        "two_qubit_gates": meta["two_qubit_gates"],
        "compiled_two_qubit_gates": meta.get("compiled_two_qubit_gates"),
        "shots": settings.shots,
        "seed": settings.seed,
        "sampler_seed": sampler_seed,
        "bootstrap": settings.bootstrap,
        "seconds": meta.get("seconds"),
        **{k: meta[k] for k in ("device", "layout", "costs", "engine") if k in meta},
        "records": [
            {"counts": dict(sorted(r["counts"].items())), "metadata": r["metadata"]} for r in document["records"]
        ],
        "conventions": {**CONVENTIONS, "device": DEVICE} if "device" in meta else CONVENTIONS,
    }


def headline(backend: str, c: dict[str, Any]) -> str:
    """What the headline adds for the circuits: the largest deviation from the exact values, in standard errors."""
    return f"; {backend} tomography: max deviation " + ", ".join(
        f"{name} {ht.deviation_in_sigma(c[k], c['exact_' + k], c['stderr_' + k])}"
        for k, name in (("sed", "SED"), ("concurrence", "concurrence"))
    )


def fidelity(rho: np.ndarray, sigma: np.ndarray) -> float:
    """Uhlmann fidelity (Tr sqrt(sqrt(rho) sigma sqrt(rho)))^2."""
    root = _sqrtm(rho)
    return float(np.real(np.trace(_sqrtm(root @ sigma @ root)) ** 2))


def _sqrtm(m: np.ndarray) -> np.ndarray:
    e, v = np.linalg.eigh((m + m.conj().T) / 2)
    return (v * np.sqrt(np.clip(e, 0.0, None))) @ v.conj().T
