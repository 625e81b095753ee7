"""spinemets.competing_risks against R (cmprsk::cuminc, survival::finegray + coxph).

Reference values: tests/fixtures/r_competing_risks/*.json, written by
tests/fixtures/r_competing_risks.R (survival::mgus2 and a 24-row toy set with ties of
events of both causes and censorings). Hand-computed cases check the coding and the
estimator on a few rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets import competing_risks as cr
from spinemets.errors import SpinemetsError

FIXTURES = Path(__file__).parent / "fixtures" / "r_competing_risks"
RTOL = 1e-6
CUMINC_CASES = [("toy", "arm"), ("toy", "site"), ("mgus2", "sex"), ("mgus2", "agegroup")]


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"data_{name}.csv")


def _ref(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _arr(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


# ----------------------------------------------------------------- event coding


def test_local_progression_events() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [10.0, 20.0, 5.0, 7.0],
            "death": [1, 1, 0, 1],
            "lp_months": [4.0, 20.0, 5.0, 7.0],
            "local_progression": [1, 0, 0, 1],
        },
        index=["p1", "p2", "p3", "p4"],
    )
    ev = cr.local_progression_events(patients)
    assert ev["time"].tolist() == [4.0, 20.0, 5.0, 7.0]
    assert ev["cause"].tolist() == [1, 2, 0, 1]
    assert ev.index.tolist() == ["p1", "p2", "p3", "p4"]


def test_local_progression_after_death_is_refused() -> None:
    patients = pd.DataFrame(
        {"os_months": [10.0], "death": [1], "lp_months": [12.0], "local_progression": [1]},
        index=["p7"],
    )
    with pytest.raises(
        SpinemetsError, match=r"row 'p7', column lp_months: value 12 is after os_months 10"
    ):
        cr.local_progression_events(patients)


def test_bad_cause_is_refused() -> None:
    with pytest.raises(SpinemetsError, match=r"cause\[1\] = 3; expected"):
        cr.cuminc([1, 2], [1, 3])


# -------------------------------------------------------------- cumulative incidence


def test_cuminc_hand_arithmetic() -> None:
    # n = 4: t=1 cause 1, t=2 cause 2, t=3 cause 1, t=4 censored.
    # F1(1) = 1/4; S(1) = 3/4; S(2) = 1/2; F1(3) = 1/4 + (1/2)(1/2) = 1/2. F2(2) = (3/4)(1/3).
    curves = cr.cuminc([1, 2, 3, 4], [1, 2, 1, 0])
    f1 = curves[("all", 1)]
    np.testing.assert_allclose(f1.time, [0, 1, 1, 3, 3, 4])
    np.testing.assert_allclose(f1.est, [0, 0, 0.25, 0.25, 0.5, 0.5])
    np.testing.assert_allclose(curves[("all", 2)].est, [0, 0, 0.25, 0.25])


def test_cuminc_without_competing_events_is_one_minus_km() -> None:
    from spinemets.survival import kaplan_meier

    d = _data("toy")
    cause = np.where(d["cause"] == 1, 1, 0)
    curve = cr.cuminc(d["time"], cause)[("all", 1)]
    km = kaplan_meier(d["time"], cause)
    est, _ = curve.at(km.time)
    np.testing.assert_allclose(est, 1 - km.surv, rtol=1e-12)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
def test_cuminc_matches_r(data: str, group: str) -> None:
    d = _data(data)
    ref = _ref(f"cuminc_{data}_{group}.json")
    curves = cr.cuminc(d["time"], d["cause"], d[group])
    assert [f"{g} {k}" for g, k in curves] == [c["name"] for c in ref["curves"]]
    for c in ref["curves"]:
        mine = curves[(c["group"], c["cause"])]
        for key in ("time", "est", "var"):
            np.testing.assert_allclose(getattr(mine, key), c[key], rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
def test_timepoints_match_r(data: str, group: str) -> None:
    d = _data(data)
    ref = _ref(f"cuminc_{data}_{group}.json")["timepoints"]
    curves = cr.cuminc(d["time"], d["cause"], d[group])
    for i, name in enumerate(ref["names"]):
        g, k = name.rsplit(" ", 1)
        est, var = curves[(g, int(k))].at(ref["times"])
        np.testing.assert_allclose(est, _arr(ref["est"][i]), rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(var, _arr(ref["var"][i]), rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
@pytest.mark.parametrize("conf_type", ["log-log", "plain"])
def test_band_matches_r(data: str, group: str, conf_type: str) -> None:
    ref = _ref(f"cuminc_{data}_{group}.json")
    prefix = "loglog" if conf_type == "log-log" else "plain"
    for c in ref["curves"]:
        lower, upper = cr.cuminc_band(np.array(c["est"]), np.array(c["var"]), 0.95, conf_type)
        r_lower, r_upper = _arr(c[f"{prefix}_lower"]), _arr(c[f"{prefix}_upper"])
        if conf_type == "log-log":  # R gives NaN (0 log 0) or the point itself at F = 0
            undefined = np.array(c["est"]) == 0
            r_lower[undefined] = r_upper[undefined] = np.nan
        np.testing.assert_allclose(lower, r_lower, rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(upper, r_upper, rtol=RTOL, atol=1e-14)


def test_band_stays_inside_unit_interval() -> None:
    lower, upper = cr.cuminc_band(np.array([0.01, 0.5, 0.99]), np.array([1e-5, 0.002, 1e-5]))
    assert np.all((lower > 0) & (lower < upper) & (upper < 1))


def test_cuminc_is_invariant_to_row_order() -> None:
    d = _data("toy")
    shuffled = d.sample(frac=1, random_state=3)
    a = cr.cuminc(d["time"], d["cause"], d["arm"])
    b = cr.cuminc(shuffled["time"], shuffled["cause"], shuffled["arm"])
    for key, curve in a.items():
        np.testing.assert_array_equal(curve.est, b[key].est)
        np.testing.assert_array_equal(curve.var, b[key].var)


# ----------------------------------------------------------------------- Gray's test


@pytest.mark.parametrize(("data", "group"), CUMINC_CASES)
@pytest.mark.parametrize("rho", [0, 1])
def test_gray_matches_r(data: str, group: str, rho: int) -> None:
    d = _data(data)
    for r in _ref(f"cuminc_{data}_{group}.json")[f"gray_rho{rho}"]:
        res = cr.gray_test(d["time"], d["cause"], d[group], r["cause"], rho)
        assert res.df == r["df"]
        np.testing.assert_allclose(res.stat, r["stat"], rtol=RTOL)
        # R computes 1 - pchisq(), which is 0 below about 1e-16; ours keeps the tail
        np.testing.assert_allclose(res.p, r["pv"], rtol=RTOL, atol=1e-15)


def test_gray_needs_two_groups() -> None:
    with pytest.raises(SpinemetsError, match="at least 2 groups"):
        cr.gray_test([1, 2, 3], [1, 2, 0], ["a", "a", "a"])


# ------------------------------------------------------------------------ Fine-Gray


def test_finegray_rows_match_r() -> None:
    d = _data("toy")
    mine = cr.finegray_rows(d["time"], d["cause"])
    ref = pd.read_csv(FIXTURES / "finegray_rows_toy.csv")
    assert len(mine) == len(ref)
    np.testing.assert_array_equal(mine["row"].to_numpy() + 1, ref["id"])
    for col in ("fgstart", "fgstop", "fgstatus", "fgwt"):
        np.testing.assert_allclose(mine[col], ref[col], rtol=1e-12)


def test_finegray_rows_mgus2_match_r() -> None:
    d = _data("mgus2")
    ref = _ref("finegray_mgus2.json")
    mine = cr.finegray_rows(d["time"], d["cause"])
    assert len(mine) == ref["n_rows"]
    assert int(mine["fgstatus"].sum()) == ref["n_events"]
    np.testing.assert_allclose(mine["fgwt"].sum(), ref["weight_sum"], rtol=1e-10)
    head = ref["rows_head"]
    np.testing.assert_array_equal(d["id"].to_numpy()[mine["row"][:40]], head["id"])
    np.testing.assert_allclose(mine["fgwt"][:40], head["fgwt"], rtol=1e-12)
    np.testing.assert_allclose(mine["fgstop"][:40], head["fgstop"], rtol=1e-12)


@pytest.mark.parametrize(("data", "covariates"), [("toy", ["x", "z"]), ("mgus2", ["male", "age"])])
def test_finegray_matches_r(data: str, covariates: list[str]) -> None:
    d = _data(data)
    ref = _ref(f"finegray_{data}.json")
    fit = cr.finegray_cox(d, "time", "cause", covariates)
    np.testing.assert_allclose(fit.cox.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.cox.se, ref["se_model"], rtol=RTOL)
    np.testing.assert_allclose(fit.cox.se_robust, ref["se_robust_cluster"], rtol=RTOL)
    np.testing.assert_allclose(fit.cox.loglik, ref["loglik"], rtol=RTOL)
    assert fit.n_rows == ref["n_rows"]
    # and close to cmprsk::crr (a different estimator of the same model)
    np.testing.assert_allclose(fit.cox.coef, ref["crr_coef"], rtol=0.05)


def test_finegray_row_level_robust_matches_r() -> None:
    from spinemets.landmark import coxph_counting

    d = _data("toy")
    ref = _ref("finegray_toy.json")
    fg = cr.finegray_rows(d["time"], d["cause"])
    x = d[["x", "z"]].to_numpy()[fg["row"]]
    fit = coxph_counting(
        fg["fgstart"], fg["fgstop"], fg["fgstatus"], x, weights=fg["fgwt"], ties="breslow"
    )
    np.testing.assert_allclose(fit.se_robust, ref["se_robust_rows"], rtol=RTOL)


def test_tables_have_contract_columns() -> None:
    d = _data("toy")
    tab = cr.cumulative_incidence_table(d["time"], d["cause"], d["arm"], strata="arm")
    assert list(tab.columns) == [
        "strata", "group", "cause", "cause_label", "time", "n_events",
        "estimate", "std_err", "lower", "upper", "conf_type",
    ]  # fmt: skip
    assert (tab.groupby(["group", "cause"])["estimate"].diff().dropna() >= 0).all()
    gray = cr.gray_tests_table(d["time"], d["cause"], d["arm"], strata="arm")
    assert gray["cause"].tolist() == [1, 2]


def test_milestone_table_matches_r_timepoints() -> None:
    d = _data("toy")
    ref = _ref("cuminc_toy_arm.json")["timepoints"]
    tab = cr.cumulative_incidence_at(d["time"], d["cause"], d["arm"], ref["times"], "arm")
    for i, name in enumerate(ref["names"]):
        g, k = name.rsplit(" ", 1)
        got = tab[(tab["group"] == g) & (tab["cause"] == int(k))]["estimate"]
        np.testing.assert_allclose(got, _arr(ref["est"][i]), rtol=RTOL, atol=1e-14)
    # 1 - KM is never below the cumulative incidence of the same cause
    ok = tab.dropna(subset=["estimate", "one_minus_km"])
    assert (ok["one_minus_km"] >= ok["estimate"] - 1e-12).all()


def test_plot_cuminc_draws() -> None:
    import matplotlib.pyplot as plt

    d = _data("toy")
    fig, ax = plt.subplots()
    cr.plot_cuminc(ax, d["time"], d["cause"], d["arm"], title="toy")
    assert len(ax.get_lines()) == 4  # CIF and 1 - KM per group
    plt.close(fig)
