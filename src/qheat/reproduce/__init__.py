"""``qheat reproduce``: every checkable claim of the seed papers, re-run through the engine and judged.

The claims are data (``qheat.reproduce.seed000`` ... ``seed004``): a frozen ``Claim`` names bundled
specs, a pure function of their results giving qheat's number, and the test of it (a bound, or the
paper's number within a stated tolerance). ``run`` runs each needed spec once through
``engine.prepare`` / ``engine.run_plan`` on the exact engine (or a circuit backend, where a claim whose
spec cannot run there is skipped) and judges every claim; ``table`` prints the verdicts.
"""

from __future__ import annotations

import logging
import textwrap
import time
from collections.abc import Iterable, Sequence
from typing import Any

from qheat import engine
from qheat.core.errors import QheatError
from qheat.protocols.registry import load_spec
from qheat.reproduce import seed000, seed001, seed002, seed003, seed004
from qheat.reproduce.claim import Check, Claim, Verdict, judge

PAPERS = {
    "000": "Ma et al., Anomalous heat transfer in nonequilibrium quantum systems",
    "001": "Huang et al., Reversing heat flow by coherence in a multipartite quantum system",
    "002": "Holdsworth & Kawai, Heat pump driven entirely by quantum correlation",
    "003": "Fogedby, Heat currents in qubit systems",
    "004": "Zhang, Liu & Yu, The hidden negative differential thermal conductance",
}
SHORT = {"000": "Ma", "001": "Huang", "002": "Holdsworth", "003": "Fogedby", "004": "Zhang"}
CLAIMS: tuple[Claim, ...] = seed000.CLAIMS + seed001.CLAIMS + seed002.CLAIMS + seed003.CLAIMS + seed004.CLAIMS
LOG = logging.getLogger("qheat.reproduce")

__all__ = ["CLAIMS", "PAPERS", "Check", "Claim", "Verdict", "judge", "markdown", "run", "seeds_of", "table"]


def seeds_of(names: Iterable[str]) -> list[str]:
    """The seeds named (``001``, ``1`` or ``all``; none: all), or one line saying which exist."""
    out: list[str] = []
    for name in names:
        if name == "all":
            out += [s for s in PAPERS if s not in out]
            continue
        seed = name.zfill(3) if name.isdigit() else name
        if seed not in PAPERS:
            raise QheatError(f"unknown seed {name!r}; expected one of {', '.join(PAPERS)} or 'all'")
        if seed not in out:
            out.append(seed)
    return out or list(PAPERS)


def run(seeds: Sequence[str] = (), backend: str = "exact") -> list[Verdict]:
    """Run every spec the claims of ``seeds`` need (once each) on ``backend`` and judge the claims.

    On a circuit backend a spec that cannot run there (its protocol's check refuses it) skips its claims."""
    from qheat.backends import check

    check(backend)
    chosen = [c for c in CLAIMS if c.seed in seeds_of(seeds)]
    names = list(dict.fromkeys(n for c in chosen for n in c.specs))
    plans, refused = {}, {}
    for name in names:  # every refusal before any work
        try:
            plans[name] = engine.prepare(load_spec(name), backend)
        except QheatError as exc:
            if backend == "exact":
                raise
            refused[name] = str(exc)
    LOG.info("%d claims, %d specs on %s (%d refused there)", len(chosen), len(plans), backend, len(refused))
    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for i, (name, plan) in enumerate(plans.items(), 1):
        started = time.monotonic()
        try:
            results[name] = engine.run_plan(plan).to_dict()
        except QheatError as exc:  # a run that fails is reported beside the others (ERROR, exit 1)
            failed[name] = str(exc)
        LOG.info(
            "%s %s in %.1f s (%d/%d)",
            name,
            "FAILED" if name in failed else "done",
            time.monotonic() - started,
            i,
            len(plans),
        )
    out = []
    for claim in chosen:
        missing = next((n for n in claim.specs if n in refused), None)
        broken = next((n for n in claim.specs if n in failed), None)
        if missing is not None:
            out.append(Verdict(claim, "SKIP", reason=f"{missing}: {refused[missing]}"))
        elif broken is not None:
            out.append(Verdict(claim, "ERROR", reason=f"{broken}: {failed[broken]}"))
        else:
            out.append(judge(claim, results, backend))
    return out


def table(verdicts: Sequence[Verdict], backend: str = "exact", width: int = 64) -> str:
    """The verdicts as a text table -- paper, figure/equation, the paper's statement (what qheat's number is),
    qheat's number, verdict, the test -- then the counts and the notes ([n]) on errata and conventions."""
    head = ("paper", "where", "the paper's statement (qheat's number)", "qheat", "verdict", "test")
    rows, notes = [], []
    for v in verdicts:
        text = v.claim.statement
        if v.claim.note:
            notes.append(v.claim.note)
            text += f" [{len(notes)}]"
        qheat = "-" if v.value is None else f"{v.value:.4g}"
        rows.append(
            (f"{v.claim.seed} {SHORT[v.claim.seed]}", v.claim.where, text, qheat, v.verdict, v.test or v.reason)
        )
    w0, w1 = (max(len(r[i]) for r in [head, *rows]) for i in (0, 1))
    w3 = max(len(r[3]) for r in [head, *rows])
    lines = []
    for r in [head, *rows]:
        wrapped = textwrap.wrap(r[2], width) or [""]
        lines.append(f"{r[0]:{w0}}  {r[1]:{w1}}  {wrapped[0]:{width}}  {r[3]:>{w3}}  {r[4]:7}  {r[5]}".rstrip())
        lines += [f"{'':{w0}}  {'':{w1}}  {more}" for more in wrapped[1:]]
    counts = {k: sum(v.verdict == k for v in verdicts) for k in ("PASS", "FAIL", "SKIP", "ERROR")}
    seeds = ", ".join(dict.fromkeys(v.claim.seed for v in verdicts))
    lines.append(
        f"\n{len(verdicts)} claims of seeds {seeds} on {backend}: {counts['PASS']} PASS, "
        f"{counts['FAIL']} FAIL, {counts['SKIP']} SKIP"
        + (f", {counts['ERROR']} ERROR (the run of their spec failed)" if counts["ERROR"] else "")
    )
    for i, note in enumerate(notes, 1):
        lines += textwrap.wrap(f"[{i}] {note}", 110, subsequent_indent="    ")
    return "\n".join(lines)


def markdown(claims: Sequence[Claim] = ()) -> str:
    """The claims as Markdown tables, one per seed (``docs/reproduce.md`` holds this listing)."""
    out = []
    for seed, paper in PAPERS.items():
        mine = [c for c in claims or CLAIMS if c.seed == seed]
        if not mine:
            continue
        out += [
            f"### Seed {seed}: {paper}",
            "",
            "| where | the paper's statement (qheat's number) | specs | test (exact) | test (circuits) | note |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c in mine:
            number = None if callable(c.paper) else c.paper
            on_circuits = "same" if c.circuit is None else c.circuit.text(number)
            cells = [
                c.where,
                c.statement,
                ", ".join(f"`{n}`" for n in c.specs),
                c.check.text(number),
                f"SKIP ({c.exact_only})" if c.exact_only else on_circuits,
                c.note,
            ]
            out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        out.append("")
    return "\n".join(out)
