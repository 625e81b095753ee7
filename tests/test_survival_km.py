"""Unit tests of spinemets.survival: hand arithmetic, bad input, lifelines cross-check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.survival import (
    kaplan_meier,
    logrank_test,
    median_survival,
    survival_at,
)

# Ten subjects with an event and a censoring tied at t = 1 and t = 2 (R's toy_ties).
TIME = [1, 1, 2, 2, 2, 3, 4, 4, 5, 6]
EVENT = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]


def test_product_limit_by_hand() -> None:
    km = kaplan_meier(TIME, EVENT)
    np.testing.assert_array_equal(km.time, [1, 2, 3, 4, 5, 6])
    # censored at t are still at risk at t: 10 at risk at t = 1, 8 at t = 2
    np.testing.assert_array_equal(km.n_risk, [10, 8, 5, 4, 2, 1])
    np.testing.assert_array_equal(km.n_event, [1, 2, 0, 2, 0, 1])
    np.testing.assert_array_equal(km.n_censor, [1, 1, 1, 0, 1, 0])
    np.testing.assert_allclose(km.surv, [0.9, 0.675, 0.675, 0.3375, 0.3375, 0.0])
    greenwood = [1 / 90, 1 / 90 + 2 / 48, 1 / 90 + 2 / 48, 1 / 90 + 2 / 48 + 2 / 8]
    np.testing.assert_allclose(km.std_err[:4], np.sqrt(greenwood))
    assert km.std_err[-1] == math.inf
    # log band: S exp(-+1.959964 se), upper capped at 1, undefined at S = 0
    z = 1.959963984540054
    assert km.lower[0] == pytest.approx(0.9 * math.exp(-z * math.sqrt(1 / 90)))
    assert km.upper[0] == 1.0
    assert math.isnan(km.lower[-1]) and math.isnan(km.upper[-1])


def test_conf_types_differ_where_expected() -> None:
    loglog = kaplan_meier(TIME, EVENT, conf_type="log-log")
    plain = kaplan_meier(TIME, EVENT, conf_type="plain")
    assert np.isnan(loglog.lower[-1])  # S = 0: undefined
    assert plain.lower[3] == 0.0  # 0.3375 - 1.96 * 0.3375 * 0.5503 < 0: clipped
    assert plain.upper[0] == 1.0


def test_conf_level_widens_band() -> None:
    narrow = kaplan_meier(TIME, EVENT, conf_level=0.8)
    wide = kaplan_meier(TIME, EVENT, conf_level=0.99)
    assert (wide.lower[:5] < narrow.lower[:5]).all()


def test_unknown_conf_type_names_allowed_values() -> None:
    with pytest.raises(SpinemetsError, match="'log', 'log-log', 'plain'"):
        kaplan_meier(TIME, EVENT, conf_type="arcsin")


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1, -2, 3], [1, 1, 1], "row 1: duration -2.0"),
        ([1, float("nan")], [1, 1], "row 1: duration nan"),
        ([1, 2], [1, 2], "row 1: event 2.0; expected 0 or 1"),
        ([1, 2], [1], "equal length"),
        ([], [], "no observations"),
        (["a", "b"], [1, 1], "durations must be numbers"),
    ],
)
def test_bad_input_is_named(time: list, event: list, message: str) -> None:
    with pytest.raises(SpinemetsError, match=message):
        kaplan_meier(time, event)


def test_bad_input_names_the_column() -> None:
    with pytest.raises(SpinemetsError, match="column 'os_months', row 2"):
        kaplan_meier(pd.Series([1, 2, -1], name="os_months"), [1, 1, 1])


def test_median_midpoint_and_not_reached() -> None:
    # S = 5/6, 4/6, 3/6 = 0.5 exactly on [3, 4): the median is (3 + 4) / 2
    assert median_survival(kaplan_meier([1, 2, 3, 4, 5, 6], [1] * 6)).median == 3.5
    med = median_survival(kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]))  # S = 0.75 at the end
    assert math.isnan(med.median) and math.isnan(med.upper)  # never inf


def test_survival_at_by_hand() -> None:
    km = kaplan_meier(TIME, EVENT)
    got = survival_at(km, [0, 2, 2.5, 6, 7])
    np.testing.assert_array_equal(got.n_risk, [10, 8, 5, 1, 0])  # at risk at t-0
    np.testing.assert_allclose(got.survival[:4], [1.0, 0.675, 0.675, 0.0])  # events at t count
    assert got.loc[0, ["lower", "upper"]].tolist() == [1.0, 1.0]
    assert got.loc[4, ["survival", "lower", "upper"]].isna().all()  # past last follow-up


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


def test_matches_lifelines_kaplan_meier_and_loglog_band() -> None:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(20201)  # named seed: the paper's year and issue
    time = np.round(rng.exponential(20, 300), 1)
    event = (rng.random(300) < 0.8).astype(int)
    km = kaplan_meier(time, event, conf_type="log-log")
    fitter = KaplanMeierFitter().fit(time, event)
    surv = fitter.survival_function_["KM_estimate"].reindex(km.time).to_numpy()
    np.testing.assert_allclose(km.surv, surv, rtol=1e-12)
    band = fitter.confidence_interval_.reindex(km.time).to_numpy()
    inside = (km.surv > 0) & (km.surv < 1)
    np.testing.assert_allclose(km.lower[inside], band[inside, 0], rtol=1e-9)
    np.testing.assert_allclose(km.upper[inside], band[inside, 1], rtol=1e-9)


def test_logrank_matches_lifelines() -> None:
    from lifelines.statistics import logrank_test as lifelines_logrank

    rng = np.random.default_rng(20201)
    t = np.round(rng.exponential(20, 400), 0)
    e = (rng.random(400) < 0.7).astype(int)
    g = rng.integers(0, 2, 400)
    ours = logrank_test(t, e, g)
    theirs = lifelines_logrank(t[g == 0], t[g == 1], e[g == 0], e[g == 1])
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)
