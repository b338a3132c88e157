"""Seed 002 Sec. III (Holdsworth & Kawai): two locally thermal qubits, entangled by chi, coupled by V_AB."""
from __future__ import annotations

from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Protocol
from qheat.protocols.correlated_pair.spec import CorrelatedPairSpec, correlated_pair_from_dict


class CorrelatedPair(Protocol):
    """The subspace energy difference (Eq. 12), concurrence and mutual information of a correlated pair."""

    name = "correlated-pair"
    spec_names = ("correlated-pair",)
    keys = frozenset({"qubits", "correlation", "coupling", "evolution", "circuits"})
    required = frozenset({"qubits", "coupling", "evolution"})

    def parse(self, top, protocol, name, description, sweep):
        return correlated_pair_from_dict(top, protocol, name, description, sweep)

    def check(self, spec: CorrelatedPairSpec, backend: str) -> None:
        from qheat.protocols.correlated_pair.model import check_backend

        check_backend(spec, backend)

    def exact(self, spec: CorrelatedPairSpec) -> dict[str, Any]:
        from qheat.protocols.correlated_pair.model import trajectory

        return trajectory(spec)

    def combine(self, spec, points):
        from qheat.protocols.correlated_pair.model import CONVENTIONS

        return {"conventions": CONVENTIONS}

    def figure(self, results):
        from qheat.protocols.correlated_pair.plots import correlated_pair_figure

        if len(results) != 1:
            raise QheatError(f"plot a {self.name} result on its own (one file)")
        return correlated_pair_figure(results[0])

    def required_result_keys(self, result):
        return ("spec", "points") if "sweep" in result else ("spec", "times", "sed")


PROTOCOL = CorrelatedPair()
