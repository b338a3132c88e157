"""Shared matplotlib style and helpers."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.use("Agg")

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

matplotlib.use("Agg")

# the style of these figures, set while each is drawn (plt.rc_context), never globally
STYLE = {"font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.labelsize": 9}

