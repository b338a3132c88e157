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
        return {
            "physical_qubits": list(self.qubits),
            "assignment": {**{f"S{k + 1}": q for k, q in enumerate(self.qubits[:n])}, "R": self.bath},
            "score": self.score,
            "candidates": self.candidates,
            "errors": self.errors,
            "bath_paths": {f"S{k + 1}": list(p) for k, p in sorted(self.paths.items())},
            "swaps_per_collision": self.swaps_per_collision,
            "rule": "given (not searched); scored as the search would"
            if self.candidates == 0
            else "R on a qubit, S_k on the n qubits nearest to it (its neighbours first: no SWAP; a farther "
            "S_k is reached by moving the bath along the layout and back, 2 SWAPs per extra hop); among "
            "all such layouts the smallest sum of reported errors: the R-S_k gates, 6 two-qubit gates "
            "per extra hop, the readout of the measured qubits, sx, and each qubit's idle error over one "
            "collision's duration, t (1/T1 + 1/T2)",
        }


MAX_SHELL_CHOICES = 200  # subsets of R's farthest needed shell tried per bath qubit


def _two_qubit_ops(target) -> list[str]:
    return [
        name
        for name in target.operation_names
        if name not in ("if_else", "for_loop", "while_loop", "switch_case", "box", "delay", "measure", "reset")
        and any(q is not None and len(q) == 2 for q in (target[name] or {}))
    ]


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
    pairs = {
        tuple(sorted(q)) for op in _two_qubit_ops(target) for q in (target[op] or {}) if q is not None and len(q) == 2
    }
    return sorted(pairs)


def _edge_errors(target) -> dict[tuple[int, int], float]:
    ops = _two_qubit_ops(target)
    out: dict[tuple[int, int], float] = {}
    for a, b in coupled_pairs(target):
        if (e := _edge_error(target, a, b, ops)) is not None:
            out[(a, b)] = out[(b, a)] = e
    return out


def _assess(
    target, qubits: tuple[int, ...], edges: dict[tuple[int, int], float], measured: int
) -> tuple[float, dict[str, float], dict[int, tuple[int, ...]]]:
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
    ops = _two_qubit_ops(target)
    seconds = 0.0  # one collision: per S_k two two-qubit gates on its last edge, 6 per extra hop, 4 sx on R
    for k, s in enumerate(sites):
        route = paths.get(k, (r, s))
        seconds += 2 * _edge_duration(target, route[-2], s, ops) + 4 * _duration(target, "sx", (r,))
        seconds += 6 * sum(_edge_duration(target, a, b, ops) for a, b in pairwise(route[:-1]))
    errors = {
        "two_qubit": two,
        "bath_moves": hops,
        "readout": readout,
        "sx": sx,
        "idle": idle_error(target, qubits, seconds),
    }
    return float(sum(errors.values())), errors, paths


def _duration(target, name: str, qargs: tuple[int, ...]) -> float:
    props = (target[name] or {}).get(qargs) if name in target.operation_names else None
    return 0.0 if props is None or props.duration is None else float(props.duration)


def _edge_duration(target, a: int, b: int, ops: list[str]) -> float:
    found = [d for op in ops for q in ((a, b), (b, a)) if (d := _duration(target, op, q)) > 0]
    return min(found, default=0.0)


def idle_error(target, qubits: tuple[int, ...], seconds: float) -> float:
    """sum over ``qubits`` of seconds x (1/T1 + 1/T2): to first order the probability that each relaxes
    or dephases while the collision's gates act on the others (the reported T1, T2; none reported: 0)."""
    props = getattr(target, "qubit_properties", None) or []
    total = 0.0
    for q in qubits:
        p = props[q] if q < len(props) else None
        total += sum(seconds / t for t in (getattr(p, "t1", None), getattr(p, "t2", None)) if t)
    return total


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
        raise QheatError(
            f"{n} subsystems and the bath need {n + 1} connected working qubits; this device has no such set"
        )
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
            self._pms[width] = generate_preset_pass_manager(
                optimization_level=1, target=sub, initial_layout=list(range(width)), seed_transpiler=self.seed
            )
        return self._pms[width]

    def __call__(self, qc):
        from qheat.circuits.routing import needs_routing, route

        if "kraus" in qc.count_ops():  # the snapshot engine's refresh: never run on a device
            return qc
        width = qc.num_qubits
        if width > self.n + 1:
            raise QheatError(
                f"a circuit of {width} qubits does not fit the layout {list(self.layout.qubits)} "
                "(purification ancillas are not supported on Runtime backends; use preparation = "
                "'temporal')"
            )
        meta = dict(qc.metadata or {})
        if needs_routing(qc, self.graph):
            qc, swaps = route(qc, self.graph, mover=self.n, key=self.layout.qubits.__getitem__)  # paths as reported
            meta["routing_swaps"] = swaps
            if width == self.n:  # a system piece now passes through R: it acts on system + R
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


# ----------------------------------------------------------------------------- any interaction graph

MAX_MAPPINGS = 4000  # embeddings of an interaction graph scored per distance (VF2 enumeration is capped)
MAX_HOPS = 3  # interaction pairs at most this far apart on the device (SWAPs beyond a neighbour)


def interaction_graph(circuits) -> tuple[int, dict[tuple[int, int], int]]:
    """Width and two-qubit interaction graph of logical circuits: pair (a < b) -> the largest number of
    two-qubit gates between a and b in any one circuit, once transpiled to {cx, rz, sx, x} without a device."""
    from qiskit import transpile

    width, edges = 0, dict[tuple[int, int], int]()
    for qc in circuits:
        width = max(width, qc.num_qubits)
        tq = transpile(
            qc.remove_final_measurements(inplace=False),
            basis_gates=["cx", "rz", "sx", "x"],
            optimization_level=1,
            seed_transpiler=0,
        )
        here: dict[tuple[int, int], int] = {}
        for inst in tq.data:
            if inst.operation.num_qubits == 2 and inst.operation.name != "barrier":
                a, b = sorted(tq.find_bit(q).index for q in inst.qubits)
                here[a, b] = here.get((a, b), 0) + 1
        for pair, count in here.items():
            edges[pair] = max(edges.get(pair, 0), count)
    return width, edges


@dataclass(frozen=True)
class GraphLayout:
    """Physical qubits of logical qubits 0..width-1, then the qubits that routing passes through (idle
    otherwise); the estimated error that chose them."""

    qubits: tuple[int, ...]
    width: int
    score: float
    candidates: int
    hops: int
    errors: dict[str, float] = field(default_factory=dict)

    def to_dict(self, names: tuple[str, ...] = ()) -> dict[str, Any]:
        names = tuple(names) + tuple(f"q{i}" for i in range(len(names), self.width))
        return {
            "physical_qubits": list(self.qubits),
            "assignment": {names[i]: q for i, q in enumerate(self.qubits[: self.width])},
            "routing_qubits": list(self.qubits[self.width :]),
            "score": self.score,
            "candidates": self.candidates,
            "max_distance": self.hops,
            "errors": self.errors,
            "rule": "the circuits' two-qubit interaction graph embedded in the device's coupling graph (VF2, "
            "pairs at most max_distance apart: 1 = every interaction native), among the embeddings the "
            "smallest sum of reported errors: each pair's two-qubit gates (x its gate count, a pair d "
            "apart 6 (d - 1) more gates along its path), readout of the measured qubits, sx",
        }


def choose_graph_layout(
    target,
    width: int,
    edges: dict[tuple[int, int], int],
    measured: tuple[int, ...] = (),
    max_mappings: int = MAX_MAPPINGS,
) -> GraphLayout:
    """The layout of an interaction graph (``interaction_graph``) with the smallest estimated error (see
    ``GraphLayout.to_dict()["rule"]``): native embeddings if any, else pairs 2, then 3 apart."""
    import rustworkx as rx

    errs = _edge_errors(target)
    device = rx.PyGraph()
    device.add_nodes_from(range(target.num_qubits))
    device.add_edges_from_no_data([(a, b) for (a, b) in errs if a < b])
    paths = rx.all_pairs_dijkstra_shortest_paths(device, lambda _: 1.0)
    pattern = rx.PyGraph()
    pattern.add_nodes_from(range(width))
    pattern.add_edges_from_no_data(list(edges))
    readout = [_error(target, "measure", (q,)) or 0.0 for q in range(target.num_qubits)]
    sx = [_error(target, "sx", (q,)) or 0.0 for q in range(target.num_qubits)]

    def path(a: int, b: int) -> list[int]:
        return [a] if a == b else list(paths[a][b])

    for hops in range(1, MAX_HOPS + 1):
        graph = device if hops == 1 else rx.PyGraph()
        if hops > 1:
            graph.add_nodes_from(range(target.num_qubits))
            graph.add_edges_from_no_data(
                [(a, b) for a in range(target.num_qubits) for b in paths[a] if a < b and len(paths[a][b]) - 1 <= hops]
            )
        best, count = None, 0
        for mapping in islice(
            rx.vf2_mapping(graph, pattern, subgraph=True, induced=False, id_order=False), max_mappings
        ):
            phys = [0] * width
            for p, v in mapping.items():
                phys[v] = p
            count += 1
            two = moves = 0.0
            via: set[int] = set()
            for (a, b), w in edges.items():
                route = path(phys[a], phys[b])
                two += w * errs[(route[-2], route[-1])]
                moves += w * 6 * sum(errs[(x, y)] for x, y in pairwise(route[:-1]))
                via |= set(route[1:-1])
            parts = {
                "two_qubit": two,
                "routing": moves,
                "readout": sum(readout[phys[q]] for q in measured),
                "sx": sum(sx[q] for q in phys),
            }
            score = sum(parts.values())
            if best is None or score < best[0]:
                extra = tuple(sorted(via - set(phys)))
                best = (score, (*phys, *extra), parts)
        if best is not None:
            return GraphLayout(
                best[1], width, round(best[0], 6), count, hops, {k: round(v, 6) for k, v in best[2].items()}
            )
    raise QheatError(
        f"the circuits' {width} qubits and their interactions do not fit this device's connected "
        f"working qubits ({target.num_qubits}) with pairs at most {MAX_HOPS} apart"
    )


def shape(target, qubits: tuple[int, ...]) -> str:
    """How ``qubits`` sit on the coupling graph: the union of the shortest paths between them is a 'line'
    (a path), a 'star' (a tree with one branching qubit, e.g. a heavy-hex degree-3 qubit and its
    neighbours), else 'spread'; with the number of qubits that union spans."""
    import rustworkx as rx

    device = rx.PyGraph()
    device.add_nodes_from(range(target.num_qubits))
    device.add_edges_from_no_data(coupled_pairs(target))
    nodes, links = set(qubits), set()
    for a, b in combinations(qubits, 2):
        path = list(rx.dijkstra_shortest_paths(device, a, b)[b])
        nodes |= set(path)
        links |= {tuple(sorted(e)) for e in pairwise(path)}
    degree = {q: sum(q in e for e in links) for q in nodes}
    tree = len(links) == len(nodes) - 1
    branching = sum(d >= 3 for d in degree.values())
    kind = "line" if tree and branching == 0 else "star" if tree and branching == 1 else "spread"
    return f"{kind} of {len(nodes)} qubits"


class CircuitCompiler:
    """Compile whole circuits (every measurement in them, mid-circuit ones too) for the device's target
    restricted to a layout's qubits: logical qubit i on layout qubit i, Sabre routing where an interaction is
    not native (a final permutation is harmless: measurements write their own clbits). ``__call__`` returns
    the compiled circuit, its metadata plus ``routing_swaps``."""

    ROUTERS = ("SabreSwap", "SabreLayout", "BasicSwap", "LookaheadSwap", "StochasticSwap")

    def __init__(self, layout_target, seed: int = 0) -> None:
        self.target, self.seed = layout_target, seed
        self._pms: dict[int, Any] = {}

    def pass_manager(self, width: int):
        if width not in self._pms:
            from qiskit.transpiler import generate_preset_pass_manager

            self._pms[width] = generate_preset_pass_manager(
                optimization_level=1, target=self.target, initial_layout=list(range(width)), seed_transpiler=self.seed
            )
        return self._pms[width]

    def __call__(self, qc):
        swaps = {"n": 0}

        def count(pass_, dag, **_: Any) -> None:
            if type(pass_).__name__ in self.ROUTERS:
                swaps["n"] = int(dag.count_ops().get("swap", 0))

        before = int(qc.count_ops().get("swap", 0))
        out = self.pass_manager(qc.num_qubits).run(qc, callback=count)
        out.metadata = {**dict(qc.metadata or {}), "routing_swaps": max(swaps["n"] - before, 0)}
        return out


def circuit_costs(compiled) -> dict[str, Any]:
    """Two-qubit gates, depth and routing SWAPs of compiled circuits (each, and the largest)."""
    two = [two_qubit_count(qc) for qc in compiled]
    depth = [int(qc.depth()) for qc in compiled]
    swaps = [int((qc.metadata or {}).get("routing_swaps", 0)) for qc in compiled]
    return {
        "two_qubit_gates": two,
        "two_qubit_gates_max": max(two),
        "depth": depth,
        "depth_max": max(depth),
        "swaps": swaps,
        "swaps_max": max(swaps),
        "note": "per circuit, compiled for the layout (device basis); 'swaps': SWAPs routing inserted where an "
        "interaction is not native (included in the two-qubit gate count)",
    }
