"""The batch runner on tiny fixture notebooks (tests/fixtures/notebooks/).

01_ok writes a table and a figure, 02_raises fails in a code cell, 03_param
declares parameters of its own and writes their values, 04_sleeps outlasts a
short time budget. The fixture runs use a stand-in cohort and a stand-in
validator: the cohort module has its own tests, and test_pipeline.py runs the
real notebooks on the bundled cohort.
"""

from __future__ import annotations

import io
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import papermill
import pytest
from spinemets import cli, paths
from spinemets.errors import ParameterError, SpinemetsError
from spinemets.reports import batch
from spinemets.reports.index import SCORECARD_SUMMARY, render_index
from spinemets.reports.notebooks import declared_parameters
from spinemets.reports.refresh import refresh_notebooks
from spinemets.reports.runs import RunsFileError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"


def no_validation(run):
    """Stand-in for the cohort loader: the fixture notebooks never read the cohort."""


def runs_file(folder: Path, body: str) -> Path:
    """A runs file in ``folder`` with a stand-in cohort (two empty CSV files)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text("patient_id\n", encoding="utf-8")
    (folder / "complications.csv").write_text("patient_id\n", encoding="utf-8")
    cohort = "    patients: patients.csv\n    complications: complications.csv\n"
    text = "runs:\n" + body.replace("    @cohort\n", cohort)
    path = folder / "runs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def report(path: Path, output: Path, **kwargs) -> tuple[batch.BatchSummary, str]:
    stream = io.StringIO()
    kwargs.setdefault("cohort_loader", no_validation)
    summary = batch.run_reports(
        path, output_dir=output, notebooks_dir=FIXTURES, stream=stream, **kwargs
    )
    return summary, stream.getvalue()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[k] for k in ("href", "src") if k in attrs]
        if "id" in attrs:
            self.ids.add(attrs["id"])


def assert_links_resolve(index: Path) -> list[str]:
    parser = _Links()
    parser.feed(index.read_text(encoding="utf-8"))
    for link in parser.links:
        assert "://" not in link and not link.startswith("/"), f"not a relative link: {link}"
        if link.startswith("#"):
            assert link[1:] in parser.ids, f"anchor without target: {link}"
        else:
            assert (index.parent / unquote(link)).is_file(), f"broken link: {link}"
    return parser.links


# -- a successful batch, shared by several tests ------------------------------------------


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("good")
    path = runs_file(
        tmp / "config",
        "  good:\n    description: Fixture run <ok>\n    @cohort\n"
        "    notebooks: [01_ok, 3]\n    parameters:\n      threshold: 1\n      label: changed\n",
    )
    previous_report(tmp / "out", "good")  # an earlier report of the run, replaced whole
    summary, printed = report(path, tmp / "out", jobs=2)
    return summary, printed, tmp / "out"


@pytest.mark.slow
def test_a_good_run_lands_in_its_folder(good):
    summary, printed, out = good
    assert summary.exit_code == 0
    assert [(o.name, o.status) for o in summary.outcomes] == [("good", "ok")]
    # the report, its cache, the index and their (empty) lock files; no staging folder left
    assert sorted(p.name for p in out.iterdir()) == [
        ".good.cache",
        ".good.lock",
        ".index.html.lock",
        "good",
        "index.html",
    ]
    run = out / "good"
    assert sorted(p.name for p in run.iterdir()) == [
        "01_ok.html",
        "01_ok.ipynb",
        "03_param.html",
        "03_param.ipynb",
        "figures",
        "run.json",
        "tables",
    ]  # the previous report (previous.txt) is gone, and no marker of the staging folder
    for stem in ("01_ok", "03_param"):
        assert (run / f"{stem}.ipynb").is_file() and (run / f"{stem}.html").is_file()
    assert {p.name for p in (run / "tables").iterdir()} == {
        "ok_table.csv",
        "ok_table.md",
        "param_values.csv",
        "param_values.md",
    }
    assert {p.name for p in (run / "figures").iterdir()} == {"ok_figure.png", "ok_figure.svg"}
    assert "2 at a time" in printed  # two notebooks, --jobs 2: executed side by side
    assert "good/01_ok" in printed and "good/03_param" in printed


@pytest.mark.slow
def test_parameters_reach_only_the_notebooks_that_declare_them(good):
    _, _, out = good
    # set in the runs file: threshold, label; notebook defaults: repeats = 2, verbose = False
    values = (out / "good" / "tables" / "param_values.csv").read_text(encoding="utf-8")
    assert values == "threshold,label,repeats,verbose\n1,changed,2,False\n"
    ok = nbformat.read(out / "good" / "01_ok.ipynb", as_version=4)
    injected = next(c for c in ok.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "threshold" not in injected.source and "output_dir = " in injected.source


@pytest.mark.slow
def test_executed_notebooks_carry_no_time_stamps(good):
    _, _, out = good
    for path in (out / "good").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert set(nb.metadata.get("papermill", {})) <= {"parameters"}
        for cell in nb.cells:
            assert "papermill" not in cell.metadata and "execution" not in cell.metadata
        assert "_time" not in path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_manifest_and_index(good):
    _, _, out = good
    meta = json.loads((out / "good" / "run.json").read_text(encoding="utf-8"))
    inputs = {"code", "parameters", "cohort", "data", "package", "environment", "notebook"}
    for record in meta["notebooks"]:  # what the cache records: tests/reports/test_cache.py
        assert record.pop("execution") == "executed"
        assert set(record.pop("inputs")) == inputs
    assert meta["notebooks"][0].pop("outputs") == [
        "figures/ok_figure.png",
        "figures/ok_figure.svg",
        "tables/ok_table.csv",
        "tables/ok_table.md",
    ]
    assert meta["notebooks"][1].pop("outputs") == [
        "tables/param_values.csv",
        "tables/param_values.md",
    ]
    assert meta == {
        "cohort": "patients.csv + complications.csv",
        "description": "Fixture run <ok>",
        "format": "spinemets-run/1",
        "name": "good",
        "notebooks": [
            {"stem": "01_ok", "parameters": {}},
            {"stem": "03_param", "parameters": {"label": "changed", "threshold": 1}},
        ],
        "parameters": {"label": "changed", "threshold": 1},
        "runs_file": "runs.yaml",
        "synthetic": False,
    }
    index = out / "index.html"
    links = assert_links_resolve(index)
    assert "good/01_ok.html" in links and "good/03_param.ipynb" in links
    assert "good/tables/param_values.md" in links and "good/figures/ok_figure.svg" in links
    text = index.read_text(encoding="utf-8")
    assert "Fixture run &lt;ok&gt;" in text  # escaped
    assert text == render_index(out)  # rebuilt from disk, identically
    assert str(out) not in text  # relative links only


@pytest.mark.slow
def test_index_shows_a_scorecard_summary_when_present(good, tmp_path):
    _, _, out = good
    shutil.copytree(out, tmp_path / "out")
    scorecard = tmp_path / "out" / "good" / SCORECARD_SUMMARY
    scorecard.write_text("status,claims\nreproduced,3\noutside tolerance,1\n", encoding="utf-8")
    text = render_index(tmp_path / "out")
    assert "<h3>Reproduction scorecard</h3>" in text
    assert "<td>outside tolerance</td><td>1</td>" in text
    (tmp_path / "out" / "index.html").write_text(text, encoding="utf-8")
    links = assert_links_resolve(tmp_path / "out/index.html")
    assert "good/tables/scorecard_summary.csv" in links
    assert "good/tables/scorecard.csv" not in links  # only files that exist are linked
    (scorecard.parent / "scorecard.csv").write_text("id,status\nx,exact\n", encoding="utf-8")
    (tmp_path / "out" / "index.html").write_text(render_index(tmp_path / "out"), encoding="utf-8")
    assert "good/tables/scorecard.csv" in assert_links_resolve(tmp_path / "out/index.html")


# -- failures ---------------------------------------------------------------------------


def previous_report(out: Path, name: str) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    marker = {"format": "spinemets-run/1", "name": name, "notebooks": []}  # the runner's own
    (folder / "run.json").write_text(json.dumps(marker))
    (folder / "previous.txt").write_text("the report of an earlier, successful run")
    return folder


@pytest.mark.slow
def test_a_failing_notebook_keeps_the_previous_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(batch, "load_run_cohort", no_validation)
    path = runs_file(
        tmp_path / "config", "  bad:\n    @cohort\n    notebooks: [01_ok, 02_raises]\n"
    )
    out = tmp_path / "out"
    previous = previous_report(out, "bad")
    code = cli.main(
        ["report", str(path), "--notebooks-dir", str(FIXTURES), "--output-dir", str(out)]
        + ["--jobs", "2"]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert sorted(p.name for p in previous.iterdir()) == ["previous.txt", "run.json"]
    assert "FAILED  1 of 2 notebook(s) failed; the previous report is kept" in printed
    # In [4]: the failing cell follows `x = 1`, the parameters cell and papermill's injected one
    assert "02_raises: cell [4]: ValueError: deliberate failure for the runner tests" in printed
    # the staging folder stays for debugging, with the error where it happened
    partial = out / ".bad.partial"
    assert (partial / "02_raises.html").is_file() and (partial / "01_ok.ipynb").is_file()
    marker = json.loads((partial / ".spinemets-staging").read_text(encoding="utf-8"))
    assert marker == {"format": "spinemets-staging/1", "run": "bad", "state": "failed"}
    assert "deliberate failure" in (partial / "02_raises.ipynb").read_text(encoding="utf-8")
    assert_links_resolve(out / "index.html")


@pytest.mark.slow
def test_a_notebook_past_its_time_budget_fails(tmp_path):
    path = runs_file(tmp_path / "config", "  slow:\n    @cohort\n    notebooks: [04_sleeps]\n")
    summary, printed = report(path, tmp_path / "out", timeout=3)
    assert summary.exit_code == 1
    assert "timed out after 3 s" in printed and "time.sleep(60)" in printed
    assert not (tmp_path / "out" / "slow").exists()


def test_unknown_parameter_stops_everything_before_execution(tmp_path, monkeypatch, capsys):
    path = runs_file(
        tmp_path / "config",
        "  fine:\n    @cohort\n    notebooks: [01_ok]\n"
        "  typo:\n    @cohort\n    parameters:\n      treshold: 1\n",
    )
    out = tmp_path / "out"
    with pytest.raises(ParameterError) as info:
        report(path, out)
    message = str(info.value)
    assert message.startswith("runs.yaml: runs.typo.parameters.treshold: no selected notebook")
    assert message.endswith(
        "known parameters: gate_file (05_gate); label (03_param); ready_file (05_gate); "
        "repeats (03_param); threshold (03_param); verbose (03_param); wait_seconds (05_gate)"
    )
    assert not out.exists()  # nothing executed, nothing written, not even the good run
    # through the command line: the message and exit code 2
    monkeypatch.setattr(batch, "load_run_cohort", no_validation)
    code = cli.main(
        ["report", str(path), "--notebooks-dir", str(FIXTURES), "--output-dir", str(out)]
    )
    assert code == 2
    assert "treshold: no selected notebook" in capsys.readouterr().err
    assert not out.exists()


def test_type_mismatch_stops_everything_before_execution(tmp_path):
    path = runs_file(
        tmp_path / "config",
        "  r:\n    @cohort\n    notebooks: [03_param]\n    parameters:\n      repeats: two\n",
    )
    with pytest.raises(ParameterError, match=r"'two' is text, but 03_param declares repeats = 2"):
        report(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_cohort_file_stops_everything(tmp_path):
    path = runs_file(tmp_path / "config", "  r:\n    @cohort\n")
    (tmp_path / "config" / "complications.csv").unlink()
    with pytest.raises(RunsFileError, match=r"runs\.r\.complications: not found: complications"):
        report(path, tmp_path / "out")


def test_an_invalid_cohort_runs_nothing_and_keeps_the_previous_report(tmp_path):
    def invalid(run):
        raise SpinemetsError("patients.csv, row 3, column age: value 'old' — expected an integer")

    path = runs_file(tmp_path / "config", "  r:\n    @cohort\n")
    out = tmp_path / "out"
    previous = previous_report(out, "r")
    summary, printed = report(path, out, cohort_loader=invalid)
    assert summary.exit_code == 2
    assert "NOT RUN the cohort failed validation" in printed
    assert "row 3, column age: value 'old'" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == [".index.html.lock", ".r.lock", "index.html", "r"]
    assert sorted(p.name for p in previous.iterdir()) == ["previous.txt", "run.json"]


def test_no_numbered_notebooks(tmp_path):
    path = runs_file(tmp_path / "config", "  r:\n    @cohort\n")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunsFileError, match="no numbered notebooks"):
        batch.run_reports(path, output_dir=tmp_path / "out", notebooks_dir=tmp_path / "empty")


def test_runner_paths_are_project_relative_inside_the_project(tmp_path):
    from spinemets import paths

    assert batch.runner_path(paths.REPORTS_DIR / ".paper.partial") == "reports/.paper.partial"
    assert batch.runner_path(tmp_path) == str(tmp_path.resolve())


# -- refresh-notebooks ------------------------------------------------------------------


@pytest.mark.slow
def test_refresh_executes_in_place_and_leaves_failures_untouched(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    ok = nbformat.read(FIXTURES / "01_ok.ipynb", as_version=4)
    params = next(c for c in ok.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('output_dir = ""', f'output_dir = "{tmp_path / "o"}"')
    nbformat.write(ok, folder / "01_ok.ipynb")
    shutil.copy(FIXTURES / "02_raises.ipynb", folder / "02_raises.ipynb")
    before = (folder / "02_raises.ipynb").read_bytes()
    stream = io.StringIO()
    assert refresh_notebooks(folder, jobs=2, stream=stream) == 1
    assert (folder / "02_raises.ipynb").read_bytes() == before
    assert "02_raises" in stream.getvalue() and "FAILED (left unchanged)" in stream.getvalue()
    refreshed = nbformat.read(folder / "01_ok.ipynb", as_version=4)
    code = [c for c in refreshed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4]
    assert code[2].outputs and "papermill" not in refreshed.metadata
    assert all("execution" not in c.metadata for c in refreshed.cells)
    assert (tmp_path / "o" / "tables" / "ok_table.csv").is_file()


def test_declared_parameters_are_what_papermill_finds():
    """The runner reads parameters cells without papermill; the same names and defaults."""
    notebooks = sorted(FIXTURES.glob("*.ipynb")) + sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    for path in notebooks:
        found = papermill.inspect_notebook(str(path))
        expected = [(name, str(p["default"])) for name, p in found.items()]
        assert list(declared_parameters(path).items()) == expected, path.name
