"""Figures of seed 002 Sec. V: the heat-pump cycle (Figs. 4-6) and sweeps of its performance (Eq. 18).

hbar = k_B = 1; energies and temperatures in units of hbar omega, times in 1/omega, entropies in nats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.plotting import (
    Table,
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

PARAMETERS: Table = (
    (r"qubits\.temperatures\.([01])", lambda m, s: f"$T_{'AB'[int(m[1])]}$ / $\\omega$"),
    (r"coupling\.strength", lambda m, s: "$\\Omega$ / $\\omega$"),
    (r"coupling\.phase", lambda m, s: "$\\phi_V$ / rad"),
    (r"correlation\.strength", lambda m, s: "correlation strength (1: $\\chi$ of Eq. 10)"),
    (r"correlation\.phase", lambda m, s: "$\\phi_\\chi$ / rad"),
    (r"baths\.kappa\.([01])", lambda m, s: f"$\\kappa_{'AB'[int(m[1])]}$ / $\\omega$"),
    (r"baths\.dt", lambda m, s: "collision step $dt$ / $\\omega^{-1}$"),
    (r"baths\.relax_time", lambda m, s: "$\\tau_{relax}$ / $\\omega^{-1}$"),
    (r"coupling_time", lambda m, s: "coupling time $\\tau$ / $\\omega^{-1}$"),
)
TIME_LABEL = "$\\omega t$"


def _parameters(spec: dict[str, Any], tau: float | None = None, swept: tuple[str, ...] = ()) -> list[str]:
    """The physical parameters of a run as the paper states them, leaving out the swept ones."""

    def free(*prefixes: str) -> bool:
        return not any(p.startswith(prefixes) for p in swept)

    t_a, t_b = spec["qubits"]["temperatures"]
    k_a, k_b = spec["baths"]["kappa"]
    delta = spec["coupling"]["phase"] - spec["correlation"]["phase"]
    parts = [
        "Seed 002 heat pump" + (f": $T_A$ = {t_a:g}, $T_B$ = {t_b:g}" if free("qubits.temperatures") else ""),
        f"$\\Omega$ = {spec['coupling']['strength']:g}$\\omega$" if free("coupling.strength") else "",
        f"$\\delta$ = {num(delta)}" if free("coupling.phase", "correlation.phase") else "",
        f"$\\kappa_A$ = {k_a:g}, $\\kappa_B$ = {k_b:g}" if free("baths.kappa") else "",
    ]
    if tau is not None:
        parts.append(f"$\\tau$ = {tau:g}, $\\tau_{{relax}}$ = {spec['baths']['relax_time']:g}")
    parts.append("$\\hbar = k_B = 1$, energies in units of $\\omega$")
    return parts


@styled
def heat_pump_figure(result: dict[str, Any]) -> Any:
    """Seed 002 Figs. 4-6: (a) heat drawn from each bath (Fig. 6; without chi dashed), (b) entropy production
    Sigma (Eq. 15), Sigma_0 (Eq. 14) and Delta I_AB (Fig. 5), (c) SED (Fig. 4(a)), (d) concurrence and mutual
    information (Fig. 4(c), (d)); grey bands: the qubits coupled."""
    t = _values(result["times"])
    fig, axes = figure(2, 2, 10.5, 6.4, sharex=True)
    (ax_q, ax_s), (ax_sed, ax_i) = axes
    q = result["heat"]
    ax_q.plot(t, _values(q["A"]), color="C3", label="$Q_A$ (from hot bath A)")
    ax_q.plot(t, _values(q["B"]), color="C0", label="$Q_B$ (from cold bath B)")
    if "normal" in result:
        n = result["normal"]
        ax_q.plot(t, _values(n["heat"]["A"]), color="C3", ls="--", lw=0.8, label="$Q_A$ without $\\chi$")
        ax_q.plot(t, _values(n["heat"]["B"]), color="C0", ls="--", lw=0.8, label="$Q_B$ without $\\chi$")
    notes = ["grey bands: qubits coupled", "$Q_k$ > 0: bath k gives energy"]
    if "circuits" in result:  # measured heats, cumulative at each cycle's end
        c = result["circuits"]
        per = c["per_cycle"]
        length = result["tau"] + result["relax_time"]
        ends = [w[0] + length for w in result["coupling_windows"]]
        noisy = result.get("backend") != "aer"
        for name, color in (("A", "C3"), ("B", "C0")):
            q_c = np.cumsum([p[f"Q_{name}"] for p in per])
            se_c = np.sqrt(np.cumsum([p[f"Q_{name}_stderr"] ** 2 for p in per]))
            ax_q.errorbar(
                ends,
                q_c,
                yerr=se_c,
                fmt="o",
                ms=4,
                color=color,
                capsize=3,
                label=f"$Q_{name}$ {result.get('backend')} ({c['shots']} shots)",
            )
            if noisy and all(f"Q_{name}_shot_free" in p for p in per):
                ax_q.plot(
                    ends,
                    np.cumsum([p[f"Q_{name}_shot_free"] for p in per]),
                    "x",
                    ms=6,
                    color=color,
                    label=f"$Q_{name}$ shot-free on {result.get('backend')}",
                )
        notes.append("points: circuits, cumulative at each cycle's end ($\\pm$ 1 s.e.)")
    for start in result["coupling_windows"]:
        for ax in axes.flat:
            ax.axvspan(start[0], start[1], color="0.85", lw=0)
    ax_q.set_ylabel("heat drawn from the bath $Q_k$ / $\\omega$")
    ep = result["entropy_production"]
    ax_s.plot(t, _values(ep["sigma"]), color="C3", label="$\\Sigma$ (Eq. 15)")
    ax_s.plot(t, _values(ep["sigma_0"]), color="C0", ls="--", label="$\\Sigma_0$ (Eq. 14)")
    ax_s.plot(t, _values(ep["delta_I"]), color="k", ls="-.", label="$\\Delta I_{AB}$")
    ax_s.set_ylabel("entropy [nats]")
    ax_sed.plot(t, _values(result["sed"]), color="C2", label="SED $\\Delta_{AB}$")
    ax_sed.set_ylabel("SED $\\Delta_{AB}$ / $\\omega$")
    ax_i.plot(t, _values(result["concurrence"]), color="C4", label="concurrence")
    ax_i.plot(t, _values(result["mutual_information"]), color="k", label="$I(A:B)$ [nats]")
    ax_i.set_ylabel("concurrence, $I(A:B)$ [nats]")
    for ax in axes.flat:
        ax.grid(alpha=0.25)
        ax.axhline(0.0, color="0.6", lw=0.5)
        legend_beside(ax)
    for ax in axes[1]:
        ax.set_xlabel(TIME_LABEL)
    letter_panels(axes.flat)
    cop = result["performance"]
    heading(
        fig,
        *_parameters(result["spec"], result["tau"]),
        f"COP $Q_B/(T_A I_0)$ = {cop['cop']:.3f}"
        + (
            f" $\\leq$ Carnot $T_B/(T_A-T_B)$ = {cop['carnot']:.3f} (Eq. 18)"
            if cop["carnot"] is not None
            else " (no Carnot bound: $T_A \\leq T_B$)"
        ),
    )
    footnote(fig, *notes)
    return fig


@styled
def sweep_figure(result: dict[str, Any]) -> Any:
    """A sweep of the heat pump against its (first) swept parameter: (a) heat per cycle from each bath (mean
    over the cycles; without chi dashed), (b) the COP Q_B/(T_A I_0) beside the Carnot bound (Eq. 18)."""
    paths, coords = sweep_coordinates(result)
    points = result["points"]
    x = np.array([c[0] for c in coords])
    fig, axes = figure(1, 2, 10.0, 3.7)
    ax_q, ax_c = axes[0]
    for name, color, side in (("A", "C3", "hot"), ("B", "C0", "cold")):
        ax_q.plot(
            x,
            [np.mean([c[f"Q_{name}"] for c in p["per_cycle"]]) for p in points],
            "o-",
            ms=3.5,
            color=color,
            label=f"$Q_{name}$ (from {side} bath {name})",
        )
        if all("normal" in p for p in points):
            ax_q.plot(
                x,
                [np.mean([c[f"Q_{name}"] for c in p["normal"]["per_cycle"]]) for p in points],
                "s--",
                ms=3,
                lw=0.8,
                color=color,
                label=f"$Q_{name}$ without $\\chi$",
            )
        if all("circuits" in p for p in points):
            ax_q.errorbar(
                x,
                [np.mean([c[f"Q_{name}"] for c in p["circuits"]["per_cycle"]]) for p in points],
                yerr=[
                    np.sqrt(
                        np.mean([c[f"Q_{name}_stderr"] ** 2 for c in p["circuits"]["per_cycle"]])
                        / len(p["circuits"]["per_cycle"])
                    )
                    for p in points
                ],
                fmt="D",
                ms=4,
                capsize=2,
                color=color,
                label=f"$Q_{name}$ on circuits",
            )
    ax_q.axhline(0.0, color="0.6", lw=0.6)
    ax_q.set_ylabel("heat per cycle / $\\omega$")
    ax_c.plot(x, [p["performance"]["cop"] for p in points], "o-", ms=3.5, color="C2", label="COP $Q_B/(T_A I_0)$")
    ax_c.plot(
        x,
        [np.nan if p["performance"]["carnot"] is None else p["performance"]["carnot"] for p in points],
        "k--",
        label="Carnot $T_B/(T_A - T_B)$",
    )
    ax_c.set_ylabel("coefficient of performance")
    label = parameter_label(paths[0], result["spec"], PARAMETERS)
    for ax in axes[0]:
        ax.set_xlabel(label)
        ax.grid(alpha=0.25)
        legend_beside(ax)
    letter_panels(axes[0])
    heading(fig, *_parameters(result["spec"], swept=paths), f"{result['spec'].get('cycles', 1)} cycle(s) per point")
    footnote(fig, "$Q_k$ > 0: bath k gives energy", "COP and Carnot bound of Eq. (18), per cycle")
    return fig
