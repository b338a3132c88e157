"""qheat: a Qiskit experiment suite for quantum thermodynamics (heat flow reversed by coherence)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.result import Result, use_spec_reader
from qheat.core.version import __version__
from qheat.protocols.registry import (
    Spec,
    bundled_names,
    load_spec,
    load_specs,
    spec_from_dict,
)

use_spec_reader(spec_from_dict)  # Result.load reads specs back (core cannot import the registry)


def run(
    spec: Spec | str | dict,
    backend: str = "exact",
    *,
    output: str | Path | None = None,
    force: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    allow_large: bool = False,
) -> Result:
    """Run a spec (a spec object, a bundled name, a path, or spec data as a dict) on a backend.

    Returns a Result; ``result.to_json()`` is the JSON that ``qheat run`` writes. With ``output`` (a .json
    file) the records and results are saved as they are made and a re-run resumes; ``jobs`` runs the
    points of a sweep in that many processes, ``scheduler`` on a Dask cluster. A run estimated beyond the
    limits (``qheat.core.limits``) is refused before any work unless ``allow_large``.
    """
    from qheat import engine

    return engine.run(
        _spec(spec), backend, output=output, force=force, jobs=jobs, scheduler=scheduler, allow_large=allow_large
    )


def analyze(records: dict[str, Any] | str | os.PathLike) -> Result:
    """Analyse a records document (or the path of a ``.records.json`` file) offline into a Result."""
    from qheat import engine
    from qheat.core.records import read_json

    document: dict[str, Any] = (
        read_json(Path(records), "records file") if isinstance(records, str | os.PathLike) else records
    )
    return engine.analyze(document)


def _spec(spec: Spec | str | dict) -> Spec:
    if isinstance(spec, dict):
        return spec_from_dict(spec)
    if isinstance(spec, str | os.PathLike):
        return load_spec(spec)
    return spec


__all__ = [
    "QheatError",
    "Spec",
    "Result",
    "analyze",
    "bundled_names",
    "load_spec",
    "load_specs",
    "spec_from_dict",
    "run",
    "__version__",
]
