"""Seed 002 Sec. III (Holdsworth & Kawai): two locally thermal qubits, entangled by chi, coupled by V_AB.

``run(spec, "exact")`` evolves rho_AB^0 = rho_A^0 (x) rho_B^0 + chi (Eqs. 3, 5, 10) under
H_A + H_B + V_AB (Eq. 7) and reports the subspace energy difference Delta_AB(t) = E_A - E_B beside
its closed form (Eq. 12), the concurrence and the mutual information (Figs. 1, 2), theta of Eq. (13)
and the time tau = |theta|/(2 Omega) of the first SED extremum.

``run(spec, "aer")`` adds circuits: rho_AB^0 prepared as a purification on two ancillas, the exact
two-qubit evolution, and two-qubit state tomography (9 Pauli settings, SamplerV2 on Aer, fitted by
``analysis.tomography``: qiskit-experiments' linear inversion made positive) at ``circuits.points``
times; SED, concurrence and mutual information from the fitted states with nonparametric bootstrap
standard errors (``circuits.bootstrap`` resamples).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qheat.backends.aer import AerBackend
from qheat.circuits import three_body
from qheat.circuits.preparation import circuit_cost, purification_circuit
from qheat.core.errors import QheatError
from qheat.core.result import Result
from qheat.protocols.registry import expand
from qheat.physics import dense as ht
from qheat.physics.tomography import bootstrap_counts, fit_states
from qheat.physics.tomography import settings as pauli_settings
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec
from qheat.protocols.registry import validated

BACKENDS = ("exact", "aer")

CONVENTIONS = {
    "units": "hbar = k_B = 1; energies in units of hbar omega (H_A = H_B = (omega/2) sigma_z), times in 1/omega",
    "basis": "sigma_z = +1 on the excited |1>; the paper's |01> (A ground, B excited) is qheat index 2 (A on bit 0)",
    "sed": "Delta_AB(t) = E_A(t) - E_B(t) (Eq. 4); sed_closed_form is Eq. (12) with delta = phi_V - phi_chi, "
           "C_0 = 2 |chi_23| = 2 strength sqrt(lambda_4)",
    "entropy": "mutual information I(A:B) = S_A + S_B - S_AB in nats",
    "anomalous": "true when the SED moves beyond Delta_0 (energy flows from the cold to the hot qubit); null with "
                 "equal temperatures (Delta_0 = 0: no gradient)",
    "theta": "Eq. (13) (the limit Delta_0 -> 0+ at equal temperatures); tau = |theta| / (2 Omega) is the first "
             "extremum of the SED (the heat pump's coupling time)",
}


def check_backend(spec: CorrelatedPairSpec, backend: str) -> None:
    from qheat.core.protocol import require_backend

    require_backend("correlated-pair", backend, BACKENDS)


def initial_state(spec: CorrelatedPairSpec) -> np.ndarray:
    q, c = spec.qubits, spec.correlation
    return ht.correlated_pair_state(q.temperatures[0], q.temperatures[1], c.phase, c.strength, q.frequency)


def hamiltonian(spec: CorrelatedPairSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H_A, H_B, V_AB) in qheat order."""
    h_a, h_b = ht.pair_hamiltonians(spec.qubits.frequency)
    return h_a, h_b, ht.exchange_coupling(spec.coupling.strength, spec.coupling.phase)


def run(spec: CorrelatedPairSpec, backend: str = "exact") -> Result:
    check_backend(spec, backend)
    spec = validated(spec)
    if spec.sweep is not None:
        points = [run(p, backend).to_dict() for p in expand(spec)]
        return Result(spec, backend, {"sweep": spec.to_dict()["sweep"], "points": points, "conventions": CONVENTIONS})
    data = trajectory(spec)
    if backend == "aer":
        if spec.circuits is None:
            raise QheatError("backend 'aer' needs a [circuits] table (points, shots, seed)")
        data["circuits"] = measure(spec)
        c = data["circuits"]
        data["headline"] += "; aer tomography: max deviation " + ", ".join(
            f"{name} {ht.deviation_in_sigma(c[k], c['exact_' + k], c['stderr_' + k])}"
            for k, name in (("sed", "SED"), ("concurrence", "concurrence")))
    return Result(spec, backend, data)


def trajectory(spec: CorrelatedPairSpec) -> dict[str, Any]:
    q = spec.qubits
    times = spec.evolution.times
    rho0 = initial_state(spec)
    h_a, h_b, v = hamiltonian(spec)
    rhos = ht.evolve(rho0, h_a + h_b + v, times)
    sed = ht.expectation(rhos, h_a) - ht.expectation(rhos, h_b)
    lam = ht.pair_lambdas(q.temperatures[0], q.temperatures[1], q.frequency)
    c0 = 2.0 * spec.correlation.strength * np.sqrt(lam[3])
    gradient = q.temperatures[0] != q.temperatures[1]
    delta0 = float(sed[0]) if gradient else 0.0      # equal temperatures: Delta_0 = 0 exactly, not rounding
    closed = ht.sed_closed_form(times, delta0, c0, spec.delta, spec.coupling.strength, q.frequency)
    theta = ht.theta_eq13(delta0, c0, spec.delta, q.frequency)
    chi = ht.correlation_matrix(q.temperatures[0], q.temperatures[1], spec.correlation.phase,
                                spec.correlation.strength, q.frequency)
    slope_eq4 = float(np.real(-1j * np.trace((h_a - h_b) @ ht.commutator(v, chi))))
    conc = ht.concurrence(rhos)
    mi = ht.mutual_information(rhos, [0], [1])
    # anomalous: the SED grows against the gradient; with equal temperatures there is no gradient to go against
    anomalous = (None if not gradient else bool(sed.max() > delta0 + 1e-12) if delta0 > 0
                 else bool(sed.min() < delta0 - 1e-12))
    kind = "no gradient" if anomalous is None else "anomalous" if anomalous else "normal"
    headline = (f"delta = {spec.delta:+.4g}: SED {delta0:+.4f} -> extremum {sed[np.argmax(np.abs(sed))]:+.4f} "
                f"({kind}); C_0 = {conc[0]:.4f}; "
                f"max |SED - Eq. (12)| = {np.abs(sed - closed).max():.1g}")
    return {
        "times": times,
        "lambdas": lam,
        "sed": sed,
        "sed_closed_form": closed,
        "energies": {"A": ht.expectation(rhos, h_a), "B": ht.expectation(rhos, h_b)},
        "concurrence": conc,
        "concurrence_eq11": c0,
        "mutual_information": mi,
        "delta": spec.delta,
        "theta": theta,
        "tau": abs(theta) / (2.0 * spec.coupling.strength),
        "initial_slope": {"eq4": slope_eq4,
                          "eq12": float(-2.0 * spec.coupling.strength * q.frequency * c0 * np.sin(spec.delta))},
        "anomalous": anomalous,
        "min_eigenvalue_initial": float(np.linalg.eigvalsh(rho0).min()),
        "conventions": CONVENTIONS,
        "headline": headline,
    }


def measure(spec: CorrelatedPairSpec) -> dict[str, Any]:
    """Tomography of rho_AB(t) on Aer at circuits.points times."""
    settings = spec.circuits
    q = spec.qubits
    rho0 = initial_state(spec)
    h_a, h_b, v = hamiltonian(spec)
    # V_AB: the paper's |01><10| = |A0 B1><A1 B0| = s-_A s+_B (s+ = |1><0|): Omega e^{i phi_V} s-_A s+_B + h.c.;
    # H_A = (omega/2) sigma_z = -(omega/2) Z
    terms = [(spec.coupling.strength * np.exp(1j * spec.coupling.phase), {0: "-", 1: "+"}, True)]
    h0, vop = three_body.hamiltonian_operator(2, [q.frequency, q.frequency], terms)
    if np.abs((h0 + vop).to_matrix() - (h_a + h_b + v)).max() > 1e-12:
        raise AssertionError("Pauli form of H_A + H_B + V_AB disagrees with its matrix")
    times = np.linspace(0.0, spec.evolution.t_max, settings.points)
    prep = purification_circuit(rho0)
    evolutions = [three_body.evolution_circuit(h0, vop, float(t), three_body.Synthesis("exact", 1, 0.0)) for t in times]
    rng = np.random.default_rng(spec.seed_sequence(settings.seed))
    start = time.perf_counter()
    tomo = tomography(prep, evolutions, [{"time": float(t)} for t in times], settings.shots, rng, settings.bootstrap)
    seconds = time.perf_counter() - start
    functions = {
        "sed": lambda r: float(np.real(np.trace(r @ (h_a - h_b)))),
        "concurrence": lambda r: float(ht.concurrence(r)),
        "mutual_information": lambda r: float(ht.mutual_information(r[None], [0], [1])[0]),
    }
    states, replicas = tomo["states"], tomo["replicas"]
    out: dict[str, list] = {}
    for name, f in functions.items():
        out[name] = [f(r) for r in states]
        out["stderr_" + name] = [float(np.std([f(r) for r in column], ddof=1)) for column in replicas.swapaxes(0, 1)]
    exact = ht.evolve(rho0, h_a + h_b + v, times)
    fidelity = [float(np.real(np.trace(_sqrtm(_sqrtm(e) @ s @ _sqrtm(e))) ** 2)) for e, s in zip(exact, states)]
    return {
        "times": times,
        **out,
        "exact_sed": ht.expectation(exact, h_a) - ht.expectation(exact, h_b),
        "exact_concurrence": ht.concurrence(exact),
        "exact_mutual_information": ht.mutual_information(exact, [0], [1]),
        "fidelity": fidelity,
        "rho": {"real": np.real(states), "imag": np.imag(states)},
        "two_qubit_gates": {"preparation": circuit_cost(prep), "evolution": max(circuit_cost(e) for e in evolutions)},
        "shots": settings.shots,
        "seed": settings.seed,
        "sampler_seed": tomo["sampler_seed"],
        "bootstrap": settings.bootstrap,
        "seconds": seconds,
        "records": tomo["records"],
        "conventions": {"tomography": "9 Pauli settings x shots per time (SamplerV2 on Aer through AerBackend.sample, "
                                      "every circuit its own seed, sampler_seed drawn from the spec's seed and key); "
                                      "linear inversion (qiskit-experiments, qheat.physics.tomography) rescaled to a "
                                      "PSD trace-1 state; stderr: std over `bootstrap` nonparametric bootstrap refits "
                                      "(each setting's counts redrawn from its observed frequencies)",
                        "records": "counts per setting, bit i = qubit i (A = 0, B = 1) after the rotation of "
                                   "metadata.m_idx (entry i for qubit i; PauliMeasurementBasis: 0 Z, 1 X, 2 Y)",
                        "fidelity": "Uhlmann fidelity of the fitted state with the exact one"},
    }


def tomography(prep: QuantumCircuit, evolutions: list[QuantumCircuit], metadata: list[dict[str, Any]], shots: int,
               rng: np.random.Generator, bootstrap: int) -> dict[str, Any]:
    """Two-qubit state tomography of qubits 0, 1 after ``prep`` and each evolution, on Aer.

    The settings are ``circuits.cascade.settings(2)`` (entry j for qubit j), the outcome index has bit j =
    qubit j, as ``analysis.tomography`` expects. Returns the fitted states (T, 4, 4), the states of
    ``bootstrap`` nonparametric resamples (bootstrap, T, 4, 4), the records and the sampler's seed.
    """
    order = pauli_settings(2)
    circuits = [three_body.measured_circuit(prep, evo, [0, 1], setting=s,
                                            metadata={**meta, "m_idx": list(s), "measured_qubits": [0, 1]})
                for evo, meta in zip(evolutions, metadata) for s in order]
    sampler_seed = int(rng.integers(2**62))
    counts = AerBackend("aer").sample(three_body.compiled(circuits), [shots] * len(circuits), sampler_seed,
                                      method="statevector")
    table = np.zeros((len(circuits), 4), dtype=np.int64)
    for row, c in zip(table, counts):
        for key, k in c.items():
            row[int(key, 2)] = k
    table = table.reshape(len(evolutions), len(order), 4)
    return {"states": fit_states(table), "replicas": fit_states(bootstrap_counts(table, bootstrap, rng)),
            "sampler_seed": sampler_seed,
            "records": [{"counts": dict(sorted(c.items())), "metadata": qc.metadata} for c, qc in zip(counts, circuits)]}


def _sqrtm(m: np.ndarray) -> np.ndarray:
    e, v = np.linalg.eigh((m + m.conj().T) / 2)
    return (v * np.sqrt(np.clip(e, 0.0, None))) @ v.conj().T
