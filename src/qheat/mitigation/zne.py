"""Noise amplification for zero-noise extrapolation: local folding of every noisy gate.

A gate G becomes G (G^dag G)^k, the same unitary with 2k + 1 times its error (to first order, for
errors that act with each gate; Giurgica-Tiron et al., IEEE QCE 2020, "Digital zero noise
extrapolation for quantum error mitigation"). Every gate is folded that the device reports with an
error or a duration: two-qubit gates, which carry most of the error, and single-qubit SX and X,
whose errors (with the relaxation during them) bias a long reprepare chain measurably; virtual RZ
(no error, no duration) and what is not a unitary gate (resets, measurements, channels) are not.
Folded copies are separated by barriers so that nothing downstream cancels them, and each inverse is
written in the device's basis (SX^dag = RZ(pi) SX RZ(pi) up to a phase; CZ, ECR, X are their own
inverses).
"""

from __future__ import annotations

from typing import Any

from qiskit import QuantumCircuit
from qiskit.circuit import Gate

from qheat.core.errors import QheatError

NOT_GATES = {"barrier", "delay", "measure", "reset"}  # target operations that are no basis gates


def _noisy(target: Any, name: str, qargs: tuple[int, ...]) -> bool:
    """Whether the device reports an error or a duration for ``name`` on ``qargs`` (no target: every gate but RZ)."""
    if target is None:
        return name != "rz"
    try:
        props = target[name].get(qargs)
    except KeyError:
        return True
    return props is None or bool(props.error) or bool(props.duration)


def _inverse(op, qargs: tuple[int, ...], target: Any, cache: dict) -> QuantumCircuit:
    """G^dag as a circuit on len(qargs) qubits in the target's basis."""
    key = (op.name, tuple(float(p) for p in op.params), qargs)
    if key not in cache:
        gate = op.inverse()
        inv = QuantumCircuit(op.num_qubits)
        inv.append(gate, range(op.num_qubits))
        if target is not None and not target.instruction_supported(
            gate.name, qargs, parameters=list(gate.params) or None
        ):
            from qiskit import transpile
            from qiskit.transpiler.exceptions import TranspilerError

            basis = [n for n in target.operation_names if n not in NOT_GATES]
            try:
                inv = transpile(inv, basis_gates=basis, optimization_level=1)
            except TranspilerError:
                raise QheatError(
                    f"zero-noise extrapolation cannot fold {op.name}: its inverse has no native form on qubits {qargs}"
                ) from None
            for inst in inv.data:
                q = tuple(qargs[inv.find_bit(b).index] for b in inst.qubits)
                p = list(inst.operation.params) or None
                if not target.instruction_supported(inst.operation.name, q, parameters=p):
                    raise QheatError(
                        f"zero-noise extrapolation cannot fold {op.name}: its inverse has no native "
                        f"form on qubits {qargs}"
                    )
        cache[key] = inv
    return cache[key]


def fold_gates(qc: QuantumCircuit, factor: int, target: Any = None, cache: dict | None = None) -> QuantumCircuit:
    """``qc`` with every noisy gate G replaced by G (G^dag G)^((factor - 1) / 2); ``factor`` odd >= 1.

    ``target``: the device's ``Target`` on the circuit's qubits: which gates are noisy, and the native
    form of each inverse. ``cache``: a dict shared by calls with the same target, so each inverse is
    written (transpiled, when not native) once for all of them."""
    if factor < 1 or factor % 2 == 0:
        raise QheatError(f"a noise factor for gate folding must be an odd whole number >= 1, got {factor}")
    if factor == 1:
        return qc.copy()
    out = qc.copy_empty_like()
    cache = {} if cache is None else cache
    for inst in qc.data:
        op = inst.operation
        out.append(inst)
        qargs = tuple(qc.find_bit(q).index for q in inst.qubits)
        if not isinstance(op, Gate) or not _noisy(target, op.name, qargs):  # resets, measures, barriers: no Gate
            continue
        inverse = _inverse(op, qargs, target, cache)
        for _ in range((factor - 1) // 2):
            out.barrier(inst.qubits)
            out.compose(inverse, qubits=list(inst.qubits), inplace=True)
            out.barrier(inst.qubits)
            out.append(op, inst.qubits)
    return out
