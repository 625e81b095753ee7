"""load_cohort / validate_cohort on small hand-written cohorts (spinemets.cohort).

The base cohort is tests/data/cohorts/valid/ (6 patients, 4 complications,
written by hand); each test writes a copy with one change to a temporary folder.
Expected messages and values are written out by hand here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
from spinemets import paths
from spinemets.cohort import (
    PATIENT_COLUMNS,
    SYNTHETIC_LABEL,
    CohortValidationError,
    Problem,
    load_cohort,
    validate_cohort,
)
from spinemets.cohort.convert import output_schema
from spinemets.cohort.spec import COMPLICATION_COLUMNS
from spinemets.errors import SpinemetsError

VALID = Path(__file__).parents[1] / "data" / "cohorts" / "valid"


def rows(name: str) -> list[list[str]]:
    with open(VALID / name, newline="", encoding="utf-8") as f:
        return [list(r) for r in csv.reader(f)]


def set_cell(table: list[list[str]], row: int, column: str, value: str) -> None:
    """Set a cell by spreadsheet row number (header = 1) and column name."""
    table[row - 1][table[0].index(column)] = value


def drop_column(table: list[list[str]], column: str) -> None:
    j = table[0].index(column)
    for r in table:
        del r[j]


def write(tmp_path: Path, patients=None, complications=None) -> tuple[Path, Path]:
    p, c = tmp_path / "patients.csv", tmp_path / "complications.csv"
    for path, table, name in (
        (p, patients, "patients.csv"),
        (c, complications, "complications.csv"),
    ):
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(table if table is not None else rows(name))
    return p, c


def problems(tmp_path: Path, patients=None, complications=None) -> list[str]:
    return validate_cohort(*write(tmp_path, patients, complications)).lines()


# --- a valid cohort ------------------------------------------------------------------


def test_valid_cohort_loads_with_the_documented_types(tmp_path):
    cohort = load_cohort(*write(tmp_path))
    p = cohort.patients
    assert len(p) == 6 and len(cohort.complications) == 4
    assert list(p["patient_id"]) == ["T01", "T02", "T03", "T04", "T05", "T06"]  # file order
    assert p["age"].dtype == "int64" and list(p["age"]) == [56, 61, 44, 70, 23, 74]
    assert p["os_months"].dtype == "float64" and p["os_months"].tolist()[1] == 14.25
    assert p["lp_months"].tolist() == [22.5, 5.0, 3.0, 61.0, 12.5, 0.0]
    for flag in ("nephrectomy", "mets_brain", "death", "local_progression"):
        assert p[flag].dtype == "int64"
    assert p["vas_pre"].dtype == "int64" and p["vas_pre"].tolist() == [8, 7, 9, 6, 10, 5]
    assert p["frankel_pre"].tolist() == ["C", "D", "B", "E", "A", "D"]
    assert p["surgery"].map(type).eq(str).all() and p["patient_id"].map(type).eq(str).all()
    assert list(p.index) == list(range(6))
    assert cohort.complications["detail"].tolist() == [
        "temporary",
        "surgical site infection",
        "implant failure",
        "",
    ]
    assert not cohort.is_synthetic
    assert cohort.label == "user cohort patients.csv"
    assert cohort.source_files == ("patients.csv", "complications.csv")  # never absolute


def test_bundled_cohort_loads_validates_and_is_labelled_synthetic():
    assert validate_cohort().ok
    cohort = load_cohort()
    assert cohort.is_synthetic and cohort.label == SYNTHETIC_LABEL
    assert "SYNTHETIC" in cohort.label
    assert cohort.source_files == (
        "data/synthetic/patients.csv",
        "data/synthetic/complications.csv",
    )
    assert len(cohort.patients) == 100  # the paper's 100 patients
    assert len(cohort.complications) == 51  # the paper's 51 complications
    assert load_cohort("", "").label == SYNTHETIC_LABEL
    explicit = load_cohort(paths.SYNTHETIC_PATIENTS, paths.SYNTHETIC_COMPLICATIONS)
    assert explicit.is_synthetic


def test_codes_and_column_names_are_case_insensitive(tmp_path):
    p = rows("patients.csv")
    p[0][p[0].index("surgery")] = "Surgery"
    set_cell(p, 2, "Surgery", " Metastasectomy ")
    set_cell(p, 3, "frankel_pre", "d")
    cohort = load_cohort(*write(tmp_path, p))
    assert cohort.patients["surgery"].iloc[0] == "metastasectomy"
    assert cohort.patients["frankel_pre"].iloc[1] == "D"


def test_whole_number_forms_and_decimal_comma_are_accepted(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 2, "age", "56.0")
    set_cell(p, 2, "death", "1.0")
    set_cell(p, 2, "os_months", "22,5")
    cohort = load_cohort(*write(tmp_path, p))
    assert cohort.patients["age"].iloc[0] == 56
    assert cohort.patients["os_months"].iloc[0] == 22.5


def test_vas_is_float_when_a_score_is_not_whole(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 2, "vas_pre", "7.5")
    cohort = load_cohort(*write(tmp_path, p))
    assert cohort.patients["vas_pre"].dtype == "float64"
    assert cohort.patients["vas_pre"].tolist()[:2] == [7.5, 7.0]


def _with_extras(tmp_path):
    p = rows("patients.csv")
    p[0] += ["ecog", "hospital"]
    extra = [("1", "A"), ("2", "B"), ("0", "A"), ("1", "A"), ("3", "B"), ("1", "A")]
    for r, (e, h) in zip(p[1:], extra, strict=True):
        r += [e, h]
    c = rows("complications.csv")
    c[0].append("grade")
    for r in c[1:]:
        r.append("II")
    return write(tmp_path, p, c)


def test_columns_outside_the_format_are_dropped_with_one_note_each_table(tmp_path):
    cohort = load_cohort(*_with_extras(tmp_path))
    assert list(cohort.patients.columns) == [c.name for c in PATIENT_COLUMNS]
    assert list(cohort.complications.columns) == ["patient_id", "category", "detail"]
    assert cohort.notes == (
        "patients.csv: dropped 2 columns outside the cohort format: ecog, hospital (list a "
        "column under 'keep:' in a column mapping to keep it)",
        "complications.csv: dropped 1 column outside the cohort format: grade (list a column "
        "under 'keep:' in a column mapping to keep it)",
    )


def test_columns_kept_by_the_mapping_come_after_the_format_columns(tmp_path):
    p, c = _with_extras(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("keep: [ecog, hospital]\n", encoding="utf-8")
    cohort = load_cohort(p, c, mapping_file=mapping)
    assert list(cohort.patients.columns[-2:]) == ["ecog", "hospital"]
    assert cohort.patients["ecog"].dtype == "int64"
    assert cohort.patients["hospital"].tolist() == ["A", "B", "A", "A", "B", "A"]
    assert "grade" not in cohort.complications.columns  # not kept: dropped
    format_only = cohort.format_only()
    assert list(format_only.patients.columns) == [c.name for c in PATIENT_COLUMNS]
    assert "ecog" in cohort.patients.columns  # format_only() returns a copy


def test_a_kept_column_must_exist(tmp_path):
    p, c = _with_extras(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("keep: [ECOG score]\n", encoding="utf-8")
    assert validate_cohort(p, c, mapping_file=mapping).lines() == [
        "mapping.yaml, column keep: names column 'ECOG score', which is in neither file — "
        "expected a column name of the patients or complications file"
    ]


def test_columns_come_in_the_format_order_whatever_the_file_order(tmp_path):
    p = rows("patients.csv")
    reordered = [r[::-1] for r in p]
    cohort = load_cohort(*write(tmp_path, reordered))
    assert cohort.patients.columns[0] == "patient_id"
    assert cohort.patients.columns[-1] == "local_progression"


def test_header_only_complications_means_no_complications(tmp_path):
    cohort = load_cohort(*write(tmp_path, complications=[["patient_id", "category", "detail"]]))
    assert len(cohort.complications) == 0
    assert list(cohort.complications.columns) == ["patient_id", "category", "detail"]


def test_detail_column_is_optional(tmp_path):
    c = rows("complications.csv")
    drop_column(c, "detail")
    cohort = load_cohort(*write(tmp_path, complications=c))
    assert cohort.complications["detail"].tolist() == ["", "", "", ""]


def test_synthetic_marker_column_labels_the_cohort_and_is_dropped(tmp_path):
    p = rows("patients.csv")
    p[0].append("synthetic")
    for r in p[1:]:
        r.append("1")
    cohort = load_cohort(*write(tmp_path, p))
    assert cohort.is_synthetic and "SYNTHETIC" in cohort.label
    assert "synthetic" not in cohort.patients.columns
    set_cell(p, 4, "synthetic", "0")
    assert problems(tmp_path, p) == [
        "patients.csv, row 4, column synthetic: value '0' — expected the same value on every "
        "row (a cohort is synthetic or it is not)"
    ]


# --- ten different mistakes, all reported at once --------------------------------------


def ten_mistakes() -> tuple[list[list[str]], list[list[str]]]:
    p, c = rows("patients.csv"), rows("complications.csv")
    set_cell(p, 2, "age", "abc")  # 1 text in an integer column
    set_cell(p, 3, "surgery", "en bloc")  # 2 unknown code
    set_cell(p, 3, "nephrectomy", "2")  # 3 flag not 0/1
    set_cell(p, 4, "frankel_post", "F")  # 4 unknown Frankel grade
    set_cell(p, 4, "vas_pre", "11")  # 5 out of range
    set_cell(p, 5, "os_months", "-1")  # 6 negative time
    set_cell(p, 6, "lp_months", "40")  # 7 lp after os (38)
    set_cell(p, 7, "patient_id", "T01")  # 8 duplicate id
    set_cell(p, 7, "vas_post", "")  # 9 missing value
    set_cell(c, 3, "patient_id", "T99")  # 10 complication of an unknown patient
    return p, c


TEN_LINES = [
    "patients.csv, row 2, column age: value 'abc' — expected an integer 0..120",
    "patients.csv, row 3, column surgery: value 'en bloc' — expected one of metastasectomy, "
    "decompression",
    "patients.csv, row 3, column nephrectomy: value '2' — expected 0 or 1",
    "patients.csv, row 4, column frankel_post: value 'F' — expected one of A, B, C, D, E",
    "patients.csv, row 4, column vas_pre: value '11' — expected a number 0..10",
    "patients.csv, row 5, column os_months: value '-1' — expected a number of months 0..600",
    "patients.csv, row 6, column lp_months: value '40' — expected at most os_months (38): "
    "local progression or its censoring cannot come after death or last follow-up",
    "patients.csv, row 7, column patient_id: value 'T01' is used again (first in row 2) — "
    "expected each patient_id once",
    "patients.csv, row 7, column vas_post: empty cell — expected a number 0..10",
    "complications.csv, row 3, column patient_id: value 'T99' — expected a patient_id of the "
    "patients table",
]


def test_ten_different_mistakes_are_all_listed_with_row_and_column(tmp_path):
    p, c = ten_mistakes()
    assert problems(tmp_path, p, c) == TEN_LINES


def test_load_cohort_raises_an_error_listing_every_problem(tmp_path):
    p, c = ten_mistakes()
    with pytest.raises(CohortValidationError) as info:
        load_cohort(*write(tmp_path, p, c))
    error = info.value
    assert isinstance(error, SpinemetsError) and error.exit_code == 2
    assert len(error.report) == 10
    lines = str(error).splitlines()
    assert lines[0] == "10 problems in the cohort (patients.csv, complications.csv):"
    assert [line.strip() for line in lines[1:]] == TEN_LINES
    assert str(tmp_path) not in str(error)  # no absolute path


# --- one rule at a time ------------------------------------------------------------------

BAD_CELLS = [
    ("age", "56 years", "expected an integer 0..120"),
    ("age", "121", "expected an integer 0..120"),
    ("age", "56.5", "expected an integer 0..120"),
    ("age", "-3", "expected an integer 0..120"),
    ("surgery", "laminectomy", "expected one of metastasectomy, decompression"),
    ("adjuvant_therapy", "chemo", "expected one of targeted, cytokine"),
    ("spine_region", "sacral", "expected one of cervical, thoracic, lumbar"),
    ("synchronous", "yes", "expected 0 or 1"),
    ("mets_lung", "0.5", "expected 0 or 1"),
    ("radiotherapy_preop", "-1", "expected 0 or 1"),
    ("frankel_pre", "AB", "expected one of A, B, C, D, E"),
    ("vas_post", "-1", "expected a number 0..10"),
    ("vas_post", "ten", "expected a number 0..10"),
    ("os_months", "inf", "expected a number of months 0..600"),
    ("os_months", "12 months", "expected a number of months 0..600"),
    ("death", "dead", "expected 0 or 1"),
    ("lp_months", "-0.5", "expected a number of months 0..600"),
    ("local_progression", "2", "expected 0 or 1"),
]


@pytest.mark.parametrize(("column", "value", "expected"), BAD_CELLS)
def test_each_bad_cell_is_reported_at_its_row_and_column(tmp_path, column, value, expected):
    p = rows("patients.csv")
    set_cell(p, 3, column, value)
    found = problems(tmp_path, p)
    assert found == [f"patients.csv, row 3, column {column}: value {value!r} — {expected}"]


@pytest.mark.parametrize("token", ["", "NA", "n/a", "NaN", "NULL", "."])
def test_missing_value_tokens_are_reported_as_empty_cells(tmp_path, token):
    p = rows("patients.csv")
    set_cell(p, 5, "frankel_post", token)
    assert problems(tmp_path, p) == [
        "patients.csv, row 5, column frankel_post: empty cell — expected one of A, B, C, D, E"
    ]


def test_lp_months_equal_to_os_months_is_valid_and_above_is_not(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 3, "lp_months", "14.25")  # == os_months
    assert problems(tmp_path, p) == []
    set_cell(p, 3, "lp_months", "14.26")
    assert problems(tmp_path, p) == [
        "patients.csv, row 3, column lp_months: value '14.26' — expected at most os_months "
        "(14.25): local progression or its censoring cannot come after death or last follow-up"
    ]


def test_lp_rule_is_not_reported_twice_when_os_months_is_itself_invalid(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 3, "os_months", "x")
    assert problems(tmp_path, p) == [
        "patients.csv, row 3, column os_months: value 'x' — expected a number of months 0..600"
    ]


def test_duplicate_ids_name_the_first_occurrence(tmp_path):
    p = rows("patients.csv")
    set_cell(p, 4, "patient_id", "T02")
    set_cell(p, 5, "patient_id", "T02")
    assert problems(tmp_path, p) == [
        "patients.csv, row 4, column patient_id: value 'T02' is used again (first in row 3) — "
        "expected each patient_id once",
        "patients.csv, row 5, column patient_id: value 'T02' is used again (first in row 3) — "
        "expected each patient_id once",
    ]


def test_unknown_complication_category(tmp_path):
    c = rows("complications.csv")
    set_cell(c, 5, "category", "cardiac")
    assert problems(tmp_path, complications=c) == [
        "complications.csv, row 5, column category: value 'cardiac' — expected one of "
        "neurological, wound, implant, medical"
    ]


def test_missing_required_columns_are_named(tmp_path):
    p, c = rows("patients.csv"), rows("complications.csv")
    drop_column(p, "frankel_pre")
    drop_column(c, "category")
    assert problems(tmp_path, p, c) == [
        "patients.csv, column frankel_pre: column is missing — expected a column named "
        "frankel_pre (Frankel grade before surgery (A complete .. E normal))",
        "complications.csv, column category: column is missing — expected a column named "
        "category (kind of complication (Table 4 of the paper))",
    ]


def test_missing_files_are_reported_without_absolute_paths(tmp_path):
    report = validate_cohort(tmp_path / "nope.csv", tmp_path / "none.csv")
    assert report.lines() == [
        "nope.csv: file not found — expected an existing CSV or .xlsx file",
        "none.csv: file not found — expected an existing CSV or .xlsx file",
    ]


def test_one_file_without_the_other_is_refused(tmp_path):
    p, _ = write(tmp_path)
    assert validate_cohort(p, None).lines() == [
        "complications file: not given — expected both files of a cohort (or neither, for "
        "the bundled synthetic cohort)"
    ]


def test_empty_and_header_only_patients_files(tmp_path):
    p, c = write(tmp_path)
    p.write_text("")
    assert validate_cohort(p, c).lines() == [
        "patients.csv: file is empty — expected a header row naming the columns, then one row "
        "per record"
    ]
    p.write_text(",".join(rows("patients.csv")[0]) + "\n")
    assert validate_cohort(p, c).lines() == [
        "patients.csv: has a header but no data rows — expected one row per patient"
    ]


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    p, c = write(tmp_path)
    lines = p.read_text().splitlines()
    lines.insert(2, "")  # a blank spreadsheet row 3
    lines[4] = lines[4].replace("T03,44", "T03,old")  # T03 is now on row 5
    p.write_text("\n".join(lines) + "\n")
    assert validate_cohort(p, c).lines() == [
        "patients.csv, row 5, column age: value 'old' — expected an integer 0..120"
    ]


def test_problem_message_format():
    assert str(Problem("p.csv", 7, "age", "abc", "an integer 0..120")) == (
        "p.csv, row 7, column age: value 'abc' — expected an integer 0..120"
    )
    assert str(Problem("p.csv", None, None, None, "x", issue="file is empty")) == (
        "p.csv: file is empty — expected x"
    )


def test_loaded_frames_are_independent_of_the_reading(tmp_path):
    cohort = load_cohort(*write(tmp_path))
    assert isinstance(cohort.patients, pd.DataFrame)
    with pytest.raises(AttributeError):
        cohort.label = "x"  # frozen


def test_output_schema_refuses_text_columns_that_are_not_all_str() -> None:
    """The loaded tables' guarantee (a failure is a bug, not bad input): id, code and
    free-text columns hold str only (checked in one pass, not cell by cell)."""
    schema = output_schema(COMPLICATION_COLUMNS)
    good = pd.DataFrame(
        {"patient_id": ["P1", "P2"], "category": ["wound", "medical"], "detail": ["", "x"]}
    )
    schema.validate(good)
    for column, value in (("patient_id", 7), ("detail", None), ("category", float("nan"))):
        bad = good.copy()
        bad[column] = bad[column].astype(object)
        bad.loc[0, column] = value
        with pytest.raises(pa.errors.SchemaError):
            schema.validate(bad)
