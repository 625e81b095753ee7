"""spinemets.competing_risks: the study's coding of local progression and its tables.

The estimators (cumulative incidence, Gray's test, Fine-Gray) are tested against R in
tests/methods/test_cmprsk.py; here the tables built from them are checked against the
same R fixtures (tests/fixtures/r_competing_risks/, a 24-row toy set with ties).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.study import competing_risks as cr

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_competing_risks"
RTOL = 1e-9


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
    with pytest.raises(SpinemetsError, match=r"column 'cause', row 1: cause 3; expected 0"):
        cr.gray_tests_table([1, 2], [1, 3], ["a", "b"], strata="arm")


# ------------------------------------------------------------------------ tables


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


# ------------------------------------------------ over the study's comparisons


@pytest.fixture(scope="module")
def patients(bundled) -> pd.DataFrame:
    return bundled.patients


def test_event_counts(patients: pd.DataFrame) -> None:
    counts = cr.event_counts(patients)
    events = cr.local_progression_events(patients)
    overall = counts[counts["strata"] == "all"].set_index("cause")["n"]
    assert overall.to_dict() == events["cause"].value_counts().sort_index().to_dict()
    assert overall.sum() == len(patients)
    for column in ("surgery", "adjuvant_therapy"):
        part = counts[counts["strata"] == column]
        assert part["n"].sum() == len(patients)
        for (group, cause), n in part.set_index(["group", "cause"])["n"].items():
            assert n == int(((patients[column] == group) & (events["cause"] == cause)).sum())
    assert set(counts["cause_label"]) <= set(cr.CAUSE_LABELS.values())


def test_milestone_risks_and_comparison(patients: pd.DataFrame) -> None:
    table = cr.milestone_risks(patients, [12, 36, 60])
    assert table["strata"].unique().tolist() == ["surgery", "adjuvant_therapy"]
    events = cr.local_progression_events(patients)
    one = cr.cumulative_incidence_at(
        events["time"], events["cause"], patients["surgery"], [12, 36, 60], "surgery"
    )
    pd.testing.assert_frame_equal(table[table["strata"] == "surgery"], one)
    published = pd.DataFrame(
        {"strata": ["surgery"], "group": ["metastasectomy"], "time": [36], "value": [90.6]}
    )
    comparison = cr.risk_comparison(table, published)
    assert list(comparison.columns) == [
        *["strata", "group", "time", "published_risk_pct"],
        *["one_minus_km_pct", "cumulative_incidence_pct"],
    ]
    cause1 = table[table["cause"] == 1]
    assert len(comparison) == len(cause1)
    np.testing.assert_allclose(comparison["cumulative_incidence_pct"], 100 * cause1["estimate"])
    shown = comparison.dropna(subset=["published_risk_pct"])
    assert shown[["group", "time"]].values.tolist() == [["metastasectomy", 36]]
    assert shown["published_risk_pct"].iloc[0] == pytest.approx(100 - 90.6)
    assert "published_risk_pct" not in cr.risk_comparison(table).columns


def test_gray_tests_and_reading(patients: pd.DataFrame) -> None:
    gray = cr.gray_tests(
        patients, published_p=pd.DataFrame({"strata": ["surgery"], "value": [0.043]})
    )
    events = cr.local_progression_events(patients)
    by_surgery = cr.gray_tests_table(
        events["time"], events["cause"], patients["surgery"], "surgery"
    )
    pd.testing.assert_frame_equal(
        gray.iloc[:2, : by_surgery.shape[1]].reset_index(drop=True), by_surgery
    )
    # deaths censored, the log-rank test of local progression is the LPFS log-rank of R
    # (survdiff on the patients cohort, tests/fixtures/r_cox_models.R)
    ref = pd.read_csv(FIXTURES.parent / "r_cox_models" / "logrank.csv")
    ref = ref.set_index(["dataset", "strata"])["p"]
    for column in ("surgery", "adjuvant_therapy"):
        row = gray[(gray["strata"] == column) & (gray["cause"] == 1)].iloc[0]
        assert row["logrank_p_deaths_censored"] == pytest.approx(
            ref[("synthetic_lpfs", column)], rel=1e-9
        )
    assert gray["logrank_p_deaths_censored"][gray["cause"] == 2].isna().all()
    assert gray["published_logrank_p"].iloc[0] == 0.043  # surgery, cause 1
    assert gray["published_logrank_p"].iloc[1:].isna().all()
    hrs = cr.comparison_hazard_ratios(patients)
    text = cr.reading(gray, hrs)
    lines = text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("surgery: metastasectomy vs other")
    fg = hrs[(hrs["strata"] == "surgery") & (hrs["model"] == "fine_gray")].iloc[0]
    assert f"SHR = {fg['hr']:.2f} ({fg['lower']:.2f}-{fg['upper']:.2f})" in lines[0]


def test_comparison_hazard_ratios(patients: pd.DataFrame) -> None:
    hrs = cr.comparison_hazard_ratios(patients)
    assert hrs[["strata", "term", "model"]].values.tolist() == [
        ["surgery", "metastasectomy vs other", "fine_gray"],
        ["surgery", "metastasectomy vs other", "cause_specific"],
        ["adjuvant_therapy", "targeted vs other", "fine_gray"],
        ["adjuvant_therapy", "targeted vs other", "cause_specific"],
    ]
    events = cr.local_progression_events(patients)
    x = (patients["surgery"] == "metastasectomy").astype(float).to_numpy()
    one = cr.hazard_ratio_table(events["time"], events["cause"], {"surgery": x})
    np.testing.assert_allclose(hrs["hr"].iloc[:2], one["hr"], rtol=1e-12)
