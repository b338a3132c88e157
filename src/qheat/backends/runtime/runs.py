"""Whole-circuit protocols (heat-transfer, correlated-pair, heat-pump, reservoirs) on Runtime devices.

One mechanism for all of them, beside the cascade's piece-built one:

- ``check_runtime``: before any work, a spec wider than the fake device, or ``ibm:`` without an
  account, is refused in one line;
- ``prepare_run``: the layout of the circuits' two-qubit interaction graph chosen by the device's reported
  errors (``layout.choose_graph_layout``), the ``RuntimeBackend`` prepared on those qubits (so ``fake:``
  simulates them alone), a compiler for whole circuits (``layout.CircuitCompiler``), and the ``device``
  metadata every device result carries: device, layout, costs (two-qubit gates, depth, SWAPs), engine;
- ``BatchSubmission``: ``plan_submission`` / ``records_from_jobs`` for a protocol whose batches never
  depend on earlier counts -- the circuits of every batch become jobs, each record keeps its circuit's
  metadata, and the generator's return value (computed at planning) is the records' metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Checkpoint
from qheat.core.records import RECORDS_KIND, jsonable
from qheat.core.result import RESULT_SCHEMA
from qheat.core.version import __version__


def check_runtime(backend: str, width: int, what: str) -> None:
    """Refuse, before any work, a spec wider than the fake device, or ``ibm:`` without an account."""
    from qheat.backends.runtime.account import credentials
    from qheat.backends.runtime.devices import FAKE_PREFIX, check_name, fake_device

    check_name(backend)
    if backend.startswith(FAKE_PREFIX):
        qubits = int(fake_device(backend).num_qubits)
        if width > qubits:
            raise QheatError(f"{what} needs {width} qubits but {backend} has {qubits}")
        return
    credentials()  # one line when there is no account; the device's width is checked once it is reached


@dataclass(frozen=True, eq=False)
class DeviceRun:
    """A ``RuntimeBackend`` prepared for a protocol's circuits: its layout and the compiler for it."""

    device: Any
    layout: Any  # layout.GraphLayout
    names: tuple[str, ...]
    compiler: Any  # layout.CircuitCompiler

    def compile(self, qc: Any) -> Any:
        return self.compiler(qc)

    def metadata(self, compiled: Sequence[Any], group: int | None = None, **costs: Any) -> dict[str, Any]:
        """What a device result reports: device, layout (with the shape of its logical qubits and, with
        ``group``, of the first ``group`` of them, e.g. the interacting system), costs, engine."""
        from qheat.backends.runtime.devices import versions
        from qheat.backends.runtime.layout import circuit_costs, shape

        be = self.device
        layout = self.layout.to_dict(self.names)
        layout["shape"] = shape(be.device.target, self.layout.qubits[: self.layout.width])
        if group is not None:
            layout["group_shape"] = {
                "qubits": list(self.names[:group]),
                "shape": shape(be.device.target, self.layout.qubits[:group]),
            }
        return {
            "device": be.device.name,
            "layout": layout,
            "costs": {**circuit_costs(compiled), **costs},
            "engine": "circuits (Qiskit Runtime executor_sampler.Sampler"
            + (", local mode on the fake device restricted to the layout)" if be.kind == "fake" else ")"),
            "versions": versions(),
        }


def prepare_run(
    device: Any, circuits: Sequence[Any], *, names: Sequence[str] = (), measured: Sequence[int] = (), seed: int = 0
) -> DeviceRun:
    """Choose the layout of ``circuits`` (logical) on ``device`` (a ``RuntimeBackend``) and prepare it there."""
    from qheat.backends.runtime.layout import CircuitCompiler, choose_graph_layout, interaction_graph

    width, edges = interaction_graph(circuits)
    device.check_width(width, f"{width}-qubit circuits")
    layout = choose_graph_layout(device.device.target, width, edges, tuple(measured))
    device.prepare(len(layout.qubits) - 1, width, seed=seed % 2**31, layout=layout.qubits)
    return DeviceRun(device, layout, tuple(names), CircuitCompiler(device.layout_target, seed % 2**31))


# ----------------------------------------------------------------------------- submissions (qheat submit)


class BatchSubmission:
    """``qheat submit/status/fetch`` for a protocol whose batches (all of kind "counts", register "meas")
    never depend on the counts of earlier ones."""

    name: str = ""

    def plan_submission(
        self, spec: Any, backend: str, *, instance: str | None = None, max_circuits: int | None = None
    ) -> tuple[dict[str, Any], list]:
        return plan_batches(self, spec, backend, instance=instance, max_circuits=max_circuits)

    def records_from_jobs(
        self, spec: Any, manifest: dict[str, Any], job_counts: dict[int, list], report: list[dict]
    ) -> dict[str, Any]:
        return records_from_batches(self, spec, manifest, job_counts, report)


def plan_batches(
    proto: Any, spec: Any, backend: str, *, instance: str | None = None, max_circuits: int | None = None
) -> tuple[dict[str, Any], list]:
    """Every circuit of ``proto.batches(spec, device)`` compiled for ``backend`` and split into jobs: the
    manifest (as the cascade's) and the circuits in its order."""
    import time
    import uuid

    from qheat.backends import runtime as rt

    if spec.sweep is not None:
        raise QheatError("submit one spec at a time; run the points of the sweep separately")
    proto.check(spec, backend)
    be = rt.RuntimeBackend(backend, instance=instance)
    circuits, shots, meta, seeds = [], [], [], []
    gen = proto.batches(spec, be, None)
    try:
        item = next(gen)
        while True:
            if isinstance(item, Checkpoint):
                item = gen.send([])
                continue
            if item.kind != "counts" or item.register != "meas":
                raise QheatError(
                    f"protocol {proto.name!r}: batch {item.label!r} ({item.kind}, register "
                    f"{item.register!r}) cannot be submitted; use 'qheat run --backend {backend}'"
                )
            seeds.append(int(item.seed))
            circuits += list(item.circuits)
            shots += [int(s) for s in item.shots]
            meta += [dict(m) for m in item.metadata]
            item = gen.send([{"metadata": dict(m), "counts": {}} for m in item.metadata])
    except StopIteration as stop:
        body = jsonable(dict(stop.value or {}))
    seed = (seeds[0] if seeds else 0) % 2**31
    pubs, origin = be.pubs(circuits, shots, seed)
    limit = max_circuits or be.max_circuits
    flat, jobs = rt.plan_jobs(pubs, origin, meta, None, 0, limit)
    device = body.get("metadata", {})
    manifest = {
        "kind": rt.MANIFEST_KIND,
        "format": rt.MANIFEST_FORMAT,
        "id": uuid.uuid4().hex[:16],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "spec": spec.to_dict(),
        "backend": backend,
        "device": be.device.name,
        "store": "local" if be.kind == "fake" else "ibm",
        "layout": device.get("layout"),
        "costs": device.get("costs"),
        "engine": device.get("engine"),
        "options": {"seed": seed, "max_circuits": limit, "mitigation": dict(be.mitigation), "runtime_options": {}},
        "versions": rt.versions(),
        "circuits": len(circuits),
        "jobs": jobs,
        "document": body,
    }
    return manifest, flat


def merge_pub_counts(
    manifest: dict[str, Any], job_counts: dict[int, list]
) -> tuple[dict[int, dict[str, int]], dict[int, dict], list[dict]]:
    """The counts of every finished job summed per circuit (over the pubs a circuit became, e.g. twirled
    instances), each circuit's metadata, and the records of calibration pubs, kept apart."""
    merged: dict[int, dict[str, int]] = {}
    meta_of: dict[int, dict] = {}
    calibration: list[dict] = []
    for job in manifest["jobs"]:
        counts = job_counts.get(job["index"])
        if counts is None:
            continue
        if len(counts) != len(job["pubs"]):
            raise QheatError(
                f"job {job['index']} ({job.get('job_id')}) returned {len(counts)} results for "
                f"{len(job['pubs'])} circuits"
            )
        for pub, c in zip(job["pubs"], counts):
            if "calibration" in pub:
                calibration.append(
                    {"counts": dict(c), "metadata": {"calibration": pub["calibration"], "job": job["index"]}}
                )
                continue
            acc = merged.setdefault(pub["circuit"], {})
            meta_of[pub["circuit"]] = pub["metadata"]
            for k, v in c.items():
                acc[k] = acc.get(k, 0) + int(v)
    return merged, meta_of, calibration


def records_from_batches(
    proto: Any, spec: Any, manifest: dict[str, Any], job_counts: dict[int, list], report: list[dict]
) -> dict[str, Any]:
    """The records document of a submission: each circuit's counts (summed over the pubs a circuit became)
    with its metadata, in circuit order; the metadata the protocol's batches returned, plus the jobs."""
    merged, meta_of, _ = merge_pub_counts(manifest, job_counts)
    body = dict(manifest.get("document") or {})
    missing = manifest["circuits"] - len(merged)
    if missing:
        raise QheatError(
            f"{missing} of {manifest['circuits']} circuits have no counts (jobs failed or cancelled); "
            f"{proto.name} needs every circuit: submit the spec again"
        )
    metadata = {
        **body.pop("metadata", {}),
        "spec_key": spec.key(),
        "backend": manifest["backend"],
        "seconds": None,
        "jobs": len(manifest["jobs"]),
        "jobs_report": report,
        "manifest": manifest["id"],
    }
    return {
        "kind": RECORDS_KIND,
        "schema": RESULT_SCHEMA,
        "protocol": proto.name,
        "qheat_version": __version__,
        "spec": manifest["spec"],
        "backend": manifest["backend"],
        "metadata": metadata,
        **body,
        "records": [{"counts": merged[i], "metadata": meta_of[i]} for i in sorted(merged)],
    }
