"""spinemets.methods.permutation: the relabelled log-rank statistic, exact and Monte Carlo
p-values.

References: R survdiff and R's own enumeration of every labelling of a toy set
(tests/fixtures/r_cox_models.R), and a 4-subject case worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods import permutation as pm
from spinemets.methods.logrank import logrank_test

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_cox_models"
LOGRANK = pd.read_csv(FIXTURES / "logrank.csv")
TOY = pd.read_csv(FIXTURES / "data_toy.csv")
ENDPOINTS = {
    "synthetic_os": ("os_months", "death"),
    "synthetic_lpfs": ("lp_months", "local_progression"),
}


def _comparison(dataset: str, strata: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    if dataset in ENDPOINTS:
        data = pd.read_csv(FIXTURES / "data_synthetic.csv")
        time_col, event_col = ENDPOINTS[dataset]
        return data[time_col], data[event_col], data[strata]
    data = pd.read_csv(FIXTURES / f"data_{dataset}.csv")
    return data["time"], data["event"], data[strata]


@pytest.mark.parametrize(
    ("dataset", "strata"), list(zip(LOGRANK.dataset, LOGRANK.strata, strict=True))
)
def test_identity_labelling_is_survdiff_chisq(dataset: str, strata: str) -> None:
    ref = LOGRANK[(LOGRANK.dataset == dataset) & (LOGRANK.strata == strata)].iloc[0]
    time, event, group = _comparison(dataset, strata)
    assert pm.logrank_chisq(time, event, group) == pytest.approx(ref["chisq"], rel=1e-10)
    result = pm.permutation_logrank(time, event, group, n_permutations=50)
    assert result.chisq == pytest.approx(ref["chisq"], rel=1e-10)
    assert result.p_asymptotic == pytest.approx(ref["p"], rel=1e-8)


def test_every_labelling_matches_r_enumeration() -> None:
    """R ran survdiff on all choose(12, 5) = 792 labellings of the toy set."""
    ref = pd.read_csv(FIXTURES / "exact_toy.csv")
    table = pm.event_table(TOY["time"], TOY["event"])
    labels = np.zeros((len(ref), len(TOY)))
    for k, members in enumerate(ref["members"]):
        labels[k, [int(m) - 1 for m in members.split()]] = 1
    got = pm.logrank_statistics(table, labels[:, table.order])
    np.testing.assert_allclose(got, ref["chisq"], rtol=1e-10, atol=1e-12)

    result = pm.permutation_logrank(TOY["time"], TOY["event"], TOY["group"])
    assert result.method == "exact" and result.n_labellings == 792 and result.mc_se == 0
    observed = pm.logrank_chisq(TOY["time"], TOY["event"], TOY["group"])
    share = np.mean(ref["chisq"] >= observed * (1 - 1e-9))
    assert result.p_permutation == share
    np.testing.assert_allclose(np.sort(result.statistics), np.sort(ref["chisq"]), rtol=1e-10)


def test_exact_p_by_hand() -> None:
    """Four deaths at times 1, 2, 3, 4; group 1 = the first two.

    Risk sets (n, n1, d): t1 (4, 2, 1), t2 (3, 1, 1), t3 (2, 0, 1), t4 (1, 0, 1).
    E1 = 2/4 + 1/3 = 0.8333; V1 = 2*2*1*3/(16*3) + 1*2*1*2/(9*2) = 0.25 + 0.2222 = 0.4722
    (t3: n1 = 0; t4: n = 1, no variance); O1 = 2; chisq = 1.16667^2 / 0.47222 = 2.882353.
    The six labellings give {1,2}: 2.882, {3,4}: 2.882 (mirror image), {1,3} and {2,4}:
    0.4444/0.7222 = 0.6154, {1,4} and {2,3}: 0.1111/0.7222 = 0.1538; so p = 2/6.
    """
    time, event, group = [1, 2, 3, 4], [1, 1, 1, 1], ["a", "a", "b", "b"]
    assert pm.logrank_chisq(time, event, group) == pytest.approx(
        (2 - (0.5 + 1 / 3)) ** 2 / (0.25 + 2 / 9), rel=1e-12
    )
    assert pm.logrank_chisq(time, event, group) == pytest.approx(2.882353, abs=1e-6)
    result = pm.permutation_logrank(time, event, group)
    assert result.p_permutation == pytest.approx(2 / 6, abs=1e-15)
    expected = sorted([0.1111111 / 0.7222222] * 2 + [0.4444444 / 0.7222222] * 2 + [2.882353] * 2)
    np.testing.assert_allclose(np.sort(result.statistics), expected, rtol=1e-5)


def test_seeded_runs_are_bit_identical() -> None:
    time, event, group = _comparison("synthetic_os", "surgery")
    a = pm.permutation_logrank(time, event, group, n_permutations=3000, seed=11)
    b = pm.permutation_logrank(time, event, group, n_permutations=3000, seed=11)
    assert a.method == "monte carlo" and a.seed == 11
    assert np.array_equal(a.statistics, b.statistics) and a.p_permutation == b.p_permutation
    c = pm.permutation_logrank(time, event, group, n_permutations=3000, seed=12)
    assert not np.array_equal(a.statistics, c.statistics)
    # The first draws do not depend on how many are asked for.
    d = pm.permutation_logrank(time, event, group, n_permutations=1000, seed=11)
    assert np.array_equal(d.statistics, a.statistics[:1000])


def test_monte_carlo_agrees_with_enumeration() -> None:
    exact = pm.permutation_logrank(TOY["time"], TOY["event"], TOY["group"])
    mc = pm.permutation_logrank(
        TOY["time"], TOY["event"], TOY["group"], n_permutations=20_000, max_enumeration=0
    )
    assert mc.method == "monte carlo" and mc.n_labellings == 792
    assert abs(mc.p_permutation - exact.p_permutation) < 4 * mc.mc_se
    assert mc.mc_se == pytest.approx(np.sqrt(mc.p_permutation * (1 - mc.p_permutation) / 20_000))


def test_permutation_p_is_close_to_asymptotic_for_a_large_sample() -> None:
    time, event, group = _comparison("lung", "female")
    result = pm.permutation_logrank(time, event, group, n_permutations=4000)
    assert abs(result.p_permutation - result.p_asymptotic) < 4 * result.mc_se + 1e-3


def test_degenerate_labelling_has_zero_statistic() -> None:
    # group 1 holds only the subject censored first: never at risk at any death
    table = pm.event_table([0.5, 1, 2], [0, 1, 1])
    assert pm.logrank_statistics(table, np.array([[1, 0, 0]]))[0] == 0.0


@pytest.mark.parametrize(
    ("time", "event", "group", "message"),
    [
        ([1, 2, 3], [1, 0, 1], ["a", "b", "c"], "exactly two groups, found 3"),
        ([1, -2, 3], [1, 0, 1], ["a", "b", "a"], "row 1: duration -2.0"),
        ([1, 2, 3], [1, 2, 1], ["a", "b", "a"], "row 1: event 2.0; expected 0 or 1"),
        ([1, 2], [1, 0, 1], ["a", "b", "a"], "equal length"),
    ],
)
def test_bad_input(time: list, event: list, group: list, message: str) -> None:
    with pytest.raises(SpinemetsError, match=message):
        pm.permutation_logrank(time, event, group)


def test_batched_statistics_equal_logrank_test() -> None:
    """The batched path and logrank_test share one core: same statistic per labelling."""
    rng = np.random.default_rng(9)
    time = rng.integers(1, 30, 80).astype(float)
    event = (rng.random(80) < 0.7).astype(int)
    labels = rng.integers(0, 2, (5, 80))
    table = pm.event_table(time, event)
    batched = pm.logrank_statistics(table, labels[:, table.order])
    single = [logrank_test(time, event, row).chisq for row in labels]
    np.testing.assert_allclose(batched, single, rtol=1e-12)
