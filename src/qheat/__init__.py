"""qheat: a Qiskit experiment suite for quantum thermodynamics (heat flow reversed by coherence)."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import QheatError  # noqa: E402
from .specs import CascadeSpec, Spec, bundled_names, load_spec, load_specs  # noqa: E402


def run(spec: "Spec | str", backend: str = "exact"):
    """Run a spec (or a bundled name / path) on a backend; returns a Result with ``.to_json()``."""
    from .protocols import cascade

    if not isinstance(spec, CascadeSpec):
        spec = load_spec(spec)
    return cascade.run(spec, backend)


__all__ = ["QheatError", "Spec", "CascadeSpec", "bundled_names", "load_spec", "load_specs", "run", "__version__"]
