"""Jobs on devices that outlive the process: plan, submit, status, fetch (``qheat submit/status/fetch``).

A submission is a manifest (``<name>.manifest.json``) written atomically with the device circuits (QPY)
before anything is submitted; each job id is recorded as soon as the job exists, so a crash costs
nothing and ``--resume`` submits only the jobs that never were. The protocol builds the circuits and
turns the fetched counts into its records document (``Protocol.plan_submission``,
``Protocol.records_from_jobs``); the records are written before the analysis, as in ``qheat run``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.records import Lock, read_json_or_none, write_json_atomic
from qheat.core.result import same_run
from qheat.protocols.registry import load_spec, protocol_of, spec_from_dict

Echo = Callable[..., None]


def _with_shots(spec: Any, shots: int | None) -> Any:
    if shots is None:
        return spec
    data = spec.to_dict()
    data.setdefault("measurement", {})["shots"] = shots
    return spec_from_dict(data)


def submit(
    spec_name: str,
    backend: str | None,
    *,
    output: str | None = None,
    shots: int | None = None,
    max_circuits: int | None = None,
    force: bool = False,
    instance: str | None = None,
    echo: Echo = print,
    allow_large: bool = False,
) -> Path:
    """Plan ``spec_name`` on ``backend`` (fake:/ibm:), write the manifest, submit its jobs; the manifest path.
    The spec passes the same checks and cost guard as ``qheat run`` first (``engine.prepare``)."""
    from qheat.backends import is_runtime_backend
    from qheat.backends.runtime import check_name, manifest_paths

    if not backend or not is_runtime_backend(backend):
        raise QheatError(f"submit needs --backend fake:<name> or ibm:<name>, got {backend!r}")
    check_name(backend)
    if backend.startswith("ibm:"):  # fail fast: credentials and the network before any work
        from qheat.backends.runtime import credentials, reachable

        credentials(instance)
        reachable()
    spec = load_spec(spec_name)
    proto = protocol_of(spec)
    spec = _with_shots(spec, shots)
    from qheat.engine import prepare

    prepare(spec, backend, allow_large=allow_large)  # checks and cost guard, before any circuit is built
    if max_circuits is not None and max_circuits < 1:
        raise QheatError(f"--max-circuits must be >= 1, got {max_circuits}")
    folder = Path(output or "results")
    if folder.suffix.lower() == ".json":
        raise QheatError("--output names a directory for submit (the manifest is <dir>/<name>.manifest.json)")
    path = folder / f"{spec.key()}.manifest.json"
    with Lock(path):  # two submits of one manifest: the second is refused, no job twice
        if path.exists() and not force:
            raise QheatError(
                f"{path} exists; continue it with 'qheat submit --resume {path}', or --force to start anew"
            )
        manifest, circuits = proto.plan_submission(spec, backend, instance=instance, max_circuits=max_circuits)
        manifest = _write_plan(path, manifest, circuits)
        if force:  # the old manifest's downloaded counts, only once the new one is written
            files = manifest_paths(path)
            for key in ("local", "fetched"):
                if files[key].is_dir():
                    shutil.rmtree(files[key])
        echo(
            f"{spec.key()}: {manifest['circuits']} circuits in {len(manifest['jobs'])} jobs on {manifest['device']}, "
            f"layout {manifest['layout']['assignment']}; manifest -> {path}"
        )
        resume(
            path,
            instance=instance,
            echo=echo,
            done=f"submitted; 'qheat status {path}' shows the jobs, 'qheat fetch {path}' downloads and analyses them",
        )
    return path


def _write_plan(path: Path, manifest: dict[str, Any], circuits: list) -> dict[str, Any]:
    """The circuits (QPY) then the manifest naming them, each written atomically."""
    import os
    import tempfile

    from qiskit import qpy

    from qheat.backends.runtime import _sha256, manifest_paths, write_manifest

    target = manifest_paths(path)["circuits"]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            qpy.dump(circuits, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    manifest = {**manifest, "circuits_file": target.name, "circuits_sha256": _sha256(target)}
    write_manifest(path, manifest)
    return manifest


def resume(path: Path, *, instance: str | None = None, echo: Echo = print, done: str | None = None) -> None:
    """Submit the jobs of a manifest that were never submitted."""
    from qheat.backends.runtime import submit_pending

    submit_pending(path, instance=instance, echo=echo)
    echo(done or f"manifest -> {path} (qheat status / qheat fetch {path})")


def checked_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` (``runtime.read_manifest``), its job ids checked: text or absent."""
    from qheat.backends.runtime import read_manifest

    manifest = read_manifest(path)
    for job in manifest["jobs"]:
        job_id = job.get("job_id")
        if job_id is not None and not (isinstance(job_id, str) and job_id.strip()):
            raise QheatError(
                f"{path} is damaged: job {job['index']} has the job id {job_id!r}, not a job id (text); "
                "restore the manifest or submit anew with 'qheat submit ... --force'"
            )
    return manifest


def _local_jobs_intact(path: Path, manifest: dict[str, Any], states: list[dict[str, Any]]) -> None:
    """Local-mode jobs run as they are submitted: one that is not final has lost its stored result (deleted,
    truncated or swapped). Refuse with what happened and what to do, instead of 'run fetch again later'."""
    from qheat.backends.runtime import FINAL_STATES
    from qheat.backends.runtime.jobs import job_store

    if manifest["store"] != "local":
        return
    for st in states:
        if st["state"] in FINAL_STATES or st["state"] == "NOT SUBMITTED" or st.get("fetched"):
            continue
        try:
            job_store(path, manifest)._read(st["job_id"])
            why = f"local job {st['job_id']} is in state {st['state']}"
        except QheatError as exc:
            why = str(exc)
        raise QheatError(
            f"{path}: job {st['index']}: {why}; a local-mode job never finishes later -- restore its "
            f"file or submit anew with 'qheat submit {manifest['spec'].get('name') or 'SPEC'} --backend "
            f"{manifest['backend']} --output {path.parent} --force'"
        )


def status(path: Path, *, instance: str | None = None, echo: Echo = print) -> list[dict[str, Any]]:
    """The state of every job of a manifest (printed through ``echo``)."""
    from qheat.backends.runtime import job_states

    manifest = checked_manifest(path)
    states = job_states(path, manifest, instance=instance)
    _local_jobs_intact(path, manifest, states)
    echo(
        f"{manifest['spec'].get('name') or 'spec'} on {manifest['backend']} (manifest {manifest['id']}, "
        f"{len(states)} jobs)"
    )
    for st in states:
        echo(
            f"  job {st['index']:3d}  {st['job_id'] or '-':38s}  {st['state']}"
            + ("  (fetched)" if st.get("fetched") else "")
            + f"  {st['circuits']} circuits"
        )
    return states


def fetch(path: Path, *, output: str | None = None, instance: str | None = None, echo: Echo = print) -> Path | None:
    """Download the finished jobs of a manifest; once all are final, write the records, then the result."""
    from qheat import engine
    from qheat.backends.runtime import FINAL_STATES, manifest_paths
    from qheat.backends.runtime import fetch as fetch_jobs

    checked_manifest(path)
    manifest, report, counts = fetch_jobs(path, instance=instance, echo=echo)
    _local_jobs_intact(path, manifest, report)
    waiting = [r for r in report if r["state"] not in FINAL_STATES]
    for r in report:
        if r["state"] != "DONE":
            print(f"job {r['index']} ({r['job_id'] or 'never submitted'}): {r['state']}", file=sys.stderr)
    if waiting:
        unsubmitted = [r for r in waiting if r["state"] == "NOT SUBMITTED"]
        hint = f"; submit them with 'qheat submit --resume {path}'" if unsubmitted else "; run fetch again later"
        echo(f"{len(report) - len(waiting)} of {len(report)} jobs finished, {len(waiting)} not yet{hint}")
        return None
    if not counts:
        raise QheatError(f"no job of {path} finished successfully: nothing to analyse")
    spec = spec_from_dict(manifest["spec"])
    proto = protocol_of(spec)
    files = manifest_paths(path)
    doc = proto.records_from_jobs(spec, manifest, counts, report)
    data = engine.analyze(doc).to_dict()
    target = Path(output) if output else files["result"]
    with Lock(files["records"]), Lock(target):
        if target.exists() and not same_run(read_json_or_none(target), spec, manifest["backend"]):
            raise QheatError(
                f"{target} holds something other than a result of this manifest's spec; give another --output"
            )
        write_json_atomic(files["records"], doc, indent=None)
        write_json_atomic(target, data)
    failed = [r for r in report if r["state"] != "DONE"]
    echo(
        f"{data['spec'].get('name') or 'spec'}: {proto.summary(data)} -> {target}"
        + (f" ({len(failed)} jobs failed or cancelled; analysed the rest)" if failed else "")
    )
    return target
