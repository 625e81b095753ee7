"""Data minimisation: no patient-level row and no free text in a user's cohort's report.

The one mechanism is in ``spinemets.privacy`` (``check_minimised``), applied by
``RunOutput`` to every table written and to every DataFrame a notebook displays;
``notebook.start`` decides it per cohort (the bundled one, or a runs file's
``patient_rows: true``). The generic scan of whole reports is in
``tests/reports/test_report_privacy.py``.
"""

from __future__ import annotations

import warnings

import matplotlib as mpl
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from spinemets import notebook, paths, privacy
from spinemets.cohort import COMPLICATION_COLUMNS, PATIENT_COLUMNS
from spinemets.errors import NotApplicable, PatientRowsWithheld
from spinemets.output import RunOutput

ROWS = pd.DataFrame({"patient_id": ["P1", "P2"], "tstart": [0.0, 1.0], "event": [0, 1]})
DETAILS = pd.DataFrame({"category": ["wound"], "detail": ["Ivanov, tel. 8-900-123"]})
COUNTS = pd.DataFrame({"quantity": ["rows"], "n": [2]})


def test_free_text_columns_are_the_formats() -> None:
    """privacy (bottom layer) names the free-text columns the cohort format declares."""
    text = {c.name for c in (*PATIENT_COLUMNS, *COMPLICATION_COLUMNS) if c.kind == "text"}
    assert privacy.FREE_TEXT_COLUMNS == text
    assert "patient_id" in {c.name for c in PATIENT_COLUMNS}


def test_patient_level_tables_are_withheld(tmp_path) -> None:
    out = RunOutput(tmp_path, patient_rows=False)
    for table, column in ((ROWS, "patient_id"), (DETAILS, "detail")):
        with pytest.raises(PatientRowsWithheld, match=f"column {column}") as error:
            out.write_table(table, "t")
        assert isinstance(error.value, NotApplicable)  # one line in a notebook
        assert "Ivanov" not in str(error.value)
    assert not (tmp_path / "tables" / "t.csv").exists()
    out.write_table(COUNTS, "counts")  # a table of counts is written
    assert (tmp_path / "tables" / "counts.csv").read_text() == "quantity,n\nrows,2\n"
    RunOutput(tmp_path, patient_rows=True).write_table(DETAILS, "allowed")
    assert "Ivanov" in (tmp_path / "tables" / "allowed.csv").read_text()


def test_the_runners_setting_is_the_default(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(paths.PATIENT_ROWS_ENV, "0")
    assert RunOutput(tmp_path).patient_rows is False
    monkeypatch.setenv(paths.PATIENT_ROWS_ENV, "1")
    assert RunOutput(tmp_path).patient_rows is True
    monkeypatch.delenv(paths.PATIENT_ROWS_ENV)
    assert RunOutput(tmp_path).patient_rows is True  # no runner: the caller decides


def test_displayed_patient_rows_are_withheld(tmp_path) -> None:
    shell = InteractiveShell.instance()
    try:
        RunOutput(tmp_path, patient_rows=False)
        shown = shell.display_formatter.format(DETAILS)[0]
        assert "Ivanov" not in shown["text/plain"] + shown["text/html"]
        assert shown["text/plain"].startswith("Not shown: a table of patient-level rows")
        counts = shell.display_formatter.format(COUNTS)[0]
        assert "rows" in counts["text/plain"]
        RunOutput(tmp_path, patient_rows=True)
        assert "Ivanov" in shell.display_formatter.format(DETAILS)[0]["text/plain"]
    finally:
        RunOutput(tmp_path, patient_rows=True)
        InteractiveShell.clear_instance()


@pytest.fixture
def own_cohort(tmp_path):
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS).drop(columns=["synthetic"], errors="ignore")
    patients.to_csv(tmp_path / "patients.csv", index=False)
    (tmp_path / "complications.csv").write_bytes(paths.SYNTHETIC_COMPLICATIONS.read_bytes())
    return tmp_path / "patients.csv", tmp_path / "complications.csv"


def start(*files, out) -> notebook.Notebook:
    patients, complications = files or ("", "")
    with mpl.rc_context(), warnings.catch_warnings():
        return notebook.start(patients, complications, out)


def test_start_withholds_rows_and_the_paper_for_a_users_cohort(
    own_cohort, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.delenv(paths.PATIENT_ROWS_ENV, raising=False)
    monkeypatch.delenv(paths.REPRODUCES_PAPER_ENV, raising=False)
    mine = start(*own_cohort, out=tmp_path / "out")
    assert not mine.patient_rows and not mine.reproduces_paper
    assert "Patient-level rows and free text: not shown" in capsys.readouterr().out
    with pytest.raises(NotApplicable, match="reproduces_paper: true"):
        mine.compare("table1")
    with pytest.raises(NotApplicable, match="reproduces_paper: true"):
        mine.value("deaths_n")
    with pytest.raises(NotApplicable, match="reproduces_paper: true"):
        mine.require_paper()
    published = mine.published("km_survival", endpoint="lpfs")
    assert published.empty and {"strata", "group", "time", "value"} <= set(published.columns)
    bundled = start(out=tmp_path / "bundled")
    assert bundled.patient_rows and bundled.reproduces_paper
    assert bundled.require_paper() is None
    assert len(bundled.published("km_survival", endpoint="lpfs")) > 0
    # the runs file opts in (spinemets report sets these for the kernel)
    monkeypatch.setenv(paths.PATIENT_ROWS_ENV, "1")
    monkeypatch.setenv(paths.REPRODUCES_PAPER_ENV, "1")
    declared = start(*own_cohort, out=tmp_path / "out")
    assert declared.patient_rows and declared.reproduces_paper
    assert "shown (the runs file opts in)" in capsys.readouterr().out


def test_rows_or_summary(own_cohort, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(paths.PATIENT_ROWS_ENV, raising=False)
    mine = start(*own_cohort, out=tmp_path / "out")
    assert mine.rows_or_summary(ROWS, COUNTS) is COUNTS
    assert start(out=tmp_path / "bundled").rows_or_summary(ROWS, COUNTS) is ROWS
