"""Seed 000 (Ma et al.): heat transfer between qubit systems A and B, anomalous or not.

``exact``: the exact engine (``exact.trajectory``; ``exact.phase_diagram`` for a ``[phase_diagram]``
spec, which runs on backend 'exact' only). Circuit backends (``aer``, ``aer:<config>``): one batch of
Z-measurement circuits (``circuits.batches``), analysed from the records (``analysis.analyze``).
"""

from __future__ import annotations

from typing import Any

from qheat.backends.runtime.runs import BatchSubmission
from qheat.core.errors import QheatError
from qheat.core.protocol import BatchGenerator, Protocol
from qheat.core.spec import SpecFile
from qheat.protocols.heat_transfer.spec import (
    HeatTransferPhaseSpec,
    HeatTransferSpec,
    heat_transfer_from_dict,
)


class HeatTransfer(BatchSubmission, Protocol):
    """H = H_A + H_B + H_I from rho_0 + chi: Q(t), Eq. (5) terms, derivatives (Eq. 2), phase diagrams (Fig. 2)."""

    name = "heat-transfer"
    keys = frozenset(
        {
            "qubits",
            "interaction",
            "correlation",
            "evolution",
            "circuits",
            "allow_nonconserving",
            "omega0_ghz",
            "phase_diagram",
        }
    )

    def parse(self, top, protocol, name, description, sweep):
        return heat_transfer_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: SpecFile, backend: str) -> None:
        from qheat.protocols.heat_transfer.circuits import check_backend

        check_backend(_own(spec), backend)

    def cost(self, spec, backend):
        from qheat.protocols.heat_transfer.costs import cost

        return cost(spec, backend)

    def exact(self, spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.heat_transfer.exact import phase_diagram, trajectory
        from qheat.protocols.heat_transfer.model import build_model

        spec = _own(spec)
        if isinstance(spec, HeatTransferPhaseSpec):
            return phase_diagram(spec)
        return trajectory(spec, build_model(spec))

    def batches(self, spec: SpecFile, device: Any, resume: dict[str, Any] | None = None) -> BatchGenerator:
        from qheat.protocols.heat_transfer.circuits import batches

        return batches(_trajectory(spec), device, resume)

    def analyze(self, document: dict[str, Any], spec: SpecFile) -> dict[str, Any]:
        from qheat.protocols.heat_transfer.analysis import analyze

        return analyze(document, _trajectory(spec))

    def combine(self, spec, points):
        from qheat.protocols.heat_transfer.exact import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.heat_transfer.plots import (
            heat_transfer_figure,
            phase_figure,
            sweep_figure,
        )

        result = self.one_result(results)
        if "points" in result:
            return sweep_figure(result)
        return phase_figure(result) if "maps" in result else heat_transfer_figure(result)

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "conventions")


def _own(spec: SpecFile) -> HeatTransferSpec | HeatTransferPhaseSpec:
    """``spec`` as a heat-transfer spec (the engine hands a protocol the specs it parsed)."""
    if not isinstance(spec, HeatTransferSpec | HeatTransferPhaseSpec):
        raise QheatError(f"protocol 'heat-transfer' runs a HeatTransferSpec, not a {type(spec).__name__}")
    return spec


def _trajectory(spec: SpecFile) -> HeatTransferSpec:
    """``spec`` as a trajectory spec: the circuits of a [phase_diagram] spec do not exist (``check`` refuses)."""
    if not isinstance(spec, HeatTransferSpec):
        raise QheatError(f"a {type(spec).__name__} has no circuits; run it on backend 'exact'")
    return spec


PROTOCOL = HeatTransfer()
