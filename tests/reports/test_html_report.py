"""Real runs, read as a reader would: self-contained pages, no machine path, the story.

One batch, two runs of real notebooks: ``paper`` on the bundled SYNTHETIC cohort
(notebooks 02 and 05) and ``mine`` on a copy of it passed as a user's own cohort,
with ``min_cell: 10`` (notebooks 02 and 03). Every file the batch wrote is searched
for the staging folder, the private temporary folder and absolute paths; every page
(the notebooks' and the index) for anything loaded from another host and for TeX
left unrendered. The end-to-end runner test of a real notebook is tests/reports/test_pipeline.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from html_checks import broken_links, external_references, leaked_paths, unrendered_math
from spinemets import cli, paths
from spinemets.reports.html import export_html
from spinemets.reports.story import read_story, undelivered

RUNS = """\
runs:
  paper:
    description: The paper's analyses on the bundled cohort
    notebooks: ["02", "05"]
  mine:
    description: Our centre
    patients: cohort/patients.csv
    complications: cohort/complications.csv
    notebooks: ["02", "03"]
    parameters: {min_cell: 10}
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html-report")
    (tmp / "cohort").mkdir()
    shutil.copy(paths.SYNTHETIC_PATIENTS, tmp / "cohort" / "patients.csv")
    shutil.copy(paths.SYNTHETIC_COMPLICATIONS, tmp / "cohort" / "complications.csv")
    (tmp / "runs.yaml").write_text(RUNS, encoding="utf-8")
    out = tmp / "out"
    # the batch's private folder goes into a temporary folder of this module's own (as
    # conftest.py does for each test): tests/reports/test_byoc.py looks for leftovers in /tmp
    private = tmp_path_factory.mktemp("private-tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(private))
        code = cli.main(["report", str(tmp / "runs.yaml"), "--output-dir", str(out), "--jobs", "2"])
    assert not list(private.glob("spinemets-cohorts-*")), "the private folder was left behind"
    return code, out, tmp, str(private)


def pages(out: Path) -> list[Path]:
    """The pages of the reports; their copies in the runs' caches (``.<run>.cache/``) are
    left out here, and searched for paths with every other file below."""
    hidden = [p for p in out.rglob("*.html") if p.relative_to(out).parts[0].startswith(".")]
    return sorted(set(out.rglob("*.html")) - set(hidden))


@pytest.mark.slow
def test_the_batch_succeeds(batch):
    code, out, _, _ = batch
    assert code == 0
    assert [p.relative_to(out).as_posix() for p in pages(out)] == [
        "index.html",
        "mine/02_overall_survival.html",
        "mine/03_local_control.html",
        "paper/02_overall_survival.html",
        "paper/05_reproduction_scorecard.html",
    ]


@pytest.mark.slow
def test_every_page_is_self_contained_with_its_mathematics_rendered(batch):
    _, out, _, _ = batch
    for page in pages(out):
        html = page.read_text(encoding="utf-8")
        assert external_references(html) == [], page.name
        assert unrendered_math(html) == [], page.name
        assert broken_links(page, out) == [], page.name
    for run in ("paper", "mine"):
        html = (out / run / "02_overall_survival.html").read_text(encoding="utf-8")
        assert html.count("<math ") >= 10, "notebook 02 writes its estimators in TeX"
        assert 'class="sm-contents"' in html and 'href="#Method,-and-why"' in html


@pytest.mark.slow
def test_no_output_shows_a_staging_temporary_or_absolute_path(batch):
    _, out, tmp, private_tmp = batch
    forbidden = [str(tmp), private_tmp, str(paths.PROJECT_ROOT), str(Path.home()) + "/"]
    assert leaked_paths(out, forbidden) == []
    # the notebooks name the run's folder instead, in the injected parameters and in print
    for run in ("paper", "mine"):
        text = (out / run / "02_overall_survival.ipynb").read_text(encoding="utf-8")
        assert f'output_dir = \\"{run}\\"' in text
        assert f"writing to RunOutput('{run}')" in text


@pytest.mark.slow
def test_the_html_of_an_executed_notebook_is_deterministic(batch, tmp_path):
    _, out, _, _ = batch
    for run, stem in (("paper", "02_overall_survival"), ("mine", "03_local_control")):
        copy = tmp_path / run / f"{stem}.ipynb"
        copy.parent.mkdir()
        shutil.copy(out / run / f"{stem}.ipynb", copy)
        assert export_html(copy).read_bytes() == (out / run / f"{stem}.html").read_bytes()
        nb = nbformat.read(copy, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert [c.id for c in injected] == ["injected-parameters"]  # not papermill's random id


@pytest.mark.slow
def test_the_index_tells_each_runs_story(batch):
    _, out, _, _ = batch
    html = (out / "index.html").read_text(encoding="utf-8")
    paper = re.search(r'<section class="run" id="run-paper">.*?</section>', html, re.S).group(0)
    mine = re.search(r'<section class="run" id="run-mine">.*?</section>', html, re.S).group(0)
    assert '<span class="synthetic">SYNTHETIC</span> cohort' in paper
    assert "SYNTHETIC" not in mine and "<strong>Cohort:</strong> " in mine
    for run, section in (("paper", paper), ("mine", mine)):
        meta = json.loads((out / run / "run.json").read_text(encoding="utf-8"))
        titles = [read_story(out / run / f"{n['stem']}.ipynb").title for n in meta["notebooks"]]
        positions = [section.index(t.replace("'", "&#x27;")) for t in titles]
        assert positions == sorted(positions), "notebooks not in reading order"
        for record in meta["notebooks"]:
            story = read_story(out / run / f"{record['stem']}.ipynb")
            assert undelivered(out / run, story) == []
            assert story.question in section.replace("&#x27;", "'")
            for figure in story.key_figures:
                src = f'src="{run}/figures/{figure.name}.png"'
                assert src in section and f"{figure.caption}" in section.replace("&#x27;", "'")
    assert "<h3>Reproduction scorecard</h3>" in paper  # 05 wrote its summary


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("run", "stem", "table"),
    [
        ("paper", "02_overall_survival", "survival_medians_os"),
        ("mine", "02_overall_survival", "survival_medians_os"),
        ("mine", "03_local_control", "survival_medians_lpfs"),
    ],
)
def test_the_index_shows_the_counts_of_the_tables_as_written(batch, run, stem, table):
    _, out, _, _ = batch
    html = (out / "index.html").read_text(encoding="utf-8")
    article = re.search(
        rf'<article class="notebook" id="run-{run}-{stem}">.*?</article>', html, re.S
    ).group(0)
    rows = _rows(out / run / "tables" / f"{table}.csv")
    assert rows
    for row in rows:
        n, events = (row[k].replace("<", "&lt;") for k in ("n", "events"))
        assert f'<td class="num">{n}</td><td class="num">{events}</td>' in article, row
    if run == "mine" and table.endswith("lpfs"):  # so that a recomputed count would show
        assert any(r["events"] == "<10" for r in rows), "min_cell masked no count"
