"""Runtime device names and fake devices: ``fake:<name>`` (``qiskit_ibm_runtime.fake_provider``, offline)
and ``ibm:<name>``; a device's target or fake device cut down to a layout's qubits (so Aer simulates only
them); the versions of the packages a run depends on."""

from __future__ import annotations

import copy

from qheat.core.errors import QheatError

FAKE_PREFIX, IBM_PREFIX = "fake:", "ibm:"


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
    return name[len(FAKE_PREFIX) :].lower().removeprefix("fake_")


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
        if not name[len(IBM_PREFIX) :].strip():
            raise QheatError("ibm: needs a device name, e.g. ibm:ibm_torino")
        return
    raise QheatError(f"{name!r} is not a Runtime backend (use fake:<name> or ibm:<name>)")


def fake_device(name: str):
    """A fresh fake device object for ``fake:<name>``."""
    import qiskit_ibm_runtime.fake_provider as fp

    check_name(name)
    return getattr(fp, _fake_classes()[_fake_short(name)])()


def restricted_target(target, qubits: tuple[int, ...]):
    """The device's target on ``qubits`` only (renumbered 0..len-1), with their instruction properties."""
    from qiskit.transpiler import Target

    index = {p: i for i, p in enumerate(qubits)}
    props = getattr(target, "qubit_properties", None)
    new = Target(
        num_qubits=len(qubits),
        dt=target.dt,
        description="qheat layout",
        qubit_properties=[props[p] for p in qubits] if props else None,
        concurrent_measurements=[list(range(len(qubits)))],
    )
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
    dropped = {
        "channels",
        "u_channel_lo",
        "qubit_channel_mapping",
        "hamiltonian",
        "meas_kernels",
        "discriminators",
        "coords",
        "qubit_lo_range",
        "meas_lo_range",
    }
    conf = {k: copy.deepcopy(v) for k, v in device._conf_dict.items() if k not in dropped}
    conf["n_qubits"] = len(qubits)
    conf["coupling_map"] = [
        [index[a], index[b]] for a, b in device._conf_dict.get("coupling_map", []) if a in index and b in index
    ]
    conf["gates"] = []
    conf["meas_map"] = [list(range(len(qubits)))]
    props = {
        k: copy.deepcopy(v) for k, v in device._props_dict.items() if k not in ("qubits", "gates", "general_qlists")
    }
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
            BackendV2.__init__(
                self,
                provider=None,
                name=name,
                description=f"{device.name} on qubits {list(qubits)}",
                backend_version=conf.get("backend_version"),
            )
            self._target = None
            self.sim = None

    return _Restricted()


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
