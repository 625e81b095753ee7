"""spinemets.complications (Table 4) on a hand-made cohort; values by hand arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.study import complications as comp


@pytest.fixture
def patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "surgery": ["metastasectomy"] * 2 + ["decompression"] * 4,
        }
    )


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P3", "P4", "P4", "P4"],
            "category": ["wound", "implant", "neurological", "wound", "medical", "medical"],
            "detail": ["hematoma", "failure", "temporary", "infection", "ileus", "pneumonia"],
        }
    )


def get(t: pd.DataFrame, category: str, group: str) -> pd.Series:
    return t[(t.category == category) & (t.group == group)].iloc[0]


def test_events_and_patients(events, patients) -> None:
    t = comp.table4(events, patients)
    assert list(dict.fromkeys(t.category)) == ["any", "neurological", "wound", "implant", "medical"]
    assert list(t.group[:3]) == ["all", "metastasectomy", "decompression"]
    row = get(t, "any", "all")
    assert (row.events, row.patients_with, row.percent) == (6, 3, 50.0)
    row = get(t, "medical", "decompression")
    assert (row.events, row.patients_with, row.n_patients) == (2, 1, 4)
    assert get(t, "any", "metastasectomy").patients_with == 1


def test_group_test_by_rule(events, patients) -> None:
    t = comp.table4(events, patients)
    row = get(t, "any", "all")
    # with / without by group: [[1, 2], [1, 2]] -> expected counts < 5 -> Fisher, p = 1
    assert row.test == "Fisher's Exact Test for Count Data"
    assert row.p == pytest.approx(1.0)


def test_overall_only(events, patients) -> None:
    t = comp.table4(events, patients, by=None)
    assert set(t.group) == {"all"} and t.p.isna().all()


def test_events_per_patient(events, patients) -> None:
    e = comp.events_per_patient(events, patients)
    assert e.patients.tolist() == [3, 1, 1, 1]  # P2 P5 P6 none; P3 one; P1 two; P4 three
    assert e.events.tolist() == [0, 1, 2, 3]


def test_details(events, patients) -> None:
    d = comp.complication_details(events, patients)
    assert d.category.tolist()[0] == "neurological"
    assert d.events.sum() == 6


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("patient_id", "P9", "expected the patient_id of a patient"),
        ("category", "cardiac", "expected one of neurological, wound, implant, medical"),
    ],
)
def test_bad_rows_named(events, patients, column, value, message) -> None:
    bad = events.copy()
    bad.loc[2, column] = value
    with pytest.raises(SpinemetsError, match=rf"complications, row 3, column '{column}'"):
        comp.table4(bad, patients)
    with pytest.raises(SpinemetsError, match=message):
        comp.table4(bad, patients)


def test_table4_wide(events, patients) -> None:
    wide = comp.table4_wide(comp.table4(events, patients))
    assert list(wide.columns[:3]) == ["complication", "all (n=6) events", "all (n=6) patients"]
    assert wide.loc[0, "all (n=6) patients"] == "3 (50.0%)"
    assert wide.loc[0, "test"] == "Fisher exact" and wide.loc[0, "p"] == "1.000"
