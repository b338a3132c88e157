"""Seed 001 submitted to a device as jobs: the circuits of a reset-mode run, a manifest, and records from jobs."""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.backends.runtime.runs import merge_pub_counts
from qheat.core.errors import QheatError
from qheat.core.records import RECORDS_KIND
from qheat.core.result import RESULT_SCHEMA
from qheat.core.version import __version__
from qheat.protocols.cascade.circuits import CascadeCircuits
from qheat.protocols.cascade.collect import (
    branches,
    calibration_circuits,
    measurement_circuits,
    split_shots,
)
from qheat.protocols.cascade.devices import circuit_costs, runtime_backend
from qheat.protocols.cascade.records import seed_sequence
from qheat.protocols.cascade.spec import CascadeSpec


def submission_circuits(spec: CascadeSpec, be: Any) -> tuple[list, list[int], list[dict], CascadeCircuits]:
    """Every measurement circuit of a ``reset``-mode run, compiled for ``be`` (a prepared RuntimeBackend):
    circuits, shots (each setting's shots split among the preparation branches by a multinomial draw, as
    ``collect`` does) and the metadata of each record. Readout calibration circuits are added per job by
    ``backends.runtime.plan_jobs``."""
    if spec.execution.mode != "reset":
        raise QheatError(
            "qheat submit runs mode 'reset' (every circuit known in advance); mode 'reprepare' needs "
            "each run's tomography before the next run: use 'qheat run SPEC --backend ...', which waits"
        )
    if spec.mitigation is not None and spec.mitigation.estimator:
        raise QheatError(
            "qheat submit sends Sampler jobs; mitigation.estimator (the Estimator path) runs with "
            "'qheat run SPEC --backend ...', which waits for its jobs"
        )
    rng = np.random.default_rng(seed_sequence(spec))
    cc = CascadeCircuits(spec, be.compile, "phase")
    steps = spec.record_steps()
    preps = branches(spec, spec.initial_state(), True)
    weights = np.array([w for w, _ in preps])
    split = {k: split_shots(rng, spec.measurement.shots, weights, len(cc.settings)) for k in steps}
    circuits, shots, meta = measurement_circuits(cc, preps, 0, steps, split, rng, spec.noise_factors, be.layout_target)
    # step-major: a job that fails takes few records with it (a record needs every branch of every setting)
    order = sorted(range(len(meta)), key=lambda i: (meta[i]["step"], meta[i]["branch"]))
    return [circuits[i] for i in order], [shots[i] for i in order], [meta[i] for i in order], cc


def records_from_jobs(
    spec: CascadeSpec, manifest: dict[str, Any], job_counts: dict[int, list[dict[str, int]]], report: list[dict]
) -> dict[str, Any]:
    """The records document of a submission: the counts of every finished job with the metadata the manifest
    kept for each of its pubs (twirled instances of one circuit summed), calibration apart."""
    merged, meta_of, calibration = merge_pub_counts(manifest, job_counts)
    records = [{"counts": merged[i], "metadata": meta_of[i]} for i in sorted(merged)]
    lost = sorted(
        {
            pub["metadata"]["step"]
            for job in manifest["jobs"]
            if job["index"] not in job_counts
            for pub in job["pubs"]
            if "metadata" in pub
        }
    )
    return {
        "kind": RECORDS_KIND,
        "schema": RESULT_SCHEMA,
        "protocol": "cascade",
        "qheat_version": __version__,
        "spec": manifest["spec"],
        "backend": manifest["backend"],
        "metadata": {
            "spec_key": spec.key(),
            "backend": manifest["backend"],
            "seed": spec.measurement.seed,
            "mode": spec.execution.mode,
            "engine": manifest.get("engine", "circuits (Qiskit Runtime executor_sampler.Sampler)"),
            "preparation": spec.execution.preparation,
            "settings": "Pauli index per measured qubit (0 = Z, 1 = X, 2 = Y), entry j for qubit j; "
            "bitstrings with qubit 0 rightmost",
            "shots_per_setting": spec.measurement.shots,
            "jobs": len(manifest["jobs"]),
            "jobs_report": report,
            "incomplete_steps": lost,
            "manifest": manifest["id"],
            "device": manifest.get("device"),
            "layout": manifest.get("layout"),
            "costs": manifest.get("costs"),
            "mitigation": manifest.get("options", {}).get("mitigation"),
            "versions": manifest.get("versions"),
            "seconds": None,
        },
        "runs": [],
        "records": records,
        **({"calibration": calibration} if calibration else {}),
    }


def plan_submission(
    spec: CascadeSpec, backend: str, *, instance: str | None = None, max_circuits: int | None = None
) -> tuple[dict[str, Any], list]:
    """The ISA circuits of ``spec`` for ``backend`` split into jobs: the manifest (without its circuits file,
    which ``qheat.submission`` writes) and the circuits in the manifest's order."""
    import time
    import uuid

    from qheat.backends import runtime as rt

    if spec.sweep is not None:
        raise QheatError("submit one spec at a time; run the points of the sweep separately")
    if spec.execution.mode != "reset" or (spec.mitigation is not None and spec.mitigation.estimator):
        submission_circuits(spec, None)  # raises the explanation before any layout is chosen
    be = runtime_backend(spec, backend, instance=instance)
    circuits, shots, meta, cc = submission_circuits(spec, be)
    seed = int(np.random.default_rng(seed_sequence(spec, 11)).integers(2**31))
    pubs, origin = be.pubs(circuits, shots, seed)
    calibration = None
    if spec.mitigation is not None and spec.mitigation.readout:
        calibration = {label: be.isa(qc) for label, qc in calibration_circuits(cc).items()}
    limit = max_circuits or be.max_circuits
    flat, jobs = rt.plan_jobs(pubs, origin, meta, calibration, spec.measurement.shots, limit)
    manifest = {
        "kind": rt.MANIFEST_KIND,
        "format": rt.MANIFEST_FORMAT,
        "id": uuid.uuid4().hex[:16],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "spec": spec.to_dict(),
        "backend": backend,
        "device": be.device.name,
        "store": "local" if be.kind == "fake" else "ibm",
        "layout": be.layout.to_dict(),
        "costs": circuit_costs(cc, spec),
        "engine": "circuits (Qiskit Runtime executor_sampler.Sampler"
        + (
            ", local mode on the fake device restricted to the layout)"
            if be.kind == "fake"
            else ", IBM Quantum, in a Batch)"
        ),
        "options": {
            "shots_per_setting": spec.measurement.shots,
            "seed": seed,
            "max_circuits": limit,
            "mitigation": dict(be.mitigation),
            "runtime_options": (
                {"dynamical_decoupling.enable": True, "dynamical_decoupling.sequence_type": "XY4"}
                if be.mitigation.get("dynamical_decoupling") and be.kind == "ibm"
                else {}
            )
            | ({"twirling.enable_gates": True} if be.mitigation.get("twirling") and be.kind == "ibm" else {}),
            "local_techniques": "dynamical decoupling / twirling applied by qheat (as before the client-side "
            "Sampler; not passed as its options)"
            if be.kind == "fake"
            else None,
        },
        "versions": rt.versions(),
        "circuits": len(circuits),
        "jobs": jobs,
    }
    return manifest, flat
