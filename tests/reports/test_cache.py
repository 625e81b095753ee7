"""Reports rerun only what changed (spinemets.reports.cache), on the fixture notebooks.

The fixture ``05_gate`` writes ``ready_file`` whenever a kernel executes it: a test
deletes the file before a rerun and knows afterwards whether a kernel ran. Each
input of a notebook's key is changed by one byte (the cohort, the bundled data, a
package file, the lock file, a parameter, a code cell) and must rerun it; a change
to Markdown only re-renders it without a kernel, byte-identical to executing it
(here on the fixtures, and on one real notebook). The package, lock and data
digests are pointed at copies (``cache.PACKAGE_DIR`` ...) that the test changes:
the batch runs in this process, where the digests are computed.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from runner_helpers import FIXTURES, snapshot
from spinemets import paths
from spinemets.output import RunOutput
from spinemets.reports import batch, cache
from spinemets.reports.folders import OutputFolderError
from spinemets.reports.index import SHORT_DIGEST
from spinemets.reports.notebooks import discover_notebooks

pytestmark = pytest.mark.slow


def no_validation(run):
    """Stand-in for the cohort loader: the notebooks get the run's files as they are."""


def setup_project(tmp: Path, notebooks: list[str], parameters: str = "") -> Path:
    """Copies of fixture notebooks in ``tmp/nb`` and a runs file ``tmp/runs.yaml`` with a
    stand-in cohort; returns the runs file."""
    (tmp / "nb").mkdir(parents=True)
    for stem in notebooks:
        shutil.copy(FIXTURES / f"{stem}.ipynb", tmp / "nb")
    (tmp / "patients.csv").write_text("patient_id\nP1\n", encoding="utf-8")
    (tmp / "complications.csv").write_text("patient_id\n", encoding="utf-8")
    ready = f"      ready_file: {tmp / 'ran'}\n" if "05_gate" in notebooks else ""
    runs = tmp / "runs.yaml"
    runs.write_text(
        "runs:\n  r:\n    patients: patients.csv\n    complications: complications.csv\n"
        f"    notebooks: all\n    parameters:\n{ready}{parameters}",
        encoding="utf-8",
    )
    return runs


def report(tmp: Path, **kwargs) -> tuple[dict[str, str], str]:
    """Run ``tmp/runs.yaml`` into ``tmp/out``; returns what became of each notebook
    (run.json's ``execution``) and the printed lines. Deletes ``tmp/ran`` first."""
    (tmp / "ran").unlink(missing_ok=True)
    stream = io.StringIO()
    kwargs.setdefault("cohort_loader", no_validation)
    summary = batch.run_reports(
        tmp / "runs.yaml", output_dir=tmp / "out", notebooks_dir=tmp / "nb", stream=stream,
        jobs=2, **kwargs,
    )  # fmt: skip
    printed = stream.getvalue()
    assert summary.exit_code == 0, printed
    meta = json.loads((tmp / "out" / "r" / "run.json").read_text(encoding="utf-8"))
    return {n["stem"]: n["execution"] for n in meta["notebooks"]}, printed


def report_files(tmp: Path) -> dict[str, bytes]:
    """Every file of the report but run.json (which says what was reused)."""
    files = snapshot(tmp / "out" / "r")
    del files["run.json"]
    return files


def edit_notebook(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def add_markdown(nb) -> None:
    nb.cells[0].source += "\n\nA sentence added later, with a formula $S(t) = P(T > t)$."
    nb.metadata.setdefault("spinemets", {})["question"] = "What does the gate do?"


def change_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# -- digests -------------------------------------------------------------------------------


def test_the_package_digest_covers_every_source_file_and_nothing_compiled():
    names = [name for name, _ in cache.tree_files(cache.PACKAGE_DIR)]
    assert cache.PACKAGE_DIR == Path(batch.__file__).resolve().parents[1]  # lib/spinemets
    assert "output.py" in names and "reports/cache.py" in names
    assert any(n.startswith("reports/templates/spinemets/") for n in names)  # the HTML template
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_environment_digest_changes_with_the_kernel_the_python_and_the_lock(
    tmp_path, monkeypatch
):
    lock = tmp_path / "requirements.lock"
    shutil.copy(cache.LOCK_FILE, lock)
    first = cache.environment_digest("spinemets", lock)
    assert cache.environment_digest("spinemets", lock) == first
    assert cache.environment_digest("python3", lock) != first
    change_one_byte(lock)
    assert cache.environment_digest("spinemets", lock) != first
    shutil.copy(cache.LOCK_FILE, lock)
    installed = cache.installed_distributions()
    assert any(name.startswith("pandas-") for name in installed)
    monkeypatch.setattr(cache, "installed_distributions", lambda: [*installed, "x-1.0.dist-info"])
    assert cache.environment_digest("spinemets", lock) != first
    monkeypatch.setattr(cache, "installed_distributions", lambda: installed)
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert cache.environment_digest("spinemets", lock) != first


def test_the_code_digest_reads_code_and_tags_not_text(tmp_path):
    path = tmp_path / "01_ok.ipynb"
    shutil.copy(FIXTURES / "01_ok.ipynb", path)
    notebook, code = cache.notebook_digests(path)
    edit_notebook(path, add_markdown)
    assert cache.notebook_digests(path) == (cache.notebook_digests(path)[0], code)
    assert cache.notebook_digests(path)[0] != notebook
    edit_notebook(path, lambda nb: nb.cells[3].metadata.setdefault("tags", []).append("x"))
    assert cache.notebook_digests(path)[1] != code


def test_runoutput_lists_what_it_writes_only_when_asked(tmp_path, monkeypatch):
    out = RunOutput(tmp_path / "run")
    out.write_table(pd.DataFrame({"x": [1]}), "t")  # no listing asked for: nothing listed
    listing = tmp_path / "written.jsonl"
    monkeypatch.setenv(paths.WRITTEN_FILES_ENV, str(listing))
    out.write_table(pd.DataFrame({"x": [1]}), "t")
    lines = [json.loads(line) for line in listing.read_text(encoding="utf-8").splitlines()]
    run = (tmp_path / "run").resolve()
    assert lines == [str(run / "tables" / "t.csv"), str(run / "tables" / "t.md")]


# -- reruns --------------------------------------------------------------------------------


def test_nothing_changed_nothing_executed_and_the_same_report(tmp_path):
    setup_project(tmp_path, ["01_ok", "05_gate"])
    done, printed = report(tmp_path)
    assert done == {"01_ok": "executed", "05_gate": "executed"}
    assert (tmp_path / "ran").exists()
    cold = report_files(tmp_path)
    cold_meta = json.loads((tmp_path / "out" / "r" / "run.json").read_text(encoding="utf-8"))

    done, printed = report(tmp_path)
    assert done == {"01_ok": "reused", "05_gate": "reused"}
    assert not (tmp_path / "ran").exists(), "a kernel ran"
    assert "(2 reused), nothing to execute" in printed and "r/01_ok    reused" in printed
    assert report_files(tmp_path) == cold  # notebooks, pages, tables and figures
    meta = json.loads((tmp_path / "out" / "r" / "run.json").read_text(encoding="utf-8"))
    for before, now in zip(cold_meta["notebooks"], meta["notebooks"], strict=True):
        assert now["inputs"] == before["inputs"] and now["outputs"] == before["outputs"]
    assert meta["notebooks"][0]["outputs"] == [
        "figures/ok_figure.png",
        "figures/ok_figure.svg",
        "tables/ok_table.csv",
        "tables/ok_table.md",
    ]
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert index.count("Reused: not executed again") == 2
    code = meta["notebooks"][0]["inputs"]["code"][:SHORT_DIGEST]
    assert f"code <code>{code}</code>" in index
    # the run's cache holds one result per notebook: the report's own files, nothing else
    entries = [p for p in (tmp_path / "out" / ".r.cache").iterdir() if p.is_dir()]
    assert len(entries) == 2
    stored = sorted(
        p.relative_to(e / "files").as_posix() for e in entries for p in (e / "files").rglob("*")
    )
    assert [s for s in stored if "." in s] == sorted(n for n in cold if "." in n)


def test_every_input_of_a_notebook_reruns_it_when_one_byte_changes(tmp_path, monkeypatch):
    setup_project(tmp_path, ["05_gate"])
    package, data = tmp_path / "package", tmp_path / "data"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in cache.DATA_DIRS:
        shutil.copytree(folder, data / folder.name)
    lock = tmp_path / "requirements.lock"
    shutil.copy(cache.LOCK_FILE, lock)
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    monkeypatch.setattr(cache, "DATA_DIRS", tuple(data / f.name for f in cache.DATA_DIRS))
    monkeypatch.setattr(cache, "LOCK_FILE", lock)
    runs = tmp_path / "runs.yaml"
    assert report(tmp_path)[0] == {"05_gate": "executed"}

    def wait_61(path: Path) -> None:  # a parameter of the notebook
        path.write_text(path.read_text(encoding="utf-8") + "      wait_seconds: 61\n", "utf-8")

    def comment(path: Path) -> None:  # a code cell
        edit_notebook(path, lambda nb: setattr(nb.cells[3], "source", nb.cells[3].source + "#"))

    changes = [
        ("the cohort", tmp_path / "patients.csv", change_one_byte),
        ("the bundled data", data / "published" / paths.CLAIMS_FILE.name, change_one_byte),
        ("a package file", package / "output.py", change_one_byte),
        ("a template", package / "reports/templates/spinemets/index.html.j2", change_one_byte),
        ("the lock file", lock, change_one_byte),
        ("a parameter", runs, wait_61),
        ("a code cell", tmp_path / "nb" / "05_gate.ipynb", comment),
    ]
    for what, path, change in changes:
        change(path)
        assert report(tmp_path)[0] == {"05_gate": "executed"}, what
        assert (tmp_path / "ran").exists(), what
        assert report(tmp_path)[0] == {"05_gate": "reused"}, f"after {what}: not stored"
        assert not (tmp_path / "ran").exists(), what
    # one result in the cache: the report's (the others were pruned)
    assert len([p for p in (tmp_path / "out" / ".r.cache").iterdir() if p.is_dir()]) == 1
    assert report(tmp_path, force=True)[0] == {"05_gate": "executed"}
    assert (tmp_path / "ran").exists()


def test_a_text_change_is_re_rendered_without_a_kernel_as_a_fresh_execution(tmp_path):
    setup_project(tmp_path, ["01_ok", "05_gate"])
    report(tmp_path)
    for stem in ("01_ok", "05_gate"):
        edit_notebook(tmp_path / "nb" / f"{stem}.ipynb", add_markdown)
    done, printed = report(tmp_path)
    assert done == {"01_ok": "re-rendered", "05_gate": "re-rendered"}
    assert not (tmp_path / "ran").exists(), "a kernel ran"
    assert "2 to re-render" in printed
    rendered = report_files(tmp_path)
    assert "S(t) = P(T &gt; t)" not in rendered["05_gate.html"].decode()  # drawn as MathML
    assert b"A sentence added later" in rendered["05_gate.html"]
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "What does the gate do?" in index and "Re-rendered: its text changed" in index
    assert report(tmp_path)[0] == {"01_ok": "reused", "05_gate": "reused"}  # stored again

    assert report(tmp_path, force=True)[0] == {"01_ok": "executed", "05_gate": "executed"}
    assert (tmp_path / "ran").exists()
    assert report_files(tmp_path) == rendered


def test_a_stored_file_that_changed_is_never_used(tmp_path):
    setup_project(tmp_path, ["01_ok"])
    report(tmp_path)
    good = report_files(tmp_path)
    (entry,) = [p for p in (tmp_path / "out" / ".r.cache").iterdir() if p.is_dir()]
    table = entry / "files" / "tables" / "ok_table.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("0.5", "0.6"), encoding="utf-8")
    assert report(tmp_path)[0] == {"01_ok": "executed"}
    assert report_files(tmp_path) == good


def test_a_failed_run_keeps_its_good_notebooks_for_the_next_attempt(tmp_path):
    setup_project(tmp_path, ["01_ok", "02_raises", "05_gate"])
    stream = io.StringIO()
    summary = batch.run_reports(
        tmp_path / "runs.yaml", output_dir=tmp_path / "out", notebooks_dir=tmp_path / "nb",
        stream=stream, jobs=2, cohort_loader=no_validation,
    )  # fmt: skip
    assert summary.exit_code == 1
    assert not (tmp_path / "out" / "r").exists()

    def fix(nb) -> None:
        nb.cells[3].source = "x = 2"

    edit_notebook(tmp_path / "nb" / "02_raises.ipynb", fix)
    done, _ = report(tmp_path)
    assert done == {"01_ok": "reused", "02_raises": "executed", "05_gate": "reused"}
    assert not (tmp_path / "ran").exists()


def test_no_cache_deletes_the_cache_and_the_cache_goes_with_its_report(tmp_path):
    setup_project(tmp_path, ["05_gate"])
    report(tmp_path)
    cache_folder = tmp_path / "out" / ".r.cache"
    assert cache_folder.is_dir()
    assert report(tmp_path, no_cache=True)[0] == {"05_gate": "executed"}
    assert not cache_folder.exists()
    report(tmp_path)
    assert cache_folder.is_dir()
    # the user deletes the report: its cached results go with it, whichever run is next
    shutil.rmtree(tmp_path / "out" / "r")
    assert report(tmp_path)[0] == {"05_gate": "executed"}
    shutil.rmtree(tmp_path / "out" / "r")
    runs = tmp_path / "runs.yaml"
    runs.write_text(runs.read_text(encoding="utf-8").replace("  r:", "  other:"), "utf-8")
    batch.run_reports(
        runs, output_dir=tmp_path / "out", notebooks_dir=tmp_path / "nb", stream=io.StringIO(),
        cohort_loader=no_validation,
    )  # fmt: skip
    assert not cache_folder.exists() and (tmp_path / "out" / ".other.cache").is_dir()


def test_files_written_without_runoutput_keep_results_out_of_the_cache(tmp_path):
    setup_project(tmp_path, ["01_ok"])
    raw = "import pathlib\npathlib.Path(output_dir, 'tables', 'raw.csv').write_text('x\\n')"
    edit_notebook(
        tmp_path / "nb" / "01_ok.ipynb", lambda nb: nb.cells.append(nbformat.v4.new_code_cell(raw))
    )
    done, printed = report(tmp_path)
    assert "new results not cached: tables/raw.csv written without RunOutput" in printed
    assert report(tmp_path)[0] == {"01_ok": "executed"}


def test_a_folder_of_the_users_with_the_caches_name_is_refused(tmp_path):
    runs = setup_project(tmp_path, ["05_gate"])
    (tmp_path / "out" / ".r.cache").mkdir(parents=True)
    (tmp_path / "out" / ".r.cache" / "mine.txt").write_text("not the runner's")
    with pytest.raises(OutputFolderError, match=r"\.r\.cache: a folder .* run 'r's cache"):
        batch.run_reports(runs, output_dir=tmp_path / "out", notebooks_dir=tmp_path / "nb")
    assert (tmp_path / "out" / ".r.cache" / "mine.txt").read_text() == "not the runner's"


def test_an_own_cohort_is_keyed_by_its_normalised_copy_which_is_never_cached(tmp_path):
    """With the real loader: a value that changes reruns; a column the normalised copy
    drops does not; the cache holds no cohort file."""
    setup_project(tmp_path, ["05_gate"])
    shutil.copy(paths.SYNTHETIC_PATIENTS, tmp_path / "patients.csv")
    shutil.copy(paths.SYNTHETIC_COMPLICATIONS, tmp_path / "complications.csv")
    loader = {"cohort_loader": None}
    assert report(tmp_path, **loader)[0] == {"05_gate": "executed"}
    rows = (tmp_path / "patients.csv").read_text(encoding="utf-8").splitlines()
    extra = [rows[0] + ",site_note"] + [row + ",x" for row in rows[1:]]
    (tmp_path / "patients.csv").write_text("\n".join(extra) + "\n", encoding="utf-8")
    assert report(tmp_path, **loader)[0] == {"05_gate": "reused"}  # the copy is the same
    header = rows[0].split(",")
    cells = rows[1].split(",")
    cells[header.index("age")] = str(int(cells[header.index("age")]) + 1)
    rows[1] = ",".join(cells)
    (tmp_path / "patients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert report(tmp_path, **loader)[0] == {"05_gate": "executed"}
    stored = [p for p in (tmp_path / "out" / ".r.cache").rglob("*") if p.is_file()]
    assert not [p for p in stored if p.suffix == ".csv"]
    patient = rows[1].encode()
    assert not [p for p in stored if patient in p.read_bytes()]


def test_a_real_notebook_re_rendered_is_byte_identical_to_its_fresh_execution(tmp_path):
    real = [p for p in discover_notebooks(paths.NOTEBOOKS_DIR) if p.stem == "04_complications"]
    if not real:
        pytest.skip("notebooks/04_complications.ipynb is not there")
    (tmp_path / "nb").mkdir()
    shutil.copy(real[0], tmp_path / "nb")
    (tmp_path / "runs.yaml").write_text("runs:\n  r:\n    notebooks: all\n", encoding="utf-8")
    bundled = {"cohort_loader": None}
    assert report(tmp_path, **bundled)[0] == {"04_complications": "executed"}
    edit_notebook(tmp_path / "nb" / real[0].name, add_markdown)
    assert report(tmp_path, **bundled)[0] == {"04_complications": "re-rendered"}
    rendered = report_files(tmp_path)
    assert any(name.startswith("figures/") for name in rendered)
    assert report(tmp_path, force=True, **bundled)[0] == {"04_complications": "executed"}
    fresh = report_files(tmp_path)
    assert sorted(fresh) == sorted(rendered)
    for name in fresh:
        assert fresh[name] == rendered[name], name
