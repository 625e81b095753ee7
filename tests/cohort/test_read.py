"""Reading a cohort table (spinemets.cohort.read): names, sheets, encodings, Excel cells.

Small hand-made files; the corpus (tests/cohort/test_corpus.py) covers whole cohorts.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from spinemets.cohort import load_cohort, validate_cohort
from spinemets.cohort.read import header_key, read_table

from .test_load import rows, write


@pytest.mark.parametrize(
    ("name", "key"),
    [("Age", "age"), ("OS months", "os_months"), (" os.months ", "os_months"),
     ("Frankel-pre", "frankel_pre"), ("VAS__post", "vas_post"), ("ÂGE", "âge")],
)  # fmt: skip
def test_header_key_ignores_case_spaces_and_punctuation(name, key):
    assert header_key(name) == key


def _book(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for r in table:
            sheet.append(r)
    book.save(path)
    return path


def test_a_sheet_named_by_the_user_matches_whatever_its_case(tmp_path):
    book = _book(tmp_path / "c.xlsx", {"Data": [["x"]], "Patients 2019": rows("patients.csv")})
    table, problems = read_table(book, "c.xlsx", sheet="patients 2019")
    assert problems == [] and table is not None
    assert table.file == "c.xlsx, sheet 'Patients 2019'"
    assert list(table.frame.index) == [2, 3, 4, 5, 6, 7]


def test_the_default_sheet_matches_whatever_its_case(tmp_path):
    book = _book(
        tmp_path / "c.xlsx",
        {
            "Sheet1": [["x"]],
            "COMPLICATIONS": rows("complications.csv"),
            "Patients": rows("patients.csv"),
        },
    )
    cohort = load_cohort(book, book)
    assert len(cohort.patients) == 6 and len(cohort.complications) == 4
    assert cohort.notes == ()


def test_a_blank_sheet_chosen_by_name_is_empty(tmp_path):
    book = _book(tmp_path / "c.xlsx", {"patients": [], "complications": rows("complications.csv")})
    assert validate_cohort(book, book).lines() == [
        "c.xlsx, sheet 'patients': sheet is empty — expected a header row naming the columns, "
        "then one row per record"
    ]


def test_a_formula_with_its_cached_value_is_read_as_the_value(tmp_path):
    table = rows("patients.csv")
    table[3][1] = "=40+4"  # row 4, column age (B4): T03 is 44
    book = _book(tmp_path / "p.xlsx", {"patients": table})
    assert [p.issue for p in validate_cohort(book, write(tmp_path)[1])] == [
        "formula without a cached value (cell B4)"
    ]
    # what Excel writes after calculating: the result beside the formula
    with zipfile.ZipFile(book) as source:
        parts = {i.filename: source.read(i) for i in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb"(<f>40\+4</f>)<v ?/>", rb"\1<v>44</v>", parts[sheet])
    assert b"<v>44</v>" in parts[sheet]
    calculated = tmp_path / "calculated.xlsx"
    with zipfile.ZipFile(calculated, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    cohort = load_cohort(calculated, write(tmp_path)[1])
    assert cohort.patients["age"].tolist() == [56, 61, 44, 70, 23, 74]


def test_merged_cells_are_named_once_and_not_again_as_empty_cells(tmp_path):
    table = rows("patients.csv")
    for row in (3, 4):
        table[row - 1][2] = None  # surgery of T02, T03 under a merged C2:C4
    book = tmp_path / "p.xlsx"
    _book(book, {"patients": table})
    workbook = openpyxl.load_workbook(book)
    workbook["patients"].merge_cells("C2:C4")
    workbook.save(book)
    lines = validate_cohort(book, write(tmp_path)[1]).lines()
    assert lines == [
        "p.xlsx, sheet 'patients', row 2, column surgery: merged cell (C2:C4) — expected one "
        "value in each cell: unmerge the cells and fill each one"
    ]


@pytest.mark.parametrize(
    ("data", "issue"),
    [
        ("Код;Возраст\nT01;56\n".encode("cp1251"), "seems saved as Windows-1251 (Cyrillic)"),
        ("patient_id,âge\nT01,56\n".encode("latin-1"), "seems saved as Windows-1252 or Latin-1"),
        ("patient_id,age\nT01,56\n".encode("utf-16-le"), "is UTF-16 text without a byte-order"),
        (b"\x00\x01\x02PK\x03\x04" * 4, "is not a text file"),
    ],
)
def test_encodings_that_are_refused_say_what_the_file_seems_to_be(tmp_path, data, issue):
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    table, problems = read_table(path, "p.csv")
    assert table is None and len(problems) == 1 and issue in str(problems[0])


def test_utf16_with_a_byte_order_mark_is_read_in_both_byte_orders(tmp_path):
    for encoding, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(bom + "patient_id;âge\nT01;56\n".encode(encoding))
        table, problems = read_table(path, path.name)
        assert problems == [] and table is not None
        assert list(table.frame.columns) == ["patient_id", "âge"]


def test_columns_differing_only_in_case_or_spacing_are_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("patient_id,Age,age,os months,OS_Months\nT01,56,56,1,1\n", encoding="utf-8")
    table, problems = read_table(path, "p.csv")
    assert [str(p) for p in problems] == [
        "p.csv, row 1, column age: differs from column 'Age' (column 2) only in case, spaces or "
        "punctuation — expected each column named once",
        "p.csv, row 1, column OS_Months: differs from column 'os months' (column 4) only in "
        "case, spaces or punctuation — expected each column named once",
    ]
    assert table is not None and list(table.frame.columns) == ["patient_id", "Age", "os months"]
