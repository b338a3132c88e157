"""A checkable claim of a seed paper, the test of qheat's number, and the verdict (pure: no runs here)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Results = Mapping[str, dict[str, Any]]  # bundled spec name -> its result (``Result.to_dict()``)


@dataclass(frozen=True)
class Check:
    """How qheat's number x is judged.

    ``op`` ">": x > bound; "<": x < bound; "in": bound <= x <= upper; "~": |x - paper| <= tol + rel |paper|
    (the paper's number, from the claim). ``why`` says where a tolerance comes from when it is not round-off.
    """

    op: str
    bound: float = 0.0
    upper: float = 0.0
    tol: float = 0.0
    rel: float = 0.0
    why: str = ""

    def __post_init__(self) -> None:
        if self.op not in (">", "<", "in", "~"):
            raise ValueError(f"unknown check {self.op!r}")

    def passes(self, x: float, paper: float | None) -> bool:
        if not math.isfinite(x):
            return False
        if self.op == ">":
            return x > self.bound
        if self.op == "<":
            return x < self.bound
        if self.op == "in":
            return self.bound <= x <= self.upper
        if paper is None:
            raise ValueError("a '~' check needs the paper's number")
        return abs(x - paper) <= self.tol + self.rel * abs(paper)

    def text(self, paper: float | None) -> str:
        if self.op in (">", "<"):
            out = f"{self.op} {_num(self.bound)}"
        elif self.op == "in":
            out = f"in [{_num(self.bound)}, {_num(self.upper)}]"
        else:
            parts = [_num(self.tol)] if self.tol else []
            parts += [f"{self.rel:.0%}" if self.rel >= 0.01 else f"{_num(self.rel)} relative"] if self.rel else []
            out = f"{'the paper' if paper is None else _num(paper)} +- {' + '.join(parts) or '0'}"
        return f"{out} ({self.why})" if self.why else out


def above(bound: float = 0.0, why: str = "") -> Check:
    return Check(">", bound=bound, why=why)


def below(bound: float = 0.0, why: str = "") -> Check:
    return Check("<", bound=bound, why=why)


def between(low: float, high: float, why: str = "") -> Check:
    return Check("in", bound=low, upper=high, why=why)


def near(tol: float = 0.0, rel: float = 0.0, why: str = "") -> Check:
    return Check("~", tol=tol, rel=rel, why=why)


@dataclass(frozen=True)
class Claim:
    """One statement or number of a seed paper and how qheat checks it.

    ``value`` is a pure function of the results of ``specs`` giving qheat's number; ``paper`` the paper's
    number (a constant, or its closed form evaluated with the specs' parameters) for "~" checks;
    ``circuit`` the check on a circuit backend (None: the same as on exact; shots and noise loosen
    closed-form tolerances, and the check says so); ``note`` an erratum or convention behind a difference;
    ``exact_only`` why a claim is not judged on circuits (e.g. a one-collision energy change below shot noise).
    """

    seed: str
    where: str
    statement: str
    specs: tuple[str, ...]
    value: Callable[[Results], float]
    check: Check
    paper: float | Callable[[Results], float] | None = None
    circuit: Check | None = None
    note: str = ""
    exact_only: str = ""  # why the claim is not judged on a circuit backend (SKIP there)


@dataclass(frozen=True)
class Verdict:
    """A claim judged on one backend: qheat's number, the paper's, PASS / FAIL / SKIP and what was tested."""

    claim: Claim
    verdict: str
    value: float | None = None
    paper: float | None = None
    test: str = ""
    reason: str = ""


def measured(result: dict[str, Any]) -> dict[str, Any]:
    """What a circuit backend measured: a result's ``circuits`` block with its spec (seeds 000, 002), every
    sweep point likewise; a cascade result (seed 001) keeps its measured values at the top level already.
    The exact values beside the measured ones are left out, so a claim on them skips instead of passing."""
    if "points" in result:
        return {**result, "points": [measured(p) for p in result["points"]]}
    if isinstance(result.get("circuits"), dict):
        return {"spec": result["spec"], **result["circuits"]}
    return {k: v for k, v in result.items() if k not in ("exact", "shot_free")}


def judge(claim: Claim, results: Results, backend: str = "exact") -> Verdict:
    """The verdict on ``claim`` given the results of its specs (pure)."""
    if backend != "exact" and claim.exact_only:
        return Verdict(claim, "SKIP", reason=f"exact engine only: {claim.exact_only}")
    check = claim.check if backend == "exact" or claim.circuit is None else claim.circuit
    if backend != "exact":
        results = {name: measured(results[name]) for name in claim.specs if name in results}
    try:
        value = float(claim.value(results))
        paper = claim.paper(results) if callable(claim.paper) else claim.paper
        paper = None if paper is None else float(paper)
    except (KeyError, IndexError, TypeError) as exc:
        if backend == "exact":
            raise
        return Verdict(claim, "SKIP", reason=f"the {backend} result has no {exc} for this claim")
    ok = check.passes(value, paper)
    return Verdict(claim, "PASS" if ok else "FAIL", value, paper, check.text(paper))


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.2e}"
