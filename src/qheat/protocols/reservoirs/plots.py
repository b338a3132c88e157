"""Figures of seeds 003/004: steady currents, populations, coherences."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from qheat.plotting import COLORS, _title

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
    x = np.array([_value(p["spec"], parameter) for p in points])   # one per point (sweep.seeds repeats values)
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
        if ax.get_legend_handles_labels()[0]:   # on circuits the populations and coherences panels stay empty
            ax.legend(fontsize=7)
    fig.suptitle(_title(result), fontsize=10)
    fig.tight_layout()
    return fig


def _value(spec: dict[str, Any], path: str) -> float:
    """The number at a dotted path such as ``reservoirs.temperatures.0`` of a spec's data."""
    node: Any = spec
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return float(node)
