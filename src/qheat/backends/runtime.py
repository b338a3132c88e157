"""Qiskit Runtime backends: ``fake:<name>`` (a fake device of ``qiskit_ibm_runtime.fake_provider`` in
Runtime's local mode, with its noise model) and ``ibm:<name>`` (a device through ``QiskitRuntimeService``).

What this module does, in the order a run needs it:

- **names**: ``fake_names()`` lists the fake devices (offline); ``check_name`` refuses unknown ones.
- **layout**: ``choose_layout`` puts the bath qubit R on a qubit and S_1..S_n on the n qubits nearest to
  it: on R's neighbours when R has n of them (every collision gate native, no SWAP), and beyond them
  otherwise, each farther S_k reached by moving the bath along the layout and back (2 SWAPs per extra
  hop, ``circuits.routing``); among all candidates the one with the smallest sum of reported errors
  (the R-S_k two-qubit gates, the bath's moves, the readout of the measured qubits, the sx gates).
- **compile**: every piece (preparation, collision segment, setting) is transpiled once for the
  device's target restricted to the layout's qubits, with the trivial layout (no routing can move a
  qubit between pieces); preparations are star circuits through R (``preparation.star_branches``).
- **execution**: ``fake:`` runs in local mode on the fake device *restricted to the layout's qubits*
  (the same properties and the same noise-model builder, so Aer simulates 4 qubits, not 127/133:
  the full-width device costs ~0.7 s per circuit against ~0.06 s, measured); ``ibm:`` embeds the
  circuits in the device width and submits ``SamplerV2`` jobs inside a ``Batch``.
- **jobs that survive a crash**: a ``JobStore`` submits one job per chunk of circuits (each tagged),
  finds a job by its tag (so a crash between submitting and recording the id never submits twice),
  reports its status and returns its counts. ``IBMJobStore`` talks to the service, from any process
  (``service.job(id)``); ``LocalJobStore`` runs the local-mode job at once and keeps its counts in a
  folder beside the manifest (local jobs cannot be retrieved by id from another process).
- **credentials**: ``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` or a saved account; checked before
  anything slow is imported, the service reached with a deadline; never printed or written.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from itertools import combinations, islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qheat.core.errors import QheatError

FAKE_PREFIX, IBM_PREFIX = "fake:", "ibm:"
DEFAULT_MAX_CIRCUITS = 300           # pubs per job when the device reports no limit
IBM_HOST = "quantum.cloud.ibm.com"
NETWORK_DEADLINE = 6.0               # seconds to reach the service before giving up (issue: < 10 s)
ACCOUNT_FILE = Path.home() / ".qiskit" / "qiskit-ibm.json"
FINAL_STATES = ("DONE", "ERROR", "CANCELLED")


# ----------------------------------------------------------------------------- names


def _fake_classes() -> dict[str, str]:
    """Short name -> class name of every fake device (``FakeSherbrooke`` -> ``sherbrooke``), read from
    the module's names without loading any device."""
    import qiskit_ibm_runtime.fake_provider as fp

    out = {}
    for cls in dir(fp):
        if not cls.startswith("Fake") or cls in ("FakeProviderForBackendV2", "FakeFractionalBackend"):
            continue
        if cls.endswith("V1") or not isinstance(getattr(fp, cls), type):
            continue
        short = cls[4:-2] if cls.endswith("V2") else cls[4:]
        out[short.lower()] = cls
    return out


def fake_names() -> list[str]:
    """``fake:<name>`` for every fake device of ``qiskit_ibm_runtime.fake_provider`` (offline)."""
    try:
        return [f"{FAKE_PREFIX}{n}" for n in sorted(_fake_classes())]
    except ImportError:
        return []


def _fake_short(name: str) -> str:
    """``fake:Sherbrooke`` / ``fake:fake_sherbrooke`` -> ``sherbrooke``."""
    return name[len(FAKE_PREFIX):].lower().removeprefix("fake_")


def check_name(name: str) -> None:
    """Refuse an unknown fake device (listing some) or an empty ibm name, without any network."""
    if name.startswith(FAKE_PREFIX):
        short = _fake_short(name)
        try:
            known = _fake_classes()
        except ImportError:
            raise QheatError("fake backends need qiskit-ibm-runtime (pip install 'qheat[ibm]')") from None
        if short not in known:
            some = ", ".join(f"fake:{n}" for n in ("sherbrooke", "torino", "kyiv", "fez", "brisbane") if n in known)
            raise QheatError(f"unknown fake backend {name!r}; e.g. {some} ('qheat backends' lists all {len(known)})")
        return
    if name.startswith(IBM_PREFIX):
        if not name[len(IBM_PREFIX):].strip():
            raise QheatError("ibm: needs a device name, e.g. ibm:ibm_torino")
        return
    raise QheatError(f"{name!r} is not a Runtime backend (use fake:<name> or ibm:<name>)")


def fake_device(name: str):
    """A fresh fake device object for ``fake:<name>``."""
    import qiskit_ibm_runtime.fake_provider as fp

    check_name(name)
    return getattr(fp, _fake_classes()[_fake_short(name)])()


# ----------------------------------------------------------------------------- credentials


@dataclass(frozen=True, repr=False)
class Credentials:
    """Where the account comes from. ``repr`` and ``str`` never show the token."""

    token: str | None          # from QISKIT_IBM_TOKEN; None when a saved account is used
    instance: str | None
    source: str                # "environment" or "saved account"

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r}, instance={'set' if self.instance else None})"

    __str__ = __repr__


def credentials(instance: str | None = None) -> Credentials:
    """The account to use, checked without importing Runtime or touching the network."""
    token = os.environ.get("QISKIT_IBM_TOKEN", "").strip()
    inst = instance or os.environ.get("QISKIT_IBM_INSTANCE", "").strip() or None
    if token:
        return Credentials(token, inst, "environment")
    account_file = Path(os.environ.get("QISKIT_IBM_ACCOUNT_FILE", "") or ACCOUNT_FILE)
    try:
        saved = json.loads(account_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    if isinstance(saved, dict) and saved:
        return Credentials(None, inst, "saved account")
    raise QheatError("no IBM Quantum account: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE), or save one with "
                     "QiskitRuntimeService.save_account(token=..., instance=...); nothing was submitted")


def _with_deadline(fn, seconds: float, what: str):
    """fn() in a daemon thread; a QheatError if it takes longer than ``seconds`` (no hang)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise QheatError(f"{what}: no answer within {seconds:.0f} s (no network?); try again when online")
    if "error" in box:
        raise box["error"]
    return box.get("value")


_REACHED: set[str] = set()


def reachable(host: str | None = None, port: int = 443, seconds: float = 3.0) -> None:
    """A TCP connection to the service within ``seconds`` (name lookup included), else a QheatError; once
    per process. Called before anything slow, so that no network means one line within seconds."""
    host = host or IBM_HOST
    if host in _REACHED:
        return

    def probe() -> None:
        with socket.create_connection((host, port), timeout=seconds):
            pass

    try:
        _with_deadline(probe, seconds + 0.5, f"cannot reach {host}")
    except OSError as exc:
        raise QheatError(f"cannot reach {host} ({type(exc).__name__}); no network? "
                         "ibm: backends need it -- fake:<name> runs offline") from None
    _REACHED.add(host)


def service(instance: str | None = None):
    """A ``QiskitRuntimeService`` from the account, within ``NETWORK_DEADLINE`` seconds or a QheatError.
    Errors are reported by type only: a message could quote the token."""
    creds = credentials(instance)
    started = time.monotonic()
    reachable()

    def connect():
        from qiskit_ibm_runtime import QiskitRuntimeService

        kwargs: dict[str, Any] = {"channel": os.environ.get("QISKIT_IBM_CHANNEL") or "ibm_quantum_platform"}
        if creds.token:
            kwargs["token"] = creds.token
        if creds.instance:
            kwargs["instance"] = creds.instance
        return QiskitRuntimeService(**kwargs)

    left = max(NETWORK_DEADLINE - (time.monotonic() - started), 1.0)
    try:
        return _with_deadline(connect, left, "IBM Quantum did not answer")
    except QheatError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the library's errors, reported without their text
        raise QheatError(f"cannot open the IBM Quantum account ({type(exc).__name__}); check QISKIT_IBM_TOKEN / "
                         "QISKIT_IBM_INSTANCE or the saved account") from None


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    """Physical qubits of S_1..S_n then R, and why they were chosen. ``paths[k]``: the physical path R -> S_k
    when S_k is not R's neighbour (the bath moves along it and back for that collision)."""

    qubits: tuple[int, ...]
    score: float
    candidates: int
    errors: dict[str, float] = field(default_factory=dict)
    paths: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def bath(self) -> int:
        return self.qubits[-1]

    @property
    def swaps_per_collision(self) -> int:
        """SWAPs that move the bath in one cascade collision: 2 per extra hop of each path."""
        return sum(2 * (len(p) - 2) for p in self.paths.values())

    def to_dict(self) -> dict[str, Any]:
        n = len(self.qubits) - 1
        return {"physical_qubits": list(self.qubits),
                "assignment": {**{f"S{k + 1}": q for k, q in enumerate(self.qubits[:n])}, "R": self.bath},
                "score": self.score, "candidates": self.candidates, "errors": self.errors,
                "bath_paths": {f"S{k + 1}": list(p) for k, p in sorted(self.paths.items())},
                "swaps_per_collision": self.swaps_per_collision,
                "rule": "given (not searched); scored as the search would" if self.candidates == 0 else
                        "R on a qubit, S_k on the n qubits nearest to it (its neighbours first: no SWAP; a farther "
                        "S_k is reached by moving the bath along the layout and back, 2 SWAPs per extra hop); among "
                        "all such layouts the smallest sum of reported errors: the R-S_k gates, 6 two-qubit gates "
                        "per extra hop, the readout of the measured qubits, sx"}


MAX_SHELL_CHOICES = 200   # subsets of R's farthest needed shell tried per bath qubit


def _two_qubit_ops(target) -> list[str]:
    return [name for name in target.operation_names
            if name not in ("if_else", "for_loop", "while_loop", "switch_case", "box", "delay", "measure", "reset")
            and any(q is not None and len(q) == 2 for q in (target[name] or {}))]


def _error(target, name: str, qargs: tuple[int, ...]) -> float | None:
    props = (target[name] or {}).get(qargs) if name in target.operation_names else None
    return None if props is None or props.error is None else float(props.error)


def _edge_error(target, a: int, b: int, ops: list[str]) -> float | None:
    errs = [e for op in ops for q in ((a, b), (b, a)) if (e := _error(target, op, q)) is not None]
    if not errs:
        return None if not any(q in (target[op] or {}) for op in ops for q in ((a, b), (b, a))) else 0.0
    return min(errs)


def coupled_pairs(target) -> list[tuple[int, int]]:
    """Pairs (a < b) of qubits with a two-qubit gate in ``target``."""
    pairs = {tuple(sorted(q)) for op in _two_qubit_ops(target) for q in (target[op] or {}) if q is not None and len(q) == 2}
    return sorted(pairs)  # type: ignore[arg-type]


def _edge_errors(target) -> dict[tuple[int, int], float]:
    ops = _two_qubit_ops(target)
    out: dict[tuple[int, int], float] = {}
    for a, b in coupled_pairs(target):
        if (e := _edge_error(target, a, b, ops)) is not None:
            out[(a, b)] = out[(b, a)] = e
    return out


def _assess(target, qubits: tuple[int, ...], edges: dict[tuple[int, int], float],
            measured: int) -> tuple[float, dict[str, float], dict[int, tuple[int, ...]]]:
    """Score (sum of reported errors), its parts and the bath's paths of the layout ``qubits`` (S..., R)."""
    from qheat.circuits.routing import neighbours, shortest_path

    *sites, r = qubits
    graph = neighbours(edges, qubits)
    two, hops, paths = 0.0, 0.0, {}
    for k, s in enumerate(sites):
        path = shortest_path(graph, r, s)
        two += edges[(path[-2], s)]
        hops += 6 * sum(edges[(a, b)] for a, b in zip(path[:-2], path[1:-1]))
        if len(path) > 2:
            paths[k] = tuple(path)
    readout = sum(_error(target, "measure", (q,)) or 0.0 for q in qubits[:measured])
    sx = sum(_error(target, "sx", (q,)) or 0.0 for q in qubits)
    errors = {"two_qubit": two, "bath_moves": hops, "readout": readout, "sx": sx}
    return float(sum(errors.values())), errors, paths


def choose_layout(target, n: int, measured: int | None = None) -> Layout:
    """The layout with the smallest total reported error (see ``Layout.to_dict()["rule"]``); ``measured``:
    how many of S_1..S_n, R tomography measures (n, or n + 1 with the bath). For each candidate R the
    S_k are its nearest qubits (whole distance shells, subsets of the last one), so no layout needs more
    bath moves than the device's connectivity forces."""
    from qheat.circuits.routing import neighbours

    measured = n if measured is None else measured
    edges = _edge_errors(target)
    graph = neighbours(edges, range(target.num_qubits))
    best: tuple[float, tuple[int, ...], dict[str, float], dict[int, tuple[int, ...]]] | None = None
    count = 0
    for r in range(target.num_qubits):
        dist, frontier = {r: 0}, [r]
        taken: list[int] = []
        choices: Any = ()
        while frontier and len(taken) < n:
            shell = sorted({b for a in frontier for b in graph[a] if b not in dist})
            for q in shell:
                dist[q] = dist[frontier[0]] + 1
            if len(taken) + len(shell) >= n:
                choices = islice(combinations(shell, n - len(taken)), MAX_SHELL_CHOICES)
                break
            taken += shell
            frontier = shell
        for extra in choices:
            qubits = (*taken, *extra, r)
            score, errors, paths = _assess(target, qubits, edges, measured)
            count += 1
            if best is None or score < best[0]:
                best = (score, qubits, errors, paths)
    if best is None:
        raise QheatError(f"{n} subsystems and the bath need {n + 1} connected working qubits; this device has no "
                         "such set")
    return Layout(best[1], round(best[0], 6), count, {k: round(v, 6) for k, v in best[2].items()}, best[3])


def given_layout(target, qubits: tuple[int, ...], measured: int) -> Layout:
    """A layout the caller chose (e.g. read from a manifest), assessed like ``choose_layout``'s."""
    if len(set(qubits)) != len(qubits) or not all(0 <= q < target.num_qubits for q in qubits):
        raise QheatError(f"layout {list(qubits)} must name distinct qubits of the device (0..{target.num_qubits - 1})")
    score, errors, paths = _assess(target, qubits, _edge_errors(target), measured)
    return Layout(qubits, round(score, 6), 0, {k: round(v, 6) for k, v in errors.items()}, paths)


def restricted_target(target, qubits: tuple[int, ...]):
    """The device's target on ``qubits`` only (renumbered 0..len-1), with their instruction properties."""
    from qiskit.transpiler import Target

    index = {p: i for i, p in enumerate(qubits)}
    props = getattr(target, "qubit_properties", None)
    new = Target(num_qubits=len(qubits), dt=target.dt, description="qheat layout",
                 qubit_properties=[props[p] for p in qubits] if props else None,
                 concurrent_measurements=[list(range(len(qubits)))])
    for name in target.operation_names:
        op = target.operation_from_name(name)
        table = target[name]
        if table is None or None in table:
            new.add_instruction(op, name=name)
            continue
        sub = {tuple(index[q] for q in qargs): p for qargs, p in table.items() if all(q in index for q in qargs)}
        if sub:
            new.add_instruction(op, sub, name=name)
    return new


def restricted_fake(device, qubits: tuple[int, ...]):
    """The fake device cut down to ``qubits`` (renumbered): the same calibration data, hence the same noise
    model (built by the fake backend's own code) on those qubits, and Aer simulates only them."""
    from qiskit.providers import BackendV2
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    if device._props_dict is None:
        device._set_props_dict_from_json()
    index = {p: i for i, p in enumerate(qubits)}
    dropped = {"channels", "u_channel_lo", "qubit_channel_mapping", "hamiltonian", "meas_kernels", "discriminators",
               "coords", "qubit_lo_range", "meas_lo_range"}
    conf = {k: copy.deepcopy(v) for k, v in device._conf_dict.items() if k not in dropped}
    conf["n_qubits"] = len(qubits)
    conf["coupling_map"] = [[index[a], index[b]] for a, b in device._conf_dict.get("coupling_map", [])
                            if a in index and b in index]
    conf["gates"] = []
    conf["meas_map"] = [list(range(len(qubits)))]
    props = {k: copy.deepcopy(v) for k, v in device._props_dict.items() if k not in ("qubits", "gates", "general_qlists")}
    props["qubits"] = [copy.deepcopy(device._props_dict["qubits"][p]) for p in qubits]
    props["gates"] = []
    for gate in device._props_dict["gates"]:
        if all(q in index for q in gate["qubits"]):
            gate = copy.deepcopy(gate)
            gate["qubits"] = [index[q] for q in gate["qubits"]]
            gate["name"] = gate["gate"] + "_".join(map(str, gate["qubits"]))
            props["gates"].append(gate)
    name = f"{device.name}[{','.join(map(str, qubits))}]"
    conf["backend_name"] = props["backend_name"] = name

    class _Restricted(FakeBackendV2):
        dirname = conf_filename = props_filename = defs_filename = None
        backend_name = name

        def __init__(self) -> None:
            self._conf_dict, self._props_dict = conf, props
            BackendV2.__init__(self, provider=None, name=name, description=f"{device.name} on qubits {list(qubits)}",
                               backend_version=conf.get("backend_version"))
            self._target = None
            self.sim = None

    return _Restricted()


# ----------------------------------------------------------------------------- compiling


class LayoutCompiler:
    """Compile pieces of a cascade circuit for a layout: trivial layout, the device's basis, and no router
    that could leave a qubit elsewhere.

    ``__call__(qc)`` returns ``qc`` compiled on the first ``qc.num_qubits`` qubits of the layout (system
    qubits first, R last). A two-qubit gate between qubits the layout does not couple (a collision with
    an S_k beyond R's neighbours, a gate between two S_k of a star) is routed first (``routing.route``):
    one state moves along the layout, the bath when the gate involves R, and comes back; the piece then
    acts on system + R and its metadata counts the SWAPs (``routing_swaps``).
    """

    def __init__(self, target, layout: Layout, seed: int = 0) -> None:
        from qheat.circuits.routing import neighbours

        self.target, self.layout, self.seed = target, layout, seed
        self.n = len(layout.qubits) - 1
        self.graph = neighbours(coupled_pairs(restricted_target(target, layout.qubits)), range(self.n + 1))
        self._pms: dict[int, Any] = {}

    def pass_manager(self, width: int):
        if width not in self._pms:
            from qiskit.transpiler import generate_preset_pass_manager

            sub = restricted_target(self.target, self.layout.qubits[:width])
            self._pms[width] = generate_preset_pass_manager(optimization_level=1, target=sub,
                                                            initial_layout=list(range(width)),
                                                            seed_transpiler=self.seed)
        return self._pms[width]

    def __call__(self, qc):
        from qheat.circuits.routing import needs_routing, route

        if "kraus" in qc.count_ops():   # the snapshot engine's refresh: never run on a device
            return qc
        width = qc.num_qubits
        if width > self.n + 1:
            raise QheatError(f"a circuit of {width} qubits does not fit the layout {list(self.layout.qubits)} "
                             "(purification ancillas are not supported on Runtime backends; use preparation = 'temporal')")
        meta = dict(qc.metadata or {})
        if needs_routing(qc, self.graph):
            qc, swaps = route(qc, self.graph, mover=self.n, key=self.layout.qubits.__getitem__)  # paths as reported
            meta["routing_swaps"] = swaps
            if width == self.n:   # a system piece now passes through R: it acts on system + R
                meta["qubits"] = "system+bath"
            width = qc.num_qubits
        out = self.pass_manager(width).run(qc)
        final = out.layout.final_index_layout() if out.layout is not None else list(range(width))
        if list(final) != list(range(width)):
            raise QheatError(f"compiling a piece moved qubits ({final}); the layout must connect its two-qubit gates")
        out.metadata = meta
        return out


def two_qubit_count(qc) -> int:
    return int(sum(1 for inst in qc.data if inst.operation.num_qubits == 2 and inst.operation.name != "barrier"))


# ----------------------------------------------------------------------------- job stores


class JobStore(Protocol):
    """Where jobs go and come back from; the manifest keeps only what a store hands out (ids, tags)."""

    kind: str

    def submit(self, pubs: list, tag: str, seed: int) -> str: ...

    def find(self, tag: str) -> str | None: ...

    def status(self, job_id: str) -> str: ...

    def counts(self, job_id: str) -> list[dict[str, int]]: ...


def _pub_counts(result, register: str = "meas") -> list[dict[str, int]]:
    return [{k: int(v) for k, v in getattr(pub.data, register).get_counts().items()} for pub in result]


def run_local(mode, pubs: list, seed: int, register: str = "meas") -> list[dict[str, int]]:
    """Counts of pubs (circuit, None, shots) in Runtime local mode (``mode``: a fake device or a Batch on it).

    Every pub runs with the largest shot count of the job and its own count is a random subset of that
    many shots, drawn without replacement: an i.i.d. sample of the planned size, so the statistics are
    those of running each pub with its own shots. Equal shots let ``BackendSamplerV2`` run all pubs in
    one Aer call: 5.6x faster than one call per shot count (100 Fig. 3 circuits: 2.4 s against 13.4 s)."""
    from qiskit_ibm_runtime import SamplerV2

    most = max(int(p[2]) for p in pubs)
    sampler = SamplerV2(mode=mode)
    sampler.options.simulator.seed_simulator = int(seed) % 2**31 or 1
    result = sampler.run([(p[0], None, most) for p in pubs]).result()
    rng = np.random.default_rng([int(seed), 0x51])
    out = []
    for pub, res in zip(pubs, result):
        bits = getattr(res.data, register).get_bitstrings()
        keep = rng.choice(len(bits), size=int(pub[2]), replace=False) if int(pub[2]) < len(bits) else range(len(bits))
        counts: dict[str, int] = {}
        for i in keep:
            counts[bits[i]] = counts.get(bits[i], 0) + 1
        out.append(counts)
    return out


class LocalJobStore:
    """Runtime local mode: each job runs at once (``SamplerV2`` in a ``Batch`` on the restricted fake
    device) and its counts are written to ``folder/<job_id>.json`` -- the stand-in for the service, which
    ``status``/``counts`` read from any process later. A job killed while running leaves nothing, so
    ``find`` does not see it and it is submitted again (nothing ran)."""

    kind = "local"

    def __init__(self, folder: Path, device=None, options: dict[str, Any] | None = None) -> None:
        self.folder, self.device, self.options = Path(folder), device, options or {}

    def _path(self, job_id: str) -> Path:
        if not job_id or any(c in job_id for c in "/\\") or job_id.startswith("."):
            raise QheatError(f"malformed local job id {job_id!r}")
        return self.folder / f"{job_id}.json"

    def _read(self, job_id: str) -> dict[str, Any]:
        path = self._path(job_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise QheatError(f"local job {job_id} has no stored result in {self.folder} (local-mode jobs live only "
                             "beside the manifest that submitted them)") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise QheatError(f"stored local job {path} is corrupted ({type(exc).__name__})") from None
        if not isinstance(data, dict) or data.get("job_id") != job_id:
            raise QheatError(f"stored local job {path} is not the job {job_id}")
        return data

    def submit(self, pubs: list, tag: str, seed: int) -> str:
        from qiskit_ibm_runtime import Batch

        from qheat.core.records import write_json_atomic

        if self.device is None:
            raise QheatError("this local job store cannot submit (no device)")
        import uuid

        started = time.time()
        job_id = str(uuid.uuid4())   # local mode runs one primitive job per shot count; one id for the whole job
        with Batch(backend=self.device) as batch:
            try:
                counts = run_local(batch, pubs, seed)
                status = "DONE"
            except Exception as exc:  # noqa: BLE001 -- a failed job is a state, kept per job
                counts, status = None, "ERROR"
                error = f"{type(exc).__name__}: {exc}"[:500]
        record = {"job_id": job_id, "tag": tag, "status": status, "backend": self.device.name,
                  "seconds": round(time.time() - started, 3), "counts": counts}
        if status != "DONE":
            record["error"] = error
        write_json_atomic(self._path(job_id), record, indent=None)
        return job_id

    def find(self, tag: str) -> str | None:
        if not self.folder.is_dir():
            return None
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("tag") == tag:
                return str(data.get("job_id"))
        return None

    def status(self, job_id: str) -> str:
        try:
            return str(self._read(job_id)["status"])
        except QheatError:
            return "UNKNOWN"

    def counts(self, job_id: str) -> list[dict[str, int]]:
        data = self._read(job_id)
        if data.get("status") != "DONE" or not isinstance(data.get("counts"), list):
            raise QheatError(f"local job {job_id} is {data.get('status')}, it has no counts")
        return data["counts"]


def ibm_sampler(mode, mitigation: dict[str, Any]):
    """A ``SamplerV2`` in ``mode`` (a ``Batch``) with the spec's Runtime options: dynamical decoupling
    (XY4) and gate twirling."""
    from qiskit_ibm_runtime import SamplerV2

    sampler = SamplerV2(mode=mode)
    if mitigation.get("dynamical_decoupling"):
        sampler.options.dynamical_decoupling.enable = True
        sampler.options.dynamical_decoupling.sequence_type = "XY4"
    if mitigation.get("twirling"):
        sampler.options.twirling.enable_gates = True
    return sampler


class IBMJobStore:
    """Jobs on IBM Quantum: ``SamplerV2`` in one ``Batch`` per submitting process, tagged; found again by
    tag (``service.jobs(job_tags=...)``) and by id (``service.job``) from any process or machine."""

    kind = "ibm"

    def __init__(self, service, device=None, options: dict[str, Any] | None = None) -> None:
        self.service, self.device, self.options = service, device, options or {}
        self._batch = None

    def _sampler(self):
        from qiskit_ibm_runtime import Batch

        if self._batch is None:
            self._batch = Batch(backend=self.device)
        return ibm_sampler(self._batch, self.options)

    def submit(self, pubs: list, tag: str, seed: int) -> str:
        sampler = self._sampler()
        sampler.options.environment.job_tags = [tag]
        return sampler.run(pubs).job_id()

    def find(self, tag: str) -> str | None:
        jobs = self.service.jobs(job_tags=[tag], limit=5)
        return jobs[0].job_id() if jobs else None

    def status(self, job_id: str) -> str:
        status = self.service.job(job_id).status()
        return str(getattr(status, "name", status)).upper()

    def counts(self, job_id: str) -> list[dict[str, int]]:
        return _pub_counts(self.service.job(job_id).result())

    def close(self) -> None:
        if self._batch is not None:
            try:
                self._batch.close()
            except Exception:  # noqa: BLE001 -- closing only stops new jobs; submitted ones run on
                pass


# ----------------------------------------------------------------------------- the backend


class RuntimeBackend:
    """``fake:<name>`` or ``ibm:<name>`` prepared for one spec: device, layout, compiler, sampler.

    ``sample(circuits, shots, seed)`` (the interface of ``AerBackend.sample``) runs compiled circuits in
    local mode and returns the ``meas`` counts: what ``cascade_circuits.collect`` needs.
    """

    def __init__(self, name: str, *, instance: str | None = None, service_obj=None) -> None:
        check_name(name)
        self.name = name
        self.kind = "fake" if name.startswith(FAKE_PREFIX) else "ibm"
        self.instance = instance
        self._service = service_obj
        self.layout: Layout | None = None
        self.layout_target = None   # the device target on the layout qubits, set by prepare()
        self.compiler: LayoutCompiler | None = None
        self.mitigation: dict[str, bool] = {}
        self.jobs = 0
        if self.kind == "fake":
            self.device = fake_device(name)
        else:
            self._service = self._service or service(instance)
            try:
                self.device = _with_deadline(lambda: self._service.backend(name[len(IBM_PREFIX):]), NETWORK_DEADLINE,
                                             f"IBM Quantum did not answer for {name}")
            except QheatError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise QheatError(f"device {name[len(IBM_PREFIX):]!r} is not available to this account "
                                 f"({type(exc).__name__})") from None

    @property
    def service(self):
        return self._service

    def prepare(self, n: int, measured: int, seed: int = 0, layout: tuple[int, ...] | None = None) -> Layout:
        """Choose (or take) the layout for n subsystems and build the compiler and the execution device."""
        if layout is None:
            self.layout = choose_layout(self.device.target, n, measured)
        else:
            try:
                qubits = tuple(int(q) for q in layout)
            except (TypeError, ValueError):
                raise QheatError(f"a layout is a list of qubit indices (S_1..S_n, R), got {layout!r}") from None
            if len(qubits) != n + 1:
                raise QheatError(f"a layout for {n} subsystems names {n + 1} qubits (S_1..S_n, R), got {list(qubits)}")
            self.layout = given_layout(self.device.target, qubits, measured)
        self.compiler = LayoutCompiler(self.device.target, self.layout, seed)
        self.layout_target = restricted_target(self.device.target, self.layout.qubits)  # what compiled circuits fit
        if self.kind == "fake":
            self.executor = restricted_fake(self.device, self.layout.qubits)
        return self.layout

    def compile(self, qc):
        if self.compiler is None:
            raise QheatError("RuntimeBackend.prepare() must choose a layout before compiling")
        return self.compiler(qc)

    @property
    def max_circuits(self) -> int:
        limit = getattr(self.device, "max_circuits", None)
        return int(limit) if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_CIRCUITS

    def isa(self, qc):
        """A compiled piece-built circuit as the device runs it: the restricted fake device takes it as is;
        a real device gets it embedded in its width on the layout's physical qubits."""
        if self.kind == "fake":
            return qc
        from qiskit import QuantumCircuit

        full = QuantumCircuit(self.device.num_qubits)
        for creg in qc.cregs:
            full.add_register(creg)
        full.compose(qc, qubits=list(self.layout.qubits[: qc.num_qubits]), inplace=True)
        full.metadata = qc.metadata
        return full

    def local_techniques(self, circuits: list, shots: list[int], seed: int) -> tuple[list, list[int], list[int]]:
        """On ``fake:``, apply the mitigation that Runtime applies server-side (local mode ignores the options):
        dynamical decoupling (X-X padding of idle times, scheduled with the device's durations) and Pauli
        twirling of two-qubit gates (``TWIRLS`` random instances per circuit, shots split evenly). Returns
        circuits, shots and for each output circuit the index of the circuit it came from."""
        out, out_shots, origin = list(circuits), list(shots), list(range(len(circuits)))
        if self.kind != "fake":
            return out, out_shots, origin
        target = self.executor.target
        if self.mitigation.get("dynamical_decoupling"):
            from qiskit.circuit.library import XGate
            from qiskit.transpiler import PassManager
            from qiskit.transpiler.passes import (
                ALAPScheduleAnalysis,
                PadDynamicalDecoupling,
            )

            pm = PassManager([ALAPScheduleAnalysis(target=target),
                              PadDynamicalDecoupling(target=target, dd_sequence=[XGate(), XGate()])])
            out = [pm.run(_physical(qc)) for qc in out]
        if self.mitigation.get("twirling"):
            from qiskit.circuit import pauli_twirl_2q_gates

            twirled, tshots, torigin = [], [], []
            for i, (qc, s) in enumerate(zip(out, out_shots)):
                k = max(1, min(TWIRLS, s))
                copies = pauli_twirl_2q_gates(qc, seed=seed + i, num_twirls=k, target=target)
                copies = copies if isinstance(copies, list) else [copies]
                for j, c in enumerate(copies):
                    c.metadata = qc.metadata
                    twirled.append(c)
                    tshots.append(s // k + (1 if j < s % k else 0))
                    torigin.append(origin[i])
            out, out_shots, origin = twirled, tshots, torigin
        return out, out_shots, origin

    def pubs(self, circuits: list, shots: list[int], seed: int) -> tuple[list, list[int]]:
        """Pubs (circuit, None, shots) for SamplerV2 with the local techniques applied; and each pub's origin."""
        circs, s, origin = self.local_techniques([self.isa(qc) for qc in circuits], shots, seed)
        return [(qc, None, int(k)) for qc, k in zip(circs, s) if k > 0], [o for o, k in zip(origin, s) if k > 0]

    def sample(self, circuits: list, shots: list[int], seed: int, register: str = "meas") -> list[dict[str, int]]:
        """Counts of every (compiled) circuit, through Runtime local mode (``fake:``) or the service (``ibm:``),
        in jobs of at most ``max_circuits`` pubs inside one ``Batch``; circuits with 0 shots give {}."""
        from qiskit_ibm_runtime import Batch

        pubs, origin = self.pubs(circuits, shots, seed)
        out: list[dict[str, int]] = [{} for _ in circuits]
        mode_device = self.executor if self.kind == "fake" else self.device
        with Batch(backend=mode_device) as batch:
            for start in range(0, len(pubs), self.max_circuits):
                chunk = pubs[start: start + self.max_circuits]
                if self.kind == "fake":
                    got = run_local(batch, chunk, seed + start, register)
                else:
                    got = _pub_counts(ibm_sampler(batch, self.mitigation).run(chunk).result(), register)
                self.jobs += 1
                for i, counts in enumerate(got):
                    acc = out[origin[start + i]]
                    for k, v in counts.items():
                        acc[k] = acc.get(k, 0) + v
        return out


TWIRLS = 4


def _physical(qc):
    """The same circuit on one register ``q`` (what the scheduling passes take for a physical circuit)."""
    from qiskit import QuantumCircuit

    out = QuantumCircuit(qc.num_qubits, metadata=qc.metadata)
    for creg in qc.cregs:
        out.add_register(creg)
    out.compose(qc, qubits=range(qc.num_qubits), clbits=range(qc.num_clbits), inplace=True)
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from qheat.core.version import __version__

    out = {"qheat": __version__}
    for pkg in ("qiskit", "qiskit-ibm-runtime", "qiskit-aer", "qiskit-experiments", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


# ----------------------------------------------------------------------------- manifests (qheat submit/status/fetch)

MANIFEST_KIND = "qheat-manifest"
MANIFEST_FORMAT = 1
MANIFEST_KEYS = ("id", "spec", "backend", "store", "layout", "jobs", "circuits_file", "circuits_sha256", "options")


def manifest_paths(manifest: Path) -> dict[str, Path]:
    """Files beside a manifest ``<key>.manifest.json``: circuits (QPY), local job store, fetched jobs,
    records, result."""
    manifest = Path(manifest)
    stem = manifest.name[: -len(".manifest.json")] if manifest.name.endswith(".manifest.json") else manifest.stem
    folder = manifest.parent
    return {"circuits": folder / f"{stem}.circuits.qpy", "local": folder / f"{stem}.local-jobs",
            "fetched": folder / f"{stem}.jobs", "records": folder / f"{stem}.records.json",
            "result": folder / f"{stem}.json"}


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest, checked: JSON, kind, format, keys, jobs, and the circuits file it names (hash)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QheatError(f"no such manifest: {path}") from None
    except IsADirectoryError:
        raise QheatError(f"{path} is a directory, not a manifest") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise QheatError(f"{path} is corrupted: not JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(data, dict) or data.get("kind") != MANIFEST_KIND:
        kind = data.get("kind") if isinstance(data, dict) else None
        raise QheatError(f"{path} is not a qheat manifest (kind {kind!r}, expected {MANIFEST_KIND!r}); "
                         "'qheat submit' writes <name>.manifest.json")
    if data.get("format") != MANIFEST_FORMAT:
        raise QheatError(f"{path}: manifest format {data.get('format')!r} is not {MANIFEST_FORMAT} (another qheat version?)")
    missing = next((k for k in MANIFEST_KEYS if k not in data), None)
    if missing:
        raise QheatError(f"{path} is corrupted: the manifest has no {missing!r}")
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and isinstance(j.get("pubs"), list)
                                             and j.get("index") == i for i, j in enumerate(jobs)):
        raise QheatError(f"{path} is corrupted: malformed 'jobs'")
    if data["store"] not in ("local", "ibm"):
        raise QheatError(f"{path} is corrupted: unknown job store {data['store']!r}")
    return data


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    from qheat.core.records import write_json_atomic

    write_json_atomic(path, manifest)


def load_circuits(path: Path, manifest: dict[str, Any]) -> list:
    """The ISA circuits a manifest was built with (QPY beside it), checked against its hash."""
    from qiskit import qpy

    qpy_path = manifest_paths(path)["circuits"]
    if not qpy_path.is_file():
        raise QheatError(f"the circuits of {path} are missing ({qpy_path.name}); they are needed to resume submitting")
    if _sha256(qpy_path) != manifest["circuits_sha256"]:
        raise QheatError(f"{qpy_path} does not match its manifest (hash differs): corrupted or from another submission")
    with qpy_path.open("rb") as fh:
        return qpy.load(fh)


def job_store(path: Path, manifest: dict[str, Any], *, submitting: bool = False, instance: str | None = None):
    """The store of a manifest's jobs: local (files beside the manifest) or IBM (the service)."""
    if manifest["store"] == "local":
        device = None
        if submitting:
            device = restricted_fake(fake_device(manifest["backend"]), tuple(manifest["layout"]["physical_qubits"]))
        return LocalJobStore(manifest_paths(path)["local"], device, manifest["options"].get("mitigation"))
    svc = service(instance)
    device = None
    if submitting:
        device = _with_deadline(lambda: svc.backend(manifest["backend"][len(IBM_PREFIX):]), NETWORK_DEADLINE,
                                "IBM Quantum did not answer")
    return IBMJobStore(svc, device, manifest["options"].get("mitigation"))


def plan_jobs(pubs: list, origin: list[int], meta: list[dict], calibration: dict[str, Any] | None,
              calibration_shots: int, max_circuits: int) -> tuple[list, list[dict]]:
    """Split pubs into jobs of at most ``max_circuits`` (two of them readout calibration circuits when
    ``calibration`` is given). Returns the flat list of all pub circuits (in job order) and the jobs
    (index, pubs: {"circuit": i, "shots", "metadata"} or {"calibration": label, "shots"})."""
    per_job = max_circuits - (len(calibration) if calibration else 0)
    if per_job < 1:
        raise QheatError(f"--max-circuits {max_circuits} leaves no room beside the calibration circuits")
    circuits, jobs = [], []
    for j, start in enumerate(range(0, len(pubs), per_job)):
        entries = []
        for (qc, _, shots), o in zip(pubs[start: start + per_job], origin[start: start + per_job]):
            circuits.append(qc)
            entries.append({"circuit": int(o), "shots": int(shots), "metadata": meta[o]})
        for label, qc in (calibration or {}).items():
            circuits.append(qc)
            entries.append({"calibration": label, "shots": int(calibration_shots)})
        jobs.append({"index": j, "tag": None, "job_id": None, "state": "planned", "pubs": entries})
    return circuits, jobs


def submit_pending(path: Path, *, store=None, instance: str | None = None, echo=print) -> dict[str, Any]:
    """Submit every job of a manifest that has no id yet, recording each id atomically as soon as the
    service gives it. A job marked ``submitting`` (a crash between submitting and recording) is looked up
    by its tag first and adopted if the service has it: nothing is submitted twice."""
    manifest = read_manifest(path)
    pending = [j for j in manifest["jobs"] if not j.get("job_id")]
    if not pending:
        echo(f"{path}: all {len(manifest['jobs'])} jobs already submitted")
        return manifest
    circuits = load_circuits(path, manifest)
    store = store or job_store(path, manifest, submitting=True, instance=instance)
    offsets = np.cumsum([0] + [len(j["pubs"]) for j in manifest["jobs"]])
    for job in pending:
        tag = job.get("tag") or f"qheat-{manifest['id']}-{job['index']}"
        if job.get("state") == "submitting":
            found = store.find(tag)
            if found:
                job.update(job_id=found, state="submitted", recovered_by_tag=True)
                write_manifest(path, manifest)
                echo(f"job {job['index']}: found {found} by its tag (submitted before an interruption)")
                continue
        job.update(tag=tag, state="submitting")
        write_manifest(path, manifest)
        lo = int(offsets[job["index"]])
        pubs = [(circuits[lo + i], None, p["shots"]) for i, p in enumerate(job["pubs"]) if p["shots"] > 0]
        if len(pubs) != len(job["pubs"]):
            raise QheatError(f"{path}: job {job['index']} has circuits with no shots")
        job_id = store.submit(pubs, tag, seed=int(manifest["options"]["seed"]) + job["index"])
        job.update(job_id=job_id, state="submitted", submitted=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        write_manifest(path, manifest)
        echo(f"job {job['index']}: {job_id} ({len(pubs)} circuits)")
    if hasattr(store, "close"):
        store.close()
    return manifest


def job_states(path: Path, manifest: dict[str, Any], store=None, instance: str | None = None) -> list[dict[str, Any]]:
    """Each job's state: fetched (saved beside the manifest), or the store's word (DONE, QUEUED, RUNNING,
    ERROR, CANCELLED), or 'not submitted'."""
    fetched = manifest_paths(path)["fetched"]
    out = []
    for job in manifest["jobs"]:
        entry = {"index": job["index"], "job_id": job.get("job_id"), "circuits": len(job["pubs"])}
        if not job.get("job_id"):
            entry["state"] = "NOT SUBMITTED"
        elif (fetched / f"{job['job_id']}.json").is_file():
            entry["state"] = "DONE"
            entry["fetched"] = True
        else:
            if store is None:
                store = job_store(path, manifest, instance=instance)
            try:
                entry["state"] = store.status(job["job_id"])
            except QheatError:
                raise
            except Exception as exc:  # noqa: BLE001 -- one job's trouble is that job's state
                entry["state"] = f"UNKNOWN ({type(exc).__name__})"
        out.append(entry)
    return out


def fetch(path: Path, *, store=None, instance: str | None = None, echo=print) -> tuple[dict[str, Any], list[dict], dict[int, list]]:
    """Download every finished job not yet saved (resuming), then return the manifest, the per-job report
    and the counts of every saved job. Jobs already saved are read from disk, not downloaded again."""
    from qheat.core.records import write_json_atomic

    manifest = read_manifest(path)
    folder = manifest_paths(path)["fetched"]
    report = job_states(path, manifest, store, instance)
    counts: dict[int, list] = {}
    for entry, job in zip(report, manifest["jobs"]):
        saved = folder / f"{job.get('job_id')}.json"
        if entry.get("fetched"):
            try:
                data = json.loads(saved.read_text(encoding="utf-8"))
                counts[job["index"]] = data["counts"]
            except (OSError, ValueError, KeyError, TypeError):
                raise QheatError(f"{saved} is corrupted; delete it and run fetch again to download the job anew") from None
            continue
        if entry["state"] == "DONE":
            if store is None:
                store = job_store(path, manifest, instance=instance)
            got = store.counts(job["job_id"])
            write_json_atomic(saved, {"job_id": job["job_id"], "index": job["index"], "counts": got}, indent=None)
            counts[job["index"]] = got
            entry["fetched"] = True
            echo(f"job {job['index']}: {job['job_id']} downloaded")
    return manifest, report, counts
