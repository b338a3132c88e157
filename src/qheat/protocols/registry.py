"""Protocols by name, and specs read through them (bundled names, groups, files).

Adding a protocol is one package under ``qheat.protocols`` exposing ``PROTOCOL`` (a
``core.protocol.Protocol``) and one line in ``PACKAGES``.
"""

from __future__ import annotations

import copy
import importlib
import json
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from qheat.core.errors import QheatError
from qheat.core.protocol import Protocol
from qheat.core.spec import (
    COMMON_KEYS,
    SpecFile,
    _set_path,
    _table,
    check_nesting,
    check_text,
    sweep_from_dict,
)

PACKAGES = {
    "cascade": "qheat.protocols.cascade",  # seed 001 (also spec protocol "simultaneous")
    "heat-transfer": "qheat.protocols.heat_transfer",  # seed 000
    "correlated-pair": "qheat.protocols.correlated_pair",  # seed 002 Sec. III
    "heat-pump": "qheat.protocols.heat_pump",  # seed 002 Sec. V
    "reservoirs": "qheat.protocols.reservoirs",  # seeds 003, 004
}
ALIASES = {"simultaneous": "cascade"}  # further values of a spec's ``protocol`` key -> the protocol that parses them
Spec = SpecFile


@cache
def _load(name: str) -> Protocol:
    """One registered protocol, importing only its package (a cascade run never imports QuTiP)."""
    return importlib.import_module(PACKAGES[name]).PROTOCOL


def protocols() -> dict[str, Protocol]:
    """Every registered protocol by name."""
    return {name: _load(name) for name in PACKAGES}


def spec_names() -> list[str]:
    """The values a spec's ``protocol`` key may take."""
    return [*PACKAGES, *ALIASES]


def protocol(name: str) -> Protocol:
    """The protocol registered as ``name``, or the one that parses specs with ``protocol = name``."""
    name = ALIASES.get(name, name)
    if name not in PACKAGES:
        raise QheatError(f"unknown protocol {name!r}; expected one of {spec_names()}")
    return _load(name)


def protocol_of(spec: SpecFile) -> Protocol:
    """The protocol a spec belongs to."""
    if not isinstance(spec, SpecFile):
        raise QheatError(f"expected a spec, a bundled name or a path, got {type(spec).__name__}")
    return protocol(spec.protocol)


def validated(spec: Spec) -> Spec:
    """The same spec, checked as if read from a file (a spec built in Python skips ``spec_from_dict``)."""
    if not isinstance(spec, SpecFile):
        raise QheatError(f"expected a spec, a bundled name or a path, got {type(spec).__name__}")
    return spec_from_dict(spec.to_dict())


def spec_from_dict(data: dict[str, Any], *, name: str = "") -> Spec:
    """Validate plain data (from TOML or JSON) into a spec; bad input raises QheatError."""
    if not isinstance(data, dict):
        raise QheatError(f"a spec must be a table of keys, got {type(data).__name__}")
    check_nesting(data)
    if "protocol" not in data:
        raise QheatError(f"the spec is missing the key 'protocol' (one of {spec_names()})")
    kind = data["protocol"]
    if not isinstance(kind, str):
        raise QheatError(f"unknown protocol {kind!r}; expected one of {spec_names()}")
    proto = protocol(kind)
    top = _table(data, "the spec", COMMON_KEYS | proto.keys, {"protocol"} | proto.required)
    sweep = sweep_from_dict(top["sweep"]) if "sweep" in top else None
    spec_name = check_text(str(top.get("name", name) or name), "spec name")
    if not isinstance(top.get("description", ""), str):
        raise QheatError(f"description must be text, got {type(top['description']).__name__}")
    if spec_name.endswith((".records", ".records.partial", ".points", ".manifest")):
        raise QheatError(
            f"spec name {spec_name!r} ends like the files qheat writes beside a result "
            "(.records, .records.partial, .points, .manifest); choose another name"
        )
    if any(ch in spec_name for ch in "/\\:") or spec_name.startswith("."):
        raise QheatError(
            f"spec name {spec_name!r} must not contain '/', '\\' or ':' or start with '.' (it names the result file)"
        )
    spec = proto.parse(top, kind, spec_name, str(top.get("description", "")), sweep)
    if "limits" in top:
        from dataclasses import replace

        from qheat.core.limits import limits_from_dict

        if "limits" not in getattr(spec, "__dataclass_fields__", {}):
            raise QheatError(f"protocol {kind!r} takes no [limits] table (its spec has no 'limits' field)")
        spec = replace(spec, limits=limits_from_dict(top["limits"]))  # type: ignore[type-var]
    if sweep is None:
        spec.check()
    else:
        expand(spec)
    return spec


# ----------------------------------------------------------------------------- loading

_LIBRARY = "spec_library"
MAX_SPEC_BYTES = 10_000_000  # the largest bundled spec is a few kB; a results file holding a spec can be MBs


def _library_files() -> dict[str, Any]:
    root = resources.files("qheat") / _LIBRARY
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".toml") and p.name != "groups.toml"}


def bundled_groups() -> dict[str, list[str]]:
    """Names that stand for several bundled specs (``fig3`` -> its three cases)."""
    text = (resources.files("qheat") / _LIBRARY / "groups.toml").read_text()
    return {k: list(v) for k, v in tomllib.loads(text).items()}


def bundled_names() -> list[str]:
    return sorted(_library_files())


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QheatError(f"malformed TOML in {source}: {exc}") from None
    except RecursionError:
        raise QheatError(f"{source} nests tables or lists too deeply to be a spec") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise QheatError(f"malformed TOML in {source}: {_digits(exc)}") from None


def _digits(exc: ValueError) -> str:
    """Python's refusal of a huge integer literal, in the user's terms."""
    return "an integer with more than 4300 digits" if "4300 digits" in str(exc) else str(exc)


def load_spec(name_or_path: str | Path) -> Spec:
    """One spec from a bundled name, a TOML file, or a JSON file (a spec or a result holding one)."""
    specs = load_specs(name_or_path)
    if len(specs) != 1:
        raise QheatError(f"{name_or_path!s} names {len(specs)} specs; load_specs() returns them all")
    return specs[0]


def load_specs(name_or_path: str | Path) -> list[Spec]:
    """Specs named by a bundled name, a group name (``fig3``), or a file path."""
    text = str(name_or_path)
    path = Path(text)
    files, groups = _library_files(), bundled_groups()
    suffix = path.suffix.lower()
    check_text(text, "spec path")
    if path.is_file() or (suffix in (".toml", ".json") and text not in files):
        if path.is_dir():
            raise QheatError(f"spec file {text} is a directory; give a TOML or JSON file")
        if path.exists() and not path.is_file():
            raise QheatError(
                f"spec file {text} is not a regular file (a FIFO, socket or device?); give a TOML or JSON file"
            )
        if not path.is_file():
            raise QheatError(f"spec file {text} does not exist")
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise QheatError(
                f"spec file {text} is {path.stat().st_size} bytes, more than {MAX_SPEC_BYTES}; a spec is "
                "a short TOML or JSON file"
            )
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise QheatError(f"spec file {text} is not UTF-8 text; a spec is a TOML or JSON file") from None
        if suffix == ".json":
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise QheatError(f"malformed JSON in {text}: {exc}") from None
            except RecursionError:
                raise QheatError(f"{text} nests tables or lists too deeply to be a spec") from None
            except ValueError as exc:  # e.g. an integer of more than 4300 digits
                raise QheatError(f"malformed JSON in {text}: {_digits(exc)}") from None
            data = data.get("spec", data) if isinstance(data, dict) else data
        else:
            data = _parse_toml(raw, text)
        return [spec_from_dict(data, name=path.stem)]
    if text in files:
        return [spec_from_dict(_parse_toml(files[text].read_text(), text), name=text)]
    if text in groups:
        return [load_spec(member) for member in groups[text]]
    raise QheatError(f"unknown spec {text!r}: not a file and not a bundled name; 'qheat list' shows the bundled specs")


def expand(spec: Spec) -> list[Spec]:
    """The specs of a sweep, one per point (a spec without a sweep is its own family of one).

    Point i is named ``<key>[<parameter>=<value>,...]`` (``,seed=<r>`` for repetitions), so every point, and
    every repetition, draws its own random numbers (``SpecFile.seed_sequence`` hashes the name)."""
    if spec.sweep is None:
        return [spec]
    data = spec.to_dict()
    data.pop("sweep")
    out = []
    for point, rep in zip(spec.sweep.points, spec.sweep.repetitions):
        one = copy.deepcopy(data)
        for path, value in zip(spec.sweep.parameters, point):
            _set_path(one, path, value)
        label = spec.sweep.label(point, rep)
        one["name"] = f"{spec.key()}[{label}]"
        try:
            out.append(spec_from_dict(one))
        except QheatError as exc:
            raise QheatError(f"sweep point {label}: {exc}") from None
    return out
