"""Figures of seed 002 Sec. V: the heat-pump cycle."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from qheat.plotting import STYLE, _values


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

