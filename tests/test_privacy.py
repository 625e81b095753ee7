"""Privacy guards (spinemets.privacy): identifier columns and small-cell suppression."""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets.cohort import CohortValidationError, load_cohort, validate_cohort
from spinemets.errors import ParameterError
from spinemets.privacy import (
    identifier_columns,
    identifier_kind,
    normalise_name,
    suppress_small_cells,
)
from test_cohort_load import rows, write

IDENTIFIERS = [
    "name", "Name", "Patient Name", "surname", "first_name", "FirstName", "LAST_NAME", "ФИО",
    "MRN", "mrn_2", "record_number", "Medical record", "hospital_no", "insurance", "InsuranceNo",
    "SSN", "snils", "passport", "national_id", "dob", "DOB", "date_of_birth", "BirthDate",
    "address", "Home address", "street", "zip", "ZIP code", "postcode", "post_code", "postal_code",
    "phone", "Telephone", "mobile_phone", "tel", "fax", "email", "E-mail", "e_mail", "mail",
]  # fmt: skip

NOT_IDENTIFIERS = [
    "patient_id", "age", "surgery", "frankel_pre", "os_months", "surgery_date", "death_date",
    "ecog", "clear_cell", "histology", "hospital", "tumour_size_mm", "mobile_post", "telomere",
    "ambulatory", "karnofsky", "detail", "category",
]  # fmt: skip


@pytest.mark.parametrize("column", IDENTIFIERS)
def test_identifier_column_names_are_recognised(column):
    assert identifier_kind(column) is not None


@pytest.mark.parametrize("column", NOT_IDENTIFIERS)
def test_clinical_column_names_are_not_identifiers(column):
    assert identifier_kind(column) is None


def test_normalise_name():
    assert normalise_name("FirstName") == "first_name"
    assert normalise_name(" E-mail address ") == "e_mail_address"


def test_identifier_columns_names_what_each_looks_like_and_skips_allowed():
    found = identifier_columns(["age", "dob", "Phone", "name"], allowed={"name"})
    assert found == {"dob": "a birth date", "Phone": "a phone number"}


def _with_identifiers(tmp_path):
    p = rows("patients.csv")
    p[0] += ["Surname", "DOB"]
    for i, r in enumerate(p[1:]):
        r += [f"Ivanov{i}", "1960-01-01"]
    return write(tmp_path, p)


def test_cohort_with_identifiers_is_refused_naming_the_columns(tmp_path):
    report = validate_cohort(*_with_identifiers(tmp_path))
    assert [(p.file, p.column, p.issue) for p in report] == [
        ("patients.csv", "Surname", "looks like a direct identifier (a name)"),
        ("patients.csv", "DOB", "looks like a direct identifier (a birth date)"),
    ]
    with pytest.raises(CohortValidationError, match="column Surname: looks like a direct"):
        load_cohort(*_with_identifiers(tmp_path))


def test_allowed_identifiers_are_dropped_before_the_frame_is_returned(tmp_path):
    cohort = load_cohort(*_with_identifiers(tmp_path), allow_identifiers=True)
    assert "Surname" not in cohort.patients.columns and "DOB" not in cohort.patients.columns
    assert not cohort.patients.isin(["Ivanov0"]).any().any()
    assert cohort.notes == ("patients.csv: dropped identifier columns Surname, DOB",)


def test_identifiers_in_the_complications_file_are_refused_too(tmp_path):
    c = rows("complications.csv")
    c[0].append("email")
    for r in c[1:]:
        r.append("x@example.org")
    lines = validate_cohort(*write(tmp_path, complications=c)).lines()
    assert len(lines) == 1 and lines[0].startswith(
        "complications.csv, column email: looks like a direct identifier (an e-mail address)"
    )


def test_validate_cli_allow_identifiers(tmp_path, capsys):
    from spinemets.cli import main

    p, c = _with_identifiers(tmp_path)
    assert main(["validate", "--patients", str(p), "--complications", str(c)]) == 2
    assert "column DOB: looks like a direct identifier" in capsys.readouterr().out
    args = ["validate", "--patients", str(p), "--complications", str(c), "--allow-identifiers"]
    assert main(args) == 0
    assert "dropped identifier columns Surname, DOB" in capsys.readouterr().out


# --- small-cell suppression --------------------------------------------------------------


def test_suppress_small_cells_masks_counts_below_min_cell():
    table = pd.DataFrame({"group": ["a", "b", "c", "d"], "n": [12, 4, 0, 5], "pct": [1.0, 2, 3, 4]})
    out = suppress_small_cells(table, ["n"], 5)
    assert out["n"].tolist() == ["12", "<5", "0", "5"]
    assert out["pct"].tolist() == [1.0, 2, 3, 4]  # other columns untouched
    assert table["n"].tolist() == [12, 4, 0, 5]  # input not modified
    assert suppress_small_cells(table, ["n"], 5, mask_zero=True)["n"].tolist() == [
        "12", "<5", "<5", "5",
    ]  # fmt: skip


def test_suppress_small_cells_several_columns_and_missing_values():
    table = pd.DataFrame({"events": [1.0, None, 10.0], "n": [3, 8, 20]})
    out = suppress_small_cells(table, ["events", "n"], 3)
    assert out["events"].tolist() == ["<3", "", "10"]
    assert out["n"].tolist() == ["3", "8", "20"]


def test_min_cell_one_masks_nothing():
    out = suppress_small_cells(pd.DataFrame({"n": [0, 1, 2]}), ["n"], 1)
    assert out["n"].tolist() == ["0", "1", "2"]


@pytest.mark.parametrize("min_cell", [0, -1, 2.5, "5", True])
def test_suppress_small_cells_refuses_a_bad_min_cell(min_cell):
    with pytest.raises(ParameterError, match="min_cell"):
        suppress_small_cells(pd.DataFrame({"n": [1]}), ["n"], min_cell)


def test_suppress_small_cells_refuses_unknown_columns_and_non_counts():
    with pytest.raises(ParameterError, match="'m' not in the table"):
        suppress_small_cells(pd.DataFrame({"n": [1]}), ["m"], 5)
    with pytest.raises(ParameterError, match="column n: value 2.5"):
        suppress_small_cells(pd.DataFrame({"n": [2.5]}), ["n"], 5)
    with pytest.raises(ParameterError, match="column n: value -1"):
        suppress_small_cells(pd.DataFrame({"n": [-1]}), ["n"], 5)
