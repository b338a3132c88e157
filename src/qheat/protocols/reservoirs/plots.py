"""Figures of seeds 003/004: steady heat currents, populations and coherences (seed 003 Figs. 3-5, seed 004
Figs. 2-6), from the master equations (backend 'exact') or gate-model reservoirs (circuit backends).

hbar = k_B = 1; u is the unit of the spec's frequencies: energies and temperatures in u, currents in u^2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D

from qheat.plotting import (
    COLORS,
    Table,
    figure,
    footnote,
    heading,
    legend_beside,
    letter_panels,
    parameter_label,
    spec_value,
    styled,
    sweep_coordinates,
)

METHOD_STYLES = {"lindblad": "-", "redfield": "--", "local": ":"}
METHOD_COLORS = {"lindblad": "C0", "redfield": "C3", "local": "C2"}  # seed 004: Lindblad blue, BR red
SIDES = ("A", "B")
PARAMETERS: Table = (
    (r"reservoirs\.temperatures\.([01])", lambda m, s: f"$T_{SIDES[int(m[1])]}$ / $u$"),
    (r"reservoirs\.strengths\.([01])", lambda m, s: f"$\\gamma_{SIDES[int(m[1])]}$ / $u$"),
    (r"reservoirs\.cutoff", lambda m, s: "$\\omega_D$ / $u$"),
    (r"system\.frequencies\.([01])", lambda m, s: f"$\\epsilon_{int(m[1]) + 1}$ / $u$"),
    (r"system\.strength", lambda m, s: "qubit coupling $g$ / $u$"),
    (r"collisions\.dt", lambda m, s: "collision step $dt$ / $u^{-1}$"),
)
UNITS = "$\\hbar = k_B = 1$; $u$: the unit of the spec's frequencies (energies, temperatures in $u$, currents in $u^2$)"
ZERO = 1e-10  # a current or coherence below this is rounding, not physics (not drawn, said so)
CURRENT_SIGN = "$J_k$ > 0: reservoir $k$ gives energy to the system"


def _style(m: str) -> str:
    return METHOD_STYLES.get(m, "-.")


def _color(m: str, i: int) -> str:
    return METHOD_COLORS.get(m, COLORS[(i + 4) % len(COLORS)])


def _system(spec: dict[str, Any], swept: tuple[str, ...] = ()) -> list[str]:
    """The physical parameters as the papers state them, leaving out the swept ones."""
    s, r = spec["system"], spec["reservoirs"]
    cutoff = f", $\\omega_D$ = {r['cutoff']:g}" if r.get("cutoff") else ""
    parts = [
        (f"$\\epsilon$ = ({', '.join(f'{w:g}' for w in s['frequencies'])})", "system.frequencies"),
        (f"{s['coupling']} coupling $g$ = {s['strength']:g}", "system.strength"),
        (
            f"$\\gamma_A$, $\\gamma_B$ = {r['strengths'][0]:g}, {r['strengths'][1]:g} ({r['spectral_density']}"
            f"{cutoff})",
            "reservoirs.strengths",
        ),
        (f"$T_A$ = {r['temperatures'][0]:g}", "reservoirs.temperatures.0"),
        (f"$T_B$ = {r['temperatures'][1]:g}", "reservoirs.temperatures.1"),
    ]
    return [text for text, path in parts if not any(q.startswith(path) for q in swept)]


@styled
def reservoirs_figure(result: dict[str, Any]) -> Any:
    """Seeds 003 (Figs. 3-5) and 004 (Figs. 2-6): steady heat current, populations and coherences.

    A sweep draws each quantity against its swept parameter, one line style per master equation: the
    temperature difference Delta T = T_A - T_B when T_A alone is swept (seed 004's axis), the mean
    temperature when both move (seed 003 Figs. 3, 5). On circuits only the currents are measured: panels
    (a) J_A and (b) J_B, the measured points beside the exact collision model and the master equation.
    A single spec draws bars of the currents (and the populations on 'exact').
    """
    if "sweep" not in result:
        return _single(result)
    points = result["points"]
    methods = list(points[0]["methods"])
    x, xlabel, swept = _axis(result)
    spec = result["spec"]
    measured = "shots" in points[0]["methods"][methods[0]]
    flowing = True
    if measured:
        fig, axes = figure(1, 2, 11.0, 3.8)
        for ax, side in zip(axes[0], SIDES):
            _measured_currents(ax, x, points, methods, side, result.get("backend", "aer"))
            ax.set_ylabel(f"heat current $J_{side}$ / $u^2$")
        notes = ["points: circuits ($\\pm$ 1 s.e.)", "solid: exact collision model", "dashed: master equation"]
        if result.get("backend", "aer") != "aer":
            notes.append("dotted: this noisy backend without shot noise")
    else:
        rho = np.array([[p["methods"][m]["rho_energy_basis"]["real"] for p in points] for m in methods])
        coherent = rho.shape[-1] == 4 and max(np.abs(rho[..., 0, 3]).max(), np.abs(rho[..., 1, 2]).max()) > ZERO
        currents = np.array([[p["methods"][m]["heat_current"]["A"] for p in points] for m in methods])
        flowing = np.abs(currents).max() > ZERO  # seed 004 Fig. 2: equilibrium, no current to draw
        n_panels = int(flowing) + 1 + int(coherent)
        fig, axes = figure(1, n_panels, 4.8 * n_panels + 0.6, 3.9)
        ax_q = axes[0, 0] if flowing else None
        ax_p = axes[0, int(flowing)]
        ax_c = axes[0, -1] if coherent else None
        levels = len(points[0]["methods"][methods[0]]["populations"])
        for i, m in enumerate(methods):
            if ax_q is not None:
                ax_q.plot(x, currents[i], _style(m), color=_color(m, i), label=m)
            pops = np.array([p["methods"][m]["populations"] for p in points])
            for n in range(levels):
                ax_p.plot(x, pops[:, n], _style(m), color=COLORS[n % len(COLORS)])
            if ax_c is not None:  # the secondary diagonal in the energy basis (seed 004 Fig. 2, Eq. 18)
                ax_c.plot(x, rho[i, :, 0, 3], _style(m), color="C0")
                ax_c.plot(x, rho[i, :, 1, 2], _style(m), color="C3")
        if ax_q is not None:
            ax_q.set_ylabel("heat current $J_A$ / $u^2$")
            legend_beside(ax_q, title="master equation")
        ax_p.set_ylabel("population $\\rho_{nn}$ (energy basis)")
        styles = [Line2D([], [], color="0.3", ls=_style(m)) for m in methods]
        legend_beside(
            ax_p,
            [Line2D([], [], color=COLORS[n % len(COLORS)]) for n in range(levels)] + styles,
            [f"$\\rho_{{{n + 1}{n + 1}}}$" for n in range(levels)] + methods,
        )
        if ax_c is not None:
            ax_c.set_ylabel("coherence Re $\\rho_{ij}$ (energy basis)")
            legend_beside(
                ax_c,
                [Line2D([], [], color="C0"), Line2D([], [], color="C3")] + styles,
                ["Re $\\rho_{14}$", "Re $\\rho_{23}$"] + methods,
            )
        notes = ["levels ascending, $E_1 < E_2 < E_3 < E_4$"] if levels == 4 else []
        if not flowing:
            notes.append(f"no heat current drawn: $|J_A|$ < {ZERO:g} $u^2$ at every point (equilibrium)")
        if rho.shape[-1] == 4 and not coherent:
            notes.append(f"no coherence drawn: $|\\rho_{{14}}|, |\\rho_{{23}}|$ < {ZERO:g} at every point")
    for ax in axes[0]:
        ax.set_xlabel(xlabel)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.grid(alpha=0.25)
    if axes.size > 1:
        letter_panels(axes[0])
    temps = np.array([p["spec"]["reservoirs"]["temperatures"] for p in points], dtype=float)
    bias = {round((a - b) / 2, 9) for a, b in temps}
    both = {"reservoirs.temperatures.0", "reservoirs.temperatures.1"} <= set(swept)
    heading(
        fig,
        "Two qubits between reservoirs A and B",
        *_system(spec, swept),
        ("$T_A = T_B$" if bias == {0.0} else f"bias $(T_A - T_B)/2$ = {bias.pop():g}")
        if both and len(bias) == 1
        else "",
    )
    footnote(fig, CURRENT_SIGN if measured or flowing else "", *notes, UNITS)
    return fig


def _axis(result: dict[str, Any]) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """The x values, their label and the swept paths: Delta T, the mean temperature, or the parameter."""
    paths, coords = sweep_coordinates(result)
    points = result["points"]
    temps = np.array([p["spec"]["reservoirs"]["temperatures"] for p in points], dtype=float)
    both = {"reservoirs.temperatures.0", "reservoirs.temperatures.1"}
    if set(paths[:2]) == both:
        return temps.mean(axis=1), "mean temperature $T = (T_A + T_B)/2$ / $u$", paths
    if paths[0] in both:
        k = int(paths[0][-1])
        other = {t[1 - k] for t in temps}
        if len(other) == 1:
            sign = 1.0 if k == 0 else -1.0
            return sign * (temps[:, 0] - temps[:, 1]), "$\\Delta T = T_A - T_B$ / $u$", paths
    spec = result["spec"]
    return (
        np.array([spec_value(p["spec"], paths[0]) for p in points]),
        parameter_label(paths[0], spec, PARAMETERS),
        paths,
    )


def _measured_currents(
    ax: Any, x: np.ndarray, points: list[dict[str, Any]], methods: list[str], side: str, backend: str
) -> None:
    for i, m in enumerate(methods):
        color = _color(m, i)
        got = [p["methods"][m] for p in points]
        ax.errorbar(
            x,
            [g["heat_current"][side] for g in got],
            yerr=[g["stderr"][side] for g in got],
            fmt="o",
            ms=3,
            capsize=2,
            color=color,
            label=f"{m}: circuits",
        )
        ax.plot(
            x,
            [g["exact"]["heat_current"][side] for g in got],
            "-",
            color=color,
            lw=1.0,
            label=f"{m}: exact collision model",
        )
        ax.plot(
            x,
            [g["master_equation_currents"]["heat_current"][side] for g in got],
            "--",
            color=color,
            lw=0.8,
            label=f"{m}: master equation",
        )
        if backend != "aer" and all("shot_free" in g for g in got):
            ax.plot(
                x,
                [g["shot_free"]["heat_current"][side] for g in got],
                ":",
                color=color,
                lw=1.2,
                label=f"{m}: shot-free on {backend}",
            )
    legend_beside(ax)


def _single(result: dict[str, Any]) -> Any:
    """One spec: bars of the steady currents J_A, J_B per method (and the populations on 'exact')."""
    methods = list(result["methods"])
    has_states = any("populations" in result["methods"][m] for m in methods)
    fig, axes = figure(1, 2 if has_states else 1, 10.0 if has_states else 6.4, 3.8)
    ax_q = axes[0, 0]
    x = np.arange(len(methods))
    notes = []
    for shift, side, color in ((-0.2, "A", "C1"), (0.2, "B", "C9")):
        got = [result["methods"][m] for m in methods]
        errors = [g.get("stderr", {}).get(side, 0.0) for g in got]
        ax_q.bar(
            x + shift,
            [g["heat_current"][side] for g in got],
            0.4,
            yerr=errors if any(errors) else None,
            capsize=3,
            color=color,
            label=f"$J_{side}$ (from {side})",
        )
        for i, g in enumerate(got):
            exact = g.get("master_equation_currents")
            if exact:
                ax_q.plot(
                    [i + shift - 0.2, i + shift + 0.2],
                    [exact["heat_current"][side]] * 2,
                    "k--",
                    lw=1,
                    label="master equation" if (i, side) == (0, "A") else None,
                )
            free = g.get("shot_free")
            if free and result.get("backend", "aer") != "aer":
                ax_q.plot(
                    [i + shift],
                    [free["heat_current"][side]],
                    "kx",
                    ms=6,
                    label=f"shot-free on {result.get('backend')}" if (i, side) == (0, "A") else None,
                )
    if any("stderr" in result["methods"][m] for m in methods):
        notes.append("bars: circuits ($\\pm$ 1 s.e.)")
    ax_q.set_xticks(x, methods)
    ax_q.set_xlabel("master equation (collision model on circuits)")
    ax_q.set_ylabel("steady heat current $J_k$ / $u^2$")
    ax_q.axhline(0.0, color="0.6", lw=0.6)
    ax_q.grid(alpha=0.25, axis="y")
    legend_beside(ax_q)
    if has_states:
        ax_p = axes[0, 1]
        for i, m in enumerate(methods):
            pops = result["methods"][m].get("populations")
            if pops is not None:
                ax_p.plot(range(1, len(pops) + 1), pops, "o" + _style(m), color=_color(m, i), label=m)
        ax_p.set_xticks(range(1, len(pops) + 1))
        ax_p.set_xlabel("energy level $n$ (ascending)")
        ax_p.set_ylabel("population $\\rho_{nn}$")
        ax_p.axhline(0.0, color="0.6", lw=0.6)
        ax_p.grid(alpha=0.25)
        legend_beside(ax_p)
        letter_panels(axes[0])
    heading(
        fig, "Two qubits between reservoirs A and B", *_system(result["spec"]), f"on {result.get('backend', 'exact')}"
    )
    footnote(fig, CURRENT_SIGN, *notes, UNITS)
    return fig
