"""Figures: seed 001's Fig. 3 panels and Fig. 13 sweeps; seeds 003/004's steady currents and states.

Functions take result dictionaries (the JSON that ``qheat run`` writes) and return a Figure.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _values(xs: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in xs], dtype=float)


def _title(result: dict[str, Any]) -> str:
    spec = result["spec"]
    return spec.get("name") or "spec"


def _series(ax: plt.Axes, steps: np.ndarray, values: Sequence[Any], err: Sequence[Any] | None, *, measured: bool,
            color: str, label: str, ls: str = "-", lw: float = 1.5, marker: str | None = None) -> None:
    """A measured series as points with error bars, an exact one as a line."""
    y = _values(values)
    if measured:
        yerr = None if err is None else _values(err)
        ax.errorbar(steps, y, yerr=yerr, fmt="o", ms=2.5, lw=0.8, capsize=1.5, color=color, label=label)
    else:
        ax.plot(steps, y, color=color, ls=ls, lw=lw, marker=marker, label=label)


def trajectory_figure(results: Sequence[dict[str, Any]]) -> plt.Figure:
    """Fig. 3 of seed 001, one column per result.

    Row 1: energy absorbed by each subsystem, E_k(t) - E_k(0), vs interaction number (Fig. 3(b)-(d)).
    Row 2: heat received by the bath and free-energy change of the system (Fig. 3(e)-(g)).
    Row 3: apparent temperature of each subsystem, bath temperature dashed (Fig. 3(h)-(j)).
    Row 4: the resources of SI Figs. 10-11: relative entropy of coherence C(rho_S), and mutual
    information of the system and of each subsystem with the current bath particle.
    A measured result (circuits + tomography) is drawn as points with bootstrap error bars over the
    exact engine's curves, like the paper's Fig. 3.
    """
    cols = len(results)
    fig, axes = plt.subplots(4, cols, figsize=(4.2 * cols, 11.5), squeeze=False, sharex="col")
    for j, res in enumerate(results):
        measured = "exact" in res
        curves = [res["exact"]] if measured else []
        steps = np.asarray(res["steps"])
        marker = "o" if len(steps) <= 25 and not measured else None
        ax_e, ax_q, ax_t, ax_i = axes[:, j]
        for ref in curves:  # exact curves under the measured points
            x = np.asarray(ref["steps"])
            for k, sub in enumerate(ref["subsystems"]):
                e = _values(sub["energy"])
                ax_e.plot(x, e - e[0], color=COLORS[k % len(COLORS)], lw=1.0, alpha=0.8)
                ax_t.plot(x, _values(sub["apparent_temperature"]), color=COLORS[k % len(COLORS)], lw=1.0, alpha=0.8)
            ax_q.plot(x, _values(ref["bath"]["heat_received"]), color="C3", lw=1.0, alpha=0.8)
            free = _values(ref["system"]["free_energy"])
            ax_q.plot(x, free - free[0], color="C4", ls="-.", lw=1.0, alpha=0.8)
            ax_i.plot(x, _values(ref["system"]["coherence"]), color="C4", lw=1.0, alpha=0.8)
        noisy = measured and ":" in str(res.get("backend", "")) and "shot_free" in res
        if noisy:  # what this noisy backend gives without shot noise, dotted
            for k, sub in enumerate(res["shot_free"]["subsystems"]):
                e = _values(sub["energy"])
                ax_e.plot(steps, e - e[0], color=COLORS[k % len(COLORS)], ls=":", lw=1.2)
            free = _values(res["shot_free"]["system"]["free_energy"])
            ax_q.plot(steps, free - free[0], color="C4", ls=":", lw=1.2)
        for k, sub in enumerate(res["subsystems"]):
            e = _values(sub["energy"])
            _series(ax_e, steps, e - e[0], sub.get("energy_change_stderr"), measured=measured,
                    color=COLORS[k % len(COLORS)], label=sub["label"], marker=marker)
        ax_e.axhline(0.0, color="0.6", lw=0.6)
        title = _title(res) + (f"  ({res.get('backend')}, {res['measurement']['mode']})" if measured else "")
        ax_e.set_title(title, fontsize=9)
        _series(ax_q, steps, res["bath"]["heat_received"], res["bath"].get("heat_received_stderr"),
                measured=measured, color="C3", label="heat to bath $Q_R$", marker=marker)
        free = _values(res["system"]["free_energy"])
        _series(ax_q, steps, free - free[0], res["system"].get("free_energy_change_stderr"), measured=measured,
                color="C4", label=r"$\Delta F_S$", ls="-.", marker=marker)
        ax_q.axhline(0.0, color="0.6", lw=0.6)
        t_r = res["bath"]["temperature"]
        for k, sub in enumerate(res["subsystems"]):
            _series(ax_t, steps, sub["apparent_temperature"], sub.get("apparent_temperature_stderr"),
                    measured=measured, color=COLORS[k % len(COLORS)], label=f"AT of {sub['label']}", marker=marker)
            if "mutual_information_with_bath" in sub:
                ax_i.plot(steps, _values(sub["mutual_information_with_bath"]), color=COLORS[k % len(COLORS)],
                          lw=0.8, ls=":", marker="." if measured else marker, label=f"$I({sub['label']}:R)$")
        ax_t.axhline(t_r, color="k", ls="--", lw=1.0, label="$T_R$")
        temps = [sub.get("temperature", t_r) for sub in res["subsystems"]]
        top = 2.0 * max(temps + [t_r])
        ax_t.set_ylim(0.0, top)
        _series(ax_i, steps, res["system"]["coherence"], res["system"].get("coherence_stderr"), measured=measured,
                color="C4", label=r"$C(\rho_S)$", marker=marker)
        if "mutual_information_with_bath" in res["system"]:
            ax_i.plot(steps, _values(res["system"]["mutual_information_with_bath"]), color="k", ls="--",
                      marker="." if measured else marker, label="$I(S:R)$")
        ax_i.set_xlabel("interaction number")
        if j == 0:
            ax_e.set_ylabel(r"energy absorbed $E_k(t)-E_k(0)$ [$\delta$]")
            ax_q.set_ylabel(r"energy [$\delta$]")
            ax_t.set_ylabel(r"apparent temperature [$\delta/k_B$]")
            ax_i.set_ylabel("coherence, mutual information [nats]")
        for ax in (ax_e, ax_q, ax_t, ax_i):
            ax.grid(alpha=0.25)
        if j == cols - 1:
            for ax in (ax_e, ax_q, ax_t, ax_i):
                ax.legend(fontsize=8, loc="best")
    if any("exact" in r for r in results):
        fig.text(0.5, 0.02, "points: tomography, bootstrap 1-sigma bars; lines: exact engine; dotted: noisy backend "
                 "without shot noise",
                 ha="center", fontsize=8, color="0.4")
    fig.text(0.5, 0.005, "heat_received > 0: system -> bath; AT gaps: Eq. (49) undefined", ha="center", fontsize=8, color="0.4")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    return fig


def sweep_figure(result: dict[str, Any]) -> plt.Figure:
    """Fig. 13 of seed 001: heat absorbed by each subsystem and coherence consumed vs the swept parameter."""
    sweep, points = result["sweep"], result["points"]
    x = np.asarray(sweep["values"], dtype=float)
    fig, (ax_h, ax_c) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    n = len(points[0]["subsystems"])
    for k in range(n):
        ax_h.plot(x, [p["subsystems"][k]["heat_absorbed"] for p in points], "o-", label=f"S{k + 1}")
    ax_h.plot(x, [p["bath"]["heat_received"][-1] for p in points], "s--", color="C3", label="bath")
    ax_h.axhline(0.0, color="0.6", lw=0.6)
    ax_h.set_xlabel(sweep["parameter"])
    ax_h.set_ylabel(r"heat absorbed after the run [$\delta$]")
    ax_h.legend(fontsize=8)
    coh = [p["system"]["coherence"][0] - p["system"]["coherence"][-1] for p in points]
    free = [p["system"]["free_energy"][0] - p["system"]["free_energy"][-1] for p in points]
    ax_c.plot(x, coh, "o-", color="C4", label="coherence consumed $C_0 - C_{end}$")
    ax_c.plot(x, free, "s--", color="C5", label=r"free energy consumed $F_0 - F_{end}$")
    ax_c.set_xlabel(sweep["parameter"])
    ax_c.legend(fontsize=8)
    for ax in (ax_h, ax_c):
        ax.grid(alpha=0.25)
    fig.suptitle(_title(result), fontsize=10)
    fig.tight_layout()
    return fig


METHOD_STYLES = {"lindblad": "-", "redfield": "--", "local": ":"}


def reservoirs_figure(result: dict[str, Any]) -> plt.Figure:
    """Seeds 003 (Figs. 3-5) and 004 (Figs. 2-6): steady heat current, populations and coherences.

    A sweep draws each quantity against its (first) swept parameter, one line style per master
    equation; a single spec draws bars of the currents and the populations.
    """
    points = result.get("points") or [result]
    methods = list(points[0]["methods"])
    if "sweep" not in result:
        has_states = any("populations" in points[0]["methods"][m] for m in methods)
        fig, axes = plt.subplots(1, 2 if has_states else 1, figsize=(9.0 if has_states else 5.0, 3.6), squeeze=False)
        ax_q, ax_p = axes[0, 0], (axes[0, 1] if has_states else None)
        x = np.arange(len(methods))
        for shift, side in ((-0.2, "A"), (0.2, "B")):
            errors = [points[0]["methods"][m].get("stderr", {}).get(side, 0.0) for m in methods]
            ax_q.bar(x + shift, [points[0]["methods"][m]["heat_current"][side] for m in methods], 0.4,
                     yerr=errors, capsize=3, label=f"from {side}")
            for i, m in enumerate(methods):
                exact = points[0]["methods"][m].get("master_equation_currents")
                if exact:
                    ax_q.plot([i + shift - 0.2, i + shift + 0.2], [exact["heat_current"][side]] * 2, "k--", lw=1,
                              label="master equation" if (i, side) == (0, "A") else None)
        ax_q.set_xticks(x, methods)
        ax_q.set_ylabel("steady heat current into the system")
        ax_q.axhline(0.0, color="0.6", lw=0.6)
        ax_q.legend(fontsize=8)
        if ax_p is not None:
            for m in methods:
                pops = points[0]["methods"][m].get("populations")
                if pops is not None:
                    ax_p.plot(range(1, len(pops) + 1), pops, "o" + METHOD_STYLES.get(m, "-"), label=m)
            ax_p.set_xlabel("energy level (ascending)")
            ax_p.set_ylabel("population")
            ax_p.axhline(0.0, color="0.6", lw=0.6)
            ax_p.legend(fontsize=8)
        fig.suptitle(_title(result), fontsize=10)
        fig.tight_layout()
        return fig
    sweep = result["sweep"]
    parameter = sweep["parameter"] if isinstance(sweep["parameter"], str) else sweep["parameter"][0]
    x = np.array([v if np.ndim(v) == 0 else v[0] for v in sweep["values"]], dtype=float)
    both = ["reservoirs.temperatures.0", "reservoirs.temperatures.1"]
    if not isinstance(sweep["parameter"], str) and sorted(sweep["parameter"]) == both:
        parameter = "mean temperature (T_A + T_B)/2"  # seed 003 Figs. 3, 5
        x = np.array([np.mean(p["spec"]["reservoirs"]["temperatures"]) for p in points])
    fig, (ax_q, ax_p, ax_c) = plt.subplots(1, 3, figsize=(13.5, 3.9))
    for m in methods:
        style = METHOD_STYLES.get(m, "-")
        q = [p["methods"][m]["heat_current"]["A"] for p in points]
        errors = [p["methods"][m].get("stderr", {}).get("A", 0.0) for p in points]
        ax_q.errorbar(x, q, yerr=errors, fmt=style, capsize=2, label=m)
        if "populations" not in points[0]["methods"][m]:
            continue
        pops = np.array([p["methods"][m]["populations"] for p in points])
        for i in range(pops.shape[1]):
            ax_p.plot(x, pops[:, i], style, color=COLORS[i % len(COLORS)],
                      label=f"level {i + 1} ({m})" if m == methods[0] or i == 0 else None)
        rho = [np.array(p["methods"][m]["rho_energy_basis"]["real"]) for p in points]
        if rho[0].shape[0] == 4:  # the secondary diagonal of seed 004's Eq. (18), in the energy basis (Fig. 2)
            ax_c.plot(x, [r[0, 3] for r in rho], style, color="C0", label=f"Re <E1|rho|E4> ({m})")
            ax_c.plot(x, [r[1, 2] for r in rho], style, color="C1", label=f"Re <E2|rho|E3> ({m})")
    ax_q.axhline(0.0, color="0.6", lw=0.6)
    ax_p.axhline(0.0, color="0.6", lw=0.6)
    ax_q.set_ylabel("heat current from reservoir A")
    ax_p.set_ylabel("population of each energy level")
    ax_c.set_ylabel("coherence in the energy basis (E1 < E2 < E3 < E4)")
    for ax in (ax_q, ax_p, ax_c):
        ax.set_xlabel(parameter)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=7)
    fig.suptitle(_title(result), fontsize=10)
    fig.tight_layout()
    return fig
