"""Records documents: the envelope a run writes around its records, the checks that a document read back
is complete, and reading checkpoints and result files that a re-run finds (one line for whatever is wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Protocol
from qheat.core.records import CHECKPOINT_KIND, RECORDS_KIND, matrix, read_json
from qheat.core.result import RESULT_SCHEMA, same_run
from qheat.core.spec import SpecFile
from qheat.core.version import __version__

MAX_COUNT = 10**12  # shots of one bit string: beyond any run (spec shots are at most 10^7 per circuit)


def check_document(document: Any, where: str = "the records") -> None:
    """Refuse, in one line, anything that is not a complete records document."""
    if not isinstance(document, dict) or document.get("kind") != RECORDS_KIND:
        raise QheatError(f"{where} is not a qheat records file (no kind = {RECORDS_KIND!r})")
    missing = next((k for k in ("spec", "backend") if k not in document), None)
    if missing or not ("records" in document or "points" in document):
        raise QheatError(f"{where} is not a complete qheat records file (no {missing or 'records'!r})")
    if not isinstance(document["spec"], dict) or not isinstance(document["backend"], str):
        raise QheatError(f"{where}: 'spec' must be a table and 'backend' a name")
    if "points" in document:
        if not isinstance(document["points"], list):
            raise QheatError(f"{where}: 'points' must be a list of records documents")
        for i, point in enumerate(document["points"]):
            check_document(point, f"{where}, point {i}")
        return
    if not isinstance(document["records"], list):
        raise QheatError(f"{where}: 'records' must be a list")
    if not isinstance(document.get("metadata", {}), dict):
        raise QheatError(f"{where}: 'metadata' must be a table (got {type(document['metadata']).__name__})")
    for i, record in enumerate(document["records"]):
        if not isinstance(record, dict) or not isinstance(record.get("metadata"), dict):
            raise QheatError(f"{where}: record {i} is not a table with a 'metadata' table")
        counts = record.get("counts")
        if counts is not None and (
            not isinstance(counts, dict)
            or not all(type(k) is str for k in counts)  # exact types: no bool, no subclass
            or not all(type(v) is int and 0 <= v <= MAX_COUNT for v in counts.values())
        ):
            raise QheatError(
                f"{where}: record {i} has counts that are not whole numbers from 0 to {MAX_COUNT} by bit string"
            )


def envelope(spec: SpecFile, backend: str, proto: Protocol, body: dict[str, Any]) -> dict[str, Any]:
    """A records document: what it is, of which spec on which backend, then its body."""
    return {
        "kind": RECORDS_KIND,
        "schema": RESULT_SCHEMA,
        "qheat_version": __version__,
        "protocol": proto.name,
        "spec": spec.to_dict(),
        "backend": backend,
        **({"records": []} if "points" in body else {}),
        **body,
    }


def jsonable_record(record: dict[str, Any]) -> dict[str, Any]:
    """A record with its saved states and channels as JSON matrices."""
    out = dict(record)
    if "states" in out:
        out["states"] = {k: matrix(v) for k, v in out["states"].items()}
    if "superop" in out:
        out["superop"] = matrix(out["superop"])
    return out


def read_checkpoint(path: Path, spec: SpecFile, backend: str) -> dict[str, Any] | None:
    """The checkpoint of this spec and backend at ``path`` (None when there is none); one line if foreign or damaged."""
    if not path.exists():
        return None
    try:
        doc = read_json(path, "checkpoint")
    except QheatError as exc:
        raise QheatError(
            f"{path} is a damaged checkpoint ({exc}); move it away, or use --force to start over"
        ) from None
    if not isinstance(doc, dict) or doc.get("kind") != CHECKPOINT_KIND:
        raise QheatError(f"{path} is a damaged checkpoint; move it away, or use --force to start over")
    if not same_run(doc, spec, backend):
        raise QheatError(
            f"{path} holds a partial run of another spec, backend or result schema; use --force to "
            "start over or another --output"
        )
    if not isinstance(doc.get("records"), list) or not isinstance(doc.get("state"), dict):
        raise QheatError(f"{path} is a damaged checkpoint; move it away, or use --force to start over")
    return doc


def read_result(path: Path) -> dict[str, Any]:
    """A result file a re-run finds at its output; one line if it is not one."""
    try:
        data = read_json(path, "result file")
    except QheatError:
        data = None
    if not isinstance(data, dict) or not {"spec", "backend", "protocol"} <= set(data):
        raise QheatError(f"{path} exists and is not a qheat result; use --force to overwrite or another --output")
    return data


def result_body(data: dict[str, Any]) -> dict[str, Any]:
    """A result without its envelope (what it is, of which spec on which backend)."""
    return {k: v for k, v in data.items() if k not in ("qheat_version", "schema", "protocol", "backend", "spec")}
