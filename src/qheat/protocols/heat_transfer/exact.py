"""Seed 000 (Ma et al.): the exact engine of heat transfer between qubit systems A and B.

``build_model`` makes H = H_A + H_B + H_I from the spec, checks the heat-transfer condition
[H_I, H_A + H_B] = 0 and the initial local-equilibrium state rho_0 + chi (Eqs. 3-4); ``trajectory``
evolves it exactly and reports

- Q(t) = Delta<H_B> (heat into B; with ``allow_nonconserving`` an energy change, not heat);
- d^nQ/dt^n at t = 0 for n = 1..4 from the nested commutators of Eq. (2), and the closed forms
  (Eq. S29 for the Eq. (9) model in any state, Eq. (10) for its product state) where they apply;
- every term of the heat-transfer equation (5), and the check that they sum to (beta_B - beta_A) Q.

A ``[phase_diagram]`` spec maps the sign of d^2Q/dt^2 (Eqs. 10, S30) over (beta_A2/beta_B,
beta_A1/beta_B) for each a and J/c (Fig. 2), and checks sample points against Eq. (2)
(``phase_diagram``). The circuits of a spec are in ``circuits``, their analysis in ``analysis``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qheat.physics import dense as ht
from qheat.protocols.heat_transfer.model import MIN_POPULATION, Model
from qheat.protocols.heat_transfer.spec import HeatTransferPhaseSpec, HeatTransferSpec

DERIVATIVE_ORDERS = 4

CONVENTIONS = {
    "units": "hbar = k_B = 1; energies and frequencies in units of omega_0, times in 1/omega_0, temperatures in "
    "hbar omega_0 / k_B (kelvin converted with omega0_ghz when given)",
    "hamiltonian": "H_X = -(omega/2) sigma^z per qubit (Eq. 6), sigma^z = Qiskit Z, |0> the ground state; basis index "
    "bit j is qubit j in the spec's order",
    "ladder": "sigma^+ = |1><0| raises the energy, sigma^- = |0><1| (the usage of Eqs. S16, S29 and Fig. 1(c)); "
    + ht.FIG1C_CONVENTION,
    "heat": "Q = Delta<H_B> = Tr[H_B (rho(t) - rho(0))]: positive when B gains energy. A is the cold system when "
    "beta_A = min_k beta_{A_k} > beta_B; (beta_B - beta_A) Q < 0 is anomalous heat transfer (AHT)",
    "heat_transfer_equation": "lhs = beta_B Delta<H_B> + beta_A Delta<H_A> (= (beta_B - beta_A) Q when "
    "[H_I, H_A + H_B] = 0); rhs = sum_k S(rho'_{A_k}||rho_{A_k}) + S(rho'_B||rho_B) + Delta I_AB + Delta T_A + "
    "Delta J_A (Eq. 5); Delta I_AB = Delta I_A + Delta I_{A:B}; entropies in nats",
    "temperatures": f"every A_k and B must keep a population >= {MIN_POPULATION:g} in each level at t = 0 (the "
    "references of the relative entropies in Eq. (5) must be full rank)",
    "derivatives": "d^nQ/dt^n = i^n Tr(rho [H, H_B]_n) at t = 0 (Eq. 2; H_I may replace H when the condition holds)",
}


# ----------------------------------------------------------------------------- the model


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
    out: dict[str, Any] = {
        "model": "Eq. (9): c s+_A1 s-_A2 s-_B + h.c., omega_A1 = omega_A2 + omega_B",
        "qubits": {k: spec.labels[pat[k]] for k in ("A1", "A2", "B")},
        "S29": {"first": float(first), "second": float(second)},
    }
    if not np.any(model.chi):
        b = model.betas
        out["eq10_second"] = float(ht.convexity_eq10(b[u], b[v], b[w], f[u], f[v], f[w], c))
    return out


# ----------------------------------------------------------------------------- the trajectory


def trajectory(spec: HeatTransferSpec, model: Model) -> dict[str, Any]:
    """The exact result body: Q(t), Eq. (5) terms, derivatives at t = 0."""
    times = spec.evolution.times
    rhos = ht.evolve(model.rho0, model.h, times)
    terms = ht.heat_transfer_terms(
        rhos, model.partition, model.h_ak, model.h_ai, model.h_b, model.beta_ak, model.beta_b
    )
    q = terms["heat"]
    beta_a, beta_b = min(model.beta_ak), model.beta_b
    derivs = ht.heat_derivatives(model.rho0, model.h, model.h_b, DERIVATIVE_ORDERS)
    residual = float(np.abs(terms["lhs"] - terms["rhs"]).max())
    aht = (beta_b - beta_a) * q < -1e-15 * max(1.0, np.abs(q).max())
    labels = spec.labels
    leading = next((k + 1 for k, d in enumerate(derivs) if abs(d) > 1e-12 * max(1.0, np.abs(derivs).max())), None)
    kind = "heat" if model.conserving else "energy change of B (the interaction does not conserve H_A + H_B)"
    headline = (
        f"Q(t_max) = {q[-1]:+.4g}; "
        + (
            f"anomalous (AHT) at {aht.mean():.0%} of the times"
            if beta_a > beta_b
            else "A is not the colder system (beta_A <= beta_B)"
        )
        + (
            f"; d{leading}Q/dt{leading}(0) = {derivs[leading - 1]:+.4g}"
            if leading is not None
            else f"; dnQ/dtn(0) = 0 for n <= {DERIVATIVE_ORDERS}"
        )
        + f"; Eq. (5) residual {residual:.1g}"
    )
    return {
        "times": times,
        "qubits": [
            {"label": q_.label, "system": q_.system, "frequency": q_.frequency, "temperature": t, "beta": b}
            for q_, t, b in zip(spec.qubits, spec.temperatures(), model.betas)
        ],
        "beta_A": beta_a,
        "beta_B": beta_b,
        "conserving": model.conserving,
        "commutator_norm": model.commutator_norm,
        "heat_label": kind,
        "heat": q,
        "energies": {
            "H_A": ht.expectation(rhos, model.h_a),
            "H_B": ht.expectation(rhos, model.h_b),
            "H_I": ht.expectation(rhos, model.h_i),
        },
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
        "anomalous": {
            "cold_system": "A" if beta_a > beta_b else ("B" if beta_b > beta_a else "neither"),
            "fraction_of_times": float(aht.mean()),
            "first_time": float(times[int(np.argmax(aht))]) if aht.any() else None,
        },
        "derivatives": {
            "orders": list(range(1, DERIVATIVE_ORDERS + 1)),
            "commutator": derivs,
            "closed_form": closed_forms(spec, model),
        },
        "conventions": CONVENTIONS,
        "headline": headline,
    }


# ----------------------------------------------------------------------------- Fig. 2


def phase_diagram(spec: HeatTransferPhaseSpec) -> dict[str, Any]:
    """Sign maps of d^2Q/dt^2 at t = 0 (Eqs. 10, S30) with the AHT region (beta_B - beta_A) d^2Q/dt^2 < 0,
    beta_A = min(beta_A1, beta_A2); each map checked at ``check_points`` points against Eq. (2)."""
    pd = spec.phase_diagram
    ratios = np.linspace(0.0, pd.ratio_max, pd.points)
    x, y = np.meshgrid(ratios, ratios)  # x = beta_A2/beta_B (columns), y = beta_A1/beta_B (rows)
    w_b, beta_b = 1.0, pd.beta_b_omega_b  # omega_B = 1, beta_B = beta_B omega_B
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
                checks.append(
                    {
                        "beta_A2_over_beta_B": x[i, k],
                        "beta_A1_over_beta_B": y[i, k],
                        "closed_form": conv[i, k],
                        "commutator": numeric[1],
                        "first": numeric[0],
                    }
                )
                worst = max(worst, abs(numeric[1] - conv[i, k]) / max(abs(conv).max(), 1e-300))
            boundary = (1.0 + a * ratios) / (1.0 + a)  # Eq. (10) = 0: (1 + a) beta_A1 = beta_B + a beta_A2
            maps.append(
                {
                    "a": a,
                    "j_over_c": j,
                    "convexity": conv,
                    "aht": aht.astype(int),
                    "aht_fraction": float(aht.mean()),
                    "boundary_eq10": boundary,
                    "checks": checks,
                }
            )
    return {
        "ratios": ratios,
        "axes": {"x": "beta_A2 / beta_B", "y": "beta_A1 / beta_B"},
        "beta_B_omega_B": beta_b,
        "maps": maps,
        "max_relative_check_error": worst,
        "conventions": {
            **CONVENTIONS,
            "phase_diagram": "d^2Q/dt^2 at t = 0 for H_I = c s+_A1 s-_A2 s-_B + h.c. + J sum_{u<v} "
            "(XX + YY + ZZ), omega_A1 = (1 + a) omega_B, omega_A2 = a omega_B, product "
            "Gibbs state, in units |c|^2 omega_B (c = omega_B = 1); convexity[i][k] at "
            "beta_A1/beta_B = ratios[i], beta_A2/beta_B = ratios[k]; aht = 1 where A is "
            "colder than B (beta_A = min(beta_A1, beta_A2) > beta_B) and (beta_B - beta_A) "
            "d^2Q/dt^2 < 0; boundary_eq10 is beta_A1/beta_B on the line d^2Q/dt^2 = 0 at J = 0",
        },
        "headline": f"{len(maps)} maps; AHT fraction "
        + ", ".join(f"a={m['a']:g},J/c={m['j_over_c']:g}: {m['aht_fraction']:.3f}" for m in maps)
        + f"; closed form vs Eq. (2) rel. error {worst:.1g}",
    }
