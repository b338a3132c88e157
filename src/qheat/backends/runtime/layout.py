"""Layouts on a device: ``choose_layout`` puts the bath qubit R on a qubit and S_1..S_n on the n qubits
nearest to it -- on R's neighbours when R has n of them (every collision gate native, no SWAP), beyond
them otherwise, each farther S_k reached by moving the bath along the layout and back (2 SWAPs per extra
hop, ``qheat.circuits.routing``) -- and keeps the candidate with the smallest sum of reported errors (the
R-S_k two-qubit gates, the bath's moves, the readout of the measured qubits, the sx gates).

``LayoutCompiler`` transpiles every piece (preparation, collision segment, setting) once for the device's
target restricted to the layout's qubits, with the trivial layout (no routing can move a qubit between
pieces); preparations are star circuits through R (``preparation.star_branches``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, islice, pairwise
from typing import Any

from qheat.backends.runtime.devices import restricted_target
from qheat.core.errors import QheatError


@dataclass(frozen=True)
class Layout:
    """Physical qubits of S_1..S_n then R, and why they were chosen. ``paths[k]``: the physical path R -> S_k
    when S_k is not R's neighbour (the bath moves along it and back for that collision)."""

    qubits: tuple[int, ...]
    score: float
    candidates: int
    errors: dict[str, float] = field(default_factory=dict)
    paths: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def bath(self) -> int:
        return self.qubits[-1]

    @property
    def swaps_per_collision(self) -> int:
        """SWAPs that move the bath in one cascade collision: 2 per extra hop of each path."""
        return sum(2 * (len(p) - 2) for p in self.paths.values())

    def to_dict(self) -> dict[str, Any]:
        n = len(self.qubits) - 1
        return {"physical_qubits": list(self.qubits),
                "assignment": {**{f"S{k + 1}": q for k, q in enumerate(self.qubits[:n])}, "R": self.bath},
                "score": self.score, "candidates": self.candidates, "errors": self.errors,
                "bath_paths": {f"S{k + 1}": list(p) for k, p in sorted(self.paths.items())},
                "swaps_per_collision": self.swaps_per_collision,
                "rule": "given (not searched); scored as the search would" if self.candidates == 0 else
                        "R on a qubit, S_k on the n qubits nearest to it (its neighbours first: no SWAP; a farther "
                        "S_k is reached by moving the bath along the layout and back, 2 SWAPs per extra hop); among "
                        "all such layouts the smallest sum of reported errors: the R-S_k gates, 6 two-qubit gates "
                        "per extra hop, the readout of the measured qubits, sx"}


MAX_SHELL_CHOICES = 200   # subsets of R's farthest needed shell tried per bath qubit


def _two_qubit_ops(target) -> list[str]:
    return [name for name in target.operation_names
            if name not in ("if_else", "for_loop", "while_loop", "switch_case", "box", "delay", "measure", "reset")
            and any(q is not None and len(q) == 2 for q in (target[name] or {}))]


def _error(target, name: str, qargs: tuple[int, ...]) -> float | None:
    props = (target[name] or {}).get(qargs) if name in target.operation_names else None
    return None if props is None or props.error is None else float(props.error)


def _edge_error(target, a: int, b: int, ops: list[str]) -> float | None:
    errs = [e for op in ops for q in ((a, b), (b, a)) if (e := _error(target, op, q)) is not None]
    if not errs:
        return None if not any(q in (target[op] or {}) for op in ops for q in ((a, b), (b, a))) else 0.0
    return min(errs)


def coupled_pairs(target) -> list[tuple[int, int]]:
    """Pairs (a < b) of qubits with a two-qubit gate in ``target``."""
    pairs = {tuple(sorted(q)) for op in _two_qubit_ops(target) for q in (target[op] or {}) if q is not None and len(q) == 2}
    return sorted(pairs)  # type: ignore[arg-type]


def _edge_errors(target) -> dict[tuple[int, int], float]:
    ops = _two_qubit_ops(target)
    out: dict[tuple[int, int], float] = {}
    for a, b in coupled_pairs(target):
        if (e := _edge_error(target, a, b, ops)) is not None:
            out[(a, b)] = out[(b, a)] = e
    return out


def _assess(target, qubits: tuple[int, ...], edges: dict[tuple[int, int], float],
            measured: int) -> tuple[float, dict[str, float], dict[int, tuple[int, ...]]]:
    """Score (sum of reported errors), its parts and the bath's paths of the layout ``qubits`` (S..., R)."""
    from qheat.circuits.routing import neighbours, shortest_path

    *sites, r = qubits
    graph = neighbours(edges, qubits)
    two, hops, paths = 0.0, 0.0, {}
    for k, s in enumerate(sites):
        path = shortest_path(graph, r, s)
        two += edges[(path[-2], s)]
        hops += 6 * sum(edges[(a, b)] for a, b in pairwise(path[:-1]))
        if len(path) > 2:
            paths[k] = tuple(path)
    readout = sum(_error(target, "measure", (q,)) or 0.0 for q in qubits[:measured])
    sx = sum(_error(target, "sx", (q,)) or 0.0 for q in qubits)
    errors = {"two_qubit": two, "bath_moves": hops, "readout": readout, "sx": sx}
    return float(sum(errors.values())), errors, paths


def choose_layout(target, n: int, measured: int | None = None) -> Layout:
    """The layout with the smallest total reported error (see ``Layout.to_dict()["rule"]``); ``measured``:
    how many of S_1..S_n, R tomography measures (n, or n + 1 with the bath). For each candidate R the
    S_k are its nearest qubits (whole distance shells, subsets of the last one), so no layout needs more
    bath moves than the device's connectivity forces."""
    from qheat.circuits.routing import neighbours

    measured = n if measured is None else measured
    edges = _edge_errors(target)
    graph = neighbours(edges, range(target.num_qubits))
    best: tuple[float, tuple[int, ...], dict[str, float], dict[int, tuple[int, ...]]] | None = None
    count = 0
    for r in range(target.num_qubits):
        dist, frontier = {r: 0}, [r]
        taken: list[int] = []
        choices: Any = ()
        while frontier and len(taken) < n:
            shell = sorted({b for a in frontier for b in graph[a] if b not in dist})
            for q in shell:
                dist[q] = dist[frontier[0]] + 1
            if len(taken) + len(shell) >= n:
                choices = islice(combinations(shell, n - len(taken)), MAX_SHELL_CHOICES)
                break
            taken += shell
            frontier = shell
        for extra in choices:
            qubits = (*taken, *extra, r)
            score, errors, paths = _assess(target, qubits, edges, measured)
            count += 1
            if best is None or score < best[0]:
                best = (score, qubits, errors, paths)
    if best is None:
        raise QheatError(f"{n} subsystems and the bath need {n + 1} connected working qubits; this device has no "
                         "such set")
    return Layout(best[1], round(best[0], 6), count, {k: round(v, 6) for k, v in best[2].items()}, best[3])


def given_layout(target, qubits: tuple[int, ...], measured: int) -> Layout:
    """A layout the caller chose (e.g. read from a manifest), assessed like ``choose_layout``'s."""
    if len(set(qubits)) != len(qubits) or not all(0 <= q < target.num_qubits for q in qubits):
        raise QheatError(f"layout {list(qubits)} must name distinct qubits of the device (0..{target.num_qubits - 1})")
    score, errors, paths = _assess(target, qubits, _edge_errors(target), measured)
    return Layout(qubits, round(score, 6), 0, {k: round(v, 6) for k, v in errors.items()}, paths)


class LayoutCompiler:
    """Compile pieces of a cascade circuit for a layout: trivial layout, the device's basis, and no router
    that could leave a qubit elsewhere.

    ``__call__(qc)`` returns ``qc`` compiled on the first ``qc.num_qubits`` qubits of the layout (system
    qubits first, R last). A two-qubit gate between qubits the layout does not couple (a collision with
    an S_k beyond R's neighbours, a gate between two S_k of a star) is routed first (``routing.route``):
    one state moves along the layout, the bath when the gate involves R, and comes back; the piece then
    acts on system + R and its metadata counts the SWAPs (``routing_swaps``).
    """

    def __init__(self, target, layout: Layout, seed: int = 0) -> None:
        from qheat.circuits.routing import neighbours

        self.target, self.layout, self.seed = target, layout, seed
        self.n = len(layout.qubits) - 1
        self.graph = neighbours(coupled_pairs(restricted_target(target, layout.qubits)), range(self.n + 1))
        self._pms: dict[int, Any] = {}

    def pass_manager(self, width: int):
        if width not in self._pms:
            from qiskit.transpiler import generate_preset_pass_manager

            sub = restricted_target(self.target, self.layout.qubits[:width])
            self._pms[width] = generate_preset_pass_manager(optimization_level=1, target=sub,
                                                            initial_layout=list(range(width)),
                                                            seed_transpiler=self.seed)
        return self._pms[width]

    def __call__(self, qc):
        from qheat.circuits.routing import needs_routing, route

        if "kraus" in qc.count_ops():   # the snapshot engine's refresh: never run on a device
            return qc
        width = qc.num_qubits
        if width > self.n + 1:
            raise QheatError(f"a circuit of {width} qubits does not fit the layout {list(self.layout.qubits)} "
                             "(purification ancillas are not supported on Runtime backends; use preparation = 'temporal')")
        meta = dict(qc.metadata or {})
        if needs_routing(qc, self.graph):
            qc, swaps = route(qc, self.graph, mover=self.n, key=self.layout.qubits.__getitem__)  # paths as reported
            meta["routing_swaps"] = swaps
            if width == self.n:   # a system piece now passes through R: it acts on system + R
                meta["qubits"] = "system+bath"
            width = qc.num_qubits
        out = self.pass_manager(width).run(qc)
        final = out.layout.final_index_layout() if out.layout is not None else list(range(width))
        if list(final) != list(range(width)):
            raise QheatError(f"compiling a piece moved qubits ({final}); the layout must connect its two-qubit gates")
        out.metadata = meta
        return out


def two_qubit_count(qc) -> int:
    return int(sum(1 for inst in qc.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier"))
