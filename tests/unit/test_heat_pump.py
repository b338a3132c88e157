"""Seed 002 Sec. V: the correlation-fuelled heat pump with collision-model baths.

Independent answers: QuTiP's Lindblad master equation (small dt limit of the collision baths), the
second law in the forms of Appendix C (Sigma never decreases) and Eqs. (17)-(18), energy
conservation over a cycle, and the Gibbs fixed point of the uncoupled baths.
"""
from __future__ import annotations

import copy
import math
import tomllib
from importlib import resources

import numpy as np
import pytest
import qutip as qt

import qheat
from qheat import QheatError
from qheat.analysis import heat_transfer as ht
from qheat.protocols import heat_pump
from qheat.specs import spec_from_dict

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
        err = max(np.abs(np.interp(t[sel], me["times"], me["sed"]) - np.array(r["sed"])[sel]).max(),
                  np.abs(np.interp(t[sel], me["times"], me["A"]) - np.array(r["heat"]["A"])[sel]).max(),
                  np.abs(np.interp(t[sel], me["times"], me["B"]) - np.array(r["heat"]["B"])[sel]).max())
        errors.append(err)
    assert errors[1] < 0.01                      # close to the master equation ...
    assert errors[1] < 0.7 * errors[0]           # ... and closer as dt -> 0 (first order)


def test_entropy_production_never_decreases(pump):
    sigma = np.array(pump["entropy_production"]["sigma"])
    assert sigma.min() > -1e-12 and np.diff(sigma).min() > -1e-12        # Appendix C, for every interval
    assert min(pump["entropy_production"]["sigma_0"]) < 0                 # Eq. (14) goes negative (Fig. 5(b))


def test_cycle_obeys_energy_conservation_and_eq17_eq18(pump):
    previous = 0.0
    for c in pump["per_cycle"]:
        # collisions are the only change of <H_A + H_B> (V_AB commutes with it, Tr[(H_A + H_B) chi] = 0)
        assert c["Q_A"] + c["Q_B"] == pytest.approx(c["residual_energy"] - previous, abs=1e-12)
        previous = c["residual_energy"]
        assert abs(c["residual_energy"]) < 1e-6                            # rethermalised
        assert abs(c["decoupling_work"]) < 1e-6 * abs(c["Q_B"])          # <V_AB> stays ~0 at delta = -pi/2
        assert c["I_0"] - c["Q_A"] / 2.0 - c["Q_B"] / 1.0 >= 0             # Eq. (17)
    perf = pump["performance"]
    assert perf["pumping_against_the_gradient"]                            # heat leaves the cold bath B
    assert 0 < perf["cop"] <= perf["carnot"] == pytest.approx(1.0)        # Eq. (18)
    # the same cycle without chi conducts normally: heat drawn from the hot bath A
    assert pump["normal"]["per_cycle"][-1]["Q_A"] > 0 > pump["normal"]["per_cycle"][-1]["Q_B"]


def test_tau_is_eq13_unless_given(pump):
    lam = ht.pair_lambdas(2.0, 1.0)
    d0 = 0.5 * (math.tanh(0.5 / 1.0) - math.tanh(0.5 / 2.0))
    eq13 = abs(math.atan(2 * math.sqrt(lam[3]) / d0)) / 0.2
    assert pump["tau_requested"] == pytest.approx(eq13)
    assert pump["tau"] == pytest.approx(round(eq13 / 0.1) * 0.1, rel=1e-12)     # whole rounds of dt = 0.1
    assert "rounded" not in pump["headline"]                                     # 7.0 vs 7.01: below 1%
    data = copy.deepcopy(raw())
    data.update(coupling_time=6.1, cycles=1)
    data["baths"]["relax_time"] = 50.0
    assert qheat.run(spec_from_dict(data)).to_dict()["tau"] == pytest.approx(6.1, rel=1e-12)   # 61 rounds of 0.1


def test_uncoupled_baths_keep_the_gibbs_state():
    for k, (t, th) in enumerate(((2.0, 0.3), (1.0, 0.7))):
        p = 1 / (1 + math.exp(1 / t))
        s = heat_pump.collision_superoperator(k, th, p)
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


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d["baths"].update(kappa=[0.01, -0.02]), "baths.kappa[1]"),
    (lambda d: d["baths"].update(dt=50.0), "exceeds pi/2"),
    (lambda d: d["correlation"].update(strength=2.0), "strength <= 1"),
    (lambda d: d.update(cycles=0), "cycles"),
    (lambda d: d["baths"].update(kappa=[0.01]), "two entries"),
])
def test_bad_pump_specs_are_refused(edit, needle):
    data = copy.deepcopy(raw())
    edit(data)
    with pytest.raises(QheatError) as info:
        spec_from_dict(data)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_pump_on_aer_is_refused_with_one_line():
    with pytest.raises(QheatError, match="exact"):
        qheat.run("holdsworth-pump", backend="aer")


def test_a_very_cold_bath_runs_without_overflow():
    data = copy.deepcopy(raw())
    data.update(cycles=1)
    data["qubits"]["temperatures"] = [1e-3, 2.0]        # omega/T = 1000: e^{omega/T} overflows a float
    data["baths"].update(relax_time=20.0)
    # no correlation survives at T_A -> 0 (lambda_4 = 0), so Eq. (13) gives tau = 0: refused in one line
    with pytest.raises(QheatError, match="give coupling_time") as info:
        qheat.run(spec_from_dict(data))
    assert "\n" not in str(info.value)
    data["coupling_time"] = 5.0
    r = qheat.run(spec_from_dict(data)).to_dict()
    # n(omega, T -> 0) = 0: the collision angle of bath A is sqrt(kappa_A dt), and A ends in its ground state
    assert r["collision_angles"]["A"] == pytest.approx(math.sqrt(data["baths"]["kappa"][0] * data["baths"]["dt"]), rel=1e-12)
    assert r["collision_angles"]["B"] == pytest.approx(
        math.sqrt(data["baths"]["kappa"][1] * data["baths"]["dt"] * (1 + 2 / math.expm1(1 / 2.0))), rel=1e-12)
    assert np.isfinite(r["performance"]["eq17_entropy_production"])


def test_the_coupling_time_reported_is_the_one_the_rounds_take():
    data = copy.deepcopy(raw())
    data.update(coupling_time=0.33, cycles=1)            # dt = 0.1: 3 rounds, 0.3
    data["baths"]["relax_time"] = 20.0
    r = qheat.run(spec_from_dict(data)).to_dict()
    start, stop = r["coupling_windows"][0]
    assert stop - start == pytest.approx(0.3, rel=1e-12)                 # the window the simulation used ...
    assert r["tau"] == pytest.approx(0.3, rel=1e-12) and r["tau_requested"] == 0.33   # ... is the one reported
    assert "tau rounded to 3 rounds of dt: 0.3 instead of 0.33" in r["headline"]
    assert r["relax_time"] == pytest.approx(20.0) and "relax_time rounded" not in r["headline"]
    data["coupling_time"] = 0.05                          # less than one round
    with pytest.raises(QheatError, match="shorter than one collision round") as info:
        qheat.run(spec_from_dict(data))
    assert "\n" not in str(info.value)
