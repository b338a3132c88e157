"""``qheat reproduce``: the claims are well formed, every check can FAIL, doctored results FAIL, the command
exits 0 on seed 001 (exact), 1 on a failed claim, 2 in one line on an unknown seed or backend."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

import qheat
from qheat import reproduce
from qheat.cli import main
from qheat.core.errors import QheatError
from qheat.reproduce.claim import Check, Claim, above, below, between, judge, measured, near


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def claim(where: str) -> Claim:
    found = [c for c in reproduce.CLAIMS if c.where == where]
    assert len(found) >= 1, where
    return found[0]


def by_statement(text: str) -> Claim:
    found = [c for c in reproduce.CLAIMS if text in c.statement]
    assert len(found) == 1, text
    return found[0]


# ----------------------------------------------------------------------------- the claims as data


def test_every_claim_names_bundled_specs_and_a_paper_number_where_it_is_compared():
    names = set(qheat.bundled_names())
    assert {c.seed for c in reproduce.CLAIMS} == set(reproduce.PAPERS) == {"000", "001", "002", "003", "004"}
    keys = [(c.seed, c.where, c.statement) for c in reproduce.CLAIMS]
    assert len(keys) == len(set(keys))
    for c in reproduce.CLAIMS:
        assert c.specs and set(c.specs) <= names, c
        assert (c.paper is not None) == (c.check.op == "~"), c
        assert c.statement and c.where


@pytest.mark.parametrize("c", reproduce.CLAIMS, ids=lambda c: f"{c.seed}:{c.where}:{c.statement[:30]}")
def test_every_check_fails_on_the_wrong_side(c):
    """The test of every claim can fail: a number beyond its bound (or off the paper's) and NaN are FAIL."""
    for check in filter(None, (c.check, c.circuit)):
        paper = 1.0
        if check.op == ">":
            bad = check.bound - 1.0
        elif check.op == "<":
            bad = check.bound + 1.0
        elif check.op == "in":
            bad = check.upper + 1.0
        else:
            bad = paper + 2 * (check.tol + check.rel * abs(paper)) + 1e-6
        assert not check.passes(bad, paper)
        assert not check.passes(math.nan, paper)


def test_checks_pass_and_fail_where_they_say():
    assert above(0.0).passes(1e-9, None) and not above(0.0).passes(0.0, None)
    assert below(0.1).passes(0.05, None) and not below(0.1).passes(0.1, None)
    assert between(5, 6).passes(5.4, None) and not between(5, 6).passes(6.01, None)
    assert near(0.02).passes(0.199, 0.186) and not near(0.01).passes(0.199, 0.186)
    assert near(rel=0.01).passes(1.005, 1.0) and not near(rel=0.01).passes(1.02, 1.0)
    assert near(0.02, why="baths not HEOM").text(0.186) == "0.186 +- 0.02 (baths not HEOM)"
    with pytest.raises(ValueError):
        Check("<=")


def test_a_missing_key_skips_on_a_circuit_backend_but_is_a_bug_on_exact():
    c = Claim("001", "Fig. X", "needs a key", ("fig10",), lambda r: r["fig10"]["nothing"], above(0.0))
    assert judge(c, {"fig10": {}}, "aer").verdict == "SKIP"
    with pytest.raises(KeyError):
        judge(c, {"fig10": {}}, "exact")


def test_the_circuit_check_replaces_the_exact_one_off_exact():
    c = Claim(
        "002",
        "Eq. (11)",
        "x",
        ("fig10",),
        lambda r: 0.63,
        near(1e-9),
        paper=0.6373,
        circuit=near(0.05, why="tomography"),
    )
    assert judge(c, {}, "exact").verdict == "FAIL"
    v = judge(c, {}, "aer")
    assert v.verdict == "PASS" and "tomography" in v.test


def test_on_circuits_a_claim_reads_what_was_measured_not_the_exact_values_beside_it():
    pair = {"spec": {"name": "p"}, "sed": [1.0], "entropy_production": [0.0], "circuits": {"sed": [2.0]}}
    cascade = {"spec": {"name": "c"}, "energy": [3.0], "exact": {"energy": [4.0]}}
    sed = Claim("002", "x", "sed", ("p",), lambda r: r["p"]["sed"][0], above(1.5))
    sigma = Claim("002", "x", "sigma", ("p",), lambda r: r["p"]["entropy_production"][0], above(-1.0))
    energy = Claim("001", "x", "energy", ("c",), lambda r: r["c"]["exact"]["energy"][0], above(0.0))
    assert judge(sed, {"p": pair}).verdict == "FAIL" and judge(sed, {"p": pair}, "aer").verdict == "PASS"
    assert judge(sigma, {"p": pair}).verdict == "PASS" and judge(sigma, {"p": pair}, "aer").verdict == "SKIP"
    assert judge(energy, {"c": cascade}, "aer").verdict == "SKIP"
    assert measured({"spec": {}, "points": [pair]})["points"][0] == {"spec": {"name": "p"}, "sed": [2.0]}


def test_exact_only_claims_skip_on_circuits_with_their_reason():
    c = Claim("001", "Eq. (46)", "x", ("fig10",), lambda r: 0.0, near(1e-9), paper=0.0, exact_only="too noisy")
    assert judge(c, {}, "exact").verdict == "PASS"
    v = judge(c, {}, "aer")
    assert v.verdict == "SKIP" and v.reason == "exact engine only: too noisy"


def test_seeds():
    assert reproduce.seeds_of([]) == list(reproduce.PAPERS)
    assert reproduce.seeds_of(["all"]) == list(reproduce.PAPERS)
    assert reproduce.seeds_of(["1", "001", "4"]) == ["001", "004"]
    with pytest.raises(QheatError, match="unknown seed '9'"):
        reproduce.seeds_of(["9"])


# ----------------------------------------------------------------------------- doctored results FAIL

SPECS = (
    "fig3-zero",
    "fig3-reversed",
    "fig3-enhanced",
    "holdsworth-pump",
    "fogedby-fig4",
    "ma-fig1b",
    "zhang-fig6-gamma0.01",
    "zhang-fig6-gamma0.02",
    "zhang-fig6-gamma0.03",
)


@pytest.fixture(scope="module")
def results():
    return {name: qheat.run(name).to_dict() for name in SPECS}


def verdict(c: Claim, results) -> str:
    return judge(c, results).verdict


def test_fig3_reversal_fails_when_the_heats_flip_sign(results):
    c = by_statement("c = -0.5: S2 and S3 absorb heat")
    assert verdict(c, results) == "PASS"
    bad = copy.deepcopy(results)
    for s in bad["fig3-reversed"]["subsystems"]:
        s["heat_absorbed"] = -s["heat_absorbed"]
    assert verdict(c, bad) == "FAIL"
    release = by_statement("c = 0: every hot subsystem releases heat")
    bad["fig3-zero"]["subsystems"][2]["heat_absorbed"] = 0.001
    assert verdict(release, results) == "PASS" and verdict(release, bad) == "FAIL"


def test_fig3_enhancement_fails_when_the_coherent_case_releases_less(results):
    c = by_statement("c = +0.5: heat release enhanced")
    bad = copy.deepcopy(results)
    bad["fig3-enhanced"]["subsystems"][1]["heat_absorbed"] = results["fig3-zero"]["subsystems"][1]["heat_absorbed"] / 2
    assert verdict(c, results) == "PASS" and verdict(c, bad) == "FAIL"


def test_heat_pump_claims_fail_on_a_normal_or_a_better_than_reported_pump(results):
    anomalous, cop = by_statement("anomalous heat: each cycle"), by_statement("COP Q_B / (T_A I_0) = 0.186")
    assert verdict(anomalous, results) == verdict(cop, results) == "PASS"
    flipped, better = copy.deepcopy(results), copy.deepcopy(results)
    for cycle in flipped["holdsworth-pump"]["per_cycle"]:
        cycle["Q_A"], cycle["Q_B"] = -cycle["Q_A"], -cycle["Q_B"]
    for cycle in better["holdsworth-pump"]["per_cycle"]:
        cycle["Q_B"] *= 1.2  # COP 0.239: off the paper's 0.186 by more than 0.02
    assert verdict(anomalous, flipped) == "FAIL"
    assert verdict(cop, better) == "FAIL"


def test_fogedby_closed_form_and_second_law_fail_on_a_wrong_current(results):
    closed, second = claim("Eqs. (1.2)-(1.4)"), by_statement("second law: heat flows from the hot reservoir")
    assert verdict(closed, results) == verdict(second, results) == "PASS"
    bad = copy.deepcopy(results)
    for p in bad["fogedby-fig4"]["points"]:
        p["methods"]["lindblad"]["heat_current"]["A"] *= -1
    assert verdict(closed, bad) == "FAIL" and verdict(second, bad) == "FAIL"


def test_ma_eq10_and_aht_fail_on_doctored_numbers(results):
    eq10, aht = claim("Eq. (10)"), by_statement("temperature inhomogeneity: heat flows from cold A")
    assert verdict(eq10, results) == verdict(aht, results) == "PASS"
    bad = copy.deepcopy(results)
    bad["ma-fig1b"]["derivatives"]["commutator"][1] *= 1.01
    bad["ma-fig1b"]["heat"] = [-q for q in bad["ma-fig1b"]["heat"]]
    assert verdict(eq10, bad) == "FAIL" and verdict(aht, bad) == "FAIL"


def test_zhang_fig6_fails_when_the_peaks_move_the_other_way(results):
    c = by_statement("a larger gamma makes the NDTC more pronounced")
    assert verdict(c, results) == "PASS"
    bad = copy.deepcopy(results)
    peaks = [bad[n]["summary"]["ndtc"]["redfield"] for n in SPECS[-3:]]
    peaks[0]["peak_at"], peaks[2]["peak_at"] = peaks[2]["peak_at"], peaks[0]["peak_at"]
    assert verdict(c, bad) == "FAIL"


# ----------------------------------------------------------------------------- the command


def test_reproduce_001_exits_0_on_exact_with_every_claim_in_the_table(capsys):
    code, out, _ = cli(capsys, "reproduce", "001")
    assert code == 0, out
    mine = [c for c in reproduce.CLAIMS if c.seed == "001"]
    assert f"{len(mine)} claims of seeds 001 on exact: {len(mine)} PASS, 0 FAIL, 0 SKIP" in out
    for c in mine:
        assert c.where in out
    assert out.splitlines()[0].split()[:2] == ["paper", "where"]
    assert "[1] " in out  # the notes (errata, conventions)


def test_a_failed_claim_exits_1(capsys, monkeypatch):
    wrong = Claim(
        "001",
        "Fig. 3(c)",
        "a deliberately wrong sign",
        ("fig10",),
        lambda r: r["fig10"]["bath"]["heat_received"][-1],
        above(0.0),
    )
    monkeypatch.setattr(reproduce, "CLAIMS", (wrong,))
    code, out, _ = cli(capsys, "reproduce", "001")
    assert code == 1
    assert "FAIL" in out and "1 FAIL" in out


def test_a_run_that_fails_is_an_error_beside_the_other_verdicts(capsys, monkeypatch):
    real = reproduce.engine.run_plan

    def run_plan(plan, **options):
        if plan.spec.name == "fig10":
            raise QheatError("fig10: the run broke")
        return real(plan, **options)

    monkeypatch.setattr(reproduce.engine, "run_plan", run_plan)
    verdicts = reproduce.run(["001"])
    broken = [v for v in verdicts if "fig10" in v.claim.specs]
    assert broken and all(v.verdict == "ERROR" and "the run broke" in v.reason for v in broken)
    assert all(v.verdict == "PASS" for v in verdicts if v not in broken)
    assert f"{len(broken)} ERROR" in reproduce.table(verdicts)
    code, out, _ = cli(capsys, "reproduce", "001")
    assert code == 1 and "ERROR" in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (("reproduce", "9"), "unknown seed '9'"),
        (("reproduce", "huang"), "unknown seed 'huang'"),
        (("reproduce", "001", "--backend", "nope"), "unknown backend 'nope'"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, args, needle):
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qheat: error:") and needle in lines[0], err
    assert "Traceback" not in err


def test_a_circuit_backend_skips_the_claims_of_specs_it_cannot_run():
    verdicts = reproduce.run(["003"], "aer")  # reservoirs specs without [collisions]: refused, nothing runs
    assert verdicts and all(v.verdict == "SKIP" for v in verdicts)
    assert all("[collisions]" in v.reason for v in verdicts)
    text = reproduce.table(verdicts, "aer")
    assert f"{len(verdicts)} claims of seeds 003 on aer: 0 PASS, 0 FAIL, {len(verdicts)} SKIP" in text


def test_the_docs_page_lists_every_claim():
    page = Path(qheat.__file__).resolve().parents[2] / "docs" / "reproduce.md"
    if not page.exists():
        pytest.skip("no docs/ beside the package (an installed copy)")
    assert reproduce.markdown() in page.read_text(), "regenerate the listing: print(qheat.reproduce.markdown())"


@pytest.mark.slow
def test_reproduce_all_exact_passes_every_claim():
    verdicts = reproduce.run(["all"])
    failed = [
        (v.claim.seed, v.claim.where, v.claim.statement, v.value, v.test) for v in verdicts if v.verdict != "PASS"
    ]
    assert not failed
    assert len(verdicts) == len(reproduce.CLAIMS)
    assert np.all([v.value is not None for v in verdicts])
