"""Result objects and their files. Files are written atomically (temp file + rename)."""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .specs import CascadeSpec

HEAT_SIGN = (
    "heat_received by the bath is positive when energy flows system -> bath (as in Fig. 3(e)-(g) of seed 001); "
    "heat_absorbed by a subsystem is E_end - E_start, positive when it takes energy from the bath"
)


def jsonable(value: Any) -> Any:
    """Plain JSON data: arrays to lists, non-finite floats to null."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json_atomic(path: str | Path, data: dict[str, Any]) -> Path:
    """Write JSON next to its final place, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(jsonable(data), fh, indent=1, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class Result:
    """The outcome of one spec on one backend: ``data`` is the result JSON body."""

    spec: CascadeSpec
    backend: str
    data: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        head = {
            "qheat_version": __version__,
            "protocol": self.spec.protocol,
            "backend": self.backend,
            "spec": self.spec.to_dict(),
        }
        return jsonable({**head, **self.data})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        return write_json_atomic(path, self.to_dict())
