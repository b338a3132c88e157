"""Aer's compilation without plugins (``AerBackend.standard_pass_manager``) against Qiskit's preset pass
manager: the same circuits for every piece of every bundled cascade spec, at a fraction of the start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest
from qiskit import QuantumCircuit

from qheat.backends.aer import AerBackend, _standard_only
from qheat.protocols.cascade.circuits import CascadeCircuits, branches
from qheat.protocols.cascade.spec import CascadeSpec
from qheat.protocols.registry import bundled_names, load_spec


def _pieces() -> list[QuantumCircuit]:
    """Every circuit the cascade compiles for the bundled specs (segments, refreshes, settings, preparations
    by temporal averaging), each distinct circuit once."""
    raw: dict[str, QuantumCircuit] = {}

    def keep(qc: QuantumCircuit) -> QuantumCircuit:
        raw.setdefault(repr([(i.operation.name, i.operation.params, i.qubits) for i in qc.data]), qc)
        return qc

    for name in bundled_names():
        spec = load_spec(name)
        if not isinstance(spec, CascadeSpec):
            continue
        for dephasing in ("measure", "phase"):
            cc = CascadeCircuits(spec, keep, dephasing)
        for setting in cc.settings:
            cc.setting_circuit(setting)
        for _, prep in branches(spec, spec.initial_state()):
            keep(prep)
    return list(raw.values())


@pytest.mark.parametrize("backend", ["aer", "aer:nmr-crotonic", "aer:nmr-depolarizing"])
def test_standard_pass_manager_compiles_as_the_preset_one(backend):
    device = AerBackend(backend)
    pieces = [qc for qc in _pieces() if qc.num_qubits <= device.simulator.target.num_qubits]
    for gate in ("ccx", "cswap", "rccx", "ccz"):  # standard gates on 3 qubits, none in the bundled specs
        qc = QuantumCircuit(3)
        qc.h(0)
        getattr(qc, gate)(0, 1, 2)
        qc.ry(0.3, 2)
        pieces.append(qc)
    assert len(pieces) > 50 and all(_standard_only(qc) for qc in pieces)
    assert any("unitary" in qc.count_ops() for qc in pieces)  # fig11's simultaneous collisions
    for qc in pieces:
        assert device.standard_pass_manager.run(qc) == device.pass_manager.run(qc), dict(qc.count_ops())


def test_other_circuits_take_the_preset_pass_manager():
    from qiskit.circuit.library import QFTGate

    qc = QuantumCircuit(3)
    qc.append(QFTGate(3), range(3))  # a high-level object: HighLevelSynthesis' plugins synthesise it
    assert not _standard_only(qc)
    qc = QuantumCircuit(2)
    qc.cx(0, 1)
    qc.delay(100, 0)  # timing: the preset scheduling stage
    assert not _standard_only(qc)


def test_compiling_the_main_job_loads_no_transpiler_plugin():
    """The main job's pieces compile without importing qiskit-experiments or qiskit-ibm-runtime (the preset
    pass manager's plugin discovery imports both: ~3 s of a ~7 s job)."""
    code = (
        "import sys\n"
        "from qheat.backends.aer import AerBackend\n"
        "from qheat.protocols.cascade.circuits import CascadeCircuits\n"
        "from qheat.protocols.registry import load_spec\n"
        "CascadeCircuits(load_spec('fig3-enhanced'), AerBackend('aer:nmr-crotonic').compile)\n"
        "print(sorted(m for m in ('qiskit_experiments', 'qiskit_ibm_runtime') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
