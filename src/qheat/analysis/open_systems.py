"""Qubits between two bosonic reservoirs: master equations and steady heat currents (seeds 003, 004).

Operators follow ``qheat.states``: |0> is the ground state and basis index bit j is qubit j, so
qubit 0 ("qubit 1" of the papers) meets reservoir A and the last qubit meets reservoir B.
H_S = sum_k (omega_k/2) sigma_z^k + coupling, with the papers' sigma_z (+1 on the excited |1>).

Every master equation is built with QuTiP: ``brterm``/``brcrossterm`` (Bloch-Redfield, with or
without the secular approximation) and ``liouvillian`` with local collapse operators; the steady
state comes from ``qutip.steadystate``. The heat current from reservoir j into the system is
q_j = Tr(H_S D_j[rho]) with D_j that reservoir's dissipator (seed 003 Eqs. 2.11-2.12, seed 004
Eq. 21), so q_A + q_B = 0 in the steady state. The Lamb shift is not included.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import qutip as qt

from ..specs import QubitSystem, Reservoirs

SECULAR_CUTOFF = 1e-6  # relative to the smallest Bohr-frequency difference: only exact resonances survive


def planck(w: float, temperature: float) -> float:
    """Bose-Einstein occupation n(w) = 1 / (e^{w/T} - 1)."""
    return float(1.0 / np.expm1(w / temperature))


def spectral_density(res: Reservoirs, j: int) -> Callable[[float], float]:
    """J_j(w) for w > 0: flat (seed 003's g) or Ohmic-Drude gamma w / (1 + (w/w_D)^2) (seed 004, Eq. 17)."""
    strength = res.strengths[j]
    if res.spectral_density == "flat":
        return lambda w: strength
    cutoff = res.cutoff
    return lambda w: strength * w / (1.0 + (w / cutoff) ** 2)


def power_spectrum(res: Reservoirs, j: int) -> Callable[[float], float]:
    """S_j(w): J(w)(1 + n(w)) for w > 0 (the system gives w to the bath), J(|w|) n(|w|) for w < 0.

    This is seed 003's D(w) (Eqs. 3.6-3.7) and seed 004's 2 G_j(w) (Eq. 14); at w = 0 it is the
    limit J'(0) T for an Ohmic bath and 0 for a flat one (no coupling operator here has a
    zero-frequency part, so that value never enters).
    """
    density, temperature = spectral_density(res, j), res.temperatures[j]
    slope = 0.0 if res.spectral_density == "flat" else res.strengths[j]

    def spectrum(w: float) -> float:
        if w > 0:
            return density(w) * (1.0 + planck(w, temperature))
        if w < 0:
            return density(-w) * planck(-w, temperature)
        return slope * temperature

    return spectrum


def _on(op: qt.Qobj, k: int, n: int) -> qt.Qobj:
    """``op`` on qubit k of n, with qheat's order (QuTiP's first tensor factor is the highest bit)."""
    return qt.tensor([op if q == k else qt.qeye(2) for q in reversed(range(n))])


GROUND, EXCITED = qt.basis(2, 0), qt.basis(2, 1)
SIGMA_PLUS = EXCITED * GROUND.dag()            # |1><0| raises the energy
SIGMA_Z = EXCITED.proj() - GROUND.proj()       # the papers' sigma_z: +1 on the excited state
SIGMA_X = SIGMA_PLUS + SIGMA_PLUS.dag()


def hamiltonian(system: QubitSystem) -> qt.Qobj:
    """H_S of seed 003 (Eq. 3.27, 'exchange') or seed 004 (Eq. 1, 'xx')."""
    n = system.n
    h = sum(0.5 * w * _on(SIGMA_Z, k, n) for k, w in enumerate(system.frequencies))
    if n == 2 and system.strength:
        if system.coupling == "exchange":
            hop = _on(SIGMA_PLUS, 0, 2) * _on(SIGMA_PLUS.dag(), 1, 2)
            h += system.strength * (hop + hop.dag())
        else:
            h += system.strength * _on(SIGMA_X, 0, 2) * _on(SIGMA_X, 1, 2)
    return h


def _site(j: int, n: int) -> int:
    """The qubit reservoir j (0: A, 1: B) couples to."""
    return 0 if j == 0 else n - 1


def bath_dissipator(method: str, h: qt.Qobj, system: QubitSystem, res: Reservoirs, j: int) -> qt.Qobj:
    """Superoperator D_j of reservoir j alone (without -i[H, .]) for one master equation.

    lindblad: global Born-Markov-secular (Bloch-Redfield with the secular approximation);
    redfield: global Bloch-Redfield without it (seed 003 Sec. III C, seed 004 Eq. 8);
    local: Lindblad dissipators on the reservoir's own qubit at its bare frequency.
    """
    n, site = system.n, _site(j, system.n)
    spectrum = power_spectrum(res, j)
    if method == "local":
        w = system.frequencies[site]
        rate_down, rate_up = spectrum(w), spectrum(-w)
        lower = _on(SIGMA_PLUS.dag(), site, n)
        return qt.lindblad_dissipator(np.sqrt(rate_down) * lower) + qt.lindblad_dissipator(np.sqrt(rate_up) * lower.dag())
    cutoff = SECULAR_CUTOFF if method == "lindblad" else -1
    if res.coupling == "sigma_x":
        return qt.brterm(h, _on(SIGMA_X, site, n), spectrum, sec_cutoff=cutoff, fock_basis=True)
    # s+ A + s- A^dagger: only the cross terms of sigma_x = s+ + s- survive, as <A A> = <A^dag A^dag> = 0
    up = _on(SIGMA_PLUS, site, n)
    return (qt.brcrossterm(h, up, up.dag(), spectrum, sec_cutoff=cutoff, fock_basis=True)
            + qt.brcrossterm(h, up.dag(), up, spectrum, sec_cutoff=cutoff, fock_basis=True))


@dataclass(frozen=True)
class SteadyState:
    """A master equation's steady state and the heat current from each reservoir into the system."""

    rho: np.ndarray                 # computational basis, qheat order
    energies: np.ndarray            # eigenvalues of H_S, ascending
    populations: np.ndarray         # <E_i| rho |E_i>, same order
    heat_currents: tuple[float, float]

    @property
    def min_eigenvalue(self) -> float:
        return float(np.linalg.eigvalsh(self.rho).min())


def steady_state(method: str, system: QubitSystem, res: Reservoirs) -> SteadyState:
    """Solve one master equation for its steady state and per-reservoir currents."""
    h = hamiltonian(system)
    dissipators = [bath_dissipator(method, h, system, res, j) for j in (0, 1)]
    generator = qt.liouvillian(h) + dissipators[0] + dissipators[1]
    rho = qt.steadystate(generator.to("dense"), method="eigen")
    rho = (rho + rho.dag()) / (2.0 * rho.tr())
    currents = tuple(float(np.real((h * qt.vector_to_operator(d * qt.operator_to_vector(rho))).tr()))
                     for d in dissipators)
    energies, vectors = np.linalg.eigh(h.full())
    matrix = rho.full()
    populations = np.real(np.einsum("ai,ab,bi->i", vectors.conj(), matrix, vectors))
    return SteadyState(matrix, energies, populations, (currents[0], currents[1]))


def negative_differential_conductance(bias: np.ndarray, current: np.ndarray) -> dict[str, float | bool | None]:
    """NDTC along a sweep (seed 004, Figs. 3-6): the current from the hotter reservoir falls while
    the temperature difference T_A - T_B still grows.

    Only points with T_A > T_B count; ``applicable`` is False unless the sweep visits at least
    three different positive temperature differences.
    Returns the bias of the largest current and whether the current falls after it.
    """
    bias, current = np.asarray(bias, dtype=float), np.asarray(current, dtype=float)
    hot = bias > 0
    if np.unique(bias[hot]).size < 3:
        return {"applicable": False, "present": False, "peak_at": None, "peak_current": None}
    order = np.argsort(bias[hot])
    b, q = bias[hot][order], current[hot][order]
    peak = int(np.argmax(q))
    tolerance = 1e-9 * float(np.max(np.abs(q)))
    present = bool(np.any(np.diff(q[peak:]) < -tolerance))
    return {"applicable": True, "present": present, "peak_at": float(b[peak]), "peak_current": float(q[peak])}
