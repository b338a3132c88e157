"""One engine for every protocol: sweeps, records first, checkpoints and resume, locks, workers.

``run(spec, backend)`` expands a sweep into points; each point is an independent unit:

- backend ``exact``: the protocol's exact engine gives the result body;
- a circuit backend: the protocol's ``batches`` generator hands circuits to the device, the engine
  runs them and writes the *records document* (counts or saved states, with each circuit's
  metadata) atomically before any analysis; ``protocol.analyze(document, spec)`` then gives the body.

With ``output`` every point writes its files as it finishes -- ``<name>.json`` (result),
``<name>.records.json`` and, while an adaptive run is under way, ``<name>.records.partial.json``
(checkpoint) -- each under an exclusive lock, so that a re-run finds what is done and runs only the
rest, two runs never write one file, and nothing of another spec is replaced or deleted without
``force``. A sweep's points live in ``<name>.points/`` beside the sweep's result.

Points run one after another, in ``jobs`` processes, or on a Dask cluster (``scheduler``); every
random stream derives from the spec and the point (``SpecFile.seed_sequence``), never from the
worker, so all three give identical numbers.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qheat.core.documents import (
    check_document,
    envelope,
    jsonable_record,
    read_checkpoint,
    read_result,
    result_body,
)
from qheat.core.errors import QheatError
from qheat.core.limits import LONG_RUN_SECONDS, Cost, guard
from qheat.core.protocol import Batch, Checkpoint, Protocol
from qheat.core.records import (
    CHECKPOINT_KIND,
    Lock,
    read_json,
    read_json_or_none,
    unexplained_nonfinite,
    write_json_atomic,
)
from qheat.core.result import RESULT_SCHEMA, Result, same_run
from qheat.core.spec import SpecFile
from qheat.core.version import __version__
from qheat.protocols.registry import expand, protocol_of, spec_from_dict, validated

Progress = Callable[[str, int, int], None]  # (what, done, total); total 0 when unknown
log = logging.getLogger("qheat")  # what runs, for people (the CLI shows it off a terminal)
Report = Callable[[str], None]  # one line about what a run does with the files it finds


@dataclass(frozen=True)
class Files:
    """Where one point's result, records and checkpoint live."""

    result: Path

    @property
    def records(self) -> Path:
        return self.result.with_name(self.result.stem + ".records.json")

    @property
    def checkpoint(self) -> Path:
        return self.result.with_name(self.result.stem + ".records.partial.json")


def points_folder(target: Path) -> Path:
    """The folder of a sweep's per-point files, beside its result."""
    return target.with_name(target.stem + ".points")


# ----------------------------------------------------------------------------- the public verbs


@dataclass(frozen=True)
class Plan:
    """A validated spec, its protocol and backend, and the points of its sweep (empty without one)."""

    spec: SpecFile
    proto: Protocol
    backend: str
    points: tuple[SpecFile, ...] = ()
    cost: Cost = Cost()


def prepare(spec: SpecFile, backend: str, *, allow_large: bool = False) -> Plan:
    """Validate ``spec`` (as if read from a file), expand its sweep and refuse a backend any point cannot run
    on, or a run whose estimated cost (``Protocol.cost``) is beyond the limits (``allow_large``: run it anyway),
    before any work."""
    from qheat.backends import check

    proto = protocol_of(spec)
    check(backend)
    spec = validated(spec)
    proto.check(spec, backend)
    points: tuple[SpecFile, ...] = ()
    if spec.sweep is not None:
        points = tuple(expand(spec))
        labels = [spec.sweep.label(p, r) for p, r in zip(spec.sweep.points, spec.sweep.repetitions)]
        for point, label in zip(points, labels):
            try:
                proto.check(point, backend)
            except QheatError as exc:
                raise QheatError(f"sweep point {label}: {exc}") from None
    if spec.sweep is not None and spec.sweep.seeds and backend == "exact":
        raise QheatError(
            "sweep.seeds repeats a configuration to study shot noise; the exact engine has none "
            "(use a circuit backend, or remove seeds)"
        )
    cost = (
        sum((proto.cost(p, backend) for p in points[1:]), proto.cost(points[0], backend))
        if points
        else proto.cost(spec, backend)
    )
    guard(cost, getattr(spec, "limits", None), allow_large, f"{spec.key()} on backend {backend!r}")
    return Plan(spec, proto, backend, points, cost)


def run(spec: SpecFile, backend: str = "exact", *, allow_large: bool = False, **options: Any) -> Result:
    """Run ``spec`` (every point of its sweep) on ``backend``: ``run_plan(prepare(spec, backend), **options)``."""
    return run_plan(prepare(spec, backend, allow_large=allow_large), **options)


def run_plan(
    plan: Plan,
    *,
    output: str | Path | None = None,
    force: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    report: Report | None = None,
) -> Result:
    """Run a prepared spec; with ``output`` (a result file), records and results are written as they are made
    and a re-run resumes."""
    spec, proto, backend = plan.spec, plan.proto, plan.backend
    if jobs < 1:
        raise QheatError(f"--jobs must be >= 1, got {jobs}")
    # a long run states its estimate at WARNING (seen on a terminal too); a short one at INFO (log lines only)
    log.log(
        logging.WARNING if plan.cost.seconds > LONG_RUN_SECONDS else logging.INFO,
        describe(plan, jobs=jobs, scheduler=scheduler),
    )
    target = None if output is None else Path(output).resolve()  # workers elsewhere write the same files
    if spec.sweep is None:
        data = run_point(spec, backend, None if target is None else Files(target), force, progress, report)
        return Result(spec, backend, result_body(data))
    points = list(plan.points)
    folder = None if target is None else points_folder(target)
    with _locked(target):
        if target is not None and target.exists() and not force:
            old = read_result(target)
            if same_run(old, spec, backend):
                _say(report, f"{spec.key()}: up to date in {target} (--force to redo)")
                return Result(spec, backend, result_body(old))
            raise QheatError(
                f"{target} holds a result of another spec, backend or result schema; use --force to "
                "overwrite or another --output"
            )
        records = None if target is None else Files(target).records
        if (
            records is not None
            and records.exists()
            and not force
            and not same_run(read_json_or_none(records), spec, backend)
        ):
            raise QheatError(
                f"{records} holds records of another spec, backend or result schema; use --force to "
                "overwrite or another --output"
            )
        files = [None if folder is None else Files(folder / f"{i:04d}.json") for i in range(len(points))]
        results = _map_points(points, backend, files, force, jobs, scheduler, progress, report)
        result = Result(spec, backend, _sweepresult_body(spec, proto, results))
        if target is not None:
            if backend != "exact":  # every point's records in one document beside the sweep's result
                documents = [read_json(f.records, "records file") for f in files if f is not None]
                write_json_atomic(
                    Files(target).records, envelope(spec, backend, proto, {"points": documents}), indent=None
                )
            write_json_atomic(target, result.to_dict())
    return result


def describe(plan: Plan, *, jobs: int = 1, scheduler: str | None = None) -> str:
    """One line saying what a plan runs: spec, protocol, backend, points, where they run and the estimated cost."""
    where = (
        ""
        if not plan.points
        else (
            f" on the Dask cluster at {scheduler}"
            if scheduler
            else f" in {min(jobs, len(plan.points))} processes"
            if jobs > 1
            else " one by one"
        )
    )
    points = f"{len(plan.points)} sweep points{where}" if plan.points else "one point"
    return (
        f"{plan.spec.key()}: protocol {plan.proto.name} on backend {plan.backend}, {points}; "
        f"estimated {plan.cost.describe()}"
    )


def _sweepresult_body(spec: SpecFile, proto: Protocol, points: list[dict[str, Any]]) -> dict[str, Any]:
    assert spec.sweep is not None
    return {"sweep": spec.sweep.to_dict(), "points": points, **proto.combine(spec, points)}


def analyze(document: dict[str, Any]) -> Result:
    """The result of a records document -- one point's, or a sweep's (every point's) -- offline: nothing is run.

    Records that do not fit their spec (a field missing, a count that is not a number) are refused in one line."""
    check_document(document)
    spec = spec_from_dict(document["spec"])
    proto = protocol_of(spec)
    backend = document["backend"]
    if "points" in document:
        if spec.sweep is None:
            raise QheatError("the records hold sweep points but their spec has no [sweep]")
        points = [analyze(p).to_dict() for p in document["points"]]
        if [p["spec"] for p in points] != [p.to_dict() for p in expand(spec)]:
            raise QheatError("the records' points are not the points of their sweep; were they made with another spec?")
        return Result(spec, backend, _sweepresult_body(spec, proto, points))
    try:
        body = proto.analyze(document, spec)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
        if isinstance(exc, QheatError):
            raise
        raise QheatError(
            f"the records do not fit their spec ({type(exc).__name__}: {str(exc)[:120]}); were they "
            "edited or made by another version?"
        ) from None
    bad = unexplained_nonfinite(body)
    if bad:
        raise QheatError(f"the records give NaN or infinity at {bad} with no note saying why; were they edited?")
    return Result(spec, backend, body)


# ----------------------------------------------------------------------------- one point


def run_point(
    spec: SpecFile,
    backend: str,
    files: Files | None = None,
    force: bool = False,
    progress: Progress | None = None,
    report: Report | None = None,
) -> dict[str, Any]:
    """The result (as JSON data) of one point, reusing what ``files`` already hold for this very run."""
    proto = protocol_of(spec)
    with _locked(None if files is None else files.result):
        if files is not None and files.result.exists() and not force:
            old = read_result(files.result)
            if same_run(old, spec, backend):
                _say(report, f"{spec.key()}: up to date in {files.result} (--force to redo)")
                return old
            raise QheatError(
                f"{files.result} holds a result of another spec, backend or result schema; use --force "
                "to overwrite or another --output"
            )
        saved = "" if backend == "exact" or files is None else f"; the records are saved in {files.records}"
        try:
            if backend == "exact":
                body = proto.exact(spec)
            else:
                document = _records(spec, backend, files, force, progress, report)
                body = proto.analyze(document, spec)
        except (OverflowError, FloatingPointError, ZeroDivisionError) as exc:
            raise QheatError(
                f"{spec.key()}: a number overflowed double precision ({type(exc).__name__}: {exc})"
                f"{saved}; keep the spec's parameters within a few orders of magnitude of its energy "
                "scale"
            ) from None
        except MemoryError:
            raise QheatError(
                f"{spec.key()}: ran out of memory (estimated {proto.cost(spec, backend).describe()})"
                f"{saved}; make the spec smaller"
            ) from None
        bad = unexplained_nonfinite(body)
        if bad:
            raise QheatError(
                f"{spec.key()}: the run gave NaN or infinity at {bad} with no note saying why{saved}; "
                "the spec's numbers are beyond double precision somewhere -- keep them within a few "
                "orders of magnitude of its energy scale"
            )
        data = Result(spec, backend, body).to_dict()
        if files is not None:
            write_json_atomic(files.result, data)
    return data


def _records(
    spec: SpecFile, backend: str, files: Files | None, force: bool, progress: Progress | None, report: Report | None
) -> dict:
    """The records document of one point: read back if its file holds this run, else collected and saved."""
    if files is None:
        return collect(spec, backend, progress=progress)
    if files.records.exists() and not force:
        document = read_json(files.records, "records file")
        check_document(document, str(files.records))
        if not same_run(document, spec, backend):
            raise QheatError(
                f"{files.records} holds records of another spec, backend or result schema; use --force "
                "to measure again or another --output"
            )
        _say(report, f"{spec.key()}: analysing the records in {files.records} (--force to measure again)")
        if files.checkpoint.exists():  # left by a crash after the records were written: ours if of this run
            try:
                read_checkpoint(files.checkpoint, spec, backend)
                files.checkpoint.unlink()
            except QheatError:
                pass
        return document
    if files.checkpoint.exists() and not force:
        _say(report, f"{spec.key()}: resuming the partial run in {files.checkpoint}")
    document = collect(spec, backend, checkpoint=files.checkpoint, force=force, progress=progress)
    write_json_atomic(files.records, document, indent=None)
    files.checkpoint.unlink(missing_ok=True)  # ours: collect refused any other
    return document


def collect(
    spec: SpecFile,
    backend: str,
    *,
    checkpoint: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    device: Any = None,
) -> dict[str, Any]:
    """Drive the protocol's batches on the device (``device``: one given instead of ``backend``'s, e.g.
    ``qheat plan``'s predicting one); the records document (nothing analysed).

    A ``Checkpoint`` the protocol yields is written to ``checkpoint`` with the records so far; a call that
    finds a checkpoint of this very run resumes from it. Another spec's checkpoint, or a damaged one, is
    refused (``force``: started over and replaced)."""
    from qheat.backends import open_device

    proto = protocol_of(spec)
    saved = read_checkpoint(checkpoint, spec, backend) if checkpoint is not None and not force else None
    device = open_device(backend) if device is None else device
    records: list[dict[str, Any]] = list(saved["records"]) if saved else []
    started = time.time() - (float(saved.get("seconds", 0.0)) if saved else 0.0)
    gen = proto.batches(spec, device, resume=saved["state"] if saved else None)
    label = spec.key()
    done = 0
    try:
        item = next(gen)
        while True:
            if isinstance(item, Checkpoint):
                if checkpoint is not None:
                    write_json_atomic(
                        checkpoint,
                        {
                            "kind": CHECKPOINT_KIND,
                            "schema": RESULT_SCHEMA,
                            "qheat_version": __version__,
                            "spec": spec.to_dict(),
                            "backend": backend,
                            "seconds": time.time() - started,
                            "records": records,
                            "state": item.state,
                        },
                        indent=None,
                    )
                item = gen.send([])
                continue
            if not isinstance(item, Batch):
                raise TypeError(f"protocol {proto.name!r} yielded {type(item).__name__}, not a Batch or Checkpoint")
            shots = f", {sum(item.shots)} shots" if item.kind == "counts" else f" ({item.kind})"
            log.log(
                logging.INFO if done == 0 else logging.DEBUG,
                "%s: batch %d%s: %d circuits%s",
                label,
                done + 1,
                f" ({item.label})" if item.label else "",
                len(item.circuits),
                shots,
            )
            out = execute(device, item)
            if item.keep:
                records += [jsonable_record(r) for r in out]
            done += 1
            if progress:
                progress(item.label or "batch", done, 0)
            item = gen.send(out)
    except StopIteration as stop:
        extra = dict(stop.value or {})
    metadata = {
        "spec_key": spec.key(),
        "backend": backend,
        "seconds": round(time.time() - started, 3),
        "batches": done,
        **extra.pop("metadata", {}),
    }
    return envelope(
        spec, backend, proto, {"metadata": metadata, "records": records + list(extra.pop("records", [])), **extra}
    )


def execute(device: Any, batch: Batch) -> list[dict[str, Any]]:
    """Run one batch on a device: one record per circuit, its metadata and its counts, states or channel."""
    if batch.kind == "counts":
        counts = device.sample(
            list(batch.circuits),
            [int(s) for s in batch.shots],
            seed=batch.seed,
            register=batch.register,
            method=batch.method,
        )
        return [{"metadata": dict(m), "counts": dict(c)} for m, c in zip(batch.metadata, counts)]
    if batch.kind == "states":
        states = device.evolve(list(batch.circuits), seed=batch.seed)
        return [{"metadata": dict(m), "states": s} for m, s in zip(batch.metadata, states)]
    if batch.kind == "expectations":
        values = device.expectations(
            list(batch.circuits),
            [list(o) for o in batch.observables],
            [int(s) for s in batch.shots],
            seed=batch.seed,
            techniques=tuple(batch.techniques),
        )
        return [{"metadata": dict(m), "expectations": v} for m, v in zip(batch.metadata, values)]
    channels = device.superops(list(batch.circuits))
    return [{"metadata": dict(m), "superop": c} for m, c in zip(batch.metadata, channels)]


def _say(report: Report | None, line: str) -> None:
    if report is not None:
        report(line)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _locked(path: Path | None) -> Any:
    return _NoLock() if path is None else Lock(path)


# ----------------------------------------------------------------------------- many points


def _point_task(spec_data: dict[str, Any], backend: str, result_path: str | None, force: bool) -> dict[str, Any]:
    """One point in a worker process (or on a Dask worker): plain data in, plain data out."""
    spec = spec_from_dict(spec_data)
    return run_point(spec, backend, None if result_path is None else Files(Path(result_path)), force)


def _map_points(
    points: list[SpecFile],
    backend: str,
    files: list[Files | None],
    force: bool,
    jobs: int,
    scheduler: str | None,
    progress: Progress | None,
    report: Report | None,
) -> list[dict[str, Any]]:
    total = len(points)
    args = [(p.to_dict(), backend, None if f is None else str(f.result), force) for p, f in zip(points, files)]
    results: list[dict[str, Any] | None] = [None] * total
    done = 0

    def finished(i: int, data: dict[str, Any]) -> None:
        nonlocal done
        results[i] = data
        done += 1
        if progress:
            progress("sweep points", done, total)

    if scheduler is not None:
        for i, data in _on_dask(scheduler, args):
            finished(i, data)
    elif jobs == 1 or total == 1:
        for i, (p, f) in enumerate(zip(points, files)):
            finished(i, run_point(p, backend, f, force, report=report))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")  # Aer and BLAS threads do not survive fork
        pool = ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=ctx)
        try:
            futures = {pool.submit(_point_task, *a): i for i, a in enumerate(args)}
            for future in as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:  # a failed point or Ctrl-C: stop the rest now, what finished is on disk
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return [r for r in results if r is not None]


def _on_dask(scheduler: str, args: list[tuple]) -> Any:
    """Yield (index, result) as the points finish on the Dask cluster at ``scheduler``."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise QheatError("--scheduler needs Dask's distributed scheduler: pip install 'qheat[dask]'") from None
    try:
        client = Client(scheduler, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise QheatError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
            "'dask scheduler' (and workers with 'dask worker ADDRESS'), or drop --scheduler"
        ) from None
    try:
        run_id = uuid.uuid4().hex[:12]
        futures = [
            client.submit(_point_task, *a, key=f"qheat-point-{run_id}-{i}", pure=False) for i, a in enumerate(args)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            yield index[future.key], future.result()
    finally:
        client.close()
