"""Tomography and the measured pipeline against independent answers: qiskit-experiments' own fitter,
known states, the exact engine, the statistics of really running the circuits with SamplerV2, and
the spread of repeated experiments (for the bootstrap error bars)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix, random_density_matrix

from qheat.backends.aer import AerBackend
from qheat.engine import analyze as analyze_records
from qheat.engine import collect, execute
from qheat.physics.tomography import (
    bootstrap_counts,
    fit_states,
    linear_fit,
    physical,
    settings,
)
from qheat.protocols.cascade.analysis import system_columns
from qheat.protocols.cascade.circuits import branches
from qheat.protocols.cascade.collect import _Runner
from qheat.protocols.cascade.exact import simulate
from qheat.protocols.cascade.records import _counts_by_step, run_channel
from qheat.protocols.registry import load_spec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aer_reference import whole_circuit_states  # noqa: E402
from specs_helper import changed_spec  # noqa: E402

_spec = changed_spec


def _exact_probabilities(rho: np.ndarray) -> np.ndarray:
    """Born-rule outcome probabilities of every Pauli setting, from qiskit.quantum_info."""
    from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis

    basis = PauliMeasurementBasis()
    n = int(np.log2(rho.shape[0]))
    return np.array(
        [
            DensityMatrix(rho).evolve(basis.circuit(s).remove_final_measurements(inplace=False)).probabilities()
            for s in settings(n)
        ]
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def test_linear_fit_equals_qiskit_experiments_fitter(n):
    from qiskit_experiments.library.tomography.basis import PauliMeasurementBasis
    from qiskit_experiments.library.tomography.fitters import (
        linear_inversion,
        tomography_fitter_data,
    )

    rng = np.random.default_rng(n)
    counts = rng.multinomial(300, rng.dirichlet(np.ones(2**n)), size=3**n)
    data = [
        {
            "counts": {format(o, f"0{n}b"): int(c) for o, c in enumerate(row) if c},
            "metadata": {"m_idx": list(s), "clbits": list(range(n)), "cond_clbits": None},
        }
        for s, row in zip(settings(n), counts)
    ]
    fit, _ = linear_inversion(*tomography_fitter_data(data), measurement_basis=PauliMeasurementBasis())
    assert np.abs(linear_fit(counts / 300) - fit).max() < 1e-14


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_exact_probabilities_reconstruct_the_state(n):
    rho = random_density_matrix(2**n, seed=n).data
    assert np.abs(linear_fit(_exact_probabilities(rho)) - rho).max() < 1e-12


def test_physical_states_are_positive_with_unit_trace():
    rng = np.random.default_rng(0)
    rho = random_density_matrix(8, rank=2, seed=4).data  # low rank: noisy fits go negative
    counts = np.stack([rng.multinomial(200, p) for p in _exact_probabilities(rho)])
    lin = linear_fit(counts / 200)
    assert np.linalg.eigvalsh(lin).min() < 0
    fixed = physical(lin)
    assert np.linalg.eigvalsh(fixed).min() > -1e-12
    assert np.trace(fixed).real == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(fixed, fixed.conj().T)


def test_bootstrap_error_matches_the_spread_of_repeated_experiments():
    """The bootstrap standard error of a fitted energy and entropy equals (within 20%) the standard
    deviation over 300 independent repetitions of the same measurement."""
    spec = load_spec("fig3-reversed")
    rho = [s.rho_s for s in simulate(spec)][30]
    p = _exact_probabilities(rho)
    rng = np.random.default_rng(11)
    repeats = np.stack([np.stack([rng.multinomial(2000, q) for q in p]) for _ in range(300)])
    fits = fit_states(repeats)
    col = system_columns(fits, spec)
    spread = {k: col[k].std(axis=0, ddof=1) for k in ("energy", "entropy", "free_energy")}
    one = repeats[0]
    boot = physical(linear_fit(bootstrap_counts(one, 300, rng) / 2000))
    bcol = system_columns(boot, spec)
    for k, s in spread.items():
        assert bcol[k].std(ddof=1) == pytest.approx(s, rel=0.2), k


def test_snapshot_counts_have_the_statistics_of_running_the_circuits():
    """Noisy stand-in backend, two subsystems, mid-circuit resets and measurements: the counts of
    every measurement circuit run by SamplerV2 follow the probabilities that the snapshot engine
    draws from (chi-square), and not the same probabilities with the two qubits' bits swapped (power);
    so do the snapshot engine's own counts (all branches at once, from the mixture's probabilities).
    Also a regression test for correlated seeds: with one SamplerV2 seed for all pubs this failed."""
    from scipy.stats import chi2

    spec = _spec(
        "fig12-cascade", **{"interaction.collisions": 2, "measurement.shots": 6000, "execution.engine": "circuits"}
    )
    doc = collect(spec, "aer:nmr-crotonic")
    steps, counts = _counts_by_step(doc, settings(2), 4)
    counts = counts[:, 0]  # the one noise factor (no ZNE)

    def probabilities(backend_name):
        be = AerBackend(backend_name)
        snap = _spec("fig12-cascade", **{"interaction.collisions": 2})
        runner = _Runner(snap, be, np.random.default_rng(0))
        channels = runner.channels_batch()  # the engine's part: run the one batch it yields
        with pytest.raises(StopIteration):
            channels.send(execute(be, next(channels)))
        preps = branches(spec, spec.initial_state())
        states = whole_circuit_states(runner, be, preps, 0, steps[-1], steps)
        w = np.array([w for w, _ in preps])
        # per-branch probabilities mixed with the branch weights (shots are split with these weights)
        return np.stack([np.einsum("b,bso->so", w, runner.probabilities(states[k])) for k in steps])

    def p_value(prob, counts=counts):
        expected = counts.sum(-1, keepdims=True) * prob
        stat = ((counts - expected) ** 2 / np.maximum(expected, 1e-12)).sum()
        dof = counts.shape[0] * counts.shape[1] * (counts.shape[2] - 1)
        return chi2.sf(stat, dof)

    prob = probabilities("aer:nmr-crotonic")
    assert p_value(prob) > 1e-3
    swapped = prob[..., [0, 2, 1, 3]]
    assert p_value(swapped) < 1e-6
    snapshots = collect(
        _spec("fig12-cascade", **{"interaction.collisions": 2, "measurement.shots": 6000}), "aer:nmr-crotonic"
    )
    snap_steps, snap_counts = _counts_by_step(snapshots, settings(2), 4)
    assert snap_steps == steps and len(snapshots["records"]) == len(steps) * len(settings(2))
    assert (snap_counts.sum(-1) == 6000).all()  # every setting's shots, none lost in the draw
    assert 1e-3 < p_value(prob, snap_counts[:, 0]) < 1 - 1e-3  # neither off nor too regular (rounded)
    assert p_value(swapped, snap_counts[:, 0]) < 1e-6


def test_run_channel_is_the_exact_collision():
    spec = load_spec("fig4c-reverse")
    exact = [s.rho_s for s in simulate(spec)]
    for start, stop in ((0, 3), (3, 9)):
        phi = run_channel(spec, start, stop, spec.n)
        out = (phi @ exact[start].reshape(-1)).reshape(8, 8)
        assert np.abs(out - exact[stop]).max() < 1e-12


@pytest.mark.parametrize("mode", ["reset", "reprepare"])
def test_short_experiment_recovers_the_exact_heats(mode):
    """Ideal Aer, Fig. 3 (c = -0.5), 10 collisions, 8000 shots per setting: every subsystem's heat
    lies within 3 bootstrap standard errors of the exact engine's, with its sign where resolved."""
    spec = _spec(
        "fig3-reversed",
        **{"interaction.collisions": 10, "measurement.shots": 8000, "execution.mode": mode, "measurement.seed": 5},
    )
    doc = collect(spec, "aer")
    res = analyze_records(doc).data
    for sub, ex in zip(res["subsystems"], res["exact"]["subsystems"]):
        err = sub["heat_absorbed_stderr"]
        assert 0 < err < 0.02
        assert abs(sub["heat_absorbed"] - ex["heat_absorbed"]) < 3 * err, sub["label"]
        if abs(ex["heat_absorbed"]) > 3 * err:
            assert np.sign(sub["heat_absorbed"]) == np.sign(ex["heat_absorbed"])
    if mode == "reprepare":
        # each run prepared the state fitted from the previous run's counts
        run2 = doc["runs"][1]
        prepared = np.array(run2["prepared"]["real"]) + 1j * np.array(run2["prepared"]["imag"])
        first = [r for r in doc["records"] if r["metadata"].get("run") == 1]
        _, c = _counts_by_step({"records": first}, settings(3), 8)
        assert np.abs(fit_states(c)[0] - prepared).max() < 1e-12


def test_records_reanalyse_to_the_same_result():
    spec = _spec(
        "fig4a",
        **{
            "interaction.collisions": 3,
            "measurement.shots": 500,
            "measurement.bootstrap": 10,
            "measurement.tomography": "system+bath",
        },
    )
    doc = collect(spec, "aer")
    a, b = analyze_records(doc).to_dict(), analyze_records(doc).to_dict()
    assert a == b
    assert len(a["subsystems"][0]["mutual_information_with_bath"]) == len(a["steps"])
    assert "particle_energy" in a["bath"]


def test_shot_free_reference_is_the_exact_state_on_ideal_aer_and_the_noise_on_the_stand_in():
    """Ideal Aer: the states the snapshot engine sampled equal the exact engine's (independent path).
    Noisy stand-in: the measured heats lie within 3 standard errors of the shot-free noisy values."""
    spec = _spec("fig4a", **{"interaction.collisions": 5, "measurement.shots": 4000})
    res = analyze_records(collect(spec, "aer")).data
    exact = [s.rho_s for s in simulate(spec)]
    ex = system_columns(np.stack([exact[k] for k in res["steps"]]), spec)["energy_k"]
    for k, sub in enumerate(res["shot_free"]["subsystems"]):
        assert np.abs(np.asarray(sub["energy"]) - ex[:, k]).max() < 1e-10
    noisy = analyze_records(collect(spec, "aer:nmr-crotonic")).data
    for sub, ref in zip(noisy["subsystems"], noisy["shot_free"]["subsystems"]):
        assert abs(sub["heat_absorbed"] - ref["heat_absorbed"]) < 3 * sub["heat_absorbed_stderr"]


def test_records_that_are_not_this_specs_are_refused():
    from qheat.core.errors import QheatError

    spec = _spec("fig3-reversed", **{"interaction.collisions": 1, "measurement.shots": 100})
    doc = collect(spec, "aer")
    import copy

    cases = {
        "no step 0": lambda d: d.update(records=[r for r in d["records"] if r["metadata"]["step"] != 0]),
        "short bits": lambda d: d["records"][0].update(counts={"10": 5}),
        "negative": lambda d: d["records"][0].update(counts={"000": -1}),
        "bad setting": lambda d: d["records"][0]["metadata"].update(setting=[0, 0]),
        "no records": lambda d: d.update(records=[]),
        "missing setting": lambda d: d.update(
            records=[r for r in d["records"] if r["metadata"]["step"] != 0 or r["metadata"]["setting"] != [0, 0, 0]]
        ),
    }
    for _name, spoil in cases.items():
        bad = copy.deepcopy(doc)
        spoil(bad)
        with pytest.raises(QheatError):
            analyze_records(bad)
