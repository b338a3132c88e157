"""Seed 000 (Ma et al.): heat transfer between qubit systems A and B, anomalous or not.

``run(spec, "exact")`` builds H = H_A + H_B + H_I from the spec, checks the heat-transfer condition
[H_I, H_A + H_B] = 0, evolves the initial local-equilibrium state exactly and reports

- Q(t) = Delta<H_B> (heat into B; with ``allow_nonconserving`` an energy change, not heat);
- d^nQ/dt^n at t = 0 for n = 1..4 from the nested commutators of Eq. (2), and the closed forms
  (Eq. S29 for the Eq. (9) model in any state, Eq. (10) for its product state) where they apply;
- every term of the heat-transfer equation (5), and the check that they sum to (beta_B - beta_A) Q.

``run(spec, "aer")`` adds circuits: the state prepared as a purification, e^{-iHt} compiled with
``PauliEvolutionGate`` (``circuits.three_body``), B measured in Z with Aer's SamplerV2, Q(t) with
standard errors next to the exact values and the circuits' shot-free expectation.

A ``[phase_diagram]`` spec maps the sign of d^2Q/dt^2 (Eqs. 10, S30) over (beta_A2/beta_B,
beta_A1/beta_B) for each a and J/c (Fig. 2), and checks sample points against Eq. (2).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from qheat.backends.aer import AerBackend
from qheat.circuits import three_body
from qheat.circuits.preparation import circuit_cost, purification_circuit
from qheat.core.errors import QheatError
from qheat.core.result import Result
from qheat.protocols.registry import expand
from qheat.core.tables import POSITIVITY_TOLERANCE
from qheat.physics import dense as ht
from qheat.protocols.heat_transfer.spec import (
    CONSERVATION_TOLERANCE,
    HeatTransferPhaseSpec,
    HeatTransferSpec,
)
from qheat.protocols.registry import validated

BACKENDS = ("exact", "aer")
DERIVATIVE_ORDERS = 4
MIN_POPULATION = 1e-10   # smallest eigenvalue of a reference marginal: below it S(rho'||rho) drowns in rounding

CONVENTIONS = {
    "units": "hbar = k_B = 1; energies and frequencies in units of omega_0, times in 1/omega_0, temperatures in "
             "hbar omega_0 / k_B (kelvin converted with omega0_ghz when given)",
    "hamiltonian": "H_X = -(omega/2) sigma^z per qubit (Eq. 6), sigma^z = Qiskit Z, |0> the ground state; basis index "
                   "bit j is qubit j in the spec's order",
    "ladder": "sigma^+ = |1><0| raises the energy, sigma^- = |0><1| (the usage of Eqs. S16, S29 and Fig. 1(c)); "
              + ht.FIG1C_CONVENTION,
    "heat": "Q = Delta<H_B> = Tr[H_B (rho(t) - rho(0))]: positive when B gains energy. A is the cold system when "
            "beta_A = min_k beta_{A_k} > beta_B; (beta_B - beta_A) Q < 0 is anomalous heat transfer (AHT)",
    "heat_transfer_equation": "lhs = beta_B Delta<H_B> + beta_A Delta<H_A> (= (beta_B - beta_A) Q when [H_I, H_A + H_B] "
                              "= 0); rhs = sum_k S(rho'_{A_k}||rho_{A_k}) + S(rho'_B||rho_B) + Delta I_AB + Delta T_A + "
                              "Delta J_A (Eq. 5); Delta I_AB = Delta I_A + Delta I_{A:B}; entropies in nats",
    "temperatures": f"every A_k and B must keep a population >= {MIN_POPULATION:g} in each level at t = 0 (the "
                    "references of the relative entropies in Eq. (5) must be full rank)",
    "derivatives": "d^nQ/dt^n = i^n Tr(rho [H, H_B]_n) at t = 0 (Eq. 2; H_I may replace H when the condition holds)",
}


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class Model:
    """Dense matrices of a heat-transfer spec (qubit j = bit j, in the spec's qubit order)."""

    n: int
    partition: ht.Partition
    frequencies: tuple[float, ...]
    betas: tuple[float, ...]
    h_ak: tuple[np.ndarray, ...]
    h_ai: np.ndarray
    h_b: np.ndarray
    h_i: np.ndarray
    h: np.ndarray
    chi: np.ndarray
    rho0: np.ndarray
    commutator_norm: float
    terms: tuple[tuple[complex, dict[int, str], bool], ...]

    @property
    def conserving(self) -> bool:
        return self.commutator_norm <= CONSERVATION_TOLERANCE

    @property
    def beta_ak(self) -> tuple[float, ...]:
        return tuple(self.betas[q] for q in self.partition.a)

    @property
    def beta_b(self) -> float:
        return self.betas[self.partition.b[0]]

    @property
    def h_a(self) -> np.ndarray:
        return sum(self.h_ak) + self.h_ai


def _norm(m: np.ndarray) -> float:
    return float(np.linalg.norm(m, 2)) if m.size else 0.0


def build_model(spec: HeatTransferSpec) -> Model:
    """The matrices of ``spec``, refusing a non-Hermitian H, a broken heat-transfer condition (unless
    allowed), and a correlation that is not locally traceless or leaves rho_0 + chi non-positive."""
    labels = spec.labels
    n = spec.n
    a = tuple(i for i, q in enumerate(spec.qubits) if q.system == "A")
    b = tuple(i for i, q in enumerate(spec.qubits) if q.system == "B")
    temps = spec.temperatures()
    betas = tuple(1.0 / t for t in temps)
    d = 2**n
    h_ai = np.zeros((d, d), complex)
    h_bi = np.zeros((d, d), complex)
    h_i = np.zeros((d, d), complex)
    terms = []
    for i, term in enumerate(spec.interaction):
        ops = {labels.index(lab): letter for lab, letter in term.ops}
        m = ht.operator_sum(n, [(term.c, ops, term.hermitian_conjugate)])
        if np.abs(m - m.conj().T).max() > 1e-12 * max(1.0, np.abs(m).max()):
            raise QheatError(f"interaction[{i}] is not Hermitian; set hermitian_conjugate = true (or a real "
                             "coefficient of Pauli letters)")
        touched = {spec.qubits[q].system for q, letter in ops.items() if letter != "I"}
        if touched == {"A"}:
            h_ai += m
        elif touched == {"B"}:
            h_bi += m
        else:
            h_i += m
        terms.append((term.c, ops, term.hermitian_conjugate))
    if not np.any(h_i):
        raise QheatError("no interaction term couples A and B (H_I = 0): no heat can flow")
    h_ak = tuple(ht.local_hamiltonian(spec.frequencies, [k]) for k in a)
    h_b = ht.local_hamiltonian(spec.frequencies, b) + h_bi
    h_a = sum(h_ak) + h_ai
    comm = _norm(ht.commutator(h_i, h_a + h_b)) / max(_norm(h_i) * _norm(h_a + h_b), 1e-300)
    if comm > CONSERVATION_TOLERANCE and not spec.allow_nonconserving:
        raise QheatError(f"the interaction breaks the heat-transfer condition: ||[H_I, H_A + H_B]|| = "
                         f"{comm * _norm(h_i) * _norm(h_a + h_b):.3g}; set allow_nonconserving = true to run it anyway "
                         "(Q is then the energy change of B, not heat)")
    # local equilibrium (Eq. 3): each A_k Gibbs of H_{A_k}, B Gibbs of H_B; they commute, so one exponential
    generator = sum(betas[k] * h for k, h in zip(a, h_ak)) + betas[b[0]] * h_b
    rho_prod = ht.gibbs(generator, 1.0)
    for part, name in [((k,), labels[k]) for k in a] + [(b, "B")]:
        low = float(np.linalg.eigvalsh(ht.reduced_state(rho_prod, list(part))).min())
        if low < MIN_POPULATION:
            raise QheatError(f"{name} at temperature {temps[part[0]]:.3g} is too cold: its initial state is nearly pure "
                             f"(smallest population {low:.2g} < {MIN_POPULATION:g}), so the relative entropies of Eq. (5) "
                             "against it are lost in rounding (infinite as T -> 0); raise its temperature")
    chi = np.zeros((d, d), complex)
    for i, term in enumerate(spec.correlation):
        # chi_S (x) rho_rest: the term on its qubits S, the other qubits in their initial (Gibbs) state
        support = sorted(labels.index(lab) for lab, _ in term.ops)
        rest = [q for q in range(n) if q not in support]
        ops = {support.index(labels.index(lab)): letter for lab, letter in term.ops}
        m_s = ht.operator_sum(len(support), [(term.c, ops, term.hermitian_conjugate)])
        if np.abs(m_s - m_s.conj().T).max() > 1e-12 * max(1.0, np.abs(m_s).max()):
            raise QheatError(f"correlation[{i}] is not Hermitian; set hermitian_conjugate = true")
        rho_rest = ht.reduced_state(rho_prod, rest) if rest else np.ones((1, 1))
        chi += ht.place(np.kron(rho_rest, m_s), support + rest)
    if np.any(chi):
        for part, name in [((k,), labels[k]) for k in a] + [(b, "B")]:
            if np.abs(ht.reduced_state(chi, list(part))).max() > 1e-12:
                raise QheatError(f"the correlation changes the reduced state of {name}: a local-equilibrium state "
                                 f"(Eq. 3) needs Tr_rest(chi) = 0 for every A_k and for B")
        low = float(np.linalg.eigvalsh(rho_prod + chi).min())
        if low < -POSITIVITY_TOLERANCE:
            e, v = np.linalg.eigh(rho_prod)  # rho_prod + s chi >= 0 iff s <= -1 / lambda_min(rho^-1/2 chi rho^-1/2)
            root = (v * (1.0 / np.sqrt(e))) @ v.conj().T
            scale = -1.0 / np.linalg.eigvalsh(root @ chi @ root).min()
            raise QheatError(f"rho_0 + chi is not positive semidefinite (smallest eigenvalue {low:.3g}): the "
                             f"correlation may be at most {scale:.6g} times the one given")
    return Model(n, ht.Partition(a, b), spec.frequencies, betas, h_ak, h_ai, h_b, h_i, h_a + h_b + h_i, chi,
                 rho_prod + chi, comm, tuple(terms))


# ----------------------------------------------------------------------------- closed forms


def eq9_pattern(spec: HeatTransferSpec, model: Model) -> dict[str, Any] | None:
    """The Eq. (9) model if the spec is one: H_AI = 0, a single H_I term c s+_u s-_v s-_w + h.c. with u, v in A,
    w the single qubit of B and omega_u = omega_v + omega_w. Returns qubit indices and c, or None."""
    if len(spec.interaction) != 1 or len(model.partition.b) != 1 or np.any(model.h_ai):
        return None
    c, ops, hc = model.terms[0]
    letters = {q: x for q, x in ops.items() if x != "I"}
    plus = [q for q, x in letters.items() if x == "+"]
    minus = [q for q, x in letters.items() if x == "-"]
    w = model.partition.b[0]
    if not hc or len(letters) != 3 or len(plus) != 1 or len(minus) != 2 or w not in minus or plus[0] == w:
        return None
    u, v = plus[0], next(q for q in minus if q != w)
    f = model.frequencies
    if abs(f[u] - f[v] - f[w]) > 1e-12 * max(f):
        return None
    return {"A1": u, "A2": v, "B": w, "c": c}


def closed_forms(spec: HeatTransferSpec, model: Model) -> dict[str, Any]:
    """Eq. (S29) (first and second derivative, any state) and Eq. (10) (product state) where they apply."""
    pat = eq9_pattern(spec, model)
    if pat is None:
        return {}
    u, v, w, c = pat["A1"], pat["A2"], pat["B"], pat["c"]
    n, f = model.n, model.frequencies
    rho = model.rho0
    lad = ht.term_matrix(n, {u: "+", v: "-", w: "-"})
    first = np.real(1j * f[w] * np.trace(rho @ (c * lad - np.conj(c) * lad.conj().T)))
    z = {q: ht.term_matrix(n, {q: "Z"}) for q in (u, v, w)}
    zzz = ht.term_matrix(n, {u: "Z", v: "Z", w: "Z"})
    second = -0.5 * f[w] * abs(c) ** 2 * np.real(np.trace(rho @ (z[u] - z[v] - z[w] + zzz)))
    out: dict[str, Any] = {"model": "Eq. (9): c s+_A1 s-_A2 s-_B + h.c., omega_A1 = omega_A2 + omega_B",
                           "qubits": {k: spec.labels[pat[k]] for k in ("A1", "A2", "B")},
                           "S29": {"first": float(first), "second": float(second)}}
    if not np.any(model.chi):
        b = model.betas
        out["eq10_second"] = float(ht.convexity_eq10(b[u], b[v], b[w], f[u], f[v], f[w], c))
    return out


# ----------------------------------------------------------------------------- running


def check_backend(spec: HeatTransferSpec | HeatTransferPhaseSpec, backend: str) -> None:
    from qheat.core.protocol import require_backend

    require_backend("heat-transfer", backend, BACKENDS)
    if backend == "aer" and isinstance(spec, HeatTransferPhaseSpec):
        raise QheatError("a [phase_diagram] spec is a closed-form map; it runs on backend 'exact' only")


def run(spec: HeatTransferSpec | HeatTransferPhaseSpec, backend: str = "exact") -> Result:
    """Exact trajectory and heat-transfer equation (and circuits on 'aer'), or the phase diagram."""
    check_backend(spec, backend)
    spec = validated(spec)
    check_backend(spec, backend)
    if spec.sweep is not None:
        points = [run(point, backend).to_dict() for point in expand(spec)]
        return Result(spec, backend, {"sweep": spec.to_dict()["sweep"], "points": points, "conventions": CONVENTIONS})
    if isinstance(spec, HeatTransferPhaseSpec):
        return Result(spec, backend, phase_diagram(spec))
    model = build_model(spec)
    data = trajectory(spec, model)
    if backend == "aer":
        if spec.circuits is None:
            raise QheatError("backend 'aer' needs a [circuits] table (points, shots, seed)")
        data["circuits"] = measure(spec, model)
        c = data["circuits"]
        err = np.abs(np.subtract(c["heat"], c["exact_heat"]))
        data["headline"] += (f"; aer: max |Q_aer - Q_exact| = {err.max():.2g} "
                             f"({ht.deviation_in_sigma(c['heat'], c['exact_heat'], c['stderr'])}), "
                             f"{data['circuits']['two_qubit_gates']['evolution_max']} CX per evolution")
    return Result(spec, backend, data)


def trajectory(spec: HeatTransferSpec, model: Model) -> dict[str, Any]:
    """The exact result body: Q(t), Eq. (5) terms, derivatives at t = 0."""
    times = spec.evolution.times
    rhos = ht.evolve(model.rho0, model.h, times)
    terms = ht.heat_transfer_terms(rhos, model.partition, model.h_ak, model.h_ai, model.h_b, model.beta_ak, model.beta_b)
    q = terms["heat"]
    beta_a, beta_b = min(model.beta_ak), model.beta_b
    derivs = ht.heat_derivatives(model.rho0, model.h, model.h_b, DERIVATIVE_ORDERS)
    residual = float(np.abs(terms["lhs"] - terms["rhs"]).max())
    aht = (beta_b - beta_a) * q < -1e-15 * max(1.0, np.abs(q).max())
    labels = spec.labels
    leading = next((k + 1 for k, d in enumerate(derivs) if abs(d) > 1e-12 * max(1.0, np.abs(derivs).max())), None)
    kind = "heat" if model.conserving else "energy change of B (the interaction does not conserve H_A + H_B)"
    headline = (f"Q(t_max) = {q[-1]:+.4g}; "
                + (f"anomalous (AHT) at {aht.mean():.0%} of the times" if beta_a > beta_b else
                   "A is not the colder system (beta_A <= beta_B)")
                + (f"; d{leading}Q/dt{leading}(0) = {derivs[leading - 1]:+.4g}" if leading is not None
                   else f"; dnQ/dtn(0) = 0 for n <= {DERIVATIVE_ORDERS}")
                + f"; Eq. (5) residual {residual:.1g}")
    return {
        "times": times,
        "qubits": [{"label": q_.label, "system": q_.system, "frequency": q_.frequency,
                    "temperature": t, "beta": b} for q_, t, b in zip(spec.qubits, spec.temperatures(), model.betas)],
        "beta_A": beta_a,
        "beta_B": beta_b,
        "conserving": model.conserving,
        "commutator_norm": model.commutator_norm,
        "heat_label": kind,
        "heat": q,
        "energies": {"H_A": ht.expectation(rhos, model.h_a), "H_B": ht.expectation(rhos, model.h_b),
                     "H_I": ht.expectation(rhos, model.h_i)},
        "heat_transfer_equation": {
            "lhs": terms["lhs"],
            "beta_B_minus_beta_A_times_Q": (beta_b - beta_a) * q,
            "relative_entropy_A": {labels[k]: v for k, v in zip(model.partition.a, terms["relative_entropy_A"])},
            "relative_entropy_B": terms["relative_entropy_B"],
            "delta_I_AB": terms["delta_I_AB"],
            "delta_I_A": terms["delta_I_A"],
            "delta_I_A_B": terms["delta_I_A_B"],
            "delta_T_A": terms["delta_T_A"],
            "delta_J_A": terms["delta_J_A"],
            "rhs": terms["rhs"],
            "max_residual": residual,
        },
        "anomalous": {"cold_system": "A" if beta_a > beta_b else ("B" if beta_b > beta_a else "neither"),
                      "fraction_of_times": float(aht.mean()),
                      "first_time": float(times[int(np.argmax(aht))]) if aht.any() else None},
        "derivatives": {"orders": list(range(1, DERIVATIVE_ORDERS + 1)), "commutator": derivs,
                        "closed_form": closed_forms(spec, model)},
        "conventions": CONVENTIONS,
        "headline": headline,
    }


# ----------------------------------------------------------------------------- circuits


def measure(spec: HeatTransferSpec, model: Model) -> dict[str, Any]:
    """Q(t) on Aer: purified initial state, e^{-iHt} as PauliEvolutionGates, B measured in Z (SamplerV2)."""
    settings = spec.circuits
    n, b = model.n, model.partition.b
    if np.abs(model.h_b - np.diag(np.diag(model.h_b))).max() > 1e-12:
        raise QheatError("H_B has terms that are not diagonal (X or Y inside B): backend 'aer' measures H_B in "
                         "the Z basis only; use backend 'exact'")
    h0, v = three_body.hamiltonian_operator(n, spec.frequencies, model.terms)
    h0, v = three_body.evolution_parts(h0, v)   # the local part stays inside the exponential unless it commutes
    split = bool(np.any(h0.coeffs))
    times = np.linspace(0.0, spec.evolution.t_max, settings.points)
    prep = purification_circuit(model.rho0, thermofield=True)
    # two-point measurement when every qubit of B is a diagonal factor of rho_0: its purifying ancilla (n + q)
    # holds B's initial Z, measured at the end (deferred measurement), beside B's final Z
    tpm = set(b) <= set(prep.metadata["thermofield_qubits"])
    measured = list(b) + ([n + q for q in b] if tpm else [])
    circuits, synth = [], []
    for t in times:
        s = three_body.choose_synthesis(v, float(t), settings.synthesis, settings.max_trotter_error)
        synth.append(s)
        evo = three_body.evolution_circuit(h0, v, float(t), s)
        circuits.append(three_body.measured_circuit(
            prep, evo, measured,
            metadata={"time": float(t), "synthesis": s.method, "reps": s.reps, "measured_qubits": measured}))
    sampler_seed = int(np.random.default_rng(spec.seed_sequence(settings.seed)).integers(2**62))
    start = time.perf_counter()
    counts = AerBackend("aer").sample(three_body.compiled(circuits), [settings.shots] * len(circuits), sampler_seed,
                                      method="statevector")
    seconds = time.perf_counter() - start
    # energies of B's measured bit strings (H_B diagonal): bit i of an outcome is qubit b[i]
    e_b = _diagonal_on(model.h_b, b, n)
    mask = 2 ** len(b) - 1
    means, errs, records = [], [], []
    for qc, c in zip(circuits, counts):
        outcome = np.array([int(k, 2) for k in c])
        freq = np.array(list(c.values()), dtype=float)
        x = e_b[outcome & mask] - (e_b[outcome >> len(b)] if tpm else 0.0)
        mean = float(freq @ x / freq.sum())
        means.append(mean)
        errs.append(float(np.sqrt(freq @ (x - mean) ** 2 / (freq.sum() - 1) / freq.sum())))
        records.append({"counts": dict(sorted(c.items())), "metadata": qc.metadata})
    means, errs = np.array(means), np.array(errs)
    if tpm:
        heat, stderr = means, errs
    else:
        heat = means - means[0]
        stderr = np.sqrt(errs**2 + errs[0] ** 2)
        stderr[0] = 0.0
    exact = ht.expectation(ht.evolve(model.rho0, model.h, times), model.h_b)
    exact_heat = exact - exact[0]
    shot_free = _shot_free(circuits, b, e_b)
    gates_evo = [circuit_cost(three_body.evolution_circuit(h0, v, float(t), s)) for t, s in zip(times, synth)]
    return {
        "times": times,
        "heat": heat,
        "stderr": stderr,
        "exact_heat": exact_heat,
        "circuit_heat_shot_free": shot_free - shot_free[0],
        "energy_B": means,
        "synthesis": [s.method for s in synth],
        "trotter_reps": [s.reps for s in synth],
        "trotter_error_bound": [s.error_bound for s in synth],
        "split_local_part": split,
        "two_qubit_gates": {"preparation": circuit_cost(prep), "evolution": gates_evo,
                            "evolution_max": int(max(gates_evo))},
        "shots": settings.shots,
        "seed": settings.seed,
        "sampler_seed": sampler_seed,
        "seconds": seconds,
        "estimator": "two-point" if tpm else "end-point",
        "records": records,
        "conventions": {"heat": "two-point: Q(t) = mean over shots of E_B(t) - E_B(0), E_B(0) read from the ancillas "
                                "purifying B (Z-correlated with B's initial state; used when B is a diagonal factor of "
                                "rho_0); end-point: <H_B>(t) - <H_B>(0) from separate circuits. SamplerV2 on Aer "
                                "(AerBackend.sample: circuit i seeded sampler_seed + i (shots + 1), sampler_seed drawn "
                                "from the spec's seed and key, so sweep points differ), all measurements terminal; "
                                "stderr from the spread over shots",
                        "records": "counts per time over metadata.measured_qubits (bit i = i-th of them): B's qubits, "
                                   "then (two-point) their ancillas",
                        "circuit_heat_shot_free": "the same circuits' exact expectation (Statevector): differs from "
                                                  "exact_heat only by the product-formula error",
                        "preparation": "purification of rho_0 + chi on one ancilla per qubit"},
    }


def _diagonal_on(h_b: np.ndarray, b: tuple[int, ...], n: int) -> np.ndarray:
    """<s|H_B|s> for every bit string s of B's qubits (bit i = qubit b[i]); H_B acts on B only."""
    idx = np.zeros(2 ** len(b), dtype=int)
    for s in range(2 ** len(b)):
        idx[s] = sum(((s >> i) & 1) << q for i, q in enumerate(b))
    return np.real(np.diag(h_b))[idx]


def _shot_free(circuits: list, b: tuple[int, ...], e_b: np.ndarray) -> np.ndarray:
    from qiskit.quantum_info import Statevector

    out = []
    for qc in circuits:
        sv = Statevector(qc.remove_final_measurements(inplace=False))
        probs = sv.probabilities(list(b))   # little endian over b
        out.append(float(probs @ e_b))
    return np.array(out)


# ----------------------------------------------------------------------------- Fig. 2


def phase_diagram(spec: HeatTransferPhaseSpec) -> dict[str, Any]:
    """Sign maps of d^2Q/dt^2 at t = 0 (Eqs. 10, S30) with the AHT region (beta_B - beta_A) d^2Q/dt^2 < 0,
    beta_A = min(beta_A1, beta_A2); each map checked at ``check_points`` points against Eq. (2)."""
    pd = spec.phase_diagram
    ratios = np.linspace(0.0, pd.ratio_max, pd.points)
    x, y = np.meshgrid(ratios, ratios)         # x = beta_A2/beta_B (columns), y = beta_A1/beta_B (rows)
    w_b, beta_b = 1.0, pd.beta_b_omega_b       # omega_B = 1, beta_B = beta_B omega_B
    rng = np.random.default_rng(0)
    maps, worst = [], 0.0
    for a in pd.a:
        w1, w2 = (1.0 + a) * w_b, a * w_b
        for j in pd.j_over_c:
            conv = ht.convexity_s30(y * beta_b, x * beta_b, beta_b, w1, w2, w_b, 1.0, j)
            beta_a = np.minimum(x, y) * beta_b
            aht = ((beta_b - beta_a) * conv < 0) & (beta_a > beta_b)
            checks = []
            for _ in range(pd.check_points):
                i, k = rng.integers(0, pd.points, 2)
                h, h_b = ht.three_body_model(w1, w2, w_b, 1.0, j)
                rho = ht.product_gibbs([w1, w2, w_b], [y[i, k] * beta_b, x[i, k] * beta_b, beta_b])
                numeric = ht.heat_derivatives(rho, h, h_b, 2)
                checks.append({"beta_A2_over_beta_B": x[i, k], "beta_A1_over_beta_B": y[i, k],
                               "closed_form": conv[i, k], "commutator": numeric[1], "first": numeric[0]})
                worst = max(worst, abs(numeric[1] - conv[i, k]) / max(abs(conv).max(), 1e-300))
            boundary = (1.0 + a * ratios) / (1.0 + a)      # Eq. (10) = 0: (1 + a) beta_A1 = beta_B + a beta_A2
            maps.append({"a": a, "j_over_c": j, "convexity": conv, "aht": aht.astype(int),
                         "aht_fraction": float(aht.mean()), "boundary_eq10": boundary, "checks": checks})
    return {
        "ratios": ratios,
        "axes": {"x": "beta_A2 / beta_B", "y": "beta_A1 / beta_B"},
        "beta_B_omega_B": beta_b,
        "maps": maps,
        "max_relative_check_error": worst,
        "conventions": {**CONVENTIONS,
                        "phase_diagram": "d^2Q/dt^2 at t = 0 for H_I = c s+_A1 s-_A2 s-_B + h.c. + J sum_{u<v} "
                                         "(XX + YY + ZZ), omega_A1 = (1 + a) omega_B, omega_A2 = a omega_B, product "
                                         "Gibbs state, in units |c|^2 omega_B (c = omega_B = 1); convexity[i][k] at "
                                         "beta_A1/beta_B = ratios[i], beta_A2/beta_B = ratios[k]; aht = 1 where A is "
                                         "colder than B (beta_A = min(beta_A1, beta_A2) > beta_B) and (beta_B - beta_A) "
                                         "d^2Q/dt^2 < 0; boundary_eq10 is beta_A1/beta_B on the line d^2Q/dt^2 = 0 at J = 0"},
        "headline": f"{len(maps)} maps; AHT fraction " + ", ".join(
            f"a={m['a']:g},J/c={m['j_over_c']:g}: {m['aht_fraction']:.3f}" for m in maps)
            + f"; closed form vs Eq. (2) rel. error {worst:.1g}",
    }
