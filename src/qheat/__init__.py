"""qheat: a Qiskit experiment suite for quantum thermodynamics (heat flow reversed by coherence)."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import QheatError  # noqa: E402
from .results import Result  # noqa: E402
from .specs import CascadeSpec, bundled_names, load_spec, load_specs, spec_from_dict  # noqa: E402


def run(spec: CascadeSpec | str | dict, backend: str = "exact") -> Result:
    """Run a spec (a CascadeSpec, a bundled name, a path, or spec data as a dict) on a backend.

    Returns a Result; ``result.to_json()`` is the JSON that ``qheat run`` writes.
    """
    from .protocols import cascade

    if isinstance(spec, dict):
        spec = spec_from_dict(spec)
    elif not isinstance(spec, CascadeSpec):
        spec = load_spec(spec)
    return cascade.run(spec, backend)


__all__ = ["QheatError", "CascadeSpec", "Result", "bundled_names", "load_spec", "load_specs", "spec_from_dict", "run",
           "__version__"]
