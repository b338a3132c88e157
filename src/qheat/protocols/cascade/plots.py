"""Figures of seed 001: trajectories (main-text Figs. 3 and 4, SI Figs. 10-12) and sweeps (SI Fig. 13).

hbar = k_B = 1; energies and temperatures in units of the level spacing delta, information in nats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.lines import Line2D

from qheat.plotting import (
    COLORS,
    Table,
    _series,
    _values,
    figure,
    footnote,
    heading,
    integer_ticks,
    legend_beside,
    letter_panels,
    num,
    parameter_label,
    styled,
    sweep_coordinates,
)

ORDER_STYLES = ("-", "--", ":", "-.")
STEP_LABEL = "interaction number $n$"  # single S_k-R interactions (Fig. 3's x axis)


def _pair(spec: dict[str, Any], i: int) -> str:
    p, q = spec["system"]["coherence"][i]["pair"]
    return f"{p}{q}"


def _coherence_strength_label(m: Any, spec: dict[str, Any]) -> str:
    i, pq = int(m[1]), _pair(spec, int(m[1]))
    phase = spec["system"]["coherence"][i]["phase"] % (2 * np.pi)
    if min(phase, 2 * np.pi - phase) < 1e-9:
        return f"$c_{{{pq}}}$"  # c = strength e^{i 0}: the value is c itself (Fig. 13)
    return f"$\\lambda_{{{pq}}}$ ($c_{{{pq}}} = \\lambda_{{{pq}}}\\,e^{{i\\alpha}}$, $\\alpha$ = {num(phase)})"


PARAMETERS: Table = (
    (r"system\.coherence\.(\d+)\.strength", _coherence_strength_label),
    (r"system\.coherence\.(\d+)\.phase", lambda m, s: f"$\\alpha_{{{_pair(s, int(m[1]))}}}$ / rad"),
    (r"system\.temperatures\.(\d+)", lambda m, s: f"$T_{{{int(m[1]) + 1}}}$ / $\\delta$"),
    (r"bath\.temperature", lambda m, s: "$T_R$ / $\\delta$"),
    (r"interaction\.g", lambda m, s: "$g$ / $\\delta$"),
    (r"interaction\.tau", lambda m, s: "$\\tau$ / $\\delta^{-1}$"),
    (r"interaction\.collisions", lambda m, s: "collisions $N$"),
)


def coherence_text(spec: dict[str, Any]) -> str:
    """The initial coherence as the paper writes it: c = -0.5 (every pair) or c_12 = 0.3, c_13 = -0.5, ..."""
    terms = spec["system"].get("coherence") or []
    if not terms:
        return "$c_{pq}$ = 0" if len(spec["system"]["temperatures"]) > 2 else "$c_{12}$ = 0"

    def value(c: dict[str, Any]) -> str:
        phase = c["phase"] % (2 * np.pi)
        if min(phase, 2 * np.pi - phase) < 1e-9:
            return num(c["strength"])
        if abs(phase - np.pi) < 1e-9:
            return num(-c["strength"])
        return f"{num(c['strength'])}$e^{{i{num(phase).strip('$')}}}$"

    values = [value(c) for c in terms]
    n = len(spec["system"]["temperatures"])
    if len(terms) == n * (n - 1) // 2 > 1 and len(set(values)) == 1:
        return f"$c_{{pq}}$ = {values[0]}"
    return ", ".join(f"$c_{{{p}{q}}}$ = {v}" for (p, q), v in zip((c["pair"] for c in terms), values))


def _order_text(spec: dict[str, Any]) -> str:
    n = len(spec["system"]["temperatures"])
    order = spec["interaction"].get("order") or list(range(1, n + 1))
    return "-".join(f"S{k}" for k in order)


def _conditions(spec: dict[str, Any]) -> str:
    temps = ", ".join(f"{t:g}" for t in spec["system"]["temperatures"])
    return f"$T_k$ = {temps}; $T_R$ = {spec['bath']['temperature']:g}"


def _model(spec: dict[str, Any]) -> tuple[str, str]:
    """The collision model and its parameters, as two phrases."""
    i = spec["interaction"]
    return (
        f"{spec['protocol']} collisions",
        f"$g$ = {i['g']:g}$\\delta$, $\\tau$ = {i['tau']:g}/$\\delta$, "
        f"{i['collisions']} collision{'s' * (i['collisions'] != 1)}",
    )


def _strip(spec: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A spec without its name, description and the given top-level keys / interaction order."""
    out = {k: v for k, v in spec.items() if k not in ("name", "description", *keys)}
    if "order" in keys:
        out["interaction"] = {k: v for k, v in spec["interaction"].items() if k != "order"}
    return out


def _columns(results: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Results that differ only in the interaction order share a column, overlaid (Fig. 4(c))."""
    columns: list[list[dict[str, Any]]] = []
    for res in results:
        key = (_strip(res["spec"], "order"), res.get("backend"))
        for col in columns:
            if (_strip(col[0]["spec"], "order"), col[0].get("backend")) == key:
                col.append(res)
                break
        else:
            columns.append([res])
    return columns


def _differ_only_in_coherence(columns: list[list[dict[str, Any]]]) -> bool:
    first = columns[0][0]
    return len(columns) > 1 and all(
        len(c) == 1
        and _strip(c[0]["spec"], "system") == _strip(first["spec"], "system")
        and c[0]["spec"]["system"]["temperatures"] == first["spec"]["system"]["temperatures"]
        and c[0].get("backend") == first.get("backend")
        for c in columns
    )


def _run_text(res: dict[str, Any]) -> str | None:
    """Where a measured result ran: backend, mode and shots (None for an exact result)."""
    if "exact" not in res:
        return None
    m = res["measurement"]
    per = "basis" if "observables" in m else "setting"  # the Estimator path spends its shots per basis
    return f"{res.get('backend')}, {m['mode']} mode, {m['shots_per_setting']} shots/{per}"


def _column_title(col: list[dict[str, Any]], common: tuple[str, ...], run_in_heading: bool = False) -> str:
    spec = col[0]["spec"]
    lines = [coherence_text(spec), _conditions(spec)]
    if len(col) > 1:
        lines.append(
            "; ".join(
                f"{_order_text(r['spec'])} ({'solid dashed dotted dash-dot'.split()[i % 4]})" for i, r in enumerate(col)
            )
        )
    elif spec["interaction"].get("order"):
        lines[-1] += f"; order {_order_text(spec)}"
    lines += [part for part in _model(spec) if part not in common]
    run = _run_text(col[0])
    if run is not None and not run_in_heading:
        lines.append(run)
    return "\n".join(lines)


@styled
def trajectory_figure(results: Sequence[dict[str, Any]]) -> Any:
    """Fig. 3 of seed 001 (and Figs. 4, 10-12), one column per result; results that differ only in the
    interaction order overlaid in one column (Fig. 4(c): solid, dashed, ...).

    (a), when the columns differ only in their coherence (Fig. 3): the net energy each subsystem absorbed
    and the heat the bath received after the run, per column. Then, row by row (letters row-major, as
    Fig. 3(b)-(j)): energy absorbed by each subsystem E_k(n) - E_k(0); heat received by the bath Q_R and
    free-energy change of the system Delta F_S (Eq. S19); apparent temperatures (Eq. 3) with T_R dashed;
    the resources of SI Figs. 10-11: coherence C(rho_S) and mutual information with the bath particle.
    A measured result (circuits + tomography) is drawn as points with bootstrap error bars over the exact
    engine's lines; on a noisy backend the shot-free value on that backend is dotted.
    """
    columns = _columns(results)
    runs = {_run_text(col[0]) for col in columns}
    shared_run = next(iter(runs)) if len(runs) == 1 else None  # one backend line for all columns, in the heading
    overview = _differ_only_in_coherence(columns)
    ncols = len(columns)
    extra = 1 if overview else 0
    width = 3.3 * ncols + 1.6
    fig, axes = figure(
        4 + extra, ncols, width, 2.35 * (4 + extra) + 0.9, gridspec_kw={"height_ratios": [1.15] * extra + [1.0] * 4}
    )
    if overview:
        for ax in axes[0, 1:]:
            ax.remove()
        top = axes[0, 0].get_gridspec()
        axes[0, 0].remove()
        ax_a = fig.add_subplot(top[0, :])
        _overview(ax_a, [c[0] for c in columns])
        letter_panels([ax_a])
    grid = axes[extra:]
    for j in range(ncols):
        for ax in grid[1:, j]:
            ax.sharex(grid[0, j])
    models = [_model(r["spec"]) for r in results]
    common = tuple(part for part in models[0] if all(part in m for m in models))
    measured_any, dotted_any, gaps, estimator = False, False, False, False
    unmeasured: set[str] = set()
    for j, col in enumerate(columns):
        ax_e, ax_q, ax_t, ax_i = grid[:, j]
        for i, res in enumerate(col):
            ls = ORDER_STYLES[i % len(ORDER_STYLES)]
            measured = "exact" in res
            measured_any |= measured
            dotted_any |= _draw_result(ax_e, ax_q, ax_t, ax_i, res, ls)
            kind = (res["spec"].get("mitigation") or {}).get("observables", "state")  # the Estimator's Paulis
            if kind != "state":
                unmeasured.add(kind)
            if kind != "energies":  # with the energies alone every apparent temperature is null: not measured
                gaps |= any(v is None for s in res["subsystems"] for v in s["apparent_temperature"])
            estimator |= "observables" in res.get("measurement", {})
        if ncols > 1:
            ax_e.set_title(_column_title(col, common, run_in_heading=shared_run is not None), fontsize=8)
        for ax in (ax_e, ax_q, ax_t, ax_i):
            ax.grid(alpha=0.25)
            integer_ticks(ax)
        ax_i.set_xlabel(STEP_LABEL)
        if j == 0:
            ax_e.set_ylabel("$E_k(n) - E_k(0)$ / $\\delta$")
            ax_q.set_ylabel("$Q_R$, $\\Delta F_S$ / $\\delta$")
            ax_t.set_ylabel("apparent temperature / $\\delta$")
            ax_i.set_ylabel("$C(\\rho_S)$, $I$ [nats]")
        for ax in (ax_e, ax_q, ax_t):
            ax.tick_params(labelbottom=False)
    letter_panels(grid.flat, start=extra)
    _legends(
        grid[:, -1], len(results[0]["subsystems"]), any("mutual_information_with_bath" in r["system"] for r in results)
    )
    alone = _column_title(columns[0], common, run_in_heading=True).split("\n") if ncols == 1 else []
    heading(
        fig,
        "Seed 001" + (f": {', '.join(common)}" if common else ""),
        *alone,
        *([shared_run] if shared_run is not None else []),
        "$\\hbar = k_B = 1$, energies and temperatures in units of $\\delta$",
    )
    footnote(
        fig,
        "$Q_R$ > 0: heat flows system $\\to$ bath",
        (
            (
                "points: Estimator, 1$\\sigma$ bars from its standard errors"
                if estimator
                else "points: tomography, bootstrap 1$\\sigma$ bars"
            )
            + "; lines: exact engine"
        )
        if measured_any
        else "",
        f"no points: not measured with the Estimator's observables = {', '.join(sorted(unmeasured))}"
        if unmeasured
        else "",
        "dotted: this noisy backend without shot noise" if dotted_any else "",
        "gaps in an apparent temperature: Eq. (49) undefined" if gaps else "",
    )
    return fig


def _draw_result(ax_e: Any, ax_q: Any, ax_t: Any, ax_i: Any, res: dict[str, Any], ls: str) -> bool:
    """One result's curves in its column's four panels; True when a dotted shot-free curve was drawn."""
    measured = "exact" in res
    steps = np.asarray(res["steps"])
    marker = "o" if len(steps) <= 25 and not measured else None
    if measured:  # exact lines under the measured points
        ref = res["exact"]
        x = np.asarray(ref["steps"])
        for k, sub in enumerate(ref["subsystems"]):
            e = _values(sub["energy"])
            ax_e.plot(x, e - e[0], color=COLORS[k % len(COLORS)], lw=1.0, ls=ls, alpha=0.8)
            ax_t.plot(x, _values(sub["apparent_temperature"]), color=COLORS[k % len(COLORS)], lw=1.0, ls=ls, alpha=0.8)
        ax_q.plot(x, _values(ref["bath"]["heat_received"]), color="C3", lw=1.0, ls=ls, alpha=0.8)
        free = _values(ref["system"]["free_energy"])
        ax_q.plot(x, free - free[0], color="C4", ls="-.", lw=1.0, alpha=0.8)
        ax_i.plot(x, _values(ref["system"]["coherence"]), color="C4", lw=1.0, ls=ls, alpha=0.8)
    dotted = measured and res.get("backend") != "aer" and "shot_free" in res
    if dotted:  # what this noisy backend gives without shot noise
        sf = res["shot_free"]
        for k, sub in enumerate(sf["subsystems"]):
            e = _values(sub["energy"])
            ax_e.plot(steps, e - e[0], color=COLORS[k % len(COLORS)], ls=":", lw=1.2)
        energy = _values(sf["system"]["energy"])
        ax_q.plot(steps, -(energy - energy[0]), color="C3", ls=":", lw=1.2)  # Q_R = -(E_S(n) - E_S(0))
        free = _values(sf["system"]["free_energy"])
        ax_q.plot(steps, free - free[0], color="C4", ls=":", lw=1.2)
        ax_i.plot(steps, _values(sf["system"]["coherence"]), color="C4", ls=":", lw=1.2)
    for k, sub in enumerate(res["subsystems"]):
        color = COLORS[k % len(COLORS)]
        e = _values(sub["energy"])
        _series(
            ax_e,
            steps,
            e - e[0],
            sub.get("energy_change_stderr"),
            measured=measured,
            color=color,
            label=sub["label"],
            ls=ls,
            marker=marker,
        )
        _series(
            ax_t,
            steps,
            sub["apparent_temperature"],
            sub.get("apparent_temperature_stderr"),
            measured=measured,
            color=color,
            label=f"AT of {sub['label']}",
            ls=ls,
            marker=marker,
        )
        if "mutual_information_with_bath" in sub:
            ax_i.plot(steps, _values(sub["mutual_information_with_bath"]), color=color, lw=0.8, ls=":", marker=marker)
    _series(
        ax_q,
        steps,
        res["bath"]["heat_received"],
        res["bath"].get("heat_received_stderr"),
        measured=measured,
        color="C3",
        label="$Q_R$",
        ls=ls,
        marker=marker,
    )
    free = _values(res["system"]["free_energy"])
    _series(
        ax_q,
        steps,
        free - free[0],
        res["system"].get("free_energy_change_stderr"),
        measured=measured,
        color="C4",
        label="$\\Delta F_S$",
        ls="-.",
        marker=marker,
    )
    _series(
        ax_i,
        steps,
        res["system"]["coherence"],
        res["system"].get("coherence_stderr"),
        measured=measured,
        color="C4",
        label="$C(\\rho_S)$",
        ls=ls,
        marker=marker,
    )
    if "mutual_information_with_bath" in res["system"]:
        ax_i.plot(steps, _values(res["system"]["mutual_information_with_bath"]), color="k", ls="--", marker=marker)
    for ax in (ax_e, ax_q):
        ax.axhline(0.0, color="0.6", lw=0.6)
    t_r = res["bath"]["temperature"]
    ax_t.axhline(t_r, color="k", ls="--", lw=1.0)
    temps = [sub.get("temperature", t_r) for sub in res["subsystems"]]
    ax_t.set_ylim(0.0, 2.0 * max(temps + [t_r]))
    return dotted


def _legends(last: np.ndarray, n: int, with_bath_information: bool) -> None:
    """One legend per row, right of the last column."""
    colors = [COLORS[k % len(COLORS)] for k in range(n)]
    ax_e, ax_q, ax_t, ax_i = last
    legend_beside(ax_e, [Line2D([], [], color=c) for c in colors], [f"S{k + 1}" for k in range(n)])
    legend_beside(
        ax_q,
        [Line2D([], [], color="C3"), Line2D([], [], color="C4", ls="-.")],
        ["heat to bath $Q_R$", "$\\Delta F_S$ (Eq. S19)"],
    )
    legend_beside(
        ax_t,
        [Line2D([], [], color=c) for c in colors] + [Line2D([], [], color="k", ls="--")],
        [f"AT of S{k + 1}" for k in range(n)] + ["$T_R$"],
    )
    handles, labels = [Line2D([], [], color="C4")], ["$C(\\rho_S)$"]
    if with_bath_information:
        handles += [Line2D([], [], color="k", ls="--")] + [Line2D([], [], color=c, ls=":") for c in colors]
        labels += ["$I(S:R)$"] + [f"$I(S_{k + 1}:R)$" for k in range(n)]
    legend_beside(ax_i, handles, labels)


def _overview(ax: Any, results: list[dict[str, Any]]) -> None:
    """Fig. 3(a): the net energy each subsystem absorbed, and the heat the bath received, after the run."""
    n = len(results[0]["subsystems"])
    width = 0.8 / (n + 1)
    x = np.arange(len(results))
    for k in range(n):
        heat = [r["subsystems"][k]["heat_absorbed"] for r in results]
        err = [r["subsystems"][k].get("heat_absorbed_stderr") or 0.0 for r in results]
        ax.bar(
            x + (k - n / 2) * width,
            heat,
            width,
            yerr=err if any(err) else None,
            capsize=2,
            color=COLORS[k % len(COLORS)],
            label=f"S{k + 1} absorbs $\\Delta E_{k + 1}$",
        )
    q_r = [r["bath"]["heat_received"][-1] for r in results]
    ax.bar(x + (n / 2) * width, q_r, width, color="0.45", label="bath receives $Q_R$")
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.set_xticks(x, [coherence_text(r["spec"]) for r in results])
    ax.set_xlabel("initial coherence (Eq. 1)")
    ax.set_ylabel("net energy / $\\delta$")
    ax.set_title(f"energy transfer after the run ({_conditions(results[0]['spec'])})", fontsize=8)
    ax.grid(alpha=0.25, axis="y")
    legend_beside(ax)


@styled
def sweep_figure(result: dict[str, Any]) -> Any:
    """SI Fig. 13 of seed 001 against the (first) swept parameter: (a) heat absorbed by each subsystem and
    received by the bath after the run; (b) coherence consumed C(rho_S(0)) - C(rho_S(end)); (c) free energy
    consumed F_S(0) - F_S(end)."""
    paths, coords = sweep_coordinates(result)
    points = result["points"]
    x = np.array([c[0] for c in coords])
    spec = result["spec"]
    fig, axes = figure(1, 3, 11.5, 3.6)
    ax_h, ax_c, ax_f = axes[0]
    n = len(points[0]["subsystems"])
    for k in range(n):
        heat = [p["subsystems"][k]["heat_absorbed"] for p in points]
        err = [p["subsystems"][k].get("heat_absorbed_stderr") for p in points]
        if any(e is not None for e in err):
            ax_h.errorbar(
                x,
                heat,
                yerr=_values(err),
                fmt="o",
                ms=3,
                capsize=2,
                color=COLORS[k % len(COLORS)],
                label=f"S{k + 1} (circuits)",
            )
            ax_h.plot(
                x,
                [p["exact"]["subsystems"][k]["heat_absorbed"] for p in points],
                "-",
                color=COLORS[k % len(COLORS)],
                lw=1.0,
                label=f"S{k + 1} exact",
            )
        else:
            ax_h.plot(x, heat, "o-", ms=3.5, color=COLORS[k % len(COLORS)], label=f"S{k + 1}: $\\Delta E_{k + 1}$")
    ax_h.plot(x, [p["bath"]["heat_received"][-1] for p in points], "s--", ms=3.5, color="0.4", label="bath: $Q_R$")
    ax_h.axhline(0.0, color="0.6", lw=0.6)
    ax_h.set_ylabel("heat after the run / $\\delta$")
    legend_beside(ax_h)
    coh = [p["system"]["coherence"][0] - p["system"]["coherence"][-1] for p in points]
    free = [p["system"]["free_energy"][0] - p["system"]["free_energy"][-1] for p in points]
    ax_c.plot(x, coh, "o-", ms=3.5, color="C4")
    ax_c.set_ylabel("coherence consumed $C_0 - C_{end}$ [nats]")
    ax_f.plot(x, free, "s-", ms=3.5, color="C5")
    ax_f.set_ylabel("free energy consumed $F_0 - F_{end}$ / $\\delta$")
    label = parameter_label(paths[0], spec, PARAMETERS)
    for ax in axes[0]:
        ax.set_xlabel(label)
        ax.grid(alpha=0.25)
    letter_panels(axes[0])
    fixed = (
        _conditions(spec)
        if not any(p.startswith("system.temperatures") or p == "bath.temperature" for p in paths)
        else ""
    )
    heading(fig, "Seed 001: " + ", ".join(_model(spec)), fixed, "$\\hbar = k_B = 1$, energies in units of $\\delta$")
    return fig
