"""spinemets.survival against R's survival package.

Reference values: tests/fixtures/r_survival/*.csv, written by
``Rscript tests/fixtures/r_survival.R`` (R and survival versions in versions.json)
from the data sets it exports beside them. Estimates agree to 1e-6 relative;
counts, numbers at risk and medians exactly.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.survival import (
    cox_ph,
    kaplan_meier,
    logrank_test,
    median_survival,
    survival_at,
)

FIXTURES = Path(__file__).parent / "fixtures" / "r_survival"
RTOL = 1e-6
#: R writes 15 significant digits; medians are data values or midpoints of two.
EXACT = 1e-13
CONF_COLUMNS = {"log": "log", "log-log": "loglog", "plain": "plain"}


@cache
def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv", dtype={"group": str}, keep_default_na=True)


@cache
def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"data_{name}.csv")


def subset(name: str, strata: str, group: str) -> pd.DataFrame:
    data = dataset(name)
    return data if strata == "all" else data[data[strata].astype(str) == group]


def curves() -> list[tuple[str, str, str]]:
    km = reference("km")
    return [tuple(k) for k in km[["dataset", "strata", "group"]].drop_duplicates().to_numpy()]


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=rtol, atol=0, equal_nan=True
    )


def test_fixture_provenance() -> None:
    versions = json.loads((FIXTURES / "versions.json").read_text())
    assert versions["R"] and versions["survival"]
    assert {"lung", "veteran", "colon"} <= set(versions["datasets"])


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize(("name", "strata", "group"), curves())
def test_km_tables(name: str, strata: str, group: str, conf_type: str) -> None:
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
    suffix = CONF_COLUMNS[conf_type]
    close(km.lower, ref[f"lower_{suffix}"])
    close(km.upper, ref[f"upper_{suffix}"])


def _reference_rows(name: str, ref_name: str) -> list[tuple[str, str, str, str]]:
    ref = reference(ref_name)
    keys = ref[["dataset", "strata", "group", "conf_type"]].drop_duplicates()
    return [tuple(k) for k in keys.to_numpy() if k[0] == name or name == "*"]


@pytest.mark.parametrize(("name", "strata", "group", "conf_type"), _reference_rows("*", "medians"))
def test_medians(name: str, strata: str, group: str, conf_type: str) -> None:
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


@pytest.mark.parametrize(
    ("name", "strata", "group", "conf_type"), _reference_rows("*", "milestones")
)
def test_milestones(name: str, strata: str, group: str, conf_type: str) -> None:
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


def logrank_cases() -> list[tuple[str, str, float]]:
    ref = reference("logrank")
    return [(d, s, float(r)) for d, s, r in ref[["dataset", "strata", "rho"]].to_numpy()]


@pytest.mark.parametrize(("name", "strata", "rho"), logrank_cases())
def test_logrank(name: str, strata: str, rho: float) -> None:
    ref = reference("logrank")
    row = ref[(ref.dataset == name) & (ref.strata == strata) & (ref.rho == rho)].iloc[0]
    groups = reference("logrank_groups")
    groups = groups[(groups.dataset == name) & (groups.strata == strata) & (groups.rho == rho)]
    d = dataset(name)
    lr = logrank_test(d.time, d.event, d[strata], rho=rho)
    assert [str(g) for g in lr.groups] == list(groups.group)
    np.testing.assert_array_equal(lr.n, groups.n)
    close(lr.observed, groups.observed)
    close(lr.expected, groups.expected)
    assert lr.df == row.df
    close([lr.chisq, lr.p], [row.chisq, row.p])


@pytest.mark.parametrize("name", ["lung", "veteran", "colon"])
def test_cox(name: str) -> None:
    ref = reference("cox")
    ref = ref[ref.dataset == name]
    got = cox_ph(dataset(name), "time", "event", list(ref.term))
    assert list(got.term) == list(ref.term)
    for col in ["coef", "hr", "se", "lower", "upper", "z", "p"]:
        close(got[col], ref[col])
