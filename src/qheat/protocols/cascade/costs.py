"""What a cascade run costs (``Protocol.cost``), from its spec alone: see ``qheat.core.limits``."""

from __future__ import annotations

from math import comb

from qheat.core.limits import COMPLEX, FIT_SECONDS, FLOP_SECONDS, STEP_SECONDS, Cost, aer_seconds
from qheat.protocols.cascade.spec import CascadeSpec

# seconds per entry of the state by sectors: per interaction (its gate and snapshot) and once (building the
# sectors); measured with one BLAS thread under load: 12 subsystems 20.8 s for 1 collision, 34.1 s for 2
SECTOR_STEP = 200 * FLOP_SECONDS
SECTOR_SETUP = 1300 * FLOP_SECONDS


def cost(spec: CascadeSpec, backend: str) -> Cost:
    """The exact engine: the S+R state by excitation sectors (C(2n+2, n+1) entries), a snapshot per interaction;
    circuits: Pauli settings x records x branches x noise factors, shots, tomography fits (and the exact run)."""
    n, interactions = spec.n, spec.n * spec.interaction.collisions
    entries = comb(2 * n + 2, n + 1)
    exact = Cost(
        max(COMPLEX * entries, 300.0 * n * (interactions + 1)),
        f"the {n + 1}-qubit state by excitation sectors"
        if COMPLEX * entries >= 300.0 * n * (interactions + 1)
        else f"the columns of {interactions + 1} snapshots",
        interactions * (STEP_SECONDS + SECTOR_STEP * entries) + SECTOR_SETUP * entries,
    )
    if backend == "exact":
        return exact
    records = interactions // spec.record_every + 2
    measured = n + (spec.measurement.tomography == "system+bath")
    settings = 3**measured  # Pauli settings, or the Estimator's measurement bases
    if spec.mitigation is not None and spec.mitigation.estimator:
        from qheat.mitigation.pauli import basis_count

        settings = basis_count(spec.mitigation.observables, measured, n)
    factors = len(spec.noise_factors)
    branches = 1 if spec.execution.preparation == "purification" else 2**n
    width = n + 1 + (n if spec.execution.preparation == "purification" else 0)
    shots = records * settings * spec.measurement.shots * factors
    fits = records * (spec.measurement.bootstrap + 1) * settings * 4.0**n * FIT_SECONDS
    if spec.execution.engine == "snapshots" and not backend.startswith(("fake:", "ibm:")):
        # per run (reprepare: one per record): the branches prepared in one Aer run; once: one run of the
        # settings' and pieces' channels; the mixture propagated by two-qubit channels (16 x 4^(n+1) each)
        runs = records if spec.execution.mode == "reprepare" else 1
        circuits = runs * branches + settings + n + 1
        saved = records * COMPLEX * 4.0 ** (n + 1)
        run = Cost(
            saved,
            f"{records} propagated density matrices",
            aer_seconds(runs + 1, 0, entries=4.0**width) + interactions * 2 * 16 * 4.0 ** (n + 1) * FLOP_SECONDS,
            circuits,
            shots,
        )
    else:
        circuits = records * settings * branches * factors
        run = Cost(
            COMPLEX * 4.0**width,
            f"the {width}-qubit density matrix",
            0.0 if backend.startswith("ibm:") else aer_seconds(circuits, shots, entries=4.0**width),
            circuits,
            shots,
        )
    return Cost(
        max(exact.memory, run.memory),
        exact.array if exact.memory >= run.memory else run.array,
        exact.seconds + run.seconds + fits,
        run.circuits,
        run.shots,
    )
