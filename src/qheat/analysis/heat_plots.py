"""Figures of seeds 000 and 002 from result dictionaries (the JSON that ``qheat run`` writes).

heat-transfer: Q(t) with the circuits' points (Fig. 1(b)-(d)) and the terms of Eq. (5); phase maps
(Fig. 2). correlated-pair: SED, concurrence and mutual information (Figs. 1, 2). heat-pump: heat
from each bath over the cycles, entropy production and mutual information (Figs. 4-6).
"""
from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from qheat.analysis.plots import _series, _values  # noqa: E402

# the style of these figures, set while each is drawn (plt.rc_context), never globally
STYLE = {"font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.labelsize": 9}


def figure(result: dict[str, Any]) -> plt.Figure:
    protocol = result["protocol"]
    if protocol == "heat-transfer":
        return phase_figure(result) if "maps" in result else heat_transfer_figure(result)
    if protocol == "correlated-pair":
        return correlated_pair_figure(result)
    if protocol == "heat-pump":
        return heat_pump_figure(result)
    raise ValueError(f"no figure for protocol {protocol!r}")


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


@plt.rc_context(STYLE)
def heat_pump_figure(result: dict[str, Any]) -> plt.Figure:
    """Seed 002 Figs. 4-6: heat drawn from each bath, SED, entropy production and mutual information."""
    t = _values(result["times"])
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 6.4))
    (ax_q, ax_s), (ax_sed, ax_i) = axes
    q = result["heat"]
    ax_q.plot(t, _values(q["A"]), color="C3", label=r"$Q_A$ (from hot bath A)")
    ax_q.plot(t, _values(q["B"]), color="C0", label=r"$Q_B$ (from cold bath B)")
    if "normal" in result:
        n = result["normal"]
        ax_q.plot(t, _values(n["heat"]["A"]), color="C3", ls="--", lw=0.8, label=r"$Q_A$ without $\chi$")
        ax_q.plot(t, _values(n["heat"]["B"]), color="C0", ls="--", lw=0.8, label=r"$Q_B$ without $\chi$")
    if "circuits" in result:                 # backend aer: measured heats, cumulative at each cycle's end
        per = result["circuits"]["per_cycle"]
        length = result["tau"] + result["relax_time"]
        ends = [w[0] + length for w in result["coupling_windows"]]
        for name, color in (("A", "C3"), ("B", "C0")):
            q_c = np.cumsum([c[f"Q_{name}"] for c in per])
            se_c = np.sqrt(np.cumsum([c[f"Q_{name}_stderr"] ** 2 for c in per]))
            ax_q.errorbar(ends, q_c, yerr=se_c, fmt="o", ms=4, color=color, capsize=3,
                          label=f"$Q_{name}$ aer ({result['circuits']['shots']} shots)")
    for start in result["coupling_windows"]:
        for ax in axes.flat:
            ax.axvspan(start[0], start[1], color="0.85", lw=0)
    ax_q.set_ylabel("heat drawn from the bath")
    ax_q.legend(loc="best")
    ax_s.plot(t, _values(result["entropy_production"]["sigma"]), color="C3", label=r"$\Sigma$ (Eq. 15)")
    ax_s.plot(t, _values(result["entropy_production"]["sigma_0"]), color="C0", ls="--", label=r"$\Sigma_0$ (Eq. 14)")
    ax_s.plot(t, _values(result["entropy_production"]["delta_I"]), color="k", ls="-.", label=r"$\Delta I_{AB}$")
    ax_s.set_ylabel("entropy [nats]")
    ax_s.legend(loc="best")
    ax_sed.plot(t, _values(result["sed"]), color="C2")
    ax_sed.set_ylabel(r"SED $\Delta_{AB}$")
    ax_i.plot(t, _values(result["concurrence"]), color="C4", label="concurrence")
    ax_i.plot(t, _values(result["mutual_information"]), color="k", label="mutual information")
    ax_i.legend(loc="best")
    for ax in axes.flat:
        ax.set_xlabel(r"$\omega t$")
        ax.grid(alpha=0.25)
        ax.axhline(0.0, color="0.6", lw=0.5)
    cop = result["performance"]
    fig.suptitle(f"{result['spec'].get('name', '')}: COP $Q_B/(T_A I_0)$ = {cop['cop']:.3f} "
                 f"<= Carnot $T_B/(T_A-T_B)$ = {cop['carnot']:.3f}; grey: qubits coupled", fontsize=9)
    fig.tight_layout()
    return fig
