"""Seed 002 Sec. V: the correlation-fuelled heat pump with collision-model baths.

Independent answers: QuTiP's Lindblad master equation (small dt limit of the collision baths), the
second law in the forms of Appendix C (Sigma never decreases) and Eqs. (17)-(18), energy
conservation over a cycle, and the Gibbs fixed point of the uncoupled baths.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from importlib import resources

import numpy as np
import pytest
import qutip as qt

import qheat
from qheat import QheatError
from qheat.physics import dense as ht
from qheat.protocols.heat_pump.exact import collision_superoperator
from qheat.protocols.registry import spec_from_dict

LIBRARY = resources.files("qheat") / "spec_library"


def raw() -> dict:
    return tomllib.loads((LIBRARY / "holdsworth-pump.toml").read_text())


@pytest.fixture(scope="module")
def pump():
    return qheat.run("holdsworth-pump").to_dict()


def _lindblad(t_a, t_b, kappa, omega_c, phase, t_end, steps):
    """QuTiP: local Lindblad with rates kappa(1 + n) down, kappa n up on each qubit; heat drawn from each
    bath = integral of Tr(H_k D_k[rho]) = omega (gamma_up P0 - gamma_down P1)."""
    rho0 = qt.Qobj(ht.correlated_pair_state(t_a, t_b, 0.0, 1.0), dims=[[2, 2], [2, 2]])
    h_a, h_b = ht.pair_hamiltonians()
    h = qt.Qobj(h_a + h_b + ht.exchange_coupling(omega_c, phase), dims=[[2, 2], [2, 2]])
    c_ops, rates = [], []
    for k, (t, g) in enumerate(zip((t_a, t_b), kappa)):
        n = 1 / math.expm1(1 / t)
        lower = qt.Qobj(ht.term_matrix(2, {k: "-"}), dims=[[2, 2], [2, 2]])
        c_ops += [math.sqrt(g * (1 + n)) * lower, math.sqrt(g * n) * lower.dag()]
        rates.append((g * (1 + n), g * n))
    times = np.linspace(0, t_end, steps)
    res = qt.mesolve(h, rho0, times, c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    rhos = np.array([s.full() for s in res.states])
    out = {"times": times, "sed": ht.expectation(rhos, h_a - h_b)}
    for k, name in enumerate("AB"):
        p1 = np.real(np.array([ht.reduced_state(r, [k])[1, 1] for r in rhos]))
        down, up = rates[k]
        rate = up * (1 - p1) - down * p1
        out[name] = np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(times))])
    return out


def test_collision_baths_approach_the_lindblad_equation():
    errors = []
    for dt in (0.02, 0.01):
        data = copy.deepcopy(raw())
        data.update(cycles=1, coupling_time=20.0)
        data["baths"].update(kappa=[0.05, 0.08], dt=dt, relax_time=dt)
        r = qheat.run(spec_from_dict(data)).to_dict()
        t = np.array(r["times"])
        me = _lindblad(2.0, 1.0, (0.05, 0.08), 0.1, -math.pi / 2, 20.0, 2001)
        sel = t <= 20.0 + 1e-9
        err = max(
            np.abs(np.interp(t[sel], me["times"], me["sed"]) - np.array(r["sed"])[sel]).max(),
            np.abs(np.interp(t[sel], me["times"], me["A"]) - np.array(r["heat"]["A"])[sel]).max(),
            np.abs(np.interp(t[sel], me["times"], me["B"]) - np.array(r["heat"]["B"])[sel]).max(),
        )
        errors.append(err)
    assert errors[1] < 0.01  # close to the master equation ...
    assert errors[1] < 0.7 * errors[0]  # ... and closer as dt -> 0 (first order)


def test_entropy_production_never_decreases(pump):
    sigma = np.array(pump["entropy_production"]["sigma"])
    assert sigma.min() > -1e-12 and np.diff(sigma).min() > -1e-12  # Appendix C, for every interval
    assert min(pump["entropy_production"]["sigma_0"]) < 0  # Eq. (14) goes negative (Fig. 5(b))


def test_cycle_obeys_energy_conservation_and_eq17_eq18(pump):
    previous = 0.0
    for c in pump["per_cycle"]:
        # collisions are the only change of <H_A + H_B> (V_AB commutes with it, Tr[(H_A + H_B) chi] = 0)
        assert c["Q_A"] + c["Q_B"] == pytest.approx(c["residual_energy"] - previous, abs=1e-12)
        previous = c["residual_energy"]
        assert abs(c["residual_energy"]) < 1e-6  # rethermalised
        assert abs(c["decoupling_work"]) < 1e-6 * abs(c["Q_B"])  # <V_AB> stays ~0 at delta = -pi/2
        assert c["I_0"] - c["Q_A"] / 2.0 - c["Q_B"] / 1.0 >= 0  # Eq. (17)
    perf = pump["performance"]
    assert perf["pumping_against_the_gradient"]  # heat leaves the cold bath B
    assert 0 < perf["cop"] <= perf["carnot"] == pytest.approx(1.0)  # Eq. (18)
    # the same cycle without chi conducts normally: heat drawn from the hot bath A
    assert pump["normal"]["per_cycle"][-1]["Q_A"] > 0 > pump["normal"]["per_cycle"][-1]["Q_B"]


def test_tau_is_eq13_unless_given(pump):
    lam = ht.pair_lambdas(2.0, 1.0)
    d0 = 0.5 * (math.tanh(0.5 / 1.0) - math.tanh(0.5 / 2.0))
    eq13 = abs(math.atan(2 * math.sqrt(lam[3]) / d0)) / 0.2
    assert pump["tau_requested"] == pytest.approx(eq13)
    assert pump["tau"] == pytest.approx(round(eq13 / 0.1) * 0.1, rel=1e-12)  # whole rounds of dt = 0.1
    assert "rounded" not in pump["headline"]  # 7.0 vs 7.01: below 1%
    data = copy.deepcopy(raw())
    data.update(coupling_time=6.1, cycles=1)
    data["baths"]["relax_time"] = 50.0
    assert qheat.run(spec_from_dict(data)).to_dict()["tau"] == pytest.approx(6.1, rel=1e-12)  # 61 rounds of 0.1


def test_uncoupled_baths_keep_the_gibbs_state():
    for k, (t, th) in enumerate(((2.0, 0.3), (1.0, 0.7))):
        p = 1 / (1 + math.exp(1 / t))
        s = collision_superoperator(k, th, p)
        rho = ht.to_qheat_order(np.diag(ht.pair_lambdas(2.0, 1.0))).astype(complex)
        out = (s @ rho.reshape(-1)).reshape(4, 4)
        if k == 0:
            assert np.allclose(out, rho, atol=1e-15)
        # the collision preserves the trace and positivity of any state
        g = np.random.default_rng(k).normal(size=(4, 4)) + 1j * np.random.default_rng(k + 5).normal(size=(4, 4))
        r = g @ g.conj().T
        r /= np.trace(r)
        out = (s @ r.reshape(-1)).reshape(4, 4)
        assert np.trace(out) == pytest.approx(1.0) and np.linalg.eigvalsh(out).min() > -1e-14


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda d: d["baths"].update(kappa=[0.01, -0.02]), "baths.kappa[1]"),
        (lambda d: d["baths"].update(dt=50.0), "exceeds pi/2"),
        (lambda d: d["correlation"].update(strength=2.0), "strength <= 1"),
        (lambda d: d.update(cycles=0), "cycles"),
        (lambda d: d["baths"].update(kappa=[0.01]), "two entries"),
    ],
)
def test_bad_pump_specs_are_refused(edit, needle):
    data = copy.deepcopy(raw())
    edit(data)
    with pytest.raises(QheatError) as info:
        spec_from_dict(data)
    assert needle in str(info.value) and "\n" not in str(info.value)


def short_cycle(shots: int = 2000) -> dict:
    """Two short cycles (5 coupled + 150 relaxing rounds) with strong baths: the circuits run in seconds.
    relax_time 15, not 10: after 100 rounds the exact engine's rho + chi of cycle 2 has an eigenvalue
    -4e-10, which no circuit prepares (the purification prepares its positive part)."""
    data = copy.deepcopy(raw())
    data.update(cycles=2, coupling_time=0.5, name="pump-short")
    data["baths"].update(kappa=[0.5, 0.8], dt=0.1, relax_time=15.0)
    data["circuits"] = {"shots": shots, "seed": 11}
    return data


@pytest.fixture(scope="module")
def pump_aer():
    return qheat.run(spec_from_dict(short_cycle()), backend="aer").to_dict()


def test_coupling_gate_is_exp_minus_i_v_dt():
    from qiskit.circuit.library import XXPlusYYGate
    from qiskit.quantum_info import Operator

    from qheat.protocols.heat_pump.circuits import coupling_phase

    for phase in (-math.pi / 2, 0.3, 2.0):
        v = ht.exchange_coupling(0.1, phase)
        gate = Operator(XXPlusYYGate(2 * 0.1 * 0.7, coupling_phase(v))).data
        assert np.abs(gate - scipy_expm(-1j * 0.7 * v)).max() < 1e-12


def scipy_expm(m):
    import scipy.linalg

    return scipy.linalg.expm(m)


def test_circuits_shot_free_heats_equal_the_exact_engine(pump_aer):
    # the same circuits with measurements replaced by their channels, Aer's density matrix, the same estimator
    for c in pump_aer["circuits"]["per_cycle"]:
        for name in "AB":
            assert abs(c[f"Q_{name}_shot_free"] - c[f"Q_{name}_exact"]) < 1e-10
    exact = [c["Q_A"] for c in pump_aer["per_cycle"]]
    assert [c["Q_A_exact"] for c in pump_aer["circuits"]["per_cycle"]] == exact


def test_sampled_heats_lie_within_four_sigma_of_exact(pump_aer):
    c = pump_aer["circuits"]
    assert c["shots"] == 2000 and len(c["per_cycle"]) == 2
    for cyc in c["per_cycle"]:
        for name in "AB":
            se = cyc[f"Q_{name}_stderr"]
            assert 0 < se < 0.05 and abs(cyc[f"Q_{name}"] - cyc[f"Q_{name}_exact"]) < 4 * se
    last = c["per_cycle"][-1]
    assert c["cop"] == pytest.approx(last["Q_B"] / (2.0 * last["I_0"]))
    assert "aer (2000 shots per circuit)" in pump_aer["headline"]


def test_sampled_heats_read_the_bit_layout():
    from qheat.protocols.heat_pump.analysis import sampled_heats

    # one round: clbits 0..3 = a_A in, a_A out, a_B in, a_B out; 4, 5 = Z_A, Z_B at the decoupling
    m = sampled_heats({"000001": 2}, {"01": 2}, 1, 1.0)  # a_A gave its excitation to A; A ends excited
    assert m["A"] == {"Q": 2.0, "stderr": 0.0}  # 1 (ancilla loss) + 0.5 - (-0.5)
    assert m["B"] == {"Q": 0.0, "stderr": 0.0}


def test_pump_on_aer_needs_a_circuits_table_and_says_so_in_one_line():
    data = short_cycle()
    del data["circuits"]
    with pytest.raises(QheatError, match=r"\[circuits\]") as info:
        qheat.run(spec_from_dict(data), backend="aer")
    assert "\n" not in str(info.value)
    with pytest.raises(QheatError, match="unknown hardware config .nope."):
        qheat.run(spec_from_dict(short_cycle()), backend="aer:nope")


def short_cycle_toml(shots: int = 200) -> str:
    """The bundled spec's text edited into ``short_cycle`` (the TOML a user would write)."""
    text = (LIBRARY / "holdsworth-pump.toml").read_text()
    text = text.replace("cycles = 2 ", 'cycles = 2\ncoupling_time = 0.5\nname = "pump-short" ')
    text = text.replace("kappa = [0.01, 0.023]", "kappa = [0.5, 0.8]").replace(
        "relax_time = 500.0", "relax_time = 15.0"
    )
    text = text.replace("shots = 4000", f"shots = {shots}")
    data = tomllib.loads(text)
    assert data["baths"]["kappa"] == [0.5, 0.8] and data["coupling_time"] == 0.5 and data["circuits"]["shots"] == shots
    return text


@pytest.fixture(scope="module")
def cli_pump(tmp_path_factory):
    """``qheat run pump-short.toml --backend aer --output <dir>``: (spec file, output folder, exit code)."""
    from qheat.cli import main

    folder = tmp_path_factory.mktemp("pump")
    spec = folder / "pump-short.toml"
    spec.write_text(short_cycle_toml())
    code = main(["run", str(spec), "--backend", "aer", "--output", str(folder / "out"), "--quiet"])
    return spec, folder / "out", code


def test_cli_runs_and_plots_the_pump_on_aer(cli_pump, tmp_path, capsys):
    from qheat.cli import main

    spec, folder, code = cli_pump
    assert code == 0
    out = folder / "pump-short.json"
    result = json.loads(out.read_text())
    assert result["backend"] == "aer" and len(result["circuits"]["per_cycle"]) == 2
    assert main(["plot", str(out), "--output", str(tmp_path / "pump.png")]) == 0
    assert (tmp_path / "pump.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["run", str(spec), "--backend", "nope", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qheat: error:")


def test_records_come_first_and_analyze_reproduces_the_result(cli_pump, tmp_path, capsys):
    from qheat.cli import main

    _, folder, _ = cli_pump
    records = folder / "pump-short.records.json"
    doc = json.loads(records.read_text())
    assert doc["kind"] == "qheat-records" and doc["backend"] == "aer" and doc["protocol"] == "heat-pump"
    assert doc["metadata"]["shots"] == 200 and len(doc["metadata"]["sampler_seeds"]) == 3
    assert len(doc["prepared_states"]) == 2
    by = {(r["metadata"]["circuit"], r["metadata"]["cycle"]): r for r in doc["records"]}
    assert sorted(by) == [(c, k) for c in ("cycle", "decouple", "shot_free") for k in (1, 2)]
    for k in (1, 2):
        n_c = by["decouple", k]["metadata"]["coupling_rounds"]
        assert n_c == 5 and by["decouple", k]["metadata"]["relax_rounds"] == 150
        dec, cyc = by["decouple", k]["counts"], by["cycle", k]["counts"]
        assert sum(dec.values()) == sum(cyc.values()) == 200
        assert {len(b) for b in dec} == {4 * n_c + 2} and {len(b) for b in cyc} == {2}  # the clbit layout
        assert len(by["shot_free", k]["states"]) == 4 * n_c + 4  # in/out per round and ancilla, dec, end
    # the result is a function of the records and the spec only: offline analysis gives the same file
    result = json.loads((folder / "pump-short.json").read_text())
    assert qheat.analyze(records).to_dict() == result
    assert qheat.analyze(doc).to_dict() == result
    other = tmp_path / "other.json"
    capsys.readouterr()
    assert main(["analyze", str(records), "--output", str(other)]) == 0
    assert json.loads(other.read_text()) == result
    assert result["circuits"]["seconds"] == doc["metadata"]["seconds"]


def test_pump_runs_on_the_noisy_nmr_device(cli_pump, tmp_path, capsys):
    """aer:nmr-depolarizing (4 qubits, the pump's width): the device's compiled gates and noise, beside the exact
    values. Two independent noisy simulations of the same circuits (trajectories and shots against the noisy
    density matrix) agree; the noise moves the heats away from the exact ones, by less than a quarter."""
    from qheat.cli import main

    spec, _, _ = cli_pump
    capsys.readouterr()
    assert main(["run", str(spec), "--backend", "aer:nmr-depolarizing", "--output", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    result = json.loads((tmp_path / "pump-short.json").read_text())
    assert result["backend"] == "aer:nmr-depolarizing"
    assert "aer:nmr-depolarizing" in result["circuits"]["conventions"]["noise"]
    assert "aer:nmr-depolarizing (200 shots per circuit)" in result["headline"]
    for c in result["circuits"]["per_cycle"]:
        for name in "AB":
            free, exact, se = c[f"Q_{name}_shot_free"], c[f"Q_{name}_exact"], c[f"Q_{name}_stderr"]
            assert abs(c[f"Q_{name}"] - free) < 4 * se
            assert 1e-4 < abs(free - exact) < 0.25 * abs(exact)


@pytest.mark.parametrize(
    "backend, needle",
    [("fake:manila", "needs 6 qubits but fake:manila has 5"), ("ibm:ibm_torino", "no IBM Quantum account")],
)
def test_runtime_devices_that_cannot_run_are_refused_in_one_line(
    cli_pump, capsys, tmp_path, backend, needle, monkeypatch
):
    """fake:torino runs the pump (tests/runtime/test_protocol_devices.py); too small a device, or ibm: without an
    account, is refused before any work."""
    from qheat.cli import main

    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("QISKIT_IBM_ACCOUNT_FILE", str(tmp_path / "none.json"))
    spec, _, _ = cli_pump
    capsys.readouterr()
    out_dir = tmp_path / "out"
    assert main(["run", str(spec), "--backend", backend, "--output", str(out_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and needle in err
    assert not out_dir.exists()


def test_a_device_too_small_for_the_pump_is_refused_in_one_line():
    from qheat.backends.aer import AerBackend
    from qheat.protocols.heat_pump import PROTOCOL

    class ThreeQubits(AerBackend):
        max_qubits = 3

    gen = PROTOCOL.batches(spec_from_dict(short_cycle()), ThreeQubits("aer"))
    with pytest.raises(QheatError, match="needs 4 qubits but aer has 3") as info:
        next(gen)
    assert "\n" not in str(info.value)


def test_a_sweep_on_aer_draws_new_shots_at_every_point():
    data = short_cycle(shots=300)
    data.update(cycles=1)
    data["sweep"] = {"parameter": "coupling.strength", "values": [0.1], "seeds": 2}
    result = qheat.run(spec_from_dict(data), "aer").to_dict()
    first, second = (p["circuits"] for p in result["points"])
    assert first["sampler_seeds"] != second["sampler_seeds"]
    a, b = first["per_cycle"][0], second["per_cycle"][0]
    assert a["Q_A_exact"] == b["Q_A_exact"] and a["Q_B_shot_free"] == pytest.approx(b["Q_B_shot_free"], abs=1e-12)
    for name in "AB":
        assert a[f"Q_{name}"] != b[f"Q_{name}"]  # other shots ...
        spread = math.hypot(a[f"Q_{name}_stderr"], b[f"Q_{name}_stderr"])
        assert abs(a[f"Q_{name}"] - b[f"Q_{name}"]) < 4 * spread  # ... of the same distribution
        for c in (a, b):
            assert abs(c[f"Q_{name}"] - c[f"Q_{name}_exact"]) < 4 * c[f"Q_{name}_stderr"]


def test_a_very_cold_bath_runs_without_overflow():
    data = copy.deepcopy(raw())
    data.update(cycles=1)
    data["qubits"]["temperatures"] = [1e-3, 2.0]  # omega/T = 1000: e^{omega/T} overflows a float
    data["baths"].update(relax_time=20.0)
    # no correlation survives at T_A -> 0 (lambda_4 = 0), so Eq. (13) gives tau = 0: refused in one line
    with pytest.raises(QheatError, match="give coupling_time") as info:
        qheat.run(spec_from_dict(data))
    assert "\n" not in str(info.value)
    data["coupling_time"] = 5.0
    r = qheat.run(spec_from_dict(data)).to_dict()
    # n(omega, T -> 0) = 0: the collision angle of bath A is sqrt(kappa_A dt), and A ends in its ground state
    assert r["collision_angles"]["A"] == pytest.approx(
        math.sqrt(data["baths"]["kappa"][0] * data["baths"]["dt"]), rel=1e-12
    )
    assert r["collision_angles"]["B"] == pytest.approx(
        math.sqrt(data["baths"]["kappa"][1] * data["baths"]["dt"] * (1 + 2 / math.expm1(1 / 2.0))), rel=1e-12
    )
    assert np.isfinite(r["performance"]["eq17_entropy_production"])


def test_the_coupling_time_reported_is_the_one_the_rounds_take():
    data = copy.deepcopy(raw())
    data.update(coupling_time=0.33, cycles=1)  # dt = 0.1: 3 rounds, 0.3
    data["baths"]["relax_time"] = 20.0
    r = qheat.run(spec_from_dict(data)).to_dict()
    start, stop = r["coupling_windows"][0]
    assert stop - start == pytest.approx(0.3, rel=1e-12)  # the window the simulation used ...
    assert r["tau"] == pytest.approx(0.3, rel=1e-12) and r["tau_requested"] == 0.33  # ... is the one reported
    assert "tau rounded to 3 rounds of dt: 0.3 instead of 0.33" in r["headline"]
    assert r["relax_time"] == pytest.approx(20.0) and "relax_time rounded" not in r["headline"]
    data["coupling_time"] = 0.05  # less than one round
    with pytest.raises(QheatError, match="shorter than one collision round") as info:
        qheat.run(spec_from_dict(data))
    assert "\n" not in str(info.value)
