"""The ``qheat`` command: list, show, run and plot experiments. Bad input: one line, exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError


def _cmd_list(args: argparse.Namespace) -> int:
    from qheat.protocols.registry import bundled_groups, bundled_names, load_spec

    names, groups = bundled_names(), bundled_groups()
    width = max(map(len, [*names, *groups]))
    for name in names:
        print(f"{name:{width}s}  {load_spec(name).description}")
    for group, members in groups.items():
        print(f"{group:{width}s}  group: {', '.join(members)}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from qheat.protocols.registry import load_specs

    for spec in load_specs(args.spec):
        print(json.dumps(spec.to_dict(), indent=1))
    return 0


MAX_DPI = 2400


def _read_result(path: Path) -> dict[str, Any]:
    """A complete result file (of any protocol), or one line saying what is wrong with it."""
    from qheat.core.records import read_json
    from qheat.protocols.registry import protocol

    data = read_json(path, "result file")
    if not isinstance(data, dict) or "spec" not in data:
        raise QheatError(f"{path} is not a complete qheat result (no 'spec')")
    try:
        proto = protocol(str(data.get("protocol") or (data["spec"] or {}).get("protocol")))
    except QheatError:
        raise QheatError(f"{path} is not a qheat result (unknown protocol {data.get('protocol')!r})") from None
    missing = next((k for k in proto.required_result_keys(data) if k not in data), None)
    if missing:
        raise QheatError(f"{path} is not a complete qheat result (no {missing!r})")
    if "sweep" in data and (not isinstance(data["points"], list) or not data["points"]):
        raise QheatError(f"{path} is not a complete qheat result (no 'points')")
    return data


def _targets(specs: list, output: str | None) -> list[Path]:
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
    from qheat import engine
    from qheat.core.progress import Progress
    from qheat.protocols.registry import load_specs

    specs = [s for name in args.spec for s in load_specs(name)]
    plans = [
        engine.prepare(spec, args.backend, allow_large=args.allow_large)  # every refusal before any work
        for spec in specs
    ]
    if args.jobs < 1:
        raise QheatError(f"--jobs must be >= 1, got {args.jobs}")
    for plan, target in zip(plans, _targets([p.spec for p in plans], args.output)):
        spec = plan.spec
        with Progress(spec.key(), bar=not args.quiet and sys.stderr.isatty()) as progress:
            lines: list[str] = []
            result = engine.run_plan(
                plan,
                output=target,
                force=args.force,
                jobs=args.jobs,
                scheduler=args.scheduler,
                progress=progress,
                report=lines.append,
            )
        if args.quiet:
            continue
        done = f"{spec.key()}: up to date"
        for line in lines:  # what the run did with the files it found (point by point: only news)
            if line.startswith(done) or "up to date" not in line:
                print(line)
        if not any(line.startswith(done) for line in lines):
            print(f"{spec.key()}: {plan.proto.summary(result.to_dict())} -> {target}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from qheat import engine
    from qheat.core.records import Lock, read_json, write_json_atomic
    from qheat.protocols.registry import protocol

    source = Path(args.records)
    doc = read_json(source, "records file")
    engine.check_document(doc, str(source))
    if args.output:
        target = Path(args.output)
    elif source.name.endswith(".records.json"):
        target = source.with_name(source.name[: -len(".records.json")] + ".json")
    else:
        target = source.with_name(source.stem + ".result.json")
    data = engine.analyze(doc).to_dict()
    with Lock(target):
        if target.exists() and not args.force:
            raise QheatError(f"{target} exists; use --force to overwrite it or --output for another file")
        write_json_atomic(target, data)
    if not args.quiet:
        print(f"{data['spec'].get('name') or 'spec'}: {protocol(data['protocol']).summary(data)} -> {target}")
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    from qheat.backends import circuit_backends
    from qheat.backends.runtime import fake_names

    print("exact        the exact engine (density matrices, no shots)")
    for name in circuit_backends():
        print(f"{name:12s} Aer (circuits, tomography)")
    fakes = fake_names()
    print(f"fake:<name>  Qiskit Runtime local mode with a fake device's noise model, offline ({len(fakes)}):")
    for i in range(0, len(fakes), 6):
        print("  " + "  ".join(fakes[i : i + 6]))
    print(
        "ibm:<name>   an IBM Quantum device through QiskitRuntimeService (needs an account and the network; "
        "QISKIT_IBM_TOKEN / QISKIT_IBM_INSTANCE or a saved account)"
    )
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from qheat import submission

    echo = (lambda *a: None) if args.quiet else print
    if args.resume:
        if args.spec:
            raise QheatError("give either a spec or --resume MANIFEST, not both")
        submission.resume(Path(args.resume), instance=args.instance, echo=echo)
        return 0
    if not args.spec:
        raise QheatError("submit needs a spec (or --resume MANIFEST)")
    submission.submit(
        args.spec,
        args.backend,
        output=args.output,
        shots=args.shots,
        max_circuits=args.max_circuits,
        force=args.force,
        instance=args.instance,
        echo=echo,
        allow_large=args.allow_large,
    )
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from qheat import planning
    from qheat.core.records import write_json_atomic

    techniques = [t.strip() for t in args.techniques.split(",") if t.strip()] if args.techniques else None
    data = planning.plan(
        args.spec,
        args.backend,
        args.target_error,
        techniques=techniques,
        replicas=args.replicas,
        job_overhead=args.job_overhead,
        observables=args.observables,
        allow_large=args.allow_large,
    )
    print(planning.table(data))
    if args.output:
        write_json_atomic(Path(args.output), data)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from qheat import submission

    submission.status(Path(args.manifest), instance=args.instance, echo=print)
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from qheat import submission

    echo = (lambda *a: None) if args.quiet else print
    submission.fetch(Path(args.manifest), output=args.output, instance=args.instance, echo=echo)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from qheat import reproduce

    seeds = reproduce.seeds_of(args.seeds)  # an unknown seed: one line before any work
    verdicts = reproduce.run(seeds, args.backend)
    print(reproduce.table(verdicts, args.backend))
    return 1 if any(v.verdict in ("FAIL", "ERROR") for v in verdicts) else 0


def _cmd_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # figures go to files: no window system needed
    import matplotlib.pyplot as plt

    from qheat.protocols.registry import protocol

    results = [_read_result(Path(p)) for p in args.results]
    kinds = {protocol(r.get("protocol") or r["spec"]["protocol"]).name for r in results}
    if len(kinds) > 1:
        raise QheatError(f"plot results of one protocol at a time, got {', '.join(sorted(kinds))}")
    out = Path(args.output)
    fmt = out.suffix.lstrip(".").lower()
    supported = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if fmt not in supported:
        raise QheatError(f"cannot write a figure as {out.name!r}; use one of .{', .'.join(sorted(supported))}")
    if not 1 <= args.dpi <= MAX_DPI:
        raise QheatError(f"--dpi must be between 1 and {MAX_DPI}, got {args.dpi}")
    try:
        fig = protocol(kinds.pop()).figure(results)
    except QheatError:
        plt.close("all")
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        plt.close("all")
        raise QheatError(
            f"{', '.join(args.results)}: not a complete qheat result ({type(exc).__name__}: {exc})"
        ) from None
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
    from qheat.core.version import __version__

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
    p.add_argument(
        "--backend",
        default="exact",
        help="exact (default), aer, aer:<config> (e.g. aer:nmr-crotonic), fake:<name> (Runtime local mode) "
        "or ibm:<name>; circuit backends save "
        "<name>.records.json (raw counts) before the analysis and reuse it on a re-run",
    )
    p.add_argument("--output", "-o", help="a .json file for one spec, else a directory (default: results/)")
    p.add_argument("--force", action="store_true", help="redo and overwrite results already on disk")
    p.add_argument("--jobs", "-j", type=int, default=1, help="run the points of a sweep in N processes")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the points of a sweep on the Dask cluster at ADDRESS (pip install 'qheat[dask]')",
    )
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even when the estimated memory, time or shots are beyond the limits (qheat.core.limits)",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("backends", help="list the backends available offline (and how to reach ibm:<name>)")
    p.set_defaults(func=_cmd_backends)
    p = sub.add_parser("submit", help="build ISA circuits, write a manifest, submit Sampler jobs (fake:/ibm:)")
    p.add_argument("spec", nargs="?")
    p.add_argument("--backend", help="fake:<name> (local mode, offline) or ibm:<name>")
    p.add_argument("--instance", help="IBM Quantum instance (else QISKIT_IBM_INSTANCE or the saved account's)")
    p.add_argument("--shots", type=int, help="shots per Pauli setting (overrides the spec's measurement.shots)")
    p.add_argument("--output", help="directory for <name>.manifest.json and its files (default: results/)")
    p.add_argument("--max-circuits", type=int, help="circuits per job (default: the device's limit, else 300)")
    p.add_argument("--resume", metavar="MANIFEST", help="submit the jobs of MANIFEST that were not submitted")
    p.add_argument("--force", action="store_true", help="start anew over an existing manifest")
    p.add_argument(
        "--allow-large", action="store_true", help="submit even when the estimated cost is beyond the limits"
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_submit)
    p = sub.add_parser(
        "plan",
        help="before spending budget: circuits, shots and device time per mitigation "
        "technique to resolve every heat to +-E (fake:/ibm:)",
    )
    p.add_argument("spec")
    p.add_argument("--backend", required=True, help="fake:<name>, or ibm:<name> (predicted with its fake twin)")
    p.add_argument("--target-error", type=float, required=True, help="the error bar E wanted on every heat")
    p.add_argument(
        "--techniques",
        help="comma-separated: Sampler raw, readout, readout+zne; Estimator (cascade) trex, trex+zne, trex+pea, "
        "trex+pec (default: every one the spec can run)",
    )
    p.add_argument(
        "--observables",
        choices=["state", "exchange", "energies"],
        help="the Pauli values the Estimator rows measure (default: the spec's [mitigation] observables)",
    )
    p.add_argument(
        "--allow-large", action="store_true", help="plan even when the run's estimated cost is beyond the limits"
    )
    p.add_argument("--replicas", type=int, default=40, help="parametric-bootstrap data sets per technique")
    p.add_argument(
        "--job-overhead",
        type=float,
        default=2.0,
        help="ASSUMED Runtime overhead per job in seconds (default 2; no device reports it)",
    )
    p.add_argument("--output", help="also write the plan as JSON to this file")
    p.set_defaults(func=_cmd_plan)
    p = sub.add_parser("status", help="show the state of each job of a manifest")
    p.add_argument("manifest")
    p.add_argument("--instance")
    p.set_defaults(func=_cmd_status)
    p = sub.add_parser("fetch", help="download finished jobs of a manifest (resuming), then analyse them")
    p.add_argument("manifest")
    p.add_argument("--instance")
    p.add_argument("--output", help="result file (default: <name>.json beside the manifest)")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_fetch)
    p = sub.add_parser("analyze", help="analyse a records file (raw counts) offline into a result")
    p.add_argument("records")
    p.add_argument("--output", help="result file (default: the records name without .records)")
    p.add_argument("--force", action="store_true", help="overwrite an existing result")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_analyze)
    p = sub.add_parser(
        "plot", help="draw result files: seed 001 trajectories (Fig. 3 panels) or sweeps, seeds 003/004 steady currents"
    )
    p.add_argument("results", nargs="+")
    p.add_argument("--output", default="qheat.png", help="image file (PNG, PDF, SVG)")
    p.add_argument("--dpi", type=int, default=150)
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_cmd_plot)
    p = sub.add_parser(
        "reproduce",
        help="re-run the seed papers' claims and print qheat's numbers beside theirs (exit 1 when a claim fails)",
    )
    p.add_argument("seeds", nargs="*", metavar="SEED", help="000 ... 004 or all (default: all)")
    p.add_argument(
        "--backend",
        default="exact",
        help="exact (default) or a circuit backend; claims whose specs cannot run there are skipped",
    )
    p.set_defaults(func=_cmd_reproduce)
    return parser


def _log_to_stderr(show: bool) -> None:
    """Lines of the ``qheat`` logger on stderr off a terminal (a bar there instead) when ``show``; else warnings."""
    import logging

    from qheat.core.progress import HoldBack

    logger = logging.getLogger("qheat")
    for old in [h for h in logger.handlers if isinstance(h, HoldBack)]:
        logger.removeHandler(old)  # main() called again in one process (tests)
    handler = HoldBack(sys.stderr)  # a run shorter than its delay prints its result only
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if show and not sys.stderr.isatty() else logging.WARNING)


LIBRARY_LOGGERS = ("qiskit_ibm_runtime", "qiskit", "qiskit_aer", "qutip")


class _library_lines:
    """Hold the libraries' own log lines (qiskit-ibm-runtime prints WARNINGs to stderr through its handler) while
    a command runs: shown after a command that succeeds, dropped after a one-line error that explains itself."""

    def __enter__(self) -> None:
        import logging
        from logging.handlers import MemoryHandler

        self.held = MemoryHandler(capacity=10**6, flushLevel=logging.CRITICAL + 1)
        self.saved = {}
        for name in LIBRARY_LOGGERS:
            lib = logging.getLogger(name)
            self.saved[name] = (lib.handlers[:], lib.propagate)
            lib.handlers, lib.propagate = [self.held], False

    def __exit__(self, kind: object, *exc: object) -> None:
        import logging

        for name, (handlers, propagate) in self.saved.items():
            lib = logging.getLogger(name)
            lib.handlers, lib.propagate = handlers, propagate
        if kind is None:
            for record in self.held.buffer:
                logging.getLogger(record.name).handle(record)
        self.held.buffer.clear()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _log_to_stderr(args.command == "run" and not args.quiet)  # a run's progress; other verbs print results
    try:
        with _library_lines():
            return args.func(args)
    except BrokenPipeError:  # the reader went away (qheat list | head -1): stop quietly
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush would raise again
        return 141  # 128 + SIGPIPE, as the shell reports a killed writer
    except QheatError as exc:
        print(f"qheat: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qheat: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "qheat: error: out of memory; make the spec smaller (qheat run estimates the cost first)", file=sys.stderr
        )
        return 2
    except RecursionError:
        print("qheat: error: the input nests too deeply (a spec or records file needs a few levels)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qheat: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
