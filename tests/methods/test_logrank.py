"""spinemets.methods.logrank: survdiff (groups, strata, rho) and its one core.

R reference values: tests/fixtures/r_survival/logrank*.csv (lung, veteran, colon, toy,
synthetic cohort) and tests/fixtures/r_methods/logrank.json (data sets the project never
used, strata, edge cases), to 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test as lifelines_logrank
from r_reference import FIXTURES, close, label, mat, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.logrank import (
    _packed_key,
    group_event_table,
    logrank_moments,
    logrank_test,
    two_group_logrank,
)


def test_logrank_by_hand() -> None:
    # group a dies at 1 and 2, group b at 3 and 4: O_a - E_a = 2 - (1/2 + 1/3) = 7/6,
    # V = 1/4 + 2/9 = 17/36, chisq = (7/6)^2 / (17/36) = 49/17
    lr = logrank_test([1, 2, 3, 4], [1, 1, 1, 1], ["a", "a", "b", "b"])
    assert lr.chisq == pytest.approx(49 / 17)
    assert lr.df == 1
    np.testing.assert_allclose(lr.observed, [2, 2])
    np.testing.assert_allclose(lr.expected, [5 / 6, 19 / 6])
    assert lr.p == pytest.approx(0.08955, abs=1e-5)  # pchisq(49/17, 1, lower = FALSE)
    assert list(lr.groups) == ["a", "b"]


def test_logrank_rejects_missing_group() -> None:
    with pytest.raises(SpinemetsError, match="row 1: missing group label"):
        logrank_test([1, 2], [1, 1], ["a", None])


def test_one_group_has_no_test() -> None:
    lr = logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    assert lr.df == 0 and np.isnan(lr.p)


# ----------------------------------------------------------------- R: lung, veteran, colon


def _old(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "r_survival" / f"{name}.csv", dtype={"group": str})


def _old_cases() -> list[tuple[str, str, float]]:
    ref = _old("logrank")
    return [(d, s, float(r)) for d, s, r in ref[["dataset", "strata", "rho"]].to_numpy()]


@pytest.mark.parametrize(("name", "strata", "rho"), _old_cases())
def test_logrank_matches_r_survdiff(name: str, strata: str, rho: float) -> None:
    ref = _old("logrank")
    row = ref[(ref.dataset == name) & (ref.strata == strata) & (ref.rho == rho)].iloc[0]
    groups = _old("logrank_groups")
    groups = groups[(groups.dataset == name) & (groups.strata == strata) & (groups.rho == rho)]
    d = pd.read_csv(FIXTURES / "r_survival" / f"data_{name}.csv")
    lr = logrank_test(d.time, d.event, d[strata], rho=rho)
    assert [str(g) for g in lr.groups] == list(groups.group)
    np.testing.assert_array_equal(lr.n, groups.n)
    close(lr.observed, groups.observed)
    close(lr.expected, groups.expected)
    assert lr.df == row.df
    close([lr.chisq, lr.p], [row.chisq, row.p])


# --------------------------------------------- R: data sets never used, strata, edge cases


def _cases() -> list[pytest.param]:
    return [
        pytest.param(
            i, id=f"{c['dataset']}-{c['group_col']}-{c['strata_col'] or 'none'}-rho{c['rho']}"
        )
        for i, c in enumerate(r_json("logrank"))
    ]


@pytest.mark.parametrize("index", _cases())
def test_logrank_matches_r_on_new_data(index: int) -> None:
    case = r_json("logrank")[index]
    d = r_data(case["dataset"])
    used = [case["time_col"], case["event_col"], case["group_col"]]
    strata = case["strata_col"] or None
    d = d.dropna(subset=used + ([strata] if strata else []))
    lr = logrank_test(
        d[case["time_col"]],
        d[case["event_col"]],
        d[case["group_col"]],
        rho=case["rho"],
        strata=None if strata is None else d[strata],
    )
    assert [label(g) for g in lr.groups] == [str(g) for g in np.atleast_1d(case["groups"])]
    np.testing.assert_array_equal(lr.n, vec(case["n"]))
    close(lr.observed, vec(case["observed"]))
    close(lr.expected, vec(case["expected"]))
    close(lr.variance, mat(case["variance"], lr.n.size), atol=1e-12)
    assert lr.df == case["df"]
    close([lr.chisq, lr.p], [case["chisq"], case["p"]])


def test_near_equal_times_change_the_test_as_in_r() -> None:
    """R merges 0.1 + 0.2 with 0.3 (and the other near-ties) before survdiff."""
    case = next(c for c in r_json("logrank") if c["dataset"] == "edge_near" and c["rho"] == 0)
    d = r_data("edge_near")
    merged = logrank_test(d.time, d.event, d.group)
    unmerged = logrank_test(d.time, d.event, d.group, timefix=False)
    close(merged.chisq, case["chisq"])
    assert abs(unmerged.chisq - case["chisq"]) > 1e-3  # the merging matters here


# ----------------------------------------------------------------------------- the core


def test_grid_counts_give_the_same_statistic() -> None:
    """two_group_logrank on a month grid (the calibration's path) equals logrank_test."""
    rng = np.random.default_rng(3)
    time = rng.integers(0, 40, 300)
    event = (rng.random(300) < 0.7).astype(int)
    group = rng.integers(0, 2, 300)
    grid = np.arange(41)
    n_risk, n_event = [], []
    for g in (0, 1):
        t, e = time[group == g], event[group == g]
        n_risk.append((t[None, :] >= grid[:, None]).sum(axis=1))
        n_event.append(((t[None, :] == grid[:, None]) & (e[None, :] == 1)).sum(axis=1))
    chisq, p = two_group_logrank(n_risk[0], n_event[0], n_risk[1], n_event[1])
    lr = logrank_test(time, event, group)
    assert chisq == pytest.approx(lr.chisq, rel=1e-12)
    assert p == pytest.approx(lr.p, rel=1e-10)
    # vectorised: a batch of identical candidates gives identical statistics
    stacked = [np.tile(a, (3, 1)) for a in (n_risk[0], n_event[0], n_risk[1], n_event[1])]
    batch = two_group_logrank(*stacked)[0]
    np.testing.assert_allclose(batch, chisq, rtol=1e-14)


def test_moments_of_one_group_are_its_block() -> None:
    """Passing one of k groups gives that group's row of E and its diagonal of V."""
    rng = np.random.default_rng(4)
    t = rng.integers(1, 20, 200).astype(float)
    e = (rng.random(200) < 0.6).astype(int)
    codes = rng.integers(0, 3, 200)
    n, d, n_k, _ = group_event_table(t, e, codes, np.bincount(codes, minlength=3))
    expected, variance = logrank_moments(n_k, n, d)
    e1, v1 = logrank_moments(n_k[1:2], n, d)
    assert e1[0] == pytest.approx(expected[1], rel=1e-14)
    assert v1[0, 0] == pytest.approx(variance[1, 1], rel=1e-14)
    np.testing.assert_allclose(variance.sum(axis=1), 0, atol=1e-9)  # rows sum to 0


# ------------------------------------------------------------------------- sorting paths


def _tied_sample(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 60, size=n).astype(float)  # many ties
    event = (rng.random(n) < 0.7).astype(int)
    group = rng.integers(0, 3, size=n)
    return time, event, group


def _extreme(time: np.ndarray) -> np.ndarray:
    """An order-preserving map of 1..59 onto 1e-290..1e290 (far beyond 1024 binades)."""
    return 10.0 ** (10.0 * (time - 30.0))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_sort_paths_agree(seed: int, rho: float) -> None:
    """The packed-key sort and the argsort fallback give the same statistics.

    timefix is off: on 1e-290..1e290, R's relative tolerance would merge most times.
    """
    time, event, group = _tied_sample(seed)
    far = _extreme(time)
    codes = group.astype(np.int64)
    assert _packed_key(time, event, codes, 2) is not None, "ordinary times use the packed key"
    assert _packed_key(far, event, codes, 2) is None, "extreme times must force the fallback"
    near = logrank_test(time, event, group, rho=rho, timefix=False)
    wide = logrank_test(far, event, group, rho=rho, timefix=False)
    assert wide.chisq == pytest.approx(near.chisq, rel=1e-12)
    assert wide.p == pytest.approx(near.p, rel=1e-9)
    np.testing.assert_allclose(wide.observed, near.observed, rtol=0, atol=0)
    np.testing.assert_allclose(wide.expected, near.expected, rtol=1e-12)


@pytest.mark.parametrize("zero", [False, True])
def test_timefix_on_both_sort_paths(zero: bool) -> None:
    """Near-equal times are merged whichever sort path counts them (zeros included)."""
    time, event, group = _tied_sample(5)
    time = time + 1e-12 * (np.arange(time.size) % 2)  # near-ties everywhere
    if zero:
        time[:3] = 0.0
    exact = np.round(time)
    a = logrank_test(time, event, group)
    b = logrank_test(exact, event, group)
    assert a.chisq == pytest.approx(b.chisq, rel=1e-12)


# ----------------------------------------------------------------------------- lifelines


def test_logrank_matches_lifelines() -> None:
    """lifelines as a second oracle (integer times: no near-ties to merge)."""
    rng = np.random.default_rng(20201)
    t = np.round(rng.exponential(20, 400), 0)
    e = (rng.random(400) < 0.7).astype(int)
    g = rng.integers(0, 2, 400)
    ours = logrank_test(t, e, g)
    theirs = lifelines_logrank(t[g == 0], t[g == 1], e[g == 0], e[g == 1])
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)
