"""Seed 001 from the Estimator path's records (``[mitigation] estimator``): each record's Pauli expectation
values (the ``observables`` a quantity needs, ``mitigation.pauli``) averaged over branches and Z^b patterns,
the state by linear inversion (or, with fewer Paulis, the quantities linear in them), error bars from
Gaussian replicas of the Estimator's standard errors, chained through reprepare runs as the bootstrap is
(``records._chain``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.backends.runtime.estimator import ZNE_FACTORS
from qheat.core.errors import QheatError
from qheat.mitigation.pauli import basis_count, embed, linear_states, observable_labels
from qheat.physics.tomography import physical, richardson_weights
from qheat.protocols.cascade.records import _chain, _device_block, _result, check_document, seed_sequence
from qheat.protocols.cascade.spec import CascadeSpec


def expectations_by_step(records: list[dict], *, size: int) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(steps, values (K, size), standard errors (K, size)) of Estimator records of ``size`` Paulis: per step the
    branch-weighted mean over branches of each branch's mean over its Z^b patterns, errors added in
    quadrature with the same weights. Patterns drawn at random (fewer records than 2^refreshes) add
    their spread: the variance over patterns divided by their number. Each standard error is at least
    the binomial sqrt((1 - v^2) / shots) (at least 1/shots): the Estimator reports 0 for a value
    all of whose shots agreed. A non-finite error (ZNE's fit without a covariance) is Richardson's
    (``_finite_stds``)."""
    groups: dict[int, dict[int, list[dict]]] = {}
    for rec in records:
        meta = rec["metadata"]
        groups.setdefault(int(meta["step"]), {}).setdefault(int(meta["branch"]), []).append(rec)
    steps = sorted(groups)
    values, variances = np.zeros((len(steps), size)), np.zeros((len(steps), size))
    for i, k in enumerate(steps):
        total = sum(float(recs[0]["metadata"]["weight"]) for recs in groups[k].values())
        if abs(total - 1.0) > 1e-6:
            raise QheatError(
                f"the Estimator records of step {k} hold preparation branches of total weight {total:.4f}, not 1: "
                "records are missing; run the spec again"
            )
        for recs in groups[k].values():
            w = float(recs[0]["metadata"]["weight"])
            evs = np.array([rec["expectations"]["evs"] for rec in recs], dtype=float)
            stds = np.array([rec["expectations"]["stds"] for rec in recs], dtype=float)
            if not np.all(np.isfinite(evs)):
                raise QheatError(
                    f"the Estimator records of step {k} hold a non-finite expectation value: the job's "
                    "post-processing failed; run the spec again"
                )
            stds = _finite_stds(recs, stds, k)
            shots = np.array([float(rec["metadata"].get("shots", 0)) for rec in recs])[:, None]
            if shots.min() > 0:  # a value all of whose shots agreed has std 0: floor it at ~1/shots
                stds = np.maximum(stds, np.sqrt(np.maximum(1 - evs**2, 1 / shots) / shots))
            values[i] += w * evs.mean(0)
            var = (stds**2).sum(0) / len(recs) ** 2
            refreshes = len(recs[0]["metadata"].get("pattern", []))
            if len(recs) > 1 and len(recs) < 2**refreshes:  # random patterns: their spread counts too
                var = var + evs.var(0, ddof=1) / len(recs)
            variances[i] += w**2 * var
    return steps, values, np.sqrt(variances)


def _finite_stds(recs: list[dict], stds: np.ndarray, step: int) -> np.ndarray:
    """The Estimator's standard errors with each non-finite one (its ZNE fit's covariance could not be
    computed) replaced by the error of Richardson's polynomial through the noise factors'
    values, sqrt(sum_i w_i^2 sigma_i^2) (``physics.tomography.richardson_weights``; 0 when every factor's
    shots agreed: the binomial floor then applies)."""
    bad = ~np.isfinite(stds)
    if not bad.any():
        return stds
    per_factor = [rec["expectations"].get("stds_noise_factors") for rec in recs]
    if any(f is None for f in per_factor):
        raise QheatError(
            f"the Estimator records of step {step} hold a non-finite standard error without the errors per "
            "noise factor to replace it; run the spec again"
        )
    sigma = np.asarray(per_factor, dtype=float)  # (records, values, factors)
    if sigma.shape[-1] != len(ZNE_FACTORS) or not np.all(np.isfinite(sigma[bad])):
        raise QheatError(f"the Estimator records of step {step} hold non-finite errors at a noise factor")
    w = richardson_weights(ZNE_FACTORS)
    return np.where(bad, np.sqrt((sigma**2 * w**2).sum(-1)), stds)


def fit_expectations(records: list[dict], m: int) -> np.ndarray:
    """The positive state of one run's Estimator records (all at one step)."""
    _, values, _ = expectations_by_step(records, size=4**m - 1)
    return physical(linear_states(values[0], m))


def unmeasured(kind: str) -> dict[str, str]:
    """What the Estimator's ``observables`` of this kind cannot give (result key -> why it is null)."""
    if kind == "state":
        return {}
    what = {"energies": "<Z> of each qubit", "exchange": "<Z> of each qubit and <XX>, <YY> of each system pair"}
    head = f"not measured: mitigation.observables = {kind!r} estimates {what[kind]}; "
    state = head + "the entropy needs the full state (observables = 'state')"
    out = dict.fromkeys(
        ("entropy", "free_energy", "free_energy_change", "coherence", "mutual_information_with_bath"), state
    )
    if kind == "energies":
        pairs = head + "the one-way coherence needs <XX> + <YY> of the pairs (observables = 'exchange')"
        keys = ("one_way_coherence", "apparent_temperature", "reversal_predicted", "initial_heat_current")
        out.update(dict.fromkeys(keys, pairs))
    return out


def analyze_expectations(doc: dict[str, Any], spec: CascadeSpec) -> dict[str, Any]:
    """The Estimator path's records: each step's state by linear inversion of its branch-averaged Pauli
    expectations and a positive projection; error bars from Gaussian replicas of the expectations (the
    Estimator's standard errors, independent), chained through the runs in reprepare mode as the
    bootstrap is."""
    from qheat.protocols.cascade import analysis as cascade

    measured = check_document(doc, spec)
    records = doc.get("records")
    if not isinstance(records, list) or not records:
        raise QheatError("the records document holds no expectation values (every job failed or none was fetched)")
    kind = spec.mitigation.observables if spec.mitigation else "state"
    observed = observable_labels(kind, measured, spec.n)
    if doc.get("metadata", {}).get("observables", observed) != observed:
        raise QheatError(
            "the records hold other Pauli values than the spec's mitigation.observables asks for; "
            "analyse them with the spec they were made with"
        )
    size = len(observed)
    for i, rec in enumerate(records):
        ev = rec.get("expectations") if isinstance(rec, dict) else None
        meta = rec.get("metadata") if isinstance(rec, dict) else None
        if (
            not isinstance(ev, dict)
            or not isinstance(meta, dict)
            or not all(k in meta for k in ("step", "branch", "weight"))
            or len(ev.get("evs", ())) != size
            or len(ev.get("stds", ())) != size
        ):
            raise QheatError(
                f"record {i} is not an Estimator record of this spec ({size} Pauli values and errors, step, "
                "branch and weight); were the records made with the Sampler path?"
            )
    steps, values, stds = expectations_by_step(records, size=size)
    if set(steps) != set(spec.record_steps()):
        odd = sorted(set(steps) ^ set(spec.record_steps()))
        raise QheatError(
            f"the records do not match the spec's record steps (e.g. step {odd[0]}); were they made with another spec?"
        )
    # the state: linear inversion, then the nearest density matrix; fewer Paulis: the linear-inversion
    # operator with the others zero, unprojected, on which exactly the quantities linear in them are right
    full = kind == "state"
    settle = physical if full else (lambda lin: lin)
    lin = linear_states(embed(values, observed, measured), measured)
    states = settle(lin)
    replicas = spec.measurement.bootstrap
    rep_states = None
    if replicas:
        rng = np.random.default_rng(seed_sequence(spec, 7))
        draws = values[None] + stds[None] * rng.standard_normal((replicas, *values.shape))
        rep_lin = linear_states(embed(draws, observed, measured), measured)
        if spec.execution.mode == "reprepare":
            rep_lin = _chain(spec, steps, states, rep_lin, measured)
        rep_states = settle(rep_lin)
    missing = unmeasured(kind)
    columns = cascade.system_columns if full else cascade.linear_columns(kind)
    data = _result(spec, doc, steps, states, rep_states, columns, missing)
    block = data["measurement"]
    techniques = list(spec.mitigation.estimator) if spec.mitigation else []
    count = basis_count(kind, measured, spec.n)
    block["tomography"] = (
        f"Estimator: {size} Pauli expectation values of the measured qubits (observables = {kind!r}), "
        f"{count} measurement {'basis' if count == 1 else 'bases'} per circuit"
    )
    block["observables"] = observed
    block["fit"] = (
        f"Runtime's executor_estimator.Estimator with {techniques}; linear inversion of the branch- and "
        "pattern-averaged expectations (mitigation.pauli.linear_states), then "
        + (
            "the nearest density matrix (eigenvalue rescaling, as qiskit-experiments' postprocess_fitter)"
            if full
            else "the quantities linear in the measured Paulis (populations"
            + (", exchange coherences" if kind == "exchange" else "")
            + "), unprojected: the others are null"
        )
    )
    block["stderr"] = (
        f"standard deviation over {replicas} Gaussian replicas of the expectations with the Estimator's "
        "standard errors (independent: the Estimator reports no covariances)"
        + (
            "; reprepare chains: each run's deviation propagated through the later runs"
            if spec.execution.mode == "reprepare"
            else ""
        )
        if replicas
        else "none (measurement.bootstrap = 0 replicas)"
    )
    unweighted = sum(1 for rec in records if rec["expectations"].get("note"))
    if unweighted:
        block["stderr"] += (
            f"; {unweighted} of {len(records)} records' ZNE fits were unweighted (every noise factor's error of some "
            "value 0), and a non-finite extrapolated error is Richardson's through the factors' errors"
        )
    _device_block(block, doc)
    return data
