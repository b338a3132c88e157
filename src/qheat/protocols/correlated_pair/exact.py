"""Seed 002 Sec. III (Holdsworth & Kawai), the exact engine: two locally thermal qubits, entangled by chi.

``trajectory(spec)`` evolves rho_AB^0 = rho_A^0 (x) rho_B^0 + chi (Eqs. 3, 5, 10) under
H_A + H_B + V_AB (Eq. 7) and reports the subspace energy difference Delta_AB(t) = E_A - E_B beside
its closed form (Eq. 12), the concurrence and the mutual information (Figs. 1, 2), theta of Eq. (13)
and the time tau = |theta|/(2 Omega) of the first SED extremum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.physics import dense as ht
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec

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


def initial_state(spec: CorrelatedPairSpec) -> np.ndarray:
    q, c = spec.qubits, spec.correlation
    return ht.correlated_pair_state(q.temperatures[0], q.temperatures[1], c.phase, c.strength, q.frequency)


def hamiltonian(spec: CorrelatedPairSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H_A, H_B, V_AB) in qheat order."""
    h_a, h_b = ht.pair_hamiltonians(spec.qubits.frequency)
    return h_a, h_b, ht.exchange_coupling(spec.coupling.strength, spec.coupling.phase)


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
    delta0 = float(sed[0]) if gradient else 0.0  # equal temperatures: Delta_0 = 0 exactly, not rounding
    closed = ht.sed_closed_form(times, delta0, c0, spec.delta, spec.coupling.strength, q.frequency)
    theta = ht.theta_eq13(delta0, c0, spec.delta, q.frequency)
    chi = ht.correlation_matrix(
        q.temperatures[0], q.temperatures[1], spec.correlation.phase, spec.correlation.strength, q.frequency
    )
    slope_eq4 = float(np.real(-1j * np.trace((h_a - h_b) @ ht.commutator(v, chi))))
    conc = ht.concurrence(rhos)
    mi = ht.mutual_information(rhos, [0], [1])
    # anomalous: the SED grows against the gradient; with equal temperatures there is no gradient to go against
    anomalous = (
        None if not gradient else bool(sed.max() > delta0 + 1e-12) if delta0 > 0 else bool(sed.min() < delta0 - 1e-12)
    )
    kind = "no gradient" if anomalous is None else "anomalous" if anomalous else "normal"
    headline = (
        f"delta = {spec.delta:+.4g}: SED {delta0:+.4f} -> extremum {sed[np.argmax(np.abs(sed))]:+.4f} "
        f"({kind}); C_0 = {conc[0]:.4f}; "
        f"max |SED - Eq. (12)| = {np.abs(sed - closed).max():.1g}"
    )
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
        "initial_slope": {
            "eq4": slope_eq4,
            "eq12": float(-2.0 * spec.coupling.strength * q.frequency * c0 * np.sin(spec.delta)),
        },
        "anomalous": anomalous,
        "min_eigenvalue_initial": float(np.linalg.eigvalsh(rho0).min()),
        "conventions": CONVENTIONS,
        "headline": headline,
    }
