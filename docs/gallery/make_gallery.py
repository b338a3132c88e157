"""Draw every seed figure from the bundled specs on the exact engine and write the gallery page.

    python docs/gallery/make_gallery.py                 # all figures -> docs/gallery/*.png and index.md
    python docs/gallery/make_gallery.py fig3 fogedby    # only these figures (the page lists what exists)
    python docs/gallery/make_gallery.py --out /tmp/g    # somewhere else

A figure is a bundled group (``fig3``: its three cases in one figure) or a single spec; each PNG is drawn
at a modest resolution so that it stays under 200 KB. Seconds to minutes per figure (the seed 004 sweeps
are the slow ones); the page lists every PNG found in the output folder, by seed, with the spec's
description and the command that redraws it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that only writes files

import matplotlib.pyplot as plt  # noqa: E402

import qheat  # noqa: E402
from qheat.protocols.registry import bundled_groups, protocol_of  # noqa: E402

HERE = Path(__file__).resolve().parent
MAX_BYTES = 200_000
SEEDS = {
    "001": (
        "Seed 001: reversing heat flow by coherence (Huang et al.)",
        ["fig3", "fig4a", "fig4b", "fig4c", "fig10", "fig11", "fig12", "fig13"],
    ),
    "000": (
        "Seed 000: anomalous heat transfer (Ma et al.)",
        ["ma-fig1b", "ma-fig1c", "ma-fig1d", "ma-fig2a", "ma-fig2b"],
    ),
    "002": (
        "Seed 002: a heat pump driven by correlation (Holdsworth & Kawai)",
        ["holdsworth-fig1", "holdsworth-fig2", "holdsworth-pump", "holdsworth-fig4-heom"],
    ),
    "003": ("Seed 003: heat currents in qubit systems (Fogedby)", ["fogedby-fig3", "fogedby-fig4", "fogedby-fig5"]),
    "004": (
        "Seed 004: the hidden negative differential thermal conductance (Zhang, Liu & Yu)",
        [
            "zhang-fig2",
            "zhang-fig3-g0.5",
            "zhang-fig4-eps6.0-4.0",
            "zhang-fig5-eps4.0-g0.05",
            "zhang-fig5-eps5.0-g0.1",
            "zhang-fig6-gamma0.01",
        ],
    ),
}


def members(figure: str) -> list[str]:
    return list(bundled_groups().get(figure, [figure]))


def draw(figure: str, out: Path, dpi: int = 80) -> Path:
    """Run the figure's specs exactly and save its PNG, shrinking the resolution until it is small."""
    results = [qheat.run(qheat.load_spec(name), backend="exact").to_dict() for name in members(figure)]
    proto = protocol_of(qheat.load_spec(members(figure)[0]))
    fig = proto.figure(results)
    path = out / f"{figure}.png"
    try:
        while True:
            fig.savefig(path, dpi=dpi)
            if path.stat().st_size <= MAX_BYTES or dpi <= 40:
                return path
            dpi = int(dpi * 0.8)
    finally:
        plt.close(fig)


def page(out: Path) -> str:
    lines = [
        "# Gallery",
        "",
        "Every seed figure, drawn by `docs/gallery/make_gallery.py` from the bundled specs on the exact engine",
        "(`qheat run NAME --backend exact`, then `qheat plot`). The protocol pages say what each quantity is;",
        "[Physics and conventions](../physics.md) gives the signs and units.",
        "",
    ]
    found = 0
    for title, figures in SEEDS.values():
        shown = [f for f in figures if (out / f"{f}.png").exists()]
        if not shown:
            continue
        lines += [f"## {title}", ""]
        for figure in shown:
            names = members(figure)
            specs = [qheat.load_spec(n) for n in names]
            description = (
                specs[0].description if len(specs) == 1 else "\n".join(f"- `{s.key()}`: {s.description}" for s in specs)
            )
            lines += [
                f"### `{figure}`",
                "",
                description,
                "",
                f"```{{image}} {figure}.png",
                f":alt: {figure}",
                ":width: 100%",
                "```",
                "",
                f"`qheat run {figure} --output results`, then `qheat plot "
                + " ".join(f"results/{n}.json" for n in names)
                + f" --output {figure}.png`",
                "",
            ]
            found += 1
    if not found:
        lines += ["No figure has been drawn yet: run `python docs/gallery/make_gallery.py`.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", nargs="*", help="figures to draw (default: all)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs and index.md")
    args = parser.parse_args(argv)
    everything = [f for _, figures in SEEDS.values() for f in figures]
    unknown = [f for f in args.figures if f not in everything]
    if unknown:
        parser.error(f"unknown figures {unknown}; choose from {everything}")
    args.out.mkdir(parents=True, exist_ok=True)
    for figure in args.figures or everything:
        started = time.monotonic()
        path = draw(figure, args.out)
        print(f"{figure}: {path} ({path.stat().st_size // 1000} KB, {time.monotonic() - started:.0f} s)")
    (args.out / "index.md").write_text(page(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
