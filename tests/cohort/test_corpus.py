"""A corpus of unusual and malformed cohort files, each with its exact expected outcome.

The files are in tests/data/cohorts/corpus/ (written by make_corpus.py beside
them, from the hand-written valid cohort of 6 patients and 4 complications). An
accepted case (``ok_*``) must load to the valid cohort with the differences
written out here by hand (a translated detail, a kept column, a derived month);
a refused case (``bad_*``) must give exactly the problems listed -- file, row,
column -- each with the text given. A hypothesis test corrupts a cohort at
random: the result is always a Cohort or a CohortValidationError, never another
exception. The corpus is rebuilt into a temporary folder and compared byte for
byte with the committed files, so that it stays reproducible.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spinemets import paths
from spinemets.cohort import (
    DAYS_PER_MONTH,
    Cohort,
    CohortValidationError,
    load_cohort,
    validate_cohort,
)

CORPUS = Path(__file__).parents[1] / "data" / "cohorts" / "corpus"
VALID = Path(__file__).parents[1] / "data" / "cohorts" / "valid"
IDS = ["T01", "T02", "T03", "T04", "T05", "T06"]
NAN = float("nan")
#: the valid cohort's survival times as days from surgery in the dates cases (worked out
#: by hand from the dates make_corpus.py writes: 2015-01-01 to 2016-01-01 is 365 days ...)
OS_DAYS = [365, 180, 60, 1826, 2, 0]
LP_DAYS = [365, 60, 60, 1826, 2, 0]
DATES = {
    "os_months": [d / DAYS_PER_MONTH for d in OS_DAYS],
    "death": [1, 0, 1, 0, 1, 0],
    "lp_months": [d / DAYS_PER_MONTH for d in LP_DAYS],
    "local_progression": [0, 1, 0, 0, 1, 0],
}
DERIVED = "os_months, death, lp_months and local_progression derived from dates"
DROPPED_ECOG = (
    "patients.csv: dropped 1 column outside the cohort format: ecog (list a column under "
    "'keep:' in a column mapping to keep it)"
)


@dataclass(frozen=True)
class Ok:
    """An accepted case: the valid cohort, except for what is listed.

    ``patients`` / ``complications``: columns whose values differ from the valid
    cohort's (a column not in the valid cohort is expected after the format's);
    ``rows``: how many of the valid patients (first n) the case keeps; ``notes``:
    the loader's notes, file names relative to the case's folder.
    """

    patients: dict[str, list] = field(default_factory=dict)
    complications: dict[str, list] = field(default_factory=dict)
    rows: int = 6
    n_complications: int | None = None
    notes: tuple[str, ...] = ()
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Bad:
    """A refused case: every problem as ``(file, row, column, text in its message)``.

    ``hidden`` are texts of the files that no message may show (identifiers).
    """

    problems: list[tuple[str, int | None, str | None, str]]
    hidden: tuple[str, ...] = ()
    options: dict[str, object] = field(default_factory=dict)


def _details(*texts: str) -> dict[str, list]:
    return {"detail": [*texts, ""]}


SPANISH = {"sheet": "Pacientes", "complications_sheet": "Complicaciones"}
IDENTIFIER_EXPECTED = "expected no direct identifiers in a cohort file"
KEY_EXPECTED = "expected a pseudonymous study code (e.g. S001), never a name or a record number"
UTF8 = "expected a CSV file saved as UTF-8 (in Excel: 'CSV UTF-8') or an .xlsx workbook"
FORMULA = "formula without a cached value (cell {}) — expected a value: open the workbook in Excel"
SHEET = "patients.xlsx, sheet 'patients'"

CASES: dict[str, Ok | Bad] = {
    # --- accepted: separators, encodings, quoting ----------------------------------------
    "ok_comma_lf": Ok(),
    "ok_semicolon_decimal_comma": Ok(),
    "ok_tab_separated": Ok(),
    "ok_utf8_bom_crlf": Ok(),
    "ok_utf16_bom": Ok(),
    "ok_utf16_be_bom": Ok(),
    "ok_quoted_fields": Ok(
        complications={
            "patient_id": ["T01", "T02", "T02", "T05", "T03"],
            "category": ["neurological", "wound", "implant", "medical", "medical"],
            "detail": [
                "temporary",
                "surgical site infection, deep",
                "implant failure",
                "",
                'pneumonia; "severe"\nsecond line',
            ],
        },
        n_complications=5,
    ),
    "ok_trailing_empty_rows_and_columns": Ok(),
    # --- accepted: names, codes and numbers written differently --------------------------
    "ok_case_and_spaces": Ok(),
    "ok_header_spelling": Ok(),
    "ok_number_forms": Ok(),
    "ok_boundary_values": Ok(
        patients={
            "age": [0, 120, 44, 70, 23, 74],
            "os_months": [22.5, 14.25, 3.0, 600.0, 38.0, 0.0],
            "lp_months": [22.5, 5.0, 3.0, 600.0, 12.5, 0.0],
            "vas_pre": [8, 10, 9, 6, 10, 5],
            "vas_post": [0, 2, 4, 1, 5, 0],
        }
    ),
    # --- accepted: tables and columns -----------------------------------------------------
    "ok_no_complications": Ok(n_complications=0),
    "ok_extra_column": Ok(notes=(DROPPED_ECOG,)),
    "ok_extra_column_kept_by_mapping": Ok(
        patients={"ecog": [1.0, 2.0, NAN, 0.0, 3.0, 1.0]},
        notes=(
            "complications.csv: dropped 1 column outside the cohort format: grade (list a "
            "column under 'keep:' in a column mapping to keep it)",
        ),
    ),
    "ok_formula_text_in_detail": Ok(
        complications=_details("temporary", '=HYPERLINK("http://example.org","click")', "-2 screws")
    ),
    "ok_dates": Ok(patients=DATES, notes=(DERIVED,)),
    # --- accepted: languages, read through a column mapping -------------------------------
    "ok_russian_utf8_with_mapping": Ok(
        complications=_details(
            "временное", "инфекция области вмешательства", "несостоятельность имплантата"
        )
    ),
    "ok_german_semicolon_with_mapping": Ok(
        complications=_details("vorübergehend", "Wundinfektion", "Implantatversagen")
    ),
    "ok_french_utf8_bom_with_mapping": Ok(
        complications=_details(
            "transitoire", "infection du site opératoire", "défaillance du matériel"
        )
    ),
    "ok_spanish_xlsx_with_mapping": Ok(
        complications=_details(
            "transitoria", "infección de herida quirúrgica", "fallo del implante"
        ),
        options=SPANISH,
    ),
    # --- accepted: Excel ------------------------------------------------------------------
    "ok_xlsx_first_sheet": Ok(
        notes=("patients.xlsx: no sheet named 'patients'; read sheet 'Sheet1'",)
    ),
    "ok_xlsx_one_workbook_named_sheets": Ok(),
    "ok_xlsx_capitalised_sheet_names": Ok(),
    "ok_xlsx_blank_first_sheet": Ok(
        notes=(
            "patients.xlsx: skipped blank sheet(s) 'Sheet1'",
            "patients.xlsx: no sheet named 'patients'; read sheet 'Data'",
        )
    ),
    "ok_xlsx_excel_dates": Ok(patients=DATES, notes=(DERIVED,)),
    "ok_xlsx_dates_as_text": Ok(patients=DATES, notes=(DERIVED,)),
    "ok_xlsx_numbers_as_text": Ok(),
    # --- accepted: identifiers the user allows --------------------------------------------
    "ok_identifiers_allowed": Ok(
        patients={"patient_id": ["P001", "P002", "P003", "P004", "P005", "P006"]},
        complications={"patient_id": ["P001", "P002", "P002", "P005"]},
        notes=(
            "patients.csv: dropped identifier columns Ф.И.О., comment",
            "patient_id values look like direct identifiers: replaced by study codes P001.. "
            "in the patients file's row order",
        ),
        options={"allow_identifiers": True},
    ),
    # --- accepted: degenerate but valid cohorts -------------------------------------------
    "ok_degenerate_one_therapy_group": Ok(patients={"adjuvant_therapy": ["targeted"] * 6}),
    "ok_degenerate_one_surgery_group": Ok(patients={"surgery": ["decompression"] * 6}),
    "ok_degenerate_all_censored": Ok(patients={"death": [0] * 6, "local_progression": [0] * 6}),
    "ok_degenerate_all_dead_at_month_0": Ok(
        patients={
            "os_months": [0.0] * 6,
            "death": [1] * 6,
            "lp_months": [0.0] * 6,
            "local_progression": [0] * 6,
        }
    ),
    "ok_degenerate_one_patient": Ok(rows=1, n_complications=1),
    "ok_degenerate_three_patients": Ok(rows=3, n_complications=3),
    # --- refused: files that cannot be read -----------------------------------------------
    "bad_empty_file": Bad([("patients.csv", None, None, "patients.csv: file is empty")]),
    "bad_header_only": Bad(
        [("patients.csv", None, None, "patients.csv: has a header but no data rows")]
    ),
    "bad_latin1_encoding": Bad(
        [
            (
                "patients.csv",
                8,
                None,
                "row 8: is not UTF-8 text (byte 0xe9; the file seems saved as Windows-1252 "
                f"or Latin-1) — {UTF8}",
            )
        ]
    ),
    "bad_cp1251_cyrillic": Bad(
        [
            (
                name,
                1,
                None,
                "row 1: is not UTF-8 text (byte 0xca; the file seems saved as Windows-1251 "
                "(Cyrillic))",
            )
            for name in ("patients.csv", "complications.csv")
        ]
    ),
    "bad_utf16_without_bom": Bad(
        [("patients.csv", None, None, f"is UTF-16 text without a byte-order mark — {UTF8}")]
    ),
    "bad_binary_file": Bad([("patients.csv", None, None, "patients.csv: is not a text file")]),
    "bad_old_xls": Bad([("patients.xls", None, None, "is an old-format Excel .xls file")]),
    "bad_not_really_xlsx": Bad(
        [
            (
                "patients.xlsx",
                None,
                None,
                "patients.xlsx: is not an .xlsx workbook (not a zip archive)",
            )
        ]
    ),
    # --- refused: Excel ---------------------------------------------------------------------
    "bad_xlsx_merged_header_rows": Bad(
        [(SHEET, None, None, f"{SHEET}: row 2 looks like the header row")]
    ),
    "bad_xlsx_merged_cells": Bad(
        [
            (
                SHEET,
                2,
                "surgery",
                "column surgery: merged cell (C2:C4) — expected one value in each cell: unmerge",
            )
        ]
    ),
    "bad_xlsx_formulas_without_cached_values": Bad(
        [
            (SHEET, 4, "age", FORMULA.format("B4")),
            (SHEET, 2, "os_months", FORMULA.format("V2 and 5 more in this column")),
        ]
    ),
    "bad_xlsx_only_blank_sheets": Bad(
        [("patients.xlsx", None, None, "patients.xlsx: has only blank sheets")]
    ),
    "bad_xlsx_sheet_missing_column": Bad(
        [
            (
                "cohort.xlsx, sheet 'Patients'",
                None,
                "frankel_post",
                "cohort.xlsx, sheet 'Patients', column frankel_post: column is missing",
            )
        ]
    ),
    # --- refused: values --------------------------------------------------------------------
    "bad_text_in_numeric_columns": Bad(
        [
            ("patients.csv", 2, "age", "value 'fifty-six' — expected an integer 0..120"),
            ("patients.csv", 3, "os_months", "'14 months' — expected a number of months 0..600"),
            ("patients.csv", 4, "vas_pre", "value 'high' — expected a number 0..10"),
        ]
    ),
    "bad_thousands_separators": Bad(
        [
            (
                "patients.csv",
                2,
                "os_months",
                "value '1,234' — expected a number of months 0..600; '1,234' could be 1234 or "
                "1.234: write one of them without a thousands separator",
            ),
            (
                "patients.csv",
                3,
                "os_months",
                "value '1,234.5' — expected a number of months 0..600; thousands separators are "
                "not read: write 1234.5",
            ),
            (
                "patients.csv",
                4,
                "age",
                "value '1 044' — expected an integer 0..120; thousands separators are not read: "
                "write 1044",
            ),
        ]
    ),
    "bad_extreme_values": Bad(
        [
            ("patients.csv", 2, "os_months", "value '1e300' — expected a number of months 0..600"),
            ("patients.csv", 3, "age", "value '-5' — expected an integer 0..120"),
            ("patients.csv", 4, "age", "value '150' — expected an integer 0..120"),
            ("patients.csv", 5, "vas_pre", "value '11' — expected a number 0..10"),
            ("patients.csv", 6, "lp_months", "value 'inf' — expected a number of months 0..600"),
            ("patients.csv", 7, "os_months", "value '601' — expected a number of months 0..600"),
        ]
    ),
    "bad_unknown_codes": Bad(
        [
            ("patients.csv", 2, "surgery", "value 'en bloc' — expected one of metastasectomy"),
            ("patients.csv", 3, "frankel_pre", "value 'F' — expected one of A, B, C, D, E"),
            ("patients.csv", 4, "death", "value 'yes' — expected 0 or 1"),
        ]
    ),
    "bad_column_all_missing": Bad(
        [
            ("patients.csv", row, "vas_post", "empty cell — expected a number 0..10")
            for row in range(2, 8)
        ]
    ),
    "bad_lp_months_after_os_months": Bad(
        [("patients.csv", 4, "lp_months", "value '3.5' — expected at most os_months (3)")]
    ),
    "bad_unknown_complication_category": Bad(
        [("complications.csv", 3, "category", "value 'infection' — expected one of neurological")]
    ),
    "bad_synthetic_marker_mixed": Bad(
        [("patients.csv", 4, "synthetic", "value '0' — expected the same value on every row")]
    ),
    # --- refused: rows and columns -----------------------------------------------------------
    "bad_row_longer_than_header": Bad(
        [
            ("patients.csv", 4, None, "row 4: has values beyond the 25 columns the header names"),
            ("patients.csv", 1, "#26", "has values but no name in the header row"),
            ("patients.csv", 1, "#27", "has values but no name in the header row"),
        ]
    ),
    "bad_duplicate_column_name": Bad(
        [("patients.csv", 1, "age", "column name appears more than once (columns 2 and 26)")]
    ),
    "bad_case_duplicate_columns": Bad(
        [
            (
                "patients.csv",
                1,
                "AGE",
                "column AGE: differs from column 'age' (column 2) only in case, spaces or "
                "punctuation — expected each column named once",
            )
        ]
    ),
    "bad_spacing_duplicate_columns": Bad(
        [
            (
                "patients.csv",
                1,
                "OS months",
                "differs from column 'os_months' (column 22) only in case, spaces or punctuation",
            )
        ]
    ),
    "bad_unnamed_column_with_values": Bad(
        [("patients.csv", 1, "#26", "has values but no name in the header row")]
    ),
    "bad_duplicate_patient_id": Bad(
        [("patients.csv", 5, "patient_id", "value 'T01' is used again (first in row 2)")]
    ),
    "bad_complication_of_unknown_patient": Bad(
        [
            (
                "complications.csv",
                2,
                "patient_id",
                "value 'T42' — expected a patient_id of the patients table",
            )
        ]
    ),
    "bad_missing_column": Bad([("patients.csv", None, "frankel_post", "column is missing")]),
    # --- refused: dates ------------------------------------------------------------------------
    "bad_dates_death_before_surgery_and_slash_date": Bad(
        [
            (
                "patients.csv",
                2,
                "death_date",
                "value '2014-12-31' — expected a date on or after surgery_date (2015-01-01)",
            ),
            (
                "patients.csv",
                3,
                "surgery_date",
                "value '01/02/2015' — expected a date written YYYY-MM-DD",
            ),
        ]
    ),
    "bad_dates_more_than_50_years": Bad(
        [
            (
                "patients.csv",
                5,
                "last_followup_date",
                "value '2015-01-01' — expected a date at most 600 months (50 years) after "
                "surgery_date (1950-01-01)",
            )
        ]
    ),
    # --- refused: identifiers ----------------------------------------------------------------
    "bad_identifier_column": Bad(
        [("patients.csv", None, "Phone", "looks like a direct identifier (a phone number)")]
    ),
    "bad_identifier_headers_russian": Bad(
        [
            ("patients.csv", None, "Ф.И.О.", "looks like a direct identifier (a name)"),
            ("patients.csv", None, "Дата рождения", "direct identifier (a birth date)"),
            ("patients.csv", None, "СНИЛС", "(an insurance or social security number)"),
            ("patients.csv", None, "№ истории болезни", "identifier (a record number)"),
        ],
        hidden=("Иванов", "1960", "445 95", "12345/2015"),
    ),
    "bad_identifier_headers_european": Bad(
        [
            ("patients.csv", None, "D.O.B.", "looks like a direct identifier (a birth date)"),
            ("patients.csv", None, "M.R.N.", "looks like a direct identifier (a record number)"),
            ("patients.csv", None, "Geburtsdatum", "looks like a direct identifier (a birth date)"),
            ("patients.csv", None, "Prénom", "looks like a direct identifier (a name)"),
            ("patients.csv", None, "Nombre", "looks like a direct identifier (a name)"),
            ("patients.csv", None, "patient", "looks like a direct identifier (a name)"),
        ]
    ),
    "bad_identifier_values_in_comment": Bad(
        [
            (
                "patients.csv",
                3,
                "comment",
                "looks like a direct identifier (a person's name; a phone number; an e-mail "
                "address; a full date (such as a date of birth); a Russian insurance number "
                f"(SNILS); rows 3, 4, 5 and 2 more) — {IDENTIFIER_EXPECTED}",
            )
        ],
        hidden=("Ivanov", "900", "mail.ru", "1960", "445 95"),
    ),
    "bad_identifier_in_detail": Bad(
        [
            (
                "complications.csv",
                4,
                "detail",
                f"looks like a direct identifier (a phone number; row 4) — {IDENTIFIER_EXPECTED}",
            )
        ],
        hidden=("7946", "wife"),
    ),
    "bad_full_dates_in_extra_column": Bad(
        [
            (
                "patients.csv",
                2,
                "admission_date",
                "looks like a direct identifier (a full date (such as a date of birth); rows 2, "
                "3, 4 and 3 more)",
            )
        ],
        hidden=("2015-01-01",),
    ),
    "bad_patient_id_record_numbers": Bad(
        [
            (
                "patients.csv",
                2,
                "patient_id",
                "(a record number (7 or more digits); rows 2, 3, 4 and 3 more) — " + KEY_EXPECTED,
            ),
            (
                "complications.csv",
                2,
                "patient_id",
                "(a record number (7 or more digits); rows 2, 3, 4 and 1 more) — " + KEY_EXPECTED,
            ),
        ],
        hidden=("4711",),
    ),
    "bad_patient_id_names": Bad(
        [
            ("patients.csv", 2, "patient_id", "(a person's name; rows 2, 3, 4 and 3 more)"),
            ("complications.csv", 2, "patient_id", "(a person's name; rows 2, 3, 4 and 1 more)"),
        ],
        hidden=("Anna", "Ivanova", "Иван", "Meier"),
    ),
}


def _files(case: str) -> tuple[Path, Path]:
    folder = CORPUS / case
    workbook = folder / "cohort.xlsx"
    if workbook.exists():
        return workbook, workbook
    patients = next(folder.glob("patients.*"))
    return patients, folder / "complications.csv"


def _options(case: str) -> dict[str, object]:
    options = dict(CASES[case].options)
    if (CORPUS / case / "mapping.yaml").exists():
        options["mapping_file"] = CORPUS / case / "mapping.yaml"
    return options


def _local(case: str, text: str) -> str:
    """A display name without the case's folder (``patients.csv``)."""
    return text.replace(paths.display_path(CORPUS / case) + "/", "")


@pytest.fixture(scope="module")
def valid() -> Cohort:
    return load_cohort(VALID / "patients.csv", VALID / "complications.csv")


def test_the_corpus_has_every_case_and_no_other():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(CASES)
    assert len(CASES) >= 60
    assert sum(isinstance(c, Ok) for c in CASES.values()) >= 30


@pytest.mark.parametrize("case", sorted(c for c in CASES if c.startswith("ok_")))
def test_accepted_case_reads_the_valid_cohort_with_the_listed_differences(case, valid):
    expected = CASES[case]
    assert isinstance(expected, Ok)
    cohort = load_cohort(*_files(case), **_options(case))
    patients = valid.patients.iloc[: expected.rows].copy()
    kept = set(patients["patient_id"])
    complications = valid.complications[valid.complications["patient_id"].isin(kept)].copy()
    if expected.n_complications == 0:
        complications = complications.iloc[0:0]
    for column, values in expected.patients.items():
        patients[column] = values
    if set(expected.complications) == set(complications.columns):  # a whole other table
        complications = pd.DataFrame(expected.complications)
    for column, values in expected.complications.items():
        complications[column] = values
    if expected.n_complications is not None:
        assert len(cohort.complications) == expected.n_complications
    pd.testing.assert_frame_equal(cohort.patients, patients.reset_index(drop=True))
    pd.testing.assert_frame_equal(
        cohort.complications, complications.reset_index(drop=True), check_dtype=False
    )
    assert tuple(_local(case, n) for n in cohort.notes) == expected.notes
    assert not cohort.is_synthetic and cohort.label.startswith("user cohort ")


@pytest.mark.parametrize("case", sorted(c for c in CASES if c.startswith("bad_")))
def test_refused_case_gives_exactly_the_listed_problems(case):
    expected = CASES[case]
    assert isinstance(expected, Bad)
    report = validate_cohort(*_files(case), **_options(case))
    found = [(_local(case, p.file), p.row, p.column) for p in report]
    assert found == [(f, r, c) for f, r, c, _ in expected.problems]
    for problem, (_, _, _, text) in zip(report, expected.problems, strict=True):
        assert text in _local(case, str(problem)), str(problem)
    with pytest.raises(CohortValidationError) as info:
        load_cohort(*_files(case), **_options(case))
    message = str(info.value)
    assert str(paths.PROJECT_ROOT) not in message and "Traceback" not in message
    for secret in expected.hidden:
        assert secret not in message


def test_the_corpus_is_rebuilt_byte_for_byte(tmp_path):
    script = CORPUS.parent / "make_corpus.py"
    subprocess.run([sys.executable, str(script), str(tmp_path / "corpus")], check=True)
    built = sorted(p.relative_to(tmp_path / "corpus") for p in (tmp_path / "corpus").rglob("*"))
    committed = sorted(p.relative_to(CORPUS) for p in CORPUS.rglob("*"))
    assert built == committed
    for name in committed:
        if (CORPUS / name).is_file():
            assert (tmp_path / "corpus" / name).read_bytes() == (CORPUS / name).read_bytes(), name


# --- random corruption never gives an unexplained exception ------------------------------


def _valid_tables() -> tuple[list[list[str]], list[list[str]]]:
    def read(name: str) -> list[list[str]]:
        with open(VALID / name, newline="", encoding="utf-8") as f:
            return [list(r) for r in csv.reader(f)]

    return read("patients.csv"), read("complications.csv")


GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "NA", "-1", "1e309", "nan", "0x10", "1,5", "1,234", "2015-02-30", "A", "0.0", "=1+1"]
    ),
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
