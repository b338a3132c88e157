"""Layouts beyond a star: routing by moving one state along the layout and back (``circuits.routing``),
layouts that move the bath when R has fewer neighbours than subsystems, and the routed device circuits
against the exact engine."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit.library import XXPlusYYGate  # noqa: E402
from qiskit.quantum_info import Operator, random_unitary  # noqa: E402

from qheat import QheatError, spec_from_dict  # noqa: E402
from qheat.circuits.routing import neighbours, route, shortest_path  # noqa: E402
from qheat.protocols.registry import load_spec  # noqa: E402

TREE = [(0, 1), (1, 2), (2, 3), (1, 4), (4, 5)]  # 0-1-2-3 with a branch 1-4-5


def _on_edges(qc: QuantumCircuit, graph) -> bool:
    return all(
        qc.find_bit(i.qubits[1]).index in graph[qc.find_bit(i.qubits[0]).index]
        for i in qc.data
        if i.operation.num_qubits == 2 and i.operation.name != "barrier"
    )


def test_route_keeps_the_operator_and_every_qubit_in_place():
    """Random two- and three-qubit gates on a tree: the routed circuit is the same unitary (no final
    permutation), every two-qubit gate sits on an edge, and a gate at distance d costs 2 (d - 1) SWAPs."""
    graph = neighbours(TREE, range(6))
    rng = np.random.default_rng(7)
    qc = QuantumCircuit(6)
    expected = 0
    for _ in range(12):
        a, b = (int(x) for x in rng.choice(6, size=2, replace=False))
        gate = XXPlusYYGate(float(rng.uniform(0, 3))) if rng.random() < 0.5 else random_unitary(4, seed=int(a * 6 + b))
        qc.append(gate, [a, b])
        expected += 2 * (len(shortest_path(graph, b if b == 5 else a, a if b == 5 else b)) - 2)
    qc.ccx(0, 3, 5)
    routed, swaps = route(qc, graph, mover=5)
    assert Operator(routed) == Operator(qc)  # global phase included
    assert _on_edges(routed, graph)
    assert swaps >= expected and routed.count_ops().get("swap", 0) == swaps


def test_route_moves_the_mover_and_refuses_a_disconnected_layout():
    graph = neighbours([(0, 1), (1, 2)], range(3))
    qc = QuantumCircuit(3)
    qc.cx(0, 2)  # 2 is the mover: it travels to 1 and back
    routed, swaps = route(qc, graph, mover=2)
    assert swaps == 2 and [routed.find_bit(q).index for q in routed.data[1].qubits] == [0, 1]
    with pytest.raises(QheatError, match="not connected"):
        route(qc, neighbours([(0, 1)], range(3)))


@pytest.mark.parametrize("device,n,swaps", [("torino", 4, 2), ("sherbrooke", 4, 2), ("manila", 3, 2), ("manila", 4, 4)])
def test_layout_moves_the_bath_when_r_has_too_few_neighbours(device, n, swaps):
    """Heavy-hex qubits have at most 3 neighbours, a line 2: the S_k beyond R's neighbours sit one hop
    farther, reached through a neighbour of R (2 SWAPs each per collision), the fewest the device allows."""
    from qheat.backends.runtime import choose_layout, coupled_pairs, fake_device

    target = fake_device(f"fake:{device}").target
    lay = choose_layout(target, n)
    graph = neighbours(coupled_pairs(target), range(target.num_qubits))
    *sites, r = lay.qubits
    assert len(set(lay.qubits)) == n + 1 and lay.swaps_per_collision == swaps
    for k, s in enumerate(sites):
        if s in graph[r]:
            assert k not in lay.paths
        else:
            path = lay.paths[k]
            assert len(path) == 3 and path[0] == r and path[1] in sites and path[1] in graph[r] and s in graph[path[1]]
    assert lay.to_dict()["swaps_per_collision"] == swaps


def test_layout_refuses_more_qubits_than_the_device_connects():
    from qheat.backends.runtime import choose_layout, fake_device

    with pytest.raises(QheatError, match="6 connected"):
        choose_layout(fake_device("fake:manila").target, 5)


def _four_spins():
    data = load_spec("fig3-reversed").to_dict()
    data["system"]["temperatures"] = [1.0, 1.2, 1.0, 0.9]
    for c in data["system"]["coherence"]:
        c["strength"] = 0.35
    data["system"]["coherence"].append({"pair": [3, 4], "strength": 0.3, "phase": 0.0})
    return spec_from_dict(data)


@pytest.mark.parametrize("device,spec", [("fake:torino", "four"), ("fake:manila", "fig3-reversed")])
def test_routed_device_circuits_equal_the_exact_engine(device, spec, monkeypatch):
    """The compiled device circuits (preparation through R, collisions with the bath moved by SWAPs, the
    Z^b-dephased refresh), simulated without noise, give the exact engine's system state after two
    collisions; the only two-qubit overhead is 3 gates per SWAP."""
    from qiskit_aer import AerSimulator

    from qheat.circuits import routing
    from qheat.protocols.cascade.circuits import CascadeCircuits, branches
    from qheat.protocols.cascade.devices import circuit_costs, runtime_backend
    from qheat.protocols.cascade.exact import simulate

    spec = _four_spins() if spec == "four" else load_spec(spec)
    be = runtime_backend(spec, device)
    routed_segments: dict[int, list] = {}  # what the compiler's own routing did to each collision segment
    real_route = routing.route

    def spy(qc, graph, mover=None, key=None):
        out, swaps = real_route(qc, graph, mover, key)
        if len(qc.data) == 1 and qc.data[0].operation.name == "xx_plus_yy":  # one collision segment
            k = min(qc.find_bit(q).index for q in qc.data[0].qubits)
            routed_segments[k] = [(i.operation.name, [out.find_bit(q).index for q in i.qubits]) for i in out.data]
        return out, swaps

    monkeypatch.setattr(routing, "route", spy)
    cc = CascadeCircuits(spec, be.compile, "phase")
    n, stop = spec.n, 2 * spec.n
    costs = circuit_costs(cc, spec)
    assert costs["swaps"] == be.layout.swaps_per_collision > 0
    assert costs["two_qubit_gates_per_collision"] == 2 * n + 3 * costs["swaps"]  # 2 per partial SWAP, 3 per SWAP
    for k, path in be.layout.paths.items():  # the compiler moved the bath along the reported path
        hops = [[be.layout.qubits[q] for q in qubits] for name, qubits in routed_segments[k] if name == "swap"]
        out = [set(h) for h in zip(path[:-2], path[1:-1])]
        assert [set(h) for h in hops] == out + out[::-1]
    circuits, weights = [], []
    for wb, prep in branches(spec, spec.initial_state(), True):
        m = cc.refreshes(0, stop)
        for i in range(2**m):
            qc = cc.evolve(
                cc.start(prep, snapshot=False), 0, stop, snapshot=False, phases=tuple((i >> r) & 1 for r in range(m))
            )
            qc.save_density_matrix(list(range(n)))
            circuits.append(qc)
            weights.append(wb / 2**m)
    data = AerSimulator(method="density_matrix").run(circuits).result()
    rho = sum(w * np.asarray(data.data(i)["density_matrix"]) for i, w in enumerate(weights))
    exact = next(s.rho_s for s in simulate(spec) if s.step == stop)
    assert np.abs(rho - exact).max() < 1e-9


def test_devices_refuse_what_they_cannot_route_well():
    """The simultaneous collision (one gate on all n + 1 qubits) is refused on devices, and so are given
    layouts that are not a connected list of n + 1 distinct qubits of the device -- one line each."""
    from qheat.backends.runtime import RuntimeBackend
    from qheat.protocols.cascade.devices import runtime_backend

    with pytest.raises(QheatError, match="simultaneous"):
        runtime_backend(load_spec("fig12-simultaneous"), "fake:manila")
    be = RuntimeBackend("fake:manila")
    for layout, match in (
        ([0, 1, "x", 3], "list of qubit indices"),
        ([0, 1, 2], "names 4 qubits"),
        ([0, 1, 1, 2], "distinct"),
        ([0, 1, 3, 4], "not connected"),
        ([0, 1, 2, 9], "distinct"),
    ):
        with pytest.raises(QheatError, match=match):
            be.prepare(3, 3, layout=layout)
    lay = be.prepare(3, 3, layout=[0, 1, 3, 2])
    assert lay.paths == {0: (2, 1, 0)} and lay.to_dict()["rule"].startswith("given")
