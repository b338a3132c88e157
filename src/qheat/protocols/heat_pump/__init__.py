"""Seed 002 Sec. V (Holdsworth & Kawai): a heat pump fuelled by correlation, with collision-model baths."""

from __future__ import annotations

from typing import Any

from qheat.backends.runtime.runs import BatchSubmission
from qheat.core.errors import QheatError
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.core.spec import SpecFile
from qheat.protocols.heat_pump.spec import HeatPumpSpec, heat_pump_from_dict


class HeatPump(BatchSubmission, Protocol):
    """Thermalise, inject chi, couple for tau, decouple, rethermalise: heats, Sigma, Sigma_0 and the COP."""

    name = "heat-pump"
    keys = frozenset({"qubits", "correlation", "coupling", "baths", "cycles", "coupling_time", "circuits"})
    required = frozenset({"qubits", "coupling", "baths"})

    def parse(self, top, protocol, name, description, sweep):
        return heat_pump_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: SpecFile, backend: str) -> None:
        from qheat.backends import check, is_runtime_backend, open_device
        from qheat.protocols.heat_pump.circuits import DEVICE_WIDTH, WIDTH, _what

        spec = _own(spec)
        check(backend)
        if backend == "exact":
            return
        if spec.baths.model == "heom":
            raise QheatError(
                f"baths.model 'heom' runs on the exact engine only (circuits realise collision-model "
                f"baths); use --backend exact or baths.model = 'collisions' for {backend!r}"
            )
        if spec.circuits is None:
            raise QheatError(f"backend {backend!r} needs a [circuits] table (shots, seed)")
        if is_runtime_backend(backend):
            from qheat.backends.runtime.runs import check_runtime

            check_runtime(backend, DEVICE_WIDTH, _what(spec, True))
        else:
            open_device(backend).check_width(WIDTH, _what(spec, False))

    def cost(self, spec, backend):
        from qheat.protocols.heat_pump.costs import cost

        return cost(spec, backend)

    def exact(self, spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.heat_pump.exact import exact_body

        return exact_body(_own(spec))

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        from qheat.protocols.heat_pump.circuits import batches

        return batches(_own(spec), device, resume)

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.heat_pump.analysis import analyze

        return analyze(document, _own(spec))

    def combine(self, spec, points):
        from qheat.protocols.heat_pump.exact import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.heat_pump.plots import heat_pump_figure, sweep_figure

        result = self.one_result(results)
        return sweep_figure(result) if "points" in result else heat_pump_figure(result)

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "times", "heat", "performance")


def _own(spec: SpecFile) -> HeatPumpSpec:
    """``spec`` as a heat-pump spec (the engine hands a protocol the specs it parsed)."""
    if not isinstance(spec, HeatPumpSpec):
        raise QheatError(f"protocol 'heat-pump' runs a HeatPumpSpec, not a {type(spec).__name__}")
    return spec


PROTOCOL = HeatPump()
