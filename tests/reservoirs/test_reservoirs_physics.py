"""Physics of protocol 'reservoirs' (seed 003 Fogedby, seed 004 Zhang, Liu & Yu) against INDEPENDENT answers.

Every test compares qheat with something qheat did not compute: a closed form transcribed here
from the papers, or the numpy Bloch-Redfield generator below (Breuer-Petruccione's Born-Markov
formula, written from scratch: big-endian tensor order, its own eigenbasis, its own steady-state
solver; nothing imported from qheat or QuTiP). Paper parameters are written out here.

Findings recorded by these tests (numbers in the comments next to each test):

* seed 004 rate convention: the paper's rates are gamma_j(w, w) = 2 G_j(w) = 2 J_j(w)(1 + n)
  (Eqs. 12-14, A16) with J_j of Eq. (17) and the spec strength = gamma_j. Until commit 741541e qheat
  used J(1 + n) (half the paper's rates: its Lindblad current was exactly Eq. (24) / 2 and the Fig. 5
  BR peaks sat at dT ~ 17 and ~ 30 instead of ~ 11 and ~ 17); test_zhang_lindblad_current_eqs_24_to_26
  pins the paper's convention.
* seed 003 Appendix: Eqs. (3.70)-(3.72) are the exact solution of the printed kernel (A.4), but
  (A.4) omits population-coherence elements K_{22,23}, K_{33,23}, K_{23,22}, K_{23,33} (and the
  32 ones) that the standard Redfield equation has; with them added, (A.4) reproduces qheat's and
  the independent Redfield steady state to 1e-10. The printed closed form is therefore NOT the
  steady state of the standard Redfield equation: it differs at the same order g^2 as the Redfield
  correction itself (by ~15-20 % of it at weak coupling; far more at g = 1).
* seed 003 Fig. 5 (g = 1): the standard Redfield populations are negative only for T < 5.467
  (rwa bath coupling; T < 5.611 for sigma_x), not for T < ~6 as the paper's closed form says
  (its min population crosses zero at T = 6.007); at T = 5.5 they are all positive.
* Redfield at g ~ omega is far outside its validity: at w = (1, 2), lambda = 0.5, T = (3, 1)
  the current from the HOT reservoir is negative for g > 0.810 (rwa), g > 0.646 (sigma_x), and
  q_A < 0 along all of Fig. 5. qheat agrees with the independent generator there: this is the
  Redfield equation, not a qheat bug.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import qheat
from qheat.core.errors import QheatError

TOL = {"rtol": 1e-8, "atol": 1e-12}

# ============================================================================ independent numerics


def planck(w, temperature):
    return 1.0 / math.expm1(w / temperature)


KET = {0: np.array([1.0, 0.0]), 1: np.array([0.0, 1.0])}  # |0> ground, |1> excited
SP = np.outer(KET[1], KET[0])  # sigma_+ = |1><0| raises the energy
SM = SP.T.copy()
SZ = np.diag([-1.0, 1.0])  # the papers' sigma_z: +1 on the excited state
SX = SP + SM
ID2 = np.eye(2)


def big_endian(ops):
    """kron(op_qubit1, op_qubit2, ...): the paper's qubit 1 is the LEFTMOST factor (qheat uses the opposite order)."""
    out = np.ones((1, 1))
    for op in ops:
        out = np.kron(out, op)
    return out


def on(op, k, n):
    return big_endian([op if q == k else ID2 for q in range(n)])


def to_little_endian(m, n):
    """A big-endian n-qubit matrix in qheat's order (qubit j = bit j of the index)."""
    perm = [int(format(i, f"0{n}b")[::-1], 2) for i in range(2**n)]
    return m[np.ix_(perm, perm)]


def hamiltonian(freqs, coupling="exchange", strength=0.0):
    n = len(freqs)
    h = sum(0.5 * w * on(SZ, k, n) for k, w in enumerate(freqs))
    if n == 2 and coupling == "exchange":  # seed 003 Eq. (3.27)
        h = h + strength * (np.kron(SP, SM) + np.kron(SM, SP))
    elif n == 2:  # seed 004 Eq. (1)
        h = h + strength * np.kron(SX, SX)
    return h


def flat(g):
    return lambda w: g


def ohmic_drude(gamma, cutoff):
    """Seed 004's J(w) of Eq. (17), gamma_j = C_j lambda_j^2 absorbed."""
    return lambda w: gamma * w / (1.0 + (w / cutoff) ** 2)


def ohmic_drude_rate(gamma, cutoff):
    """The emission-rate prefactor of seed 004: gamma_j(w, w) = 2 J(w)(n + 1) (Eqs. 12, 14, A16)."""
    return lambda w: 2.0 * gamma * w / (1.0 + (w / cutoff) ** 2)


def bath_spectrum(density, temperature):
    """Full Fourier transform of <B(t)B(0)>: J(w)(1+n) emitting (w > 0), J(|w|) n(|w|) absorbing (w < 0)."""

    def s(w):
        if w > 0:
            return density(w) * (1.0 + planck(w, temperature))
        if w < 0:
            return density(-w) * planck(-w, temperature)
        return 0.0

    return s


def left(x):
    return np.kron(x, np.eye(x.shape[0]))  # rho -> x rho, row-major vec


def right(y):
    return np.kron(np.eye(y.shape[0]), y.T)  # rho -> rho y


def redfield_dissipator(h, terms):
    """Born-Markov (Redfield) dissipator of one bath, Breuer & Petruccione Sec. 3.3.1, no Lamb shift.

    H_I = sum_a S_a (x) B_a. Each term (S_a, S_b, Gamma) is one bath correlation <B_a(s) B_b(0)> with
    Gamma(w) the real part of its one-sided transform; with
        Lambda = sum_{jk} (S_b)_{jk} Gamma(E_k - E_j) |j><k|        (energy eigenbasis)
    the generator is  sum_terms [Lambda rho S_a - S_a Lambda rho] + h.c.
    Hermitian A (sigma_x coupling): the single term (A, A, S(w)/2).
    s+ A + s- A^dagger (rwa): (s+, s-, <A(s)A^dag>: S(w)/2 for w > 0) and (s-, s+, <A^dag(s)A>: S(w)/2 for w < 0).
    """
    energies, vecs = np.linalg.eigh(h)
    omega = energies[None, :] - energies[:, None]  # omega[j, k] = E_k - E_j
    d = len(energies)
    sup = np.zeros((d * d, d * d), dtype=complex)
    for s_a, s_b, gamma in terms:
        rates = np.vectorize(gamma, otypes=[float])(omega)
        lam = vecs @ ((vecs.conj().T @ s_b @ vecs) * rates) @ vecs.conj().T
        a_dag, lam_dag = s_a.conj().T, lam.conj().T
        sup += np.kron(lam, s_a.T) - left(s_a @ lam)  # Lambda rho S_a - S_a Lambda rho
        sup += np.kron(a_dag, lam_dag.T) - right(lam_dag @ a_dag)  # its Hermitian conjugate
    return sup


def bath_terms(kind, site, n, spectrum):
    if kind == "sigma_x":
        a = on(SX, site, n)
        return [(a, a, lambda w: spectrum(w) / 2)]
    up, down = on(SP, site, n), on(SM, site, n)
    return [
        (up, down, lambda w: spectrum(w) / 2 if w > 0 else 0.0),
        (down, up, lambda w: spectrum(w) / 2 if w < 0 else 0.0),
    ]


def reference_redfield(freqs, coupling, strength, temps, densities, kind):
    """Independent Redfield steady state: (rho in qheat's little-endian order, (q_A, q_B), eigen-populations)."""
    n = len(freqs)
    h = hamiltonian(freqs, coupling, strength)
    sites = (0, n - 1)
    dissipators = [
        redfield_dissipator(h, bath_terms(kind, sites[j], n, bath_spectrum(densities[j], temps[j]))) for j in (0, 1)
    ]
    d = h.shape[0]
    generator = -1j * (left(h) - right(h)) + dissipators[0] + dissipators[1]
    system = np.vstack([generator, np.eye(d).reshape(1, -1)])
    rhs = np.zeros(d * d + 1, dtype=complex)
    rhs[-1] = 1.0
    vec = np.linalg.lstsq(system, rhs, rcond=None)[0]
    rho = vec.reshape(d, d)
    rho = (rho + rho.conj().T) / 2
    currents = tuple(float(np.real(np.trace(h @ (dj @ rho.reshape(-1)).reshape(d, d)))) for dj in dissipators)
    vecs = np.linalg.eigh(h)[1]
    pops = np.real(np.einsum("ai,ab,bi->i", vecs.conj(), rho, vecs))
    return to_little_endian(rho, n), currents, pops


# ============================================================================ closed forms


def fogedby_single(w0, ta, tb, ga, gb):
    """Seed 003 Eqs. (3.18), (3.19), (3.21), (3.22): ([rho_--, rho_++], q_A, q_B)."""
    na, nb = planck(w0, ta), planck(w0, tb)
    den = ga * (1 + 2 * na) + gb * (1 + 2 * nb)
    pops = np.array([(ga * (1 + na) + gb * (1 + nb)) / den, (ga * na + gb * nb) / den])
    q = ga * gb * w0 * (na - nb) / den
    return pops, q, -q


def fogedby_mixing(w1, w2, lam):
    """alpha, beta, omega_+, omega_- of Eqs. (3.40)-(3.44).

    The paper's branch tan(theta) = 2 lambda / (w1 - w2), 0 < theta < pi/2, only exists for w1 > w2.
    For w1 < w2, theta = arctan(2 lambda/(w1 - w2)) is negative, and alpha = cos(theta/2),
    beta = sin(theta/2) then do NOT make |2>, |3> of Eqs. (3.33)-(3.34) eigenvectors with
    E_2 < E_3 (checked in test_fogedby_mixing_branch). The branch that does is
    theta = arctan2(2 lambda, w1 - w2) in (0, pi) (for lambda > 0): it is the paper's theta for w1 > w2
    and tends to pi as lambda -> 0 when w1 < w2, so that |3> -> |-+> and omega_+ -> w2 (not w1).
    """
    theta = math.atan2(2 * lam, w1 - w2)
    r = math.hypot((w1 - w2) / 2, lam)
    wm = (w1 + w2) / 2
    return math.cos(theta / 2), math.sin(theta / 2), wm + r, wm - r


def fogedby_basis(w1, w2, lam):
    """Columns |1>..|4> of Eqs. (3.32)-(3.35) in qheat's order (|+-> = qubit 1 excited = index 1)."""
    al, be, _, _ = fogedby_mixing(w1, w2, lam)
    p = np.zeros((4, 4))
    p[0, 0] = 1.0
    p[1, 1], p[2, 1] = -be, al  # |2> = -beta |+-> + alpha |-+>
    p[1, 2], p[2, 2] = al, be  # |3> =  alpha |+-> + beta |-+>
    p[3, 3] = 1.0
    return p


def fogedby_rates(w1, w2, lam, ta, tb, ga, gb):
    """a_n, b_n of Eq. (3.47) for flat g_A, g_B."""
    al, be, wp, wn = fogedby_mixing(w1, w2, lam)
    a = np.array(
        [
            al**2 * ga * (1 + planck(wp, ta)),
            be**2 * ga * (1 + planck(wn, ta)),
            al**2 * ga * planck(wp, ta),
            be**2 * ga * planck(wn, ta),
        ]
    )
    b = np.array(
        [
            be**2 * gb * (1 + planck(wp, tb)),
            al**2 * gb * (1 + planck(wn, tb)),
            be**2 * gb * planck(wp, tb),
            al**2 * gb * planck(wn, tb),
        ]
    )
    return a, b


def fogedby_lindblad(w1, w2, lam, ta, tb, ga, gb):
    """Eq. (3.50) populations, q_A by (3.54) and by (3.56)-(3.58), q_B by (3.55) and (3.59)-(3.61)."""
    al, be, wp, wn = fogedby_mixing(w1, w2, lam)
    a, b = fogedby_rates(w1, w2, lam, ta, tb, ga, gb)
    s1, s2, s3, s4 = a + b
    pops = np.array([s1 * s2, s1 * s4, s3 * s2, s3 * s4]) / ((s1 + s3) * (s2 + s4))
    qa_354 = (a[2] * b[0] - a[0] * b[2]) / (s1 + s3) * wp + (a[3] * b[1] - a[1] * b[3]) / (s2 + s4) * wn
    qb_355 = (a[0] * b[2] - a[2] * b[0]) / (s1 + s3) * wp + (a[1] * b[3] - a[3] * b[1]) / (s2 + s4) * wn
    nap, nbp, nam, nbm = planck(wp, ta), planck(wp, tb), planck(wn, ta), planck(wn, tb)
    ab2 = (al * be) ** 2
    q_plus = ab2 * ga * gb * wp / (al**2 * ga * (1 + 2 * nap) + be**2 * gb * (1 + 2 * nbp)) * (nap - nbp)
    q_minus = ab2 * ga * gb * wn / (be**2 * ga * (1 + 2 * nam) + al**2 * gb * (1 + 2 * nbm)) * (nam - nbm)
    return pops, qa_354, q_plus + q_minus, qb_355, -(q_plus + q_minus)


def fogedby_redfield_kernel(w1, w2, lam, ta, tb, g, omitted=False):
    """The Appendix's M (Eq. A.4), rows/columns (11, 22, 33, 44, 23, 32), g_{A,B} = g.

    ``omitted=True`` adds the elements (A.4) leaves out but the standard Redfield equation has
    (K_{22,23} worked out by hand from the Breuer-Petruccione form with the matrix elements
    (3.45)-(3.46); the others likewise, the 33 row also by trace preservation):
        K_{22,23} = K_{22,32} = k',  K_{33,23} = K_{33,32} = -k',
        K_{23,22} = K_{32,22} = -k', K_{23,33} = K_{32,33} = k',
        k' = (alpha beta g / 2) [n_A(w+) - n_B(w+) - n_A(w-) + n_B(w-)]
    (in the basis of fogedby_basis); like k they vanish at T_A = T_B.
    """
    al, be, wp, wn = fogedby_mixing(w1, w2, lam)
    a, b = fogedby_rates(w1, w2, lam, ta, tb, g, g)
    s1, s2, s3, s4 = a + b
    s = s1 + s2 + s3 + s4
    e = -2 * math.hypot((w1 - w2) / 2, lam)  # e = E_23 = E_2 - E_3 (Eq. 3.74)
    dp, dm = planck(wp, ta) - planck(wp, tb), planck(wn, ta) - planck(wn, tb)
    k = al * be * g / 2 * (dp + dm)  # Eq. (3.75) / (A.7)
    kp = al * be * g / 2 * (dp - dm) if omitted else 0.0
    return np.array(
        [
            [-(s3 + s4), s2, s1, 0, -k, -k],
            [s4, -(s2 + s3), 0, s1, kp, kp],
            [s3, 0, -(s1 + s4), s2, -kp, -kp],
            [0, s3, s4, -(s1 + s2), k, k],
            [-k, -kp, kp, k, -s / 2 - 1j * e, 0],
            [-k, -kp, kp, k, 0, -s / 2 + 1j * e],
        ],
        dtype=complex,
    )


def solve_kernel(m):
    """(rho_11, rho_22, rho_33, rho_44, rho_23, rho_32) with M x = 0 and sum of populations 1 (Eq. A.8)."""
    system = np.vstack([m, [1, 1, 1, 1, 0, 0]])
    rhs = np.zeros(7, dtype=complex)
    rhs[-1] = 1
    return np.linalg.lstsq(system, rhs, rcond=None)[0]


def fogedby_redfield_closed_form(w1, w2, lam, ta, tb, g):
    """Eqs. (3.70)-(3.75): (populations, rho_23)."""
    al, be, wp, wn = fogedby_mixing(w1, w2, lam)
    a, b = fogedby_rates(w1, w2, lam, ta, tb, g, g)
    s1, s2, s3, s4 = a + b
    s = s1 + s2 + s3 + s4
    e = -2 * math.hypot((w1 - w2) / 2, lam)
    k = al * be * g / 2 * (planck(wp, ta) - planck(wp, tb) + planck(wn, ta) - planck(wn, tb))
    big_n = (s * s + 4 * e * e) * (s1 + s3) * (s2 + s4) - 4 * (k * s) ** 2
    pops = (s * s + 4 * e * e) / big_n * np.array([s1 * s2, s1 * s4, s3 * s2, s3 * s4]) - 4 * k * k / big_n * np.array(
        [(s1 + s4) * (s2 + s3), (s1 + s4) ** 2, (s2 + s3) ** 2, (s1 + s4) * (s2 + s3)]
    )
    rho23 = -2 * k / big_n * (s1 * s2 - s3 * s4) * (s - 2j * e)
    return pops, rho23


def zhang_lindblad_current(e1, e2, g, t1, t2, gamma1, gamma2, cutoff):
    """Seed 004 Eqs. (24)-(26) with delta_i = 0 (no Lamb shift), in the paper's own rate convention.

    phi, theta of Eq. (3) on the arctan2 branch (the paper assumes eps1 >= eps2; arctan2 also covers
    eps1 < eps2). Eq. (6) prints V_1(w_2) ~ cos(phi_-), V_2(w_2) ~ sin(phi_+); the eigenvectors of
    Eq. (3) give <s3|sx1|s1> = cos(phi_+) and |<s3|sx2|s1>| = sin(phi_-), which is what the weights
    F~_j(+-w_2) of Appendix B and A_2 of Eq. (26) use; so do we.
    """
    alpha = math.sqrt((e1 - e2) ** 2 / 4 + g * g)
    beta = math.sqrt((e1 + e2) ** 2 / 4 + g * g)
    phi, theta = math.atan2(2 * g, e1 + e2), math.atan2(2 * g, e1 - e2)
    pp, pm = (theta + phi) / 2, (theta - phi) / 2
    dens = [ohmic_drude(gamma1, cutoff), ohmic_drude(gamma2, cutoff)]
    temps = [t1, t2]
    total = 0.0
    for w, c1, c2 in (
        (beta - alpha, math.sin(pp) ** 2, math.cos(pm) ** 2),
        (beta + alpha, math.cos(pp) ** 2, math.sin(pm) ** 2),
    ):
        big_g = [(dens[j](w) * (planck(w, temps[j]) + 1), dens[j](w) * planck(w, temps[j])) for j in (0, 1)]
        g_plus = c1 * big_g[0][0] + c2 * big_g[1][0]  # G~_+(w)
        g_minus = c1 * big_g[0][1] + c2 * big_g[1][1]  # G~_+(-w)
        a_i = 2 * c1 * c2 * dens[0](w) * dens[1](w) / (g_plus + g_minus)
        total += a_i * (planck(w, t1) - planck(w, t2)) * w
    return total


# ============================================================================ qheat runs


def spec(
    freqs,
    temps,
    strengths,
    *,
    coupling="exchange",
    lam=0.0,
    density="flat",
    cutoff=None,
    bath="rwa",
    methods=("lindblad", "redfield", "local"),
    sweep=None,
):
    system = {"frequencies": list(freqs), "coupling": coupling}
    if len(freqs) == 2:
        system["strength"] = lam
    res = {"temperatures": list(temps), "strengths": list(strengths), "spectral_density": density, "coupling": bath}
    if cutoff is not None:
        res["cutoff"] = cutoff
    out = {"protocol": "reservoirs", "system": system, "reservoirs": res, "methods": list(methods)}
    if sweep is not None:
        out["sweep"] = sweep
    return out


def run(*args, **kwargs):
    return qheat.run(spec(*args, **kwargs)).to_dict()


def currents(point, method):
    q = point["methods"][method]["heat_current"]
    return q["A"], q["B"]


def rho_of(point, method):
    r = point["methods"][method]["rho"]
    return np.asarray(r["real"]) + 1j * np.asarray(r["imag"])


def temperature_sweep(pairs):
    return {"parameter": ["reservoirs.temperatures.0", "reservoirs.temperatures.1"], "values": [list(p) for p in pairs]}


# ============================================================================ 1. seed 003, one qubit

SINGLE_CASES = [  # (w0, T_A, T_B, g_A, g_B)
    (1.0, 2.0, 0.5, 0.1, 0.1),
    (1.0, 0.5, 2.0, 0.1, 0.1),
    (1.3, 2.0, 0.7, 0.1, 0.3),
    (0.7, 0.3, 5.0, 0.02, 0.5),
    (2.0, 1.0, 1.0, 0.2, 0.05),
    (1.0, 10.0, 3.0, 1.0, 2.0),
]


@pytest.mark.parametrize("bath", ["rwa", "sigma_x"])
def test_single_qubit_populations_and_currents_eqs_3_18_to_3_22(bath):
    # One qubit: no coherence reaches the populations (Eqs. 3.16-3.17), so Redfield = Lindblad = local.
    for w0, ta, tb, ga, gb in SINGLE_CASES:
        pops, qa, qb = fogedby_single(w0, ta, tb, ga, gb)
        d = run([w0], [ta, tb], [ga, gb], bath=bath)
        assert np.allclose(d["energies"], [-w0 / 2, w0 / 2], atol=1e-12)
        for method in ("lindblad", "redfield", "local"):
            m = d["methods"][method]
            np.testing.assert_allclose(m["populations"], pops, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(currents(d, method), (qa, qb), **TOL)
            assert abs(sum(currents(d, method))) < 1e-12  # q_A + q_B = 0 (first law)
            rho = rho_of(d, method)
            assert abs(rho[0, 1]) < 1e-12  # no steady-state coherence
            if ta > tb:
                assert m["heat_current"]["A"] > 0  # second law
            elif ta < tb:
                assert m["heat_current"]["A"] < 0


@pytest.mark.parametrize("bath", ["rwa", "sigma_x"])
def test_single_qubit_equilibrium_and_one_bath(bath):
    # T_A = T_B: zero current and the Gibbs state; g_B = 0: the qubit thermalises with A (r = e^{-w0/T_A}).
    for t in (0.3, 1.0, 4.0):
        d = run([1.2], [t, t], [0.2, 0.05], bath=bath)
        for method in ("lindblad", "redfield", "local"):
            assert abs(d["methods"][method]["heat_current"]["A"]) < 1e-13
            p = d["methods"][method]["populations"]
            assert p[1] / p[0] == pytest.approx(math.exp(-1.2 / t), rel=1e-10)
    d = run([1.2], [0.8, 3.0], [0.2, 0.0], bath=bath)
    p = d["methods"]["lindblad"]["populations"]
    assert p[1] / p[0] == pytest.approx(math.exp(-1.2 / 0.8), rel=1e-10)
    assert abs(d["methods"]["lindblad"]["heat_current"]["A"]) < 1e-13


def test_single_qubit_high_and_low_temperature_limits_eqs_3_23_to_3_26():
    w0, ga, gb = 1.0, 0.1, 0.3
    # High T (3.23-3.24): q -> (1/2) gA gB w0 (TA - TB) / (gA TA + gB TB), relative error O((w0/T)^2).
    errors = []
    for scale in (10.0, 100.0, 1000.0):
        ta, tb = 3.0 * scale, 2.0 * scale
        d = run([w0], [ta, tb], [ga, gb], methods=["lindblad"])
        qa, qb = currents(d, "lindblad")
        classical = 0.5 * ga * gb * w0 * (ta - tb) / (ga * ta + gb * tb)
        errors.append(abs(qa / classical - 1))
        assert qb == pytest.approx(-classical, rel=(w0 / tb) ** 2)
        np.testing.assert_allclose(d["methods"]["lindblad"]["populations"], [0.5, 0.5], atol=w0 / tb)
    assert errors[0] < 1e-2 and errors[1] < errors[0] / 50 and errors[2] < errors[1] / 50
    # Low T (3.25-3.26): q -> gA gB w0 / (gA + gB) [e^{-w0/TA} - e^{-w0/TB}], relative error O(e^{-w0/T}).
    for ta, tb in ((0.1, 0.08), (0.05, 0.07)):
        d = run([w0], [ta, tb], [ga, gb], methods=["lindblad"])
        qa, qb = currents(d, "lindblad")
        quantum = ga * gb * w0 / (ga + gb) * (math.exp(-w0 / ta) - math.exp(-w0 / tb))
        assert qa == pytest.approx(quantum, rel=10 * math.exp(-w0 / max(ta, tb)))
        assert qb == pytest.approx(-quantum, rel=10 * math.exp(-w0 / max(ta, tb)))
        assert d["methods"]["lindblad"]["populations"][0] == pytest.approx(1.0, abs=1e-4)  # ground state
    # Low T, g_A = g_B: r -> (e^{-w0/TA} + e^{-w0/TB}) / 2 (text below Eq. 3.20). (The paper's next
    # step, r -> e^{-w0/T} cosh(2 w0/Delta), does not follow from it; not tested.)
    d = run([w0], [0.1, 0.08], [0.2, 0.2], methods=["lindblad"])
    p = d["methods"]["lindblad"]["populations"]
    assert p[1] / p[0] == pytest.approx((math.exp(-10) + math.exp(-12.5)) / 2, rel=1e-3)


# ============================================================================ 2. seed 003, coupled qubits (Lindblad)

# >= 10 (T_A, T_B) pairs: Fig. 4's T_A in 0.5..1.5 at T_B = 1, equilibrium (Fig. 3) and far from it.
TEMPERATURE_PAIRS = [
    (0.5, 1.0),
    (0.75, 1.0),
    (1.0, 1.0),
    (1.25, 1.0),
    (1.5, 1.0),
    (0.3, 0.3),
    (3.0, 3.0),
    (3.0, 1.0),
    (1.0, 3.0),
    (10.5, 0.5),
    (0.2, 8.0),
    (25.0, 12.0),
    (0.15, 0.1),
]


def test_fogedby_mixing_branch():
    # The arctan2 branch gives eigenvectors of H (Eq. 3.27) with E_1 < E_2 < E_3 < E_4 for w1 > w2 and w1 < w2;
    # the paper's principal branch (0 < theta < pi/2 is impossible for w1 < w2) does not.
    for w1, w2, lam in ((1.0, 2.0, 0.5), (2.0, 1.0, 0.5), (1.0, 1.3, 0.2), (1.5, 0.4, 0.7)):
        h = to_little_endian(hamiltonian([w1, w2], "exchange", lam), 2)
        p = fogedby_basis(w1, w2, lam)
        _, _, wp, wn = fogedby_mixing(w1, w2, lam)
        r = math.hypot((w1 - w2) / 2, lam)
        np.testing.assert_allclose(p.T @ h @ p, np.diag([-(w1 + w2) / 2, -r, r, (w1 + w2) / 2]), atol=1e-12)
        assert wp - wn == pytest.approx(2 * r)
        if w1 < w2:
            theta = math.atan(2 * lam / (w1 - w2))
            al, be = math.cos(theta / 2), math.sin(theta / 2)
            wrong = np.array([0.0, -be, al, 0.0])  # "|2>" on the principal branch
            assert np.linalg.norm(h @ wrong + r * wrong) > 0.1  # is not the E_2 = -r eigenvector:
            np.testing.assert_allclose(h @ wrong, r * wrong, atol=1e-12)  # it is |3> (alpha, beta swap roles)


@pytest.mark.parametrize("bath", ["rwa", "sigma_x"])
@pytest.mark.parametrize(
    "w1, w2, lam, ga, gb",
    [
        (1.0, 2.0, 0.5, 1.0, 1.0),  # Figs. 3-4 (w1 < w2: arctan2 branch)
        (2.0, 1.0, 0.5, 1.0, 1.0),
        (1.0, 1.6, 0.3, 0.05, 0.08),
        (1.7, 0.9, 0.6, 0.02, 0.07),
    ],
)
def test_fogedby_lindblad_populations_and_currents_eqs_3_50_to_3_61(bath, w1, w2, lam, ga, gb):
    d = run(
        [w1, w2],
        [1.0, 1.0],
        [ga, gb],
        lam=lam,
        bath=bath,
        methods=["lindblad"],
        sweep=temperature_sweep(TEMPERATURE_PAIRS),
    )
    _, _, wp, wn = fogedby_mixing(w1, w2, lam)
    for (ta, tb), point in zip(TEMPERATURE_PAIRS, d["points"]):
        pops, qa_354, qa_357, qb_355, qb_360 = fogedby_lindblad(w1, w2, lam, ta, tb, ga, gb)
        assert qa_354 == pytest.approx(qa_357, rel=1e-12, abs=1e-15)  # (3.54) = (3.56)-(3.58)
        assert qb_355 == pytest.approx(qb_360, rel=1e-12, abs=1e-15)
        np.testing.assert_allclose(
            point["energies"], [-(w1 + w2) / 2, -(wp - wn) / 2, (wp - wn) / 2, (w1 + w2) / 2], atol=1e-12
        )
        m = point["methods"]["lindblad"]
        np.testing.assert_allclose(m["populations"], pops, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(currents(point, "lindblad"), (qa_354, qb_355), **TOL)
        rho_e = fogedby_basis(w1, w2, lam).T @ rho_of(point, "lindblad") @ fogedby_basis(w1, w2, lam)
        assert np.abs(rho_e - np.diag(np.diag(rho_e))).max() < 1e-10  # no coherence survives (Sec. III B)
        if ta == tb:
            assert abs(qa_354) < 1e-15 and abs(m["heat_current"]["A"]) < 1e-12
        else:
            assert np.sign(m["heat_current"]["A"]) == np.sign(ta - tb)  # second law


@pytest.mark.parametrize("w1, w2", [(1.0, 2.0), (2.0, 1.0)])
def test_fogedby_uncoupled_limit_eqs_3_51_to_3_53(w1, w2):
    # lambda -> 0: q ~ lambda^2 -> 0 and rho -> rho^A (x) rho^B, each qubit thermal with its own bath.
    ta, tb, g = 3.0, 0.7, 0.1
    lams = [1e-1, 1e-2, 1e-3, 0.0]
    d = run(
        [w1, w2],
        [ta, tb],
        [g, g],
        lam=0.1,
        methods=["lindblad"],
        sweep={"parameter": "system.strength", "values": lams},
    )
    qs = [currents(p, "lindblad")[0] for p in d["points"]]
    for lam, q in zip(lams, qs):
        assert q == pytest.approx(fogedby_lindblad(w1, w2, lam, ta, tb, g, g)[1], rel=1e-8, abs=1e-14)
    assert qs[1] / qs[0] == pytest.approx(1e-2, rel=0.1) and qs[2] / qs[1] == pytest.approx(1e-2, rel=0.01)
    assert abs(qs[3]) < 1e-14
    pa, pb = planck(w1, ta) / (1 + 2 * planck(w1, ta)), planck(w2, tb) / (1 + 2 * planck(w2, tb))  # (3.52), (3.53)
    product = np.kron(np.diag([1 - pb, pb]), np.diag([1 - pa, pa]))  # qheat order: qubit 1 is the low bit
    np.testing.assert_allclose(rho_of(d["points"][3], "lindblad"), product, atol=1e-12)
    np.testing.assert_allclose(rho_of(d["points"][2], "lindblad"), product, atol=1e-3)


# ============================================================================ 3. seed 004, Lindblad current


ZHANG_CASES = [  # (eps1, eps2, g, gamma1, gamma2): Figs. 3-6 and two more
    (5.0, 4.0, 0.75, 0.01, 0.01),
    (5.0, 4.0, 0.25, 0.01, 0.01),
    (6.0, 4.0, 0.5, 0.01, 0.01),
    (5.0, 5.0, 0.1, 0.01, 0.01),
    (4.0, 3.0, 0.5, 0.03, 0.03),
    (4.0, 5.0, 0.4, 0.02, 0.005),
]
ZHANG_TEMPS = [(5.0, 5.0), (6.0, 5.0), (15.0, 5.0), (45.0, 5.0), (5.0, 20.0), (1.0, 0.5)]


def zhang_run(e1, e2, g, gammas, temps, methods=("lindblad",), sweep=None):
    """The spec strengths are the paper's gamma_j."""
    return run(
        [e1, e2],
        temps,
        list(gammas),
        coupling="xx",
        lam=g,
        density="ohmic-drude",
        cutoff=50.0,
        bath="sigma_x",
        methods=methods,
        sweep=sweep,
    )


@pytest.mark.parametrize("e1, e2, g, gamma1, gamma2", ZHANG_CASES)
def test_zhang_lindblad_current_eqs_24_to_26(e1, e2, g, gamma1, gamma2):
    d = zhang_run(e1, e2, g, (gamma1, gamma2), ZHANG_TEMPS[0], sweep=temperature_sweep(ZHANG_TEMPS))
    for (t1, t2), point in zip(ZHANG_TEMPS, d["points"]):
        expected = zhang_lindblad_current(e1, e2, g, t1, t2, gamma1, gamma2, 50.0)
        np.testing.assert_allclose(currents(point, "lindblad"), (expected, -expected), **TOL)


def test_zhang_lindblad_current_rises_with_t1():
    # "when T_2 is fixed and T_1 > T_2, dJ_1^L/dT_1 > 0" (below Eq. 26): in the closed form and in qheat.
    dts = list(np.arange(0.0, 41.0, 4.0))
    for e1, e2, g in ((5.0, 5.0, 0.1), (5.0, 4.0, 0.5)):
        closed = [zhang_lindblad_current(e1, e2, g, 5.0 + x, 5.0, 0.01, 0.01, 50.0) for x in dts]
        assert np.all(np.diff(closed) > 0)
        d = zhang_run(
            e1,
            e2,
            g,
            (0.01, 0.01),
            (5.0, 5.0),
            sweep={"parameter": "reservoirs.temperatures.0", "values": [5.0 + x for x in dts]},
        )
        q = np.asarray(d["summary"]["heat_current_A"]["lindblad"])
        np.testing.assert_allclose(q, closed, **TOL)
        assert np.all(np.diff(q) > 0)
        assert d["summary"]["ndtc"]["lindblad"]["present"] is False


def test_zhang_gibbs_cases_eq_19():
    # Eq. (19): with gamma_2 = 0, or with T_1 = T_2, the Lindblad steady state is the Gibbs state of H_S (Eq. 1).
    h = to_little_endian(hamiltonian([5.0, 4.0], "xx", 1.0), 2)
    for gammas, temps in (((0.01, 0.0), (3.0, 9.0)), ((0.01, 0.02), (4.0, 4.0))):
        d = zhang_run(5.0, 4.0, 1.0, gammas, temps)
        energies = np.linalg.eigvalsh(h)
        gibbs = np.exp(-(energies - energies[0]) / temps[0])
        np.testing.assert_allclose(d["methods"]["lindblad"]["populations"], gibbs / gibbs.sum(), atol=1e-12)
        rho = rho_of(d, "lindblad")
        _, vecs = np.linalg.eigh(h)
        np.testing.assert_allclose(rho, vecs @ np.diag(gibbs / gibbs.sum()) @ vecs.T, atol=1e-12)
        assert abs(currents(d, "lindblad")[0]) < 1e-12


def test_zhang_symmetric_weak_coupling_appendix_c():
    # Appendix C, eps1 = eps2 = 5, g -> 0: the Lindblad current tends to Eq. (C1), J(eps)(n1 - n2) eps / (1 + n1 + n2)
    # (0.11719 at T = (15, 5), gamma = 0.01), NOT to zero; the BR current vanishes (as g^2: 3.6e-4, 3.6e-6, 3.6e-8
    # at g = 1e-2, 1e-3, 1e-4) and the BR state tends to the product of local thermal states.
    eps, gamma, t1, t2 = 5.0, 0.01, 15.0, 5.0
    n1, n2 = planck(eps, t1), planck(eps, t2)
    c1 = ohmic_drude(gamma, 50.0)(eps) * (n1 - n2) / (1 + n1 + n2) * eps
    p1, p2 = n1 / (1 + 2 * n1), n2 / (1 + 2 * n2)
    product = np.kron(np.diag([1 - p2, p2]), np.diag([1 - p1, p1]))
    gs = [1e-2, 1e-3, 1e-4]
    d = zhang_run(
        eps,
        eps,
        gs[0],
        (gamma, gamma),
        (t1, t2),
        methods=("lindblad", "redfield"),
        sweep={"parameter": "system.strength", "values": gs},
    )
    br = [currents(p, "redfield")[0] for p in d["points"]]
    for g, point, q in zip(gs, d["points"], br):
        assert currents(point, "lindblad")[0] == pytest.approx(c1, rel=1e-2 * g)
        assert 0 < q < 4 * g * g
        np.testing.assert_allclose(rho_of(point, "redfield"), product, atol=0.5 * g)
        assert np.abs(rho_of(point, "lindblad") - product).max() > 0.05
    assert br[1] / br[0] == pytest.approx(1e-2, rel=0.02) and br[2] / br[1] == pytest.approx(1e-2, rel=0.02)


# ============================================================================ 4. Redfield


REDFIELD_CASES = [  # (freqs, coupling, lambda/g, temps, strengths, density, bath)
    ((1.0, 2.0), "exchange", 0.5, (3.0, 1.0), (0.1, 0.1), "flat", "sigma_x"),
    ((2.0, 1.0), "exchange", 0.5, (0.4, 1.5), (0.3, 0.2), "flat", "sigma_x"),
    ((1.0, 2.0), "exchange", 0.5, (10.5, 0.5), (1.0, 1.0), "flat", "sigma_x"),
    ((1.0, 2.0), "exchange", 0.5, (3.0, 1.0), (0.1, 0.1), "flat", "rwa"),
    ((2.0, 1.0), "exchange", 0.3, (0.4, 1.5), (0.3, 0.2), "flat", "rwa"),
    ((1.0, 2.0), "exchange", 0.5, (10.5, 0.5), (1.0, 1.0), "flat", "rwa"),
    ((1.0, 1.2), "exchange", 0.4, (2.0, 0.6), (0.05, 0.02), "ohmic-drude", "rwa"),
    ((5.0, 4.0), "xx", 0.5, (12.0, 5.0), (0.01, 0.02), "ohmic-drude", "sigma_x"),
    ((5.0, 5.0), "xx", 0.1, (25.0, 5.0), (0.02, 0.02), "ohmic-drude", "sigma_x"),
    ((4.0, 5.0), "xx", 0.8, (3.0, 9.0), (0.05, 0.01), "ohmic-drude", "sigma_x"),
    ((1.0, 1.5), "xx", 0.3, (2.0, 0.5), (0.2, 0.1), "flat", "sigma_x"),
]


@pytest.mark.parametrize("freqs, coupling, lam, temps, strengths, density, bath", REDFIELD_CASES)
def test_redfield_matches_independent_bloch_redfield(freqs, coupling, lam, temps, strengths, density, bath):
    cutoff = 10.0 * max(freqs) if density == "ohmic-drude" else None
    dens = [flat(g) if density == "flat" else ohmic_drude_rate(g, cutoff) for g in strengths]
    rho, (qa, qb), pops = reference_redfield(freqs, coupling, lam, temps, dens, bath)
    d = run(
        freqs,
        temps,
        strengths,
        coupling=coupling,
        lam=lam,
        density=density,
        cutoff=cutoff,
        bath=bath,
        methods=["redfield"],
    )
    m = d["methods"]["redfield"]
    np.testing.assert_allclose(rho_of(d, "redfield"), rho, atol=1e-10)
    np.testing.assert_allclose(m["populations"], pops, atol=1e-10)
    np.testing.assert_allclose(currents(d, "redfield"), (qa, qb), **TOL)
    assert abs(qa + qb) < 1e-12
    assert m["min_eigenvalue"] == pytest.approx(np.linalg.eigvalsh(rho).min(), abs=1e-10)


@pytest.mark.parametrize(
    "w1, w2, lam, ta, tb, g",
    [
        (1.0, 2.0, 0.5, 10.5, 0.5, 1.0),
        (1.0, 2.0, 0.5, 3.0, 1.0, 0.1),
        (2.0, 1.0, 0.3, 0.4, 1.5, 0.3),
        (1.0, 2.0, 0.5, 13.0, 3.0, 0.01),
    ],
)
def test_fogedby_redfield_closed_form_vs_standard_redfield(w1, w2, lam, ta, tb, g):
    # (i) Eqs. (3.70)-(3.72) solve the printed kernel (A.4) exactly: the paper's algebra is right.
    x = solve_kernel(fogedby_redfield_kernel(w1, w2, lam, ta, tb, g))
    pops_370, rho23_371 = fogedby_redfield_closed_form(w1, w2, lam, ta, tb, g)
    np.testing.assert_allclose(x[:4].real, pops_370, atol=1e-12)
    assert x[4] == pytest.approx(rho23_371, abs=1e-12)
    # (ii) (A.4) with the omitted elements K_{22,23} ... (see fogedby_redfield_kernel) IS qheat's rwa
    # Redfield steady state, populations and the coherence rho_23 in the paper's basis.
    x_full = solve_kernel(fogedby_redfield_kernel(w1, w2, lam, ta, tb, g, omitted=True))
    d = run([w1, w2], [ta, tb], [g, g], lam=lam, bath="rwa", methods=["redfield", "lindblad"])
    basis = fogedby_basis(w1, w2, lam)
    rho_e = basis.T @ rho_of(d, "redfield") @ basis
    np.testing.assert_allclose(d["methods"]["redfield"]["populations"], x_full[:4].real, atol=1e-10)
    assert rho_e[1, 2] == pytest.approx(x_full[4], abs=1e-10)
    assert abs(rho_e[0, 3]) < 1e-12  # the rwa coupling keeps rho_14 = 0
    # (iii) so the printed closed form is not the Redfield steady state: it misses part of the Redfield
    # correction to the populations (about 15-20 % of it at g <= 0.1; Lindblad populations from Eq. 3.50).
    lind = fogedby_lindblad(w1, w2, lam, ta, tb, g, g)[0]
    qheat_pops = np.asarray(d["methods"]["redfield"]["populations"])
    correction = np.abs(qheat_pops - lind).max()
    miss = np.abs(qheat_pops - pops_370).max()
    assert miss > 0.1 * correction
    if g <= 0.1:
        assert miss < 0.35 * correction  # same sign and most of the size: they agree as g -> 0


def test_fogedby_redfield_weak_coupling_agreement():
    # g << w: qheat's Redfield, the paper's closed form (3.70) and Lindblad (3.50) agree; both Redfield
    # answers deviate from Lindblad as g^2 (the coherence rho_23 ~ k / e ~ g feeds back as k^2 / e^2), and
    # from each other as g^2 too: the closed form is right at leading order only, never exact.
    w1, w2, lam, ta, tb = 1.0, 2.0, 0.5, 10.5, 0.5
    gs = [1e-4, 1e-3, 1e-2]
    d = run(
        [w1, w2],
        [ta, tb],
        [1e-4, 1e-4],
        lam=lam,
        methods=["redfield"],
        sweep={"parameter": ["reservoirs.strengths.0", "reservoirs.strengths.1"], "values": [[g, g] for g in gs]},
    )
    lind = fogedby_lindblad(w1, w2, lam, ta, tb, 1.0, 1.0)[0]  # independent of g for g_A = g_B
    dev, miss = [], []
    for g, point in zip(gs, d["points"]):
        pops = np.asarray(point["methods"]["redfield"]["populations"])
        dev.append(np.abs(pops - lind).max())
        miss.append(np.abs(pops - fogedby_redfield_closed_form(w1, w2, lam, ta, tb, g)[0]).max())
    assert dev[0] < 1e-7 and miss[0] < 2e-8
    for i in (1, 2):
        assert dev[i] / dev[i - 1] == pytest.approx(100, rel=0.05)
        assert miss[i] / miss[i - 1] == pytest.approx(100, rel=0.05)
        assert 0.1 < miss[i] / dev[i] < 0.3


def test_fogedby_fig5_negative_populations():
    # Fig. 5: w1 = 1, w2 = 2, g = 1, lambda = 0.5, T_A = T + 5, T_B = T - 5. The paper: populations
    # negative for T < ~6. Its closed form (3.70): min population crosses 0 at T = 6.007 (rho_33 and
    # rho_44 negative, not rho_22 and rho_44 as the caption says; at T = 5.5: (0.628, 0.533, -0.062, -0.099)).
    # The standard Redfield equation (qheat and the independent generator): negative only for T < 5.467
    # with the rwa coupling (rho_44; rho_33 too below T = 5.189), T < 5.611 with sigma_x (rho_33 below
    # 5.566); the closed form has rho_33 < 0 below T = 5.837 and rho_44 < 0 below 6.007. At T = 5.5 (rwa)
    # (0.518, 0.467, 0.0126, 0.0023), all positive, and rho is positive definite there.
    ts = [5.05, 5.2, 5.4, 5.45, 5.49, 5.5, 5.6, 5.65, 5.75, 5.95, 6.05, 7.0]
    pairs = [(t + 5.0, t - 5.0) for t in ts]
    for bath, threshold in (("rwa", 5.467), ("sigma_x", 5.611)):
        d = run(
            [1.0, 2.0], pairs[0], [1.0, 1.0], lam=0.5, bath=bath, methods=["redfield"], sweep=temperature_sweep(pairs)
        )
        for t, pair, point in zip(ts, pairs, d["points"]):
            m = point["methods"]["redfield"]
            _, ref_q, ref_pops = reference_redfield([1.0, 2.0], "exchange", 0.5, pair, [flat(1.0)] * 2, bath)
            np.testing.assert_allclose(m["populations"], ref_pops, atol=1e-10)
            assert m["negative_populations"] == (t < threshold)
            assert (min(m["populations"]) < 0) == (t < threshold)
            assert (m["min_eigenvalue"] < 0) == (t < threshold)
            closed = fogedby_redfield_closed_form(1.0, 2.0, 0.5, pair[0], pair[1], 1.0)[0]
            assert (closed.min() < 0) == (t < 6.007)
            if bath == "rwa" and t == 5.5:
                np.testing.assert_allclose(m["populations"], [0.51827, 0.46683, 0.01263, 0.00228], atol=1e-5)
                np.testing.assert_allclose(closed, [0.62809, 0.53331, -0.06227, -0.09913], atol=1e-5)
            # The Redfield current flows INTO the hot reservoir all along Fig. 5 (second law broken at g = 1).
            assert m["heat_current"]["A"] == pytest.approx(ref_q[0], rel=1e-8) and m["heat_current"]["A"] < 0


@pytest.mark.parametrize("bath, g_flip", [("rwa", 0.810), ("sigma_x", 0.646)])
def test_redfield_current_reverses_at_strong_coupling(bath, g_flip):
    # w = (1, 2), lambda = 0.5, T_A = 3 > T_B = 1: the Redfield current from A is positive at weak coupling and
    # turns NEGATIVE for g above 0.810 (rwa; -0.010879 at g = 1) or 0.646 (sigma_x; -0.019178 at g = 1).
    # The independent generator gives the same numbers: a property of Redfield far outside its validity
    # (rates g(1 + 2n) ~ 4 exceed the Bohr splitting 2 sqrt(dw^2 + lambda^2) = 1.41), not a qheat bug.
    gs = [0.01, 0.1, 0.5, g_flip - 0.03, g_flip + 0.03, 1.0, 2.0]
    d = run(
        [1.0, 2.0],
        [3.0, 1.0],
        [0.1, 0.1],
        lam=0.5,
        bath=bath,
        methods=["redfield", "lindblad"],
        sweep={"parameter": ["reservoirs.strengths.0", "reservoirs.strengths.1"], "values": [[g, g] for g in gs]},
    )
    for g, point in zip(gs, d["points"]):
        _, ref_q, _ = reference_redfield([1.0, 2.0], "exchange", 0.5, (3.0, 1.0), [flat(g)] * 2, bath)
        qa = currents(point, "redfield")[0]
        assert qa == pytest.approx(ref_q[0], rel=1e-8, abs=1e-12)
        assert (qa > 0) == (g < g_flip)
        assert currents(point, "lindblad")[0] > 0  # Lindblad (3.54) never reverses
    at_one = {"rwa": -0.010879, "sigma_x": -0.019178}[bath]
    assert currents(d["points"][5], "redfield")[0] == pytest.approx(at_one, abs=1e-6)


# ============================================================================ 5. seed 004, NDTC


def reference_zhang_br(e1, e2, g, t1, t2, gamma):
    """Independent BR current J_1 in the paper's convention: rates 2 J(w)(1+n), J of Eq. (17)."""
    dens = [ohmic_drude_rate(gamma, 50.0)] * 2
    return reference_redfield([e1, e2], "xx", g, (t1, t2), dens, "sigma_x")[1][0]


@pytest.mark.parametrize("g", [0.1, 0.2])
def test_zhang_fig5_ndtc(g):
    # Fig. 5: eps1 = eps2 = 5, gamma = 0.01, w_D = 50, T_2 = 5, T_1 = 5 + dT, dT in 0..40. The BR current rises,
    # peaks inside the range and falls (NDTC); the Lindblad one keeps rising; BR < Lindblad for dT > 0.
    # With the paper's rates the BR peak is at dT ~ 11 (g = 0.1) and ~ 17 (g = 0.2). (With half the rates,
    # qheat's convention before 741541e, it was at ~17 and ~30: the peak depends on gamma / g.)
    dts = np.arange(0.0, 41.0, 2.0)
    d = zhang_run(
        5.0,
        5.0,
        g,
        (0.01, 0.01),
        (5.0, 5.0),
        methods=("lindblad", "redfield"),
        sweep={"parameter": "reservoirs.temperatures.0", "values": [5.0 + x for x in dts]},
    )
    summary = d["summary"]
    br, lind = np.asarray(summary["heat_current_A"]["redfield"]), np.asarray(summary["heat_current_A"]["lindblad"])
    reference = np.array([reference_zhang_br(5.0, 5.0, g, 5.0 + x, 5.0, 0.01) for x in dts])
    np.testing.assert_allclose(br, reference, **TOL)
    peak = int(np.argmax(reference))
    assert 0 < peak < len(dts) - 1
    assert summary["ndtc"]["redfield"]["present"] is True
    assert summary["ndtc"]["redfield"]["peak_at"] == pytest.approx(dts[peak])
    assert summary["ndtc"]["lindblad"]["present"] is False
    assert np.all(np.diff(lind) > 0)
    assert np.all(br[1:] < lind[1:]) and abs(br[0]) < 1e-12 and abs(lind[0]) < 1e-12
    assert {0.1: (8, 14), 0.2: (14, 20)}[g][0] <= dts[peak] <= {0.1: (8, 14), 0.2: (14, 20)}[g][1]


def test_zhang_fig3_and_fig4_br_below_lindblad():
    # Figs. 3-4 (text of Sec. IV): the BR current is below the Lindblad one for every dT > 0; the suppression
    # grows with dT, is larger for smaller g (Fig. 3: eps = (5, 4), g = 0.75, 0.5, 0.25) and for smaller
    # eps1 - eps2 at eps1 + eps2 = 10 (Fig. 4). No NDTC in these ranges.
    dts = np.arange(0.0, 41.0, 5.0)
    sweep = {"parameter": "reservoirs.temperatures.0", "values": [5.0 + x for x in dts]}
    suppression = {}
    for e1, e2, g in ((5.0, 4.0, 0.75), (5.0, 4.0, 0.5), (5.0, 4.0, 0.25), (6.0, 4.0, 0.5), (6.5, 3.5, 0.5)):
        d = zhang_run(e1, e2, g, (0.01, 0.01), (5.0, 5.0), methods=("lindblad", "redfield"), sweep=sweep)
        br = np.asarray(d["summary"]["heat_current_A"]["redfield"])
        lind = np.asarray(d["summary"]["heat_current_A"]["lindblad"])
        assert br[-1] == pytest.approx(reference_zhang_br(e1, e2, g, 45.0, 5.0, 0.01), rel=1e-8)
        assert np.all(br[1:] < lind[1:]) and np.all(br[1:] > 0)
        rel = (lind[1:] - br[1:]) / lind[1:]
        assert np.all(np.diff(rel) > 0)
        assert d["summary"]["ndtc"]["redfield"]["present"] is False
        suppression[(e1, e2, g)] = rel[-1]
    assert suppression[(5.0, 4.0, 0.25)] > suppression[(5.0, 4.0, 0.5)] > suppression[(5.0, 4.0, 0.75)]
    assert suppression[(5.0, 4.0, 0.5)] > suppression[(6.0, 4.0, 0.5)] > suppression[(6.5, 3.5, 0.5)]


def test_zhang_fig6_asymmetric_ndtc_moves_in_with_gamma():
    # Fig. 6 (eps = (4, 3), g = 0.5): NDTC also in the asymmetric case, at larger dT or larger gamma. Independent BR
    # peaks: dT = 70 (gamma = 0.01), 35 (0.02), 25 (0.03) on a 5-grid; the Lindblad current never turns over.
    dts = np.arange(0.0, 121.0, 5.0)
    sweep = {"parameter": "reservoirs.temperatures.0", "values": [5.0 + x for x in dts]}
    peaks = []
    for gamma in (0.01, 0.02, 0.03):
        d = zhang_run(4.0, 3.0, 0.5, (gamma, gamma), (5.0, 5.0), methods=("lindblad", "redfield"), sweep=sweep)
        nd = d["summary"]["ndtc"]
        assert nd["redfield"]["present"] is True and nd["lindblad"]["present"] is False
        peak = nd["redfield"]["peak_at"]
        expected = reference_zhang_br(4.0, 3.0, 0.5, 5.0 + peak, 5.0, gamma)
        assert nd["redfield"]["peak_current"] == pytest.approx(expected, rel=1e-8)
        peaks.append(peak)
    assert peaks == [70.0, 35.0, 25.0]


# ============================================================================ 6. spec validation


def refused(d, *words):
    with pytest.raises(QheatError) as info:
        qheat.run(d)
    message = str(info.value).lower()
    for w in words:
        assert w.lower() in message


def test_spec_validation():
    ok = spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=0.5, methods=["lindblad"])
    qheat.run(ok)
    # rwa reservoir coupling needs omega_- > 0: lambda^2 < w1 w2 (seed 003 below Eq. 3.44)
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=math.sqrt(2.0), bath="rwa"), "strength")
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=1.5, bath="rwa"), "strength")
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=-1.5, bath="rwa"), "strength")
    qheat.run(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=1.4, bath="rwa", methods=["lindblad"]))
    qheat.run(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=1.5, bath="sigma_x", methods=["lindblad"]))
    # unknown / repeated / no methods
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=0.5, methods=["lindblad", "secular"]), "methods")
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=0.5, methods=["redfield", "redfield"]), "methods")
    refused(spec([1.0, 2.0], [2.0, 1.0], [0.1, 0.1], lam=0.5, methods=[]), "methods")
    # cutoff: required for ohmic-drude, refused for flat
    refused(
        spec([5.0, 4.0], [6.0, 5.0], [0.01, 0.01], coupling="xx", lam=0.5, density="ohmic-drude", bath="sigma_x"),
        "cutoff",
    )
    refused(spec([5.0, 4.0], [6.0, 5.0], [0.01, 0.01], coupling="xx", lam=0.5, cutoff=50.0, bath="sigma_x"), "cutoff")
    # one qubit has no coupling strength; three qubits are not a system of these papers
    one = spec([1.0], [2.0, 1.0], [0.1, 0.1])
    one["system"]["strength"] = 0.3
    refused(one, "strength")
    refused(spec([1.0, 2.0, 3.0], [2.0, 1.0], [0.1, 0.1], lam=0.5), "frequencies")
    # and: rwa baths with the non-excitation-conserving xx coupling
    refused(spec([5.0, 4.0], [6.0, 5.0], [0.01, 0.01], coupling="xx", lam=0.5, bath="rwa"), "rwa")
