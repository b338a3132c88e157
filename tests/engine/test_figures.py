"""Every bundled spec's figure on 'exact' (and each protocol's golden circuit result), read as a referee
reads it: every axis labelled, every physical label with its unit, no internal spec path, no spec name as a
title, panel letters on multi-panel figures, legends off the data, whole-number ticks on interaction
numbers, and nothing outside the saved image.

The checks read the drawn figure in display coordinates, so each can fail: ``test_the_checks_can_fail``
holds them against deliberately bad figures."""

from __future__ import annotations

import copy
import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.text import Text

import qheat
from qheat.plotting import COLORS
from qheat.protocols.registry import bundled_groups, protocol

DATA = Path(__file__).resolve().parents[1] / "data"
LETTER = re.compile(r"\([a-z]\)")
UNIT = re.compile(r" / \S|\[[^\]]+\]")  # "Q_R / $\delta$", "I [nats]"
INTERNAL_PATH = re.compile(r"\b[a-z_]{2,}\.[a-z_]{2,}\b")  # system.coherence, reservoirs.temperatures
STEP_LABEL = "interaction number $n$"
DIMENSIONLESS = {  # labels of quantities without a unit (hbar = k_B = 1), each checked by eye once
    STEP_LABEL,
    "$c_{12}$",
    "$\\Omega t$",
    "$\\omega t$",
    "$\\omega_0 t$",
    "concurrence",
    "$\\beta_{A_2}/\\beta_B$",
    "$\\beta_{A_1}/\\beta_B$",
    "population $\\rho_{nn}$ (energy basis)",
    "population $\\rho_{nn}$",
    "coherence Re $\\rho_{ij}$ (energy basis)",
    "initial coherence (Eq. 1)",
    "coefficient of performance",
    "fraction of times with AHT",
    "energy level $n$ (ascending)",
    "master equation (collision model on circuits)",
}
# sweeps shortened (every k-th value) and runs shortened where the full spec is slow; the figure code is the same
THIN = {name: 4 for name in ("fogedby-fig3", "fogedby-fig4", "fogedby-fig5", "zhang-fig2")}


def _shorten(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    sweep = data.get("sweep")
    if sweep and len(sweep["values"]) > 12:
        step = THIN.get(data["name"], 8)
        sweep["values"] = sweep["values"][::step] + ([sweep["values"][-1]] if (len(sweep["values"]) - 1) % step else [])
    if data["protocol"] == "heat-pump":
        data["cycles"] = 1
        data["baths"].update(relax_time=100.0, dt=0.5)
    return data


@functools.cache
def exact(name: str) -> dict[str, Any]:
    """A bundled spec's result on 'exact' (shortened as above), computed once per session."""
    return qheat.run(qheat.spec_from_dict(_shorten(qheat.load_spec(name).to_dict())), "exact").to_dict()


# one bundled spec per figure the protocols draw (the fig3 and fig4 groups are drawn together below);
# the other bundled specs take the same code paths and are drawn by the slow test
FAST = [
    "fig10",
    "fig13",
    "holdsworth-fig1",
    "holdsworth-fig2",
    "holdsworth-pump",
    "ma-fig1b",
    "ma-fig2a",
    "ma-fig2b",
    "fogedby-fig4",
    "fogedby-fig5",
    "zhang-fig3-g0.5",
]


# ---------------------------------------------------------------------------------------------- the checks
def _data_axes(fig: Any) -> list[Any]:
    return [
        ax
        for ax in fig.axes
        if ax.get_label() != "<colorbar>"
        and ax.get_visible()
        and (ax.lines or ax.collections or ax.patches or ax.images)
    ]


def _texts(fig: Any) -> list[Text]:
    """The texts the image shows: visible, not empty, and no label of a tick outside its axis' view."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * (hi - lo)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - eps <= tick.get_loc() <= hi + eps:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def _labelled(ax: Any, axes: list[Any], which: str) -> bool:
    """A label on ``ax`` itself, or on the axes its panel shares it with: the bottom of its column for x
    (a shared x axis), the start of its row for y."""
    if (ax.get_xlabel() if which == "x" else ax.get_ylabel()).strip():
        return True
    p = ax.get_position()
    for other in axes:
        q = other.get_position()
        if (
            which == "x"
            and _same(p.x0, q.x0)
            and _same(p.x1, q.x1)
            and q.y0 < p.y0
            and other.get_xlabel()
            and ax.get_shared_x_axes().joined(ax, other)
        ):
            return True
        if which == "y" and _same(p.y0, q.y0) and _same(p.y1, q.y1) and q.x0 < p.x0 and other.get_ylabel():
            return True
    return False


def _display_points(ax: Any) -> np.ndarray:
    """Every plotted point of ``ax`` in display coordinates; lines densified so a segment through a legend counts."""
    chunks = []
    for line in ax.lines:
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0 or not line.get_visible():
            continue
        d = line.get_transform().transform(xy)
        if len(d) > 1:
            s = np.linspace(0.0, 1.0, 12)[:, None, None]
            d = (d[:-1][None] * (1 - s) + d[1:][None] * s).reshape(-1, 2)
        chunks.append(d)
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), float)
        if offsets.size and coll.get_visible():
            chunks.append(coll.get_offset_transform().transform(offsets))
    for patch in ax.patches:
        if patch.get_visible() and patch.get_label() != "_nolegend_" and patch.get_width() != 0:
            bb = patch.get_window_extent()
            chunks.append(
                np.array(
                    [
                        [bb.x0, bb.y0],
                        [bb.x1, bb.y1],
                        [bb.x0, bb.y1],
                        [bb.x1, bb.y0],
                        [(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2],
                    ]
                )
            )
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def problems(fig: Any, names: list[str]) -> list[str]:
    """What a referee would send back about ``fig`` (empty: accepted)."""
    fig.savefig(io.BytesIO(), format="png")  # what `qheat plot` writes: no bbox_inches
    found = []
    axes = _data_axes(fig)
    empty = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax not in axes]
    found += [f"an empty panel {ax.get_title('left') or ax.get_title()!r}" for ax in empty]
    labels = []
    for ax in axes:
        for which in "xy":
            if not _labelled(ax, axes, which):
                found.append(f"panel {ax.get_title('left')!r} has no {which} label")
        labels += [ax.get_xlabel(), ax.get_ylabel()]
    labels += [ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    for label in filter(str.strip, labels):
        if not UNIT.search(label) and label not in DIMENSIONLESS:
            found.append(f"label {label!r} has no unit and is not declared dimensionless")
    texts = _texts(fig)
    for t in texts:
        if INTERNAL_PATH.search(t.get_text()):
            found.append(f"text {t.get_text()!r} shows an internal spec path")
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("center", "left", "right")]
    titles += [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for name in names:
        if any(name in t for t in titles):
            found.append(f"a title names the spec {name!r} instead of its parameters")
    if len(axes) > 1:
        letters = [ax.get_title("left") for ax in axes]
        if not all(LETTER.fullmatch(x) for x in letters) or len(set(letters)) != len(letters):
            found.append(f"panel letters missing or repeated: {letters}")
    width, height = fig.bbox.width, fig.bbox.height
    for t in texts:
        bb = t.get_window_extent()
        if bb.x0 < -1 or bb.y0 < -1 or bb.x1 > width + 1 or bb.y1 > height + 1:
            found.append(f"text {t.get_text()[:40]!r} is clipped by the figure's edge")
    for letter in (t for t in texts if LETTER.fullmatch(t.get_text())):
        for t in texts:
            if t is not letter and letter.get_window_extent().overlaps(t.get_window_extent()):
                found.append(f"panel letter {letter.get_text()} overlaps {t.get_text()[:30]!r}")
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    points = [_display_points(ax) for ax in axes]
    for leg in legends:
        bb = leg.get_window_extent()
        if bb.x1 > width + 1 or bb.y0 < -1 or bb.y1 > height + 1:
            found.append("a legend is clipped by the figure's edge")
        for pts in points:
            inside = (pts[:, 0] > bb.x0) & (pts[:, 0] < bb.x1) & (pts[:, 1] > bb.y0) & (pts[:, 1] < bb.y1)
            if inside.any():
                found.append(f"a legend ({leg.get_texts()[0].get_text()!r}, ...) covers {inside.sum()} data points")
                break
    for ax in axes:
        if ax.get_xlabel() == STEP_LABEL and not np.allclose(ax.get_xticks(), np.round(ax.get_xticks())):
            found.append(f"fractional ticks on the interaction number: {ax.get_xticks()}")
    return found


def _check(results: list[dict[str, Any]]) -> list[str]:
    fig = protocol(results[0]["protocol"]).figure(results)
    try:
        return problems(fig, [r["spec"].get("name", "") for r in results])
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", FAST)
def test_bundled_figure_on_exact(name):
    assert _check([exact(name)]) == []


@pytest.mark.slow
def test_every_other_bundled_figure_on_exact():
    drawn = set(FAST) | set(bundled_groups()["fig3"]) | set(bundled_groups()["fig4"])
    found = {name: _check([exact(name)]) for name in qheat.bundled_names() if name not in drawn}
    found["fig12"] = _check([exact(n) for n in bundled_groups()["fig12"]])
    found.update({n: _check([exact(n)]) for n in drawn - set(FAST)})
    assert not {k: v for k, v in found.items() if v}


def test_fig3_has_the_papers_layout():
    """Seed 001 Fig. 3: (a) the overview of net energy transfer, then (b)-(d) energies of the c = 0, -0.5, +0.5
    columns, (e)-(g) heat and free energy, (h)-(j) apparent temperatures, (k)-(m) the resources."""
    results = [exact(n) for n in bundled_groups()["fig3"]]
    fig = protocol("cascade").figure(results)
    try:
        assert problems(fig, [r["spec"]["name"] for r in results]) == []
        by_letter = {ax.get_title("left"): ax for ax in fig.axes}
        assert sorted(by_letter) == [f"({c})" for c in "abcdefghijklm"]
        heights = np.array([b.get_height() for b in by_letter["(a)"].patches]).reshape(4, 3)  # S1-S3, bath x c
        zero, reversed_, enhanced = results
        assert np.allclose(heights[:3, 1], [s["heat_absorbed"] for s in reversed_["subsystems"]])
        assert heights[1, 1] > 0 and heights[2, 1] > 0 and (heights[:3, 0] < 0).all()  # S2, S3 absorb at c = -0.5
        assert heights[3, 2] > heights[3, 0] > 0 > heights[3, 1]  # the bath: enhanced > normal > reversed
        assert "$c_{pq}$ = -0.5" in by_letter["(c)"].get_title()
        assert by_letter["(e)"].get_ylabel() == "$Q_R$, $\\Delta F_S$ / $\\delta$"
    finally:
        plt.close(fig)


def test_fig4c_forward_and_reverse_are_overlaid():
    """Seed 001 Fig. 4: (a), (b), and (c) with the forward order solid and the reverse dashed in one panel:
    S2 absorbs after S1 (forward) and releases after S3 (reverse)."""
    results = [exact(n) for n in bundled_groups()["fig4"]]
    fwd = results[2]
    fig = protocol("cascade").figure(results)
    try:
        assert problems(fig, [r["spec"]["name"] for r in results]) == []
        assert sum(ax.get_title("left") != "" for ax in fig.axes) == 12  # three columns of four rows
        panel = next(ax for ax in fig.axes if ax.get_title("left") == "(c)")
        s2 = [ln for ln in panel.lines if same_color(ln.get_color(), COLORS[1])]  # S2's colour, both orders
        assert sorted(ln.get_linestyle() for ln in s2) == ["-", "--"]
        solid, dashed = sorted(s2, key=lambda ln: ln.get_linestyle() != "-")
        assert solid.get_ydata()[-1] > 0 > dashed.get_ydata()[-1]
        assert np.isclose(solid.get_ydata()[-1], fwd["subsystems"][1]["heat_absorbed"])
    finally:
        plt.close(fig)


def test_sweep_axes_read_physical_quantities():
    fig = protocol("cascade").figure([exact("fig13")])
    assert {ax.get_xlabel() for ax in fig.axes} == {"$c_{12}$"}
    plt.close(fig)
    fig = protocol("reservoirs").figure([exact("zhang-fig3-g0.5")])
    assert fig.axes[0].get_xlabel() == "$\\Delta T = T_A - T_B$ / $u$"
    x = fig.axes[0].lines[0].get_xdata()
    assert x[0] == 0.0 and x[-1] == 40.0  # T_1 = 5 + Delta T at T_2 = 5 (seed 004 Fig. 3)
    plt.close(fig)


def test_heat_transfer_and_heat_pump_sweeps_have_figures():
    ht = qheat.load_spec("ma-fig1b").to_dict()
    ht.update(name="ht-sweep", evolution={"t_max": 700.0, "points": 41})
    ht["sweep"] = {"parameter": "qubits.2.temperature", "values": [1.0, 1.2, 1.5]}
    hp = _shorten(qheat.load_spec("holdsworth-pump").to_dict())
    hp.update(name="hp-sweep")
    hp["sweep"] = {"parameter": "qubits.temperatures.0", "values": [1.5, 3.0]}
    for data, xlabel in ((ht, "$T_{B}$ / K"), (hp, "$T_A$ / $\\omega$")):
        result = qheat.run(qheat.spec_from_dict(data), "exact").to_dict()
        fig = protocol(data["protocol"]).figure([result])
        try:
            assert problems(fig, [data["name"]]) == []
            assert xlabel in {ax.get_xlabel() for ax in fig.axes}
        finally:
            plt.close(fig)
    # the heat-pump panels draw what the points hold, and the COP stays below Carnot (Eq. 18)
    q = [ax for ax in fig.axes if ax.get_title("left") == "(a)"][0].lines[0].get_ydata()
    cop = np.array([p["performance"]["cop"] for p in result["points"]])
    assert np.allclose(q, [np.mean([c["Q_A"] for c in p["per_cycle"]]) for p in result["points"]])
    assert (cop <= np.array([p["performance"]["carnot"] for p in result["points"]])).all()


@pytest.mark.parametrize(
    "name",
    [
        "golden-cascade",
        "golden-cascade-reprepare",
        "golden-correlated-pair",
        "golden-heat-pump",
        "golden-heat-transfer",
        "golden-reservoirs",
    ],
)
def test_circuit_results_draw_complete_figures(name):
    """Each protocol's golden result on Aer: no empty panel, every check as on 'exact'."""
    result = json.loads((DATA / f"{name}.json").read_text())
    assert _check([result]) == []


def test_noisy_backend_draws_the_promised_dotted_curves():
    """On a noisy backend the footnote promises the shot-free curves; they are drawn (Q_R among them)."""
    result = json.loads((DATA / "golden-cascade.json").read_text())
    result["backend"] = "aer:nmr-crotonic"  # the same records read as from a noisy stand-in
    fig = protocol("cascade").figure([result])
    try:
        assert "dotted: this noisy backend" in fig._supxlabel.get_text()
        q_panel = next(ax for ax in fig.axes if ax.get_title("left") == "(b)")
        dotted = [ln for ln in q_panel.lines if ln.get_linestyle() == ":"]
        e_s = np.array(result["shot_free"]["system"]["energy"])
        assert any(np.allclose(ln.get_ydata(), -(e_s - e_s[0])) for ln in dotted)  # Q_R = -(E_S(n) - E_S(0))
    finally:
        plt.close(fig)
    result["backend"] = "aer"  # ideal Aer: no dotted curve, and no promise of one
    fig = protocol("cascade").figure([result])
    assert "dotted" not in fig._supxlabel.get_text()
    plt.close(fig)


def test_the_checks_can_fail():
    """Bad figures are caught: an internal path as label, a missing unit, a legend on the data, a
    clipped footnote, no panel letters, fractional interaction ticks, a spec name as title."""
    fig, axes = plt.subplots(1, 2, figsize=(4, 3))
    for ax in axes:
        ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="a curve")
    axes[0].set_xlabel("system.coherence.0.strength")
    axes[0].set_ylabel("heat current")
    axes[1].set_xlabel(STEP_LABEL)
    axes[1].set_ylabel("energy / $\\delta$")
    axes[1].set_xlim(0, 1.5)
    axes[1].legend(loc="center")
    axes[0].set_title("fig3-zero")
    fig.text(0.5, -0.05, "a footnote below the figure")
    found = " | ".join(problems(fig, ["fig3-zero"]))
    plt.close(fig)
    for needle in (
        "internal spec path",
        "has no unit",
        "covers",
        "clipped",
        "panel letters",
        "fractional ticks",
        "names the spec",
    ):
        assert needle in found, needle


@pytest.mark.slow
def test_circuit_sweeps_fill_their_panels():
    """A reservoirs sweep on Aer draws J_A and J_B (circuits, exact collision model, master equation) in every
    panel; the cascade on the noisy NMR stand-in draws its shot-free curves."""
    res = qheat.load_spec("zhang-fig3-g0.5").to_dict()
    res.update(name="res-sweep", methods=["lindblad", "local"], collisions={"dt": 1.0, "shots": 100, "window": 10.0})
    res["sweep"] = {"parameter": "reservoirs.temperatures.0", "values": [5.0, 25.0]}
    cas = qheat.load_spec("fig3-reversed").to_dict()
    cas.update(name="cas-nmr", measurement={"shots": 200, "bootstrap": 4})
    cas["interaction"]["collisions"] = 1
    for data, backend in ((res, "aer"), (cas, "aer:nmr-crotonic")):
        result = qheat.run(qheat.spec_from_dict(data), backend).to_dict()
        fig = protocol(data["protocol"]).figure([result])
        try:
            assert problems(fig, [data["name"]]) == []
            assert all(len(ax.lines) >= 2 for ax in _data_axes(fig) if ax.get_title("left") != "(c)")
        finally:
            plt.close(fig)
