"""Seed 004 (Zhang, Liu & Yu, hidden NDTC): Figs. 2-6 and Eqs. (24)-(26).

J_1 is the steady current from reservoir 1 (qheat's reservoir A) into the system; T_2 = 5, T_1 = 5 + Delta T;
BR = qheat's "redfield" (global Bloch-Redfield, no secular approximation), Lindblad = "lindblad".
"""

from __future__ import annotations

import numpy as np

from qheat.reproduce.claim import Claim, Results, above, below, near

FIG3 = ("zhang-fig3-g0.25", "zhang-fig3-g0.5", "zhang-fig3-g0.75")  # g ascending
FIG4 = ("zhang-fig4-eps5.5-4.5", "zhang-fig4-eps6.0-4.0", "zhang-fig4-eps6.5-3.5")  # eps1 - eps2 ascending
EPS = ("4.0", "5.0", "6.0")
GS = ("0.05", "0.1", "0.2")
FIG5 = tuple(f"zhang-fig5-eps{e}-g{g}" for e in EPS for g in GS)
FIG6 = ("zhang-fig6-gamma0.01", "zhang-fig6-gamma0.02", "zhang-fig6-gamma0.03")  # gamma ascending
ALL = FIG3 + FIG4 + FIG5 + FIG6


def _j(r: Results, name: str, method: str) -> np.ndarray:
    return np.asarray(r[name]["summary"]["heat_current_A"][method])


def _suppression(r: Results, name: str) -> np.ndarray:
    """J_Lindblad - J_BR along Delta T."""
    return _j(r, name, "lindblad") - _j(r, name, "redfield")


def _relative_suppression_end(r: Results, name: str) -> float:
    return float(_suppression(r, name)[-1] / _j(r, name, "lindblad")[-1])


def _ndtc(r: Results, names: tuple[str, ...], method: str) -> int:
    return sum(bool(r[n]["summary"]["ndtc"][method]["present"]) for n in names)


S = "004"
CLAIMS = (
    Claim(
        S,
        "Fig. 2",
        "T_1 = T_2, only reservoir 1 coupled: an equilibrium, no current (max |J_1|, BR and Lindblad)",
        ("zhang-fig2",),
        lambda r: float(max(np.max(np.abs(_j(r, "zhang-fig2", m))) for m in ("redfield", "lindblad"))),
        near(1e-10),
        paper=0.0,
        note="Fig. 2's comparison with the mean-force Gibbs state is tested in tests/reservoirs "
        "(test_mean_force_gibbs.py), not here: the result holds no MFG state",
    ),
    Claim(
        S,
        "Figs. 3, 4",
        "the BR current is below the Lindblad one for every Delta T > 0 (min J_L - J_BR, Delta T > 0)",
        FIG3 + FIG4,
        lambda r: float(min(np.min(_suppression(r, n)[1:]) for n in FIG3 + FIG4)),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 3",
        "the suppression grows with Delta T (min step of J_L - J_BR)",
        FIG3,
        lambda r: float(min(np.min(np.diff(_suppression(r, n))) for n in FIG3)),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 3",
        "the suppression is larger for smaller g (min step of (J_L - J_BR)/J_L at Delta T = 40, g = 0.75 -> 0.25)",
        FIG3,
        lambda r: float(np.min(-np.diff([_relative_suppression_end(r, n) for n in FIG3]))),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 4",
        "eps1 + eps2 = 10: the suppression is larger for smaller eps1 - eps2 (min step of "
        "(J_L - J_BR)/J_L at Delta T = 40)",
        FIG4,
        lambda r: float(np.min(-np.diff([_relative_suppression_end(r, n) for n in FIG4]))),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 5",
        "symmetric eps1 = eps2: the BR current rises then falls (NDTC) -- curves of 9 with NDTC",
        FIG5,
        lambda r: _ndtc(r, FIG5, "redfield"),
        near(0.0),
        paper=9.0,
    ),
    Claim(
        S,
        "Eqs. (24)-(26)",
        "Lindblad: dJ_1/dT_1 > 0, no NDTC (min step of J_L, Figs. 3-6)",
        ALL,
        lambda r: float(min(np.min(np.diff(_j(r, n, "lindblad"))) for n in ALL)),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 5",
        "the BR current falls as g decreases (min over eps of J_BR steps g = 0.2 -> 0.05, Delta T = 40)",
        FIG5,
        lambda r: float(
            min(np.min(np.diff([_j(r, f"zhang-fig5-eps{e}-g{g}", "redfield")[-1] for g in GS])) for e in EPS)
        ),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 5",
        "a larger eps amplifies the current (min over g of BR peak steps eps = 4 -> 6)",
        FIG5,
        lambda r: float(
            min(
                np.min(
                    np.diff([r[f"zhang-fig5-eps{e}-g{g}"]["summary"]["ndtc"]["redfield"]["peak_current"] for e in EPS])
                )
                for g in GS
            )
        ),
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 6",
        "NDTC also in the asymmetric case eps = (4, 3) -- curves of 3 with NDTC",
        FIG6,
        lambda r: _ndtc(r, FIG6, "redfield"),
        near(0.0),
        paper=3.0,
    ),
    Claim(
        S,
        "Fig. 6",
        "a larger gamma makes the NDTC more pronounced: the BR peak moves to smaller Delta T "
        "(max step of the peak's Delta T, gamma = 0.01 -> 0.03)",
        FIG6,
        lambda r: float(np.max(np.diff([r[n]["summary"]["ndtc"]["redfield"]["peak_at"] for n in FIG6]))),
        below(0.0),
    ),
)
