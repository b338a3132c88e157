"""Figures of seed 002 Sec. III: SED, concurrence, mutual information (Figs. 1 and 2).

hbar = k_B = 1; energies and temperatures in units of hbar omega (the qubits' level spacing).
"""

from __future__ import annotations

from typing import Any

from qheat.plotting import (
    Table,
    _series,
    _values,
    figure,
    footnote,
    heading,
    legend_beside,
    letter_panels,
    num,
    parameter_label,
    styled,
    sweep_coordinates,
)

DELTA_STYLE = {0.0: ("k", ":"), 1.5708: ("C0", "--"), -1.5708: ("C3", "-")}  # Fig. 1's lines
GRADIENT_STYLE = {(1.5, 1.5): ("k", ":"), (2.0, 1.0): ("C3", "-"), (1.0, 2.0): ("C0", "--")}  # Fig. 2's

PARAMETERS: Table = (
    (r"coupling\.phase", lambda m, s: "$\\phi_V$ / rad"),
    (r"coupling\.strength", lambda m, s: "$\\Omega$ / $\\omega$"),
    (r"qubits\.temperatures\.([01])", lambda m, s: f"$T_{'AB'[int(m[1])]}$ / $\\omega$"),
    (r"qubits\.frequency", lambda m, s: "qubit frequency $\\omega$ (the energy unit)"),
    (r"correlation\.strength", lambda m, s: "correlation strength (1: $\\chi$ of Eq. 10)"),
    (r"correlation\.phase", lambda m, s: "$\\phi_\\chi$ / rad"),
    (r"evolution\.t_max", lambda m, s: "$t_{max}$ / $\\omega^{-1}$"),
)
TIME_LABEL = "$\\Omega t$"


def _delta(point: dict[str, Any]) -> str:
    return f"$\\delta$ = {num(point['delta'])}" if point["delta"] else "$\\delta$ = 0"


def _others(result: dict[str, Any], i: int) -> str:
    """The swept parameters of point i besides the phase and the temperatures (drawn by style), as text."""
    if "sweep" not in result:
        return ""
    paths, coords = sweep_coordinates(result)
    return ", ".join(
        f"{parameter_label(p, result['spec'], PARAMETERS)} = {num(v)}"
        for p, v in zip(paths, coords[i])
        if p not in ("coupling.phase", "qubits.temperatures.0", "qubits.temperatures.1")
    )


def _fixed(points: list[dict[str, Any]], gradients: bool) -> list[str]:
    spec = points[0]["spec"]
    parts = ["Seed 002"]
    if not gradients:
        t_a, t_b = spec["qubits"]["temperatures"]
        parts.append(f"$T_A$ = {t_a:g}, $T_B$ = {t_b:g}")
    omegas = {p["spec"]["coupling"]["strength"] for p in points}
    if len(omegas) == 1:
        parts.append(f"$\\Omega$ = {omegas.pop():g}$\\omega$")
    strengths = {p["spec"]["correlation"]["strength"] for p in points}
    if len(strengths) == 1:
        s = strengths.pop()
        parts.append("$\\chi$ of Eq. (10)" if s == 1 else f"{s:g} $\\times$ the $\\chi$ of Eq. (10)")
    parts.append("$\\hbar = k_B = 1$, energies in units of $\\omega$")
    return parts


@styled
def correlated_pair_figure(result: dict[str, Any]) -> Any:
    """Seed 002 Fig. 1: (a) SED Delta_AB (Eq. 4, Eq. 12 in grey), (b) concurrence, (c) mutual information vs
    Omega t, one line per point; a sweep over temperature gradients draws Fig. 2 instead: the SED in one panel
    per delta (normal delta = 0 first), one line per gradient."""
    points = result.get("points") or [result]
    deltas = sorted({round(p["delta"], 6) for p in points}, reverse=True)
    deltas.sort(key=lambda d: d != 0.0)
    gradients = len({tuple(p["spec"]["qubits"]["temperatures"]) for p in points}) > 1
    if gradients:
        fig, axes = figure(1, len(deltas), 3.7 * len(deltas) + 1.7, 3.4, sharey=True)
    else:
        fig, axes = figure(1, 3, 12.5, 3.5)
    row = axes[0]
    for i, p in enumerate(points):
        omega = p["spec"]["coupling"]["strength"]
        x = omega * _values(p["times"])
        extra = _others(result, i)
        if gradients:
            t = tuple(p["spec"]["qubits"]["temperatures"])
            color, ls = GRADIENT_STYLE.get(t, (f"C{i % 10}", "-"))
            order = "=" if t[0] == t[1] else (">" if t[0] > t[1] else "<")
            label = f"$T_A$ = {t[0]:g} {order} $T_B$ = {t[1]:g}" + (f", {extra}" if extra else "")
            ax = row[deltas.index(round(p["delta"], 6))]
            ax.plot(x, _values(p["sed"]), color=color, ls=ls, label=label)
            _circuit_points(ax, p, "sed", omega, color)
            ax.set_title(("normal" if p["delta"] == 0 else "anomalous") + f" exchange, {_delta(p)}", fontsize=9)
            continue
        color, ls = DELTA_STYLE.get(round(p["delta"], 4), (f"C{i % 10}", "-"))
        label = _delta(p) + (f", {extra}" if extra else "")
        for ax, key in zip(row, ("sed", "concurrence", "mutual_information")):
            ax.plot(x, _values(p[key]), color=color, ls=ls, label=label)
            _circuit_points(ax, p, key, omega, color)
        row[0].plot(x, _values(p["sed_closed_form"]), color="0.55", lw=0.5, ls="-", zorder=0)
    labels = ["SED $\\Delta_{AB}$ / $\\omega$", "concurrence", "mutual information $I(A:B)$ [nats]"]
    for ax, ylabel in zip(row, labels if not gradients else [labels[0]] * len(row)):
        ax.set_xlabel(TIME_LABEL)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
        ax.axhline(0.0, color="0.6", lw=0.5)
    if gradients:
        for ax in row[1:]:
            ax.tick_params(labelleft=True)
    legend_beside(row[-1])
    letter_panels(row)
    heading(fig, *_fixed(points, gradients))
    measured = any("circuits" in p for p in points)
    footnote(
        fig,
        "lines: exact" + ("" if gradients else "; thin grey: Eq. (12)"),
        "points: Aer tomography ($\\pm$ 1 s.e.)" if measured else "",
        "$\\delta = \\phi_V - \\phi_\\chi$",
    )
    return fig


def _circuit_points(ax: Any, p: dict[str, Any], key: str, omega: float, color: str) -> None:
    c = p.get("circuits")
    if c:
        _series(
            ax, omega * _values(c["times"]), c[key], c["stderr_" + key], measured=True, color=color, label="_nolegend_"
        )
