"""Shared matplotlib style and helpers: panel letters, legends beside the data, footnotes inside the figure,
physical labels for swept spec paths.

Every figure is drawn with the constrained layout engine, so titles, outside legends and the footnote
(a ``supxlabel``) get room and a plain ``fig.savefig`` clips nothing. Units: hbar = k_B = 1; a label reads
``quantity / unit`` (``Q_R / delta``), information in ``[nats]``; dimensionless quantities carry no unit.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.typing import RcKeyType

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _values(xs: Sequence[Any] | np.ndarray) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in xs], dtype=float)


def _series(
    ax: plt.Axes,
    steps: np.ndarray,
    values: Sequence[Any] | np.ndarray,
    err: Sequence[Any] | np.ndarray | None,
    *,
    measured: bool,
    color: str,
    label: str,
    ls: str = "-",
    lw: float = 1.5,
    marker: str | None = None,
) -> None:
    """A measured series as points with error bars, an exact one as a line."""
    y = _values(values)
    if measured:
        yerr = None if err is None else _values(err)
        ax.errorbar(steps, y, yerr=yerr, fmt="o", ms=2.5, lw=0.8, capsize=1.5, color=color, label=label)
    else:
        ax.plot(steps, y, color=color, ls=ls, lw=lw, marker=marker, label=label)


# the style of these figures, set while each is drawn (plt.rc_context), never globally
STYLE: dict[RcKeyType, Any] = {"font.size": 9, "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.labelsize": 9}


Table = Sequence[tuple[str, Callable[[re.Match[str], dict[str, Any]], str]]]


def styled(draw: Callable[..., Any]) -> Callable[..., Any]:
    """A figure function drawn in the figures' style (``STYLE``), which does not outlive the call."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kw: Any) -> Any:
        with plt.rc_context(STYLE):
            return draw(*args, **kw)

    return wrapper


def figure(nrows: int, ncols: int, width: float, height: float, **kw: Any) -> tuple[Any, np.ndarray]:
    """``plt.subplots`` with the constrained layout; axes always 2-d."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained", **kw)
    return fig, axes


def letter_panels(axes: Iterable[Any], start: int = 0) -> None:
    """The papers' panel letters, (a), (b), ..., as each axes' left title."""
    for i, ax in enumerate(axes):
        ax.set_title(f"({chr(ord('a') + start + i)})", loc="left", fontweight="bold", fontsize=STYLE["font.size"])


def legend_beside(ax: Any, handles: Sequence[Any] | None = None, labels: Sequence[str] | None = None, **kw: Any) -> Any:
    """A legend right of ``ax``, off the data (the constrained layout makes room for it)."""
    if handles is not None:
        kw["handles"] = handles
    if labels is not None:
        kw["labels"] = labels
    kw.setdefault("fontsize", STYLE["legend.fontsize"])
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, **kw)


def _visible(text: str) -> int:
    """Roughly how many characters ``text`` shows (mathtext commands and markup not counted)."""
    return len(re.sub(r"\\[a-zA-Z]+|[${}_^]", "", text))


def pack(parts: Sequence[str], fig: Any, fontsize: float) -> str:
    """Phrases joined by '; ' into lines that fit the figure's width (a phrase is never split inside $...$)."""
    width = max(30, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))
    lines: list[str] = []
    for part in (p for p in parts if p):
        pieces = [part] if "$" in part or _visible(part) <= width else textwrap.wrap(part, width)
        for piece in pieces:
            if lines and _visible(lines[-1]) + 2 + _visible(piece) <= width:
                lines[-1] += "; " + piece
            else:
                lines.append(piece)
    return "\n".join(lines)


def heading(fig: Any, *parts: str, fontsize: float = 9.0) -> None:
    """The figure's title: the physical parameters shared by its panels, wrapped to its width."""
    fig.suptitle(pack(parts, fig, fontsize), fontsize=fontsize)


def footnote(fig: Any, *parts: str) -> None:
    """Notes under the panels, wrapped to the figure's width; the layout keeps them inside the figure."""
    text = pack(parts, fig, 7.5)
    if text:
        fig.supxlabel(text, fontsize=7.5, color="0.35")


def integer_ticks(ax: Any) -> None:
    """Whole-number ticks on an axis that counts interactions or collisions."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def num(x: float) -> str:
    """A parameter value as a paper writes it: 0.5, -1, 1e-05; multiples of pi/2 as pi fractions."""
    ratio = x / np.pi
    if x != 0 and abs(2 * ratio - round(2 * ratio)) < 1e-9:
        half = round(2 * ratio)
        body = {1: "\\pi/2", 2: "\\pi"}.get(abs(half), f"{abs(half) / 2:g}\\pi")
        return f"${'-' if half < 0 else ''}{body}$"
    return f"{x:g}"


def parameter_label(path: str, spec: dict[str, Any], table: Table) -> str:
    """The physical label (with its unit) of a swept spec path, from a protocol's table of
    (regular expression, label function); an unknown path reads as its words, never as a dotted path."""
    for pattern, label in table:
        match = re.fullmatch(pattern, path)
        if match:
            return label(match, spec)
    words = [w for w in path.split(".") if not w.isdigit()]
    return " ".join(words[::-1]).replace("_", " ")


def sweep_coordinates(result: dict[str, Any]) -> tuple[tuple[str, ...], list[tuple[float, ...]]]:
    """The swept paths and, for every point of a sweep result, its values (grid axes included)."""
    from qheat.core.spec import sweep_from_dict

    sweep = sweep_from_dict(result["sweep"])
    return sweep.parameters, [tuple(float(v) for v in p) for p in sweep.points]


def spec_value(spec: dict[str, Any], path: str) -> float:
    """The number at a dotted path such as ``reservoirs.temperatures.0`` of a spec's data."""
    node: Any = spec
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return float(node)
