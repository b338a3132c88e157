"""Figures of seed 000: heat, Eq. (5) terms, phase diagrams."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Patch

from qheat.plotting import STYLE, _series, _values


@plt.rc_context(STYLE)
def heat_transfer_figure(result: dict[str, Any]) -> plt.Figure:
    """(a) Q(t) = Delta<H_B>, exact and on circuits; (b) the terms of Eq. (5) and (beta_B - beta_A) Q."""
    t = _values(result["times"])
    fig, (ax_q, ax_e) = plt.subplots(1, 2, figsize=(9.0, 3.6))
    ax_q.plot(t, 1e3 * _values(result["heat"]), color="C3", lw=1.6, label="exact")
    c = result.get("circuits")
    if c:
        _series(ax_q, _values(c["times"]), 1e3 * _values(c["heat"]), 1e3 * _values(c["stderr"]), measured=True,
                color="k", label=f"Aer, {c['shots']} shots ({c['estimator']})")
    ax_q.axhline(0.0, color="0.6", lw=0.6)
    ax_q.set_xlabel(r"$\omega_0 t$")
    ax_q.set_ylabel(r"$\mathcal{Q} = \Delta\langle H_B\rangle$  [$10^{-3}\,\hbar\omega_0$]")
    label = "heat into the hot B > 0: anomalous" if result["beta_A"] > result["beta_B"] else "heat into B"
    ax_q.set_title(f"{result['spec'].get('name', '')}: {label}")
    ax_q.legend(loc="best")
    eq = result["heat_transfer_equation"]
    ax_e.plot(t, _values(eq["beta_B_minus_beta_A_times_Q"]), color="k", lw=2.2, label=r"$(\beta_B-\beta_A)\mathcal{Q}$")
    rel = sum(_values(v) for v in eq["relative_entropy_A"].values()) + _values(eq["relative_entropy_B"])
    ax_e.plot(t, rel, color="C0", label=r"$\sum_k S(\rho'_{A_k}\|\rho_{A_k}) + S(\rho'_B\|\rho_B)$")
    ax_e.plot(t, _values(eq["delta_I_AB"]), color="C2", label=r"$\Delta\mathcal{I}_{AB}$")
    ax_e.plot(t, _values(eq["delta_T_A"]), color="C1", label=r"$\Delta\mathcal{T}_A$")
    ax_e.plot(t, _values(eq["delta_J_A"]), color="C4", label=r"$\Delta\mathcal{J}_A$")
    ax_e.plot(t, _values(eq["rhs"]), color="w", lw=0.8, ls="--", label=f"sum (residual {eq['max_residual']:.0e})")
    ax_e.axhline(0.0, color="0.6", lw=0.6)
    ax_e.set_xlabel(r"$\omega_0 t$")
    ax_e.set_ylabel("entropy flux [nats]")
    ax_e.set_title("heat-transfer equation (5)")
    ax_e.legend(loc="best", ncol=1)
    for ax in (ax_q, ax_e):
        ax.grid(alpha=0.25)
    if not result.get("conserving", True):
        fig.text(0.5, 0.005, "[H_I, H_A + H_B] != 0: Q is the energy change of B, not heat", ha="center", color="C3")
    fig.tight_layout()
    return fig


@plt.rc_context(STYLE)
def phase_figure(result: dict[str, Any]) -> plt.Figure:
    """Fig. 2(a): d^2Q/dt^2 maps with the AHT region, one panel per a; Fig. 2(b): AHT regions for each J/c."""
    r = _values(result["ratios"])
    maps = result["maps"]
    js = sorted({m["j_over_c"] for m in maps})
    if len(js) > 1:   # Fig. 2(b): one panel per a, regions for each J/c
        a_values = sorted({m["a"] for m in maps})
        fig, axes = plt.subplots(1, len(a_values), figsize=(4.2 * len(a_values), 3.9), squeeze=False)
        cmap = plt.get_cmap("Blues")
        for ax, a in zip(axes[0], a_values):
            handles = []
            for i, m in enumerate([m for m in maps if m["a"] == a]):
                color = cmap(0.35 + 0.6 * i / max(len(js) - 1, 1))
                ax.contourf(r, r, np.array(m["aht"], float), levels=[0.5, 1.5], colors=[color], alpha=0.9)
                handles.append(Patch(color=color, label=f"J/c = {m['j_over_c']:g} ({m['aht_fraction']:.1%})"))
            ax.plot(r, (1 + a * r) / (1 + a), "r-", lw=1.2)
            ax.axhline(1.0, color="r", ls="--", lw=1.0)
            _axes_phase(ax, r, f"a = {a:g}, $\\beta_B\\omega_B$ = {result['beta_B_omega_B']:g}")
            ax.legend(handles=handles, loc="upper left", title="AHT region")
        fig.tight_layout()
        return fig
    fig, axes = plt.subplots(1, len(maps), figsize=(3.0 * len(maps) + 1.2, 3.5), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, m in zip(axes[0], maps):
        conv = np.array(m["convexity"], float)
        scale = np.abs(conv).max()
        im = ax.contourf(r, r, conv / scale, levels=21, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -1.0, 1.0))
        ax.contour(r, r, conv, levels=[0.0], colors="r", linewidths=1.2)
        ax.contourf(r, r, np.array(m["aht"], float), levels=[0.5, 1.5], colors="none", hatches=["////"])
        ax.axhline(1.0, color="r", ls="--", lw=1.0)
        _axes_phase(ax, r, f"a = {m['a']:g}")
        if ax is not axes[0, 0]:
            ax.set_ylabel("")
    cb = fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9, pad=0.02)
    cb.set_label(r"$\ddot{\mathcal{Q}}(0)$ / max (Eq. 10)")
    fig.suptitle(r"Initial convexity of the three-body model; hatched: AHT; red: $\ddot{\mathcal{Q}}(0) = 0$, "
                 r"dashed: $\beta_{A_1} = \beta_B$ ($a \to 0$)", fontsize=9)
    return fig


def _axes_phase(ax: plt.Axes, r: np.ndarray, title: str) -> None:
    ax.set_xlim(r[0], r[-1])
    ax.set_ylim(r[0], r[-1])
    ax.set_aspect("equal")
    ax.set_xlabel(r"$\beta_{A_2}/\beta_B$")
    ax.set_ylabel(r"$\beta_{A_1}/\beta_B$")
    ax.set_title(title)

