"""Seed 000 (Ma et al.): heat transfer between qubit systems A and B, anomalous or not."""
from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Protocol
from qheat.protocols.heat_transfer.spec import HeatTransferPhaseSpec, HeatTransferSpec, heat_transfer_from_dict


class HeatTransfer(Protocol):
    """H = H_A + H_B + H_I from rho_0 + chi: Q(t), Eq. (5) terms, derivatives (Eq. 2), phase diagrams (Fig. 2)."""

    name = "heat-transfer"
    spec_names = ("heat-transfer",)
    keys = frozenset({"qubits", "interaction", "correlation", "evolution", "circuits", "allow_nonconserving",
                      "omega0_ghz", "phase_diagram"})

    def parse(self, top, protocol, name, description, sweep):
        return heat_transfer_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: HeatTransferSpec | HeatTransferPhaseSpec, backend: str) -> None:
        from qheat.protocols.heat_transfer.model import check_backend

        check_backend(spec, backend)

    def exact(self, spec: HeatTransferSpec | HeatTransferPhaseSpec) -> dict[str, Any]:
        from qheat.protocols.heat_transfer.model import build_model, phase_diagram, trajectory

        if isinstance(spec, HeatTransferPhaseSpec):
            return phase_diagram(spec)
        return trajectory(spec, build_model(spec))

    def combine(self, spec, points):
        from qheat.protocols.heat_transfer.model import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.heat_transfer.plots import heat_transfer_figure, phase_figure

        if len(results) != 1:
            raise QheatError(f"plot a {self.name} result on its own (one file)")
        return phase_figure(results[0]) if "maps" in results[0] else heat_transfer_figure(results[0])

    def required_result_keys(self, result):
        return ("spec", "conventions")


PROTOCOL = HeatTransfer()
