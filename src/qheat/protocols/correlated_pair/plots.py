"""Figures of seed 002 Sec. III: SED, concurrence, mutual information."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from qheat.plotting import STYLE, _series, _values

DELTA_STYLE = {0.0: ("k", ":"), 1.5708: ("C0", "--"), -1.5708: ("C3", "-")}


def _pair_style(point: dict[str, Any], i: int) -> tuple[str, str, str]:
    d = round(point["delta"], 4)
    t_a, t_b = point["spec"]["qubits"]["temperatures"]
    color, ls = DELTA_STYLE.get(d, (f"C{i % 10}", "-"))
    return color, ls, rf"$\delta$ = {point['delta'] / np.pi:+.2g}$\pi$, $T_A$ = {t_a:g}, $T_B$ = {t_b:g}"


@plt.rc_context(STYLE)
def correlated_pair_figure(result: dict[str, Any]) -> plt.Figure:
    """Seed 002 Fig. 1 (SED, concurrence, mutual information vs Omega t) for every point of a sweep;
    a sweep over temperatures draws the SED in one panel per delta (Fig. 2)."""
    points = result.get("points") or [result]
    deltas = sorted({round(p["delta"], 6) for p in points}, reverse=True)
    temps = {tuple(p["spec"]["qubits"]["temperatures"]) for p in points}
    fig2 = len(temps) > 1
    if fig2:
        fig, axes = plt.subplots(1, len(deltas), figsize=(4.6 * len(deltas), 3.5), squeeze=False, sharey=True)
        axes = axes[0]
    else:
        fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.5))
    colors = {(1.5, 1.5): ("k", ":"), (2.0, 1.0): ("C3", "-"), (1.0, 2.0): ("C0", "--")}
    for i, p in enumerate(points):
        omega = p["spec"]["coupling"]["strength"]
        x = omega * _values(p["times"])
        color, ls, label = _pair_style(p, i)
        if fig2:
            t = tuple(p["spec"]["qubits"]["temperatures"])
            color, ls = colors.get(t, (f"C{i}", "-"))
            ax = axes[deltas.index(round(p["delta"], 6))]
            ax.plot(x, _values(p["sed"]), color=color, ls=ls, label=f"$T_A$ = {t[0]:g}, $T_B$ = {t[1]:g}")
            _circuit_points(ax, p, "sed", omega, color)
            ax.set_title(rf"$\delta$ = {p['delta'] / np.pi:+.2g}$\pi$")
            continue
        for ax, key in zip(axes, ("sed", "concurrence", "mutual_information")):
            ax.plot(x, _values(p[key]), color=color, ls=ls, label=label)
            _circuit_points(ax, p, key, omega, color)
        axes[0].plot(x, _values(p["sed_closed_form"]), color="0.5", lw=0.5, ls="-", zorder=0)
    labels = ["subspace energy difference $\\Delta_{AB}$", "concurrence", "mutual information [nats]"]
    for ax, ylabel in zip(axes, labels if not fig2 else [labels[0]] * len(axes)):
        ax.set_xlabel(r"$\Omega t$")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
        ax.axhline(0.0, color="0.6", lw=0.5)
        ax.legend(loc="best")
    note = "lines: exact; thin grey: Eq. (12)" + ("; points: Aer tomography (+- 1 s.e.)" if "circuits" in points[0] else "")
    fig.text(0.5, 0.005, note, ha="center", fontsize=7.5, color="0.35")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _circuit_points(ax: plt.Axes, p: dict[str, Any], key: str, omega: float, color: str) -> None:
    c = p.get("circuits")
    if c:
        _series(ax, omega * _values(c["times"]), c[key], c["stderr_" + key], measured=True, color=color, label="_nolegend_")

