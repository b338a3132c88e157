"""One module per experiment family, with the same verbs: run(spec, backend) and analyze/solve."""
from __future__ import annotations

from ..errors import QheatError
from ..results import Result
from ..specs import CascadeSpec, ReservoirsSpec, Spec


def check_backend(spec: Spec, backend: str) -> None:
    """Refuse, before any work, a backend the spec's protocol cannot run on."""
    from .. import backends
    from . import reservoirs

    if isinstance(spec, CascadeSpec):
        backends.check(backend)
        return
    if backend not in reservoirs.BACKENDS:
        raise QheatError(f"unknown backend {backend!r} for protocol {spec.protocol!r}; "
                         f"available: {', '.join(reservoirs.BACKENDS)}")


def run(spec: Spec, backend: str = "exact") -> Result:
    """Run a validated or Python-built spec with the protocol module its type belongs to."""
    from . import cascade, reservoirs

    if isinstance(spec, CascadeSpec):
        return cascade.run(spec, backend)
    if isinstance(spec, ReservoirsSpec):
        return reservoirs.run(spec, backend)
    raise QheatError(f"expected a spec, a bundled name or a path, got {type(spec).__name__}")
