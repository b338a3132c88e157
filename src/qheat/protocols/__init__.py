"""One module per experiment family, with the same verbs: run(spec, backend) and analyze/solve."""
from __future__ import annotations

from qheat.errors import QheatError
from qheat.results import Result
from qheat.specs import CascadeSpec, ReservoirsSpec, Spec


SEED_000_002 = {"heat-transfer": "heat_transfer", "correlated-pair": "correlated_pair", "heat-pump": "heat_pump"}


def _module(spec: Spec):
    """The protocol module of seeds 000/002 (heat-transfer, correlated-pair, heat-pump)."""
    import importlib

    return importlib.import_module(f"{__name__}.{SEED_000_002[spec.protocol]}")


def require_backend(protocol: str, backend: str, names: tuple[str, ...]) -> None:
    """One line naming the backends a protocol runs on, for any other backend."""
    if backend not in names:
        raise QheatError(f"unknown backend {backend!r} for protocol {protocol!r}; available: {', '.join(names)}")


def check_backend(spec: Spec, backend: str) -> None:
    """Refuse, before any work, a backend the spec's protocol cannot run on."""
    from qheat import backends
    from qheat.protocols import reservoirs

    if isinstance(spec, CascadeSpec):
        backends.check(backend)
    elif isinstance(spec, ReservoirsSpec):
        reservoirs.check_backend(spec, backend)
    else:
        _module(spec).check_backend(spec, backend)


def run(spec: Spec, backend: str = "exact") -> Result:
    """Run a validated or Python-built spec with the protocol module its type belongs to."""
    from qheat.protocols import cascade, reservoirs

    if isinstance(spec, CascadeSpec):
        return cascade.run(spec, backend)
    if isinstance(spec, ReservoirsSpec):
        return reservoirs.run(spec, backend)
    if getattr(spec, "protocol", None) in SEED_000_002:
        return _module(spec).run(spec, backend)
    raise QheatError(f"expected a spec, a bundled name or a path, got {type(spec).__name__}")
