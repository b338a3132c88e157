"""The Estimator path's rows of ``qheat plan`` (``[mitigation] estimator``, cascade): each technique's
shots, device time and error bar per heat, predicted without running the Estimator.

The spec runs through the protocol's own batches and analysis on ``PredictingBackend``, a ``fake:``
device whose "expectations" batches are answered by prediction:

- *shots and circuits* are the Estimator's own: Runtime's client-side pre-processing
  (``executor_estimator.prepare.prepare``) turns the pubs into the quantum program the Estimator would
  send, with its randomizations (64 shots each), ZNE noise factors, TREX calibration, and PEC's gamma^2
  more randomizations (its ``pec_gamma``, capped at ``resilience.pec.max_overhead``: beyond it PEC
  removes only part of the noise, which the row states);
- *values* v_f are exact under the device's noise model (Aer density matrix of each circuit, folded to
  the noise factors f = 1, 3, 5 for ZNE and PEA (PEA's injected noise ASSUMED to act as folding does),
  noiseless for PEC, which removes the learned noise in expectation);
- *standard errors* per Pauli P on N shots in R randomizations (every row runs TREX): the shots'
  variance (1 - (r_P v_1)^2) / (r_P^2 N), r_P the product over P's qubits of 1 - P(0|1) - P(1|0) (the
  reported readout errors; the calibration's own shot noise is left out), plus the randomizations'
  spread where they differ: PEC's sign-weighted circuits, each of mean about +-v_1, give
  (gamma^2 v_1^2 - v_ideal^2) / R + gamma^2 (shots' variance); PEA's injected Pauli errors at factor f
  (v_1^2 - v_f^2) / R (measured: without these terms the prediction is 0.5 of the spread at |v| ~ 1,
  fake:sherbrooke). ZNE and PEA fit the Estimator's first extrapolator (a e^(b f), else a line) through
  the factors' values weighted by their errors, the error at f = 0 by the delta method (covariance
  (J^T W J)^-1; the Estimator's fit rescales it by its reduced chi-square, 1 in expectation), or, for
  values within 10 errors of 0, as the spread of qiskit-mitigation's own extrapolation of data drawn
  with those errors (``extrapolated``).

The analysis then propagates these errors to every heat as it does a run's (``cascade.expectations``).
Device time: the program's shots x (each circuit's duration from the target + the repetition delay),
and an ASSUMED overhead per job (one job per batch and technique set on ``ibm:``).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from qheat.backends.runtime import RuntimeBackend
from qheat.core.errors import QheatError

REPLICAS = 400  # Gaussian replicas through which the analysis propagates the predicted errors
TECHNIQUES: dict[str, tuple[str, ...]] = {
    "trex": ("trex",),
    "trex+zne": ("trex", "zne"),
    "trex+pea": ("trex", "pea"),
    "trex+pec": ("trex", "pec"),
}


def readout_factors(target, qubits: int) -> np.ndarray:
    """r_q = 1 - P(0|1) - P(1|0) of each of ``qubits`` from the target's reported readout errors: the
    factor by which twirled readout shrinks <Z_q>."""
    from qheat.planning.sampler import _readout

    return np.array([1.0 - a[0, 1] - a[1, 0] for a in _readout(target, qubits)])


def exponential_or_linear(
    f: np.ndarray, v: np.ndarray, s: np.ndarray, *, scaled: bool = False
) -> tuple[float, float, str]:
    """(value at f = 0, its standard error, model) of the fit the Estimator tries first, a e^(b f), else a
    line, through values ``v`` at noise factors ``f`` with errors ``s`` (weighted least squares, delta
    method with the covariance; ``scaled``: rescaled by the reduced chi-square, as the Estimator's fit
    does). A fit is accepted as the Estimator accepts it: finite, error at most 1, value within
    [-1 - 1, 1 + 1] by its error."""
    import warnings

    from scipy.optimize import OptimizeWarning, curve_fit

    def accept(value: float, err: float) -> bool:
        return bool(np.isfinite(value) and np.isfinite(err) and err <= 1 and abs(value) - err <= 2)

    try:
        sign = 1.0 if v[0] >= 0 else -1.0
        rate, log_amp = np.polyfit(f, np.log(np.clip(np.abs(v), 1e-15, None)), 1)
        with warnings.catch_warnings():
            warnings.simplefilter("error", OptimizeWarning)  # no covariance: the fit failed, take the line
            popt, pcov = curve_fit(
                lambda x, a, b: a * np.exp(b * x),
                f,
                v,
                p0=[sign * math.exp(log_amp), rate],
                sigma=s,
                absolute_sigma=not scaled,
            )
        if np.all(np.isfinite(pcov)):
            value, err = float(popt[0]), float(math.sqrt(max(pcov[0, 0], 0.0)))  # d/da at f = 0 is 1, d/db is 0
            if accept(value, err):
                return value, err, "exponential"
    except (RuntimeError, ValueError, OptimizeWarning):
        pass
    w = 1.0 / s**2
    design = np.stack([np.ones_like(f), f], axis=1)
    cov = np.linalg.inv(design.T @ (w[:, None] * design))
    coef = cov @ design.T @ (w * v)
    return float(coef[0]), float(math.sqrt(cov[0, 0])), "linear"


MODELS = ["exponential", "linear"]  # the Estimator's default zne.extrapolator, which qheat leaves
DRAWS = 100  # data sets per extrapolation spread drawn where the delta method does not hold


def extrapolated(f: np.ndarray, v: np.ndarray, s: np.ndarray, randomizations: float) -> tuple[float, float]:
    """(value, standard error) at f = 0 of ZNE through exact values ``v`` with errors ``s``: the fit of
    ``exponential_or_linear`` and its delta-method error while every value stands 10 errors clear of 0.
    Nearer 0 the model's curvature and the switch between models rule the spread (measured: the delta
    method then gives 0.7 of it), so the error is that of the Estimator's own extrapolation
    (``_fit_spread``) of data drawn with errors ``s``, weighted by errors estimated, as the Estimator's
    are, from the spread of ``randomizations`` randomizations."""
    value, err, _ = exponential_or_linear(f, v, s)
    if np.all(np.abs(v) >= 10 * s):
        return value, err
    scale = float(f"{float(s[0]):.2g}")  # the first error to 2 digits: nearby extrapolations share one draw
    key = tuple(round(float(x) / scale * 2) / 2 for x in v), tuple(round(float(x) / scale * 20) / 20 for x in s)
    dof = int(min(max(round(randomizations) - 1, 1), 256))
    return value, _fit_spread(tuple(float(x) for x in f), *key, scale, dof)


@functools.lru_cache(maxsize=4096)
def _fit_spread(f: tuple[float, ...], v: tuple[float, ...], s: tuple[float, ...], scale: float, dof: int) -> float:
    """The standard deviation of qiskit-mitigation's ZNE extrapolation (the Estimator's, extrapolators
    exponential then linear; a private function of the pinned version) over ``DRAWS`` data sets
    ``v + N(0, s)`` weighted by errors s sqrt(chi^2_dof / dof) (the Estimator's, from the spread over its
    randomizations), values and errors given in units of ``scale``. The spread is not scale-invariant:
    the Estimator accepts an extrapolation only with an error at most 1 and within [-2, 2]."""
    from qiskit_mitigation.zne.extrapolation import _process_extrapolated_expectation_values as extrapolate

    rng = np.random.default_rng(0x7A6E65)
    mean, err = scale * np.asarray(v), scale * np.asarray(s)
    fits = [
        extrapolate(mean + rng.normal(0.0, err), err * np.sqrt(rng.chisquare(dof, err.size) / dof), "Z", f, MODELS)[0]
        for _ in range(DRAWS)
    ]
    return float(np.std(fits, ddof=1))


class PredictingBackend(RuntimeBackend):
    """A ``fake:`` device whose Estimator batches are predicted (module docstring); everything else --
    layout, compiler, Sampler -- is ``RuntimeBackend``'s. ``costs`` collects each batch's shots, device
    seconds, jobs and the largest PEC gamma."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        if self.kind != "fake":
            raise QheatError("PredictingBackend predicts on fake:<name> devices only")
        self.costs: list[dict[str, Any]] = []

    def _values(self, circuits: list, observables: list[list], factors: tuple[int, ...], noisy: bool) -> np.ndarray:
        """Exact expectation values (circuits, observables, factors) under the device's noise model (or
        none), each circuit folded to each factor (``mitigation.zne.fold_gates``)."""
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import NoiseModel

        from qheat.mitigation.zne import fold_gates

        inverses: dict = {}
        probes = []
        for qc, obs in zip(circuits, observables):
            base = qc.remove_final_measurements(inplace=False)
            for f in factors:
                probe = base if f == 1 else fold_gates(base, f, self.layout_target, inverses)
                probe = probe.copy()
                for i, op in enumerate(obs):
                    probe.save_expectation_value(op, list(range(probe.num_qubits)), label=f"e{i}")
                probes.append(probe)
        noise = {"noise_model": NoiseModel.from_backend(self.executor)} if noisy else {}
        result = AerSimulator(method="density_matrix", **noise).run(probes, shots=1).result()
        out = np.zeros((len(circuits), max((len(o) for o in observables), default=0), len(factors)))
        for c, obs in enumerate(observables):
            for j in range(len(factors)):
                data = result.data(c * len(factors) + j)
                out[c, : len(obs), j] = [float(np.real(data[f"e{i}"])) for i in range(len(obs))]
        return out

    def expectations(
        self, circuits: list, observables: list[list], shots: list[int], seed: int, techniques: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Predicted records of an "expectations" batch (``RuntimeBackend.expectations``'s form)."""
        from qiskit_ibm_runtime import Batch
        from qiskit_ibm_runtime.executor_estimator import Estimator
        from qiskit_ibm_runtime.executor_estimator.prepare import prepare

        from qheat.backends.runtime import _applied, local_simulator
        from qheat.backends.runtime.estimator import (
            ZNE_FACTORS,
            drop_resets,
            estimator_options,
            fake_layer_noise,
            needs_layer_noise,
        )
        from qheat.planning.sampler import _rep_delay_s

        if "trex" not in techniques:
            raise QheatError("qheat plan predicts Estimator techniques with trex only")
        applied = [_applied(tuple(techniques), qc) for qc in circuits]
        circuits = [drop_resets(qc) if needs_layer_noise(a) else qc for qc, a in zip(circuits, applied)]
        pubs = [(qc, list(obs)) for qc, obs in zip(circuits, observables)]
        rep, _ = _rep_delay_s(self.device)
        target = self.executor.target
        readout = readout_factors(target, self.executor.num_qubits)
        out: list[dict[str, Any]] = [{} for _ in pubs]
        cost = {"circuits": len(pubs), "shots": 0, "device_seconds": 0.0, "jobs": 0, "gamma": 1.0, "partial_pec": False}
        with Batch(backend=local_simulator(self.executor)) as batch:
            boxed = [p for p, a in zip(pubs, applied) if needs_layer_noise(a)]
            noise = (
                fake_layer_noise(
                    Estimator(mode=batch, options=estimator_options(tuple(techniques), 1)), boxed, self.executor
                )
                if boxed
                else None
            )
            for used, count in sorted({(applied[i], s) for i, s in enumerate(shots)}):
                index = [i for i, s in enumerate(shots) if (applied[i], s) == (used, count)]
                options = estimator_options(used, count)
                if needs_layer_noise(used):
                    options.resilience.layer_noise_model = list(noise or [])
                program, _ = prepare([pubs[i] for i in index], options, add_tags=True, backend=self.executor)
                cost["jobs"] += 1
                for item in program.items:
                    shots_item = program.shots * item.size()
                    cost["shots"] += shots_item
                    cost["device_seconds"] += shots_item * (
                        float(item.circuit.estimate_duration(target, unit="s")) + rep
                    )
                tasks = [t for t in program.passthrough_data["qiskit_mitigation"] if t.get("mitigation") != "trex"]
                starts = [int(t["program_item_index"]) for t in program.passthrough_data["qiskit_mitigation"]]
                zne = "zne" in used or "pea" in used
                factors = ZNE_FACTORS if zne else (1,)
                values = self._values([pubs[i][0] for i in index], [pubs[i][1] for i in index], factors, True)
                ideal = (
                    self._values([pubs[i][0] for i in index], [pubs[i][1] for i in index], (1,), False)
                    if "pec" in used
                    else None
                )
                max_overhead = float(options.resilience.pec.max_overhead or math.inf)
                for k, (i, task) in enumerate(zip(index, tasks)):
                    first = int(task["program_item_index"])
                    last = min((s for s in starts if s > first), default=len(program.items))
                    bases = max(1, len(task["param_basis_pairs"]))
                    per_basis = (
                        program.shots
                        * sum(program.items[j].size() for j in range(first, last))
                        / (bases * len(factors))
                    )
                    gamma = float(task.get("pec_gamma") or 1.0)  # after the Estimator's noise gain
                    cost["gamma"] = max(cost["gamma"], gamma)
                    # beyond max_overhead the Estimator keeps part of the noise, so that gamma^2 = max_overhead
                    cost["partial_pec"] = cost["partial_pec"] or gamma**2 >= max_overhead * (1 - 1e-6)
                    out[i] = self._predict(
                        pubs[i][1],
                        values[k],
                        None if ideal is None else ideal[k, :, 0],
                        per_basis,
                        per_basis / program.shots,
                        used,
                        readout,
                        gamma,
                        factors,
                    )
        self.costs.append(cost)
        return out

    @staticmethod
    def _predict(
        obs: list,
        v: np.ndarray,
        ideal,
        n: float,
        randomizations: float,
        used: tuple[str, ...],
        readout: np.ndarray,
        gamma: float,
        factors: tuple[int, ...],
    ) -> dict[str, Any]:
        """One pub's predicted record (TREX on): values and standard errors per observable, per noise factor
        too for ZNE/PEA."""
        evs, stds, evs_f, stds_f = [], [], [], []
        for j, op in enumerate(obs):
            label = op.paulis[0].to_label()[::-1]  # label[q] acts on qubit q
            r = float(np.prod([readout[q] for q, c in enumerate(label) if c != "I"]))
            shot = max(1.0 - (r * v[j, 0]) ** 2, 0.0) / (r**2 * n)  # each shot's variance, TREX-rescaled
            if "pec" in used:  # sign-weighted randomizations: |mu_i| ~ |v_1|, mean v_ideal
                evs.append(float(ideal[j]))
                stds.append(
                    math.sqrt(max(gamma**2 * v[j, 0] ** 2 - ideal[j] ** 2, 0.0) / randomizations + gamma**2 * shot)
                )
                continue
            if "pea" in used:  # randomizations with injected Pauli errors: |mu_i| ~ |v_1|, mean v_f
                per = np.sqrt(shot + np.clip(v[j, 0] ** 2 - v[j] ** 2, 0.0, None) / randomizations)
            else:  # one circuit per factor (folding), or TREX alone
                per = np.sqrt(np.clip(1.0 - (r * v[j]) ** 2, 0.0, None) / (r**2 * n))
            if len(factors) == 1:
                evs.append(float(v[j, 0]))
                stds.append(float(per[0]))
                continue
            value, err = extrapolated(np.asarray(factors, dtype=float), v[j], per, randomizations)
            evs.append(value)
            stds.append(err)
            evs_f.append(v[j].tolist())
            stds_f.append(per.tolist())
        out: dict[str, Any] = {"evs": evs, "stds": stds, "techniques": list(used)}
        if len(factors) > 1:
            out["evs_noise_factors"] = evs_f
            out["stds_noise_factors"] = stds_f
        return out


def variant(spec: Any, name: str, observables: str) -> Any:
    """``spec`` with ``[mitigation] estimator = TECHNIQUES[name]`` and ``observables`` (its other
    mitigation keys dropped); ``QheatError`` when the spec cannot run them (``CascadeSpec.check``)."""
    from qheat.protocols.registry import spec_from_dict

    data = spec.to_dict()
    data["mitigation"] = {
        "estimator": list(TECHNIQUES[name]),
        **({"observables": observables} if observables != "state" else {}),
    }
    data.setdefault("measurement", {})["bootstrap"] = REPLICAS  # Gaussian replicas of the predicted errors
    return spec_from_dict(data)


def technique_row(variant: Any, backend: str, name: str, target_error: float, *, job_overhead: float) -> dict[str, Any]:
    """One Estimator row of the plan: ``variant`` (``variant()``) predicted on ``backend`` (``fake:``)."""
    from qheat import engine

    device = PredictingBackend(backend)
    result = engine.analyze(engine.collect(variant, backend, device=device)).to_dict()
    sigma = np.array([s["heat_absorbed_stderr"] for s in result["subsystems"]], dtype=float)
    shots = int(variant.measurement.shots)
    scale = float(np.max(sigma / target_error)) ** 2
    need = max(1, math.ceil(shots * scale))
    jobs = sum(c["jobs"] for c in device.costs)
    seconds = sum(c["device_seconds"] for c in device.costs) * need / shots + jobs * job_overhead
    gamma = max(c["gamma"] for c in device.costs)
    notes = [
        f"ASSUMED {job_overhead:g} s Runtime overhead per job",
        "Estimator rows: shots from the Estimator's own pre-processing; errors predicted (qheat.planning.estimator)",
    ]
    if "pea" in name:
        notes.append("PEA: the noise factors' values ASSUMED to be those of gate folding")
    if "pea" in name or "pec" in name:
        notes.append("PEA/PEC on ibm: NoiseLearnerV3's learning jobs are not counted")
    if any(c["partial_pec"] for c in device.costs):
        notes.append(
            f"PEC: gamma^2 = {gamma**2:.0f} exceeds resilience.pec.max_overhead, so the Estimator removes only part "
            "of the noise (a bias this error bar does not hold)"
        )
    return {
        "technique": f"estimator {name}",
        "mitigation": {"estimator": list(variant.mitigation.estimator), "observables": variant.mitigation.observables},
        "circuits": sum(c["circuits"] for c in device.costs),
        "jobs": jobs,
        "shots_per_setting": need,
        "total_shots": int(math.ceil(sum(c["shots"] for c in device.costs) * need / shots)),
        "device_seconds": seconds,
        "sigma_at_spec_shots": sigma.tolist(),
        "predicted_heat": [s["heat_absorbed"] for s in result["subsystems"]],
        "gamma": gamma if "pec" in name else None,
        "replicas": REPLICAS,
        "notes": notes,
    }
