"""A user's cohort with small cells and free text: what every file of its report shows.

A 30-patient cohort built from the bundled rows (metastasectomy 4: 2 targeted and 2
cytokine; decompression 26: 3 targeted, 23 cytokine), a complication whose free text
holds a name and a phone number, ``min_cell: 5``: every numbered notebook goes through
the real runner (``spinemets report`` with a runs file in ``tmp_path``), and every file
of the report is scanned generically (``report_scan``: HTML, executed notebooks, CSV,
Markdown, SVG text, run.json, the index) for a count below 5, a percentage beside a
masked count, the free text, and the label SYNTHETIC. A second run opts in
(``patient_rows: true``, ``reproduces_paper: true``) and shows both, and the index
says so. The slowest test of the suite (one batch of all notebooks, about a minute on
two cores; notebook 08's permutations and simulations are cut by its parameters).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from report_scan import Finding, scan_report
from spinemets import cli, paths
from spinemets.reports.notebooks import discover_notebooks

MIN_CELL = 5
FREE_TEXT = ("Zebrowski", "555 0199")
NUMBERED = [spec.stem for spec in discover_notebooks(paths.NOTEBOOKS_DIR)]
#: Parameters that keep the batch short: fewer permutations and simulations.
CHEAP = {
    "min_cell": MIN_CELL,
    "n_permutations": 200,
    "max_enumeration": 1000,
    "simulation_replicates": 20,
    "n_simulations": 10,
}


def small_cell_cohort(folder: Path) -> tuple[Path, Path]:
    """The cohort of the module docstring, written to ``folder``."""
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS).drop(columns=["synthetic"], errors="ignore")
    sizes = {
        ("metastasectomy", "targeted"): 2,
        ("metastasectomy", "cytokine"): 2,
        ("decompression", "targeted"): 3,
        ("decompression", "cytokine"): 23,
    }
    chosen = pd.concat(
        patients[(patients["surgery"] == s) & (patients["adjuvant_therapy"] == t)].head(n)
        for (s, t), n in sizes.items()
    )
    complications = pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)
    complications = complications[complications["patient_id"].isin(chosen["patient_id"])].copy()
    complications.iloc[0, complications.columns.get_loc("detail")] = (
        f"{FREE_TEXT[0]} said call {FREE_TEXT[1]}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    chosen.to_csv(folder / "patients.csv", index=False)
    complications.to_csv(folder / "complications.csv", index=False)
    return folder / "patients.csv", folder / "complications.csv"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("privacy")
    small_cell_cohort(root / "cohort")
    cohort = "    patients: cohort/patients.csv\n    complications: cohort/complications.csv\n"
    runs = root / "runs.yaml"
    runs.write_text(
        "runs:\n"
        f"  small:\n{cohort}    notebooks: all\n    parameters: {json.dumps(CHEAP)}\n"
        f"  opted-in:\n{cohort}    notebooks: ['04']\n    patient_rows: true\n"
        f"    reproduces_paper: true\n    parameters: {json.dumps({'min_cell': MIN_CELL})}\n",
        encoding="utf-8",
    )
    out = root / "reports"
    code = cli.main(["report", str(runs), "--output-dir", str(out), "--jobs", "2"])
    assert code == 0, "the batch failed"
    return out


def files_of(run: Path, stem: str) -> list[Path]:
    """The files one notebook made in its run's folder (run.json lists its outputs)."""
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    [record] = [n for n in meta["notebooks"] if n["stem"] == stem]
    return [run / f"{stem}.ipynb", run / f"{stem}.html", *(run / f for f in record["outputs"])]


def findings_in(run: Path, files: list[Path]) -> list[Finding]:
    wanted = {f.relative_to(run).as_posix() for f in files}
    found = scan_report(run, MIN_CELL, FREE_TEXT)
    return [f for f in found if f.file in wanted]


def test_the_scan_finds_what_it_looks_for(tmp_path) -> None:
    """The scan is not blind: planted leaks of each kind are found, masked ones are not."""
    (tmp_path / "t.csv").write_text(
        "group,events,percent,hr\na,3,10.0,2\nb,<5,12.5,3\nc,12,40.0,1\n", encoding="utf-8"
    )
    (tmp_path / "f.svg").write_text(
        "<svg><!-- targeted (n = 3) --><!-- cytokine (n = 12) --><!-- 2 --></svg>"
    )
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "3 patients in the paper", "metadata": {}},
            {
                "cell_type": "code",
                "source": "",
                "outputs": [
                    {"output_type": "stream", "text": "0  a\n1  b\n"},
                    {"output_type": "stream", "text": "surgery: 4 (13.3%); Zebrowski\n"},
                    {"output_type": "display_data", "data": {"text/plain": "n=12, 2 deaths"}},
                ],
            },
        ]
    }
    (tmp_path / "x.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    found = [str(f) for f in scan_report(tmp_path, MIN_CELL, FREE_TEXT)]
    assert any("t.csv" in f and "events = 3" in f for f in found)
    assert any("t.csv" in f and "percent beside a masked count" in f for f in found)
    assert sum("t.csv" in f for f in found) == 2  # 12 events, hr = 2: not counts below 5
    assert [f for f in found if "f.svg" in f] == ["f.svg [text]: 'n = 3' in ' targeted (n = 3) '"]
    assert any("x.ipynb" in f and "4 (13.3%)" in f for f in found)
    assert any("x.ipynb" in f and "2 deaths" in f for f in found)
    assert any("x.ipynb" in f and "Zebrowski" in f for f in found)
    assert not any("markdown" in f or "1  b" in f for f in found)  # narrative, row numbers


@pytest.mark.slow
@pytest.mark.parametrize(
    "stem",
    NUMBERED,
)
def test_no_small_count_free_text_or_synthetic_label(report, stem) -> None:
    run = report / "small"
    files = files_of(run, stem)
    found = findings_in(run, files)
    assert not found, "\n".join(map(str, found))
    for path in files:  # no SYNTHETIC in a title, caption or output of a user's cohort
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            text = json.dumps([c.get("outputs", []) for c in cells])
        elif path.suffix in (".svg", ".csv", ".md"):
            text = path.read_text(encoding="utf-8")
        else:
            continue
        assert "SYNTHETIC" not in text, f"{path.name} labels a user's cohort SYNTHETIC"


@pytest.mark.slow
def test_the_index_of_a_users_cohort(report) -> None:
    index = (report / "index.html").read_text(encoding="utf-8")
    [small] = [s for s in index.split("<section ") if s.startswith('class="run" id="run-small"')]
    assert "SYNTHETIC" not in small
    assert "Patient-level rows and free text</th><td>not shown (counts only)" in small
    assert "<strong>Cannot apply to this cohort:</strong> comparison with the paper" in small
    scanned = ("index.html", "small/run.json")
    found = [f for f in scan_report(report, MIN_CELL, FREE_TEXT) if f.file in scanned]
    assert not found, "\n".join(map(str, found))
    meta = json.loads((report / "small" / "run.json").read_text(encoding="utf-8"))
    assert "cohort_options" not in meta


@pytest.mark.slow
def test_a_runs_file_that_opts_in_shows_rows_and_the_paper(report) -> None:
    run = report / "opted-in"
    details = (run / "tables" / "complication_details.csv").read_text(encoding="utf-8")
    assert "detail" in details.splitlines()[0] and FREE_TEXT[0] in details
    assert (run / "tables" / "table4_published.csv").is_file()  # the paper's comparison
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert meta["cohort_options"] == {"patient_rows": True, "reproduces_paper": True}
    index = (report / "index.html").read_text(encoding="utf-8")
    assert "shown: the runs file opts in (<code>patient_rows: true</code>)" in index
    small_details = (report / "small" / "tables" / "complication_details.csv").read_text()
    assert small_details.splitlines()[0] == "category,events" and FREE_TEXT[0] not in small_details
