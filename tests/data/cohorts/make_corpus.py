"""Write the corpus of unusual and malformed cohort files (tests/data/cohorts/corpus/).

Each case is a folder with ``patients.*`` and ``complications.*`` (or one
``cohort.xlsx`` holding both), and ``mapping.yaml`` when the case needs a column
mapping, derived from the hand-written valid cohort in ``tests/data/cohorts/valid/``
(6 patients, 4 complications). The expected outcome of each case, and the loading
options some need, are in ``tests/cohort/test_corpus.py``. The files are committed;
the script is deterministic (workbooks are written with fixed times and re-zipped
with fixed entry dates), and a test rebuilds the corpus into a temporary folder
and compares it byte for byte. Rerun after changing a case:

    .venv/bin/python tests/data/cohorts/make_corpus.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
VALID = HERE / "valid"
CORPUS = HERE / "corpus"
FIXED_TIME = dt.datetime(2020, 1, 1)  # workbook metadata and zip entry dates
DURATIONS = ("os_months", "death", "lp_months", "local_progression")
DATES = ("surgery_date", "last_followup_date", "death_date", "local_progression_date")


def table(name: str) -> list[list[str]]:
    with open(VALID / name, newline="", encoding="utf-8") as f:
        return [list(r) for r in csv.reader(f)]


def copy(t: list[list[str]]) -> list[list[str]]:
    return [r[:] for r in t]


def set_cell(t: list[list], row: int, column: str, value: object) -> None:
    """Set a cell by spreadsheet row number (header = 1) and column name."""
    t[row - 1][t[0].index(column)] = value


def set_column(t: list[list], column: str, value: object) -> None:
    for r in t[1:]:
        r[t[0].index(column)] = value


def add_column(t: list[list], name: str, cells: list[object]) -> list[list]:
    return [[*r, v] for r, v in zip(t, [name, *cells], strict=True)]


def rename(t: list[list], names: dict[str, str]) -> list[list]:
    return [[names.get(h, h) for h in t[0]], *copy(t[1:])]


def recode(t: list[list], column: str, codes: dict[str, str]) -> None:
    j = t[0].index(column)
    for r in t[1:]:
        r[j] = codes.get(r[j], r[j])


def csv_text(t: list[list], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(t)
    return out.getvalue()


def _excel_value(v: object) -> object:
    if not isinstance(v, str):
        return v
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


def workbook(
    sheets: dict[str, list[list]],
    path: Path,
    merged: dict[str, list[str]] | None = None,
    as_text: bool = False,
) -> None:
    """An .xlsx file; numbers become number cells unless ``as_text``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append([v if as_text else _excel_value(v) for v in r])
        for cells in (merged or {}).get(title, []):
            ws.merge_cells(cells)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "spinemets tests"
    wb.save(path)
    _fix_zip_dates(path)


def _fix_zip_dates(path: Path) -> None:
    """Rewrite a workbook so that its bytes never depend on the clock.

    Every zip entry is dated FIXED_TIME, and so is the "modified" property, which
    openpyxl sets to the time of saving.
    """
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    entries = [
        (name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data))
        for name, data in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)


class Corpus:
    """Writes cases under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, case: str) -> Path:
        folder = self.root / case
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def write(
        self,
        case: str,
        patients: str | bytes | None = None,
        complications: str | bytes | None = None,
        suffix: str = ".csv",
        mapping: str | None = None,
    ) -> None:
        """A two-file CSV case (``patients`` None: the valid table, same for complications)."""
        folder = self.folder(case)
        for name, content in (("patients", patients), ("complications", complications)):
            if content is None:
                content = csv_text(table(f"{name}.csv"))
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / f"{name}{suffix if name == 'patients' else '.csv'}").write_bytes(data)
        if mapping is not None:
            (folder / "mapping.yaml").write_text(mapping, encoding="utf-8")

    def workbook(self, case: str, name: str, sheets: dict[str, list[list]], **kwargs) -> Path:
        path = self.folder(case) / name
        workbook(sheets, path, **kwargs)
        return path

    def complications_csv(self, case: str, t: list[list] | None = None) -> None:
        text = csv_text(t if t is not None else table("complications.csv"))
        (self.folder(case) / "complications.csv").write_text(text, encoding="utf-8")


def dated_table(p: list[list[str]]) -> list[list[str]]:
    """The valid cohort with the four survival columns replaced by dates."""
    drop = [p[0].index(x) for x in DURATIONS]
    dated = [[v for j, v in enumerate(r) if j not in drop] for r in p]
    dated[0] += list(DATES)
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
    return dated


# --- languages: the valid cohort as a Russian, German, French or Spanish centre writes it ----

RUSSIAN_PATIENTS = {
    "patient_id": "Код пациента", "age": "Возраст", "surgery": "Операция",
    "adjuvant_therapy": "Терапия", "spine_region": "Отдел позвоночника",
    "frankel_pre": "Frankel до", "frankel_post": "Frankel после", "vas_pre": "ВАШ до",
    "vas_post": "ВАШ после", "os_months": "Выживаемость, мес", "death": "Смерть",
    "lp_months": "До прогрессии, мес", "local_progression": "Местная прогрессия",
}  # fmt: skip
RUSSIAN_COMPLICATIONS = {
    "patient_id": "Код пациента",
    "category": "Категория",
    "detail": "Описание",
}
RUSSIAN_CODES = {
    "surgery": {"metastasectomy": "Метастазэктомия", "decompression": "Декомпрессия"},
    "adjuvant_therapy": {"targeted": "таргетная", "cytokine": "цитокиновая"},
    "spine_region": {"thoracic": "грудной", "lumbar": "поясничный", "cervical": "шейный"},
    "death": {"1": "да", "0": "нет"},
    "category": {
        "neurological": "неврологическое", "wound": "раневое", "implant": "имплант",
        "medical": "соматическое",
    },
    "detail": {
        "temporary": "временное", "surgical site infection": "инфекция области вмешательства",
        "implant failure": "несостоятельность имплантата",
    },
}  # fmt: skip

GERMAN_PATIENTS = {
    "patient_id": "Patienten-ID", "age": "Alter", "surgery": "Operation",
    "adjuvant_therapy": "Therapie", "spine_region": "Wirbelsäulenabschnitt",
    "frankel_pre": "Frankel prä", "frankel_post": "Frankel post",
    "os_months": "Überleben (Monate)", "death": "Verstorben",
    "lp_months": "Lokalrezidiv (Monate)", "local_progression": "Lokalrezidiv",
}  # fmt: skip
GERMAN_COMPLICATIONS = {
    "patient_id": "Patienten-ID",
    "category": "Kategorie",
    "detail": "Beschreibung",
}
GERMAN_CODES = {
    "surgery": {"metastasectomy": "Metastasektomie", "decompression": "Dekompression"},
    "adjuvant_therapy": {"targeted": "zielgerichtet", "cytokine": "Zytokine"},
    "spine_region": {"thoracic": "thorakal", "lumbar": "lumbal", "cervical": "zervikal"},
    "death": {"1": "ja", "0": "nein"},
    "local_progression": {"1": "ja", "0": "nein"},
    "category": {
        "neurological": "neurologisch", "wound": "Wunde", "implant": "Implantat",
        "medical": "internistisch",
    },
    "detail": {
        "temporary": "vorübergehend", "surgical site infection": "Wundinfektion",
        "implant failure": "Implantatversagen",
    },
}  # fmt: skip

FRENCH_PATIENTS = {
    "patient_id": "Code patient", "age": "Âge", "surgery": "Chirurgie",
    "adjuvant_therapy": "Traitement adjuvant", "spine_region": "Région rachidienne",
    "os_months": "Survie (mois)", "death": "Décès", "lp_months": "Survie sans récidive (mois)",
    "local_progression": "Récidive locale",
}  # fmt: skip
FRENCH_COMPLICATIONS = {"patient_id": "Code patient", "category": "Catégorie", "detail": "Détail"}
FRENCH_CODES = {
    "surgery": {"metastasectomy": "métastasectomie", "decompression": "décompression"},
    "adjuvant_therapy": {"targeted": "thérapie ciblée", "cytokine": "cytokines"},
    "spine_region": {"thoracic": "thoracique", "lumbar": "lombaire", "cervical": "cervicale"},
    "death": {"1": "oui", "0": "non"},
    "local_progression": {"1": "oui", "0": "non"},
    "category": {
        "neurological": "neurologique", "wound": "plaie", "implant": "matériel",
        "medical": "médicale",
    },
    "detail": {
        "temporary": "transitoire", "surgical site infection": "infection du site opératoire",
        "implant failure": "défaillance du matériel",
    },
}  # fmt: skip

SPANISH_PATIENTS = {
    "patient_id": "Código", "age": "Edad", "surgery": "Cirugía", "adjuvant_therapy": "Terapia",
    "spine_region": "Región", "os_months": "Supervivencia (meses)", "death": "Fallecido",
    "lp_months": "Progresión local (meses)", "local_progression": "Progresión local",
}  # fmt: skip
SPANISH_COMPLICATIONS = {"patient_id": "Código", "category": "Tipo", "detail": "Detalle"}
SPANISH_CODES = {
    "surgery": {"metastasectomy": "metastasectomía", "decompression": "descompresión"},
    "adjuvant_therapy": {"targeted": "terapia dirigida", "cytokine": "citocinas"},
    "spine_region": {"thoracic": "torácica", "lumbar": "lumbar", "cervical": "cervical"},
    "death": {"1": "sí", "0": "no"},
    "local_progression": {"1": "sí", "0": "no"},
    "category": {
        "neurological": "neurológica", "wound": "herida", "implant": "implante",
        "medical": "médica",
    },
    "detail": {
        "temporary": "transitoria", "surgical site infection": "infección de herida quirúrgica",
        "implant failure": "fallo del implante",
    },
}  # fmt: skip


def translated(
    patients: dict[str, str], complications: dict[str, str], codes: dict[str, dict[str, str]]
) -> tuple[list[list], list[list], str]:
    """The valid cohort in another language, and the mapping that reads it back."""
    p, c = table("patients.csv"), table("complications.csv")
    for t in (p, c):
        for column, values in codes.items():
            if column in t[0] and column != "detail":
                recode(t, column, values)
    recode(c, "detail", codes["detail"])
    p, c = rename(p, patients), rename(c, complications)
    lines = ["columns:"]
    for source, target in {**patients, **complications}.items():
        lines.append(f'  "{target}": {source}')
    lines.append("values:")
    for column, values in codes.items():
        if column == "detail":
            continue
        pairs = ", ".join(f'"{theirs}": "{ours}"' for ours, theirs in values.items())
        lines.append(f"  {column}: {{{pairs}}}")
    return p, c, "\n".join(lines) + "\n"


# --- the cases -----------------------------------------------------------------------------


def accepted(corpus: Corpus) -> None:
    p, c = table("patients.csv"), table("complications.csv")

    # separators, encodings, quoting
    corpus.write("ok_comma_lf")
    semi = copy(p)
    set_cell(semi, 3, "os_months", "14,25")
    set_cell(semi, 6, "lp_months", "12,5")
    corpus.write("ok_semicolon_decimal_comma", csv_text(semi, ";"), csv_text(c, ";"))
    corpus.write("ok_tab_separated", csv_text(p, "\t"), csv_text(c, "\t"))
    corpus.write(
        "ok_utf8_bom_crlf",
        b"\xef\xbb\xbf" + csv_text(p, newline="\r\n").encode(),
        b"\xef\xbb\xbf" + csv_text(c, newline="\r\n").encode(),
    )
    corpus.write("ok_utf16_bom", csv_text(p).encode("utf-16"), csv_text(c).encode("utf-16"))
    corpus.write(
        "ok_utf16_be_bom",
        b"\xfe\xff" + csv_text(p).encode("utf-16-be"),
        b"\xfe\xff" + csv_text(c).encode("utf-16-be"),
    )
    quoted = copy(c)
    quoted[2][2] = "surgical site infection, deep"
    quoted.append(["T03", "medical", 'pneumonia; "severe"\nsecond line'])
    corpus.write("ok_quoted_fields", None, csv_text(quoted))
    padded = [[*r, "", ""] for r in p] + [[""] * (len(p[0]) + 2)] * 3
    corpus.write("ok_trailing_empty_rows_and_columns", csv_text(padded))

    # names and codes written differently
    cased = copy(p)
    cased[0] = [h.upper() if h in ("age", "surgery") else h for h in cased[0]]
    set_cell(cased, 2, "SURGERY", "  Metastasectomy ")
    set_cell(cased, 3, "frankel_post", "e")
    set_cell(cased, 4, "spine_region", "CERVICAL")
    corpus.write("ok_case_and_spaces", csv_text(cased))
    spelled = rename(
        p,
        {"patient_id": "Patient ID", "os_months": "OS months", "frankel_pre": "Frankel-pre",
         "vas_post": "VAS.post", "lp_months": " LP_Months "},
    )  # fmt: skip
    corpus.write("ok_header_spelling", csv_text(spelled))
    numbers = copy(p)
    set_cell(numbers, 2, "age", "56.0")
    set_cell(numbers, 2, "nephrectomy", "1.0")
    set_cell(numbers, 3, "os_months", "14.250")  # the point is a decimal point
    set_cell(numbers, 4, "os_months", "3e0")
    set_cell(numbers, 5, "vas_pre", "+6")
    corpus.write("ok_number_forms", csv_text(numbers))
    boundary = copy(p)
    set_cell(boundary, 2, "age", "0")
    set_cell(boundary, 3, "age", "120")
    set_cell(boundary, 5, "os_months", "600")
    set_cell(boundary, 5, "lp_months", "600")
    set_cell(boundary, 2, "vas_post", "0")
    set_cell(boundary, 3, "vas_pre", "10")
    corpus.write("ok_boundary_values", csv_text(boundary))

    # tables and columns
    corpus.write("ok_no_complications", None, csv_text([c[0]]))
    extra = add_column(p, "ecog", ["1", "2", "", "0", "3", "1"])
    corpus.write("ok_extra_column", csv_text(extra))
    corpus.write(
        "ok_extra_column_kept_by_mapping",
        csv_text(extra),
        csv_text(add_column(c, "grade", ["I", "II", "III", "II"])),
        mapping="keep: [ecog]\n",
    )
    formula = copy(c)
    set_cell(formula, 3, "detail", '=HYPERLINK("http://example.org","click")')
    set_cell(formula, 4, "detail", "-2 screws")
    corpus.write("ok_formula_text_in_detail", None, csv_text(formula))

    # dates
    dated = dated_table(p)
    corpus.write("ok_dates", csv_text(dated))

    # languages, each with the mapping that reads it
    rp, rc, rmap = translated(RUSSIAN_PATIENTS, RUSSIAN_COMPLICATIONS, RUSSIAN_CODES)
    corpus.write("ok_russian_utf8_with_mapping", csv_text(rp), csv_text(rc), mapping=rmap)
    gp, gc, gmap = translated(GERMAN_PATIENTS, GERMAN_COMPLICATIONS, GERMAN_CODES)
    for row in range(2, 8):
        cell = gp[row - 1][gp[0].index("Überleben (Monate)")]
        set_cell(gp, row, "Überleben (Monate)", cell.replace(".", ","))
    corpus.write(
        "ok_german_semicolon_with_mapping", csv_text(gp, ";"), csv_text(gc, ";"), mapping=gmap
    )
    fp, fc, fmap = translated(FRENCH_PATIENTS, FRENCH_COMPLICATIONS, FRENCH_CODES)
    corpus.write(
        "ok_french_utf8_bom_with_mapping",
        b"\xef\xbb\xbf" + csv_text(fp, newline="\r\n").encode(),
        b"\xef\xbb\xbf" + csv_text(fc, newline="\r\n").encode(),
        mapping=fmap,
    )
    sp, sc, smap = translated(SPANISH_PATIENTS, SPANISH_COMPLICATIONS, SPANISH_CODES)
    corpus.workbook(
        "ok_spanish_xlsx_with_mapping", "cohort.xlsx", {"Pacientes": sp, "Complicaciones": sc}
    )
    (corpus.folder("ok_spanish_xlsx_with_mapping") / "mapping.yaml").write_text(
        smap, encoding="utf-8"
    )

    # Excel
    corpus.workbook("ok_xlsx_first_sheet", "patients.xlsx", {"Sheet1": p, "notes": [["free text"]]})
    corpus.complications_csv("ok_xlsx_first_sheet")
    corpus.workbook(
        "ok_xlsx_one_workbook_named_sheets",
        "cohort.xlsx",
        {"readme": [["cohort"]], "complications": c, "patients": p},
    )
    corpus.workbook(
        "ok_xlsx_capitalised_sheet_names",
        "cohort.xlsx",
        {"README": [["cohort"]], "Complications": c, "PATIENTS": p},
    )
    corpus.workbook("ok_xlsx_blank_first_sheet", "patients.xlsx", {"Sheet1": [], "Data": p})
    corpus.complications_csv("ok_xlsx_blank_first_sheet")
    excel_dated = [dated[0]] + [
        [dt.datetime.fromisoformat(v) if len(v) == 10 and v[4] == "-" else v for v in r]
        for r in dated[1:]
    ]
    corpus.workbook("ok_xlsx_excel_dates", "patients.xlsx", {"patients": excel_dated})
    corpus.complications_csv("ok_xlsx_excel_dates")
    corpus.workbook("ok_xlsx_dates_as_text", "patients.xlsx", {"patients": dated}, as_text=True)
    corpus.complications_csv("ok_xlsx_dates_as_text")
    corpus.workbook("ok_xlsx_numbers_as_text", "patients.xlsx", {"patients": p}, as_text=True)
    corpus.complications_csv("ok_xlsx_numbers_as_text")

    # identifiers the user allows: dropped, and record numbers replaced by study codes
    allowed = add_column(
        p, "Ф.И.О.", ["Иванов И.И.", "Петров П.П.", "Сидоров С.С.", "Smith J.R.", "J. Doe", "Ли В."]
    )
    allowed = add_column(allowed, "comment", ["", "tel. +7 900 123-45-67", "", "", "", ""])
    ids = {f"T0{i}": f"{2015000 + i}/15" for i in range(1, 7)}
    recode(allowed, "patient_id", ids)
    allowed_c = copy(c)
    recode(allowed_c, "patient_id", ids)
    corpus.write("ok_identifiers_allowed", csv_text(allowed), csv_text(allowed_c))

    # degenerate but valid cohorts (they must validate; what an analysis does with them is
    # the notebooks' business)
    one_therapy = copy(p)
    set_column(one_therapy, "adjuvant_therapy", "targeted")
    corpus.write("ok_degenerate_one_therapy_group", csv_text(one_therapy))
    one_surgery = copy(p)
    set_column(one_surgery, "surgery", "decompression")
    corpus.write("ok_degenerate_one_surgery_group", csv_text(one_surgery))
    censored = copy(p)
    set_column(censored, "death", "0")
    set_column(censored, "local_progression", "0")
    corpus.write("ok_degenerate_all_censored", csv_text(censored))
    dead = copy(p)
    for column, value in zip(DURATIONS, ("0", "1", "0", "0"), strict=True):
        set_column(dead, column, value)
    corpus.write("ok_degenerate_all_dead_at_month_0", csv_text(dead))
    corpus.write("ok_degenerate_one_patient", csv_text(p[:2]), csv_text(c[:2]))
    corpus.write("ok_degenerate_three_patients", csv_text(p[:4]), csv_text(c[:4]))


def refused(corpus: Corpus) -> None:
    p, c = table("patients.csv"), table("complications.csv")

    # files that cannot be read
    corpus.write("bad_empty_file", "")
    corpus.write("bad_header_only", csv_text([p[0]]))
    corpus.write(
        "bad_latin1_encoding", csv_text([*p, ["T07", "56", "décompression"]]).encode("latin-1")
    )
    rp, rc, rmap = translated(RUSSIAN_PATIENTS, RUSSIAN_COMPLICATIONS, RUSSIAN_CODES)
    corpus.write(
        "bad_cp1251_cyrillic", csv_text(rp).encode("cp1251"), csv_text(rc).encode("cp1251")
    )
    (corpus.folder("bad_cp1251_cyrillic") / "mapping.yaml").write_text(rmap, encoding="utf-8")
    corpus.write("bad_utf16_without_bom", csv_text(p).encode("utf-16-le"))
    corpus.write("bad_binary_file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    folder = corpus.folder("bad_old_xls")
    (folder / "patients.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    corpus.complications_csv("bad_old_xls")
    corpus.write("bad_not_really_xlsx", "patient_id,age\nT01,56\n", None, suffix=".xlsx")

    # Excel
    groups = ["Patient"] + [None] * 4 + ["Staging"] + [None] * 11 + ["Outcome"] + [None] * 7
    corpus.workbook(
        "bad_xlsx_merged_header_rows",
        "patients.xlsx",
        {"patients": [groups, *p]},
        merged={"patients": ["A1:E1", "F1:Q1", "R1:Y1"]},
    )
    corpus.complications_csv("bad_xlsx_merged_header_rows")
    merged = copy(p)
    set_cell(merged, 3, "surgery", None)  # C2:C4 merged: the group of rows shows one value
    set_cell(merged, 4, "surgery", None)
    corpus.workbook(
        "bad_xlsx_merged_cells",
        "patients.xlsx",
        {"patients": merged},
        merged={"patients": ["C2:C4"]},
    )
    corpus.complications_csv("bad_xlsx_merged_cells")
    formulas = copy(p)
    for row in range(2, 8):  # openpyxl stores formulas without their results
        months = formulas[row - 1][p[0].index("os_months")]
        set_cell(formulas, row, "os_months", f"=ROUND({months},2)")
    set_cell(formulas, 4, "age", "=40+4")
    corpus.workbook(
        "bad_xlsx_formulas_without_cached_values", "patients.xlsx", {"patients": formulas}
    )
    corpus.complications_csv("bad_xlsx_formulas_without_cached_values")
    corpus.workbook("bad_xlsx_only_blank_sheets", "patients.xlsx", {"Sheet1": [], "Sheet2": []})
    corpus.complications_csv("bad_xlsx_only_blank_sheets")
    no_frankel = [[v for j, v in enumerate(r) if p[0][j] != "frankel_post"] for r in p]
    corpus.workbook(
        "bad_xlsx_sheet_missing_column", "cohort.xlsx", {"Patients": no_frankel, "Complications": c}
    )

    # values
    text = copy(p)
    set_cell(text, 2, "age", "fifty-six")
    set_cell(text, 3, "os_months", "14 months")
    set_cell(text, 4, "vas_pre", "high")
    corpus.write("bad_text_in_numeric_columns", csv_text(text))
    thousands = copy(p)
    set_cell(thousands, 2, "os_months", "1,234")
    set_cell(thousands, 3, "os_months", "1,234.5")
    set_cell(thousands, 4, "age", "1 044")
    corpus.write("bad_thousands_separators", csv_text(thousands))
    extreme = copy(p)
    set_cell(extreme, 2, "os_months", "1e300")
    set_cell(extreme, 3, "age", "-5")
    set_cell(extreme, 4, "age", "150")
    set_cell(extreme, 5, "vas_pre", "11")
    set_cell(extreme, 6, "lp_months", "inf")
    set_cell(extreme, 7, "os_months", "601")
    corpus.write("bad_extreme_values", csv_text(extreme))
    codes = copy(p)
    set_cell(codes, 2, "surgery", "en bloc")
    set_cell(codes, 3, "frankel_pre", "F")
    set_cell(codes, 4, "death", "yes")
    corpus.write("bad_unknown_codes", csv_text(codes))
    na = copy(p)
    for row in range(2, 8):
        set_cell(na, row, "vas_post", "NA")
    corpus.write("bad_column_all_missing", csv_text(na))
    lp = copy(p)
    set_cell(lp, 4, "lp_months", "3.5")
    corpus.write("bad_lp_months_after_os_months", csv_text(lp))
    cat = copy(c)
    set_cell(cat, 3, "category", "infection")
    corpus.write("bad_unknown_complication_category", None, csv_text(cat))
    marker = add_column(p, "synthetic", ["1", "1", "0", "1", "1", "1"])
    corpus.write("bad_synthetic_marker_mixed", csv_text(marker))

    # rows and columns
    ragged = copy(p)
    ragged[3] = [*ragged[3], "oops", "again"]
    corpus.write("bad_row_longer_than_header", csv_text(ragged))
    corpus.write("bad_duplicate_column_name", csv_text([[*r, r[1]] for r in p]))
    corpus.write(
        "bad_case_duplicate_columns",
        csv_text(add_column(p, "AGE", ["57", "62", "45", "71", "24", "75"])),
    )
    corpus.write("bad_spacing_duplicate_columns", csv_text(add_column(p, "OS months", ["1"] * 6)))
    corpus.write(
        "bad_unnamed_column_with_values", csv_text(add_column(p, "", ["x", "", "", "", "", ""]))
    )
    dup = copy(p)
    set_cell(dup, 5, "patient_id", "T01")
    corpus.write("bad_duplicate_patient_id", csv_text(dup))
    orphan = copy(c)
    set_cell(orphan, 2, "patient_id", "T42")
    corpus.write("bad_complication_of_unknown_patient", None, csv_text(orphan))
    missing = [[v for j, v in enumerate(r) if p[0][j] != "frankel_post"] for r in p]
    corpus.write("bad_missing_column", csv_text(missing))

    # dates
    dated = dated_table(p)
    bad_dates = copy(dated)
    set_cell(bad_dates, 2, "death_date", "2014-12-31")
    set_cell(bad_dates, 3, "surgery_date", "01/02/2015")
    corpus.write("bad_dates_death_before_surgery_and_slash_date", csv_text(bad_dates))
    long_ago = copy(dated)
    set_cell(long_ago, 5, "surgery_date", "1950-01-01")
    corpus.write("bad_dates_more_than_50_years", csv_text(long_ago))

    # identifiers
    phones = ["+7 900 000 00 0" + str(i) for i in range(6)]
    corpus.write("bad_identifier_column", csv_text(add_column(p, "Phone", phones)))
    russian = add_column(p, "Ф.И.О.", ["Иванов И.И."] * 6)
    russian = add_column(russian, "Дата рождения", ["01.02.1960"] * 6)
    russian = add_column(russian, "СНИЛС", ["112-233-445 95"] * 6)
    russian = add_column(russian, "№ истории болезни", ["12345/2015"] * 6)
    corpus.write("bad_identifier_headers_russian", csv_text(russian))
    european = p
    for header in ("D.O.B.", "M.R.N.", "Geburtsdatum", "Prénom", "Nombre", "patient"):
        european = add_column(european, header, ["x"] * 6)
    corpus.write("bad_identifier_headers_european", csv_text(european))
    comment = add_column(
        p,
        "comment",
        ["", "Ivanov I.I.", "call +7 900 123-45-67", "ivanov@mail.ru", "born 01.02.1960",
         "SNILS 112-233-445 95"],
    )  # fmt: skip
    corpus.write("bad_identifier_values_in_comment", csv_text(comment))
    detail = copy(c)
    set_cell(detail, 4, "detail", "implant failure; call the wife at +44 20 7946 0958")
    corpus.write("bad_identifier_in_detail", None, csv_text(detail))
    admission = add_column(
        p,
        "admission_date",
        ["2015-01-01", "2015-01-01", "2016-02-01", "2010-01-01", "2012-02-28", "2014-05-05"],
    )
    corpus.write("bad_full_dates_in_extra_column", csv_text(admission))
    records = {f"T0{i}": str(4711000 + i) for i in range(1, 7)}
    rp, rc = copy(p), copy(c)
    recode(rp, "patient_id", records)
    recode(rc, "patient_id", records)
    corpus.write("bad_patient_id_record_numbers", csv_text(rp), csv_text(rc))
    names = {
        "T01": "Anna Ivanova", "T02": "Petr Petrov", "T03": "Semyon Sidorov",
        "T04": "Иван Иванов", "T05": "Maria Garcia", "T06": "Hans Meier",
    }  # fmt: skip
    np_, nc = copy(p), copy(c)
    recode(np_, "patient_id", names)
    recode(nc, "patient_id", names)
    corpus.write("bad_patient_id_names", csv_text(np_), csv_text(nc))


def main(root: Path = CORPUS) -> None:
    """Write every case under ``root`` (default: the committed corpus), replacing it."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    corpus = Corpus(root)
    accepted(corpus)
    refused(corpus)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
