"""The papermill batch end to end: the real notebooks on the bundled synthetic cohort.

Works with whatever numbered notebooks exist in notebooks/ when it runs; the
end-to-end test is skipped only while there is none. A malformed cohort is
refused before any notebook runs.
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
from spinemets.reports.notebooks import discover_notebooks, inspect_notebooks
from spinemets.reports.story import read_story, undelivered

NUMBERED = discover_notebooks(paths.NOTEBOOKS_DIR)
DEFAULT_RUNS = paths.REPORTS_DIR / "runs.yaml"
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
def test_default_runs_file_on_the_real_notebooks(tmp_path, capsys):
    out = tmp_path / "reports"
    code = report(str(DEFAULT_RUNS), "--output-dir", str(out), "--jobs", "2")
    printed = capsys.readouterr().out
    assert code == 0, printed
    run = out / "paper"
    for notebook in NUMBERED:
        assert (run / notebook.name).is_file(), notebook.name
        assert (run / f"{notebook.stem}.html").is_file(), notebook.stem
    assert json.loads((run / "run.json").read_text())["synthetic"] is True
    tables = sorted((run / "tables").glob("*.csv"))
    assert tables, "the notebooks wrote no tables"
    for table in tables:
        assert table.with_suffix(".md").is_file(), f"{table.name} has no Markdown twin"
    for link in links_of(out / "index.html"):
        assert (out / unquote(link)).is_file(), f"broken link in index.html: {link}"
    left = [p.name for p in out.iterdir() if p.name.endswith((".partial", ".old"))]
    assert not left, f"left behind: {left}"
    for notebook in NUMBERED:  # what each notebook shows in the index, it wrote
        assert undelivered(run, read_story(run / notebook.name)) == []

    # Determinism: executing the first notebook again gives byte-identical tables ...
    first = inspect_notebooks(NUMBERED[:1])[0]
    paper = yaml.safe_load(DEFAULT_RUNS.read_text())["runs"]["paper"]
    paper["notebooks"] = [first.stem]
    paper["parameters"] = {
        k: v for k, v in (paper.get("parameters") or {}).items() if k in first.parameters
    }
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump({"runs": {"paper": paper}}))
    assert report(str(again), "--output-dir", str(tmp_path / "again"), "--jobs", "1") == 0
    rerun = sorted((tmp_path / "again" / "paper" / "tables").glob("*"))
    assert rerun, f"{first.stem} wrote no tables"
    for table in rerun:
        assert table.read_bytes() == (run / "tables" / table.name).read_bytes(), table.name
    # ... and a byte-identical executed notebook and HTML page
    for name in (first.path.name, f"{first.stem}.html"):
        page = (tmp_path / "again" / "paper" / name).read_bytes()
        assert page == (run / name).read_bytes(), name


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
