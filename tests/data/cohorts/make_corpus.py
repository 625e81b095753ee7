"""Write the corpus of unusual and malformed cohort files (tests/data/cohorts/corpus/).

Each case is a folder with ``patients.*`` and ``complications.*`` derived from
the hand-written valid cohort in ``tests/data/cohorts/valid/``; the expected
outcome of each is in ``tests/test_cohort_corpus.py``. The files are committed;
rerun after changing a case:

    .venv/bin/python tests/data/cohorts/make_corpus.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
VALID = HERE / "valid"
CORPUS = HERE / "corpus"
FIXED_TIME = dt.datetime(2020, 1, 1)  # workbook metadata, so rewriting gives the same content


def table(name: str) -> list[list[str]]:
    with open(VALID / name, newline="", encoding="utf-8") as f:
        return [list(r) for r in csv.reader(f)]


def set_cell(t: list[list[str]], row: int, column: str, value: str) -> None:
    t[row - 1][t[0].index(column)] = value


def csv_text(t: list[list], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(t)
    return out.getvalue()


def workbook(sheets: dict[str, list[list]], path: Path, merged: list[str] = ()) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append([_excel_value(v) for v in r])
        for cells in merged:
            ws.merge_cells(cells)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "spinemets tests"
    wb.save(path)


def _excel_value(v):
    if not isinstance(v, str):
        return v
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def write(case: str, patients: str | bytes | None = None, complications=None, suffix=".csv"):
    folder = CORPUS / case
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (("patients", patients), ("complications", complications)):
        if content is None:
            content = csv_text(table(f"{name}.csv"))
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / f"{name}{suffix if name == 'patients' else '.csv'}").write_bytes(data)


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    CORPUS.mkdir()
    p, c = table("patients.csv"), table("complications.csv")

    # --- accepted -----------------------------------------------------------------------
    write("ok_comma_lf")
    semi = [r[:] for r in p]
    set_cell(semi, 3, "os_months", "14,25")
    set_cell(semi, 6, "lp_months", "12,5")
    write("ok_semicolon_decimal_comma", csv_text(semi, ";"), csv_text(c, ";"))
    write("ok_tab_separated", csv_text(p, "\t"), csv_text(c, "\t"))
    write(
        "ok_utf8_bom_crlf",
        b"\xef\xbb\xbf" + csv_text(p, newline="\r\n").encode(),
        b"\xef\xbb\xbf" + csv_text(c, newline="\r\n").encode(),
    )
    write("ok_utf16_bom", csv_text(p).encode("utf-16"), csv_text(c).encode("utf-16"))
    quoted = [r[:] for r in c]
    quoted[2][2] = "surgical site infection, deep"
    quoted.append(["T03", "medical", 'pneumonia; "severe"\nsecond line'])
    write("ok_quoted_fields", None, csv_text(quoted))
    padded = [[*r, "", ""] for r in p] + [[""] * (len(p[0]) + 2)] * 3
    write("ok_trailing_empty_rows_and_columns", csv_text(padded))
    cased = [r[:] for r in p]
    cased[0] = [h.upper() if h in ("age", "surgery") else h for h in cased[0]]
    set_cell(cased, 2, "SURGERY", "  Metastasectomy ")
    set_cell(cased, 3, "frankel_post", "e")
    set_cell(cased, 4, "spine_region", "CERVICAL")
    write("ok_case_and_spaces", csv_text(cased))
    write("ok_no_complications", None, csv_text([c[0]]))
    extra = [r + [v] for r, v in zip(p, ["ecog", "1", "2", "", "0", "3", "1"], strict=True)]
    write("ok_extra_column", csv_text(extra))
    drop = [p[0].index(x) for x in ("os_months", "death", "lp_months", "local_progression")]
    dated = [[v for j, v in enumerate(r) if j not in drop] for r in p]
    dated[0] += ["surgery_date", "last_followup_date", "death_date", "local_progression_date"]
    for r, d in zip(
        dated[1:],
        [
            ["2015-01-01", "", "2016-01-01", ""],
            ["2015-01-01", "2015-06-30", "", "2015-03-02"],
            ["01.02.2016", "2016-03-01", "2016-04-01", ""],
            ["2010-01-01", "2015-01-01", "", ""],
            ["2012-02-28", "", "2012-03-01", "2012-03-01"],
            ["2014-05-05", "2014-05-05", "", ""],
        ],
        strict=True,
    ):
        r += d
    write("ok_dates", csv_text(dated))
    folder = CORPUS / "ok_xlsx_first_sheet"
    folder.mkdir()
    workbook({"Sheet1": p, "notes": [["free text"]]}, folder / "patients.xlsx")
    (folder / "complications.csv").write_text(csv_text(c))
    folder = CORPUS / "ok_xlsx_one_workbook_named_sheets"
    folder.mkdir()
    workbook({"readme": [["cohort"]], "complications": c, "patients": p}, folder / "cohort.xlsx")
    folder = CORPUS / "ok_xlsx_excel_dates"
    folder.mkdir()
    excel_dated = [dated[0]] + [
        [dt.datetime.fromisoformat(v) if len(v) == 10 and v[4] == "-" else v for v in r]
        for r in dated[1:]
    ]
    workbook({"patients": excel_dated}, folder / "patients.xlsx")
    (folder / "complications.csv").write_text(csv_text(c))

    # --- refused ------------------------------------------------------------------------
    write("bad_empty_file", "")
    write("bad_header_only", csv_text([p[0]]))
    write("bad_latin1_encoding", csv_text([*p, ["T07", "56", "décompression"]]).encode("latin-1"))
    write("bad_binary_file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (CORPUS / "bad_old_xls").mkdir()
    (CORPUS / "bad_old_xls" / "patients.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    (CORPUS / "bad_old_xls" / "complications.csv").write_text(csv_text(c))
    write("bad_not_really_xlsx", "patient_id,age\nT01,56\n", None, suffix=".xlsx")
    folder = CORPUS / "bad_xlsx_merged_header_rows"
    folder.mkdir()
    groups = ["Patient"] + [None] * 4 + ["Staging"] + [None] * 11 + ["Outcome"] + [None] * 7
    workbook(
        {"patients": [groups, *p]}, folder / "patients.xlsx", merged=["A1:E1", "F1:Q1", "R1:Y1"]
    )
    (folder / "complications.csv").write_text(csv_text(c))
    text = [r[:] for r in p]
    set_cell(text, 2, "age", "fifty-six")
    set_cell(text, 3, "os_months", "14 months")
    set_cell(text, 4, "vas_pre", "high")
    write("bad_text_in_numeric_columns", csv_text(text))
    ragged = [r[:] for r in p]
    ragged[3] = [*ragged[3], "oops", "again"]
    write("bad_row_longer_than_header", csv_text(ragged))
    dup_header = [[*r, r[1]] for r in p]
    write("bad_duplicate_column_name", csv_text(dup_header))
    unnamed = [[*r, v] for r, v in zip(p, ["", "x", "", "", "", "", ""], strict=True)]
    write("bad_unnamed_column_with_values", csv_text(unnamed))
    dup = [r[:] for r in p]
    set_cell(dup, 5, "patient_id", "T01")
    write("bad_duplicate_patient_id", csv_text(dup))
    orphan = [r[:] for r in c]
    set_cell(orphan, 2, "patient_id", "T42")
    write("bad_complication_of_unknown_patient", None, csv_text(orphan))
    missing = [[v for j, v in enumerate(r) if p[0][j] != "frankel_post"] for r in p]
    write("bad_missing_column", csv_text(missing))
    ident = [
        [*r, v]
        for r, v in zip(p, ["Phone", *["+7 900 000 00 0" + str(i) for i in range(6)]], strict=True)
    ]
    write("bad_identifier_column", csv_text(ident))
    bad_dates = [r[:] for r in dated]
    set_cell(bad_dates, 2, "death_date", "2014-12-31")
    set_cell(bad_dates, 3, "surgery_date", "01/02/2015")
    write("bad_dates_death_before_surgery_and_slash_date", csv_text(bad_dates))
    lp = [r[:] for r in p]
    set_cell(lp, 4, "lp_months", "3.5")
    write("bad_lp_months_after_os_months", csv_text(lp))
    na = [r[:] for r in p]
    for row in range(2, 8):
        set_cell(na, row, "vas_post", "NA")
    write("bad_column_all_missing", csv_text(na))
    codes = [r[:] for r in p]
    set_cell(codes, 2, "surgery", "en bloc")
    set_cell(codes, 3, "frankel_pre", "F")
    set_cell(codes, 4, "death", "yes")
    write("bad_unknown_codes", csv_text(codes))
    cat = [r[:] for r in c]
    set_cell(cat, 3, "category", "infection")
    write("bad_unknown_complication_category", None, csv_text(cat))
    marker = [r + [v] for r, v in zip(p, ["synthetic", "1", "1", "0", "1", "1", "1"], strict=True)]
    write("bad_synthetic_marker_mixed", csv_text(marker))


if __name__ == "__main__":
    main()
