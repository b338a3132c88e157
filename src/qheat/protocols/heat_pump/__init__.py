"""Seed 002 Sec. V (Holdsworth & Kawai): a heat pump fuelled by correlation, with collision-model baths."""
from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Protocol
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
        from qheat.protocols.heat_pump.model import check_backend

        check_backend(spec, backend)

    def exact(self, spec: HeatPumpSpec) -> dict[str, Any]:
        from qheat.protocols.heat_pump.model import exact_body

        return exact_body(spec)

    def combine(self, spec, points):
        from qheat.protocols.heat_pump.model import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.heat_pump.plots import heat_pump_figure

        if len(results) != 1:
            raise QheatError(f"plot a {self.name} result on its own (one file)")
        return heat_pump_figure(results[0])

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "times", "heat", "performance")


PROTOCOL = HeatPump()
