"""Seed 000 (Ma et al., anomalous heat transfer): Eqs. (2), (5), (10), Theorem 1, Figs. 1(b)-(d) and 2.

A is the cold system, B the hot one (beta_A > beta_B); Q = Delta<H_B>, so Q > 0 is AHT (heat from cold A
into hot B, (beta_B - beta_A) Q < 0); energies in units of omega_0 (4 GHz), temperatures converted from kelvin.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qheat.reproduce.claim import Claim, Results, above, below, near

FIG1 = ("ma-fig1b", "ma-fig1c", "ma-fig1d")


def _eq10(d: dict[str, Any]) -> float:
    """Eq. (10): d^2Q/dt^2 at t = 0 of H_I = c s+_A1 s-_A2 s-_B + h.c. on the product state."""
    q = {x["label"]: x for x in d["qubits"]}
    c = abs(complex(d["spec"]["interaction"][0]["coefficient"], d["spec"]["interaction"][0]["coefficient_imag"]))
    x1, x2, xb = (q[k]["beta"] * q[k]["frequency"] for k in ("A1", "A2", "B"))
    return (
        2
        * c
        * c
        * q["B"]["frequency"]
        * (math.exp(x2 + xb) - math.exp(x1))
        / ((1 + math.exp(x1)) * (1 + math.exp(x2)) * (1 + math.exp(xb)))
    )


def _later(d: dict[str, Any], key: str) -> np.ndarray:
    """A term of the heat-transfer equation (5) after t = 0."""
    return np.asarray(d["heat_transfer_equation"][key][1:])


def _boundary_mismatches(r: Results) -> float:
    """Cells of the J = 0 maps whose convexity sign (Eq. 2 commutators) differs from the side of the boundary
    (1 + a) beta_A1/beta_B = 1 + a beta_A2/beta_B (Eq. 10 with beta_B omega_B = 1)."""
    d = r["ma-fig2a"]
    x = np.asarray(d["ratios"])
    bad = 0
    for m in d["maps"]:
        a = m["a"]
        conv = np.asarray(m["convexity"])  # rows: beta_A1/beta_B, columns: beta_A2/beta_B
        side = 1 + a * x[None, :] - (1 + a) * x[:, None]
        clear = (np.abs(conv) > 1e-12) & (np.abs(side) > 1e-9)
        bad += int(np.sum(np.sign(conv[clear]) != np.sign(side[clear])))
    return bad


def _fractions(r: Results) -> list[float]:
    maps = sorted(r["ma-fig2b"]["maps"], key=lambda m: m["j_over_c"])
    return [m["aht_fraction"] for m in maps]


S = "000"
CLAIMS = (
    Claim(
        S,
        "Eq. (10)",
        "initial convexity d2Q/dt2 of the three-body model, closed form vs Eq. (2) (Fig. 1(b))",
        ("ma-fig1b",),
        lambda r: r["ma-fig1b"]["derivatives"]["commutator"][1],
        near(rel=1e-9),
        paper=lambda r: _eq10(r["ma-fig1b"]),
    ),
    Claim(
        S,
        "Fig. 1(b)",
        "Eq. (9) model on the product state: dQ/dt = 0 at t = 0",
        ("ma-fig1b",),
        lambda r: r["ma-fig1b"]["derivatives"]["commutator"][0],
        near(1e-15),
        paper=0.0,
    ),
    Claim(
        S,
        "Fig. 1(b)",
        "temperature inhomogeneity: heat flows from cold A into hot B (Q at the last time)",
        ("ma-fig1b",),
        lambda r: r["ma-fig1b"]["heat"][-1],
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 1(b)",
        "... driven by Delta T_A < 0 (max over t > 0)",
        ("ma-fig1b",),
        lambda r: float(np.max(_later(r["ma-fig1b"], "delta_T_A"))),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 1(c)",
        "intrasystem interaction: heat flows from cold A into hot B (Q at the last time)",
        ("ma-fig1c",),
        lambda r: r["ma-fig1c"]["heat"][-1],
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 1(c)",
        "... driven by Delta J_A < 0 (max over t > 0)",
        ("ma-fig1c",),
        lambda r: float(np.max(_later(r["ma-fig1c"], "delta_J_A"))),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 1(d)",
        "intrasystem correlation: heat flows from cold A into hot B (Q at the last time)",
        ("ma-fig1d",),
        lambda r: r["ma-fig1d"]["heat"][-1],
        above(0.0),
    ),
    Claim(
        S,
        "Fig. 1(d)",
        "... by consuming the correlation within A (max Delta I_A, t > 0)",
        ("ma-fig1d",),
        lambda r: float(np.max(_later(r["ma-fig1d"], "delta_I_A"))),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 1(d)",
        "... while Delta I_{A:B} >= 0 (min over t)",
        ("ma-fig1d",),
        lambda r: min(r["ma-fig1d"]["heat_transfer_equation"]["delta_I_A_B"]),
        above(-1e-12),
    ),
    Claim(
        S,
        "Eq. (5)",
        "heat-transfer equation: (beta_B - beta_A) Q = sum of relative entropies + Delta I_AB + "
        "Delta T_A + Delta J_A (max residual, Figs. 1(b)-(d))",
        FIG1,
        lambda r: max(r[n]["heat_transfer_equation"]["max_residual"] for n in FIG1),
        near(1e-10),
        paper=0.0,
    ),
    Claim(
        S,
        "Theorem 1",
        "two-body interactions, no initial coherence: no AHT (Q at the last time)",
        ("ma-theorem1",),
        lambda r: r["ma-theorem1"]["heat"][-1],
        below(0.0),
        note="ma-theorem1 is Fig. 1(d)'s model without chi_A (a spec added for this claim)",
    ),
    Claim(
        S,
        "Fig. 2(a)",
        "AHT boundary (1 + a) beta_A1/beta_B = 1 + a beta_A2/beta_B: map cells on the wrong side (a = 0.1, 0.5, 1, 3)",
        ("ma-fig2a",),
        _boundary_mismatches,
        near(0.0),
        paper=0.0,
    ),
    Claim(
        S,
        "Fig. 2(b)",
        "a two-body perturbation J shrinks the AHT region (max step of its area along J/c)",
        ("ma-fig2b",),
        lambda r: float(np.max(np.diff(_fractions(r)))),
        below(0.0),
    ),
    Claim(
        S,
        "Fig. 2(b)",
        "... but it remains finite (area at the largest J/c = 0.15)",
        ("ma-fig2b",),
        lambda r: _fractions(r)[-1],
        above(0.0),
    ),
)
