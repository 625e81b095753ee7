"""Dates instead of durations (spinemets.cohort.dates): derivation and impossible orders.

Expected months are hand arithmetic: days between the dates / 30.4375.
"""

from __future__ import annotations

import pytest
from spinemets.cohort import load_cohort, validate_cohort

from .test_load import drop_column, rows, write

DATE_HEADER = ["surgery_date", "last_followup_date", "death_date", "local_progression_date"]
# T01..T06: surgery, last follow-up, death, local progression
DATES = [
    ("2015-01-01", "", "2016-01-01", ""),  # died after 365 days
    ("2015-01-01", "2015-06-30", "", "2015-03-02"),  # alive at 180 days, progressed at day 60
    ("01.02.2016", "2016-03-01", "2016-04-01", ""),  # dotted date; death after follow-up
    ("2010-01-01", "2015-01-01", "", ""),  # alive, 1826 days
    ("2012-02-28", "", "2012-03-01", "2012-03-01"),  # leap year: 2 days; progression = death
    ("2014-05-05", "2014-05-05", "", ""),  # seen only on the day of surgery: 0 months
]


def dated_patients(dates=DATES) -> list[list[str]]:
    p = rows("patients.csv")
    for column in ("os_months", "death", "lp_months", "local_progression"):
        drop_column(p, column)
    p[0] += DATE_HEADER
    for r, d in zip(p[1:], dates, strict=True):
        r += list(d)
    return p


def test_months_death_and_progression_are_derived_from_dates(tmp_path):
    cohort = load_cohort(*write(tmp_path, dated_patients()))
    p = cohort.patients
    assert p["os_months"].tolist() == pytest.approx(
        [365 / 30.4375, 180 / 30.4375, 60 / 30.4375, 1826 / 30.4375, 2 / 30.4375, 0.0], abs=1e-12
    )
    assert p["death"].tolist() == [1, 0, 1, 0, 1, 0]
    assert p["lp_months"].tolist() == pytest.approx(
        [365 / 30.4375, 60 / 30.4375, 60 / 30.4375, 1826 / 30.4375, 2 / 30.4375, 0.0], abs=1e-12
    )
    assert p["local_progression"].tolist() == [0, 1, 0, 0, 1, 0]
    assert p["death"].dtype == "int64" and p["os_months"].dtype == "float64"


def test_date_columns_never_reach_the_loaded_frame(tmp_path):
    cohort = load_cohort(*write(tmp_path, dated_patients()))
    assert not any(c.endswith("_date") for c in cohort.patients.columns)
    assert list(cohort.patients.columns[-4:]) == [
        "os_months",
        "death",
        "lp_months",
        "local_progression",
    ]
    assert "derived from dates" in " ".join(cohort.notes)


def _problems(tmp_path, row: int, column: str, value: str) -> list[str]:
    dates = [list(d) for d in DATES]
    dates[row - 2][DATE_HEADER.index(column)] = value
    return validate_cohort(*write(tmp_path, dated_patients(dates))).lines()


def test_death_before_surgery(tmp_path):
    assert _problems(tmp_path, 2, "death_date", "2014-12-31") == [
        "patients.csv, row 2, column death_date: value '2014-12-31' — expected a date on or "
        "after surgery_date (2015-01-01)"
    ]


def test_progression_after_death(tmp_path):
    assert _problems(tmp_path, 6, "local_progression_date", "2012-03-02") == [
        "patients.csv, row 6, column local_progression_date: value '2012-03-02' — expected a "
        "date on or before death_date (2012-03-01)"
    ]


def test_progression_after_last_followup(tmp_path):
    assert _problems(tmp_path, 3, "local_progression_date", "2015-07-01") == [
        "patients.csv, row 3, column local_progression_date: value '2015-07-01' — expected a "
        "date on or before last_followup_date (2015-06-30)"
    ]


def test_follow_up_after_death(tmp_path):
    assert _problems(tmp_path, 4, "last_followup_date", "2016-05-01") == [
        "patients.csv, row 4, column last_followup_date: value '2016-05-01' — expected a date "
        "on or before death_date (2016-04-01)"
    ]


def test_follow_up_in_the_future(tmp_path):
    assert _problems(tmp_path, 5, "last_followup_date", "2999-01-01") == [
        "patients.csv, row 5, column last_followup_date: value '2999-01-01' — expected a date "
        "at most 600 months (50 years) after surgery_date (2010-01-01)",
        "patients.csv, row 5, column last_followup_date: value '2999-01-01' — expected a date "
        "not after today",
    ]


def test_follow_up_more_than_50_years_after_surgery(tmp_path):
    """The survival columns' range (0..600 months) holds for months derived from dates."""
    assert _problems(tmp_path, 5, "last_followup_date", "2010-02-01") == []
    assert _problems(tmp_path, 5, "surgery_date", "1950-01-01") == [
        "patients.csv, row 5, column last_followup_date: value '2015-01-01' — expected a date "
        "at most 600 months (50 years) after surgery_date (1950-01-01)"
    ]


def test_no_end_date(tmp_path):
    assert _problems(tmp_path, 2, "death_date", "") == [
        "patients.csv, row 2, column last_followup_date: empty cell — expected a date (each "
        "row needs a last_followup_date or a death_date)"
    ]


@pytest.mark.parametrize("value", ["03/04/2015", "2015-02-30", "last spring"])
def test_unreadable_dates(tmp_path, value):
    assert _problems(tmp_path, 7, "surgery_date", value) == [
        f"patients.csv, row 7, column surgery_date: value {value!r} — expected a date written "
        "YYYY-MM-DD (or DD.MM.YYYY)"
    ]


def test_missing_surgery_date_cell_and_column(tmp_path):
    assert _problems(tmp_path, 7, "surgery_date", "") == [
        "patients.csv, row 7, column surgery_date: empty cell — expected a date written "
        "YYYY-MM-DD (or DD.MM.YYYY)"
    ]
    p = dated_patients()
    drop_column(p, "surgery_date")
    lines = validate_cohort(*write(tmp_path, p)).lines()
    assert lines == [
        "patients.csv, column surgery_date: column is missing — expected a column named "
        "surgery_date (date of spinal surgery (time zero))"
    ]


def test_dates_and_durations_together_are_refused(tmp_path):
    p = dated_patients()
    p[0].append("os_months")
    for r in p[1:]:
        r.append("1")
    assert validate_cohort(*write(tmp_path, p)).lines() == [
        "patients.csv, column os_months: is given together with date columns — expected "
        "either the survival columns or the date columns, not both"
    ]
