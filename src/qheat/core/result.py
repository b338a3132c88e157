"""The result envelope of one spec on one backend: saved as JSON, loaded back, flattened into a table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.records import jsonable, read_json, write_json_atomic
from qheat.core.spec import SpecFile, sweep_from_dict
from qheat.core.version import __version__

RESULT_SCHEMA = 2  # bump when a result's keys or meaning change: cached results of another schema are redone
HEAD = ("qheat_version", "schema", "protocol", "backend", "spec")  # the envelope's keys; the rest is the body

SpecReader = Callable[[dict[str, Any]], SpecFile]
_spec_reader: list[SpecReader] = []  # the registry's spec_from_dict, installed by qheat (core imports no protocol)


def use_spec_reader(reader: SpecReader) -> None:
    """Install the function that turns a result's ``spec`` data back into a spec (``qheat`` does, on import)."""
    _spec_reader[:] = [reader]


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
            "protocol": self.spec.protocol,
            "backend": self.backend,
            "spec": self.spec.to_dict(),
        }
        return jsonable({**head, **self.data})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        return write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Result:
        """A result file (what ``qheat run`` or ``Result.save`` wrote) as a Result; ``load(p).to_dict()`` is the file's
        JSON (with this qheat's version). A file that is not a result of this result schema is one clear error."""
        data = read_json(path, "result file")
        if not isinstance(data, dict) or not set(HEAD[2:]) <= set(data) or data.get("kind") is not None:
            raise QheatError(f"{path} is not a qheat result file (records go through qheat.analyze)")
        if data.get("schema") != RESULT_SCHEMA:
            raise QheatError(
                f"{path} is a result of schema {data.get('schema')!r}, this qheat reads schema "
                f"{RESULT_SCHEMA}; run its spec again, or analyse its records file again"
            )
        if not _spec_reader:
            raise QheatError("no spec reader installed; import qheat before loading results")
        spec = _spec_reader[0](data["spec"])
        return cls(spec, str(data["backend"]), {k: v for k, v in data.items() if k not in HEAD})

    def to_dataframe(self) -> Any:
        """Every number of the result as a pandas DataFrame in long form, one row per number.

        Columns: ``key`` (the dotted path of a value, e.g. ``subsystems.0.energy``), ``index`` (its
        position in its list, <NA> for a single number), ``value`` (NaN where the result has null); a
        sweep adds ``point`` (the point's number), one column per swept parameter and, with ``seeds``,
        ``repetition``. A series: ``df[df.key == "system.energy"]``; a wide table:
        ``df.pivot_table(index="index", columns="key", values="value")``. Needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise QheatError("Result.to_dataframe needs pandas: pip install pandas") from None
        if "points" in self.data and "sweep" in self.data:
            sweep = sweep_from_dict(self.data["sweep"])
            seeds = ["repetition"] if sweep.seeds else []
            rows = [
                {"point": i, **dict(zip(sweep.parameters, values)), **dict(zip(seeds, [rep])), **row}
                for i, (p, values, rep) in enumerate(zip(self.data["points"], sweep.points, sweep.repetitions))
                for row in _rows({k: v for k, v in p.items() if k not in HEAD})
            ]
            columns = ["point", *sweep.parameters, *seeds, "key", "index", "value"]
        else:
            rows, columns = list(_rows(self.data)), ["key", "index", "value"]
        frame = pd.DataFrame(rows, columns=columns)
        frame["index"] = frame["index"].astype("Int64")
        return frame


def _rows(body: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """The numbers of a JSON body with their dotted paths; the last list position becomes ``index``."""
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _rows(v, (*path, str(k)))
    elif isinstance(body, list):
        if body and all(_number(x) or x is None for x in body):
            key = ".".join(path)
            for i, x in enumerate(body):
                yield {"key": key, "index": i, "value": float("nan") if x is None else float(x)}
        else:
            for i, x in enumerate(body):
                yield from _rows(x, (*path, str(i)))
    elif _number(body):
        yield {"key": ".".join(path), "index": None, "value": float(body)}


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def same_run(data: Any, spec: SpecFile, backend: str) -> bool:
    """A result (or records document) of exactly this spec on this backend, in this result schema."""
    return (
        isinstance(data, dict)
        and data.get("spec") == spec.to_dict()
        and data.get("backend") == backend
        and data.get("schema") == RESULT_SCHEMA
    )
