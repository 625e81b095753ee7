"""spinemets.study.overview on a hand-made cohort; every value counted by hand."""

from __future__ import annotations

import pandas as pd
from spinemets.study.overview import OVERVIEW_COLUMNS, cohort_overview, data_dictionary


def _cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "age": [40, 50, 60, 70, 80],
            "surgery": ["decompression"] * 4 + ["metastasectomy"],
            "death": [1, 1, 0, 1, 1],
            "os_months": [1.0, 2.0, 3.0, 4.0, 10.0],
        }
    )
    complications = pd.DataFrame(
        {"patient_id": ["a", "a", "c"], "category": ["wound", "medical", "wound"],
         "detail": ["surgical site infection", "", "wound hematoma"]}
    )  # fmt: skip
    return patients, complications


def _row(table: pd.DataFrame, column: str, value: str = "") -> pd.Series:
    rows = table[(table["column"] == column) & (table["value"] == value)]
    assert len(rows) == 1, (column, value)
    return rows.iloc[0]


def test_overview_by_hand() -> None:
    patients, complications = _cohort()
    table = cohort_overview(patients, complications)
    assert tuple(table.columns) == OVERVIEW_COLUMNS
    # codes in the format's order, zeros included
    assert _row(table, "surgery", "metastasectomy")["n"] == 1
    assert _row(table, "surgery", "decompression")["n"] == 4
    assert _row(table, "death", "0")["n"] == 1 and _row(table, "death", "1")["n"] == 4
    cats = table[(table["table"] == "complications") & (table["column"] == "category")]
    assert dict(zip(cats["value"], cats["n"], strict=True)) == {
        "neurological": 0, "wound": 2, "implant": 0, "medical": 1,
    }  # fmt: skip
    # numbers: R's quantile(type = 7): ages 40..80 -> 50, 60, 70; times 1,2,3,4,10 -> 2, 3, 4
    assert _row(table, "age")["summary"] == "median 60 (IQR 50-70)"
    assert _row(table, "os_months")["summary"] == "median 3 (IQR 2-4)"
    # identifiers and free text: counts only
    ids = table[(table["column"] == "patient_id")]
    assert list(ids["n"]) == [5, 2]
    assert _row(table, "detail")["n"] == 2


def test_overview_shows_no_patient_value() -> None:
    patients, complications = _cohort()
    text = cohort_overview(patients, complications).to_csv()
    for secret in ("surgical site infection", "wound hematoma", ",a,", ",b,"):
        assert secret not in text
    # a column outside the format is not summarised
    patients["name"] = ["Ann", "Bob", "Cy", "Di", "Ed"]
    assert "name" not in set(cohort_overview(patients, complications)["column"])


def test_data_dictionary() -> None:
    table = data_dictionary()
    assert list(table.columns) == ["table", "column", "kind", "meaning"]
    patients = table[table["table"] == "patients"]
    # the format of DESIGN.md: patient_id first, the LPFS pair last
    assert patients["column"].iloc[0] == "patient_id"
    assert patients["column"].iloc[-1] == "local_progression"
    assert table.loc[table["column"] == "surgery", "kind"].tolist() == ["code"]
    assert table[table["table"] == "complications"]["column"].tolist() == [
        "patient_id", "category", "detail",
    ]  # fmt: skip
