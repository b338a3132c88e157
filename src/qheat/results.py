"""Result objects and their files. Files are written atomically (temp file + rename)."""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qheat import __version__
from qheat.errors import QheatError
from qheat.specs import Spec

HEAT_SIGN = (
    "heat_received by the bath is positive when energy flows system -> bath (as in Fig. 3(e)-(g) of seed 001); "
    "heat_absorbed by a subsystem is E_end - E_start, and initial_heat_current (Eq. 46) is dE_k/dt at the start: "
    "both positive when the subsystem takes energy from the bath"
)

# Written into every result; the physical convention itself is defined in qheat.states.
CONVENTIONS = {
    "units": "hbar = k_B = 1; energies and temperatures in units of delta",
    "ground_state": "|0> is the ground state of H_k = (delta/2) sigma_z (energy -delta/2)",
    "heat_sign": HEAT_SIGN,
    "steps": "single S_k-R interactions completed (a simultaneous collision counts n)",
    "entropy": "nats",
    "coherence": "relative entropy of coherence in the energy (computational) basis",
    "mutual_information_with_bath": "with the bath particle of the current collision (0 before the first interaction)",
    "one_way_coherence": "C_k of Eq. (47); simultaneous mode weighs each pair by 1/2; the system's C = sum_k C_k",
}


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


def write_json_atomic(path: str | Path, data: dict[str, Any], *, indent: int | None = 1) -> Path:
    """Write JSON next to its final place, then rename: a crash never leaves half a file."""
    path = Path(path)
    text = json.dumps(jsonable(data), indent=indent, allow_nan=False, separators=None if indent else (",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise QheatError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise QheatError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class Result:
    """The outcome of one spec on one backend: ``data`` is the result JSON body."""

    spec: Spec
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
