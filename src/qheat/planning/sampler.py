"""The Sampler path's rows of ``qheat plan`` (raw counts, readout mitigation, ZNE by folding).

For each technique the spec is planned as a submission (``Protocol.plan_submission``: the very circuits,
shots and jobs ``qheat submit`` would send). The *error bar per heat* is predicted without sampling the
device: every circuit's outcome distribution is computed exactly under the device's noise model (Aer
density matrix of the compiled circuit with ``NoiseModel.from_backend``, then the reported readout
assignment matrices), and ``replicas`` parametric-bootstrap data sets drawn from those distributions are
analysed by the protocol's own ``records_from_jobs`` + ``analyze`` -- so readout inversion and ZNE
extrapolation (their variance amplification: the inverse assignment matrices, Richardson weights
sum w_i^2) are in the prediction as they are in a real run. Error bars scale as 1/sqrt(shots), so the
shots per setting for +-E are ``shots * max_k (sigma_k / E)^2``.

Device time = sum over jobs of (job's pubs x the job's shot count x (circuit duration from the target's
reported instruction durations + the device's reported repetition delay)) + jobs x Runtime's per-job
overhead (ASSUMED, not reported by any device: ``JOB_OVERHEAD_S``). The client-side Sampler runs every
pub of a job at the job's largest shot count, which the estimate counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qheat.core.errors import QheatError
from qheat.protocols.registry import protocol_of, spec_from_dict

JOB_OVERHEAD_S = 2.0  # ASSUMED: Runtime's classical overhead per job (seconds); not reported by devices
REPLICAS = 40  # parametric-bootstrap data sets per technique
TECHNIQUES: dict[str, dict[str, Any]] = {
    "raw": {},
    "readout": {"readout": True},
    "readout+zne": {"readout": True, "zne": [1, 3]},
}


def _variant(spec: Any, mitigation: dict[str, Any]) -> Any:
    data = spec.to_dict()
    data.pop("mitigation", None)
    if mitigation:
        data["mitigation"] = dict(mitigation)
    data.setdefault("measurement", {})["bootstrap"] = 0  # replicas give the spread; no resampling inside
    return spec_from_dict(data)


def _readout(target, qubits: int) -> list[np.ndarray]:
    from qiskit_aer.noise.device import basic_device_readout_errors

    found = {q[0]: np.asarray(e.probabilities) for q, e in basic_device_readout_errors(target=target)}
    return [found.get(q, np.eye(2)) for q in range(qubits)]


def distributions(circuits: list, device, register: str = "meas") -> list[dict[str, float]]:
    """The exact outcome distribution of ``register`` for every compiled circuit on ``device`` (a fake
    backend): density matrix under ``NoiseModel.from_backend(device)`` up to the terminal measurements,
    then each measured qubit's reported readout assignment matrix."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    sim = AerSimulator(method="density_matrix", noise_model=NoiseModel.from_backend(device))
    readout = _readout(device.target, device.num_qubits)
    probes, measured = [], []
    for qc in circuits:
        creg = next((c for c in qc.cregs if c.name == register), None)
        if creg is None:
            raise QheatError(f"plan: a circuit has no classical register {register!r}")
        pairs: dict[int, int] = {}
        body = qc.copy_empty_like()
        for inst in qc.data:
            if inst.operation.name == "measure":
                q, c = qc.find_bit(inst.qubits[0]).index, inst.clbits[0]
                if c not in creg:
                    raise QheatError(f"plan: a circuit measures into a register other than {register!r}")
                pairs[list(creg).index(c)] = q
                continue
            if inst.operation.name != "barrier" and any(qc.find_bit(q).index in pairs.values() for q in inst.qubits):
                raise QheatError("plan needs circuits whose measurements are terminal")
            body.append(inst)
        bits = [pairs[i] for i in range(len(creg))]
        body.save_probabilities(bits, label="p")
        probes.append(body)
        measured.append(bits)
    out = []
    for result_p, bits in zip(sim.run(probes, shots=1).result().results, measured):
        p = np.asarray(result_p.data.p, dtype=float)
        assign = np.ones((1, 1))
        for q in bits:  # bit i of the outcome is qubit bits[i] (rightmost first)
            assign = np.kron(readout[q], assign)
        p = assign.T @ p
        width = len(bits)
        out.append({format(i, f"0{width}b"): float(v) for i, v in enumerate(p) if v > 1e-15})
    return out


def _draw(rng: np.random.Generator, dist: dict[str, float], shots: int) -> dict[str, int]:
    keys = list(dist)
    p = np.array([dist[k] for k in keys])
    got = rng.multinomial(int(shots), p / p.sum())
    return {k: int(v) for k, v in zip(keys, got) if v}


def _pools(manifest: dict[str, Any], dists: list[dict[str, float]]) -> list[tuple[list, int, dict[str, float]]]:
    """Pubs the analysis pools (the same metadata but for the preparation ``branch`` and its ``weight``;
    twirled instances and Z^b patterns share all of it), each pool with its total shots and its
    shot-weighted mixture of distributions. A pool's shots were split among its pubs by a multinomial
    draw (``split_shots``), so its pooled counts are one multinomial sample of the mixture; drawing each
    pub with its fixed shots instead would leave out the split's variance (25% too small an error bar,
    measured). Calibration pubs pool by job and label."""
    import json

    pools: dict[str, tuple[list, list[int], list[dict[str, float]]]] = {}
    for job in manifest["jobs"]:
        lo = sum(len(j["pubs"]) for j in manifest["jobs"][: job["index"]])
        for i, pub in enumerate(job["pubs"]):
            if "calibration" in pub:
                key = f"calibration {job['index']} {pub['calibration']}"
            else:
                meta = {k: v for k, v in pub["metadata"].items() if k not in ("branch", "weight")}
                key = json.dumps(meta, sort_keys=True)
            members, shots, parts = pools.setdefault(key, ([], [], []))
            members.append((job["index"], i))
            shots.append(int(pub["shots"]))
            parts.append(dists[lo + i])
    out = []
    for members, shots, parts in pools.values():
        total = sum(shots)
        mixture: dict[str, float] = {}
        for n, dist in zip(shots, parts):
            for k, v in dist.items():
                mixture[k] = mixture.get(k, 0.0) + v * n / total
        out.append((members, total, mixture))
    return out


def _heats(result: dict[str, Any]) -> np.ndarray:
    return np.array([s["heat_absorbed"] for s in result["subsystems"]], dtype=float)


def _durations(circuits: list, target) -> list[float]:
    return [float(qc.estimate_duration(target, unit="s")) for qc in circuits]


def _rep_delay_s(device) -> tuple[float, str]:
    """The delay between shots: ``default_rep_delay`` (seconds on a backend object, microseconds in a fake
    device's configuration file)."""
    seconds = getattr(device, "default_rep_delay", None)
    if seconds is None:
        micro = (getattr(device, "_conf_dict", None) or {}).get("default_rep_delay")
        seconds = None if micro is None else float(micro) * 1e-6
    if seconds is None:
        return 250e-6, "ASSUMED 250 us repetition delay per shot (the device reports none)"
    return float(seconds), f"repetition delay {float(seconds) * 1e6:g} us per shot (reported by the device)"


def technique_row(
    spec: Any,
    backend: str,
    name: str,
    mitigation: dict[str, Any],
    target_error: float,
    *,
    replicas: int = REPLICAS,
    job_overhead: float = JOB_OVERHEAD_S,
    seed: int = 0,
) -> dict[str, Any]:
    """One row of the plan: the prediction for ``spec`` with ``mitigation`` on ``backend``."""
    from qheat import engine
    from qheat.backends.runtime import fake_device, restricted_fake

    variant = _variant(spec, mitigation)
    proto = protocol_of(variant)
    manifest, circuits = proto.plan_submission(variant, backend)
    device = restricted_fake(fake_device(backend), tuple(manifest["layout"]["physical_qubits"]))
    dists = distributions(circuits, device)
    offsets = np.cumsum([0] + [len(j["pubs"]) for j in manifest["jobs"]])
    report = [{"index": j["index"], "job_id": f"plan-{j['index']}", "state": "DONE"} for j in manifest["jobs"]]
    rng = np.random.default_rng([int(seed), 0x706C616E])
    pools = _pools(manifest, dists)
    heats = []
    for _ in range(replicas):
        job_counts: dict[int, list[dict[str, int]]] = {j["index"]: [{} for _ in j["pubs"]] for j in manifest["jobs"]}
        for members, shots, mixture in pools:
            job, i = members[0]
            job_counts[job][i] = _draw(rng, mixture, shots)
        doc = proto.records_from_jobs(variant, manifest, job_counts, report)
        heats.append(_heats(engine.analyze(doc).to_dict()))
    heats_arr = np.array(heats)
    sigma = heats_arr.std(axis=0, ddof=1)
    shots = int(spec.measurement.shots)
    need = max(1, math.ceil(shots * float(np.max(sigma / target_error)) ** 2))
    durations = _durations(circuits, device.target)
    rep, rep_note = _rep_delay_s(device)
    scale = need / shots
    seconds = 0.0
    for j in manifest["jobs"]:
        lo, k = int(offsets[j["index"]]), len(j["pubs"])
        job_shots = max(math.ceil(p["shots"] * scale) for p in j["pubs"])  # the Sampler's one shot count
        seconds += job_shots * sum(durations[lo + i] + rep for i in range(k)) + job_overhead
    row = {
        "technique": name,
        "mitigation": mitigation,
        "circuits": len(circuits),
        "jobs": len(manifest["jobs"]),
        "shots_per_setting": need,
        "total_shots": int(sum(math.ceil(p["shots"] * scale) for j in manifest["jobs"] for p in j["pubs"])),
        "device_seconds": seconds,
        "sigma_at_spec_shots": sigma.tolist(),
        "predicted_heat": heats_arr.mean(axis=0).tolist(),
        "replicas": replicas,
        "notes": [rep_note, f"ASSUMED {job_overhead:g} s Runtime overhead per job"],
    }
    return row
