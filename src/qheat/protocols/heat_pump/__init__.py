"""Seed 002 Sec. V (Holdsworth & Kawai): a heat pump fuelled by correlation, with collision-model baths."""
from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.protocols.heat_pump.spec import HeatPumpSpec, heat_pump_from_dict


class HeatPump(Protocol):
    """Thermalise, inject chi, couple for tau, decouple, rethermalise: heats, Sigma, Sigma_0 and the COP."""

    name = "heat-pump"
    spec_names = ("heat-pump",)
    keys = frozenset({"qubits", "correlation", "coupling", "baths", "cycles", "coupling_time", "circuits"})
    required = frozenset({"qubits", "coupling", "baths"})

    def parse(self, top, protocol, name, description, sweep):
        return heat_pump_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: HeatPumpSpec, backend: str) -> None:
        from qheat.backends import check, is_runtime_backend, open_device
        from qheat.protocols.heat_pump.circuits import WIDTH

        check(backend)
        if backend == "exact":
            return
        if is_runtime_backend(backend):
            raise QheatError(f"protocol {self.name!r} does not run on Qiskit Runtime devices ({backend!r}) yet; "
                             "use backend 'exact', 'aer' or 'aer:<config>'")
        if spec.circuits is None:
            raise QheatError(f"backend {backend!r} needs a [circuits] table (shots, seed)")
        open_device(backend).check_width(WIDTH, f"spec {spec.key()!r} (qubits A, B and their two bath ancillas)")

    def exact(self, spec: HeatPumpSpec) -> dict[str, Any]:
        from qheat.protocols.heat_pump.exact import exact_body

        return exact_body(spec)

    def batches(self, spec: HeatPumpSpec, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        from qheat.protocols.heat_pump.circuits import batches

        return batches(spec, device, resume)

    def analyze(self, document: dict[str, Any], spec: HeatPumpSpec) -> dict[str, Any]:
        from qheat.protocols.heat_pump.analysis import analyze

        return analyze(document, spec)

    def combine(self, spec, points):
        from qheat.protocols.heat_pump.exact import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.heat_pump.plots import heat_pump_figure

        return heat_pump_figure(self.one_result(results, sweeps=False))

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "times", "heat", "performance")


PROTOCOL = HeatPump()
