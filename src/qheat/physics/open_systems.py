"""Qubits between two bosonic reservoirs: master equations and steady heat currents (seeds 003, 004).

Operators follow ``qheat.physics.states``: |0> is the ground state and basis index bit j is qubit j, so
qubit 0 ("qubit 1" of the papers) meets reservoir A and the last qubit meets reservoir B.
H_S = sum_k (omega_k/2) sigma_z^k + coupling, with the papers' sigma_z (+1 on the excited |1>).

Every master equation is built with QuTiP: ``brterm``/``brcrossterm`` (Bloch-Redfield, with or
without the secular approximation) and ``liouvillian`` with local collapse operators; the steady
state comes from ``qutip.steadystate``. The heat current from reservoir j into the system is
q_j = Tr(H_S D_j[rho]) with D_j that reservoir's dissipator (seed 003 Eqs. 2.11-2.12, seed 004
Eq. 21), so q_A + q_B = 0 in the steady state.

The Lamb shift (seed 004, Eqs. 9-15: the principal-value part S(w) of Gamma(w) = G(w) + i S(w))
is off by default, as in QuTiP's Bloch-Redfield tensor, which keeps Gamma real (its non-secular
terms still carry the commutator with xi(w, w') = (G(w) - G(w'))/2i). With it on, the global
equations are assembled from the eigenoperators V_j(w) with QuTiP superoperators
(``bloch_redfield_generator``; with S = 0 it equals QuTiP's tensor to 1e-12) and the heat
currents are Tr((H_S + H_LS) L_j[rho]) with L_j the dissipator of Eq. (10) (seed 004, Eq. 21).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import qutip as qt
from scipy.integrate import quad

from qheat.core.errors import QheatError

SECULAR_CUTOFF = 1e-6  # QuTiP's rule: relative to the smallest nonzero level spacing; only exact resonances survive


def planck(w: float, temperature: float) -> float:
    """Bose-Einstein occupation n(w) = 1 / (e^{w/T} - 1), for w > 0 (no overflow at large w/T)."""
    x = w / temperature
    return float(np.exp(-x) / -np.expm1(-x))


def rate_function(res: Reservoirs, j: int) -> Callable[[float], float]:
    """The emission-rate prefactor g_j(w), w > 0, so that a transition at w decays at g(w)(1 + n(w)).

    flat: the constant g of seed 003 (Eq. 3.8, g = 2 pi sum_k lambda_k^2 delta(w - w_k));
    ohmic-drude: 2 J(w) with seed 004's J(w) = gamma w / (1 + (w/w_D)^2) (Eqs. 16-17,
    J = pi sum |kappa|^2 delta), since its rates are gamma(w, w) = 2 G(w) = 2 J(w)(n + 1) (Eqs. 12, 14).
    """
    strength = res.strengths[j]
    if res.spectral_density == "flat":
        return lambda w: strength
    cutoff = res.cutoff
    if cutoff is None:
        raise QheatError("reservoirs.cutoff (the Drude frequency omega_D) is needed for spectral_density 'ohmic-drude'")
    return lambda w: 2.0 * strength * w / (1.0 + (w / cutoff) ** 2)


def power_spectrum(res: Reservoirs, j: int) -> Callable[[float], float]:
    """S_j(w) = g(w)(1 + n(w)) for w > 0 (the system gives w to the bath), g(|w|) n(|w|) for w < 0.

    This is seed 003's D(w) (Eqs. 3.6-3.7) and seed 004's 2 G_j(w) (Eq. 14); at w = 0 it is the
    limit g'(0) T for an Ohmic bath and 0 for a flat one (no coupling operator here has a
    zero-frequency part, so that value never enters).
    """
    rate, temperature = rate_function(res, j), res.temperatures[j]
    slope = 0.0 if res.spectral_density == "flat" else 2.0 * res.strengths[j]

    def spectrum(w: float) -> float:
        if w > 0:
            return rate(w) * (1.0 + planck(w, temperature))
        if w < 0:
            return rate(-w) * planck(-w, temperature)
        return slope * temperature

    return spectrum


def on_qubit(op: qt.Qobj, k: int, n: int) -> qt.Qobj:
    """``op`` on qubit k of n, with qheat's order (QuTiP's first tensor factor is the highest bit)."""
    return qt.tensor([op if q == k else qt.qeye(2) for q in reversed(range(n))])


GROUND, EXCITED = qt.basis(2, 0), qt.basis(2, 1)
SIGMA_PLUS = EXCITED * GROUND.dag()  # |1><0| raises the energy
SIGMA_Z = EXCITED.proj() - GROUND.proj()  # the papers' sigma_z: +1 on the excited state
SIGMA_X = SIGMA_PLUS + SIGMA_PLUS.dag()


def hamiltonian(system: QubitSystem) -> qt.Qobj:
    """H_S of seed 003 (Eq. 3.27, 'exchange') or seed 004 (Eq. 1, 'xx')."""
    n = system.n
    h = sum(0.5 * w * on_qubit(SIGMA_Z, k, n) for k, w in enumerate(system.frequencies))
    if n == 2 and system.strength:
        if system.coupling == "exchange":
            hop = on_qubit(SIGMA_PLUS, 0, 2) * on_qubit(SIGMA_PLUS.dag(), 1, 2)
            h += system.strength * (hop + hop.dag())
        else:
            h += system.strength * on_qubit(SIGMA_X, 0, 2) * on_qubit(SIGMA_X, 1, 2)
    return h


def site(j: int, n: int) -> int:
    """The qubit reservoir j (0: A, 1: B) couples to."""
    return 0 if j == 0 else n - 1


def bath_dissipator(method: str, h: qt.Qobj, system: QubitSystem, res: Reservoirs, j: int) -> qt.Qobj:
    """Superoperator D_j of reservoir j alone (without -i[H, .]) for one master equation.

    lindblad: global Born-Markov-secular (Bloch-Redfield with the secular approximation);
    redfield: global Bloch-Redfield without it (seed 003 Sec. III C, seed 004 Eq. 8);
    local: Lindblad dissipators on the reservoir's own qubit at its bare frequency.
    """
    n, q = system.n, site(j, system.n)
    spectrum = power_spectrum(res, j)
    if method == "local":
        w = system.frequencies[q]
        rate_down, rate_up = spectrum(w), spectrum(-w)
        lower = on_qubit(SIGMA_PLUS.dag(), q, n)
        return qt.lindblad_dissipator(np.sqrt(rate_down) * lower) + qt.lindblad_dissipator(
            np.sqrt(rate_up) * lower.dag()
        )
    cutoff = SECULAR_CUTOFF if method == "lindblad" else -1
    if res.coupling == "sigma_x":
        return qt.brterm(h, on_qubit(SIGMA_X, q, n), spectrum, sec_cutoff=cutoff, fock_basis=True)
    # s+ A + s- A^dagger: only the cross terms of sigma_x = s+ + s- survive, as <A A> = <A^dag A^dag> = 0
    up = on_qubit(SIGMA_PLUS, q, n)
    return qt.brcrossterm(h, up, up.dag(), spectrum, sec_cutoff=cutoff, fock_basis=True) + qt.brcrossterm(
        h, up.dag(), up, spectrum, sec_cutoff=cutoff, fock_basis=True
    )


def eigenoperators(h: np.ndarray, a: np.ndarray, atol: float = 1e-12) -> list[tuple[float, np.ndarray]]:
    """A = sum_w A(w) with [H, A(w)] = -w A(w): (w, A(w)) for every w (any sign), w ascending.

    w > 0 lowers the energy by w (seed 004, Eq. 5). Bohr frequencies closer than QuTiP's secular
    tolerance (SECULAR_CUTOFF times the smallest level spacing) count as one, so the secular
    equation built from these parts is the one ``bath_dissipator('lindblad', ...)`` builds.
    """
    energies, w = np.linalg.eigh(h)
    gaps = np.abs(np.subtract.outer(energies, energies))
    gaps = gaps[gaps > 1e-12 * max(1.0, float(np.max(np.abs(energies))))]
    tol = SECULAR_CUTOFF * (float(gaps.min()) if gaps.size else 1.0)
    a_eig = w.conj().T @ a @ w
    groups: list[list] = []  # [frequency, [(i, k), ...]]
    for i in range(len(energies)):
        for k in range(len(energies)):
            if abs(a_eig[i, k]) <= atol:
                continue
            bohr = energies[k] - energies[i]  # |i><k| lowers the energy by E_k - E_i
            for g in groups:
                if abs(g[0] - bohr) < tol:
                    g[1].append((i, k))
                    break
            else:
                groups.append([bohr, [(i, k)]])
    out = []
    for _, pairs in sorted(groups, key=lambda g: g[0]):
        part = np.zeros_like(a_eig)
        for i, k in pairs:
            part[i, k] = a_eig[i, k]
        mean = float(np.mean([energies[k] - energies[i] for i, k in pairs]))
        out.append((mean if abs(mean) > tol else 0.0, w @ part @ w.conj().T))
    return out


def lamb_shift_spectrum(res: Reservoirs, j: int) -> Callable[[float], float]:
    """S_j(w) = (1/pi) P.V. int_0^inf J(w') [(n(w') + 1)/(w - w') + n(w')/(w + w')] dw' (seed 004, Eq. 15).

    J is seed 004's spectral density, half of ``rate_function``. Needs a decaying J (Ohmic-Drude).
    """
    if res.spectral_density == "flat":
        raise ValueError("the Lamb shift of a flat spectral density diverges")
    rate = rate_function(res, j)  # = 2 J
    temperature = res.temperatures[j]

    def occupied(x: float) -> float:  # J(x) n(x), finite as x -> 0
        return 0.5 * rate(x) * planck(x, temperature) if x > 0 else res.strengths[j] * temperature

    def pv(f: Callable[[float], float], pole: float) -> float:
        """P.V. int_0^inf f(x) / (x - pole) dx."""
        if pole <= 0:
            return quad(lambda x: f(x) / (x - pole), 0.0, np.inf, limit=400)[0]
        top = 4.0 * pole
        return (
            quad(f, 0.0, top, weight="cauchy", wvar=pole, limit=400)[0]
            + quad(lambda x: f(x) / (x - pole), top, np.inf, limit=400)[0]
        )

    def emitted(x: float) -> float:  # J (n + 1)
        return 0.5 * rate(x) + occupied(x)

    def shift(w: float) -> float:
        return (-pv(emitted, w) + pv(occupied, -w)) / np.pi

    return shift


def bloch_redfield_generator(
    h: qt.Qobj, a: qt.Qobj, gamma: Callable[[float], complex], secular: bool
) -> tuple[qt.Qobj, qt.Qobj]:
    """(dissipator L, Lamb-shift Hamiltonian H_LS) of one coupling A (x) B, seed 004 Eqs. 9-12:

    L(rho) = sum_{w,w'} gamma(w,w') (V(w) rho V^dag(w') - 1/2 {V^dag(w') V(w), rho}),
    H_LS = sum_{w,w'} xi(w,w') V^dag(w') V(w), with gamma(w,w') = Gamma(w) + Gamma*(w'),
    xi(w,w') = (Gamma(w) - Gamma*(w'))/(2i), Gamma(w) = G(w) + i S(w). ``secular`` keeps w = w' only.
    """
    parts = [(w, qt.Qobj(v, dims=h.dims)) for w, v in eigenoperators(h.full(), a.full())]
    values = {w: complex(gamma(w)) for w, _ in parts}
    dissipator = 0 * qt.spre(h)
    lamb = 0 * h
    for w, v in parts:
        for w2, v2 in parts:
            if secular and abs(w - w2) > 1e-9:
                continue
            rate = values[w] + np.conj(values[w2])
            xi = (values[w] - np.conj(values[w2])) / 2j
            product = v2.dag() * v
            dissipator += rate * (qt.sprepost(v, v2.dag()) - 0.5 * (qt.spre(product) + qt.spost(product)))
            lamb += xi * product
    return dissipator, lamb


def energy_flow(energy: qt.Qobj, dissipator: qt.Qobj, rho: qt.Qobj) -> float:
    """Tr(E D[rho]): the rate at which ``dissipator`` changes the mean of ``energy`` in state rho."""
    return float(np.real((energy * qt.vector_to_operator(dissipator * qt.operator_to_vector(rho))).tr()))


def energy_basis(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energies (ascending) and eigenvectors as columns, each with its largest entry real positive."""
    energies, w = np.linalg.eigh(h)
    for i in range(w.shape[1]):
        big = w[np.argmax(np.abs(w[:, i])), i]
        w[:, i] *= abs(big) / big
    return energies, w


@dataclass(frozen=True)
class SteadyState:
    """A master equation's steady state and the heat current from each reservoir into the system."""

    rho: np.ndarray  # computational basis, qheat order
    energies: np.ndarray  # eigenvalues of H_S, ascending
    rho_energy: np.ndarray  # <E_i| rho |E_k>, same order (eigenvector phases: see energy_basis)
    heat_currents: tuple[float, float]

    @property
    def populations(self) -> np.ndarray:
        return np.real(np.diag(self.rho_energy))

    @property
    def min_eigenvalue(self) -> float:
        return float(np.linalg.eigvalsh(self.rho).min())


def steady_state(method: str, system: QubitSystem, res: Reservoirs, lamb_shift: bool = False) -> SteadyState:
    """Solve one master equation for its steady state and per-reservoir currents.

    Refuses (QheatError) a generator whose steady state is not unique (e.g. a qubit no reservoir
    reaches) and numbers the solver cannot represent, instead of returning an arbitrary state.
    """
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _steady_state(method, system, res, lamb_shift)
    except QheatError:
        raise
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        raise QheatError(
            f"the {method} master equation cannot be solved for these numbers ({exc}); "
            "keep frequencies, temperatures and couplings within a few orders of magnitude"
        ) from None


def _steady_state(method: str, system: QubitSystem, res: Reservoirs, lamb_shift: bool) -> SteadyState:
    h = hamiltonian(system)
    if lamb_shift and method != "local":
        dissipators, shifts = [], []
        for j in (0, 1):
            rate = power_spectrum(res, j)
            s_j = lamb_shift_spectrum(res, j)
            op = on_qubit(SIGMA_X, site(j, system.n), system.n)

            def gamma(w: float, g: Callable[[float], float] = rate, s: Callable[[float], float] = s_j) -> complex:
                return 0.5 * g(w) + 1j * s(w)  # Gamma = G + i S (seed 004, Eq. 14)

            d, hl = bloch_redfield_generator(h, op, gamma, secular=(method == "lindblad"))
            dissipators.append(d)
            shifts.append(hl)
        energy = h + shifts[0] + shifts[1]
    else:
        dissipators = [bath_dissipator(method, h, system, res, j) for j in (0, 1)]
        energy = h
    generator = qt.liouvillian(energy) + dissipators[0] + dissipators[1]
    spectrum = np.abs(np.linalg.eigvals(generator.full()))
    if np.sum(spectrum < 1e-10 * max(spectrum.max(), 1e-300)) != 1:
        raise QheatError(
            f"the {method} master equation has no unique steady state: some levels are reached by no "
            "reservoir (give both reservoirs a nonzero strength, or couple the qubits)"
        )
    rho = qt.steadystate(generator.to("dense"), method="eigen")
    rho = (rho + rho.dag()) / (2.0 * rho.tr())
    if not np.all(np.isfinite(rho.full())):
        raise ValueError("the steady state is not finite")
    currents = tuple(energy_flow(energy, d, rho) for d in dissipators)
    energies, vectors = energy_basis(h.full())
    matrix = rho.full()
    return SteadyState(matrix, energies, vectors.conj().T @ matrix @ vectors, (currents[0], currents[1]))


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


@dataclass(frozen=True)
class QubitSystem:
    """One qubit, or two coupled ones: H_S = sum_k (omega_k/2) sigma_z^k + coupling (seeds 003, 004).

    coupling "exchange": lambda (s+^1 s-^2 + s-^1 s+^2) (seed 003, Eq. 3.27);
    coupling "xx": g sigma_x^1 sigma_x^2 (seed 004, Eq. 1).
    """

    frequencies: tuple[float, ...]
    coupling: str = "exchange"
    strength: float = 0.0

    @property
    def n(self) -> int:
        return len(self.frequencies)


@dataclass(frozen=True)
class Reservoirs:
    """Two bosonic reservoirs A (on qubit 1) and B (on the last qubit) at T_A, T_B.

    spectral_density "flat": the rate function g(w) = strength of seed 003 (Eq. 3.8: a transition
    at w decays at g (1 + n(w))); "ohmic-drude": seed 004's J(w) = strength * w / (1 + (w/cutoff)^2)
    (Eq. 17, gamma_j = C_j lambda_j^2), whose rates are 2 J (1 + n) (Eqs. 12, 14).
    coupling "sigma_x": sigma_x^j (A + A^dagger) (seed 004, Eq. 5); "rwa": s+^j A + s-^j A^dagger
    (seed 003, Eqs. 3.28-3.29). Both give the same global Lindblad equation; Redfield differs.
    """

    temperatures: tuple[float, float]
    strengths: tuple[float, float]
    spectral_density: str = "flat"
    cutoff: float | None = None
    coupling: str = "sigma_x"
