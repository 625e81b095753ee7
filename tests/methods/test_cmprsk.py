"""spinemets.methods.cmprsk against R (cmprsk::cuminc, survival::finegray + coxph).

Reference values: tests/fixtures/r_competing_risks/ (survival::mgus2 and a 24-row toy set,
written by tests/fixtures/r_competing_risks.R) and tests/fixtures/r_methods/cmprsk.json
(pbc, mgus2 and a tied edge case, with strata; written by tests/fixtures/r_methods.R).
Curves, variances and statistics agree to 1e-9 relative. Gray's p: R computes
``1 - pchisq()``, which cancels to 0 below ~1e-16 and loses relative precision well
before (about 1e-16 / p); p is compared to 1e-9 relative plus 1e-15 absolute.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from r_reference import FIXTURES, close, label, mat, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.cmprsk import cuminc, cuminc_band, finegray, finegray_cox, gray_test
from spinemets.methods.km import kaplan_meier

OLD = FIXTURES / "r_competing_risks"
CUMINC_CASES = [("toy", "arm"), ("toy", "site"), ("mgus2", "sex"), ("mgus2", "agegroup")]


def _old_data(name: str) -> pd.DataFrame:
    return pd.read_csv(OLD / f"data_{name}.csv")


def _old(name: str) -> dict:
    return json.loads((OLD / name).read_text())


# ----------------------------------------------------------------------------- by hand


def test_cuminc_hand_arithmetic() -> None:
    # n = 4: t=1 cause 1, t=2 cause 2, t=3 cause 1, t=4 censored.
    # F1(1) = 1/4; S(1) = 3/4; S(2) = 1/2; F1(3) = 1/4 + (1/2)(1/2) = 1/2. F2(2) = (3/4)(1/3).
    curves = cuminc([1, 2, 3, 4], [1, 2, 1, 0])
    f1 = curves[("all", 1)]
    np.testing.assert_allclose(f1.time, [0, 1, 1, 3, 3, 4])
    np.testing.assert_allclose(f1.est, [0, 0, 0.25, 0.25, 0.5, 0.5])
    np.testing.assert_allclose(curves[("all", 2)].est, [0, 0, 0.25, 0.25])


def test_bad_cause_is_refused() -> None:
    with pytest.raises(SpinemetsError, match=r"column 'cause', row 1: cause -3.0"):
        cuminc([1, 2], [1, -3])


def test_cuminc_without_competing_events_is_one_minus_km() -> None:
    d = _old_data("toy")
    cause = np.where(d["cause"] == 1, 1, 0)
    curve = cuminc(d["time"], cause)[("all", 1)]
    km = kaplan_meier(d["time"], cause)
    est, _ = curve.at(km.time)
    np.testing.assert_allclose(est, 1 - km.surv, rtol=1e-12)


def test_cuminc_is_invariant_to_row_order() -> None:
    d = _old_data("toy")
    shuffled = d.sample(frac=1, random_state=3)
    a = cuminc(d["time"], d["cause"], d["arm"])
    b = cuminc(shuffled["time"], shuffled["cause"], shuffled["arm"])
    for key, curve in a.items():
        np.testing.assert_array_equal(curve.est, b[key].est)
        np.testing.assert_array_equal(curve.var, b[key].var)


def test_band_stays_inside_unit_interval() -> None:
    lower, upper = cuminc_band(np.array([0.01, 0.5, 0.99]), np.array([1e-5, 0.002, 1e-5]))
    assert np.all((lower > 0) & (lower < upper) & (upper < 1))


def test_gray_needs_two_groups() -> None:
    with pytest.raises(SpinemetsError, match="at least 2 groups"):
        gray_test([1, 2, 3], [1, 2, 0], ["a", "a", "a"])


# --------------------------------------------------------------- R: mgus2 and a toy set


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
def test_cuminc_matches_r(data: str, group: str) -> None:
    d = _old_data(data)
    ref = _old(f"cuminc_{data}_{group}.json")
    curves = cuminc(d["time"], d["cause"], d[group])
    assert [f"{g} {k}" for g, k in curves] == [c["name"] for c in ref["curves"]]
    for c in ref["curves"]:
        mine = curves[(c["group"], c["cause"])]
        for key in ("time", "est", "var"):
            close(getattr(mine, key), vec(c[key]), atol=1e-15)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
def test_timepoints_match_r(data: str, group: str) -> None:
    d = _old_data(data)
    ref = _old(f"cuminc_{data}_{group}.json")["timepoints"]
    curves = cuminc(d["time"], d["cause"], d[group])
    for i, name in enumerate(ref["names"]):
        g, k = name.rsplit(" ", 1)
        est, var = curves[(g, int(k))].at(ref["times"])
        close(est, vec(ref["est"][i]), atol=1e-15)
        close(var, vec(ref["var"][i]), atol=1e-15)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
@pytest.mark.parametrize("conf_type", ["log-log", "plain"])
def test_band_matches_r(data: str, group: str, conf_type: str) -> None:
    ref = _old(f"cuminc_{data}_{group}.json")
    prefix = "loglog" if conf_type == "log-log" else "plain"
    for c in ref["curves"]:
        lower, upper = cuminc_band(np.array(c["est"]), np.array(c["var"]), 0.95, conf_type)
        r_lower, r_upper = vec(c[f"{prefix}_lower"]), vec(c[f"{prefix}_upper"])
        if conf_type == "log-log":  # R gives NaN (0 log 0) or the point itself at F = 0
            undefined = np.array(c["est"]) == 0
            r_lower[undefined] = r_upper[undefined] = np.nan
        close(lower, r_lower, atol=1e-15)
        close(upper, r_upper, atol=1e-15)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
@pytest.mark.parametrize("rho", [0, 1])
def test_gray_matches_r(data: str, group: str, rho: int) -> None:
    d = _old_data(data)
    for r in _old(f"cuminc_{data}_{group}.json")[f"gray_rho{rho}"]:
        res = gray_test(d["time"], d["cause"], d[group], r["cause"], rho)
        assert res.df == r["df"]
        close(res.stat, r["stat"])
        close(res.p, r["pv"], atol=1e-15)


def test_finegray_rows_match_r() -> None:
    d = _old_data("toy")
    mine = finegray(d["time"], d["cause"])
    ref = pd.read_csv(OLD / "finegray_rows_toy.csv")
    assert len(mine) == len(ref)
    np.testing.assert_array_equal(mine["row"].to_numpy() + 1, ref["id"])
    for col in ("fgstart", "fgstop", "fgstatus", "fgwt"):
        close(mine[col], ref[col], rtol=1e-12)


def _finegray_rows_one_by_one(t: np.ndarray, c: np.ndarray, cause: int) -> pd.DataFrame:
    """finegray's rows subject by subject, as survival::finegray describes them (the
    plain loop the vectorised construction replaced)."""
    order = np.lexsort((c == 0, t))
    ts, cs = t[order], c[order]
    cens = cs == 0
    ctimes, first = np.unique(ts[cens], return_index=True)
    n_at = (t.size - np.arange(t.size))[np.flatnonzero(cens)[first]]
    d_at = np.bincount(np.searchsorted(ctimes, ts[cens]), minlength=ctimes.size)
    ct2 = np.r_[ctimes, t.max()]
    cp2 = np.r_[1.0, np.cumprod(1 - d_at / n_at)]
    hit = np.searchsorted(ct2, np.unique(t[c == cause]), side="left")
    keep = np.zeros(ct2.size, dtype=bool)
    keep[hit[hit < ct2.size]] = True
    keep[0] = True
    zero = 0.0 if t.min() > 0 else 2 * t.min() - 1
    recs = []
    for i in range(t.size):
        if c[i] == 0 or c[i] == cause:
            recs.append((i, zero, t[i], int(c[i] == cause), 1.0))
            continue
        j = min(int(np.searchsorted(ct2, t[i], side="left")), ct2.size - 1)
        recs.append((i, zero, ct2[j], 0, 1.0))
        recs += [
            (i, ct2[k - 1], ct2[k], 0, cp2[k] / cp2[j]) for k in range(j + 1, ct2.size) if keep[k]
        ]
    return pd.DataFrame(recs, columns=["row", "fgstart", "fgstop", "fgstatus", "fgwt"])


@pytest.mark.parametrize("seed", range(6))
def test_finegray_rows_equal_the_subject_by_subject_construction(seed: int) -> None:
    """The rows are built for all subjects at once; built one subject at a time they are
    the same, value for value (ties, times 0, competing events after the last censoring,
    no competing events)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    t = np.round(rng.exponential(4, n), seed % 3)
    c = rng.choice([0, 1, 2, 3], n, p=[0.3, 0.3, 0.3, 0.1] if seed % 4 else [0.5, 0.5, 0, 0])
    c[0] = 1
    mine = finegray(t, c, timefix=False)
    plain = _finegray_rows_one_by_one(t, c, 1)
    pd.testing.assert_frame_equal(mine, plain, check_exact=True)


@pytest.mark.parametrize(("data", "covariates"), [("toy", ["x", "z"]), ("mgus2", ["male", "age"])])
def test_finegray_breslow_matches_r(data: str, covariates: list[str]) -> None:
    d = _old_data(data)
    ref = _old(f"finegray_{data}.json")
    fit = finegray_cox(d["time"], d["cause"], d[covariates], ties="breslow")
    close(fit.cox.coef, vec(ref["coef"]))
    close(fit.cox.naive_se, vec(ref["se_model"]))
    close(fit.cox.se, vec(ref["se_robust_cluster"]))
    close(fit.cox.loglik, vec(ref["loglik"]))
    assert fit.n_rows == ref["n_rows"]
    rows = finegray_cox(d["time"], d["cause"], d[covariates], ties="breslow", cluster="row")
    if "se_robust_rows" in ref:
        close(rows.cox.se, vec(ref["se_robust_rows"]))
    # and close to cmprsk::crr (a different estimator of the same model)
    np.testing.assert_allclose(fit.cox.coef, ref["crr_coef"], rtol=0.05)


# ------------------------------------------- R: pbc, mgus2 and ties, with strata and rho


def _cases() -> list[pytest.param]:
    return [
        pytest.param(i, id=f"{c['dataset']}-{c['group_col'] or 'none'}-{c['strata_col'] or 'none'}")
        for i, c in enumerate(r_json("cmprsk")["cuminc"])
    ]


def _case_data(case: dict) -> pd.DataFrame:
    cols = [case["time_col"], case["cause_col"], case["group_col"], case["strata_col"]]
    return r_data(case["dataset"]).dropna(subset=[c for c in cols if c])


@pytest.mark.parametrize("index", _cases())
def test_cuminc_and_gray_match_r_on_new_data(index: int) -> None:
    case = r_json("cmprsk")["cuminc"][index]
    d = _case_data(case)
    group = d[case["group_col"]] if case["group_col"] else None
    strata = d[case["strata_col"]] if case["strata_col"] else None
    time, cause = d[case["time_col"]], d[case["cause_col"]]
    if "curves" in case:
        curves = cuminc(time, cause, group, timefix=False)
        names = [f"{g} {k}" if group is not None else f"1 {k}" for g, k in curves]
        assert names == [c["name"] for c in case["curves"]]
        for mine, ref in zip(curves.values(), case["curves"], strict=True):
            for field in ("time", "est", "var"):
                close(getattr(mine, field), vec(ref[field]), atol=1e-15)
        tp = case["timepoints"][0]
        for i, row in enumerate(np.atleast_1d(tp["rows"])):
            g, k = str(row).rsplit(" ", 1)
            est, var = curves[(g if group is not None else "all", int(k))].at([365, 1000, 3000])
            close(est, vec(tp["est"][i] if np.ndim(tp["est"]) > 1 else tp["est"]), atol=1e-15)
            close(var, vec(tp["var"][i] if np.ndim(tp["var"]) > 1 else tp["var"]), atol=1e-15)
    for rho in (0, 1):
        ref = case.get(f"tests_rho{rho}")
        if ref is None:
            continue
        for cause_label, stat, pv, df in zip(
            np.atleast_1d(ref["causes"]),
            vec(ref["stat"]),
            vec(ref["pv"]),
            vec(ref["df"]),
            strict=True,
        ):
            res = gray_test(time, cause, group, int(cause_label), rho, strata, timefix=False)
            assert res.df == df
            close(res.stat, stat)
            close(res.p, pv, atol=1e-15)


def _fg_cases() -> list[pytest.param]:
    return [pytest.param(i, id=f["dataset"]) for i, f in enumerate(r_json("cmprsk")["finegray"])]


@pytest.mark.parametrize("index", _fg_cases())
def test_finegray_cox_matches_r(index: int) -> None:
    case = r_json("cmprsk")["finegray"][index]
    terms = list(np.atleast_1d(case["terms"]))
    d = r_data(case["dataset"]).dropna(subset=[case["time_col"], case["cause_col"], *terms])
    time, cause = d[case["time_col"]], d[case["cause_col"]]
    rows = finegray(time, cause, case["etype"])
    assert len(rows) == case["n_rows"] and rows.fgstatus.sum() == case["events"]
    close(rows.fgwt.sum(), case["weight_sum"])
    if case["rows"] is not None:
        ref = case["rows"]
        np.testing.assert_array_equal(rows.row, vec(ref["row"]))
        for col in ("fgstart", "fgstop", "fgstatus", "fgwt"):
            close(rows[col], vec(ref[col]), rtol=1e-12)
    x = d[terms].copy()
    for col in terms:
        if isinstance(x[col].dtype, pd.CategoricalDtype):  # R's treatment contrast
            levels = list(x[col].cat.categories)
            x = x.drop(columns=col).assign(
                **{f"{col}{levels[1]}": (d[col] == levels[1]).astype(float)}
            )
    p = len(terms)
    by_subject = finegray_cox(time, cause, x, case["etype"])
    by_row = finegray_cox(time, cause, x, case["etype"], cluster="row")
    assert list(by_subject.covariates) == [label(n) for n in np.atleast_1d(case["names"])]
    close(by_subject.cox.coef, vec(case["coef"]))
    close(by_subject.cox.naive_var, mat(case["naive_var"], p))
    close(by_subject.cox.var, mat(case["var_id"], p))
    close(by_row.cox.var, mat(case["var_row"], p))
    close(by_subject.cox.loglik, vec(case["loglik"]))
    close(by_subject.cox.wald_test, case["wald_id"])
    close(by_subject.cox.robust_score_test, vec(case["rscore_id"]))
