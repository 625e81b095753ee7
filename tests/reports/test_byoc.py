"""Bring your own cohort: the runner hands every notebook a normalised cohort.

Fast tests: normalised files load back to the same cohort and keep the synthetic
status and hold the format's columns only; the temporary folder is removed even on
failure; a min_cell run refuses a notebook without the parameter (committed notebooks:
tests/test_committed_notebooks.py). The slow batch (one runs file, three runs of the
fixture notebook ``tests/fixtures/cohort_notebooks/01_cohort_tables.ipynb``, which goes
through the notebooks' set-up call, survival and characteristics tables, Table 4 and a
Kaplan-Meier figure in a few seconds; the real notebooks are executed once per test
session, by nbval) checks end to end that an Excel workbook with dates, a column
mapping and an identifier column gives the same tables as the equivalent CSV with
durations, that no date or identifier reaches an output, and that a ``min_cell: 10``
run exports no count below 10.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from spinemets import cli, paths
from spinemets.cohort import DAYS_PER_MONTH, PATIENT_COLUMNS, load_cohort
from spinemets.errors import ParameterError
from spinemets.reports.cohorts import PLACEHOLDER, NormalisedCohorts, write_normalised
from spinemets.reports.notebooks import (
    NotebookSpec,
    check_parameters,
    discover_notebooks,
    inspect_notebooks,
)
from spinemets.reports.runs import load_runs

CORPUS = Path(__file__).parents[1] / "data" / "cohorts" / "corpus"
#: The fixture notebook of the batch: the real notebooks' set-up call and tables, quickly.
COHORT_NOTEBOOKS = Path(__file__).parents[1] / "fixtures" / "cohort_notebooks"
NOTEBOOK = "01_cohort_tables"
SURGERY_DATE = dt.date(
    2006, 3, 2
)  # time zero of every patient in the Excel cohort (the study: 2005-16)
FAKE_NAMES = ("Ivanova Anna", "Petrov Pyotr", "Sidorov Semyon")
TEMP_PREFIX = "spinemets-cohorts-"


# --- normalised files -------------------------------------------------------------------


def test_normalised_files_load_back_to_the_same_cohort(tmp_path):
    case = CORPUS / "ok_xlsx_excel_dates"
    cohort = load_cohort(case / "patients.xlsx", case / "complications.csv")
    p, c = write_normalised(cohort, tmp_path / "run")
    header = p.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "surgery_date" not in header and "os_months" in header and "synthetic" not in header
    again = load_cohort(p, c)
    pd.testing.assert_frame_equal(again.patients, cohort.patients)
    pd.testing.assert_frame_equal(again.complications, cohort.complications)
    assert not again.is_synthetic and again.label == "user cohort patients.csv"


def test_the_normalised_copy_holds_the_format_columns_only(tmp_path):
    """Even columns a mapping keeps for interactive work stay out of the runner's copy."""
    valid = Path(__file__).parents[1] / "data" / "cohorts" / "valid"
    patients = pd.read_csv(valid / "patients.csv", dtype=str)
    patients["ecog"] = "1"
    patients["comment"] = "seen"
    patients.to_csv(tmp_path / "patients.csv", index=False)
    complications = pd.read_csv(valid / "complications.csv", dtype=str, keep_default_na=False)
    complications["grade"] = "II"
    complications.to_csv(tmp_path / "complications.csv", index=False)
    (tmp_path / "mapping.yaml").write_text("keep: [ecog, grade]\n", encoding="utf-8")
    cohort = load_cohort(
        tmp_path / "patients.csv",
        tmp_path / "complications.csv",
        mapping_file=tmp_path / "mapping.yaml",
    )
    assert "ecog" in cohort.patients.columns and "comment" not in cohort.patients.columns
    p, c = write_normalised(cohort, tmp_path / "run")
    assert p.read_text(encoding="utf-8").splitlines()[0].split(",") == [
        col.name for col in PATIENT_COLUMNS
    ]
    assert c.read_text(encoding="utf-8").splitlines()[0] == "patient_id,category,detail"


def test_a_synthetic_cohort_stays_synthetic(tmp_path):
    bundled = load_cohort()
    p, c = write_normalised(bundled, tmp_path)
    again = load_cohort(p, c)
    assert again.is_synthetic and "SYNTHETIC" in again.label
    pd.testing.assert_frame_equal(again.patients, bundled.patients)


def test_the_temporary_folder_is_private_and_removed_even_on_failure():
    with pytest.raises(RuntimeError, match="boom"), NormalisedCohorts() as cohorts:
        root = cohorts.root
        assert root is not None and root.is_dir() and root.name.startswith(TEMP_PREFIX)
        assert oct(root.stat().st_mode & 0o777) == "0o700"
        assert paths.PROJECT_ROOT not in root.parents
        cohorts.write("r", load_cohort())
        raise RuntimeError("boom")
    assert not root.exists()


# --- runs-file and parameter checks -----------------------------------------------------


def test_min_cell_must_reach_every_selected_notebook(tmp_path):
    (tmp_path / "runs.yaml").write_text("runs:\n  r:\n    parameters: {min_cell: 10}\n")
    run = load_runs(tmp_path / "runs.yaml").runs[0]
    declares = NotebookSpec(tmp_path / "01_a.ipynb", {"min_cell": "0"})
    silent = NotebookSpec(tmp_path / "02_b.ipynb", {"conf_type": "'log'"})
    check_parameters(run, [declares])
    with pytest.raises(ParameterError, match=r"parameters\.min_cell: 02_b do\(es\) not declare"):
        check_parameters(run, [declares, silent])


# --- committed notebooks ----------------------------------------------------------------


def test_every_numbered_notebook_declares_min_cell_off_by_default():
    """papermill must read it (a comment with '=' hides a parameter), so a run can set it."""
    numbered = discover_notebooks(paths.NOTEBOOKS_DIR)
    assert numbered
    for spec in inspect_notebooks(numbered):
        assert spec.parameters.get("min_cell") == "0", spec.stem


# --- the batch on an Excel cohort with dates, a mapping and an identifier column --------

MAPPING = """\
columns:
  Study code: patient_id
  Age at surgery: age
  Operation: surgery
  Therapy: adjuvant_therapy
  Date of surgery: surgery_date
  Kind: category
values:
  surgery: {En bloc: metastasectomy, Decompr.: decompression}
  adjuvant_therapy: {TT: targeted, CT: cytokine}
  category: {Neuro: neurological}
"""


def _cohorts(folder: Path) -> list[str]:
    """The bundled cohort as an Excel workbook with dates, and as the equivalent CSV.

    Days are whole: ``round(months * 30.4375)``; the CSV's months are those days
    / 30.4375, exactly what the loader derives from the dates, so both cohorts are
    the same to the last bit. Returns the date strings that must never be printed.
    """
    bundled = load_cohort()
    p = bundled.patients.copy()
    os_days = (p["os_months"] * DAYS_PER_MONTH).round().astype(int)
    lp_days = (p["lp_months"] * DAYS_PER_MONTH).round().astype(int)
    progressed = p["local_progression"] == 1
    csv = p.copy()
    csv["os_months"] = os_days / DAYS_PER_MONTH
    csv["lp_months"] = (lp_days / DAYS_PER_MONTH).where(progressed, csv["os_months"])
    csv["synthetic"] = 1
    csv.to_csv(folder / "patients.csv", index=False)
    bundled.complications.to_csv(folder / "complications.csv", index=False)

    end = [SURGERY_DATE + dt.timedelta(days=int(d)) for d in os_days]
    lp = [SURGERY_DATE + dt.timedelta(days=int(d)) for d in lp_days]
    xl = p.drop(columns=["os_months", "death", "lp_months", "local_progression"])
    xl["surgery"] = xl["surgery"].map({"metastasectomy": "En bloc", "decompression": "Decompr."})
    xl["adjuvant_therapy"] = xl["adjuvant_therapy"].map({"targeted": "TT", "cytokine": "CT"})
    xl = xl.rename(
        columns={
            "patient_id": "Study code",
            "age": "Age at surgery",
            "surgery": "Operation",
            "adjuvant_therapy": "Therapy",
        }
    )
    xl.insert(1, "Patient name", [FAKE_NAMES[i % 3] for i in range(len(xl))])
    xl["Date of surgery"] = SURGERY_DATE
    died = p["death"] == 1
    xl["death_date"] = [d if x else None for d, x in zip(end, died, strict=True)]
    xl["last_followup_date"] = [None if x else d for d, x in zip(end, died, strict=True)]
    xl["local_progression_date"] = [d if x else None for d, x in zip(lp, progressed, strict=True)]
    xl["synthetic"] = 1
    comp = bundled.complications.rename(columns={"patient_id": "Study code", "category": "Kind"})
    comp["Kind"] = comp["Kind"].replace({"neurological": "Neuro"})

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, frame in (("Patients", xl), ("Complications", comp)):
        sheet = book.create_sheet(title)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if v is None or v == "" else _plain(v) for v in row])
    book.save(folder / "cohort.xlsx")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    shown = sorted({*end, *lp, SURGERY_DATE})
    return [d.isoformat() for d in shown] + [d.strftime("%d.%m.%Y") for d in shown]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


RUNS = """\
runs:
  excel:
    patients: cohort/cohort.xlsx
    complications: cohort/cohort.xlsx
    sheet: Patients
    complications_sheet: Complications
    mapping: cohort/mapping.yaml
    allow_identifiers: true
  csv:
    patients: cohort/patients.csv
    complications: cohort/complications.csv
  masked:
    patients: cohort/patients.csv
    complications: cohort/complications.csv
    parameters: {min_cell: 10}
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("byoc")
    (tmp / "cohort").mkdir()
    dates = _cohorts(tmp / "cohort")
    (tmp / "runs.yaml").write_text(RUNS, encoding="utf-8")
    private = tmp_path_factory.mktemp("tmp")  # no other test's leftovers in the way
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(private))
        before = set(private.glob(TEMP_PREFIX + "*"))
        code = cli.main(
            ["report", str(tmp / "runs.yaml"), "--output-dir", str(tmp / "out")]
            + ["--notebooks-dir", str(COHORT_NOTEBOOKS)]
        )
        after = set(private.glob(TEMP_PREFIX + "*"))
    return code, tmp / "out", dates, after - before


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_excel_with_dates_and_a_mapping_gives_the_tables_of_the_csv(batch):
    code, out, _, left = batch
    assert code == 0
    assert not left, "the temporary cohort folder was not removed"
    excel, csv = out / "excel" / "tables", out / "csv" / "tables"
    names = sorted(p.name for p in csv.iterdir())
    assert "survival_medians_os.csv" in names and "table4.csv" in names
    assert sorted(p.name for p in excel.iterdir()) == names
    for name in names:
        assert (excel / name).read_bytes() == (csv / name).read_bytes(), name
    manifest = json.loads((out / "excel" / "run.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True  # the synthetic column survives normalisation
    assert manifest["cohort_options"] == {
        "allow_identifiers": True,
        "complications_sheet": "Complications",
        "mapping": "mapping.yaml",
        "sheet": "Patients",
    }


@pytest.mark.slow
def test_no_date_identifier_or_temporary_path_reaches_an_output(batch):
    _, out, dates, _ = batch
    files = _files(out / "excel")
    assert any(p.suffix == ".html" for p in files)
    for path in files:
        if path.suffix == ".png":
            continue
        text = path.read_text(encoding="utf-8")
        for secret in ("Patient name", *FAKE_NAMES, TEMP_PREFIX, tempfile.gettempdir() + "/spin"):
            assert secret not in text, f"{path.name} shows {secret!r}"
        for date in dates:
            assert date not in text, f"{path.name} shows the date {date}"
    injected = (out / "excel" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    assert f'patients_file = \\"{PLACEHOLDER}/excel/patients.csv\\"' in injected


#: Count columns of the tables of the fixture notebook, listed by hand.
COUNTS = {"n", "events", "n_risk", "n_patients", "patients_with", "patients"}


def _small_counts(table: Path) -> list[str]:
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    found = []
    for column in frame.columns:
        counted = column in COUNTS or column.split(" ")[-1] in COUNTS or "(n=" in column
        for value in frame[column] if counted else []:
            match = re.fullmatch(r"(\d+)(?: \(.*%\))?", value)
            if match and 0 < int(match.group(1)) < 10:
                found.append(f"{table.name}: {column} = {value}")
    return found


@pytest.mark.slow
def test_a_min_cell_run_exports_no_count_below_the_threshold(batch):
    _, out, _, _ = batch
    plain = [f for t in sorted((out / "csv" / "tables").glob("*.csv")) for f in _small_counts(t)]
    assert plain, "the unmasked run has small counts, so this test can fail"
    masked_tables = sorted((out / "masked" / "tables").glob("*.csv"))
    assert [t.name for t in masked_tables] == sorted(
        t.name for t in (out / "csv" / "tables").glob("*.csv")
    )
    for table in masked_tables:
        assert _small_counts(table) == []
    table4 = (out / "masked" / "tables" / "table4.csv").read_text(encoding="utf-8")
    assert "<10" in table4
    medians = json.loads((out / "masked" / "run.json").read_text(encoding="utf-8"))
    assert medians["parameters"] == {"min_cell": 10}
    # the executed notebook shows the masked table too, not only the exported file
    shown = (out / "masked" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    unmasked = (out / "csv" / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    assert "&lt;10" in shown and "&lt;10" not in unmasked


def test_a_run_whose_cohort_fails_with_its_options_keeps_the_previous_report(tmp_path, capsys):
    case = CORPUS / "ok_xlsx_one_workbook_named_sheets"
    (tmp_path / "map.yaml").write_text("keep: ecog\n", encoding="utf-8")  # not a list
    (tmp_path / "runs.yaml").write_text(
        f"runs:\n  mine:\n    patients: {case / 'cohort.xlsx'}\n"
        f"    complications: {case / 'cohort.xlsx'}\n    mapping: map.yaml\n"
        "    sheet: no such sheet\n    notebooks: ['04']\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    (out / "mine").mkdir(parents=True)
    (out / "mine" / "run.json").write_text('{"format": "spinemets-run/1"}', encoding="utf-8")
    (out / "mine" / "previous.txt").write_text("an earlier report", encoding="utf-8")
    code = cli.main(["report", str(tmp_path / "runs.yaml"), "--output-dir", str(out)])
    printed = capsys.readouterr().out
    assert code == 2
    assert "NOT RUN the cohort failed validation" in printed
    assert "map.yaml, column keep: is not a list of names" in printed  # the mapping was read
    assert "no such sheet" in printed  # and the sheet
    assert sorted(p.name for p in (out / "mine").iterdir()) == ["previous.txt", "run.json"]
    assert not (out / ".mine.partial").exists()
