"""Figures of seed 000: heat and the terms of Eq. (5) (Fig. 1(b)-(d)), phase diagrams (Fig. 2), sweeps.

hbar = k_B = 1; energies and frequencies in units of omega_0, times in 1/omega_0 (temperatures in kelvin
when the spec gives omega0_ghz), entropies in nats.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Patch

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


def _qubit(spec: dict[str, Any], i: str) -> str:
    return spec["qubits"][int(i)]["label"]


def _temperature_unit(spec: dict[str, Any]) -> str:
    return "K" if spec.get("omega0_ghz") else "$\\omega_0$"


PARAMETERS: Table = (
    (r"qubits\.(\d+)\.temperature", lambda m, s: f"$T_{{{_qubit(s, m[1])}}}$ / {_temperature_unit(s)}"),
    (r"qubits\.(\d+)\.frequency", lambda m, s: f"$\\omega_{{{_qubit(s, m[1])}}}$ / $\\omega_0$"),
    (r"interaction\.(\d+)\.coefficient", lambda m, s: f"coefficient of $H_I$ term {int(m[1]) + 1} / $\\omega_0$"),
    (
        r"interaction\.(\d+)\.coefficient_imag",
        lambda m, s: f"Im coefficient of $H_I$ term {int(m[1]) + 1} / $\\omega_0$",
    ),
    (r"correlation\.(\d+)\.coefficient", lambda m, s: f"amplitude of $\\chi_A$ term {int(m[1]) + 1}"),
    (r"evolution\.t_max", lambda m, s: "$t_{max}$ / $\\omega_0^{-1}$"),
    (r"omega0_ghz", lambda m, s: "$\\omega_0/2\\pi$ / GHz"),
    (r"phase_diagram\.beta_b_omega_b", lambda m, s: "$\\beta_B\\omega_B$"),
)
TIME_LABEL = "$\\omega_0 t$"
HEAT_LABEL = "$\\mathcal{Q} = \\Delta\\langle H_B\\rangle$ / $10^{-3}\\,\\omega_0$"


def _parameters(spec: dict[str, Any], swept: tuple[str, ...] = ()) -> str:
    """The qubits as the paper states them: temperatures (with unit) and frequencies, but the swept ones."""
    unit = " K" if spec.get("omega0_ghz") else ""
    temps = ", ".join(
        f"$T_{{{q['label']}}}$ = {q['temperature']:g}{unit}"
        for i, q in enumerate(spec["qubits"])
        if f"qubits.{i}.temperature" not in swept
    )
    freqs = ", ".join(
        f"$\\omega_{{{q['label']}}}$ = {q['frequency']:g}"
        for i, q in enumerate(spec["qubits"])
        if f"qubits.{i}.frequency" not in swept
    )
    ghz = f" ($\\omega_0/2\\pi$ = {spec['omega0_ghz']:g} GHz)" if spec.get("omega0_ghz") else ""
    return f"Seed 000: {temps}; {freqs} $\\omega_0${ghz}"


def _interaction(spec: dict[str, Any]) -> str:
    terms = spec.get("interaction") or []
    coeffs = {abs(complex(t.get("coefficient", 0.0), t.get("coefficient_imag", 0.0))) for t in terms}
    return (
        (
            f"$|c|$ = {', '.join(f'{c:g}' for c in sorted(coeffs))} $\\omega_0$ ({len(terms)} term"
            f"{'s' * (len(terms) != 1)} in $H_I$, $H_{{AI}}$)"
        )
        if terms
        else ""
    )


@styled
def heat_transfer_figure(result: dict[str, Any]) -> Any:
    """(a) Q(t) = Delta<H_B> (Fig. 1(b)-(d)), exact and on circuits; (b) the terms of Eq. (5) beside
    (beta_B - beta_A) Q."""
    t = _values(result["times"])
    fig, axes = figure(1, 2, 11.5, 3.9)
    ax_q, ax_e = axes[0]
    ax_q.plot(t, 1e3 * _values(result["heat"]), color="C3", lw=1.6, label="exact")
    c = result.get("circuits")
    notes = []
    if c:
        backend = result.get("backend", "aer")
        _series(
            ax_q,
            _values(c["times"]),
            1e3 * _values(c["heat"]),
            1e3 * _values(c["stderr"]),
            measured=True,
            color="k",
            label=f"{backend}, {c['shots']} shots ({c['estimator']})",
        )
        notes.append("points: circuits ($\\pm$ 1 s.e.)")
        if backend != "aer" and c.get("circuit_heat_shot_free"):
            ax_q.plot(
                _values(c["times"]),
                1e3 * _values(c["circuit_heat_shot_free"]),
                "k:",
                lw=1.2,
                label=f"shot-free on {backend}",
            )
            notes.append("dotted: this noisy backend without shot noise")
    ax_q.axhline(0.0, color="0.6", lw=0.6)
    ax_q.set_xlabel(TIME_LABEL)
    ax_q.set_ylabel(HEAT_LABEL)
    cold_a = result["beta_A"] > result["beta_B"]
    ax_q.set_title("heat into the hotter B: anomalous (AHT)" if cold_a else "heat into B", fontsize=9)
    legend_beside(ax_q)
    eq = result["heat_transfer_equation"]
    ax_e.plot(
        t, _values(eq["beta_B_minus_beta_A_times_Q"]), color="k", lw=2.2, label="$(\\beta_B-\\beta_A)\\mathcal{Q}$"
    )
    rel = sum(_values(v) for v in eq["relative_entropy_A"].values()) + _values(eq["relative_entropy_B"])
    ax_e.plot(t, rel, color="C0", label="$\\sum_k S(\\rho'_{A_k}\\|\\rho_{A_k}) + S(\\rho'_B\\|\\rho_B)$")
    ax_e.plot(t, _values(eq["delta_I_AB"]), color="C2", label="$\\Delta\\mathcal{I}_{AB}$")
    ax_e.plot(t, _values(eq["delta_T_A"]), color="C1", label="$\\Delta\\mathcal{T}_A$")
    ax_e.plot(t, _values(eq["delta_J_A"]), color="C4", label="$\\Delta\\mathcal{J}_A$")
    ax_e.plot(t, _values(eq["rhs"]), color="w", lw=0.8, ls="--", label=f"sum (residual {eq['max_residual']:.0e})")
    ax_e.axhline(0.0, color="0.6", lw=0.6)
    ax_e.set_xlabel(TIME_LABEL)
    ax_e.set_ylabel("terms of Eq. (5) [nats]")
    ax_e.set_title("heat-transfer equation (5)", fontsize=9)
    legend_beside(ax_e)
    for ax in (ax_q, ax_e):
        ax.grid(alpha=0.25)
    letter_panels(axes[0])
    spec = result["spec"]
    heading(fig, _parameters(spec), _interaction(spec), "$\\hbar = k_B = 1$")
    if not result.get("conserving", True):
        notes.append("$[H_I, H_A + H_B] \\neq 0$: $\\mathcal{Q}$ is the energy change of B, not heat")
    footnote(fig, "$\\mathcal{Q}$ > 0: B gains energy", *notes)
    return fig


@styled
def phase_figure(result: dict[str, Any]) -> Any:
    """Fig. 2(a): d^2Q/dt^2 maps with the AHT region, one panel per a; Fig. 2(b): AHT regions for each J/c."""
    r = _values(result["ratios"])
    maps = result["maps"]
    js = sorted({m["j_over_c"] for m in maps})
    b = result["beta_B_omega_B"]
    if len(js) > 1:  # Fig. 2(b): one panel per a, regions for each J/c
        a_values = sorted({m["a"] for m in maps})
        fig, axes = figure(1, len(a_values), 4.0 * len(a_values) + 2.2, 4.0)
        cmap = plt.get_cmap("Blues")
        for ax, a in zip(axes[0], a_values):
            handles = []
            for i, m in enumerate([m for m in maps if m["a"] == a]):
                color = cmap(0.35 + 0.6 * i / max(len(js) - 1, 1))
                ax.contourf(r, r, np.array(m["aht"], float), levels=[0.5, 1.5], colors=[color], alpha=0.9)
                handles.append(Patch(color=color, label=f"J/c = {m['j_over_c']:g} ({m['aht_fraction']:.1%})"))
            ax.plot(r, (1 + a * r) / (1 + a), "r-", lw=1.2)
            ax.axhline(1.0, color="r", ls="--", lw=1.0)
            _axes_phase(ax, r, f"$a$ = {a:g}")
            legend_beside(ax, handles, title="AHT region")
        letter_panels(axes[0])
        heading(
            fig,
            "Seed 000 Fig. 2(b): AHT region of the three-body model (Eq. 9) perturbed by "
            "$J\\sum_{u<v}\\sum_a \\sigma^a_u\\sigma^a_v$ (Eq. S30)",
            f"$\\omega_{{A_1}} = (1+a)\\omega_B$, $\\omega_{{A_2}} = a\\omega_B$, $\\beta_B\\omega_B$ = {b:g}",
        )
        footnote(
            fig,
            "red: the $J = 0$ boundary $(1+a)\\beta_{A_1} = \\beta_B + a\\beta_{A_2}$",
            "dashed: $\\beta_{A_1} = \\beta_B$ ($a \\to 0$)",
        )
        return fig
    fig, axes = figure(1, len(maps), 3.0 * len(maps) + 1.6, 4.4, sharey=True)
    im = None
    for ax, m in zip(axes[0], maps):
        conv = np.array(m["convexity"], float)
        scale = np.abs(conv).max()
        im = ax.contourf(r, r, conv / scale, levels=21, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -1.0, 1.0))
        ax.contour(r, r, conv, levels=[0.0], colors="r", linewidths=1.2)
        ax.contourf(r, r, np.array(m["aht"], float), levels=[0.5, 1.5], colors="none", hatches=["////"])
        ax.axhline(1.0, color="r", ls="--", lw=1.0)
        _axes_phase(ax, r, f"$a$ = {m['a']:g}")
        if ax is not axes[0, 0]:
            ax.set_ylabel("")
    cb = fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9, pad=0.02)
    cb.set_label("$\\ddot{\\mathcal{Q}}(0)$ / its maximum (Eq. 10)")
    letter_panels(axes[0])
    heading(
        fig,
        "Seed 000 Fig. 2(a): initial convexity of the three-body model (Eq. 9)",
        f"$\\omega_{{A_1}} = (1+a)\\omega_B$, $\\omega_{{A_2}} = a\\omega_B$, $\\beta_B\\omega_B$ = {b:g}",
    )
    footnote(
        fig, "hatched: AHT", "red: $\\ddot{\\mathcal{Q}}(0) = 0$", "dashed: $\\beta_{A_1} = \\beta_B$ ($a \\to 0$)"
    )
    return fig


def _axes_phase(ax: Any, r: np.ndarray, title: str) -> None:
    ax.set_xlim(r[0], r[-1])
    ax.set_ylim(r[0], r[-1])
    ax.set_aspect("equal")
    # square panels: the first layout pass leaves the suptitle on the letters without this margin
    ax.get_figure().get_layout_engine().set(h_pad=0.1)
    ax.set_xlabel("$\\beta_{A_2}/\\beta_B$")
    ax.set_ylabel("$\\beta_{A_1}/\\beta_B$")
    ax.set_title(title, fontsize=9)


@styled
def sweep_figure(result: dict[str, Any]) -> Any:
    """A sweep against its (first) swept parameter. Trajectories: (a) Q(t) of every point, (b) Q(t_max),
    (c) the fraction of times with anomalous heat transfer. Phase diagrams: the AHT fraction of each map."""
    paths, coords = sweep_coordinates(result)
    points = result["points"]
    x = np.array([c[0] for c in coords])
    spec = result["spec"]
    label = parameter_label(paths[0], spec, PARAMETERS)
    if "maps" in points[0]:
        fig, axes = figure(1, 1, 6.5, 3.7)
        ax = axes[0, 0]
        for k, m in enumerate(points[0]["maps"]):
            ax.plot(
                x,
                [p["maps"][k]["aht_fraction"] for p in points],
                "o-",
                ms=3.5,
                label=f"$a$ = {m['a']:g}, $J/c$ = {m['j_over_c']:g}",
            )
        ax.set_xlabel(label)
        ax.set_ylabel("fraction of the map with AHT")
        ax.grid(alpha=0.25)
        legend_beside(ax)
        heading(fig, "Seed 000 Fig. 2: the AHT region of the three-body model (Eq. 9) along the sweep")
        return fig
    fig, axes = figure(1, 3, 14.0, 3.8)
    ax_t, ax_q, ax_f = axes[0]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(points)))
    for color, p, v in zip(colors, points, x):
        ax_t.plot(_values(p["times"]), 1e3 * _values(p["heat"]), color=color, lw=1.1, label=f"{num(v)}")
    ax_t.set_xlabel(TIME_LABEL)
    ax_t.set_ylabel(HEAT_LABEL)
    legend_beside(ax_t, title=label, ncols=1 + len(points) // 12)
    ax_q.plot(x, [1e3 * p["heat"][-1] for p in points], "o-", ms=3.5, color="C3", label="exact")
    if all("circuits" in p for p in points):
        ax_q.errorbar(
            x,
            [1e3 * p["circuits"]["heat"][-1] for p in points],
            yerr=[1e3 * p["circuits"]["stderr"][-1] for p in points],
            fmt="D",
            ms=4,
            capsize=2,
            color="k",
            label="circuits ($\\pm$ 1 s.e.)",
        )
        legend_beside(ax_q)
    ax_q.set_ylabel("$\\mathcal{Q}(t_{max})$ / $10^{-3}\\,\\omega_0$")
    ax_f.plot(x, [p["anomalous"]["fraction_of_times"] for p in points], "s-", ms=3.5, color="C0")
    ax_f.set_ylabel("fraction of times with AHT")
    ax_f.set_ylim(-0.05, 1.05)
    for ax in (ax_q, ax_f):
        ax.set_xlabel(label)
    for ax in axes[0]:
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.grid(alpha=0.25)
    letter_panels(axes[0])
    heading(
        fig,
        _parameters(spec, paths),
        _interaction(spec) if not any(p.startswith("interaction") for p in paths) else "",
        "$\\hbar = k_B = 1$",
    )
    footnote(fig, "$\\mathcal{Q}$ > 0: B gains energy", "AHT: $(\\beta_B - \\beta_A)\\mathcal{Q} < 0$")
    return fig
