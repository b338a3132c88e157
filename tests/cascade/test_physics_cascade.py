"""Physics of seed 001 (Huang et al., heat flow reversed by coherence) checked against INDEPENDENT answers.

Every test compares qheat with something qheat did not compute: the reference simulator in
``tests/reference.py`` (big-endian numpy/scipy, imports nothing from qheat), a closed form, a
conservation law, a limit, or a claim of the paper. Paper parameters are written out here from
the paper's text (not read from qheat's spec library), so a wrong bundled spec is caught too.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qheat  # noqa: E402
import reference as ref  # noqa: E402
from qheat.physics.thermo import reversal_threshold  # noqa: E402
from qheat.protocols.cascade.exact import simulate  # noqa: E402
from qheat.protocols.registry import (
    expand,
    spec_from_dict,  # noqa: E402
)

PI = math.pi
G, TAU, T_R = 20.0, 0.01, 0.9  # Fig. 3 of the paper: g = 20 delta, tau = 0.01/delta, T_R = 0.9 delta


# ----------------------------------------------------------------------------- helpers


def coherence_list(coh):
    """(p, q, strength, phase) -> the reference's (p, q, complex c)."""
    return [(p, q, s * complex(math.cos(a), math.sin(a))) for p, q, s, a in coh]


def spec_dict(temps, t_r, g, tau, collisions, coh=(), order=None, protocol="cascade", delta=None):
    d = {
        "protocol": protocol,
        "system": {
            "temperatures": list(temps),
            "coherence": [{"pair": [p, q], "strength": s, "phase": a} for p, q, s, a in coh],
        },
        "bath": {"temperature": t_r},
        "interaction": {"g": g, "tau": tau, "collisions": collisions},
    }
    if order is not None:
        d["interaction"]["order"] = list(order)
    if delta is not None:
        d["system"]["delta"] = delta
    return d


def reference_for(case):
    return ref.simulate(
        case["temps"],
        case["t_r"],
        case["g"],
        case["tau"],
        case["collisions"],
        coherences=coherence_list(case.get("coh", ())),
        order=case.get("order"),
        protocol=case.get("protocol", "cascade"),
        delta=case.get("delta", 1.0),
    )


def qheat_for(case):
    d = spec_dict(
        case["temps"],
        case["t_r"],
        case["g"],
        case["tau"],
        case["collisions"],
        case.get("coh", ()),
        case.get("order"),
        case.get("protocol", "cascade"),
        case.get("delta"),
    )
    return qheat.run(spec_from_dict(d)).to_dict()


def energies(data):
    """(steps, n) array of subsystems[k]["energy"]."""
    return np.array([s["energy"] for s in data["subsystems"]], dtype=float).T


def heat_absorbed(data):
    return np.array([s["heat_absorbed"] for s in data["subsystems"]])


_BUNDLED: dict[str, dict] = {}


def bundled(name):
    if name not in _BUNDLED:
        _BUNDLED[name] = qheat.run(name).to_dict()
    return _BUNDLED[name]


def case(temps, coh=(), t_r=T_R, g=G, tau=TAU, collisions=100, order=None, protocol="cascade", delta=1.0):
    return dict(
        temps=tuple(temps),
        coh=tuple(coh),
        t_r=t_r,
        g=g,
        tau=tau,
        collisions=collisions,
        order=order,
        protocol=protocol,
        delta=delta,
    )


# The paper's parameters, transcribed from its text (main Figs. 3-4, SI Figs. 10-13).
ALL3 = ((1, 2), (1, 3), (2, 3))
PAPER = {
    "fig3-zero": case((1, 1, 1)),
    "fig3-reversed": case((1, 1, 1), [(p, q, 0.5, PI) for p, q in ALL3]),
    "fig3-enhanced": case((1, 1, 1), [(p, q, 0.5, 0.0) for p, q in ALL3]),
    "fig4a": case((1, 1, 1), [(1, 2, 0.3, 0.0), (1, 3, 0.5, PI), (2, 3, 0.5, PI)]),
    "fig4b": case((1, 1, 0.8), [(1, 2, 0.5, PI), (1, 3, 0.5, 0.0), (2, 3, 0.5, 0.0)]),
    "fig4c-forward": case((1, 1, 1), [(1, 2, 0.5, PI), (1, 3, 0.1, PI), (2, 3, 0.5, 0.0)], order=(1, 2, 3)),
    "fig4c-reverse": case((1, 1, 1), [(1, 2, 0.5, PI), (1, 3, 0.1, PI), (2, 3, 0.5, 0.0)], order=(3, 2, 1)),
    "fig10": case((1, 1), [(1, 2, 1.0, PI)], tau=0.03, collisions=1),
    "fig11": case((1, 1), [(1, 2, 1.0, PI)], tau=0.03, collisions=1, protocol="simultaneous"),
    "fig12-cascade": case((1, 1), [(1, 2, 1.0, PI)]),
    "fig12-simultaneous": case((1, 1), [(1, 2, 1.0, PI)], protocol="simultaneous"),
}
FIG13_STRENGTHS = (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)


def _paper_cases():
    out = dict(PAPER)
    for s in FIG13_STRENGTHS:
        out[f"fig13[{s:g}]"] = case((1, 1), [(1, 2, s, 0.0)])
    return out


_REFS: dict[str, ref.Trajectory] = {}


def paper_reference(key):
    if key not in _REFS:
        _REFS[key] = reference_for(_paper_cases()[key])
    return _REFS[key]


_POINTS: list = []


def bundled_points():
    """(key into _paper_cases(), qheat result dict) for every bundled spec, sweep points included."""
    if _POINTS:
        return _POINTS
    out = _POINTS
    for name in qheat.bundled_names():
        spec = qheat.load_spec(name)
        if spec.protocol not in ("cascade", "simultaneous"):
            continue  # seeds 003/004 (protocol 'reservoirs') are tested in test_reservoirs_physics.py
        if spec.sweep is None:
            out.append((name, bundled(name)))
        else:
            assert name == "fig13" and spec.sweep.parameter == "system.coherence.0.strength"
            for point, value in zip(expand(spec), spec.sweep.values):
                out.append((f"fig13[{value:g}]", qheat.run(point).to_dict()))
    return out


# ----------------------------------------------------------------------------- the reference itself


def test_reference_conventions_are_the_papers():
    """sigma_+ raises the energy, Gibbs populations, and the partial swap's closed form."""
    h = 0.5 * ref.SIGMA_Z
    assert np.allclose(ref.SIGMA_PLUS @ np.array([1, 0]), [0, 1])  # |0> -> |1>
    assert np.trace(h @ np.diag([1, 0])) == -0.5  # |0> is the ground state
    for t in (0.3, 0.9, 1.0, 4.0):
        assert ref.gibbs(t)[1, 1].real == pytest.approx(1 / (1 + math.exp(1 / t)), rel=1e-14)
    # one partial swap between two diagonal qubits: P1_k' = cos^2(g tau) P1_k + sin^2(g tau) P1_R
    g, tau = 3.0, 0.2
    rho = np.kron(ref.gibbs(2.0), ref.gibbs(0.5))
    u = ref.expm(-1j * tau * ref.exchange_hamiltonian(0, 2, g))
    out = ref.partial_trace(u @ rho @ u.conj().T, [0], 2)
    s2 = math.sin(g * tau) ** 2
    assert out[1, 1].real == pytest.approx(
        (1 - s2) * ref.excited_population(2.0) + s2 * ref.excited_population(0.5), abs=1e-15
    )


# ----------------------------------------------------------------------------- engine vs reference

ENGINE_CASES = {
    "n3-cold-S2-phases-order231": case(
        (1.4, 0.7, 1.1),
        [(1, 2, 0.2, 0.7), (1, 3, 0.1, 4.0), (2, 3, 0.15, 2.1)],
        t_r=0.9,
        g=7.0,
        tau=0.04,
        collisions=12,
        order=(2, 3, 1),
    ),
    "n4-order4132-hot-bath": case(
        (1.0, 1.2, 0.8, 1.5),
        [(1, 2, 0.2, 0.7), (2, 4, 0.15, 2.1), (3, 4, 0.2, PI), (1, 3, 0.1, -1.3)],
        t_r=1.1,
        g=5.0,
        tau=0.05,
        collisions=8,
        order=(4, 1, 3, 2),
    ),
    "n3-simultaneous": case(
        (1.2, 1.0, 0.7),
        [(1, 2, 0.3, 2.1), (1, 3, 0.2, 0.7), (2, 3, 0.25, PI)],
        t_r=0.85,
        g=10.0,
        tau=0.02,
        collisions=12,
        protocol="simultaneous",
    ),
    "n1-no-coherence": case((1.5,), t_r=0.6, g=5.0, tau=0.05, collisions=20),
    "n2-delta2.5-order21": case(
        (2.0, 3.0), [(1, 2, 0.4, 2.1)], t_r=1.5, g=3.0, tau=0.07, collisions=15, order=(2, 1), delta=2.5
    ),
    "n2-delta0.4-simultaneous": case(
        (0.5, 0.3), [(1, 2, 0.6, 0.7)], t_r=0.45, g=2.0, tau=0.1, collisions=15, protocol="simultaneous", delta=0.4
    ),
    "n3-all-colder-than-bath": case(
        (0.5, 0.6, 0.7), [(1, 2, 0.4, 0.0), (2, 3, 0.4, 0.0)], t_r=1.3, g=20.0, tau=0.01, collisions=10
    ),
}


@pytest.mark.parametrize("name", list(ENGINE_CASES))
def test_engine_energies_match_reference(name):
    c = ENGINE_CASES[name]
    data = qheat_for(c)
    tr = reference_for(c)
    assert data["steps"] == tr.steps
    assert data["collision"] == tr.collision
    assert np.abs(energies(data) - tr.energies()).max() < 1e-10
    assert np.abs(np.array(data["bath"]["heat_received"]) - tr.heat_received()).max() < 1e-10
    assert np.abs(np.array(data["bath"]["particle_energy"]) - tr.bath_energy()).max() < 1e-10
    # energies do depend on the coherence here (else the comparison would not test it)
    if c["coh"]:
        plain = reference_for(dict(c, coh=()))
        assert np.abs(plain.energies() - tr.energies()).max() > 1e-4


@pytest.mark.parametrize("name", ["n3-cold-S2-phases-order231", "n4-order4132-hot-bath", "n3-simultaneous"])
def test_energies_depend_only_on_the_real_part_of_c(name):
    """H_kR is real and rho_R diagonal, so rho(c*) evolves into the complex conjugate of rho(c) (Z_R maps
    U(-tau) to U(tau)); energies are linear in rho, hence they depend on c_pq only through Re c_pq =
    lambda cos(alpha). qheat with phases (0.7, 2.1, ...) equals the reference with real c = lambda cos(alpha)."""
    c = ENGINE_CASES[name]
    real = dict(c, coh=tuple((p, q, s * math.cos(a), 0.0) for p, q, s, a in c["coh"]))
    assert np.abs(energies(qheat_for(c)) - reference_for(real).energies()).max() < 1e-10


@pytest.mark.parametrize(
    "name", ["n3-cold-S2-phases-order231", "n4-order4132-hot-bath", "n3-simultaneous", "n2-delta2.5-order21"]
)
def test_engine_states_match_reference(name):
    """Whole system density matrices (Eq. S4 initial state, then every step), little-endian for qheat."""
    c = ENGINE_CASES[name]
    spec = spec_from_dict(
        spec_dict(c["temps"], c["t_r"], c["g"], c["tau"], 3, c["coh"], c["order"], c["protocol"], c["delta"])
    )
    tr = reference_for(dict(c, collisions=3))
    assert np.abs(spec.initial_state() - ref.to_little_endian(tr.rho_s(0))).max() < 1e-14
    # the comparison resolves both the qubit order and c versus c* in Eq. (S5)
    assert np.abs(spec.initial_state() - tr.rho_s(0)).max() > 1e-3
    assert np.abs(spec.initial_state() - ref.to_little_endian(tr.rho_s(0)).conj()).max() > 1e-3
    snaps = list(simulate(spec))
    assert [s.step for s in snaps] == tr.steps
    for i, snap in enumerate(snaps):
        assert np.abs(snap.rho_s - ref.to_little_endian(tr.rho_s(i))).max() < 1e-12
        assert np.abs(snap.rho_r - tr.rho_r(i)).max() < 1e-12


def test_bundled_specs_have_the_papers_parameters():
    for key, data in bundled_points():
        want = _paper_cases()[key]
        spec = data["spec"]
        assert tuple(spec["system"]["temperatures"]) == want["temps"], key
        assert spec["protocol"] == want["protocol"], key
        assert spec["bath"]["temperature"] == want["t_r"], key
        it = spec["interaction"]
        assert (it["g"], it["tau"], it["collisions"]) == (want["g"], want["tau"], want["collisions"]), key
        assert tuple(it.get("order", range(1, len(want["temps"]) + 1))) == tuple(
            want["order"] or range(1, len(want["temps"]) + 1)
        )
        got = {
            tuple(c["pair"]): c["strength"] * complex(math.cos(c.get("phase", 0.0)), math.sin(c.get("phase", 0.0)))
            for c in spec["system"].get("coherence", [])
        }
        exp = {(p, q): c for p, q, c in coherence_list(want["coh"]) if abs(c) > 0}
        got = {k: v for k, v in got.items() if abs(v) > 0}
        assert got.keys() == exp.keys(), key
        for k in exp:
            assert abs(got[k] - exp[k]) < 1e-12, (key, k)


# ----------------------------------------------------------------------------- Fig. 3


def test_fig3_heat_directions():
    zero, rev, enh = (heat_absorbed(bundled(n)) for n in ("fig3-zero", "fig3-reversed", "fig3-enhanced"))
    # c = 0: every hot subsystem releases heat to the colder bath (Fig. 3(b))
    assert np.all(zero < 0)
    # c = -0.5: S2 and S3 absorb heat from the colder bath, S3 more than S2 (Fig. 3(c) and caption)
    assert rev[1] > 0 and rev[2] > 0
    assert rev[2] > rev[1]
    # c = +0.5: release enhanced for S2 and S3 (Fig. 3(d)); S3 changes more than S2 (caption)
    assert enh[1] < zero[1] and enh[2] < zero[2]
    assert abs(enh[2]) > abs(enh[1])
    # Fig. 3(e)-(g): net heat to the bath positive for c = 0, +0.5 (larger), negative for c = -0.5
    q = {n: bundled(n)["bath"]["heat_received"][-1] for n in ("fig3-zero", "fig3-reversed", "fig3-enhanced")}
    assert q["fig3-zero"] > 0 and q["fig3-enhanced"] > q["fig3-zero"] and q["fig3-reversed"] < 0
    # Fig. 3(e)-(g): the free energy decreases in all three; negligibly without coherence
    df = {
        n: bundled(n)["system"]["free_energy"][-1] - bundled(n)["system"]["free_energy"][0]
        for n in ("fig3-zero", "fig3-reversed", "fig3-enhanced")
    }
    assert all(v < 0 for v in df.values())
    assert abs(df["fig3-zero"]) < 0.1 * min(abs(df["fig3-reversed"]), abs(df["fig3-enhanced"]))


def test_fig3_S1_is_standard_thermal_contact():
    """S1 meets a fresh thermal R first in every collision, so coherence cannot touch it:
    identical trajectories, and P1(m) = P1_R + (P1(0) - P1_R) cos^{2m}(g tau) at collision boundaries."""
    e1 = [energies(bundled(n))[:, 0] for n in ("fig3-zero", "fig3-reversed", "fig3-enhanced")]
    assert np.abs(e1[1] - e1[0]).max() < 1e-12
    assert np.abs(e1[2] - e1[0]).max() < 1e-12
    m = np.arange(101)
    p1r, p10 = ref.excited_population(T_R), ref.excited_population(1.0)
    p1 = p1r + (p10 - p1r) * np.cos(G * TAU) ** (2 * m)
    assert np.abs(e1[0][::3] - (p1 - 0.5)).max() < 1e-12  # E = (1/2)(P1 - P0) = P1 - 1/2


def test_cascade_causality_later_subsystems_do_not_matter():
    """S_k's trajectory depends only on the reduced state of S_k and the subsystems before it: S2 of
    fig3-reversed, fig4b and fig4c-forward share rho_{S1 S2} (T = 1, c12 = -0.5), so S2 is identical."""
    e2 = [energies(bundled(n))[:, 1] for n in ("fig3-reversed", "fig4b", "fig4c-forward")]
    assert np.abs(e2[1] - e2[0]).max() < 1e-12
    assert np.abs(e2[2] - e2[0]).max() < 1e-12


# ----------------------------------------------------------------------------- Fig. 4


def test_fig4a_S3_reversed_S2_enhanced():
    q = heat_absorbed(bundled("fig4a"))
    zero = heat_absorbed(bundled("fig3-zero"))
    assert q[2] > 0  # S3 absorbs from the colder bath (reversed)
    assert q[1] < zero[1] < 0  # S2 releases more than without coherence (enhanced)


def test_fig4b_hotter_absorbs_colder_releases():
    data = bundled("fig4b")
    assert data["subsystems"][1]["temperature"] > T_R > data["subsystems"][2]["temperature"]
    q = heat_absorbed(data)
    assert q[1] > 0  # hotter S2 (T = 1 > T_R) absorbs
    assert q[2] < 0  # colder S3 (T = 0.8 < T_R) releases
    # The reference shows how marginal the S3 claim is at 100 collisions: S3's energy is lowest at collision
    # 29 (-0.062 below its start), then it relaxes towards T_R; the net change is -0.0022 at collision 100
    # and turns positive (absorption, the normal direction for T_3 < T_R) at collision 103.
    tr = reference_for(dict(PAPER["fig4b"], collisions=105))
    e3 = tr.energies()[::3, 2] - tr.energies()[0, 2]
    assert int(np.argmin(e3)) == 29 and e3.min() < -0.06
    assert q[2] == pytest.approx(e3[100], abs=1e-10)
    assert np.all(e3[1:103] < 0) and np.all(e3[103:] > 0)


def test_fig4c_order_reverses_flows():
    fwd, rev = heat_absorbed(bundled("fig4c-forward")), heat_absorbed(bundled("fig4c-reverse"))
    assert fwd[1] > 0 and fwd[2] < 0  # forward S1-S2-S3: S2 absorbs, S3 (last) releases
    assert rev[1] < 0 and rev[0] > 0  # reverse S3-S2-S1: S2 releases, S1 (last) absorbs
    # reverse order: S3 now meets the fresh bath first and is unaffected by coherence
    assert rev[2] == pytest.approx(heat_absorbed(bundled("fig3-zero"))[0], abs=1e-12)


# ----------------------------------------------------------------------------- SI Figs. 10 and 11


def _info_measures(tr):
    n, num = tr.n, tr.num
    mi_sys = [ref.mutual_information(f, range(n), [n], num) for f in tr.full]
    mi_k = [[ref.mutual_information(f, [k], [n], num) for f in tr.full] for k in range(n)]
    coh = [ref.coherence(tr.rho_s(i)) for i in range(len(tr.full))]
    return np.array(mi_sys), np.array(mi_k), np.array(coh)


def test_fig10_cascade_resources():
    data = bundled("fig10")
    tr = paper_reference("fig10")
    mi_sys, mi_k, coh = _info_measures(tr)
    # qheat reports the same information measures
    assert np.abs(np.array(data["system"]["mutual_information_with_bath"]) - mi_sys).max() < 1e-10
    for k in range(2):
        assert np.abs(np.array(data["subsystems"][k]["mutual_information_with_bath"]) - mi_k[k]).max() < 1e-10
    assert np.abs(np.array(data["system"]["coherence"]) - coh).max() < 1e-10
    # reversed heat flow: the bath particle loses energy over the collision
    assert data["bath"]["heat_received"][-1] < 0
    assert tr.heat_received()[-1] < 0
    # I(S2:R) is created by the first interaction (S1-R) and mostly consumed by the second
    assert abs(mi_k[1][0]) < 1e-12
    assert mi_k[1][1] > 1e-3
    assert mi_k[1][2] < 0.2 * mi_k[1][1]
    # C(rho_S) decreases at each step, I(S:R) increases at each step
    assert coh[0] > 0 and np.all(np.diff(coh) < 0)
    assert abs(mi_sys[0]) < 1e-12 and np.all(np.diff(mi_sys) > 0)
    # Eq. (S26): -Delta F' = T_R (I'(S:R) + S(rho_R' || rho_R)) >= T_R I'(S2:R)
    f = [ref.free_energy(tr.rho_s(i), T_R) for i in range(3)]
    rel_r = ref.relative_entropy(tr.rho_r(1), tr.rho_r(0))
    assert -(f[1] - f[0]) == pytest.approx(T_R * (mi_sys[1] + rel_r), abs=1e-12)
    assert -(f[1] - f[0]) >= T_R * mi_k[1][1]


def test_fig10_entropies_agree_with_qiskit():
    """The reference's eigvalsh entropies against qiskit.quantum_info (natural log)."""
    from qiskit.quantum_info import DensityMatrix, entropy

    tr = paper_reference("fig10")
    for i in range(3):
        for rho in (tr.full[i], tr.rho_s(i), tr.rho_r(i)):
            assert ref.entropy(rho) == pytest.approx(entropy(DensityMatrix(rho), base=math.e), abs=1e-10)


def test_fig10_eq27_needs_the_bath_particles_actual_temperature():
    """SI Eq. (27) as an identity: I'(S2:R) - I''(S2:R) = (beta_2 - beta) Delta E_R2 + S(rho_2''||rho_2') +
    S(rho_R''||rho_R'). It holds with beta = the inverse temperature of R AFTER the first interaction
    (rho_R' is diagonal, hence Gibbs at some beta_R'), not with the bath's beta_R as printed."""
    tr = paper_reference("fig10")
    mi = [ref.mutual_information(f, [1], [2], 3) for f in tr.full]
    r2p, r2pp, rrp, rrpp = tr.rho_k(1, 1), tr.rho_k(2, 1), tr.rho_r(1), tr.rho_r(2)
    d_er = ref.qubit_energy(rrpp) - ref.qubit_energy(rrp)
    rel = ref.relative_entropy(r2pp, r2p) + ref.relative_entropy(rrpp, rrp)
    beta_r_eff = math.log(rrp[0, 0].real / rrp[1, 1].real)
    lhs = mi[1] - mi[2]
    assert lhs == pytest.approx((1.0 - beta_r_eff) * d_er + rel, abs=1e-12)
    assert abs(lhs - ((1.0 - 1 / T_R) * d_er + rel)) > 1e-3  # the printed form is off by ~1.7e-3 here
    assert lhs >= (1.0 - 1 / T_R) * d_er  # the bound of Eq. (28) still holds here


def test_fig11_simultaneous_resources():
    data = bundled("fig11")
    tr = paper_reference("fig11")
    assert data["steps"] == [0, 2] == tr.steps
    mi_sys, mi_k, coh = _info_measures(tr)
    assert np.abs(np.array(data["system"]["mutual_information_with_bath"]) - mi_sys).max() < 1e-10
    for k in range(2):
        assert np.abs(np.array(data["subsystems"][k]["mutual_information_with_bath"]) - mi_k[k]).max() < 1e-10
    assert np.abs(np.array(data["system"]["coherence"]) - coh).max() < 1e-10
    assert data["bath"]["heat_received"][-1] < 0 and tr.heat_received()[-1] < 0  # Delta E_R < 0
    q = heat_absorbed(data)
    assert q[0] > 0 and q[1] > 0  # both subsystems absorb
    assert abs(mi_sys[0]) < 1e-12 and mi_sys[1] > 1e-3  # Delta I(S:R) > 0
    assert coh[1] < coh[0]  # coherence consumed


# ----------------------------------------------------------------------------- free energy (Eq. S19)


def test_free_energy_never_increases_over_a_collision():
    """Each collision is a thermal operation at T_R on S, so F = Tr(rho H_S) - T_R S(rho) cannot increase
    (at collision boundaries; also from a collision's start to any stage inside it)."""
    for key, data in bundled_points():
        tr = paper_reference(key)
        t_r = data["bath"]["temperature"]
        f_ref = np.array([ref.free_energy(tr.rho_s(i), t_r) for i in range(len(tr.full))])
        f_q = np.array(data["system"]["free_energy"])
        assert np.abs(f_q - f_ref).max() < 1e-10, key
        assert np.abs(energies(data) - tr.energies()).max() < 1e-10, key
        coll = np.array(tr.collision)
        last = [np.flatnonzero(coll == m).max() for m in range(coll.max() + 1)]
        assert [tr.steps[i] % tr.n for i in last] == [0] * len(last)
        boundaries = f_ref[last]
        assert np.all(np.diff(boundaries) <= 1e-12), key
        for m in range(1, coll.max() + 1):
            assert np.all(f_ref[coll == m] <= boundaries[m - 1] + 1e-12), (key, m)


# ----------------------------------------------------------------------------- Eq. (46)-(47), (53)

EQ46_CASES = {
    "n3-cascade": case(
        (1.3, 1.0, 1.6), [(1, 2, 0.3, 0.7), (1, 3, 0.25, 3.0), (2, 3, 0.35, 2.1)], t_r=0.9, g=1.0, collisions=1
    ),
    "n3-cascade-order312": case(
        (1.0, 1.0, 1.0),
        [(1, 2, 0.4, PI), (1, 3, 0.3, 2.1), (2, 3, 0.45, 0.7)],
        t_r=0.9,
        g=1.0,
        collisions=1,
        order=(3, 1, 2),
    ),
    "n2-cascade-delta2": case((2.2, 1.8), [(1, 2, 0.8, 2.1)], t_r=1.2, g=1.0, collisions=1, delta=2.0),
    "n3-simultaneous": case(
        (1.3, 1.0, 1.6),
        [(1, 2, 0.3, 0.7), (1, 3, 0.25, 3.0), (2, 3, 0.35, 2.1)],
        t_r=0.9,
        g=1.0,
        collisions=1,
        protocol="simultaneous",
    ),
}


def _eq46_mine(c, rho0):
    """Eq. (46) with the one-way coherence of Eq. (47) from the initial state (0-based subsystems).
    Cascade: preceding subsystems in the order, weight 1; simultaneous: all others, weight 1/2 (the
    second-order expansion of exp(-i tau sum_k H_kR) gives (1/2)[H_k, [V_p, V_k]] per pair)."""
    n = len(c["temps"])
    order = [k - 1 for k in (c["order"] or range(1, n + 1))]
    out, cw = [], []
    for k in range(n):
        if c["protocol"] == "cascade":
            pre, w = order[: order.index(k)], 1.0
        else:
            pre, w = [p for p in range(n) if p != k], 0.5
        ck = ref.one_way_coherence(rho0, k, pre, w)
        rk = ref.partial_trace(rho0, [k], n)
        out.append(ref.heat_current_eq46(rk[0, 0].real, rk[1, 1].real, ck, c["t_r"], c["g"], c["tau"], c["delta"]))
        cw.append(ck)
    return np.array(out), np.array(cw)


@pytest.mark.parametrize("name", list(EQ46_CASES))
def test_eq46_initial_heat_current(name):
    c0 = EQ46_CASES[name]
    errors = []
    for tau in (0.01, 0.001):
        c = dict(c0, tau=tau)
        data = qheat_for(c)
        tr = reference_for(c)
        rho0 = tr.rho_s(0)
        exact = (tr.energies()[-1] - tr.energies()[0]) / tau
        mine, cw = _eq46_mine(c, rho0)
        theirs = np.array([s["initial_heat_current"] for s in data["subsystems"]])
        assert np.allclose([s["one_way_coherence"][0] for s in data["subsystems"]], cw, rtol=0, atol=1e-13)
        assert np.allclose(theirs, mine, rtol=1e-12, atol=0)
        # the coherence term matters (Eq. 46 without C would be off by > 10% for some subsystem)
        no_c, _ = _eq46_mine(dict(c, coh=()), ref.coherent_state(c["temps"], (), c["delta"]))
        assert np.max(np.abs(no_c - mine) / np.abs(mine)) > 0.1
        errors.append(np.abs(exact / theirs - 1))
        # Eq. (53): the system's current is sum_k with C = sum over UNORDERED pairs of the exchange coherence
        pops = np.array(
            [[ref.partial_trace(rho0, [k], len(c["temps"]))[j, j].real for j in (0, 1)] for k in range(len(c["temps"]))]
        )
        q_sys = ref.heat_current_eq46(pops[:, 0].sum(), pops[:, 1].sum(), cw.sum(), c["t_r"], c["g"], tau, c["delta"])
        assert q_sys == pytest.approx(exact.sum(), rel=1e-3)
    # relative accuracy O((g tau)^2): g tau 10x smaller -> error ~100x smaller
    assert errors[0].max() < 5e-3
    ratio = errors[0] / errors[1]
    assert np.all((ratio > 70) & (ratio < 130)), ratio


# ----------------------------------------------------------------------------- Eq. (51)-(52)


def _threshold_closed_form(t_k, t_r, delta):
    bk, br = delta / t_k, delta / t_r
    return (math.exp(bk) - math.exp(br)) / ((math.exp(bk) + 1) * (math.exp(br) - 1))


def _threshold_from_zero_current(t_k, t_r, delta):
    """The C that makes Eq. (46) vanish, solved from gamma^+ (P0 + C) = gamma^- (P1 + C)."""
    p1k, p1r = ref.excited_population(t_k, delta), ref.excited_population(t_r, delta)
    return ((1 - p1r) * p1k - p1r * (1 - p1k)) / (p1r - (1 - p1r))


@pytest.mark.parametrize(
    "t_k,t_r,delta",
    [(1.0, 0.9, 1.0), (2.0, 0.5, 1.0), (0.8, 0.9, 1.0), (0.3, 3.0, 1.0), (3.0, 2.0, 2.5), (0.7, 1.1, 0.4)],
)
def test_reversal_threshold_closed_form(t_k, t_r, delta):
    thr = reversal_threshold(t_k, t_r, delta)
    assert thr == pytest.approx(_threshold_closed_form(t_k, t_r, delta), rel=1e-12)
    assert thr == pytest.approx(_threshold_from_zero_current(t_k, t_r, delta), rel=1e-10)
    assert (thr < 0) if t_k > t_r else (thr > 0)  # the sign statements of Eqs. (51)/(52)


def test_reversal_threshold_flips_first_collision_heat():
    """n = 2, T = (1, 1), T_R = 0.9, g tau = 0.01: C_2 = 2 c P0 P1 for real c; S2's first-collision energy
    change changes sign where C_2 equals the threshold of Eq. (51)."""
    p1 = ref.excited_population(1.0)
    thr = _threshold_closed_form(1.0, T_R, 1.0)
    c_crit = thr / (2 * (1 - p1) * p1)
    assert -1 < c_crit < 0
    signs = {}
    for factor in (0.95, 1.05):
        c = case((1.0, 1.0), [(1, 2, abs(c_crit) * factor, PI)], g=1.0, tau=0.01, collisions=1)
        data = qheat_for(c)
        tr = reference_for(c)
        c2 = ref.one_way_coherence(tr.rho_s(0), 1, [0])
        assert c2 == pytest.approx(2 * c_crit * factor * (1 - p1) * p1, rel=1e-12)
        assert data["subsystems"][1]["one_way_coherence"][0] == pytest.approx(c2, rel=1e-12)
        d_ref = tr.energies()[-1, 1] - tr.energies()[0, 1]
        d_q = data["subsystems"][1]["heat_absorbed"]
        assert np.sign(d_ref) == np.sign(d_q)
        signs[factor] = (np.sign(d_ref), data["subsystems"][1]["reversal_predicted"])
    assert signs[0.95] == (-1.0, False)  # weaker than critical: S2 still releases
    assert signs[1.05] == (1.0, True)  # stronger: S2 absorbs from the colder bath


def test_reversal_predicted_matches_exact_first_collision_for_bundled_specs():
    """qheat's reversal_predicted (Eqs. 51/52 on the initial C_k) against the sign of the exact energy change
    of each subsystem over the first collision (reference), for every bundled spec. Here g tau = 0.2 (0.6 for
    Figs. 10-11), far from the small-g-tau limit of Eq. (46), yet the predicted direction is right everywhere."""
    checked = 0
    for key, data in bundled_points():
        tr = paper_reference(key)
        first = max(i for i, m in enumerate(tr.collision) if m == 1)
        d_e = tr.energies()[first] - tr.energies()[0]
        t_r = data["bath"]["temperature"]
        for k, sub in enumerate(data["subsystems"]):
            if sub["temperature"] == t_r:
                continue
            normal = -np.sign(sub["temperature"] - t_r)  # hot subsystem releases, cold one absorbs
            assert abs(d_e[k]) > 1e-4, (key, k)
            assert sub["reversal_predicted"] == bool(np.sign(d_e[k]) != normal), (key, k)
            checked += 1
    assert checked >= 40


# ----------------------------------------------------------------------------- Eq. (35)-(36)

SECOND_LAW_CASES = {
    "fig3-reversed": PAPER["fig3-reversed"],
    "n3-complex-phases": case((1.0, 1.0, 1.0), [(1, 2, 0.3, 0.7), (1, 3, 0.25, 2.1), (2, 3, 0.35, -2.5)]),
    "n3-T1.4-order231": case((1.4, 1.4, 1.4), [(1, 2, 0.4, 2.1), (2, 3, 0.4, PI)], order=(2, 3, 1)),
    "fig11": PAPER["fig11"],
}


@pytest.mark.parametrize("name", list(SECOND_LAW_CASES))
def test_second_law_eq35_term_by_term(name):
    c = dict(SECOND_LAW_CASES[name], collisions=1)
    tr = reference_for(c)
    n, num, last = tr.n, tr.num, len(tr.full) - 1
    beta_s, beta_r = 1.0 / c["temps"][0], 1.0 / c["t_r"]
    rs0, rs1 = tr.rho_s(0), tr.rho_s(last)
    rr0, rr1 = tr.rho_r(0), tr.rho_r(last)
    # D_H(rho_S^0) is the Gibbs state of H_S at beta_S (all T_k equal), as Eq. (33) requires
    assert np.allclose(ref.dephase(rs0), ref.kron_all([ref.gibbs(t) for t in c["temps"]]), atol=1e-15)
    d_er = ref.qubit_energy(rr1) - ref.qubit_energy(rr0)
    d_i = ref.mutual_information(tr.full[last], range(n), [n], num) - ref.mutual_information(
        tr.full[0], range(n), [n], num
    )
    d_c = ref.coherence(rs1) - ref.coherence(rs0)
    rel_s = ref.relative_entropy(ref.dephase(rs1), ref.dephase(rs0))
    rel_r = ref.relative_entropy(rr1, rr0)
    assert (beta_r - beta_s) * d_er == pytest.approx(d_i + d_c + rel_s + rel_r, abs=1e-10)  # Eq. (35)
    assert rel_s >= -1e-14 and rel_r >= -1e-14
    assert (beta_r - beta_s) * d_er >= d_i + d_c - 1e-14  # Eq. (36)
    # qheat's reported coherence and I(S:R) at the end of the collision are the same numbers
    data = qheat_for(c)
    assert data["system"]["coherence"][-1] == pytest.approx(ref.coherence(rs1), abs=1e-10)
    assert data["system"]["mutual_information_with_bath"][-1] == pytest.approx(d_i, abs=1e-10)
    assert data["bath"]["heat_received"][-1] == pytest.approx(d_er, abs=1e-12)


# ----------------------------------------------------------------------------- conservation and fixed points


@pytest.mark.parametrize("name", ["fig3-reversed", "fig4c-reverse", "fig12-simultaneous", "n4", "n3-sim-delta"])
def test_energy_conservation_per_interaction(name):
    extra = {
        "n4": case(
            (1.0, 1.2, 0.8, 1.5),
            [(1, 2, 0.2, 0.7), (2, 4, 0.15, 2.1)],
            t_r=1.1,
            g=5.0,
            tau=0.05,
            collisions=6,
            order=(4, 1, 3, 2),
        ),
        "n3-sim-delta": case(
            (1.2, 1.0, 0.7),
            [(1, 2, 0.3, 2.1)],
            t_r=0.85,
            g=10.0,
            tau=0.02,
            collisions=6,
            protocol="simultaneous",
            delta=1.7,
        ),
    }
    c = extra.get(name) or dict(PAPER[name], collisions=10)
    tr = reference_for(c)
    e = tr.energies()
    d_er = tr.bath_energy_changes()
    for i in range(1, len(tr.full)):
        de = e[i] - e[i - 1]  # the system is untouched by the bath refresh
        moved = set(tr.interacting[i])
        assert np.all(np.abs(np.delete(de, list(moved))) < 1e-12)  # bystanders keep their energy
        assert de[list(moved)].sum() == pytest.approx(-d_er[i], abs=1e-12)  # Delta E_k = -Delta E_R
    data = qheat_for(c)
    eq = energies(data)
    dq = np.diff(np.array(data["bath"]["heat_received"]))
    for i in range(1, len(eq)):
        de = eq[i] - eq[i - 1]
        moved = list(tr.interacting[i])
        assert np.all(np.abs(np.delete(de, moved)) < 1e-12)
        assert de[moved].sum() == pytest.approx(-dq[i - 1], abs=1e-12)  # heat_received grows as S loses energy


@pytest.mark.parametrize("protocol", ["cascade", "simultaneous"])
def test_thermal_state_at_bath_temperature_is_fixed(protocol):
    t = 0.9
    c = case((t, t, t), t_r=t, g=20.0, tau=0.03, collisions=20, protocol=protocol)
    e_th = -0.5 * math.tanh(0.5 / t)
    data = qheat_for(c)
    assert np.abs(energies(data) - e_th).max() < 1e-12
    assert np.abs(np.array(data["bath"]["heat_received"])).max() < 1e-12
    tr = reference_for(c)
    assert np.abs(tr.energies() - e_th).max() < 1e-12
    assert np.abs(tr.rho_s(len(tr.full) - 1) - tr.rho_s(0)).max() < 1e-12


# ----------------------------------------------------------------------------- positivity of Eq. (S4)


def _single_excitation_block(rho, n):
    idx = [int("".join("1" if j == k else "0" for j in range(n)), 2) for k in range(n)]  # big-endian
    return rho[np.ix_(idx, idx)]


def _max_strength_by_bisection(temps, pairs, phase):
    """Largest lambda with rho(c_pq = lambda e^{i phase} for all pairs) positive semidefinite, by bisection."""

    def ok(lam):
        rho = ref.coherent_state(temps, [(p, q, lam * complex(math.cos(phase), math.sin(phase))) for p, q in pairs])
        return np.linalg.eigvalsh(rho).min() >= -1e-13

    lo, hi = 0.0, 4.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def test_positivity_closed_form_equal_temperatures():
    """n = 3, T equal, c_pq = c real: the one-excitation block is a (I + c (J - I)), a = P0^2 P1, with
    eigenvalues a (1 + 2c), a (1 - c) (twice); so -1/2 <= c <= 1."""
    p1 = ref.excited_population(1.0)
    a = (1 - p1) ** 2 * p1
    j = np.ones((3, 3))
    for c in (-0.51, -0.5, -0.2, 0.4, 1.0, 1.01):
        rho = ref.coherent_state((1, 1, 1), [(p, q, c) for p, q in ALL3])
        block = _single_excitation_block(rho, 3)
        assert np.allclose(block, a * (np.eye(3) + c * (j - np.eye(3))), atol=1e-15)
        assert np.allclose(np.linalg.eigvalsh(block), sorted([a * (1 + 2 * c), a * (1 - c), a * (1 - c)]), atol=1e-15)
        assert (np.linalg.eigvalsh(rho).min() >= -1e-15) == (-0.5 <= c <= 1.0)
    assert _max_strength_by_bisection((1, 1, 1), ALL3, PI) == pytest.approx(0.5, abs=1e-9)
    assert _max_strength_by_bisection((1, 1, 1), ALL3, 0.0) == pytest.approx(1.0, abs=1e-9)
    assert _max_strength_by_bisection((1, 1), [(1, 2)], PI) == pytest.approx(1.0, abs=1e-9)


def test_fig3_reversed_is_on_the_boundary_and_accepted():
    spec = qheat.load_spec("fig3-reversed")
    rho = ref.coherent_state((1, 1, 1), [(p, q, -0.5) for p, q in ALL3])
    assert abs(np.linalg.eigvalsh(rho).min()) < 1e-15  # a zero eigenvalue: a (1 + 2c) = 0
    assert abs(np.linalg.eigvalsh(spec.initial_state()).min()) < 1e-12


def _refusal(temps, strength, phase, pairs):
    d = spec_dict(temps, T_R, G, TAU, 1, [(p, q, strength, phase) for p, q in pairs])
    with pytest.raises(qheat.QheatError) as info:
        spec_from_dict(d)
    return str(info.value)


def _allowed_strengths(message):
    many = re.findall(r"\|c_\d+\| <= ([0-9.eE+-]+)", message)
    if many:
        return [float(x) for x in many]
    return [float(x) for x in re.findall(r"can be at most ([0-9.eE+-]+)$", message)]


@pytest.mark.parametrize("strength,phase", [(-0.51, 0.0), (0.51, PI)])
def test_beyond_bound_is_refused(strength, phase):
    message = _refusal((1, 1, 1), strength, phase, ALL3)
    assert "not positive semidefinite" in message


@pytest.mark.parametrize(
    "temps,strength,phase,pairs,allowed",
    [
        pytest.param((1, 1, 1), -0.51, 0.0, ALL3, 0.5),
        pytest.param((1, 1, 1), 1.01, 0.0, ALL3, 1.0),
        pytest.param((1, 1), -1.2, 0.0, [(1, 2)], 1.0),
        pytest.param((1, 1, 1), 1.3, 2.1, [(1, 3)], 1.0),
    ],
)
def test_refusal_names_the_allowed_strength(temps, strength, phase, pairs, allowed):
    """The refusal names the largest allowed strength, checked against the closed form (and bisection).
    For three pairs the spectrum of rho_th^-1/2 M rho_th^-1/2 is not symmetric (c (J - I): 2c and -c), so
    a bound taken from lambda_max instead of lambda_min names 1 for c = -0.51 and 0.5 for c = 1.01 (the
    bug of commit 1377ad8, fixed in 95fb129)."""
    assert _max_strength_by_bisection(temps, pairs, phase + (PI if strength < 0 else 0.0)) == pytest.approx(
        allowed, abs=1e-9
    )
    message = _refusal(temps, strength, phase, pairs)
    got = _allowed_strengths(message)
    assert got, message
    assert got == pytest.approx([allowed] * len(got), rel=1e-5), message
