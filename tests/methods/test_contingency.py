"""spinemets.methods.contingency against R and hand arithmetic.

R fixtures: tests/fixtures/r_stats/*.json (tests/fixtures/r_stats.R: chisq.test,
fisher.test, wilcox.test, mcnemar.test, t.test on the study's tables and edge cases) and
tests/fixtures/r_methods/fisher.json (fisher.test's odds ratio and interval, 1e-9).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from r_reference import close as close_arrays
from r_reference import r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods import contingency as stats

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_stats"
REL = 1e-9


def cases(family: str) -> list[dict]:
    return json.loads((FIXTURES / f"{family}.json").read_text(encoding="utf-8"))["cases"]


def ids(family: str) -> list[str]:
    return [f"{c['name']}-{c.get('correct', '')}" for c in cases(family)]


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-300)


@pytest.mark.parametrize("case", cases("chisq"), ids=ids("chisq"))
def test_chisq_matches_r(case: dict) -> None:
    got = stats.chisq_test(case["table"], correct=case["correct"])
    assert got.method == case["method"]
    assert got.statistic == pytest.approx(case["statistic"], rel=REL, abs=1e-12)
    assert got.parameter == case["parameter"]
    assert close(got.p_value, case["p_value"])


@pytest.mark.parametrize("case", cases("fisher"), ids=ids("fisher"))
def test_fisher_matches_r(case: dict) -> None:
    got = stats.fisher_test(case["table"])
    assert got.method == case["method"]
    assert got.statistic is None
    assert close(got.p_value, case["p_value"])


@pytest.mark.parametrize("case", cases("wilcox"), ids=[c["name"] for c in cases("wilcox")])
def test_wilcox_matches_r(case: dict) -> None:
    got = stats.wilcox_test(
        case["x"],
        case["y"],
        paired=case["paired"],
        correct=case["correct"],
        exact=case["exact"],
        mu=case["mu"],
    )
    assert got.method == case["method"]
    assert got.statistic == pytest.approx(case["statistic"], rel=REL)
    assert close(got.p_value, case["p_value"])


@pytest.mark.parametrize("case", cases("mcnemar"), ids=ids("mcnemar"))
def test_mcnemar_matches_r(case: dict) -> None:
    got = stats.mcnemar_test(case["table"], correct=case["correct"])
    assert got.method == case["method"]
    assert got.statistic == pytest.approx(case["statistic"], rel=REL, abs=1e-12)
    assert got.parameter == case["parameter"]
    assert close(got.p_value, case["p_value"])


@pytest.mark.parametrize("case", cases("symmetry"), ids=[c["name"] for c in cases("symmetry")])
def test_bowker_matches_r(case: dict) -> None:
    got = stats.bowker_test(case["table"])
    ref = case["bowker"]
    assert got.statistic == pytest.approx(ref["statistic"], rel=REL)
    assert got.parameter == ref["parameter"]
    assert close(got.p_value, ref["p_value"])


@pytest.mark.parametrize("case", cases("symmetry"), ids=[c["name"] for c in cases("symmetry")])
def test_stuart_maxwell_matches_r(case: dict) -> None:
    got = stats.stuart_maxwell_test(case["table"])
    ref = case["stuart_maxwell"]
    assert got.statistic == pytest.approx(ref["statistic"], rel=REL)
    assert got.parameter == ref["parameter"]
    assert close(got.p_value, ref["p_value"])


def test_mcnemar_refuses_where_r_gives_nan() -> None:
    (case,) = [c for c in cases("symmetry") if c["name"] == "frankel_like_empty_pairs"]
    assert case["bowker_r_mcnemar_is_nan"]
    with pytest.raises(SpinemetsError, match="bowker_test"):
        stats.mcnemar_test(case["table"])


@pytest.mark.parametrize(
    "case", cases("t_ci"), ids=[f"{c['name']}-{c['conf_level']}" for c in cases("t_ci")]
)
def test_t_mean_ci_matches_r(case: dict) -> None:
    got = stats.t_mean_ci(case["x"], conf_level=case["conf_level"])
    assert got.mean == pytest.approx(case["mean"], rel=REL)
    assert got.lower == pytest.approx(case["lower"], rel=REL)
    assert got.upper == pytest.approx(case["upper"], rel=REL)
    assert got.n == len(case["x"])


# ----------------------------------------------------------------- hand arithmetic


def test_paper_local_progression_chisq() -> None:
    # The paper: 3 of 39 metastasectomy vs 13 of 61 decompression, chi2 = 2.35, P = .125.
    got = stats.chisq_test([[3, 36], [13, 48]])
    assert round(got.statistic, 2) == 2.35
    assert round(got.p_value, 3) == 0.125


def test_mcnemar_hand_arithmetic() -> None:
    # b = 0, c = 29: (|0 - 29| - 1)^2 / 29 = 784 / 29.
    got = stats.mcnemar_test([[50, 0], [29, 21]])
    assert got.statistic == pytest.approx(784 / 29)
    assert got.parameter == 1


def test_fisher_2x2_hand_arithmetic() -> None:
    # Tea tasting, [[3, 1], [1, 3]]: tables 0..4 have probabilities 1, 16, 36, 16, 1 / 70;
    # two-sided p = (1 + 16 + 16 + 1) / 70.
    assert stats.fisher_test([[3, 1], [1, 3]]).p_value == pytest.approx(34 / 70)


def test_fisher_rxc_hand_arithmetic() -> None:
    # A 3 x 2 table with margins rows (1, 1, 1), cols (1, 2): the three tables all have
    # probability 1/3, so p = 1.
    assert stats.fisher_test([[1, 0], [0, 1], [0, 1]]).p_value == pytest.approx(1.0)


def test_signed_rank_exact_hand_arithmetic() -> None:
    # n = 3, all positive: V = 6, P(V >= 6) = 1/8, two-sided 1/4.
    got = stats.wilcox_test([1.0, 2.0, 3.0])
    assert (got.statistic, got.method) == (6.0, "Wilcoxon signed rank exact test")
    assert got.p_value == pytest.approx(0.25)


def test_rank_sum_exact_hand_arithmetic() -> None:
    # x entirely below y, n = 2 and 3: W = 0, P(W <= 0) = 1/C(5,2) = 1/10, two-sided 0.2.
    got = stats.wilcox_test([1.0, 2.0], [3.0, 4.0, 5.0])
    assert got.statistic == 0.0
    assert got.p_value == pytest.approx(0.2)


def test_paired_zero_differences_are_dropped() -> None:
    with_zero = stats.wilcox_test([5, 6, 7, 9], [5, 4, 4, 6], paired=True)
    assert with_zero.statistic == 6.0  # d = 2, 3, 3 (zero dropped): ranks 1, 2.5, 2.5
    assert "continuity correction" in with_zero.method  # zeros rule out the exact test
    assert with_zero.note == "cannot compute exact p-value with ties"


def test_paired_missing_dropped_pairwise() -> None:
    a = stats.wilcox_test([7, np.nan, 8, 6, 9], [3, 2, np.nan, 1, 2], paired=True)
    b = stats.wilcox_test([7, 6, 9], [3, 1, 2], paired=True)
    assert a == b


def test_chisq_yates_rule_uses_min_half() -> None:
    # All |O - E| = 0.25 < 0.5: the correction is 0.25 and the statistic is exactly 0.
    got = stats.chisq_test([[10, 10], [10, 11]])
    assert got.statistic == 0.0
    assert "Yates" in got.method


def test_t_mean_ci_hand_arithmetic() -> None:
    # x = 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302652729749464.
    got = stats.t_mean_ci([1, 2, 3])
    half = 4.302652729749464 / math.sqrt(3)
    assert (got.lower, got.upper) == pytest.approx((2 - half, 2 + half))


@pytest.mark.parametrize(
    "call",
    [
        lambda: stats.chisq_test([[1, 2]]),
        lambda: stats.chisq_test([[0, 0], [1, 2]]),
        lambda: stats.chisq_test([[1, -2], [3, 4]]),
        lambda: stats.fisher_test([[1.5, 2], [3, 4]]),
        lambda: stats.mcnemar_test([[1, 2, 3], [4, 5, 6]]),
        lambda: stats.wilcox_test([1, 2], [1], paired=True),
        lambda: stats.wilcox_test([np.nan]),
        lambda: stats.t_mean_ci([1.0]),
        lambda: stats.t_mean_ci([1.0, 2.0], conf_level=95),
        lambda: stats.bowker_test([[3, 0], [0, 4]]),
    ],
)
def test_bad_input_raises_spinemets_error(call) -> None:
    with pytest.raises(SpinemetsError):
        call()


def test_results_are_frozen() -> None:
    got = stats.chisq_test([[30, 40], [9, 21]])
    with pytest.raises(AttributeError):
        got.p_value = 0.0  # type: ignore[misc]


# ------------------------------------------------- Fisher's conditional MLE odds ratio


@pytest.mark.parametrize("case", r_json("fisher"), ids=lambda c: "-".join(map(str, c["table"])))
def test_fisher_odds_ratio_matches_r(case: dict) -> None:
    """R's uniroot (tolerance ~1e-4) is reproduced step for step: its numbers to 1e-9."""
    table = np.array(case["table"]).reshape(2, 2)
    got = stats.fisher_test(table)
    close_arrays(got.p_value, case["p"])
    close_arrays(got.estimate, vec(case["estimate"]))
    close_arrays(got.conf_int, vec(case["conf_int"]))
    close_arrays(stats.fisher_test(table, conf_level=0.9).conf_int, vec(case["conf_int_90"]))


def test_fisher_odds_ratio_is_the_conditional_mle_not_the_sample_one() -> None:
    got = stats.fisher_test([[3, 1], [1, 3]])
    assert got.estimate == pytest.approx(6.408309, rel=1e-6)  # R: 6.408309
    assert got.estimate != 9.0  # the sample odds ratio ad / bc
