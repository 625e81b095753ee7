"""The survival summaries of notebooks 02 and 03 against R: hazard ratios with their three
tests, restricted mean survival time and its difference, median follow-up by reverse
Kaplan-Meier, the hazard per interval and the composite endpoint.

R values: tests/fixtures/r_lessons.R (``Rscript tests/fixtures/r_lessons.R``), on
survival's pbc, ovarian and mgus2 (``survival_methods.json``) and on the bundled cohort
(``synthetic.json``, regenerated whenever data/synthetic/ changes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets import paths
from spinemets.study.endpoints import (
    COMPOSITE,
    endpoint_data,
    follow_up_table,
    hazard_ratios,
    hazard_table,
    rmst_table,
    survival_tables,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_lessons"
METHODS = json.loads((FIXTURES / "survival_methods.json").read_text())
SYNTHETIC = json.loads((FIXTURES / "synthetic.json").read_text())
RTOL = 1e-9
BREAKS = {"pbc": 1000, "ovarian": 200, "mgus2": 24}


def _num(value: object) -> float:
    return np.nan if value in ("NA", None) else float(value)


def r_patients(name: str) -> pd.DataFrame:
    """An R data set in the cohort format: its time/event as OS, its group as ``group``."""
    data = pd.read_csv(FIXTURES / f"data_{name}.csv", dtype={"group": str})
    return pd.DataFrame({"os_months": data.time, "death": data.event, "group": data.group})


def bundled() -> pd.DataFrame:
    return pd.read_csv(paths.PROJECT_ROOT / "data" / "synthetic" / "patients.csv")


def _check_hr(row: pd.Series, ref: dict) -> None:
    assert row["group"] == ref["group"] and row["reference"] == ref["reference"]
    got = row[["hr", "lower", "upper", "p_wald", "p_lr", "p_score"]].to_numpy(float)
    want = [ref[k] for k in ("hr", "lower", "upper", "p_wald", "p_lr", "p_score")]
    np.testing.assert_allclose(got, want, rtol=RTOL)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_hazard_ratios_match_r(name: str) -> None:
    table = hazard_ratios(r_patients(name), strata=["group"])
    assert len(table) == 1 and table.loc[0, "note"] == ""
    _check_hr(table.iloc[0], METHODS[name]["cox"])
    data = r_patients(name)
    assert table.loc[0, "n"] == len(data) and table.loc[0, "events"] == data.death.sum()


@pytest.mark.parametrize("key", sorted(SYNTHETIC))
def test_bundled_cohort_summaries_match_r(key: str) -> None:
    endpoint, strata = key.split(":")
    ref = SYNTHETIC[key]
    patients = bundled()
    _check_hr(hazard_ratios(patients, [endpoint], [strata]).iloc[0], ref["cox"])
    rmst = rmst_table(patients, [endpoint], [strata]).set_index("group")
    for row in ref["rmst"]["groups"]:
        if row["group"] != "all":
            np.testing.assert_allclose(
                rmst.loc[row["group"], ["rmst", "se"]].to_numpy(float),
                [row["rmean"], row["se"]],
                rtol=RTOL,
            )
    diff = ref["rmst"]["difference"]
    np.testing.assert_allclose(
        rmst.loc["difference", ["rmst", "se", "lower", "upper", "p"]].to_numpy(float),
        [diff["estimate"], diff["se"], diff["lower"], diff["upper"], diff["p"]],
        rtol=RTOL,
    )
    medians = survival_tables(patients, [strata], [endpoint]).medians.set_index("group")
    for row in ref["medians"]:
        np.testing.assert_allclose(
            medians.loc[row["group"], ["median", "lower", "upper"]].to_numpy(float),
            [_num(row[k]) for k in ("median", "lower", "upper")],
        )
    logrank = survival_tables(patients, [strata], [endpoint]).logrank.iloc[0]
    assert logrank["chisq"] == pytest.approx(ref["logrank"]["chisq"], rel=RTOL)
    assert logrank["p"] == pytest.approx(ref["logrank"]["p"], rel=RTOL)


def test_bundled_follow_up_matches_r() -> None:
    table = follow_up_table(bundled(), strata=["all", "surgery", "adjuvant_therapy"])
    for strata in ("surgery", "adjuvant_therapy"):
        for row in SYNTHETIC[f"os:{strata}"]["follow_up"]:
            got = table[(table.strata == (strata if row["group"] != "all" else "all"))]
            got = got.set_index("group").loc[row["group"], ["median", "lower", "upper"]]
            want = [_num(row[k]) for k in ("median", "lower", "upper")]
            np.testing.assert_allclose(got.to_numpy(float), want)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_rmst_table_matches_r(name: str) -> None:
    ref = METHODS[name]["rmst"]
    table = rmst_table(r_patients(name), strata=["all", "group"], tau=ref["tau"])
    by_group = table.set_index("group")
    for row in ref["groups"]:
        np.testing.assert_allclose(
            by_group.loc[row["group"], ["rmst", "se"]].to_numpy(float),
            [row["rmean"], row["se"]],
            rtol=RTOL,
        )
        low, high = by_group.loc[row["group"], ["lower", "upper"]]
        assert low == pytest.approx(row["rmean"] - 1.959963984540054 * row["se"], rel=RTOL)
        assert high == pytest.approx(row["rmean"] + 1.959963984540054 * row["se"], rel=RTOL)
    diff = ref["difference"]
    np.testing.assert_allclose(
        by_group.loc["difference", ["rmst", "se", "lower", "upper", "p"]].to_numpy(float),
        [diff["estimate"], diff["se"], diff["lower"], diff["upper"], diff["p"]],
        rtol=RTOL,
    )
    assert list(table.columns[:8]) == [
        "endpoint", "strata", "group", "tau", "rmst", "se", "lower", "upper",
    ]  # fmt: skip


def test_rmst_is_empty_past_a_groups_follow_up() -> None:
    patients = pd.DataFrame(
        {"os_months": [1.0, 2, 3, 10, 20, 30], "death": [1, 1, 0, 1, 0, 1], "group": list("aaabbb")}
    )
    table = rmst_table(patients, strata=["group"], tau=5).set_index("group")
    assert table.loc["b", "rmst"] == pytest.approx(5.0)  # nobody in b had an event by 5
    assert np.isnan(table.loc["a", "rmst"]) and "difference" not in table.index


@pytest.mark.parametrize("name", sorted(METHODS))
def test_follow_up_matches_r(name: str) -> None:
    table = follow_up_table(r_patients(name), strata=["all", "group"]).set_index("group")
    for row in METHODS[name]["follow_up"]:
        want = [_num(row[k]) for k in ("median", "lower", "upper")]
        np.testing.assert_allclose(
            table.loc[row["group"], ["median", "lower", "upper"]].to_numpy(float), want
        )
    assert set(table["conf_type"]) == {"log"}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_hazard_table(name: str) -> None:
    ref = pd.DataFrame(METHODS[name]["hazard"])
    width = BREAKS[name]
    patients = r_patients(name)
    for group in ("all", *sorted(patients.group.unique())):
        strata = "all" if group == "all" else "group"
        table = hazard_table(patients, "os", strata, width=width, until=ref["stop"].max())
        got = table[table.group == group].reset_index(drop=True)
        want = ref[ref.group == group].reset_index(drop=True)
        # R's intervals are wider at the end: compare the common equal-width ones
        common = want[(want.stop - want.start) == width]
        got = got.iloc[: len(common)]
        np.testing.assert_array_equal(got.events.to_numpy(), common.events.to_numpy())
        for column in ("person_time", "hazard", "lower", "upper"):
            np.testing.assert_allclose(
                got[column].to_numpy(float), common[column].map(_num).to_numpy(float), rtol=RTOL
            )


def test_hazard_ratio_rows_say_why_they_are_empty() -> None:
    one_group = pd.DataFrame(
        {"os_months": [1.0, 2, 3], "death": [1, 0, 1], "group": ["a", "a", "a"]}
    )
    row = hazard_ratios(one_group, strata=["group"]).iloc[0]
    assert np.isnan(row["hr"]) and "one group" in row["note"]
    no_events_in_b = pd.DataFrame(
        {"os_months": [1.0, 2, 3, 4, 5, 6], "death": [1, 1, 1, 0, 0, 0], "group": list("aaabbb")}
    )
    row = hazard_ratios(no_events_in_b, strata=["group"]).iloc[0]
    assert np.isnan(row["hr"]) and "not estimable" in row["note"]


def test_composite_endpoint() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [10.0, 20, 30, 40],
            "death": [1, 1, 0, 0],
            "lp_months": [4.0, 20, 12, 40],
            "local_progression": [1, 0, 1, 0],
        }
    )
    time, event = endpoint_data(patients, COMPOSITE)
    # progression first (4, 12) counts at its time; else death (20) or censoring (40)
    assert time.tolist() == [4.0, 20.0, 12.0, 40.0]
    assert event.tolist() == [1, 1, 1, 0]


def test_contract_columns_come_first() -> None:
    # DESIGN.md, "The output contract": tables/hazard_ratios.csv, rmst.csv, follow_up.csv
    patients = bundled()
    contract = {
        "hazard_ratios": ["endpoint", "strata", "group", "reference", "hr", "lower", "upper"]
        + ["p_wald", "p_lr", "p_score"],
        "rmst": ["endpoint", "strata", "group", "tau", "rmst", "se", "lower", "upper"],
        "follow_up": ["endpoint", "strata", "group", "median", "lower", "upper"],
    }
    tables = {
        "hazard_ratios": hazard_ratios(patients, ["os", "lpfs"]),
        "rmst": rmst_table(patients, ["os", "lpfs"]),
        "follow_up": follow_up_table(patients),
    }
    for name, columns in contract.items():
        assert list(tables[name].columns[: len(columns)]) == columns, name
    rmst = tables["rmst"]
    strata_rows = rmst[rmst.strata != "all"]
    # each two-group stratum ends with its difference row; stratum all has none
    assert (strata_rows.groupby(["endpoint", "strata"]).group.last() == "difference").all()
    assert "difference" not in set(rmst[rmst.strata == "all"].group)
