"""Column mapping (spinemets.cohort.mapping) and Excel sheet choice."""

from __future__ import annotations

import pytest
from spinemets.cli import main
from spinemets.cohort import load_cohort, validate_cohort

from .test_load import rows, set_cell, write

MAPPING = """\
columns: {"Frankel preop": frankel_pre, "Age at surgery": age}
values: {surgery: {"En bloc": metastasectomy, "Decompr.": decompression}, death: {yes: 1, no: 0}}
"""


def user_files(tmp_path):
    p = rows("patients.csv")
    p[0] = [{"frankel_pre": "Frankel preop", "age": "Age at surgery"}.get(h, h) for h in p[0]]
    codes = {"metastasectomy": "En bloc", "decompression": "Decompr."}
    for r in p[1:]:
        r[p[0].index("surgery")] = codes[r[p[0].index("surgery")]]
        r[p[0].index("death")] = {"1": "Yes", "0": "no"}[r[p[0].index("death")]]
    files = write(tmp_path, p)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    return files, mapping


def test_mapping_renames_columns_and_recodes_values(tmp_path):
    (p, c), mapping = user_files(tmp_path)
    before = p.read_bytes()
    cohort = load_cohort(p, c, mapping_file=mapping)
    assert cohort.patients["age"].tolist() == [56, 61, 44, 70, 23, 74]
    assert cohort.patients["frankel_pre"].tolist() == ["C", "D", "B", "E", "A", "D"]
    assert cohort.patients["surgery"].tolist()[:2] == ["metastasectomy", "decompression"]
    assert cohort.patients["death"].tolist() == [1, 1, 1, 0, 1, 1]
    assert p.read_bytes() == before  # the user's file is never modified


def test_without_the_mapping_the_same_files_are_refused(tmp_path):
    (p, c), _ = user_files(tmp_path)
    lines = validate_cohort(p, c).lines()
    assert "patients.csv, column age: column is missing" in lines[0]
    assert "patients.csv, row 2, column surgery: value 'En bloc'" in lines[2]


def test_unmapped_codes_are_still_reported(tmp_path):
    (p, c), mapping = user_files(tmp_path)
    table = rows("patients.csv")
    table[0] = [
        {"frankel_pre": "Frankel preop", "age": "Age at surgery"}.get(h, h) for h in table[0]
    ]
    set_cell(table, 3, "surgery", "Laminectomy")
    p, c = write(tmp_path, table)
    assert validate_cohort(p, c, mapping_file=mapping).lines() == [
        "patients.csv, row 3, column surgery: value 'Laminectomy' — expected one of "
        "metastasectomy, decompression"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [a, b]\n", "mapping.yaml, column columns: is not a mapping of names"),
        ("colums: {a: age}\n", "mapping.yaml: unknown key 'colums'"),
        ("values: {surgery: [a]}\n", "mapping.yaml, column values: is not a mapping of codes"),
        ("columns: {a: age\n", "is not valid YAML"),
        ("columns: {A: age, B: age}\n", "'A', 'B' all map to 'age'"),
        (
            "columns: {Agee: age}\n",
            "mapping.yaml, column columns: names column 'Agee', which is in neither file",
        ),
    ],
)
def test_bad_mapping_files_are_explained(tmp_path, text, message):
    (p, c), mapping = user_files(tmp_path)
    mapping.write_text(text)
    lines = validate_cohort(p, c, mapping_file=mapping).lines()
    assert any(message in line for line in lines), lines


def test_rename_onto_an_existing_column_is_refused(tmp_path):
    p, c = write(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {vas_pre: vas_post}\n")
    lines = validate_cohort(p, c, mapping_file=mapping).lines()
    assert lines == [
        "patients.csv, row 1, column vas_post: column 'vas_pre' is mapped to 'vas_post', which "
        "the file already has — expected one column per cohort column"
    ]


def test_missing_mapping_file(tmp_path):
    p, c = write(tmp_path)
    assert validate_cohort(p, c, mapping_file=tmp_path / "none.yaml").lines() == [
        "none.yaml: not found — expected an existing YAML file"
    ]


def test_validate_cli_mapping_option(tmp_path, capsys):
    (p, c), mapping = user_files(tmp_path)
    args = ["validate", "--patients", str(p), "--complications", str(c)]
    assert main([*args, "--mapping", str(mapping)]) == 0
    assert capsys.readouterr().out.startswith("OK: 6 patients, 4 complications")


# --- Excel sheets --------------------------------------------------------------------------


def _workbook(path, sheets):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, table in sheets.items():
        ws = wb.create_sheet(title)
        for r in table:
            ws.append(r)
    wb.save(path)


def test_excel_sheet_chosen_by_name(tmp_path):
    book = tmp_path / "cohort.xlsx"
    _workbook(
        book,
        {"other": [["x"]], "2019 data": rows("patients.csv"), "comp": rows("complications.csv")},
    )
    cohort = load_cohort(book, book, sheet="2019 data", complications_sheet="comp")
    assert len(cohort.patients) == 6 and len(cohort.complications) == 4
    assert cohort.patients["age"].dtype == "int64"
    lines = validate_cohort(book, book, sheet="2020").lines()
    assert lines[0] == (
        "cohort.xlsx: has no sheet named '2020' — expected one of the sheets 'other', "
        "'2019 data', 'comp'"
    )
