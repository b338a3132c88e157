"""What every spec shares: the base class, sweeps, strict parsing of plain data, sweep expansion."""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from typing import Any, cast

from qheat.core.errors import QheatError

MAX_SWEEP_POINTS = 10_000
MAX_SEEDS = 1000


@dataclass(frozen=True)
class Axis:
    """One axis of a sweep: ``values`` substituted at the dotted ``parameter`` path (or, for a tuple of
    paths, one tuple of values per entry: the parameters move together)."""

    parameter: str | tuple[str, ...]
    values: tuple[float, ...] | tuple[tuple[float, ...], ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return (self.parameter,) if isinstance(self.parameter, str) else self.parameter

    @property
    def points(self) -> tuple[tuple[float, ...], ...]:
        # _axis_from_dict pairs a single path with floats and a tuple of paths with tuples of floats
        if isinstance(self.parameter, str):
            return tuple((v,) for v in cast(tuple[float, ...], self.values))
        return cast(tuple[tuple[float, ...], ...], self.values)


@dataclass(frozen=True)
class Sweep(Axis):
    """A family of specs: the first axis (``parameter``, ``values``), optionally a grid with further axes
    (every combination, the last axis fastest), and ``seeds`` repetitions of every configuration (each its
    own random streams: for checking error bars against the spread of repeated runs)."""

    grid: tuple[Axis, ...] = ()
    seeds: int = 0

    @property
    def axes(self) -> tuple[Axis, ...]:
        return (Axis(self.parameter, self.values), *self.grid)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p for axis in self.axes for p in axis.parameters)

    @property
    def configurations(self) -> tuple[tuple[float, ...], ...]:
        """Every combination of the axes' values, one flat tuple per configuration (without repetitions)."""
        out: list[tuple[float, ...]] = [()]
        for axis in self.axes:
            out = [head + point for head in out for point in axis.points]
        return tuple(out)

    @property
    def points(self) -> tuple[tuple[float, ...], ...]:
        """One tuple of values per point of the sweep (a configuration repeated ``seeds`` times)."""
        return tuple(c for c in self.configurations for _ in range(max(self.seeds, 1)))

    @property
    def repetitions(self) -> tuple[int | None, ...]:
        """The repetition index of every point (None without ``seeds``)."""
        reps = tuple(range(self.seeds)) if self.seeds else (None,)
        return tuple(r for _ in self.configurations for r in reps)

    def label(self, point: tuple[float, ...], repetition: int | None = None) -> str:
        text = ",".join(f"{p}={v!r}" for p, v in zip(self.parameters, point))
        return text if repetition is None else f"{text},seed={repetition}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parameter": _asdict(self.parameter), "values": _asdict(self.values)}
        if self.grid:
            out["grid"] = [{"parameter": _asdict(a.parameter), "values": _asdict(a.values)} for a in self.grid]
        if self.seeds:
            out["seeds"] = self.seeds
        return out


class SpecFile:
    """What every spec does: plain data for JSON, and a key that names its result file."""

    protocol: str
    name: str
    description: str
    sweep: Sweep | None

    def check(self) -> None:
        """Checks beyond each field's own (a spec overrides it); nothing by default."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready); ``spec_from_dict(spec.to_dict()) == spec``."""
        data = _drop_empty(_asdict(self))
        if self.sweep is not None:
            data["sweep"] = self.sweep.to_dict()
        return data

    def key(self) -> str:
        """A name for the result file: the spec's name, else a hash of its content."""
        if self.name:
            return self.name
        text = json.dumps(self.to_dict(), sort_keys=True)
        return "spec-" + hashlib.sha256(text.encode()).hexdigest()[:10]

    def seed_sequence(self, seed: int, *extra: int) -> list[int]:
        """Entropy for ``np.random.default_rng``: the spec's seed and a hash of its key (and ``extra``), so
        specs and sweep points sharing a seed draw independent random numbers."""
        return [seed, zlib.crc32(self.key().encode()), *extra]


def _asdict(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f: _asdict(getattr(obj, f)) for f in obj.__dataclass_fields__}
    if isinstance(obj, tuple | list):
        return [_asdict(x) for x in obj]
    return obj


def _drop_empty(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _drop_empty(v) for k, v in d.items() if v is not None and v != ""}
    if isinstance(d, list):
        return [_drop_empty(x) for x in d]
    return d


# ----------------------------------------------------------------------------- parsing


def _table(data: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise QheatError(f"{where} must be a table, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise QheatError(f"unknown key {unknown[0]!r} in {where}; expected one of {sorted(allowed)}")
    missing = sorted(required - set(data))
    if missing:
        raise QheatError(f"{where} is missing the key {missing[0]!r}")
    return dict(data)  # a copy: parsers pop from it, the caller's table stays as it was


def _number(value: Any, where: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QheatError(f"{where} must be a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise QheatError(f"{where} must be finite, got {value!r}")
    if positive and x <= 0:
        raise QheatError(f"{where} must be > 0, got {value!r}")
    if nonnegative and x < 0:
        raise QheatError(f"{where} must be >= 0, got {value!r}")
    return x


MAX_INTEGER = 2**63 - 1  # beyond, no counter of numpy, Aer or the Runtime holds it


def _integer(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise QheatError(f"{where} must be a finite whole number, got {value!r}")
    if isinstance(value, float) and value == int(value):
        raise QheatError(
            f"{where} must be a whole number written without a decimal point or exponent (an integer), got {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise QheatError(f"{where} must be a whole number, got {value!r}")
    if value < minimum:
        raise QheatError(f"{where} must be >= {minimum}, got {value!r}")
    if value > MAX_INTEGER:
        raise QheatError(f"{where} = {value:.3g} is beyond {MAX_INTEGER} (a 64-bit integer); no run holds that many")
    return int(value)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise QheatError(f"{where} must be a list, got {value!r}")
    return list(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise QheatError(f"{where} must be true or false, got {value!r}")
    return value


COMMON_KEYS = {"protocol", "name", "description", "sweep", "limits"}
MAX_NESTING = 32  # tables and lists inside each other: no spec needs more than a few
MAX_PHASE = 1e8  # radians: beyond, a double fixes an angle only to ~1e-8 rad and a gate of it means nothing


def check_nesting(data: Any, where: str = "the spec") -> None:
    """Refuse data nested more than ``MAX_NESTING`` deep (without recursion, so any depth is refused in one line)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth > MAX_NESTING:
                raise QheatError(f"{where} nests tables or lists more than {MAX_NESTING} deep; a spec needs a few")
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))


def check_text(value: str, where: str) -> str:
    """Refuse control characters (NUL, escape sequences, ...) in a name that is printed or names a file."""
    bad = next((ch for ch in value if ord(ch) < 32 or 127 <= ord(ch) < 160), None)
    if bad is not None:
        raise QheatError(f"{where} {value[:40]!r} contains the control character {bad!r}; use printable text")
    return value


def check_phase(value: float, where: str) -> float:
    """Refuse an angle (radians) too large for a double to fix modulo 2 pi."""
    if abs(value) > MAX_PHASE:
        raise QheatError(
            f"{where} = {value:.3g} rad is beyond {MAX_PHASE:.0e} rad: a double fixes so large an angle "
            "only to ~1e-8 rad, so its gate is meaningless; reduce it (it acts modulo 2 pi)"
        )
    return value


def _axis_from_dict(data: Any, where: str) -> Axis:
    swd = _table(data, where, {"parameter", "values"}, {"parameter", "values"})
    parameter, values = swd["parameter"], _list(swd["values"], f"{where}.values")
    if not values:
        raise QheatError(f"{where}.values is empty")
    if isinstance(parameter, str):
        return Axis(parameter, tuple(_number(v, f"{where}.values") for v in values))
    paths = _list(parameter, f"{where}.parameter")
    if not paths or not all(isinstance(p, str) for p in paths) or len(set(paths)) != len(paths):
        raise QheatError(
            f"{where}.parameter must be a dotted path such as 'system.coherence.0.strength', "
            "or a list of distinct paths"
        )
    points = []
    for i, point in enumerate(values):
        point = _list(point, f"{where}.values[{i}]")
        if len(point) != len(paths):
            raise QheatError(f"{where}.values[{i}] has {len(point)} values for {len(paths)} parameters")
        points.append(tuple(_number(v, f"{where}.values[{i}]") for v in point))
    return Axis(tuple(paths), tuple(points))


def sweep_from_dict(data: Any) -> Sweep:
    """``[sweep]``: ``parameter`` and ``values``; optional ``grid = [{parameter, values}, ...]`` (further axes,
    every combination) and ``seeds = N`` (N repetitions of every configuration)."""
    swd = _table(data, "[sweep]", {"parameter", "values", "grid", "seeds"}, {"parameter", "values"})
    first = _axis_from_dict({k: swd[k] for k in ("parameter", "values")}, "sweep")
    grid = tuple(_axis_from_dict(a, f"sweep.grid[{i}]") for i, a in enumerate(_list(swd.get("grid", []), "sweep.grid")))
    seeds = _integer(swd.get("seeds", 0), "sweep.seeds", minimum=0)
    if seeds == 1 or seeds > MAX_SEEDS:
        raise QheatError(f"sweep.seeds = {seeds}: give 2..{MAX_SEEDS} repetitions (or leave it out)")
    paths = [p for axis in (first, *grid) for p in axis.parameters]
    if len(set(paths)) != len(paths):
        raise QheatError(
            f"sweep: a parameter appears on two axes ({sorted(p for p in paths if paths.count(p) > 1)[0]!r})"
        )
    size = max(seeds, 1)
    for axis in (first, *grid):
        size *= len(axis.values)
    if size > MAX_SWEEP_POINTS:
        raise QheatError(f"the sweep has {size} points, more than {MAX_SWEEP_POINTS}; split it into several specs")
    return Sweep(first.parameter, first.values, grid, seeds)


MAX_SHOTS = 10_000_000
MAX_BOOTSTRAP = 10_000


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise QheatError(f"{where} must be one of {list(choices)}, got {value!r}")
    return str(value)


def _set_path(data: dict[str, Any], path: str, value: float) -> None:
    """Replace the number at a dotted path such as ``system.coherence.0.strength``."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        where = ".".join(parts[: i + 1])
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            key: Any = int(part)
        elif isinstance(node, dict) and part in node:
            key = part
        else:
            raise QheatError(f"sweep.parameter {path!r}: no field {where!r} in this spec")
        if i == len(parts) - 1:
            if isinstance(node[key], bool) or not isinstance(node[key], int | float):
                raise QheatError(f"sweep.parameter {path!r}: {where!r} is not a number, it cannot be swept")
            whole = isinstance(node[key], int) and math.isfinite(value) and value == int(value)
            node[key] = int(value) if whole else value  # an integer field takes whole sweep values as integers
        else:
            node = node[key]
