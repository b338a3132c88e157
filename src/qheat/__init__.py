"""qheat: a Qiskit experiment suite for quantum thermodynamics (heat flow reversed by coherence)."""
from __future__ import annotations

import os

__version__ = "0.1.0"

from qheat.errors import QheatError  # noqa: E402
from qheat.results import Result  # noqa: E402
from qheat.specs import CascadeSpec, ReservoirsSpec, Spec, bundled_names, load_spec, load_specs, spec_from_dict  # noqa: E402


def run(spec: Spec | str | dict, backend: str = "exact") -> Result:
    """Run a spec (a spec object, a bundled name, a path, or spec data as a dict) on a backend.

    Returns a Result; ``result.to_json()`` is the JSON that ``qheat run`` writes.
    """
    from qheat import protocols

    if isinstance(spec, dict):
        spec = spec_from_dict(spec)
    elif isinstance(spec, str | os.PathLike):
        spec = load_spec(spec)
    return protocols.run(spec, backend)


__all__ = ["QheatError", "CascadeSpec", "ReservoirsSpec", "Spec", "Result", "bundled_names", "load_spec", "load_specs", "spec_from_dict", "run",
           "__version__"]
