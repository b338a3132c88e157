"""Figures of seed 001: trajectories (Fig. 3 panels) and sweeps."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qheat.plotting import COLORS, _series, _title, _values


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
    from qheat.core.spec import sweep_from_dict

    sweep, points = result["sweep"], result["points"]
    x = np.array([p[0] for p in sweep_from_dict(sweep).points], dtype=float)   # the first axis, every point
    if isinstance(sweep["parameter"], list):
        sweep = {**sweep, "parameter": sweep["parameter"][0]}
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

