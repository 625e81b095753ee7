"""spinemets.methods.km: Kaplan-Meier, band, medians, milestone rates, reverse KM.

R reference values: tests/fixtures/r_survival/ (lung, veteran, colon, toy sets, the
synthetic cohort; written by tests/fixtures/r_survival.R) and tests/fixtures/r_methods/
(pbc, ovarian, aml, retinopathy, rotterdam, flchain, nwtco, kidney, mgus2, gbsg,
myeloid, jasa and edge cases; written by tests/fixtures/r_methods.R). Estimates agree
to 1e-9 relative; counts, numbers at risk and medians exactly (1e-13: R writes 15
significant digits).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from r_reference import FIXTURES, close, label, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.km import (
    kaplan_meier,
    median_follow_up,
    median_survival,
    reverse_kaplan_meier,
    survival_at,
)

# Ten subjects with an event and a censoring tied at t = 1 and t = 2 (R's toy_ties).
TIME = [1, 1, 2, 2, 2, 3, 4, 4, 5, 6]
EVENT = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]
EXACT = 1e-13
CONF_SUFFIX = {"log": "log", "log-log": "loglog", "plain": "plain"}


# ----------------------------------------------------------------------------- by hand


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


def test_reverse_km_swaps_events_and_censorings() -> None:
    rev = reverse_kaplan_meier(TIME, EVENT)
    np.testing.assert_array_equal(rev.n_event, [1, 1, 1, 0, 1, 0])
    assert median_follow_up(TIME, EVENT).median == median_survival(rev).median


# ----------------------------------------------------------------------------- bad input


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


# ------------------------------------------------------- R: survival's lung, veteran, colon

R_SURVIVAL = FIXTURES / "r_survival"


@cache
def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(R_SURVIVAL / f"{name}.csv", dtype={"group": str}, keep_default_na=True)


@cache
def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(R_SURVIVAL / f"data_{name}.csv")


def subset(name: str, strata: str, group: str) -> pd.DataFrame:
    data = dataset(name)
    return data if strata == "all" else data[data[strata].astype(str) == group]


def _curves() -> list[tuple[str, str, str]]:
    km = reference("km")
    return [tuple(k) for k in km[["dataset", "strata", "group"]].drop_duplicates().to_numpy()]


def _rows(ref_name: str) -> list[tuple[str, str, str, str]]:
    keys = reference(ref_name)[["dataset", "strata", "group", "conf_type"]].drop_duplicates()
    return [tuple(k) for k in keys.to_numpy()]


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize(("name", "strata", "group"), _curves())
def test_km_tables_match_r(name: str, strata: str, group: str, conf_type: str) -> None:
    ref = reference("km")
    ref = ref[(ref.dataset == name) & (ref.strata == strata) & (ref.group == group)]
    d = subset(name, strata, group)
    km = kaplan_meier(d.time, d.event, conf_type=conf_type)
    close(km.time, ref.time, EXACT)
    np.testing.assert_array_equal(km.n_risk, ref.n_risk)
    np.testing.assert_array_equal(km.n_event, ref.n_event)
    np.testing.assert_array_equal(km.n_censor, ref.n_censor)
    close(km.surv, ref.surv)
    close(km.std_err, ref.std_err)
    suffix = CONF_SUFFIX[conf_type]
    close(km.lower, ref[f"lower_{suffix}"])
    close(km.upper, ref[f"upper_{suffix}"])


@pytest.mark.parametrize(("name", "strata", "group", "conf_type"), _rows("medians"))
def test_medians_match_r(name: str, strata: str, group: str, conf_type: str) -> None:
    ref = reference("medians")
    row = ref[
        (ref.dataset == name)
        & (ref.strata == strata)
        & (ref.group == group)
        & (ref.conf_type == conf_type)
    ].iloc[0]
    d = subset(name, strata, group)
    km = kaplan_meier(d.time, d.event, conf_type=conf_type)
    assert (km.n, km.events) == (row.n, row.events)
    close(median_survival(km), [row["median"], row["lower"], row["upper"]], EXACT)


def test_median_rules_on_edge_cases() -> None:
    """The toy sets pin R's midpoint rule and where quantile.survfit differs."""
    ref = reference("medians")
    ref = ref[(ref.strata == "all") & (ref.conf_type == "log")].set_index("dataset")
    assert ref.loc["toy_half", "median"] == 3.5  # S = 0.5 on [3, 4): midpoint
    assert ref.loc["toy_flat_end", "median"] == 2  # print.survfit
    assert ref.loc["toy_flat_end", "quantile_median"] == 3  # quantile.survfit
    d = dataset("toy_flat_end")
    assert median_survival(kaplan_meier(d.time, d.event)).median == 2


@pytest.mark.parametrize(("name", "strata", "group", "conf_type"), _rows("milestones"))
def test_milestones_match_r(name: str, strata: str, group: str, conf_type: str) -> None:
    ref = reference("milestones")
    ref = ref[
        (ref.dataset == name)
        & (ref.strata == strata)
        & (ref.group == group)
        & (ref.conf_type == conf_type)
    ]
    d = subset(name, strata, group)
    got = survival_at(kaplan_meier(d.time, d.event, conf_type=conf_type), ref.time)
    np.testing.assert_array_equal(got.n_risk, ref.n_risk)
    kept = ref.kept_by_extend_false.to_numpy()
    for col, ref_col in [("survival", "surv"), ("lower", "lower"), ("upper", "upper")]:
        close(got[col][kept], ref[ref_col][kept])
        # R's summary(extend = FALSE) drops these rows; we keep them, undefined.
        assert got[col][~kept].isna().all()


# ------------------------------------------------ R: data sets the project never used


def _methods_curves() -> list[pytest.param]:
    return [
        pytest.param(i, id=f"{c['dataset']}-{c['group_col']}-{c['group']}")
        for i, c in enumerate(r_json("km"))
    ]


def _curve_data(case: dict) -> tuple[pd.Series, pd.Series]:
    d = r_data(case["dataset"])
    cols = [case["time_col"], case["event_col"], case["group_col"]]
    d = d.dropna(subset=cols)
    if case["group"] != "all":
        d = d[d[case["group_col"]].map(label) == case["group"]]
    return d[case["time_col"]], d[case["event_col"]]


@pytest.mark.parametrize("index", _methods_curves())
def test_km_matches_r(index: int) -> None:
    case = r_json("km")[index]
    time, event = _curve_data(case)
    for conf_type in ("log", "log-log", "plain"):
        if conf_type not in case:
            continue
        ref = case[conf_type]
        km = kaplan_meier(time, event, conf_type=conf_type)
        close(km.time, vec(case["time"]), EXACT)
        np.testing.assert_array_equal(km.n_risk, vec(case["n_risk"]))
        np.testing.assert_array_equal(km.n_event, vec(case["n_event"]))
        np.testing.assert_array_equal(km.n_censor, vec(case["n_censor"]))
        close(km.surv, vec(case["surv"]))
        close(km.std_err, vec(case["std_err"]))
        close(km.lower, vec(ref["lower"]))
        close(km.upper, vec(ref["upper"]))
        close(median_survival(km), vec(ref["median"]), EXACT)
        at = survival_at(km, vec(ref["at_time"]))
        np.testing.assert_array_equal(at.n_risk, vec(ref["at_n_risk"]))
        # R's summary(extend = TRUE) carries S past the last follow-up; we leave it empty
        kept = vec(ref["at_time"]) <= km.time[-1]
        close(at.survival[kept], vec(ref["at_surv"])[kept])
        close(at.lower[kept], vec(ref["at_lower"])[kept])
        close(at.upper[kept], vec(ref["at_upper"])[kept])
        assert at.loc[~kept, ["survival", "lower", "upper"]].isna().all(axis=None)


@pytest.mark.parametrize("index", _methods_curves())
def test_reverse_km_matches_r(index: int) -> None:
    case = r_json("km")[index]
    time, event = _curve_data(case)
    close(median_follow_up(time, event), vec(case["reverse_median"]), EXACT)


def test_near_equal_times_are_one_time_as_in_r() -> None:
    """0.1 + 0.2 and 0.3 differ in the last bit; R's survfit makes them one time."""
    case = next(c for c in r_json("km") if c["dataset"] == "edge_near" and c["group"] == "all")
    d = r_data("edge_near")
    assert d.time[0] != d.time[1]  # the data really hold two different doubles
    km = kaplan_meier(d.time, d.event)
    assert km.time.size == len(vec(case["time"])) == d.time.nunique() - 3
    assert km.n_event[0] == 2
    unmerged = kaplan_meier(d.time, d.event, timefix=False)
    assert unmerged.time.size == d.time.nunique()
    # merging removes the inner steps only: just after each run S is the same
    after = survival_at(unmerged, km.time[:-1] + 1e-6).survival
    np.testing.assert_allclose(after, km.surv[:-1], rtol=1e-12)


# ----------------------------------------------------------------------------- lifelines


def test_matches_lifelines_kaplan_meier_and_loglog_band() -> None:
    """lifelines as a second oracle: its band is R's log-log ("exponential Greenwood")."""
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
