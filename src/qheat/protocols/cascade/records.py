"""Seed 001 from its records: tomography of the state at every record, then the thermodynamics, with
bootstrap standard errors ``<key>_stderr``.

Error bars. In ``reset`` mode every record is an independent experiment and the bootstrap
resamples each record's counts. In ``reprepare`` mode a record's state also carries the
reconstruction errors of every earlier run, propagated by the collisions: with eps_j the bootstrap
deviation of run j's linear-inversion estimate and Phi the (ideal) channel of one run,
delta_j = Phi(delta_{j-1}) + eps_j, so each replica is a whole resampled chain.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.core.records import RECORDS_KIND, array
from qheat.mitigation.readout import readout_inverse
from qheat.physics import thermo
from qheat.physics.linalg import apply_unitary, reduced_state, tensor_product
from qheat.physics.states import gibbs_state
from qheat.physics.tomography import (
    bootstrap_counts,
    fit_states,
    linear_estimate,
    physical,
)
from qheat.protocols.cascade.analysis import CONVENTIONS
from qheat.protocols.cascade.spec import CascadeSpec


def seed_sequence(spec: CascadeSpec, *extra: int) -> list[int]:
    """Random streams of a run: the spec's seed and its key, so specs sharing a seed draw independently."""
    return spec.seed_sequence(spec.measurement.seed, *extra)


def system_part(spec: CascadeSpec, rho: np.ndarray) -> np.ndarray:
    """rho_S from a state of the measured qubits (the system, or system + R with R the highest qubit)."""
    if rho.shape[-1] == 2**spec.n:
        return rho
    return reduced_state(rho, range(spec.n))


# ----------------------------------------------------------------------------- analysis


def _counts_by_step(
    doc: dict[str, Any], settings: list[tuple[int, ...]], dim: int, factors: tuple[int, ...] = (1,)
) -> tuple[list[int], np.ndarray]:
    """Counts merged over preparation branches: (steps, array (K, F, S, D)), F the noise factors."""
    index = {s: i for i, s in enumerate(settings)}
    level = {f: i for i, f in enumerate(factors)}
    outcome = {format(o, f"0{int(round(math.log2(dim)))}b"): o for o in range(dim)}
    by_step: dict[int, list] = {}
    for rec in doc["records"]:
        meta = rec["metadata"]
        arr = by_step.setdefault(int(meta["step"]), [[[0] * dim for _ in settings] for _ in factors])
        row = arr[level[meta.get("noise_factor", 1)]][index[tuple(meta["setting"])]]
        for bits, c in rec["counts"].items():
            row[outcome[bits]] += int(c)
    steps = sorted(by_step)
    return steps, np.array([by_step[k] for k in steps], dtype=np.int64).reshape(
        len(steps), len(factors), len(settings), dim
    )


def fit_run(
    records: list[dict],
    settings: list[tuple[int, ...]],
    inverse: np.ndarray | None = None,
    factors: tuple[int, ...] = (1,),
) -> np.ndarray:
    """The positive fit of one run's records (all at one step), extrapolated to zero noise with ZNE."""
    _, counts = _counts_by_step({"records": records}, settings, 2 ** len(settings[0]), factors)
    return fit_states(counts, inverse, factors)[0]


def run_channel(spec: CascadeSpec, start: int, stop: int, measured: int) -> np.ndarray:
    """The ideal map of one reprepare run on system operators, as a matrix on row-major vec:
    X_S -> (state of the measured qubits after interactions start+1..stop, each collision with a fresh
    thermal bath particle). Linear, so it propagates deviations as well as states."""
    from qiskit.quantum_info import Operator

    from qheat.protocols.cascade.collisions import collision_stages

    n, d = spec.n, 2**spec.n
    bath = gibbs_state(spec.bath.temperature, spec.system.delta)
    stages = collision_stages(spec.protocol, n, spec.interaction.g, spec.interaction.tau, spec.order)
    mats = [(Operator(s.gate).data, s.qubits, len(s.subsystems)) for s in stages]
    cols = []
    for a in range(d):
        for b in range(d):
            x = np.zeros((d, d), dtype=complex)
            x[a, b] = 1.0
            step, joint = start, None
            while step < stop:
                pos = step % n
                if pos == 0:
                    xs = x if joint is None else reduced_state(joint, range(n))
                    joint = tensor_product(xs, bath)
                offset = 0
                for u, qubits, size in mats:
                    if offset == pos:
                        assert joint is not None  # a run starts at a refresh (start % n == 0), which sets it
                        joint = apply_unitary(joint, u, qubits)
                        step += size
                        break
                    offset += size
            out = x if joint is None else reduced_state(joint, range(measured))
            cols.append(out.reshape(-1))
    return np.array(cols).T


def check_document(doc: dict[str, Any], spec: CascadeSpec) -> int:
    """Refuse what is not a records document of a cascade spec; the number of measured qubits."""
    from qheat.protocols.cascade.circuits import measured_qubits

    if not isinstance(doc, dict) or doc.get("kind") != RECORDS_KIND:
        raise QheatError("not a qheat records file (no kind = 'qheat-records')")
    if not isinstance(spec, CascadeSpec):
        raise QheatError("records of this protocol cannot be analysed by the cascade analysis")
    return len(measured_qubits(spec))


def analyze_records(doc: dict[str, Any], spec: CascadeSpec) -> dict[str, Any]:
    """Tomography and thermodynamics of a records document (see module doc): the result body; reads nothing
    but the document and the spec."""
    from qheat.physics.tomography import settings as all_settings
    from qheat.protocols.cascade import analysis as cascade

    measured = check_document(doc, spec)
    settings = all_settings(measured)
    lost = set(doc.get("metadata", {}).get("incomplete_steps") or [])  # circuits of failed or cancelled jobs
    _check_records(doc, spec, settings, lost)
    factors = spec.noise_factors
    steps, counts = _counts_by_step(doc, settings, 2**measured, factors)
    complete = (counts.sum(-1) > 0).all((-2, -1)) & np.array([k not in lost for k in steps])
    missing = [k for k, ok in zip(steps, complete) if not ok]
    if missing:
        steps = [k for k, ok in zip(steps, complete) if ok]
        counts = counts[complete]
        if len(steps) < 2:
            raise QheatError(
                f"too few complete records to analyse (steps with every setting: {steps}); incomplete: {missing}"
            )
    inverse = None
    if spec.mitigation is not None and spec.mitigation.readout:
        inverse = readout_inverse(doc.get("calibration", []), measured)
        if inverse is None:
            raise QheatError("the spec asks for readout mitigation but the records hold no calibration counts")
    lin = linear_estimate(counts, inverse, factors)  # (K, D, D)
    states = physical(lin)
    replicas = spec.measurement.bootstrap
    rng = np.random.default_rng(seed_sequence(spec, 7))
    rep_states = None
    if replicas:
        rep_lin = linear_estimate(bootstrap_counts(counts, replicas, rng), inverse, factors)
        if spec.execution.mode == "reprepare":
            rep_lin = _chain(spec, steps, states, rep_lin, measured)
        rep_states = physical(rep_lin)  # (B, K, D, D)
    data = _result(spec, doc, steps, states, rep_states, cascade.system_columns)
    block = data["measurement"]
    if inverse is not None:
        block["readout_mitigation"] = (
            "inverse of the per-qubit assignment matrices (qiskit-experiments "
            "LocalReadoutMitigator) from the all-|0>/all-|1> calibration circuits of the "
            "same jobs, applied to the frequencies before linear inversion; bootstrap "
            "does not resample the calibration"
        )
    if factors != (1,):
        block["zero_noise_extrapolation"] = (
            f"gates folded to noise factors {list(factors)}; each setting's "
            "frequencies extrapolated to zero noise (Richardson) before linear "
            "inversion; the bootstrap resamples every factor"
        )
    if missing:
        block["incomplete_steps"] = missing
    _device_block(block, doc)
    return data


def _device_block(block: dict[str, Any], doc: dict[str, Any]) -> None:
    meta = doc.get("metadata", {})
    for key in ("device", "layout", "costs", "mitigation", "jobs_report", "versions"):
        if key in meta:
            block[key] = meta[key]
    if "engine" in meta and "layout" in meta:
        block["engine"] = meta["engine"]


def _check_records(
    doc: dict[str, Any], spec: CascadeSpec, settings: list[tuple[int, ...]], lost: AbstractSet[int] = frozenset()
) -> None:
    """Refuse records that cannot be this spec's: every record step and setting (except the steps
    ``lost`` to failed or cancelled jobs, which the analysis leaves out), well-formed counts."""
    records = doc.get("records")
    factors = spec.noise_factors
    if not isinstance(records, list) or not records:
        raise QheatError("the records document holds no counts (every job failed or none was fetched)")
    width = len(settings[0])
    labels = {format(o, f"0{width}b") for o in range(2**width)}
    known = set(settings)
    seen: dict[int, set] = {}
    for i, rec in enumerate(records):
        meta = rec.get("metadata") if isinstance(rec, dict) else None
        counts = rec.get("counts") if isinstance(rec, dict) else None
        if not isinstance(meta, dict) or not isinstance(counts, dict):
            raise QheatError(f"record {i} has no counts or metadata")
        step, setting = meta.get("step"), meta.get("setting")
        if meta.get("noise_factor", 1) not in factors:
            raise QheatError(
                f"record {i}: noise factor {meta.get('noise_factor')!r} is not one of the spec's "
                f"{list(factors)} ([mitigation] zne)"
            )
        if not isinstance(step, int) or not isinstance(setting, list) or tuple(setting) not in known:
            raise QheatError(
                f"record {i}: step {step!r} / setting {setting!r} is not one of this spec's "
                f"({width}-qubit Pauli settings)"
            )
        for bits, c in counts.items():
            if bits not in labels or type(c) is not int or c < 0:  # bool is not int here
                raise QheatError(f"record {i}: bad count {bits!r}: {c!r} ({width}-bit strings, counts >= 0)")
        seen.setdefault(step, set()).add((meta.get("noise_factor", 1), tuple(setting)))
    expected = set(spec.record_steps())
    if set(seen) - expected or expected - set(seen) - set(lost):
        odd = sorted((set(seen) - expected) | (expected - set(seen) - set(lost)))
        raise QheatError(
            f"the records do not match the spec's record steps (e.g. step {odd[0]}); were they made with another spec?"
        )
    wanted = {(f, s) for f in factors for s in known}
    for step, have in seen.items():
        if have != wanted and step not in lost:
            raise QheatError(
                f"step {step}: {len(wanted) - len(have)} of {len(wanted)} Pauli settings"
                + (" x noise factors" if len(factors) > 1 else "")
                + " have no records"
            )


def _chain(spec: CascadeSpec, steps: list[int], states: np.ndarray, rep_lin: np.ndarray, measured: int) -> np.ndarray:
    """Bootstrap replicas of a reprepare chain, each re-run through the whole chain.

    Run j prepared the positive fit of run j - 1, sigma_{j-1} = states_{j-1}|_S (run 1: the
    exact rho_S^0). A replica that reconstructed physical(lin^b_{j-1})|_S instead would have
    prepared that, so its run j differs by Phi_j(sigma^b_{j-1} - sigma_{j-1}) on top of its own
    resampling deviation: lin^b_j += Phi_j(physical(lin^b_{j-1})|_S - sigma_{j-1}). The projection
    inside the chain lets the replicas carry the bias that preparing projected states builds up.
    """
    out = rep_lin.copy()
    n = spec.n
    d_m = 2**measured
    cache: dict[int, np.ndarray] = {}

    def system(rho: np.ndarray) -> np.ndarray:
        return rho if measured == n else np.stack([reduced_state(r, range(n)) for r in rho])

    for j in range(2, len(steps)):
        length = steps[j] - steps[j - 1]
        if length not in cache:
            cache[length] = run_channel(spec, steps[j - 1], steps[j], measured)
        shift = system(physical(out[:, j - 1])) - system(states[j - 1][None])[0]
        out[:, j] += (shift.reshape(len(shift), -1) @ cache[length].T).reshape(-1, d_m, d_m)
    return out


def _stderr(replicas: np.ndarray) -> np.ndarray:
    """Standard deviation over bootstrap replicas (axis 0), ignoring replicas where a quantity is
    undefined (an apparent temperature without a solution); NaN where fewer than two remain."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(replicas, axis=0, ddof=1)


def _result(
    spec: CascadeSpec,
    doc: dict[str, Any],
    steps: list[int],
    states: np.ndarray,
    rep_states: np.ndarray | None,
    columns_of: Callable,
    missing: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The result body from the states at every record (``columns_of`` turns system states into columns);
    the keys of ``missing`` are null, each with a ``<key>_note`` saying why."""
    missing = missing or {}
    n, delta, t_r = spec.n, spec.system.delta, spec.bath.temperature
    with_bath = states.shape[-1] == 2 ** (n + 1)
    rho_s = np.stack([system_part(spec, r) for r in states])
    col = columns_of(rho_s, spec)
    rep = None
    if rep_states is not None:
        b, k = rep_states.shape[:2]
        flat = rep_states.reshape(b * k, *rep_states.shape[2:])
        rep_s = np.stack([system_part(spec, r) for r in flat])
        rep = {key: v.reshape(b, k, *v.shape[1:]) for key, v in columns_of(rep_s, spec).items()}

    def entry(key: str, value: np.ndarray, rep_value: np.ndarray | None) -> dict[str, Any]:
        out: dict[str, Any] = {key: value}
        if rep_value is not None:
            out[f"{key}_stderr"] = np.full(np.shape(value), np.nan) if key in missing else _stderr(rep_value)
        if key in missing:
            out[f"{key}_note"] = missing[key]
        return out

    def pick(key: str, f: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        return f(col[key]), (None if rep is None else f(rep[key]))

    def of(k: int, f: Callable[[np.ndarray], np.ndarray] = lambda e: e) -> Callable[[np.ndarray], np.ndarray]:
        """``f`` of subsystem k's column (the last axis) of a per-subsystem quantity."""
        return lambda a: f(a[..., k])

    from qheat.protocols.cascade.analysis import _at_note, analyze
    from qheat.protocols.cascade.exact import simulate

    exact = analyze(simulate(spec), spec).data
    pops0, c0 = col["pops"][0], col["c_k"][0]
    subsystems = []
    for k in range(n):
        t_k = spec.system.temperatures[k]
        sub: dict[str, Any] = {"label": f"S{k + 1}", "temperature": t_k}
        sub.update(entry("energy", *pick("energy_k", of(k))))
        sub.update(entry("energy_change", *pick("energy_k", of(k, lambda e: e - e[..., :1]))))
        sub.update(entry("heat_absorbed", *pick("energy_k", of(k, lambda e: e[..., -1] - e[..., 0]))))
        if rep is not None:  # bootstrap bias estimate: replica mean minus estimate
            sub["heat_absorbed_bootstrap_bias"] = float(
                np.mean(rep["energy_k"][:, -1, k] - rep["energy_k"][:, 0, k]) - sub["heat_absorbed"]
            )
        sub.update(entry("apparent_temperature", *pick("at_k", of(k))))
        note = _at_note(col["at_k"][:, k], col["pops"][:, k, 0], col["pops"][:, k, 1], col["c_k"][:, k], steps)
        if note and "apparent_temperature" not in missing:  # Eq. (49) undefined at some records: where and why
            sub["apparent_temperature_note"] = note
        sub.update(entry("one_way_coherence", *pick("c_k", of(k))))
        sub["reversal_threshold"] = thermo.reversal_threshold(t_k, t_r, delta)
        if "reversal_predicted" in missing:
            sub.update(reversal_predicted=None, reversal_predicted_note=missing["reversal_predicted"])
            sub.update(initial_heat_current=None, initial_heat_current_note=missing["initial_heat_current"])
        else:
            sub["reversal_predicted"] = thermo.reversal_predicted(float(c0[k]), t_k, t_r, delta)
            sub["initial_heat_current"] = thermo.heat_current(
                pops0[k, 0], pops0[k, 1], float(c0[k]), t_r, spec.interaction.g, spec.interaction.tau, delta
            )
        subsystems.append(sub)
    system: dict[str, Any] = {}
    system.update(entry("energy", *pick("energy", lambda a: a)))
    system.update(entry("heat_absorbed", *pick("energy", lambda a: a[..., -1] - a[..., 0])))
    for key in ("free_energy", "coherence", "entropy"):
        system.update(entry(key, *pick(key, lambda a: a)))
    system.update(entry("free_energy_change", *pick("free_energy", lambda a: a - a[..., :1])))
    system.update(entry("apparent_temperature", *pick("at", lambda a: a)))
    note = _at_note(col["at"], col["pops"][..., 0].sum(-1), col["pops"][..., 1].sum(-1), col["c_k"].sum(-1), steps)
    if note and "apparent_temperature" not in missing:
        system["apparent_temperature_note"] = note
    heat = -(col["energy"] - col["energy"][0])
    note = "inferred from the measured system energy: the collisions conserve H_S + H_R, so Q_R = -(E_S(t) - E_S(0))"
    if ":" in doc["backend"]:
        note += "; on a noisy backend this also counts the energy that the noise adds to or takes from the system"
    bath: dict[str, Any] = {"temperature": t_r, "heat_received": heat, "heat_received_note": note}
    if rep is not None:
        bath["heat_received_stderr"] = _stderr(-(rep["energy"] - rep["energy"][:, :1]))
    if with_bath:
        rho_r = np.stack([reduced_state(r, [n]) for r in states])
        bath["particle_energy"] = thermo.qubit_energy(rho_r, delta)
    if with_bath and "mutual_information_with_bath" in missing:
        for part in (*subsystems, system):
            part.update(entry("mutual_information_with_bath", np.full(len(steps), np.nan), None))
    elif with_bath:
        mi = [
            [
                max(float(np.atleast_1d(thermo.pair_mutual_information(reduced_state(r, [k, n])))[0]), 0.0)
                for k in range(n)  # I(S_k : R), clipped at 0 against roundoff
            ]
            for r in states
        ]
        for k in range(n):
            subsystems[k]["mutual_information_with_bath"] = [m[k] for m in mi]
        s_sr = thermo.von_neumann_entropies(states)
        system["mutual_information_with_bath"] = np.maximum(
            col["entropy"] + thermo.von_neumann_entropies(rho_r) - s_sr, 0.0
        )
    meta = doc.get("metadata", {})
    reference = doc.get("reference_states") or {}
    shot_free = None
    if reference and all(str(k) in reference for k in steps):
        ref_states = np.stack([array(reference[str(k)]) for k in steps])
        ref_col = columns_of(np.stack([system_part(spec, r) for r in ref_states]), spec)
        shot_free = {
            "note": "the simulator's own states at each record before any shot was drawn (snapshots engine): "
            "what infinitely many shots would give on this backend; beside 'exact' it shows the noise",
            "subsystems": [
                {
                    "energy": ref_col["energy_k"][:, k],
                    "heat_absorbed": float(ref_col["energy_k"][-1, k] - ref_col["energy_k"][0, k]),
                }
                for k in range(n)
            ],
            "system": {
                "energy": ref_col["energy"],
                "free_energy": ref_col["free_energy"],
                "coherence": ref_col["coherence"],
            },
        }
    data = {
        "steps": steps,
        "collision": [math.ceil(s / n) for s in steps],
        "subsystems": subsystems,
        "system": system,
        "bath": bath,
        "measurement": {
            "mode": spec.execution.mode,
            "engine": spec.execution.engine,
            "preparation": spec.execution.preparation,
            "tomography": spec.measurement.tomography,
            "shots_per_setting": spec.measurement.shots,
            "fit": "qiskit-experiments linear_inversion + postprocess_fitter(make_positive=True)",
            "stderr": (
                f"standard deviation over {spec.measurement.bootstrap} bootstrap resamples of the counts"
                + (
                    "; reprepare chains: each run's deviation propagated through the later runs"
                    if spec.execution.mode == "reprepare"
                    else ""
                )
            )
            if spec.measurement.bootstrap
            else "none",
            "records_seconds": meta.get("seconds"),
        },
        "exact": {
            "note": "the exact engine on the same spec, at every step, for comparison",
            "steps": exact["steps"],
            "subsystems": [
                {key: sub[key] for key in ("label", "energy", "heat_absorbed", "apparent_temperature")}
                for sub in exact["subsystems"]
            ],
            "system": {key: exact["system"][key] for key in ("energy", "heat_absorbed", "free_energy", "coherence")},
            "bath": {"heat_received": exact["bath"]["heat_received"]},
        },
        "conventions": CONVENTIONS,
    }
    if shot_free is not None:
        data["shot_free"] = shot_free
    return data
