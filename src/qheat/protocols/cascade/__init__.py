"""Seed 001: a coherent multipartite system in cascade (or simultaneous) contact with a bath."""

from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.core.limits import Cost
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.core.spec import SpecFile
from qheat.protocols.cascade.spec import (
    CASCADE_KEYS,
    CASCADE_OPTIONAL,
    CascadeSpec,
    cascade_from_dict,
)


class Cascade(Protocol):
    """Partial-SWAP collisions S_k-R with a bath particle refreshed every collision (seed 001, Fig. 1)."""

    name = "cascade"
    keys = frozenset(CASCADE_KEYS | CASCADE_OPTIONAL)
    required = frozenset(CASCADE_KEYS)

    def parse(self, top, protocol, name, description, sweep):
        return cascade_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: SpecFile, backend: str) -> None:
        from qheat.backends import check, is_runtime_backend

        check(backend)
        if is_runtime_backend(backend):
            from qheat.protocols.cascade.devices import check_device

            check_device(_own(spec), backend)

    def cost(self, spec: SpecFile, backend: str) -> Cost:
        from qheat.protocols.cascade.costs import cost

        return cost(_own(spec), backend)

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        from qheat.protocols.cascade.collect import batches

        return batches(_own(spec), device, resume)

    def exact(self, spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.cascade.analysis import analyze
        from qheat.protocols.cascade.exact import simulate

        spec = _own(spec)
        return analyze(simulate(spec), spec).data

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        spec = _own(spec)
        if spec.mitigation is not None and spec.mitigation.estimator:
            from qheat.protocols.cascade.expectations import analyze_expectations

            return analyze_expectations(document, spec)
        from qheat.protocols.cascade.records import analyze_records

        return analyze_records(document, spec)

    def plan_submission(self, spec, backend, *, instance=None, max_circuits=None):
        from qheat.protocols.cascade.submission import plan_submission

        return plan_submission(spec, backend, instance=instance, max_circuits=max_circuits)

    def records_from_jobs(self, spec, manifest, job_counts, report):
        from qheat.protocols.cascade.submission import records_from_jobs

        return records_from_jobs(spec, manifest, job_counts, report)

    def summary(self, result: dict[str, Any]) -> str:
        if "points" in result:
            return f"{len(result['points'])} sweep points: " + "; ".join(self.summary(p) for p in result["points"])
        exact = result.get("exact", {}).get("subsystems")
        return "heat absorbed " + ", ".join(
            f"{s['label']} {s['heat_absorbed']:+.5f}"
            + (f" +- {s['heat_absorbed_stderr']:.5f}" if s.get("heat_absorbed_stderr") is not None else "")
            + (f" (exact {exact[k]['heat_absorbed']:+.5f})" if exact else "")
            for k, s in enumerate(result["subsystems"])
        )

    def figure(self, results):
        from qheat.protocols.cascade.plots import sweep_figure, trajectory_figure

        if any("points" in r for r in results):
            if len(results) > 1:
                raise QheatError("plot a sweep on its own (one file); trajectories can go together")
            return sweep_figure(results[0])
        return trajectory_figure(results)

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "steps", "subsystems", "system", "bath")


def _own(spec: SpecFile) -> CascadeSpec:
    """``spec`` as a cascade spec (the engine hands a protocol the specs it parsed)."""
    if not isinstance(spec, CascadeSpec):
        raise QheatError(f"protocol 'cascade' runs a CascadeSpec, not a {type(spec).__name__}")
    return spec


PROTOCOL = Cascade()
