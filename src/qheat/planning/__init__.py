"""``qheat plan SPEC --backend NAME --target-error E``: what resolving every reported heat to +-E costs on a
device, per mitigation technique, before any budget is spent.

Two families of rows, each predicted offline from the device's noise model and checked against measured
error bars (``benchmarks/runtime_plan.py``): the Sampler path's (``sampler``: raw counts, readout
mitigation, ZNE by folding; every protocol) and the Estimator path's (``estimator``: TREX, with ZNE, PEA
or PEC; the cascade). Each row: circuits, jobs, shots per setting (per Pauli basis for the Estimator)
for +-E, total shots, device time, and the error bar of each heat at the spec's shots.
"""

from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.mitigation.pauli import OBSERVABLES
from qheat.planning import estimator, sampler
from qheat.planning.sampler import JOB_OVERHEAD_S, REPLICAS, _durations, distributions, technique_row
from qheat.protocols.registry import load_spec, protocol_of

__all__ = ["JOB_OVERHEAD_S", "REPLICAS", "_durations", "distributions", "plan", "table", "technique_row"]

SAMPLER = tuple(sampler.TECHNIQUES)
ESTIMATOR = tuple(estimator.TECHNIQUES)


def plan(
    spec_name: str,
    backend: str,
    target_error: float,
    *,
    techniques: list[str] | None = None,
    replicas: int = REPLICAS,
    job_overhead: float = JOB_OVERHEAD_S,
    observables: str | None = None,
    allow_large: bool = False,
) -> dict[str, Any]:
    """The plan of ``spec_name`` on ``backend`` (``fake:<name>``, or ``ibm:<name>`` through its fake twin).
    ``observables``: the Estimator rows' Pauli set (default the spec's ``[mitigation] observables``). The
    plan simulates the run's circuits, so a run beyond the spec's limits (``qheat run``'s cost guard) is
    refused here too, before any work (``allow_large``: plan it anyway)."""
    from qheat import engine
    from qheat.backends.runtime import check_name, fake_names

    if not target_error > 0:
        raise QheatError(f"--target-error must be > 0, got {target_error}")
    if replicas < 2:
        raise QheatError(f"--replicas must be >= 2, got {replicas}")
    check_name(backend)
    twin = backend
    if backend.startswith("ibm:"):
        twin = "fake:" + backend[4:].removeprefix("ibm_")
        if twin not in fake_names():
            raise QheatError(
                f"plan predicts from a device's noise model offline; {backend} has no fake twin "
                f"({twin}); plan on a fake:<name> device"
            )
    spec: Any = load_spec(spec_name)  # a protocol's spec (measurement.shots, .seed)
    engine.prepare(spec, twin, allow_large=allow_large)
    cascade = protocol_of(spec).name == "cascade"
    chosen = techniques or [*SAMPLER, *(ESTIMATOR if cascade else ())]
    unknown = [t for t in chosen if t not in SAMPLER and t not in ESTIMATOR]
    if unknown:
        raise QheatError(f"unknown technique {unknown[0]!r}; choose from {', '.join([*SAMPLER, *ESTIMATOR])}")
    if not cascade and any(t in ESTIMATOR for t in chosen):
        raise QheatError(
            f"the Estimator techniques ({', '.join(ESTIMATOR)}) run the cascade only; plan {protocol_of(spec).name} "
            f"with {', '.join(SAMPLER)}"
        )
    mitigation = getattr(spec, "mitigation", None)
    kind = observables or (mitigation.observables if mitigation is not None else "state")
    if kind not in OBSERVABLES:
        raise QheatError(f"unknown observables {kind!r}; choose from {', '.join(OBSERVABLES)}")
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for name in chosen:
        try:  # a technique the spec cannot run (each refuses in one line) is skipped unless asked for by name
            if name in ESTIMATOR:
                variant = estimator.variant(spec, name, kind)
                rows.append(estimator.technique_row(variant, twin, name, target_error, job_overhead=job_overhead))
                continue
            rows.append(
                technique_row(
                    spec,
                    twin,
                    name,
                    sampler.TECHNIQUES[name],
                    target_error,
                    replicas=replicas,
                    job_overhead=job_overhead,
                    seed=int(spec.measurement.seed),
                )
            )
        except QheatError as exc:
            if techniques:
                raise
            skipped[name] = str(exc)
    if not rows:
        raise QheatError(f"no technique can run this spec on {backend}: {next(iter(skipped.values()))}")
    return {
        "spec": spec.to_dict(),
        "backend": backend,
        "noise_model_of": twin,
        "target_error": target_error,
        "shots_in_spec": int(spec.measurement.shots),
        "observables": kind if any(t in ESTIMATOR for t in chosen) else None,
        "rows": rows,
        "skipped": skipped,
        "heat": "heat_absorbed of each subsystem at the last recorded step; sigma: standard deviation over "
        "parametric-bootstrap replicas drawn from the exact outcome distributions (Sampler rows), or the "
        "analysis' propagation of the predicted standard errors (Estimator rows)",
    }


def table(data: dict[str, Any]) -> str:
    """The plan as a text table."""
    observables = f"; Estimator rows measure {data['observables']!r}" if data.get("observables") else ""
    lines = [
        f"{data['spec'].get('name') or 'spec'} on {data['backend']} (noise model of {data['noise_model_of']}): "
        f"every heat to +-{data['target_error']:g}; spec has {data['shots_in_spec']} shots per setting{observables}",
        f"{'technique':24s} {'circuits':>8s} {'jobs':>5s} {'shots/setting':>13s} {'total shots':>12s} "
        f"{'device time':>12s}  sigma per heat at the spec's shots",
    ]
    for r in data["rows"]:
        sig = ", ".join(f"{s:.4f}" for s in r["sigma_at_spec_shots"])
        lines.append(
            f"{r['technique']:24s} {r['circuits']:8d} {r['jobs']:5d} {r['shots_per_setting']:13d} "
            f"{r['total_shots']:12d} {_hms(r['device_seconds']):>12s}  [{sig}]"
        )
    notes = sorted({n for r in data["rows"] for n in r["notes"]})
    skipped = [f"  skipped {name}: {why}" for name, why in data.get("skipped", {}).items()]
    return "\n".join(lines + [f"  note: {n}" for n in notes] + skipped)


def _hms(seconds: float) -> str:
    h, rest = divmod(int(round(seconds)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"
