"""heat-transfer, correlated-pair, heat-pump and reservoirs on Runtime devices (offline: fake:torino in local
mode; ibm: only up to the account check).

The independent answer for a sampled device run is the *same compiled circuits* simulated shot-free with the
device's noise model: Aer's density matrix under ``NoiseModel.from_backend`` of the fake device restricted to
the layout (what local mode samples from), every measurement replaced by its outcome probabilities (saved)
followed by the unconditional measurement channel, and the readout error of each measured qubit applied to
those probabilities. Noise biases every mean, so the sampled values must agree with this noisy shot-free
value within 3 standard errors; the bias of that value to the exact (noise-free) engine is reported apart.
"""

from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources

import numpy as np
import pytest

pytest.importorskip("qiskit_ibm_runtime")

from qheat import QheatError, engine  # noqa: E402
from qheat.cli import main  # noqa: E402
from qheat.protocols.registry import protocol_of, spec_from_dict  # noqa: E402

DEVICE = "fake:torino"
LIBRARY = resources.files("qheat") / "spec_library"


def heat_transfer() -> dict:
    return {
        "protocol": "heat-transfer",
        "name": "ht-device",
        "qubits": [
            {"label": "A1", "system": "A", "frequency": 1.0, "temperature": 0.5},
            {"label": "B", "system": "B", "frequency": 1.0, "temperature": 2.0},
        ],
        "interaction": [{"ops": {"A1": "-", "B": "+"}, "coefficient": 0.1, "hermitian_conjugate": True}],
        "evolution": {"t_max": 15.0, "points": 31},
        "circuits": {"points": 3, "shots": 3000, "seed": 5},
    }


def three_body() -> dict:
    data = tomllib.loads((LIBRARY / "ma-fig1b.toml").read_text())
    data["evolution"] = {"t_max": 300.0, "points": 31}
    data["circuits"] = {"points": 2, "shots": 2000, "seed": 3}
    data["name"] = "ma-device"
    return data


def correlated_pair() -> dict:
    return {
        "protocol": "correlated-pair",
        "name": "cp-device",
        "qubits": {"temperatures": [2.0, 1.0]},
        "correlation": {"phase": 0.0, "strength": 0.8},
        "coupling": {"strength": 0.1, "phase": -np.pi / 2},
        "evolution": {"t_max": 10.0, "points": 11},
        "circuits": {"points": 2, "shots": 1000, "seed": 3, "bootstrap": 100},
    }


def heat_pump() -> dict:
    data = tomllib.loads((LIBRARY / "holdsworth-pump.toml").read_text())
    data.update(cycles=1, coupling_time=0.3, name="pump-device")
    data["baths"].update(kappa=[0.5, 0.8], dt=0.1, relax_time=1.0)
    data["circuits"] = {"shots": 1000, "seed": 11}
    return data


def reservoirs() -> dict:
    return {
        "protocol": "reservoirs",
        "name": "res-device",
        "methods": ["local"],
        "system": {"frequencies": [1.0, 2.0], "coupling": "exchange", "strength": 0.5},
        "reservoirs": {"temperatures": [3.0, 1.0], "strengths": [0.3, 0.3], "coupling": "rwa"},
        "collisions": {"dt": 1.0, "shots": 1000, "seed": 7, "window": 3.0},
    }


SPECS = {
    "heat-transfer": heat_transfer,
    "correlated-pair": correlated_pair,
    "heat-pump": heat_pump,
    "reservoirs": reservoirs,
}


# ----------------------------------------------------------------------------- the noisy shot-free reference


def _readout(noise) -> dict[int, np.ndarray]:
    """A[measured, true] of every qubit with a readout error in ``noise``."""
    out = {}
    for e in noise.to_dict()["errors"]:
        if e["type"] == "roerror":
            ((q,),) = e["gate_qubits"]
            out[int(q)] = np.asarray(e["probabilities"], dtype=float).T
    return out


_NOISE: dict[int, tuple] = {}  # the noise model and readout matrices of the device being run (once per run)


def shot_free(circuit, executor) -> dict[str, np.ndarray]:
    """The exact outcome statistics of a compiled circuit on the noisy fake device (``executor``; None: no
    noise): "marginal"[c] = P(clbit c reads 1) for every measurement, and "joint" (little endian over the
    clbits) when every measurement is terminal."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Kraus
    from qiskit_aer import AerSimulator
    from qiskit_aer.library import SaveProbabilities
    from qiskit_aer.noise import NoiseModel

    if executor is None:  # noise-free (the circuit as written, for the device variants' physics)
        noise, readout = None, {}
    else:
        if id(executor) not in _NOISE:
            _NOISE.clear()
            model = NoiseModel.from_backend(executor)
            _NOISE[id(executor)] = (model, _readout(model))
        noise, readout = _NOISE[id(executor)]
    dephase = Kraus([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]).to_instruction()
    sim = QuantumCircuit(circuit.num_qubits)
    where: dict[int, tuple[str, int]] = {}
    last_use: dict[int, int] = {}
    for i, inst in enumerate(circuit.data):
        for q in inst.qubits:
            last_use[circuit.find_bit(q).index] = i
    terminal = []
    for i, inst in enumerate(circuit.data):
        qs = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            c = circuit.find_bit(inst.clbits[0]).index
            sim.append(SaveProbabilities(1, label=f"m{c}"), qs)
            sim.append(dephase, qs)
            where[c] = (f"m{c}", qs[0])
            if last_use[qs[0]] == i:
                terminal.append((c, qs[0]))
        elif inst.operation.name != "barrier":
            sim.append(inst.operation, qs)
    joint_qubits = [q for _, q in sorted(terminal)]
    if len(terminal) == len(where):
        sim.append(SaveProbabilities(len(joint_qubits), label="joint"), joint_qubits)
    data = AerSimulator(method="density_matrix", noise_model=noise).run(sim, shots=1).result().data(0)
    out: dict[str, np.ndarray] = {}
    marginal = np.zeros(circuit.num_clbits)
    for c, (label, q) in where.items():
        a = readout.get(q, np.eye(2))
        marginal[c] = (a @ np.asarray(data[label]))[1]
    out["marginal"] = marginal
    if "joint" in data:
        p = np.asarray(data["joint"])
        a = np.ones((1, 1))
        for q in joint_qubits:  # bit i = joint_qubits[i]: kron from the most significant bit
            a = np.kron(readout.get(q, np.eye(2)), a)
        out["joint"] = a @ p
    return out


def device_run(spec) -> tuple[dict, list[tuple[object, dict]]]:
    """The records document of ``spec`` on the fake device, and each circuit's shot-free statistics with its
    metadata (the circuits the engine ran, captured as it runs them)."""
    seen: list[tuple[object, dict]] = []
    execute = engine.execute

    def capture(device, batch):
        out = execute(device, batch)
        seen.extend((shot_free(qc, device.executor), dict(m)) for qc, m in zip(batch.circuits, batch.metadata))
        return out

    engine.execute = capture
    try:
        document = engine.collect(spec, DEVICE)
    finally:
        engine.execute = execute
    return document, seen


def _agree(sampled, stderr, expected, label):
    sampled, stderr, expected = (np.asarray(x, dtype=float) for x in (sampled, stderr, expected))
    mask = stderr > 0
    z = np.abs(sampled - expected)[mask] / stderr[mask]
    assert mask.any() and z.max() < 3.0, f"{label}: sampled {sampled}, shot-free {expected}, stderr {stderr}"
    return z.max()


# ----------------------------------------------------------------------------- agreement, layout and costs


def _check_device_part(part: dict) -> None:
    assert part["device"] == "fake_torino" and part["engine"].startswith("circuits (Qiskit Runtime")
    layout, costs = part["layout"], part["costs"]
    assert len(set(layout["physical_qubits"])) == len(layout["physical_qubits"]) and layout["candidates"] > 0
    assert layout["shape"].split()[0] in ("line", "star", "spread")
    assert costs["two_qubit_gates_max"] == max(costs["two_qubit_gates"]) > 0
    assert {"depth_max", "swaps_max"} <= set(costs)


@pytest.mark.parametrize("make", [heat_transfer, three_body])
def test_heat_transfer_on_a_fake_device_agrees_with_the_noisy_shot_free_circuits(make, capsys):
    from qheat.protocols.heat_transfer.analysis import energies_of_b
    from qheat.protocols.heat_transfer.model import build_model

    spec = spec_from_dict(make())
    document, seen = device_run(spec)
    body = protocol_of(spec).analyze(document, spec)
    c = body["circuits"]
    _check_device_part(c)
    assert c["costs"]["trotter_error_bound_max"] >= 0 and c["costs"]["synthesis"] == c["synthesis"]
    system = c["layout"]["group_shape"]
    assert system["qubits"] == list(spec.labels) and system["shape"].split()[0] in ("line", "star")
    model = build_model(spec)
    b = model.partition.b
    e_b = energies_of_b(model.h_b, b, model.n)
    outcomes = np.arange(2 ** (2 * len(b) if c["estimator"] == "two-point" else len(b)))
    x = e_b[outcomes & (2 ** len(b) - 1)] - (e_b[outcomes >> len(b)] if c["estimator"] == "two-point" else 0.0)
    mean = np.array([stats["joint"] @ x for stats, _ in seen])
    expected = mean if c["estimator"] == "two-point" else mean - mean[0]
    z = _agree(c["heat"], c["stderr"], expected, spec.key())
    bias = np.abs(expected - np.asarray(c["exact_heat"])).max()
    with capsys.disabled():
        print(
            f"\n{spec.key()}: max |sampled - noisy shot-free| = {z:.2f} sigma; noise bias of the shot-free heat to "
            f"exact {bias:.4f}; system qubits on a {system['shape']}, {c['costs']['two_qubit_gates_max']} 2q gates"
        )


def test_correlated_pair_tomography_on_a_fake_device(capsys):
    from qheat.physics.tomography import fit_states
    from qheat.physics.tomography import settings as pauli_settings
    from qheat.protocols.correlated_pair.exact import hamiltonian

    spec = spec_from_dict(correlated_pair())
    document, seen = device_run(spec)
    body = protocol_of(spec).analyze(document, spec)
    c = body["circuits"]
    _check_device_part(c)
    order = [tuple(s) for s in pauli_settings(2)]
    table = np.zeros((len(c["times"]), 9, 4))
    for stats, meta in seen:
        table[list(c["times"]).index(meta["time"]), order.index(tuple(meta["m_idx"]))] = stats["joint"]
    states = fit_states(np.rint(table * 1e7).astype(np.int64))  # the noisy state itself (linear inversion)
    h_a, h_b, _ = hamiltonian(spec)
    sed = [float(np.real(np.trace(r @ (h_a - h_b)))) for r in states]
    z = _agree(c["sed"], c["stderr_sed"], sed, "SED")
    with capsys.disabled():
        print(
            f"\ncorrelated pair: SED within {z:.2f} sigma of the noisy shot-free tomography; its bias to exact "
            f"{np.abs(np.subtract(sed, c['exact_sed'])).max():.4f}; fidelity with exact {min(c['fidelity']):.3f}"
        )


def test_heat_pump_on_a_fake_device(capsys):
    spec = spec_from_dict(heat_pump())
    document, seen = device_run(spec)
    body = protocol_of(spec).analyze(document, spec)
    c = body["circuits"]
    _check_device_part(c)
    assert c["layout"]["assignment"].keys() == {"A", "B", "a_A", "a_B", "p_A", "p_B"}
    w = spec.qubits.frequency
    stats = {m["circuit"]: s["marginal"] for s, m in seen}
    n_c = seen[0][1]["coupling_rounds"]
    dec, cyc = stats["decouple"], stats["cycle"]
    expected = [
        w * (dec[2 * k : 4 * n_c : 4] - dec[2 * k + 1 : 4 * n_c : 4]).sum()
        - w * (dec[4 * n_c + k] - 0.5)
        + w * (cyc[k] - 0.5)
        for k in range(2)
    ]
    cycle = c["per_cycle"][0]
    z = _agree([cycle["Q_A"], cycle["Q_B"]], [cycle["Q_A_stderr"], cycle["Q_B_stderr"]], expected, "heat pump")
    bias = max(abs(expected[0] - cycle["Q_A_exact"]), abs(expected[1] - cycle["Q_B_exact"]))
    with capsys.disabled():
        print(f"\nheat pump: Q within {z:.2f} sigma of the noisy shot-free circuits; their bias to exact {bias:.4f}")


def test_reservoirs_on_a_fake_device(capsys):
    spec = spec_from_dict(reservoirs())
    document, seen = device_run(spec)
    body = protocol_of(spec).analyze(document, spec)
    _check_device_part(body["device"])
    ((stats, meta),) = seen
    q = np.zeros(2)
    for coll in meta["collisions"]:
        change = stats["marginal"][coll["after_bits"]].sum() - stats["marginal"][coll["before_bits"]].sum()
        q["AB".index(coll["reservoir"])] += -coll["frequency"] / (meta["dt"] * meta["measured_rounds"]) * change
    m = body["methods"]["local"]
    z = _agree([m["heat_current"]["A"], m["heat_current"]["B"]], [m["stderr"]["A"], m["stderr"]["B"]], q, "reservoirs")
    exact = m["exact"]["circuit_expectation"]
    with capsys.disabled():
        print(
            f"\nreservoirs: currents within {z:.2f} sigma of the noisy shot-free circuit; its bias to the noise-free "
            f"circuit {max(abs(q[0] - exact['A']), abs(q[1] - exact['B'])):.4f}"
        )


# ----------------------------------------------------------------------------- refusals before any work


@pytest.mark.parametrize("make", [three_body, heat_pump])
def test_a_spec_wider_than_the_device_is_refused_in_one_line(make):
    with pytest.raises(QheatError, match="needs 6 qubits but fake:manila has 5") as info:
        engine.prepare(spec_from_dict(make()), "fake:manila")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", list(SPECS))
def test_ibm_without_an_account_is_refused_in_one_line(name, monkeypatch, tmp_path):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("QISKIT_IBM_ACCOUNT_FILE", str(tmp_path / "none.json"))
    spec = spec_from_dict(SPECS[name]())
    if name != "heat-pump":  # 4 qubits fit a 5-qubit device (the heat pump's 6: above)
        engine.prepare(spec, "fake:manila")
    with pytest.raises(QheatError, match="^no IBM Quantum account") as info:
        engine.prepare(spec, "ibm:ibm_torino")
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- records first, submit, fetch


SLOW = pytest.mark.slow  # ~25 s each here (the machine shared by eight)


@pytest.mark.parametrize(
    "name",
    [
        "heat-transfer",
        pytest.param("reservoirs", marks=SLOW),
        pytest.param("correlated-pair", marks=SLOW),
        pytest.param("heat-pump", marks=SLOW),
    ],
)
def test_run_records_first_then_submit_status_fetch_resume(name, tmp_path, capsys):
    data = copy.deepcopy(SPECS[name]())
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data))
    key = data["name"]
    assert main(["run", str(path), "--backend", DEVICE, "--output", str(tmp_path / "run"), "-q"]) == 0
    records = json.loads((tmp_path / "run" / f"{key}.records.json").read_text())
    assert records["backend"] == DEVICE and records["metadata"]["layout"]["physical_qubits"]
    out = tmp_path / "sub"
    assert main(["submit", str(path), "--backend", DEVICE, "--output", str(out), "--max-circuits", "2", "-q"]) == 0
    manifest_path = out / f"{key}.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["costs"]["two_qubit_gates_max"] > 0 and all(j["job_id"] for j in manifest["jobs"])
    assert main(["submit", "--resume", str(manifest_path), "-q"]) == 0  # nothing left: submits nothing
    assert main(["status", str(manifest_path)]) == 0
    assert capsys.readouterr().out.count("DONE") == len(manifest["jobs"])
    assert main(["fetch", str(manifest_path), "-q"]) == 0
    result = json.loads((out / f"{key}.json").read_text())
    fetched = json.loads((out / f"{key}.records.json").read_text())
    assert len(fetched["records"]) == len(records["records"])
    part = result["device"] if name == "reservoirs" else result["circuits"]
    assert part["layout"]["physical_qubits"] == manifest["layout"]["physical_qubits"]
    assert part["costs"] == manifest["costs"]


# ----------------------------------------------------------------------------- the layout and the compiler


def test_graph_layout_is_the_best_by_brute_force_and_shapes_are_named():
    """On fake:lima (5 qubits, a T) every injective placement of a 3-qubit path A-B-C with one measured qubit,
    scored independently (reported gate errors x gate counts, readout, sx), against choose_graph_layout."""
    from itertools import permutations

    from qheat.backends.runtime import fake_device
    from qheat.backends.runtime.layout import choose_graph_layout, coupled_pairs, shape

    target = fake_device("fake:lima").target
    edges = {(0, 1): 2, (1, 2): 3}
    coupled = set(coupled_pairs(target))

    def err(name, qargs):
        props = target[name].get(qargs)
        return 0.0 if props is None or props.error is None else props.error

    def two(a, b):
        return min(
            e
            for op in ("cx", "ecr", "cz")
            if op in target.operation_names
            for e in (err(op, (a, b)), err(op, (b, a)))
            if target[op].get((a, b)) or target[op].get((b, a))
        )

    best = min(
        (
            sum(w * two(p[a], p[b]) for (a, b), w in edges.items())
            + err("measure", (p[1],))
            + sum(err("sx", (q,)) for q in p),
            p,
        )
        for p in permutations(range(5), 3)
        if all(tuple(sorted((p[a], p[b]))) in coupled for a, b in edges)
    )
    got = choose_graph_layout(target, 3, edges, measured=(1,))
    assert got.hops == 1 and got.qubits == best[1] and got.score == pytest.approx(best[0], abs=1e-6)
    assert shape(target, got.qubits).startswith("line of 3")
    assert shape(target, (0, 2, 3)) == "star of 4 qubits"  # lima: 1 couples to 0, 2 and 3


def test_a_triangle_on_heavy_hex_is_routed_and_the_compiled_circuit_does_the_same():
    """Three qubits all coupled (no triangle on heavy-hex): pairs two apart, SWAPs counted, and the compiled
    circuit's ideal outcome distribution equals the logical one (Statevector of both)."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.quantum_info import Statevector

    from qheat.backends.runtime import RuntimeBackend
    from qheat.backends.runtime.runs import prepare_run

    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.7, 2)
    qc.cx(1, 2)
    qc.cx(2, 0)
    qc.rx(0.3, 1)
    qc.measure([0, 1, 2], [0, 1, 2])
    run = prepare_run(RuntimeBackend(DEVICE), [qc], names=("a", "b", "c"), measured=(0, 1, 2), seed=4)
    assert run.layout.hops == 2
    compiled = run.compile(qc)
    costs = run.metadata([compiled])["costs"]
    assert costs["swaps_max"] >= 1 and costs["two_qubit_gates_max"] >= 3 + 3 * costs["swaps_max"]

    def distribution(circuit):
        bare = transpile(circuit, basis_gates=["cz", "rz", "sx", "x", "measure", "swap", "cx", "h", "ry", "rx"])
        order = [None] * circuit.num_clbits
        body = bare.copy_empty_like()
        for inst in bare.data:
            if inst.operation.name == "measure":
                order[bare.find_bit(inst.clbits[0]).index] = bare.find_bit(inst.qubits[0]).index
            else:
                body.append(inst)
        body.remove_final_measurements()
        return Statevector(body).probabilities(order)

    assert np.allclose(distribution(compiled), distribution(qc), atol=1e-9)


def test_device_refresh_by_purification_is_the_same_physics():
    """The device variants (no Kraus channel) against independent answers, noise-free: the reservoir circuit
    with purified refreshes gives the exact collision model's expected currents (channel propagation), and
    the pump's cycle circuit with purified refreshes ends with the populations of the Kraus-channel snapshot."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    from qheat.protocols.heat_pump.circuits import circuit_pieces
    from qheat.protocols.heat_pump.exact import simulate
    from qheat.protocols.reservoirs import circuits as builders
    from qheat.protocols.reservoirs.exact import CollisionModel

    basis = ["cx", "rz", "sx", "x", "reset", "measure"]
    spec = spec_from_dict(reservoirs())
    system, res, dt = spec.system, spec.reservoirs, spec.collisions.dt
    qc = builders.reservoir_circuit(system, res, dt, 5, 2, model="local", prep="purify", register="meas")
    assert [c.name for c in qc.cregs] == ["meas"] and qc.num_qubits == system.n + 2
    marginal = shot_free(transpile(qc, basis_gates=basis, optimization_level=0), None)["marginal"]
    q = np.zeros(2)
    for coll in qc.metadata["collisions"]:
        change = marginal[coll["after_bits"]].sum() - marginal[coll["before_bits"]].sum()
        q["AB".index(coll["reservoir"])] += -coll["frequency"] / (dt * 2) * change
    expected = CollisionModel(system, res, dt, "local").expected_currents(5, 2, "thermal")["heat_current"]
    assert np.allclose(q, expected, atol=1e-9)

    pump = spec_from_dict(heat_pump())
    data = simulate(pump)
    rho, n_c, n_r = data["_injected"][0], data["rounds"]["coupling"], data["rounds"]["relax"]
    pieces = circuit_pieces(pump)
    device = shot_free(
        transpile(pieces.cycle(rho, n_c, n_r, refresh="purify"), basis_gates=basis, optimization_level=0), None
    )["marginal"]
    snap = pieces.cycle(rho, n_c, n_r, snapshot=True)
    sim = AerSimulator(method="density_matrix")
    saved = sim.run(transpile(snap, sim, optimization_level=0)).result().data(0)
    assert np.allclose(device, [(1 - float(np.real(saved[f"end{k}"]))) / 2 for k in range(2)], atol=1e-9)
