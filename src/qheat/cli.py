"""The ``qheat`` command: list, show, run and plot experiments. Bad input: one line, exit code 2."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import QheatError
from .specs import Spec


def _cmd_list(args: argparse.Namespace) -> int:
    from .specs import bundled_groups, bundled_names, load_spec

    names, groups = bundled_names(), bundled_groups()
    width = max(map(len, [*names, *groups]))
    for name in names:
        print(f"{name:{width}s}  {load_spec(name).description}")
    for group, members in groups.items():
        print(f"{group:{width}s}  group: {', '.join(members)}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from .specs import load_specs

    for spec in load_specs(args.spec):
        print(json.dumps(spec.to_dict(), indent=1))
    return 0


TRAJECTORY_KEYS = ("spec", "steps", "subsystems", "system", "bath")
STEADY_KEYS = ("spec", "methods")
HEAT_KEYS = {"heat-transfer": ("spec", "conventions"), "correlated-pair": ("spec", "times", "sed"),
             "heat-pump": ("spec", "times", "heat", "performance")}  # seeds 000/002
MAX_DPI = 2400


def _missing_key(data: Any) -> str | None:
    """The first key a result (trajectory, or sweep of trajectories) lacks, or None."""
    if not isinstance(data, dict):
        return "spec"
    if "sweep" in data:
        points = data.get("points")
        if not isinstance(points, list) or not points:
            return "points"
        return next((m for m in map(_missing_key, points) if m), None)
    keys = STEADY_KEYS if data.get("protocol") == "reservoirs" else HEAT_KEYS.get(data.get("protocol"), TRAJECTORY_KEYS)
    return next((key for key in keys if key not in data), None)


def _read_result(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QheatError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise QheatError(f"{path} is a directory, not a result file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QheatError(f"{path} is not JSON: {exc}") from None
    missing = _missing_key(data)
    if missing:
        raise QheatError(f"{path} is not a complete qheat result (no {missing!r})")
    return data


def _targets(specs: list[Spec], output: str | None) -> list[Path]:
    """Where each spec's result goes: --output itself if it names a .json file, else <dir>/<key>.json."""
    if output and Path(output).suffix.lower() == ".json":
        if len(specs) != 1:
            raise QheatError(f"--output {output} names one file but there are {len(specs)} specs; give a directory")
        return [Path(output)]
    folder = Path(output or "results")
    if folder.exists() and not folder.is_dir():
        raise QheatError(f"--output {output} is an existing file; give a .json file name or a directory")
    return [folder / f"{spec.key()}.json" for spec in specs]


def _cmd_run(args: argparse.Namespace) -> int:
    from . import __version__, run
    from .protocols import check_backend
    from .results import write_json_atomic
    from .specs import load_specs

    specs = [s for name in args.spec for s in load_specs(name)]
    for spec in specs:
        check_backend(spec, args.backend)
    for spec, target in zip(specs, _targets(specs, args.output)):
        if target.exists() and not args.force:
            try:
                old = _read_result(target)
            except QheatError:
                raise QheatError(f"{target} exists and is not a qheat result; use --force to overwrite or another --output") from None
            same = (old.get("spec"), old.get("backend"), old.get("qheat_version")) == (
                spec.to_dict(), args.backend, __version__)
            if same:
                if not args.quiet:
                    print(f"{spec.key()}: up to date in {target} (--force to redo)")
                continue
            raise QheatError(
                f"{target} holds a result of another spec, backend or qheat version; "
                "use --force to overwrite or another --output")
        data = run(spec, args.backend).to_dict()
        write_json_atomic(target, data)
        if not args.quiet:
            print(f"{spec.key()}: {_summary(data)} -> {target}")
    return 0


def _summary(data: dict[str, Any]) -> str:
    """One line saying what a result found."""
    if "headline" in data:
        return data["headline"]
    if "points" in data and data["points"] and "headline" in data["points"][0]:
        return f"{len(data['points'])} sweep points: " + "; ".join(p["headline"] for p in data["points"])
    if "points" in data:
        ndtc = data.get("summary", {}).get("ndtc", {})
        extra = "".join(f"; NDTC ({m}): current peaks at T_A - T_B = {v['peak_at']:g}"
                        for m, v in ndtc.items() if v["present"])
        if "methods" in data["points"][0]:
            for m in data["points"][0]["methods"]:
                bad = sum(p["methods"][m].get("negative_populations", False) for p in data["points"])
                extra += f"; {m}: negative populations at {bad} points" if bad else ""
        return f"{len(data['points'])} sweep points{extra}"
    if "methods" in data:
        return "heat current from A: " + ", ".join(
            f"{m} {v['heat_current']['A']:+.6g}" + (f" +- {v['stderr']['A']:.2g}" if "stderr" in v else "")
            + (" (negative populations)" if v.get("negative_populations") else "")
            for m, v in data["methods"].items())
    return "heat absorbed " + ", ".join(f"{s['label']} {s['heat_absorbed']:+.5f}" for s in data["subsystems"])


def _cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt

    from .analysis import plots

    results = [_read_result(Path(p)) for p in args.results]
    heat = [r for r in results if r.get("protocol") in HEAT_KEYS]
    if heat and len(results) > 1:
        raise QheatError(f"plot a {heat[0]['protocol']} result on its own (one file)")
    sweeps = [r for r in results if "sweep" in r]
    steady = [r for r in results if r.get("protocol") == "reservoirs"]
    if (sweeps or steady) and len(results) > 1:
        raise QheatError("plot a sweep or a reservoirs result on its own (one file); trajectories can go together")
    out = Path(args.output)
    fmt = out.suffix.lstrip(".").lower()
    supported = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if fmt not in supported:
        raise QheatError(f"cannot write a figure as {out.name!r}; use one of .{', .'.join(sorted(supported))}")
    if not 1 <= args.dpi <= MAX_DPI:
        raise QheatError(f"--dpi must be between 1 and {MAX_DPI}, got {args.dpi}")
    try:
        if heat:
            from .analysis import heat_plots

            fig = heat_plots.figure(heat[0])
        elif steady:
            fig = plots.reservoirs_figure(steady[0])
        elif sweeps:
            fig = plots.sweep_figure(sweeps[0])
        else:
            fig = plots.trajectory_figure(results)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        plt.close("all")
        raise QheatError(f"{', '.join(args.results)}: not a complete qheat result ({type(exc).__name__}: {exc})") from None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=args.dpi)
    except (ValueError, MemoryError) as exc:  # e.g. an image too large
        raise QheatError(f"cannot draw {out}: {exc}") from None
    finally:
        plt.close(fig)
    if not args.quiet:
        print(f"figure -> {out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage mistakes, like every other bad input, get one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"qheat: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="qheat", description="Quantum thermodynamics experiments on Qiskit.")
    parser.add_argument("--version", action="version", version=f"qheat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("list", help="list the bundled specs")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("show", help="print a spec (name or path) as JSON")
    p.add_argument("spec")
    p.set_defaults(func=_cmd_show)
    p = sub.add_parser("run", help="run specs (bundled names, group names or TOML/JSON paths)")
    p.add_argument("spec", nargs="+")
    p.add_argument("--backend", default="exact", help="backend name (default: exact)")
    p.add_argument("--output", help="a .json file for one spec, else a directory (default: results/)")
    p.add_argument("--force", action="store_true", help="redo and overwrite results already on disk")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("plot", help="draw result files: seed 001 trajectories (Fig. 3 panels) or sweeps, "
                                    "seeds 003/004 steady currents")
    p.add_argument("results", nargs="+")
    p.add_argument("--output", default="qheat.png", help="image file (PNG, PDF, SVG)")
    p.add_argument("--dpi", type=int, default=150)
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QheatError as exc:
        print(f"qheat: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qheat: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qheat: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
