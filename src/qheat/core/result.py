"""The result envelope of one spec on one backend."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qheat.core.records import jsonable, write_json_atomic
from qheat.core.spec import SpecFile
from qheat.core.version import __version__

RESULT_SCHEMA = 2   # bump when a result's keys or meaning change: cached results of another schema are redone


@dataclass(frozen=True)
class Result:
    """The outcome of one spec on one backend: ``data`` is the result JSON body."""

    spec: SpecFile
    backend: str
    data: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        head = {
            "qheat_version": __version__,
            "schema": RESULT_SCHEMA,
            "protocol": self.spec.protocol,  # type: ignore[attr-defined]
            "backend": self.backend,
            "spec": self.spec.to_dict(),
        }
        return jsonable({**head, **self.data})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        return write_json_atomic(path, self.to_dict())


def same_run(data: Any, spec: SpecFile, backend: str) -> bool:
    """A result (or records document) of exactly this spec on this backend, in this result schema."""
    return (isinstance(data, dict) and data.get("spec") == spec.to_dict() and data.get("backend") == backend
            and data.get("schema") == RESULT_SCHEMA)
