"""The streaming exact engine (excitation sectors, one state alive) against independent answers.

References: ``tests/reference.py`` (dense big-endian numpy/scipy on the full density matrix of S and
R, imports nothing from qheat), energy conservation of every exchange, and the cascade's causal
structure: S_1 meets every fresh bath particle first, so its reduced dynamics is that of S_1 alone.
"""

from __future__ import annotations

import gc
import math
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qheat  # noqa: E402
import reference as ref  # noqa: E402
from qheat.core.errors import QheatError  # noqa: E402
from qheat.protocols.cascade.exact import MAX_SUBSYSTEMS, simulate  # noqa: E402
from qheat.protocols.cascade.spec import Bath, CascadeSpec, Interaction, System  # noqa: E402
from qheat.protocols.registry import load_spec, spec_from_dict  # noqa: E402

TOL = 1e-12


def _reference(spec):
    coh = [(c.pair[0], c.pair[1], c.c) for c in spec.system.coherence]  # the reference takes 1-based pairs
    return ref.simulate(
        spec.system.temperatures,
        spec.bath.temperature,
        spec.interaction.g,
        spec.interaction.tau,
        spec.interaction.collisions,
        coherences=coh,
        order=spec.interaction.order,
        protocol=spec.protocol,
        delta=spec.system.delta,
    )


def _compare(spec):
    data = qheat.run(spec, backend="exact").to_dict()
    tr = _reference(spec)
    n, t_r, delta = spec.n, spec.bath.temperature, spec.system.delta
    assert data["steps"] == tr.steps
    states = tr.system_states()
    energy = tr.energies()
    for k, sub in enumerate(data["subsystems"]):
        assert np.abs(np.array(sub["energy"]) - energy[:, k]).max() < TOL
        mi = [ref.mutual_information(tr.full[i], [k], [n], n + 1) for i in range(len(tr.full))]
        assert np.abs(np.array(sub["mutual_information_with_bath"]) - np.maximum(mi, 0.0)).max() < TOL
    assert np.abs(np.array(data["bath"]["heat_received"]) - tr.heat_received()).max() < TOL
    assert np.abs(np.array(data["bath"]["particle_energy"]) - tr.bath_energy()).max() < TOL
    system = data["system"]
    assert np.abs(np.array(system["entropy"]) - [ref.entropy(r) for r in states]).max() < TOL
    assert np.abs(np.array(system["free_energy"]) - [ref.free_energy(r, t_r, delta) for r in states]).max() < TOL
    assert np.abs(np.array(system["coherence"]) - [ref.coherence(r) for r in states]).max() < TOL
    mi_sys = [ref.mutual_information(tr.full[i], range(n), [n], n + 1) for i in range(len(tr.full))]
    assert np.abs(np.array(system["mutual_information_with_bath"]) - np.maximum(mi_sys, 0.0)).max() < TOL
    return data


@pytest.mark.parametrize("name", ["fig3-zero", "fig3-reversed", "fig3-enhanced", "fig12-simultaneous", "fig4a"])
def test_bundled_specs_equal_the_dense_reference(name):
    spec = load_spec(name)
    if spec.interaction.collisions > 40:  # the reference is dense and slow; 40 collisions cover the dynamics
        spec = spec_from_dict({**spec.to_dict(), "interaction": {**spec.to_dict()["interaction"], "collisions": 40}})
    _compare(spec)


def _spec(temps, coherence, protocol="cascade", collisions=6, order=None, g=20.0, tau=0.02):
    d = {
        "protocol": protocol,
        "system": {
            "temperatures": list(temps),
            "coherence": [{"pair": list(p), "strength": s, "phase": a} for p, s, a in coherence],
        },
        "bath": {"temperature": 0.7},
        "interaction": {"g": g, "tau": tau, "collisions": collisions},
    }
    if order is not None:
        d["interaction"]["order"] = list(order)
    return spec_from_dict(d)


def test_complex_coherences_and_an_order_equal_the_reference():
    """Complex c_pq keep the state complex in the rotated frame (the real path does not apply)."""
    spec = _spec(
        [1.0, 0.8, 1.3, 0.9], [((1, 2), 0.2, 0.7), ((2, 4), 0.15, -2.0), ((1, 3), 0.1, math.pi)], order=[3, 1, 4, 2]
    )
    _compare(spec)


def test_simultaneous_with_complex_coherence_equals_the_reference():
    _compare(_spec([1.0, 0.8, 1.3], [((1, 3), 0.2, 1.1)], protocol="simultaneous", collisions=5))


def test_first_spin_evolves_as_if_alone_and_heat_balances():
    """S_1 meets each fresh particle first, so E_1 after c collisions is that of a one-spin run (c_1q are
    traceless on S_1: rho_S1 is thermal); every exchange conserves H_S + H_R, so the system's energy
    change is minus the heat the bath received, at every record."""
    n, coll = 6, 15
    many = qheat.run(
        _spec(
            [1.0, 0.8, 1.3, 0.9, 1.1, 0.6],
            [((1, 2), 0.2, 0.0), ((1, 5), 0.1, 0.0), ((3, 4), 0.2, 0.0)],
            collisions=coll,
        ),
        backend="exact",
    ).to_dict()
    one = qheat.run(_spec([1.0], [], collisions=coll), backend="exact").to_dict()
    e1 = np.array(many["subsystems"][0]["energy"])
    per_collision = np.array(one["subsystems"][0]["energy"])
    steps = np.array(many["steps"])
    assert np.abs(e1 - per_collision[(steps + n - 1) // n]).max() < TOL
    assert np.ptp(e1) > 1e-3  # S_1 does change
    balance = np.array(many["system"]["energy"]) - many["system"]["energy"][0] + np.array(many["bath"]["heat_received"])
    assert np.abs(balance).max() < TOL


def test_snapshots_are_not_kept():
    """Only the current state is alive: an earlier snapshot is freed once the consumer drops it."""
    gen = simulate(_spec([1.0, 0.8, 1.3], [((1, 2), 0.2, 0.0)], collisions=5))
    first = weakref.ref(next(gen))
    for _ in range(7):
        next(gen)
    gc.collect()
    assert first() is None


def test_size_limit_comes_before_any_state():
    """The engine refuses n > MAX_SUBSYSTEMS before it builds a 2^n array (a spec made in Python, unchecked)."""
    n = MAX_SUBSYSTEMS + 1
    spec = CascadeSpec("cascade", System((1.0,) * n), Bath(0.9), Interaction(20.0, 0.01, 1))
    with pytest.raises(QheatError, match=f"at most {MAX_SUBSYSTEMS} subsystems"):
        next(simulate(spec))
    assert MAX_SUBSYSTEMS >= 12
