"""Seed 003 (Fogedby, heat currents in qubit systems): Eqs. (1.2)-(1.4) = (3.56)-(3.61), (3.50), Figs. 3-5.

Two qubits w = (1, 2), lambda = 0.5, flat g_A = g_B = 1; q^A is the current from reservoir A into the system.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qheat.reproduce.claim import Claim, Results, above, below, between, near

FIG3, FIG4, FIG5 = "fogedby-fig3", "fogedby-fig4", "fogedby-fig5"


def _planck(w: float, t: float) -> float:
    return 1.0 / math.expm1(w / t)


def _lindblad(spec: dict[str, Any]) -> tuple[np.ndarray, float]:
    """Eq. (3.50) populations (energies ascending) and q^A of Eqs. (1.2)-(1.4), flat g_A, g_B.

    alpha = cos(theta/2), beta = sin(theta/2) with theta = arctan2(2 lambda, w1 - w2): the paper's
    tan(theta) = 2 lambda / (w1 - w2) on the branch that keeps E_2 < E_3 when w1 < w2 (as here)."""
    w1, w2 = spec["system"]["frequencies"]
    lam = spec["system"]["strength"]
    ta, tb = spec["reservoirs"]["temperatures"]
    ga, gb = spec["reservoirs"]["strengths"]
    theta = math.atan2(2 * lam, w1 - w2)
    al, be = math.cos(theta / 2), math.sin(theta / 2)
    r = math.hypot((w1 - w2) / 2, lam)
    wp, wm = (w1 + w2) / 2 + r, (w1 + w2) / 2 - r
    a = np.array(
        [
            al**2 * ga * (1 + _planck(wp, ta)),
            be**2 * ga * (1 + _planck(wm, ta)),
            al**2 * ga * _planck(wp, ta),
            be**2 * ga * _planck(wm, ta),
        ]
    )  # Eq. (3.47)
    b = np.array(
        [
            be**2 * gb * (1 + _planck(wp, tb)),
            al**2 * gb * (1 + _planck(wm, tb)),
            be**2 * gb * _planck(wp, tb),
            al**2 * gb * _planck(wm, tb),
        ]
    )
    s1, s2, s3, s4 = a + b
    pops = np.array([s1 * s2, s1 * s4, s3 * s2, s3 * s4]) / ((s1 + s3) * (s2 + s4))
    ab2 = (al * be) ** 2
    nap, nbp, nam, nbm = _planck(wp, ta), _planck(wp, tb), _planck(wm, ta), _planck(wm, tb)
    q_plus = ab2 * ga * gb * wp / (al**2 * ga * (1 + 2 * nap) + be**2 * gb * (1 + 2 * nbp)) * (nap - nbp)
    q_minus = ab2 * ga * gb * wm / (be**2 * ga * (1 + 2 * nam) + al**2 * gb * (1 + 2 * nbm)) * (nam - nbm)
    return pops, q_plus + q_minus


def _point(r: Results, name: str, ta: float) -> dict[str, Any]:
    return next(p for p in r[name]["points"] if abs(p["spec"]["reservoirs"]["temperatures"][0] - ta) < 1e-12)


def _currents(r: Results, method: str) -> list[tuple[float, float, float, float]]:
    """(T_A, T_B, q^A, q^B) along Fig. 4's sweep."""
    out = []
    for p in r[FIG4]["points"]:
        ta, tb = p["spec"]["reservoirs"]["temperatures"]
        q = p["methods"][method]["heat_current"]
        out.append((ta, tb, q["A"], q["B"]))
    return out


def _mean_t(p: dict[str, Any]) -> float:
    return sum(p["spec"]["reservoirs"]["temperatures"]) / 2


def _negative_up_to(r: Results) -> float:
    """The highest mean temperature of Fig. 5's sweep with a negative Redfield population."""
    return max(_mean_t(p) for p in r[FIG5]["points"] if p["methods"]["redfield"]["negative_populations"])


def _spread(r: Results) -> np.ndarray:
    points = sorted(r[FIG3]["points"], key=_mean_t)
    return np.array([np.ptp(p["methods"]["lindblad"]["populations"]) for p in points])


S = "003"
CLAIMS = (
    Claim(
        S,
        "Eqs. (1.2)-(1.4)",
        "Lindblad current q^A in closed form at T_A = 1.5, T_B = 1 (Fig. 4)",
        (FIG4,),
        lambda r: _point(r, FIG4, 1.5)["methods"]["lindblad"]["heat_current"]["A"],
        near(rel=1e-8),
        paper=lambda r: _lindblad(_point(r, FIG4, 1.5)["spec"])[1],
        note="for w1 < w2 the paper's tan(theta) = 2 lambda / (w1 - w2) needs the arctan2 branch (E_2 < E_3)",
    ),
    Claim(
        S,
        "Eq. (3.50)",
        "Lindblad populations in closed form at T_A = 0.5, T_B = 1 (max deviation)",
        (FIG4,),
        lambda r: float(
            np.max(
                np.abs(
                    np.asarray(_point(r, FIG4, 0.5)["methods"]["lindblad"]["populations"])
                    - _lindblad(_point(r, FIG4, 0.5)["spec"])[0]
                )
            )
        ),
        near(1e-10),
        paper=0.0,
    ),
    Claim(
        S,
        "Fig. 4",
        "the currents vanish in equilibrium T_A = T_B (|q^A| at T_A = 1)",
        (FIG4,),
        lambda r: abs(_point(r, FIG4, 1.0)["methods"]["lindblad"]["heat_current"]["A"]),
        near(1e-12),
        paper=0.0,
    ),
    Claim(
        S,
        "Eqs. (3.56)-(3.61)",
        "first law: q^A + q^B = 0 (max |q^A + q^B| along Fig. 4, Lindblad)",
        (FIG4,),
        lambda r: max(abs(qa + qb) for _, _, qa, qb in _currents(r, "lindblad")),
        near(1e-12),
        paper=0.0,
    ),
    Claim(
        S,
        "Eqs. (3.56)-(3.61)",
        "second law: heat flows from the hot reservoir to the cold one (points of Fig. 4 "
        "where sign q^A != sign(T_A - T_B), Lindblad)",
        (FIG4,),
        lambda r: sum(int(np.sign(qa) != np.sign(ta - tb)) for ta, tb, qa, _ in _currents(r, "lindblad") if ta != tb),
        near(0.0),
        paper=0.0,
    ),
    Claim(
        S,
        "Fig. 3",
        "T -> 0: the system occupies the lowest level (rho_11 at T = 0.1)",
        (FIG3,),
        lambda r: min(r[FIG3]["points"], key=_mean_t)["methods"]["lindblad"]["populations"][0],
        above(0.99),
        note="the text's 'rho_11 = 0' at T = 0 is a slip: the lowest level is full, rho_11 = 1",
    ),
    Claim(
        S,
        "Fig. 3",
        "high T: the populations converge to 1/4 (max step of max - min population along T)",
        (FIG3,),
        lambda r: float(np.max(np.diff(_spread(r)))),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 5",
        "Redfield gives negative populations at low mean T (min population, T = 5.1)",
        (FIG5,),
        lambda r: min(min(r[FIG5]["points"], key=_mean_t)["methods"]["redfield"]["populations"]),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 5",
        "negative populations for Delta T < T <~ 6.0 (highest mean T with one)",
        (FIG5,),
        _negative_up_to,
        between(5.0, 6.0),
        note="the paper's ~6 comes from its closed form (3.70) (crossing at 6.007), whose kernel (A.4) omits "
        "population-coherence terms; the standard Redfield equation crosses at T = 5.467 "
        "(tests/reservoirs/test_reservoirs_physics.py); the caption's rho_22 is rho_44 (and rho_33)",
    ),
    Claim(
        S,
        "Eqs. (3.70)-(3.75)",
        "T_A = T_B (k = 0): Redfield and Lindblad populations agree (max difference)",
        (FIG4,),
        lambda r: float(
            np.max(
                np.abs(
                    np.asarray(_point(r, FIG4, 1.0)["methods"]["redfield"]["populations"])
                    - np.asarray(_point(r, FIG4, 1.0)["methods"]["lindblad"]["populations"])
                )
            )
        ),
        near(1e-10),
        paper=0.0,
    ),
)
