"""A corpus of unusual and malformed cohort files, each with its expected outcome.

The files are in tests/data/cohorts/corpus/ (written by make_corpus.py beside
them, from the hand-written valid cohort). Accepted cases must load with the
valid cohort's content; refused cases must raise CohortValidationError whose
message names the problem. A hypothesis test corrupts a cohort at random: the
result is always a Cohort or a CohortValidationError, never another exception.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spinemets.cohort import Cohort, CohortValidationError, load_cohort

CORPUS = Path(__file__).parent / "data" / "cohorts" / "corpus"
VALID = Path(__file__).parent / "data" / "cohorts" / "valid"

#: case -> None (accepted) or the texts the refusal must contain
EXPECTED: dict[str, list[str] | None] = {
    "ok_comma_lf": None,
    "ok_semicolon_decimal_comma": None,
    "ok_tab_separated": None,
    "ok_utf8_bom_crlf": None,
    "ok_utf16_bom": None,
    "ok_quoted_fields": None,
    "ok_trailing_empty_rows_and_columns": None,
    "ok_case_and_spaces": None,
    "ok_no_complications": None,
    "ok_extra_column": None,
    "ok_dates": None,
    "ok_xlsx_first_sheet": None,
    "ok_xlsx_one_workbook_named_sheets": None,
    "ok_xlsx_excel_dates": None,
    "bad_empty_file": ["patients.csv: file is empty"],
    "bad_header_only": ["patients.csv: has a header but no data rows"],
    "bad_latin1_encoding": [
        "patients.csv, row 8: is not UTF-8 text (byte 0xe9; the file seems saved as "
        "Windows-1252 or Latin-1)",
        "CSV UTF-8",
    ],
    "bad_binary_file": ["patients.csv, row 1: is not UTF-8 text"],
    "bad_old_xls": ["patients.xls: is an old-format Excel .xls file"],
    "bad_not_really_xlsx": ["patients.xlsx: cannot be read as an Excel workbook"],
    "bad_xlsx_merged_header_rows": [
        "patients.xlsx, sheet 'patients': row 2 looks like the header row"
    ],
    "bad_text_in_numeric_columns": [
        "row 2, column age: value 'fifty-six' — expected an integer 0..120",
        "row 3, column os_months: value '14 months' — expected a number of months 0..600",
        "row 4, column vas_pre: value 'high' — expected a number 0..10",
    ],
    "bad_row_longer_than_header": ["row 4: has values beyond the 25 columns the header names"],
    "bad_duplicate_column_name": [
        "row 1, column age: column name appears more than once (columns 2 and 26)"
    ],
    "bad_unnamed_column_with_values": [
        "row 1, column #26: has values but no name in the header row"
    ],
    "bad_duplicate_patient_id": ["row 5, column patient_id: value 'T01' is used again"],
    "bad_complication_of_unknown_patient": [
        "complications.csv, row 2, column patient_id: value 'T42' — expected a patient_id of "
        "the patients table"
    ],
    "bad_missing_column": ["column frankel_post: column is missing"],
    "bad_identifier_column": ["column Phone: looks like a direct identifier (a phone number)"],
    "bad_dates_death_before_surgery_and_slash_date": [
        "row 2, column death_date: value '2014-12-31' — expected a date on or after "
        "surgery_date (2015-01-01)",
        "row 3, column surgery_date: value '01/02/2015' — expected a date written YYYY-MM-DD",
    ],
    "bad_lp_months_after_os_months": [
        "row 4, column lp_months: value '3.5' — expected at most os_months (3)"
    ],
    "bad_column_all_missing": [
        f"row {r}, column vas_post: empty cell — expected a number 0..10" for r in range(2, 8)
    ],
    "bad_unknown_codes": [
        "row 2, column surgery: value 'en bloc'",
        "row 3, column frankel_pre: value 'F'",
        "row 4, column death: value 'yes' — expected 0 or 1",
    ],
    "bad_unknown_complication_category": [
        "complications.csv, row 3, column category: value 'infection'"
    ],
    "bad_synthetic_marker_mixed": ["row 4, column synthetic: value '0'"],
}


def _files(case: str) -> tuple[Path, Path]:
    folder = CORPUS / case
    workbook = folder / "cohort.xlsx"
    if workbook.exists():
        return workbook, workbook
    patients = next(folder.glob("patients.*"))
    return patients, folder / "complications.csv"


def test_the_corpus_has_every_case_and_no_other():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_corpus_case_outcome(case):
    expected = EXPECTED[case]
    if expected is None:
        cohort = load_cohort(*_files(case))
        assert list(cohort.patients["patient_id"]) == ["T01", "T02", "T03", "T04", "T05", "T06"]
        assert cohort.patients["age"].tolist() == [56, 61, 44, 70, 23, 74]
        assert cohort.patients["surgery"].iloc[0] == "metastasectomy"
        if case not in ("ok_dates", "ok_xlsx_excel_dates"):
            assert cohort.patients["os_months"].tolist() == [22.5, 14.25, 3, 61, 38, 0]
            assert cohort.patients["lp_months"].tolist() == [22.5, 5, 3, 61, 12.5, 0]
        return
    with pytest.raises(CohortValidationError) as info:
        load_cohort(*_files(case))
    message = str(info.value)
    for text in expected:
        assert text in message
    assert "/tests/data" not in message.replace("tests/data", "")  # no absolute path
    assert "Traceback" not in message


# --- random corruption never gives an unexplained exception ------------------------------


def _valid_tables() -> tuple[list[list[str]], list[list[str]]]:
    def read(name: str) -> list[list[str]]:
        with open(VALID / name, newline="", encoding="utf-8") as f:
            return [list(r) for r in csv.reader(f)]

    return read("patients.csv"), read("complications.csv")


GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "NA", "-1", "1e309", "nan", "0x10", "1,5", "2015-02-30", "A", "0.0"]),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@st.composite
def corrupted(draw) -> tuple[bytes, bytes]:
    p, c = _valid_tables()
    for table in (p, c):
        for _ in range(draw(st.integers(0, 6))):
            action = draw(st.sampled_from(["cell", "header", "drop_col", "dup_row", "cut_row"]))
            if not table[0]:
                break
            i = draw(st.integers(0, len(table) - 1))
            j = draw(st.integers(0, len(table[0]) - 1))
            if action == "cell" and j < len(table[i]):
                table[i][j] = draw(GARBAGE)
            elif action == "header":
                table[0][j] = draw(GARBAGE)
            elif action == "drop_col":
                for r in table:
                    if j < len(r):
                        del r[j]
            elif action == "dup_row":
                table.append(list(table[i]))
            elif action == "cut_row" and i > 0:
                table[i] = table[i][: draw(st.integers(0, len(table[i])))]
    out = []
    for table in (p, c):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(table)
        data = buffer.getvalue().encode("utf-8")
        if draw(st.booleans()) and draw(st.booleans()):
            cut = draw(st.integers(0, len(data)))
            data = data[:cut] + draw(st.binary(max_size=8))
        out.append(data)
    return out[0], out[1]


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(files=corrupted())
def test_random_corruption_gives_a_cohort_or_a_validation_error(tmp_path, files):
    p, c = tmp_path / "patients.csv", tmp_path / "complications.csv"
    p.write_bytes(files[0])
    c.write_bytes(files[1])
    try:
        result = load_cohort(p, c)
    except CohortValidationError as error:
        assert len(error.report) >= 1
        assert str(tmp_path) not in str(error)
    else:
        assert isinstance(result, Cohort)
