"""Seed 002 Sec. V (Holdsworth & Kawai): a heat pump fuelled by correlation, with collision-model baths.

Each qubit k (A: hot, B: cold) has its own bath: every round of length dt the pair evolves under
H_A + H_B (+ V_AB while coupled) and then each qubit meets a fresh ancilla, thermal at T_k and
resonant with it, in a partial SWAP of angle theta_k, theta_k^2 = kappa_k (1 + 2 n_k) dt (n_k the
Bose occupation at omega). For dt -> 0 this is the local Lindblad equation with rates kappa(1 + n)
(down) and kappa n (up) (tested against QuTiP's mesolve). The heat drawn from bath k in a collision
is the energy its qubit gains in it (the partial SWAP conserves qubit + ancilla energy).

The cycle (Fig. 3): the qubits start thermal (the exact fixed point of the uncoupled rounds); inject
chi (Eq. 10), rho -> rho + chi (no energy, Tr[(H_A + H_B) chi] = 0); couple for tau = |theta|/(2 Omega)
(Eq. 13); decouple (work -<V_AB>, reported); rethermalise for ``relax_time``; repeat.

Reported: heat drawn from each bath over time and per cycle, Sigma_0 and Sigma (Eqs. 14, 15, with the
sign of Appendix C: Sigma = Delta S_AB - Q_A/T_A - Q_B/T_B for Q drawn from the baths; the printed
Eqs. 14-15 have +Q/T, which contradicts Eq. C4 and Eq. 17), and the COP Q_B/(T_A I_0) against the
Carnot bound T_B/(T_A - T_B) (Eq. 18).

On circuit backends (``aer``, ``aer:<config>``) every cycle runs as circuits: ``circuits`` builds them
and hands them to the engine, ``analysis`` turns their counts into per-cycle heats beside these.

Where the collision baths differ from the paper's HEOM baths: they are Markovian and memoryless
(no bath correlation time, no system-bath entanglement carried over, no Lamb shift, no
renormalisation of the qubit frequency), kappa is a Lindblad rate, not the Drude-Lorentz coupling
of Refs. [32, 33], and coupling/decoupling the qubits never costs bath interaction energy. The
numbers (heat per cycle, COP = 0.186 in the paper) therefore differ; the signs, the cycle and the
second-law bounds do not.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.linalg
from scipy.special import expit

from qheat.core.errors import QheatError
from qheat.core.tables import PairCoupling, PairQubits
from qheat.physics import dense as ht
from qheat.physics.linalg import von_neumann_entropies
from qheat.physics.open_systems import planck
from qheat.protocols.heat_pump.spec import Baths, HeatPumpSpec

MAX_SAMPLES = 4000

CONVENTIONS = {
    "units": "hbar = k_B = 1; energies in units of hbar omega (H_A = H_B = (omega/2) sigma_z), times in 1/omega",
    "heat": "Q_k = heat drawn from bath k (energy leaving the bath, seed 002 Eq. C2): positive when the bath gives "
    "energy; cumulative from t = 0",
    "entropy_production": "sigma = Delta S_AB - Q_A/T_A - Q_B/T_B (Eq. 15 with the sign of Eq. C4), sigma_0 = "
    "Delta S_A + Delta S_B - Q_A/T_A - Q_B/T_B (Eq. 14, same sign); the entropy drop of each "
    "injection (-I_0) is not part of them (it is the fuel); delta_I = sigma_0 - sigma",
    "performance": "per cycle: Q_B/(T_A I_0) against T_B/(T_A - T_B) (Eq. 18); I_0 the mutual information injected",
    "times": "tau and relax_time are the times the collision rounds take (whole multiples of dt); tau_requested "
    "is Eq. (13)'s or the spec's; the headline says when rounding moved either by more than 1%",
    "baths": "collision model: fresh thermal ancilla per qubit per round, partial SWAP theta^2 = kappa (1 + 2n) dt; "
    "dt -> 0: local Lindblad with rates kappa (1 + n), kappa n",
}

HEOM_BATHS = (
    "HEOM (QuTiP HEOMSolver): sigma_x of each qubit coupled to its own Drude-Lorentz bath, gamma = "
    "baths.cutoff, lambda such that J(omega) = kappa / 2 (weak-coupling decay rate kappa (1 + n), an assumed "
    "reading of the paper's kappa); Pade terms baths.terms, depth baths.depth; heat = energy each bath "
    "gives its qubit (system side, from the first-level ADOs)"
)


def collision_superoperator(k: int, theta: float, p_excited: float) -> np.ndarray:
    """Row-major superoperator (16 x 16) of a partial SWAP of qubit k of the pair with a fresh ancilla
    diag(1 - p, p): Kraus operators sqrt(p_j) <i|U|j> over ancilla states."""
    u = np.eye(8, dtype=complex)  # qubits 0, 1 = pair, 2 = ancilla; exchange |1_k 0_a> <-> |0_k 1_a>
    for rest in range(2):
        other = 1 - k
        lo = (rest << other) | (1 << 2)  # qubit k = 0, ancilla = 1
        hi = (rest << other) | (1 << k)  # qubit k = 1, ancilla = 0
        u[lo, lo] = u[hi, hi] = math.cos(theta)
        u[lo, hi] = u[hi, lo] = -1j * math.sin(theta)
    kraus = []
    for j, pj in ((0, 1.0 - p_excited), (1, p_excited)):
        for i in range(2):
            kraus.append(math.sqrt(pj) * u[i * 4 : (i + 1) * 4, j * 4 : (j + 1) * 4])
    return np.sum([np.kron(m, m.conj()) for m in kraus], axis=0)


def unitary_superoperator(h: np.ndarray, dt: float) -> np.ndarray:
    u = scipy.linalg.expm(-1j * h * dt)
    return np.kron(u, u.conj())


def exact_body(spec: HeatPumpSpec) -> dict[str, Any]:
    """The exact result body: the cycle with chi injected, and the same cycle without it ("normal")."""
    data = simulate(spec)
    data.pop("_injected")
    normal = simulate(replace(spec, correlation=replace(spec.correlation, strength=0.0), coupling_time=data["tau"]))
    data["normal"] = {"heat": normal["heat"], "per_cycle": normal["per_cycle"]}
    return data


def bath_parameters(spec: HeatPumpSpec) -> tuple[list[float], list[float]]:
    """Collision angles theta_k = sqrt(kappa_k (1 + 2 n_k) dt) and ancilla excited populations of baths A, B."""
    q, b = spec.qubits, spec.baths
    thetas = [math.sqrt(k * (1.0 + 2.0 * planck(q.frequency, t)) * b.dt) for k, t in zip(b.kappa, q.temperatures)]
    p_exc = [float(expit(-q.frequency / t)) for t in q.temperatures]  # 1 / (1 + e^{w/T}), no overflow
    return thetas, p_exc


class CollisionBaths:
    """Collision-model baths on the pair's density matrix (a row-major vector): one round is the free (or
    coupled) evolution for dt, then a partial SWAP of each qubit with a fresh thermal ancilla; the heat drawn
    from bath k is the energy its qubit gains in its collision."""

    def __init__(self, spec: HeatPumpSpec, h0: np.ndarray, h1: np.ndarray, energies: tuple[np.ndarray, ...]) -> None:
        thetas, p_exc = bath_parameters(spec)
        self.angles = {"A": thetas[0], "B": thetas[1]}
        self.coll = [collision_superoperator(k, thetas[k], p_exc[k]) for k in range(2)]
        self.free = [unitary_superoperator(h0, spec.baths.dt), unitary_superoperator(h1, spec.baths.dt)]
        self.energies = energies

    def start(self, rho: np.ndarray) -> np.ndarray:
        return rho.reshape(-1).astype(complex)

    def rho(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(4, 4)

    def add_to_rho(self, x: np.ndarray, chi: np.ndarray) -> np.ndarray:
        return x + chi.reshape(-1)

    def step(self, x: np.ndarray, coupled: bool) -> tuple[np.ndarray, np.ndarray]:
        x = self.free[coupled] @ x
        gains = np.zeros(2)
        for k in range(2):
            e_row = self.energies[k].T.reshape(-1)  # Tr(E rho) = e_row . vec(rho)
            before = np.real(e_row @ x)
            x = self.coll[k] @ x
            gains[k] = np.real(e_row @ x) - before
        return x, gains


@functools.lru_cache(maxsize=4)
def _heom_propagator(q: PairQubits, coupling: PairCoupling, b: Baths) -> tuple[Any, tuple[float, float]]:
    """The hierarchy's step propagators without and with V_AB (cached: the injected and the normal cycle share them)."""
    from qutip.core.environment import DrudeLorentzEnvironment

    from qheat.physics import heom

    assert b.cutoff is not None and b.depth is not None and b.terms is not None
    w, gamma = q.frequency, b.cutoff
    h_a, h_b = ht.pair_hamiltonians(w)
    v = ht.exchange_coupling(coupling.strength, coupling.phase)
    ops = [ht.term_matrix(2, {0: "X"}), ht.term_matrix(2, {1: "X"})]
    lams = (b.kappa[0] * (gamma**2 + w**2) / (4.0 * gamma * w), b.kappa[1] * (gamma**2 + w**2) / (4.0 * gamma * w))
    envs = [
        DrudeLorentzEnvironment(T=t, lam=lam, gamma=gamma, tag=j)
        for j, (t, lam) in enumerate(zip(q.temperatures, lams))
    ]
    prop = heom.Propagator([h_a + h_b, h_a + h_b + v], list(zip(ops, envs)), [h_a, h_b], b.depth, b.terms, b.dt)
    return prop, lams


class HeomBaths:
    """Drude-Lorentz baths through QuTiP's HEOM (``qheat.physics.heom.Propagator``), as the paper computed
    Figs. 4-6: sigma_x of each qubit coupled to its own bath, J(w) = 2 lambda gamma w / (gamma^2 + w^2) with
    gamma = baths.cutoff and lambda set so that J(omega) = kappa / 2, i.e. the weak-coupling decay rate of a
    qubit is kappa (1 + n), as in the collision model (an assumed reading of the paper's kappa). The state is
    the whole hierarchy; the pair starts in the hierarchy's stationary state without V (dressed by its
    baths); chi is added to the pair's state with the baths' memory unchanged. The heat drawn from bath k is
    the energy of qubit k it supplies, integral of -i Tr([H_k, sigma_x^k] rho_1) over the first-level ADOs
    (system side: it differs from the bath's own energy change by the interaction energy <Q_k X_k>, which is
    stationary between the transients)."""

    def __init__(self, spec: HeatPumpSpec, h0: np.ndarray, h1: np.ndarray, energies: tuple[np.ndarray, ...]) -> None:
        q, b = spec.qubits, spec.baths
        assert b.cutoff is not None and b.depth is not None and b.terms is not None
        self.prop, lams = _heom_propagator(q, spec.coupling, b)
        self.angles = {"lambda_A": lams[0], "lambda_B": lams[1], "cutoff": b.cutoff}

    def start(self, rho: np.ndarray) -> np.ndarray:
        return self.prop.steady(0)

    def rho(self, x: np.ndarray) -> np.ndarray:
        return self.prop.rho(x)

    def add_to_rho(self, x: np.ndarray, chi: np.ndarray) -> np.ndarray:
        return self.prop.add_to_rho(x, chi)

    def step(self, x: np.ndarray, coupled: bool) -> tuple[np.ndarray, np.ndarray]:
        return self.prop.step(x, int(coupled))


def simulate(spec: HeatPumpSpec) -> dict[str, Any]:
    """The collision-model cycle on density matrices; every round recorded (sampled down for output)."""
    q, b = spec.qubits, spec.baths
    w, (t_a, t_b) = q.frequency, q.temperatures
    h_a, h_b = ht.pair_hamiltonians(w)
    v = ht.exchange_coupling(spec.coupling.strength, spec.coupling.phase)
    lam = ht.pair_lambdas(t_a, t_b, w)
    c0 = 2.0 * spec.correlation.strength * math.sqrt(lam[3])
    delta0 = float(np.real(np.trace(ht.to_qheat_order(np.diag(lam)) @ (h_a - h_b))))
    theta = ht.theta_eq13(delta0, c0, spec.delta, w)
    requested = spec.coupling_time if spec.coupling_time is not None else abs(theta) / (2.0 * spec.coupling.strength)
    if requested == 0.0:
        raise QheatError(
            "the coupling time tau = |theta| / (2 Omega) is 0 (no correlation or delta = 0); give coupling_time"
        )
    dt = b.dt
    if requested < dt:
        raise QheatError(
            f"the coupling time tau = {requested:.4g} is shorter than one collision round "
            f"(baths.dt = {dt:g}); use a smaller dt"
        )
    n_couple, n_relax = max(1, round(requested / dt)), max(1, round(b.relax_time / dt))
    tau, relax = n_couple * dt, n_relax * dt  # the times the rounds actually take
    rounding = "; ".join(
        f"{what} rounded to {n} rounds of dt: {used:.4g} instead of {asked:.4g}"
        for what, n, used, asked in (("tau", n_couple, tau, requested), ("relax_time", n_relax, relax, b.relax_time))
        if abs(used - asked) > 0.01 * asked
    )
    model = (HeomBaths if b.model == "heom" else CollisionBaths)(spec, h_a + h_b, h_a + h_b + v, (h_a, h_b))
    chi = ht.correlation_matrix(t_a, t_b, spec.correlation.phase, spec.correlation.strength, w)
    x = model.start(ht.to_qheat_order(np.diag(lam)).astype(complex))
    rho = model.rho(x)
    rounds = spec.cycles * (n_couple + n_relax)
    keep = max(1, math.ceil((rounds + 1) / MAX_SAMPLES))
    states, times, heat_a, heat_b, coupled_flags = [rho.copy()], [0.0], [0.0], [0.0], [False]
    qa = qb = 0.0
    per_cycle, windows, injections, injected = [], [], [], []
    s_jump = 0.0  # entropy removed by injections (kept out of Sigma)
    s_series = [float(von_neumann_entropies(rho))]
    t = 0.0
    step = 0
    for cycle in range(spec.cycles):
        s_before = float(von_neumann_entropies(rho))
        x = model.add_to_rho(x, chi)
        rho = model.rho(x)
        low = float(np.linalg.eigvalsh(rho).min())
        if low < -1e-9:
            raise QheatError(
                f"cycle {cycle + 1}: rho + chi is not positive (smallest eigenvalue {low:.2g}); the "
                "qubits did not rethermalise: lengthen baths.relax_time"
            )
        injected.append(rho.copy())
        i0 = float(ht.mutual_information(rho[None], [0], [1])[0])
        s_jump += float(von_neumann_entropies(rho)) - s_before
        injections.append({"time": t, "mutual_information": i0, "min_eigenvalue": low})
        q0 = (qa, qb)
        windows.append((t, t + n_couple * dt))
        w_dec = 0.0
        for r in range(n_couple + n_relax):
            coupled = r < n_couple
            x, gains = model.step(x, coupled)
            rho = model.rho(x)
            qa += gains[0]
            qb += gains[1]
            if r == n_couple - 1:
                w_dec = -float(np.real(np.trace(v @ rho)))  # energy change of the pair when V is switched off
            t += dt
            step += 1
            if step % keep == 0 or step == rounds:
                states.append(rho.copy())
                times.append(t)
                heat_a.append(qa)
                heat_b.append(qb)
                coupled_flags.append(coupled)
                s_series.append(float(von_neumann_entropies(rho)) - s_jump)
        per_cycle.append(
            {
                "Q_A": qa - q0[0],
                "Q_B": qb - q0[1],
                "I_0": i0,
                "decoupling_work": w_dec,
                "residual_energy": float(
                    np.real(np.trace((h_a + h_b) @ rho)) - np.trace((h_a + h_b) @ ht.to_qheat_order(np.diag(lam))).real
                ),
            }
        )
    rhos = np.array(states)
    s_ab = np.array(s_series)  # entropy without the injection drops
    s_a = von_neumann_entropies(ht.marginals(rhos, [0]))
    s_b = von_neumann_entropies(ht.marginals(rhos, [1]))
    heat = {"A": np.array(heat_a), "B": np.array(heat_b)}
    bath_entropy = -heat["A"] / t_a - heat["B"] / t_b
    sigma = s_ab - s_ab[0] + bath_entropy
    sigma_0 = (s_a - s_a[0]) + (s_b - s_b[0]) + bath_entropy
    last = per_cycle[-1]
    carnot = t_b / (t_a - t_b) if t_a > t_b else None  # no bound when B is not the colder bath
    cop = last["Q_B"] / (t_a * last["I_0"]) if last["I_0"] > 0 else 0.0
    eq17 = last["I_0"] - last["Q_A"] / t_a - last["Q_B"] / t_b
    pumping = last["Q_B"] > 0 and last["Q_A"] < 0 and t_a > t_b
    return {
        "times": np.array(times),
        "heat": heat,
        "sed": ht.expectation(rhos, h_a) - ht.expectation(rhos, h_b),
        "concurrence": ht.concurrence(rhos),
        "mutual_information": ht.mutual_information(rhos, [0], [1]),
        "entropy_production": {"sigma": sigma, "sigma_0": sigma_0, "delta_I": sigma_0 - sigma},
        "coupling_windows": windows,
        "injections": injections,
        "per_cycle": per_cycle,
        "performance": {
            "cop": cop,
            "carnot": carnot,
            "eq17_entropy_production": eq17,
            **(
                {}
                if carnot is not None
                else {
                    "carnot_note": "T_A <= T_B: pumping from B to A runs with the gradient, so Eq. (18) sets no bound"
                }
            ),
            "pumping_against_the_gradient": pumping,
        },
        "theta": theta,
        "tau": tau,
        "tau_requested": requested,
        "relax_time": relax,
        "rounds": {"dt": dt, "coupling": n_couple, "relax": n_relax, "recorded_every": keep},
        **({"bath_couplings": model.angles} if b.model == "heom" else {"collision_angles": model.angles}),
        "conventions": {**CONVENTIONS, "baths": HEOM_BATHS} if b.model == "heom" else CONVENTIONS,
        "_injected": injected,
        "headline": (
            f"per cycle Q_A = {last['Q_A']:+.4g}, Q_B = {last['Q_B']:+.4g} "
            f"({'pumps cold -> hot' if pumping else 'no pumping'}); COP Q_B/(T_A I_0) = {cop:.3f} "
            + (f"<= Carnot {carnot:.3f}" if carnot is not None else "(no Carnot bound: T_A <= T_B)")
            + f"; Eq. (17) {eq17:.3g} >= 0; tau = {tau:.4g}"
            + (f" ({rounding})" if rounding else "")
        ),
    }
