"""Jobs that survive a crash (``qheat submit`` / ``status`` / ``fetch``).

A ``JobStore`` submits one job per chunk of circuits (each tagged), finds a job by its tag (so a crash
between submitting and recording the id never submits twice), reports its status and returns its counts.
``IBMJobStore`` talks to the service, from any process (``service.job(id)``); ``LocalJobStore`` runs the
local-mode job at once and keeps its counts in a folder beside the manifest (local jobs cannot be
retrieved by id from another process). A manifest ``<key>.manifest.json`` lists the jobs, beside the
circuits (QPY) they run; every change to it is written atomically as soon as it happens.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qheat.backends.runtime.account import NETWORK_DEADLINE, _with_deadline, service
from qheat.backends.runtime.devices import IBM_PREFIX, fake_device, restricted_fake
from qheat.backends.runtime.primitives import (
    equal_shots,
    ibm_sampler,
    local_simulator,
    pub_counts,
    run_local,
    trim_counts,
)
from qheat.core.errors import QheatError

FINAL_STATES = ("DONE", "ERROR", "CANCELLED")


# ----------------------------------------------------------------------------- job stores


class JobStore(Protocol):
    """Where jobs go and come back from; the manifest keeps only what a store hands out (ids, tags)."""

    kind: str

    def submit(self, pubs: list, tag: str, seed: int) -> str: ...

    def find(self, tag: str) -> str | None: ...

    def status(self, job_id: str) -> str: ...

    def counts(self, job_id: str) -> list[dict[str, int]]: ...


class LocalJobStore:
    """Runtime local mode: each job runs at once (``executor_sampler.Sampler`` in a ``Batch`` on the
    restricted fake device's simulator, ``primitives.run_local``) and its counts are written to
    ``folder/<job_id>.json`` -- the stand-in for the service, which ``status``/``counts`` read from any
    process later. A job killed while running leaves nothing, so ``find`` does not see it and it is
    submitted again (nothing ran)."""

    kind = "local"

    def __init__(self, folder: Path, device=None, options: dict[str, Any] | None = None) -> None:
        self.folder, self.device, self.options = Path(folder), device, options or {}

    def _path(self, job_id: str) -> Path:
        if not job_id or any(c in job_id for c in "/\\") or job_id.startswith("."):
            raise QheatError(f"malformed local job id {job_id!r}")
        return self.folder / f"{job_id}.json"

    def _read(self, job_id: str) -> dict[str, Any]:
        path = self._path(job_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise QheatError(
                f"local job {job_id} has no stored result in {self.folder} (local-mode jobs live only "
                "beside the manifest that submitted them)"
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise QheatError(f"stored local job {path} is corrupted ({type(exc).__name__})") from None
        if not isinstance(data, dict) or data.get("job_id") != job_id:
            raise QheatError(f"stored local job {path} is not the job {job_id}")
        return data

    def submit(self, pubs: list, tag: str, seed: int) -> str:
        from qiskit_ibm_runtime import Batch

        from qheat.core.records import write_json_atomic

        if self.device is None:
            raise QheatError("this local job store cannot submit (no device)")
        import uuid

        started = time.time()
        job_id = str(uuid.uuid4())  # local mode runs one primitive job per pub; one id for the whole job
        with Batch(backend=local_simulator(self.device)) as batch:
            try:
                counts = run_local(batch, pubs, seed)
                status = "DONE"
            except Exception as exc:  # noqa: BLE001 -- a failed job is a state, kept per job
                counts, status = None, "ERROR"
                error = f"{type(exc).__name__}: {exc}"[:500]
        record = {
            "job_id": job_id,
            "tag": tag,
            "status": status,
            "backend": self.device.name,
            "seconds": round(time.time() - started, 3),
            "counts": counts,
        }
        if status != "DONE":
            record["error"] = error
        write_json_atomic(self._path(job_id), record, indent=None)
        return job_id

    def find(self, tag: str) -> str | None:
        if not self.folder.is_dir():
            return None
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("tag") == tag:
                return str(data.get("job_id"))
        return None

    def status(self, job_id: str) -> str:
        try:
            return str(self._read(job_id)["status"])
        except QheatError:
            return "UNKNOWN"

    def counts(self, job_id: str) -> list[dict[str, int]]:
        data = self._read(job_id)
        if data.get("status") != "DONE" or not isinstance(data.get("counts"), list):
            raise QheatError(f"local job {job_id} is {data.get('status')}, it has no counts")
        return data["counts"]


class IBMJobStore:
    """Jobs on IBM Quantum: ``executor_sampler.Sampler`` in one ``Batch`` per submitting process, tagged;
    found again by tag (``service.jobs(job_tags=...)``) and by id (``service.job``) from any process or
    machine. A job runs its pubs at their largest shot count (the Sampler's rule); ``fetch`` trims each
    pub's counts to its planned shots (``primitives.trim_counts``)."""

    kind = "ibm"

    def __init__(self, service, device=None, options: dict[str, Any] | None = None) -> None:
        self.service, self.device, self.options = service, device, options or {}
        self._batch = None

    def _sampler(self):
        from qiskit_ibm_runtime import Batch

        if self._batch is None:
            self._batch = Batch(backend=self.device)
        return ibm_sampler(self._batch, self.options)

    def submit(self, pubs: list, tag: str, seed: int) -> str:
        sampler = self._sampler()
        sampler.options.environment.job_tags = [tag]
        return sampler.run(equal_shots(pubs)).job_id()

    def find(self, tag: str) -> str | None:
        jobs = self.service.jobs(job_tags=[tag], limit=5)
        return jobs[0].job_id() if jobs else None

    def status(self, job_id: str) -> str:
        status = self.service.job(job_id).status()
        return str(getattr(status, "name", status)).upper()

    def counts(self, job_id: str) -> list[dict[str, int]]:
        return pub_counts(self.service.job(job_id).result())

    def close(self) -> None:
        if self._batch is not None:
            with contextlib.suppress(Exception):  # closing only stops new jobs; submitted ones run on
                self._batch.close()


# ----------------------------------------------------------------------------- manifests

MANIFEST_KIND = "qheat-manifest"
MANIFEST_FORMAT = 1
MANIFEST_KEYS = ("id", "spec", "backend", "store", "layout", "jobs", "circuits_file", "circuits_sha256", "options")


def manifest_paths(manifest: Path) -> dict[str, Path]:
    """Files beside a manifest ``<key>.manifest.json``: circuits (QPY), local job store, fetched jobs,
    records, result."""
    manifest = Path(manifest)
    stem = manifest.name[: -len(".manifest.json")] if manifest.name.endswith(".manifest.json") else manifest.stem
    folder = manifest.parent
    return {
        "circuits": folder / f"{stem}.circuits.qpy",
        "local": folder / f"{stem}.local-jobs",
        "fetched": folder / f"{stem}.jobs",
        "records": folder / f"{stem}.records.json",
        "result": folder / f"{stem}.json",
    }


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest, checked: JSON, kind, format, keys, jobs, and the circuits file it names (hash)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QheatError(f"no such manifest: {path}") from None
    except IsADirectoryError:
        raise QheatError(f"{path} is a directory, not a manifest") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise QheatError(f"{path} is corrupted: not JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(data, dict) or data.get("kind") != MANIFEST_KIND:
        kind = data.get("kind") if isinstance(data, dict) else None
        raise QheatError(
            f"{path} is not a qheat manifest (kind {kind!r}, expected {MANIFEST_KIND!r}); "
            "'qheat submit' writes <name>.manifest.json"
        )
    if data.get("format") != MANIFEST_FORMAT:
        raise QheatError(
            f"{path}: manifest format {data.get('format')!r} is not {MANIFEST_FORMAT} (another qheat version?)"
        )
    missing = next((k for k in MANIFEST_KEYS if k not in data), None)
    if missing:
        raise QheatError(f"{path} is corrupted: the manifest has no {missing!r}")
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not all(
        isinstance(j, dict) and isinstance(j.get("pubs"), list) and j.get("index") == i for i, j in enumerate(jobs)
    ):
        raise QheatError(f"{path} is corrupted: malformed 'jobs'")
    if data["store"] not in ("local", "ibm"):
        raise QheatError(f"{path} is corrupted: unknown job store {data['store']!r}")
    return data


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    from qheat.core.records import write_json_atomic

    write_json_atomic(path, manifest)


def load_circuits(path: Path, manifest: dict[str, Any]) -> list:
    """The ISA circuits a manifest was built with (QPY beside it), checked against its hash."""
    from qiskit import qpy

    qpy_path = manifest_paths(path)["circuits"]
    if not qpy_path.is_file():
        raise QheatError(f"the circuits of {path} are missing ({qpy_path.name}); they are needed to resume submitting")
    if _sha256(qpy_path) != manifest["circuits_sha256"]:
        raise QheatError(f"{qpy_path} does not match its manifest (hash differs): corrupted or from another submission")
    with qpy_path.open("rb") as fh:
        return qpy.load(fh)


def job_store(path: Path, manifest: dict[str, Any], *, submitting: bool = False, instance: str | None = None):
    """The store of a manifest's jobs: local (files beside the manifest) or IBM (the service)."""
    if manifest["store"] == "local":
        device = None
        if submitting:
            device = restricted_fake(fake_device(manifest["backend"]), tuple(manifest["layout"]["physical_qubits"]))
        return LocalJobStore(manifest_paths(path)["local"], device, manifest["options"].get("mitigation"))
    svc = service(instance)
    device = None
    if submitting:
        device = _with_deadline(
            lambda: svc.backend(manifest["backend"][len(IBM_PREFIX) :]), NETWORK_DEADLINE, "IBM Quantum did not answer"
        )
    return IBMJobStore(svc, device, manifest["options"].get("mitigation"))


def plan_jobs(
    pubs: list,
    origin: list[int],
    meta: list[dict],
    calibration: dict[str, Any] | None,
    calibration_shots: int,
    max_circuits: int,
) -> tuple[list, list[dict]]:
    """Split pubs into jobs of at most ``max_circuits`` (two of them readout calibration circuits when
    ``calibration`` is given). Returns the flat list of all pub circuits (in job order) and the jobs
    (index, pubs: {"circuit": i, "shots", "metadata"} or {"calibration": label, "shots"})."""
    per_job = max_circuits - (len(calibration) if calibration else 0)
    if per_job < 1:
        raise QheatError(f"--max-circuits {max_circuits} leaves no room beside the calibration circuits")
    circuits, jobs = [], []
    for j, start in enumerate(range(0, len(pubs), per_job)):
        entries = []
        for (qc, _, shots), o in zip(pubs[start : start + per_job], origin[start : start + per_job]):
            circuits.append(qc)
            entries.append({"circuit": int(o), "shots": int(shots), "metadata": meta[o]})
        for label, qc in (calibration or {}).items():
            circuits.append(qc)
            entries.append({"calibration": label, "shots": int(calibration_shots)})
        jobs.append({"index": j, "tag": None, "job_id": None, "state": "planned", "pubs": entries})
    return circuits, jobs


def submit_pending(path: Path, *, store=None, instance: str | None = None, echo=print) -> dict[str, Any]:
    """Submit every job of a manifest that has no id yet, recording each id atomically as soon as the
    service gives it. A job marked ``submitting`` (a crash between submitting and recording) is looked up
    by its tag first and adopted if the service has it: nothing is submitted twice."""
    manifest = read_manifest(path)
    pending = [j for j in manifest["jobs"] if not j.get("job_id")]
    if not pending:
        echo(f"{path}: all {len(manifest['jobs'])} jobs already submitted")
        return manifest
    circuits = load_circuits(path, manifest)
    store = store or job_store(path, manifest, submitting=True, instance=instance)
    offsets = np.cumsum([0] + [len(j["pubs"]) for j in manifest["jobs"]])
    for job in pending:
        tag = job.get("tag") or f"qheat-{manifest['id']}-{job['index']}"
        if job.get("state") == "submitting":
            found = store.find(tag)
            if found:
                job.update(job_id=found, state="submitted", recovered_by_tag=True)
                write_manifest(path, manifest)
                echo(f"job {job['index']}: found {found} by its tag (submitted before an interruption)")
                continue
        job.update(tag=tag, state="submitting")
        write_manifest(path, manifest)
        lo = int(offsets[job["index"]])
        pubs = [(circuits[lo + i], None, p["shots"]) for i, p in enumerate(job["pubs"]) if p["shots"] > 0]
        if len(pubs) != len(job["pubs"]):
            raise QheatError(f"{path}: job {job['index']} has circuits with no shots")
        job_id = store.submit(pubs, tag, seed=int(manifest["options"]["seed"]) + job["index"])
        job.update(job_id=job_id, state="submitted", submitted=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        write_manifest(path, manifest)
        echo(f"job {job['index']}: {job_id} ({len(pubs)} circuits)")
    if hasattr(store, "close"):
        store.close()
    return manifest


def job_states(path: Path, manifest: dict[str, Any], store=None, instance: str | None = None) -> list[dict[str, Any]]:
    """Each job's state: fetched (saved beside the manifest), or the store's word (DONE, QUEUED, RUNNING,
    ERROR, CANCELLED), or 'not submitted'."""
    fetched = manifest_paths(path)["fetched"]
    out = []
    for job in manifest["jobs"]:
        entry = {"index": job["index"], "job_id": job.get("job_id"), "circuits": len(job["pubs"])}
        if not job.get("job_id"):
            entry["state"] = "NOT SUBMITTED"
        elif (fetched / f"{job['job_id']}.json").is_file():
            entry["state"] = "DONE"
            entry["fetched"] = True
        else:
            if store is None:
                store = job_store(path, manifest, instance=instance)
            try:
                entry["state"] = store.status(job["job_id"])
            except QheatError:
                raise
            except Exception as exc:  # noqa: BLE001 -- one job's trouble is that job's state
                entry["state"] = f"UNKNOWN ({type(exc).__name__})"
        out.append(entry)
    return out


def fetch(
    path: Path, *, store=None, instance: str | None = None, echo=print
) -> tuple[dict[str, Any], list[dict], dict[int, list]]:
    """Download every finished job not yet saved (resuming), then return the manifest, the per-job report
    and the counts of every saved job. Jobs already saved are read from disk, not downloaded again."""
    from qheat.core.records import write_json_atomic

    manifest = read_manifest(path)
    folder = manifest_paths(path)["fetched"]
    report = job_states(path, manifest, store, instance)
    counts: dict[int, list] = {}
    for entry, job in zip(report, manifest["jobs"]):
        saved = folder / f"{job.get('job_id')}.json"
        if entry.get("fetched"):
            try:
                data = json.loads(saved.read_text(encoding="utf-8"))
                counts[job["index"]] = data["counts"]
            except (OSError, ValueError, KeyError, TypeError):
                raise QheatError(
                    f"{saved} is corrupted; delete it and run fetch again to download the job anew"
                ) from None
            continue
        if entry["state"] == "DONE":
            if store is None:
                store = job_store(path, manifest, instance=instance)
            got = trim_counts(
                store.counts(job["job_id"]),
                [int(p["shots"]) for p in job["pubs"]],
                int(manifest["options"]["seed"]) + job["index"],
            )
            write_json_atomic(saved, {"job_id": job["job_id"], "index": job["index"], "counts": got}, indent=None)
            counts[job["index"]] = got
            entry["fetched"] = True
            echo(f"job {job['index']}: {job['job_id']} downloaded")
    return manifest, report, counts
