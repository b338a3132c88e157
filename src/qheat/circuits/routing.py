"""Two-qubit gates between qubits that are not neighbours, by moving one state along a path and back.

A gate on (a, b) with a, b not coupled is applied as SWAP(v_0, v_1) ... SWAP(v_{m-2}, v_{m-1}), the gate
on (v_{m-1}, b), and the same SWAPs in reverse, where v_0 = a, ..., v_m = b is a shortest path through
the layout's qubits. The moved state rides to b's neighbour and back, so every qubit ends where it
started and a piece routed this way composes with any other piece (``CascadeCircuits`` composes pieces
compiled once). With ``mover`` = the bath qubit R, a collision S_k-R with S_k beyond R's neighbours
moves the bath: 2 (m - 1) SWAPs, 6 (m - 1) two-qubit gates of the device more than a neighbour's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from qiskit import QuantumCircuit
from qiskit.circuit import Qubit

from qheat.core.errors import QheatError


def neighbours(edges: Iterable[tuple[int, int]], nodes: Iterable[int]) -> dict[int, set[int]]:
    """Undirected adjacency of ``edges`` restricted to ``nodes``."""
    nodes = set(nodes)
    out: dict[int, set[int]] = {q: set() for q in nodes}
    for a, b in edges:
        if a in nodes and b in nodes and a != b:
            out[a].add(b)
            out[b].add(a)
    return out


def shortest_path(graph: dict[int, set[int]], a: int, b: int, key: Callable[[int], int] | None = None) -> list[int]:
    """Breadth-first shortest path a -> b; ties go to the neighbour with the smallest ``key`` (default: index),
    so the path is reproducible (a compiler on renumbered qubits passes their physical indices)."""
    parent = {a: a}
    queue = deque([a])
    while queue:
        q = queue.popleft()
        if q == b:
            path = [b]
            while path[-1] != a:
                path.append(parent[path[-1]])
            return path[::-1]
        for nb in sorted(graph[q], key=key):
            if nb not in parent:
                parent[nb] = q
                queue.append(nb)
    raise QheatError(f"qubits {a} and {b} of the layout are not connected; choose a connected layout")


def needs_routing(qc: QuantumCircuit, graph: dict[int, set[int]]) -> bool:
    """Whether ``qc`` has a gate on more than two qubits or on two qubits that ``graph`` does not couple."""
    for inst in qc.data:
        if inst.operation.name == "barrier" or inst.operation.num_qubits < 2:
            continue
        qs = [qc.find_bit(q).index for q in inst.qubits]
        if len(qs) > 2 or qs[1] not in graph.get(qs[0], ()):
            return True
    return False


def route(
    qc: QuantumCircuit, graph: dict[int, set[int]], mover: int | None = None, key: Callable[[int], int] | None = None
) -> tuple[QuantumCircuit, int]:
    """``qc`` (qubits 0..width-1 of ``graph``, which may hold more) with every two-qubit gate on coupled
    qubits, and the number of SWAPs inserted. Gates on three or more qubits are first unrolled to
    two-qubit gates; of a gate's two qubits the one equal to ``mover`` (else the first) is moved, along
    ``shortest_path(..., key)``.
    The output keeps ``qc``'s registers and bits, plus qubits up to the ``len(graph)`` nodes of the layout
    (nodes 0..len(graph)-1), through which paths may pass."""
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import Unroll3qOrMore

    if any(i.operation.num_qubits > 2 and i.operation.name != "barrier" for i in qc.data):
        qc = PassManager([Unroll3qOrMore()]).run(qc)
    out = qc.copy_empty_like()
    out.metadata = dict(qc.metadata or {})
    if len(graph) > qc.num_qubits:  # paths may pass through the layout's other qubits
        out.add_bits([Qubit() for _ in range(len(graph) - qc.num_qubits)])
    swaps = 0
    for inst in qc.data:
        qs = [qc.find_bit(q).index for q in inst.qubits]
        cs = [qc.find_bit(c).index for c in inst.clbits]
        if len(qs) != 2 or inst.operation.name == "barrier" or qs[1] in graph[qs[0]]:
            out.append(inst.operation, qs, cs)
            continue
        move = 1 if qs[1] == mover else 0
        path = shortest_path(graph, qs[move], qs[1 - move], key)
        hops = list(zip(path[:-2], path[1:-1]))
        for a, b in hops:
            out.swap(a, b)
        qs[move] = path[-2]
        out.append(inst.operation, qs, cs)
        for a, b in reversed(hops):
            out.swap(a, b)
        swaps += 2 * len(hops)
    return out, swaps
