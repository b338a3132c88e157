"""Seeds 003 and 004: one or two qubits between two bosonic reservoirs, in the steady state.

Backend 'exact': the master equations' steady states (``exact.solve``). Backends 'aer' and
'aer:<config>': each reservoir a stream of fresh thermal ancillas (``circuits``), one sampled and one
shot-free circuit per collision model (``experiment.batches``), analysed from the records
(``analysis.analyze``) beside the exact collision-model and master-equation values.
"""

from __future__ import annotations

from typing import Any

from qheat.backends.runtime.runs import BatchSubmission
from qheat.core.errors import QheatError
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.core.spec import SpecFile
from qheat.protocols.reservoirs.spec import ReservoirsSpec, reservoirs_from_dict


class Reservoirs(BatchSubmission, Protocol):
    """Steady states and heat currents from competing master equations (and gate-model reservoirs)."""

    name = "reservoirs"
    keys = frozenset({"system", "reservoirs", "methods", "lamb_shift", "collisions", "heom"})
    required = frozenset({"system", "reservoirs"})

    def parse(self, top, protocol, name, description, sweep):
        return reservoirs_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: SpecFile, backend: str) -> None:
        from qheat.protocols.reservoirs.experiment import check

        check(_own(spec), backend)

    def cost(self, spec, backend):
        from qheat.protocols.reservoirs.costs import cost

        return cost(spec, backend)

    def exact(self, spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.reservoirs.exact import solve

        return solve(_own(spec))

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        from qheat.protocols.reservoirs.experiment import batches

        return batches(_own(spec), device, resume)

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.reservoirs.analysis import analyze

        return analyze(document, _own(spec))

    def combine(self, spec: SpecFile, points: list[dict[str, Any]]) -> dict[str, Any]:
        from qheat.protocols.reservoirs.exact import summarize

        return {"summary": summarize(points, _own(spec))}

    def summary(self, result: dict[str, Any]) -> str:
        if "points" in result:
            ndtc = result.get("summary", {}).get("ndtc", {})
            extra = "".join(
                f"; NDTC ({m}): current peaks at T_A - T_B = {v['peak_at']:g}" for m, v in ndtc.items() if v["present"]
            )
            for m in result["points"][0]["methods"]:
                bad = sum(p["methods"][m].get("negative_populations", False) for p in result["points"])
                extra += f"; {m}: negative populations at {bad} points" if bad else ""
            return f"{len(result['points'])} sweep points{extra}"
        return "heat current from A: " + ", ".join(
            f"{m} {v['heat_current']['A']:+.6g}"
            + (f" +- {v['stderr']['A']:.2g}" if "stderr" in v else "")
            + (" (negative populations)" if v.get("negative_populations") else "")
            for m, v in result["methods"].items()
        )

    def figure(self, results):
        from qheat.protocols.reservoirs.plots import reservoirs_figure

        return reservoirs_figure(self.one_result(results))

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "methods")


def _own(spec: SpecFile) -> ReservoirsSpec:
    """``spec`` as a reservoirs spec (the engine hands a protocol the specs it parsed)."""
    if not isinstance(spec, ReservoirsSpec):
        raise QheatError(f"protocol 'reservoirs' runs a ReservoirsSpec, not a {type(spec).__name__}")
    return spec


PROTOCOL = Reservoirs()
