"""The papermill batch end to end, on a real notebook and the bundled synthetic cohort.

The real notebooks are executed once per ``make test``, by nbval (each on the bundled
cohort with its default parameters); the runner's own tests use the tiny fixture
notebooks of ``tests/fixtures/notebooks``. Here one real notebook,
``02_overall_survival`` (cohort, survival tables, claims, three figures: about 6 s; it
declares the default runs file's ``conf_type``), goes through the default runs file's
``paper`` run twice, to check end to end that a report is complete (notebook, HTML,
tables with their Markdown twins, figures, index links, what its index entry names) and
byte-identical between two runs. A malformed cohort is refused before any notebook runs.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from spinemets import cli, paths
from spinemets.reports.notebooks import discover_notebooks
from spinemets.reports.story import read_story, undelivered

NUMBERED = discover_notebooks(paths.NOTEBOOKS_DIR)
DEFAULT_RUNS = paths.REPORTS_DIR / "runs.yaml"
#: The real notebook the pipeline runs (a cheap one that takes the paper run's parameters).
REAL_NOTEBOOK = "02_overall_survival"
needs_notebooks = pytest.mark.skipif(
    not NUMBERED, reason="notebooks/ has no numbered notebook (NN_name.ipynb) yet"
)


def links_of(index: Path) -> list[str]:
    links: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            links.extend(v for k, v in attrs if k in ("href", "src") and not v.startswith("#"))

    Parser().feed(index.read_text(encoding="utf-8"))
    return links


def report(*args: str) -> int:
    return cli.main(["report", *args])


@pytest.mark.slow
@needs_notebooks
def test_the_paper_run_of_a_real_notebook_is_complete_and_deterministic(tmp_path, capsys):
    paper = yaml.safe_load(DEFAULT_RUNS.read_text())["runs"]["paper"]
    paper["notebooks"] = [REAL_NOTEBOOK]
    runs = tmp_path / "runs.yaml"
    runs.write_text(yaml.safe_dump({"runs": {"paper": paper}}))
    out = tmp_path / "reports"
    code = report(str(runs), "--output-dir", str(out), "--jobs", "1")
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    run = out / "paper"
    assert (run / f"{REAL_NOTEBOOK}.ipynb").is_file() and (run / f"{REAL_NOTEBOOK}.html").is_file()
    assert json.loads((run / "run.json").read_text())["synthetic"] is True
    tables = sorted((run / "tables").glob("*.csv"))
    assert tables, "the notebook wrote no tables"
    for table in tables:
        assert table.with_suffix(".md").is_file(), f"{table.name} has no Markdown twin"
    assert sorted((run / "figures").glob("*.svg")), "the notebook wrote no figures"
    for link in links_of(out / "index.html"):
        assert (out / unquote(link)).is_file(), f"broken link in index.html: {link}"
    left = [p.name for p in out.iterdir() if p.name.endswith((".partial", ".old"))]
    assert not left, f"left behind: {left}"
    # what the notebook shows in the index, it wrote (every notebook's names: checked
    # statically in tests/test_notebook_cells.py)
    assert undelivered(run, read_story(run / f"{REAL_NOTEBOOK}.ipynb")) == []

    # Determinism: the same run again gives byte-identical tables, figures, notebook, HTML.
    assert report(str(runs), "--output-dir", str(tmp_path / "again"), "--jobs", "1") == 0
    again = tmp_path / "again" / "paper"
    for folder in ("tables", "figures"):
        mine = sorted(p.name for p in (run / folder).iterdir())
        assert mine == sorted(p.name for p in (again / folder).iterdir())
        for name in mine:
            assert (run / folder / name).read_bytes() == (again / folder / name).read_bytes(), name
    for name in (f"{REAL_NOTEBOOK}.ipynb", f"{REAL_NOTEBOOK}.html"):
        assert (again / name).read_bytes() == (run / name).read_bytes(), name


@pytest.mark.slow
@needs_notebooks
def test_a_malformed_cohort_is_refused_and_the_previous_report_kept(tmp_path, capsys):
    pytest.importorskip("spinemets.cohort")
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    rows = paths.SYNTHETIC_PATIENTS.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[3].split(",")
    cells[header.index("age")] = "old"  # data row 3
    rows[3] = ",".join(cells)
    (cohort / "patients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(paths.SYNTHETIC_COMPLICATIONS, cohort / "complications.csv")
    runs = tmp_path / "runs.yaml"
    runs.write_text(
        "runs:\n  mine:\n    patients: cohort/patients.csv\n"
        "    complications: cohort/complications.csv\n    notebooks: ['00']\n"
    )
    out = tmp_path / "reports"
    (out / "mine").mkdir(parents=True)
    (out / "mine" / "run.json").write_text('{"format": "spinemets-run/1", "name": "mine"}')
    (out / "mine" / "previous.txt").write_text("an earlier report")

    code = report(str(runs), "--output-dir", str(out))
    printed = capsys.readouterr().out
    assert code == 2
    assert "the cohort failed validation" in printed
    assert "age" in printed and "old" in printed
    assert sorted(p.name for p in (out / "mine").iterdir()) == ["previous.txt", "run.json"]
    assert not (out / ".mine.partial").exists()
