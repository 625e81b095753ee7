"""spinemets.study.immortal_time against R (survival::tmerge, coxph, survfit, survdiff).

Reference values: tests/fixtures/r_landmark/*.json, written by tests/fixtures/r_landmark.R
on a 40-patient set (data_small.csv) with deaths, censorings, therapy starts and
landmarks tied at half months.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods.cmprsk import finegray, finegray_cox
from spinemets.methods.cox import coxph, coxph_frame
from spinemets.methods.km import kaplan_meier
from spinemets.methods.tmerge import counting_origin
from spinemets.study import competing_risks as cr
from spinemets.study import immortal_time as lm

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_landmark"
RTOL = 1e-9


@pytest.fixture(scope="module")
def small(landmark_cohort: pd.DataFrame) -> pd.DataFrame:
    return landmark_cohort


def _ref(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_landmark_matches_r(small: pd.DataFrame) -> None:
    ref = _ref("landmark.json")
    tab = lm.landmark_analyses(small, ref["landmarks"])
    for row, r in zip(tab.itertuples(), ref["results"], strict=True):
        assert row.landmark == r["landmark"]
        assert (row.n, row.n_treated, row.n_untreated) == (
            r["n"],
            r["n_targeted"],
            r["n_not_targeted"],
        )
        assert (row.events_treated, row.events_untreated) == (
            r["events_targeted"],
            r["events_not_targeted"],
        )
        np.testing.assert_allclose(row.logrank_chisq, r["logrank_chisq"], rtol=RTOL)
        np.testing.assert_allclose(row.logrank_p, r["logrank_p"], rtol=RTOL)
        np.testing.assert_allclose(row.hr, r["hr"], rtol=RTOL)
        np.testing.assert_allclose(row.hr_lower, r["hr_lower"], rtol=RTOL)
        np.testing.assert_allclose(row.hr_upper, r["hr_upper"], rtol=RTOL)
        np.testing.assert_allclose(row.hr_p, r["cox_p"], rtol=RTOL)


def test_landmark_km_matches_r(small: pd.DataFrame) -> None:
    for r in _ref("landmark.json")["results"]:
        d = lm.landmark_data(small, r["landmark"])
        km_ref = pd.DataFrame(r["km"])
        for label, treated in (("targeted", 1), ("not_targeted", 0)):
            g = d[d["treated"] == treated]
            km = kaplan_meier(g["time"], g["event"], conf_type="log")
            ref = km_ref[km_ref["group"] == label]
            np.testing.assert_allclose(km.time, ref["time"], rtol=1e-12)
            np.testing.assert_array_equal(km.n_risk, ref["n_risk"])
            np.testing.assert_allclose(km.surv, ref["surv"], rtol=RTOL)
            np.testing.assert_allclose(km.lower, ref["lower"], rtol=RTOL)
            np.testing.assert_allclose(km.upper, ref["upper"], rtol=RTOL)


def test_landmark_data_resets_the_clock() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [2.0, 3.0, 5.0, 8.0],
            "death": [1, 1, 0, 1],
            "adjuvant_therapy": ["targeted", "targeted", "cytokine", "targeted"],
            "adjuvant_start_months": [1.0, 3.0, 0.5, 4.0],
        }
    )
    d = lm.landmark_data(patients, 3)
    assert d.index.tolist() == [2, 3]  # alive after month 3 only
    assert d["time"].tolist() == [2.0, 5.0]
    assert d["treated"].tolist() == [0, 0]  # cytokine; targeted but started at month 4


def test_tmerge_rows_match_r(small: pd.DataFrame) -> None:
    ref = pd.DataFrame(_ref("tdcox.json")["rows"])
    rows = lm.tmerge_counting(small)
    np.testing.assert_array_equal(rows["row"].to_numpy() + 1, ref["id"])
    np.testing.assert_allclose(rows["tstart"], ref["tstart"])
    np.testing.assert_allclose(rows["tstop"], ref["tstop"])
    np.testing.assert_array_equal(rows["event"], ref["death"])
    np.testing.assert_array_equal(rows["treated"], ref["treated"])


@pytest.mark.parametrize("model", ["efron", "breslow", "efron_age"])
def test_td_cox_matches_r(small: pd.DataFrame, model: str) -> None:
    ref = _ref("tdcox.json")["models"][model]
    rows = lm.tmerge_counting(small)
    x = rows[["treated"]].to_numpy(dtype=float)
    if model == "efron_age":
        x = np.c_[x, small["age"].to_numpy()[rows["row"]]]
    fit = coxph(rows["tstop"], rows["event"], x, start=rows["tstart"], ties=model.split("_")[0])
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.se, ref["se"], rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=RTOL)
    np.testing.assert_allclose(fit.table()["p"], np.atleast_1d(ref["p"]), rtol=RTOL)


def test_time_dependent_table_matches_r(small: pd.DataFrame) -> None:
    ref = _ref("tdcox.json")
    tab = lm.time_dependent_cox(small).set_index("model")
    np.testing.assert_allclose(tab.loc["naive", "coef"], ref["naive"]["coef"], rtol=RTOL)
    np.testing.assert_allclose(tab.loc["naive", "se"], ref["naive"]["se"], rtol=RTOL)
    td = ref["models"]["efron"]
    np.testing.assert_allclose(tab.loc["time_dependent", "coef"], td["coef"], rtol=RTOL)
    np.testing.assert_allclose(tab.loc["time_dependent", "p"], td["p"], rtol=RTOL)
    assert tab.loc["time_dependent", "n_rows"] == len(ref["rows"]["id"])


def test_assumed_adjuvant_start() -> None:
    patients = pd.DataFrame(
        {
            "adjuvant_therapy": ["targeted"] * 50 + ["cytokine"] * 50,
            "os_months": np.r_[np.full(45, 30.0), np.full(5, 0.8), np.full(50, 30.0)],
        }
    )
    a = lm.assumed_adjuvant_start(patients, seed=1)
    b = lm.assumed_adjuvant_start(patients, seed=1)
    pd.testing.assert_series_equal(a, b)
    assert a.name == "adjuvant_start_months"
    assert not a.equals(lm.assumed_adjuvant_start(patients, seed=2))
    assert a[:45].between(1, 4).all()
    assert a[50:].between(0.5, 2).all()
    # not alive at the drawn start: started within 25-75 % of follow-up
    assert a[45:50].between(0.2, 0.6).all()
    assert (a < patients["os_months"]).all()


def test_simulation_shows_bias() -> None:
    sim = lm.simulate_immortal_time(n_patients=200, n_simulations=20, seed=7)
    again = lm.simulate_immortal_time(n_patients=200, n_simulations=20, seed=7)
    pd.testing.assert_frame_equal(sim, again)
    # therapy does nothing: the naive split flatters it, the remedies do not
    assert sim["naive_hr"].mean() < 0.95
    assert abs(np.log(sim["time_dependent_hr"]).mean()) < 0.1
    assert abs(np.log(sim["landmark_hr"]).mean()) < 0.1
    summary = lm.simulation_summary(sim, seed=7).set_index("method")
    assert list(summary.index) == ["naive", "time_dependent", "landmark_4_months"]
    naive = summary.loc["naive"]
    assert naive["median_hr"] == pytest.approx(np.median(sim["naive_hr"]))
    assert naive["hr_2.5pct"] == pytest.approx(np.quantile(sim["naive_hr"], 0.025))
    assert naive["share_hr_below_1"] == pytest.approx(np.mean(sim["naive_hr"] < 1))
    assert (summary["n_simulations"] == 20).all() and (summary["seed"] == 7).all()


def test_adjuvant_starts(small: pd.DataFrame) -> None:
    own = lm.adjuvant_starts(small)
    assert not own.assumed and "own column" in own.source
    pd.testing.assert_frame_equal(own.patients, small)
    bare = small.drop(columns=[lm.START_COL])
    assumed = lm.adjuvant_starts(bare, seed=3)
    assert assumed.assumed and "ASSUMED" in assumed.source and "seed=3" in assumed.source
    pd.testing.assert_series_equal(
        assumed.patients[lm.START_COL], lm.assumed_adjuvant_start(bare, seed=3)
    )
    assert lm.START_COL not in bare.columns  # the caller's table is left as it was
    summary = lm.start_summary(own).set_index("adjuvant_therapy")
    for therapy, row in summary.iterrows():
        starts = small.loc[small.adjuvant_therapy == therapy, lm.START_COL]
        assert row["n"] == len(starts) and row["started"] == starts.notna().sum()
        assert row["median"] == pytest.approx(starts.median(), nan_ok=True)
    assert (summary["source"] == "cohort").all()
    assert (lm.start_summary(assumed)["source"] == "assumed").all()


def test_counting_rows_example(small: pd.DataFrame) -> None:
    patients = small.assign(patient_id=[f"P{i}" for i in range(len(small))])
    example = lm.counting_rows_example(patients, n_patients=2)
    assert list(example.columns) == ["patient_id", "tstart", "tstop", "event", "treated"]
    assert example["patient_id"].nunique() == 2
    rows = lm.tmerge_counting(patients)
    for pid, part in example.groupby("patient_id"):
        i = int(pid[1:])
        expected = rows[rows["row"] == i][["tstart", "tstop", "event", "treated"]]
        np.testing.assert_array_equal(part.iloc[:, 1:].to_numpy(), expected.to_numpy())
        assert part["treated"].max() == 1


def test_counting_rows_summary(small: pd.DataFrame) -> None:
    rows = lm.tmerge_counting(small)
    summary = lm.counting_rows_summary(small).set_index("quantity")["n"]
    assert "patient_id" not in lm.counting_rows_summary(small).columns
    assert summary["patients"] == len(small) and summary["rows"] == len(rows)
    # a patient split at therapy start has two rows: rows = patients + splits
    assert summary["rows"] == summary["patients"] + summary["patients split at therapy start"]
    events = summary["events on untreated rows"] + summary["events on treated rows"]
    assert events == int(small["death"].sum())  # each death on exactly one row
    assert summary["treated rows"] == int((rows["treated"] == 1).sum())


def test_landmark_before_any_start_has_empty_tests(small: pd.DataFrame) -> None:
    tab = lm.landmark_analyses(small, [0.25])
    assert tab["n_treated"].iloc[0] == 0
    assert tab[["logrank_p", "hr", "hr_p"]].isna().all(axis=None)


def test_tmerge_start_at_zero_is_treated_throughout() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [5.0, 4.0],
            "death": [1, 0],
            "adjuvant_therapy": ["targeted", "cytokine"],
            "adjuvant_start_months": [0.0, 1.0],
        }
    )
    rows = lm.tmerge_counting(patients)
    assert rows[["row", "tstart", "tstop", "event", "treated"]].values.tolist() == [
        [0, 0.0, 5.0, 1, 1],
        [1, 0.0, 4.0, 0, 0],  # cytokine start does not count as targeted
    ]


def test_tmerge_refuses_negative_follow_up() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [-1.0],
            "death": [1],
            "adjuvant_therapy": ["cytokine"],
            "adjuvant_start_months": [np.nan],
        },
        index=["S9"],
    )
    with pytest.raises(SpinemetsError, match="row 'S9', column os_months: value -1"):
        lm.tmerge_counting(patients)


# R 4.2.2, survival 3.5.3, on this toy set (one death on the day of surgery):
#   d <- data.frame(id=1:6, t=c(0,5,6,7,8,9), s=c(1,1,0,1,1,0), x=c(1,0,1,0,1,0))
#   coef(coxph(Surv(t, s) ~ x, data=d))                       # 0.27394781732579
#   d$st <- factor(c(1,2,0,1,2,0), 0:2, c("cens","lp","death"))
#   fg <- finegray(Surv(t, st) ~ ., data=d, etype="lp")       # fgstart -1 on first rows
#   coef(coxph(Surv(fgstart, fgstop, fgstatus) ~ x, data=fg, weights=fgwt))  # 0.50580045583924
# (R's tmerge refuses an ending time of 0; we keep the patient, as finegray and coxph do.)
ZERO_TIME = pd.DataFrame(
    {
        "os_months": [0.0, 5, 6, 7, 8, 9],
        "death": [1, 1, 0, 1, 1, 0],
        "adjuvant_therapy": [
            "targeted",
            "cytokine",
            "targeted",
            "cytokine",
            "targeted",
            "cytokine",
        ],
        "cause": [1, 2, 0, 1, 2, 0],
    }
)


def test_zero_follow_up_is_kept_as_in_r() -> None:
    assert counting_origin(np.array([0.0, 5.0])) == -1.0
    table = lm.time_dependent_cox(
        ZERO_TIME.assign(adjuvant_start_months=[np.nan, np.nan, 1.0, np.nan, 2.0, np.nan])
    )
    naive = table.loc[table["model"] == "naive", "coef"].item()
    assert naive == pytest.approx(0.27394781732579, rel=1e-6)
    rows = finegray(ZERO_TIME["os_months"], ZERO_TIME["cause"])
    assert rows["fgstart"].tolist() == [-1.0, -1.0, 6.0, -1.0, -1.0, -1.0, -1.0]
    assert rows["fgwt"].tolist() == [1.0, 1.0, 0.75, 1.0, 1.0, 1.0, 1.0]
    fit = finegray_cox(ZERO_TIME["os_months"], ZERO_TIME["cause"], [1, 0, 1, 0, 1, 0])
    assert fit.cox.coef[0] == pytest.approx(0.50580045583924, rel=1e-9)


def test_hazard_ratio_table_matches_r() -> None:
    # R 4.2.2, survival 3.5.3, same toy set as above (d$cause = c(1,2,0,1,2,0)):
    #   coxph(Surv(t, cause==1) ~ x): coef 0.346573590279972, p 0.809221414588876
    #   coxph(Surv(fgstart, fgstop, fgstatus) ~ x + cluster(id), weights=fgwt,
    #         data=finegray(Surv(t, st) ~ ., d, etype="lp"), ties="breslow"):
    #     coef 0.50580045583924, robust se 1.13743221672091, p 0.656546514521987
    x = np.array([1, 0, 1, 0, 1, 0])
    table = cr.hazard_ratio_table(ZERO_TIME["os_months"], ZERO_TIME["cause"], {"x": x})
    fg = table.loc[table["model"] == "fine_gray"].iloc[0]
    cs = table.loc[table["model"] == "cause_specific"].iloc[0]
    assert np.log(fg["hr"]) == pytest.approx(0.50580045583924, rel=1e-6)
    assert fg["p"] == pytest.approx(0.656546514521987, rel=1e-6)
    assert np.log(cs["hr"]) == pytest.approx(0.346573590279972, rel=1e-6)
    assert cs["p"] == pytest.approx(0.809221414588876, rel=1e-6)
    assert table["events"].tolist() == [2, 2]


def test_simulation_of_tiny_studies_gives_nan_not_a_runaway_estimate() -> None:
    """With 6 patients some simulated groups have no deaths: NaN, never the last iterate."""
    sim = lm.simulate_immortal_time(n_patients=6, n_simulations=8, seed=3)
    hrs = sim[["naive_hr", "time_dependent_hr", "landmark_hr"]].to_numpy()
    assert np.isnan(hrs).any()
    finite = hrs[np.isfinite(hrs)]
    assert (finite > 1e-4).all() and (finite < 1e4).all()


def test_time_dependent_design_matches_r(small: pd.DataFrame) -> None:
    """Baseline covariates carried on R's tmerge rows: coxph(Surv(tstart, tstop, death) ~
    treated + age) of tests/fixtures/r_landmark.R, through the formula interface."""
    ref = _ref("tdcox.json")
    rows = lm.time_dependent_design(small, small[["age"]])
    assert rows.columns.tolist() == ["row", "tstart", "tstop", "event", "treated", "age"]
    np.testing.assert_array_equal(rows["age"], small["age"].to_numpy()[rows["row"]])
    np.testing.assert_array_equal(rows["tstart"], ref["rows"]["tstart"])
    fit = coxph_frame(rows, "tstop", "event", ["treated", "age"], start="tstart")
    model = ref["models"]["efron_age"]
    np.testing.assert_allclose(fit.coef, model["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.loglik, model["loglik"], rtol=RTOL)
    with pytest.raises(SpinemetsError, match="expected one row per patient"):
        lm.time_dependent_design(small, small[["age"]].iloc[:3])


def test_splitting_rows_leaves_baseline_fits_unchanged(small: pd.DataFrame) -> None:
    """Without the time-dependent term, the counting-process rows give the ordinary fit."""
    rows = lm.time_dependent_design(small, small[["age"]])
    split = coxph_frame(rows, "tstop", "event", ["age"], start="tstart")
    whole = coxph(small["os_months"], small["death"], small[["age"]])
    np.testing.assert_allclose(split.coef, whole.coef, rtol=1e-10)
    assert split.loglik[1] == pytest.approx(whole.loglik[1], rel=1e-12)


def _tipping_cohort() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 120
    return pd.DataFrame(
        {
            "adjuvant_therapy": np.where(np.arange(n) < 40, "targeted", "cytokine"),
            "os_months": np.round(rng.exponential(20, n), 2) + 0.5,
            "death": (rng.uniform(size=n) < 0.85).astype(int),
        }
    )


def test_tipping_point_table() -> None:
    """First row = the notebook's time-dependent model on adjuvant_starts (same seed);
    switchers add to the treated; deterministic; forced counts checked by first
    principles (the targeted patients whose follow-up ends inside the window's draw)."""
    patients = _tipping_cohort()
    table = lm.tipping_point_table(patients, ((1, 4), (1, 24)), switchers=(0, 8), seed=3)
    again = lm.tipping_point_table(patients, ((1, 4), (1, 24)), switchers=(0, 8), seed=3)
    pd.testing.assert_frame_equal(table, again)
    assert table[["window_high", "switchers"]].values.tolist() == [[4, 0], [4, 8], [24, 0], [24, 8]]
    assert table["n_treated"].tolist() == [40, 48, 40, 48]
    starts = lm.adjuvant_starts(patients, seed=3).patients
    td = lm.time_dependent_cox(starts).set_index("model")
    assert table["hr"].iloc[0] == pytest.approx(td.loc["time_dependent", "hr"], rel=1e-12)
    assert table["naive_hr"].iloc[0] == pytest.approx(td.loc["naive", "hr"], rel=1e-12)
    # forced (window 1-4, no switchers): a targeted patient whose uniform draw in (1, 4)
    # falls at or after their follow-up; same stream as assumed_adjuvant_start
    u = np.random.default_rng(3).uniform(size=len(patients))
    drawn = 1 + 3 * u
    targeted = patients["adjuvant_therapy"].eq("targeted").to_numpy()
    expected = int((targeted & (drawn >= patients["os_months"].to_numpy())).sum())
    assert table["forced"].iloc[0] == expected
    # a longer window moves starts later: more forced starts, naive HR unchanged
    assert table["forced"].iloc[2] >= table["forced"].iloc[0]
    assert table["naive_hr"].nunique() == 1
    with pytest.raises(SpinemetsError, match="only 80 cytokine patients"):
        lm.tipping_point_table(patients, ((1, 4),), switchers=(81,))


def test_person_time_table(small: pd.DataFrame) -> None:
    """Person-time adds up to the total follow-up in both analyses; the time from surgery
    to the start holds no deaths and moves from treated (naive) to untreated."""
    table = lm.person_time_table(small)
    total = small["os_months"].sum()
    for _, part in table.groupby("analysis"):
        assert part["person_months"].sum() == pytest.approx(total)
        assert part["deaths"].sum() == small["death"].sum()
    before = table[table["part"] == "surgery to start"]
    assert (before["deaths"] == 0).all()
    assert before.set_index("analysis")["group"].to_dict() == {
        "naive": "treated",
        "time_dependent": "untreated",
    }
    start = small["adjuvant_start_months"]
    treated = small["adjuvant_therapy"].eq("targeted") & (start < small["os_months"])
    assert before["person_months"].iloc[0] == pytest.approx(start[treated].clip(lower=0).sum())
    assert before["patients"].iloc[0] == int(treated.sum())


def test_landmark_flags_a_tiny_group() -> None:
    """One patient on targeted therapy from month 0.5: R's estimate is kept (finite), and
    the note says it cannot be read; groups of UNSTABLE_GROUP or more get no such note.
    The patient dies at month 30, after other deaths while at risk, so that the estimate
    is finite (R: coef 1.7815, no warning); dying before any other death would make it
    infinite (R warns 'Loglik converged before variable', and coxph raises)."""
    rng = np.random.default_rng(7)
    n = 40
    patients = pd.DataFrame(
        {
            "os_months": rng.integers(2, 60, n).astype(float),
            "death": rng.integers(0, 2, n),
            "adjuvant_therapy": ["targeted"] + ["cytokine"] * (n - 1),
            "start": 0.5,
        }
    )
    patients.loc[0, ["os_months", "death"]] = [30.0, 1]
    tiny = lm.landmark_analyses(patients, [1], start_col="start")
    assert tiny.loc[0, "n_treated"] == 1 and np.isfinite(tiny.loc[0, "hr"])
    assert f"fewer than {lm.UNSTABLE_GROUP} patients" in tiny.loc[0, "note"]
    patients["adjuvant_therapy"] = np.where(np.arange(n) < n // 2, "targeted", "cytokine")
    balanced = lm.landmark_analyses(patients, [1], start_col="start")
    assert balanced.loc[0, "n_treated"] == n // 2 and balanced.loc[0, "note"] == ""
