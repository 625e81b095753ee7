"""The runner replaces or deletes only what it made: real folders, real files, real locks.

Refusals happen while planning, before any kernel starts and before anything is
written, so these tests run no notebook (except the one that makes a real report
and replaces it). The cohort loader is a stand-in where a run reaches it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock
from runner_helpers import FIXTURES, previous_report, snapshot, write_runs
from spinemets import cli, paths
from spinemets.reports import batch, folders
from spinemets.reports.cohorts import NormalisedCohorts, sweep_dead_private_folders
from spinemets.reports.folders import (
    INDEX_GENERATOR,
    OutputFolderError,
    RunBusyError,
    RunFolders,
    RunLocks,
    folder_problems,
    read_marker,
    recover,
    sweep_dead_runs,
)
from spinemets.reports.index import render_index


def report(runs: Path, out: Path, *extra: str) -> int:
    args = ["report", str(runs), "--output-dir", str(out), "--notebooks-dir", str(FIXTURES)]
    return cli.main([*args, "--jobs", "1", *extra])


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- the scenario of the issue: an output folder next to the data ------------------------


def test_a_run_named_after_the_cohorts_folder_is_refused_and_nothing_is_touched(tmp_path, capsys):
    study = tmp_path / "study"
    site = study / "site-a"
    site.mkdir(parents=True)
    shutil.copy(paths.SYNTHETIC_PATIENTS, site / "patients.csv")
    shutil.copy(paths.SYNTHETIC_COMPLICATIONS, site / "complications.csv")
    (site / "notes.txt").write_text("the only copy of the follow-up notes", encoding="utf-8")
    runs = study / "runs.yaml"
    runs.write_text(
        "runs:\n  site-a:\n    patients: site-a/patients.csv\n"
        "    complications: site-a/complications.csv\n    notebooks: ['01']\n",
        encoding="utf-8",
    )
    before = snapshot(study)

    code = report(runs, study)

    assert code == 2
    line = one_line(capsys.readouterr().err)
    assert f"{site}: a folder that spinemets report did not make" in line
    assert "in the way of run 'site-a'" in line
    assert "nothing was changed: rename the run, choose another --output-dir" in line
    assert snapshot(study) == before  # every byte of the data and notes is still there
    assert sorted(p.name for p in study.iterdir()) == ["runs.yaml", "site-a"]  # no lock, no index


def test_the_cohort_inside_a_run_folder_of_the_runners_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    previous_report(out, "mine")
    shutil.copy(paths.SYNTHETIC_PATIENTS, out / "mine" / "patients.csv")
    shutil.copy(paths.SYNTHETIC_COMPLICATIONS, out / "mine" / "complications.csv")
    runs = write_runs(
        tmp_path,
        f"  mine:\n    patients: {out / 'mine' / 'patients.csv'}\n"
        f"    complications: {out / 'mine' / 'complications.csv'}\n    notebooks: ['01']\n",
    )
    before = snapshot(out)
    assert report(runs, out) == 2
    err = capsys.readouterr().err
    assert "runs.mine.patients: " in err and "which the report of run 'mine' replaces" in err
    assert "runs.mine.complications: " in err
    assert "Traceback" not in err
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: p.write_text("a file of the user's"), "a file"),
        (lambda p: p.symlink_to(p.parent.parent / "elsewhere"), "a symbolic link"),
        (lambda p: (p.mkdir(), (p / "run.json").write_text('{"name": "r"}')), "a folder"),
    ],
    ids=["file", "symlink", "folder-with-a-foreign-run-json"],
)
def test_anything_but_a_runners_folder_under_the_run_name_is_refused(tmp_path, make, what):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    make(out / "r")
    problems = folder_problems(out, ["r"])
    assert len(problems) == 1 and f"out/r: {what}" in problems[0].replace(str(tmp_path) + "/", "")
    assert (tmp_path / "elsewhere" / "keep.txt").read_text() == "keep"


def test_staging_and_old_names_and_a_foreign_index_are_refused(tmp_path):
    out = tmp_path / "out"
    (out / ".r.partial").mkdir(parents=True)
    (out / ".r.partial" / "mine.txt").write_text("not the runner's")
    (out / ".r.old").write_text("a file")
    (out / ".r.lock").mkdir()
    (out / "index.html").write_text("<html><title>my own page</title></html>")
    problems = folder_problems(out, ["r"])
    assert len(problems) == 4, problems
    assert any("index.html: a file that spinemets report did not write" in p for p in problems)
    assert any(".r.partial: a folder that spinemets report did not make" in p for p in problems)
    assert any(".r.old: a file that spinemets report did not make" in p for p in problems)
    assert any(".r.lock: a folder has the name of a lock file" in p for p in problems)


def test_an_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    target = tmp_path / "out.txt"
    target.write_text("a file")
    assert report(runs, target) == 2
    line = one_line(capsys.readouterr().err)
    assert line.endswith("out.txt: is a file, not a folder; choose a folder for --output-dir")
    assert target.read_text() == "a file"


def test_the_runners_own_index_and_reports_are_recognised(tmp_path):
    out = tmp_path / "out"
    previous_report(out, "r")
    legacy = out / "old-style"
    legacy.mkdir()
    (legacy / "run.json").write_text(
        json.dumps(
            {
                "name": "old-style",
                "description": "",
                "cohort": "x",
                "synthetic": True,
                "parameters": {},
                "notebooks": ["01_ok"],
                "runs_file": "runs.yaml",
            }
        )
    )
    (out / "index.html").write_text(render_index(out), encoding="utf-8")
    assert INDEX_GENERATOR in (out / "index.html").read_text(encoding="utf-8")
    assert folder_problems(out, ["r", "old-style"]) == []
    # a legacy manifest is recognised only in its own folder (the name must match)
    moved = out / "renamed"
    shutil.copytree(legacy, moved)
    assert read_marker(legacy) is not None and read_marker(moved) is None
    # the index lists only the runner's folders
    text = render_index(out)
    assert 'href="#run-r"' in text and 'href="#run-old-style"' in text
    assert "renamed" not in text


def test_a_run_being_written_is_refused_before_anything_is_written(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    out = tmp_path / "out"
    out.mkdir()
    held = FileLock(out / ".r.lock")
    held.acquire()  # as another spinemets report would hold it (another open file: contended)
    try:
        assert report(runs, out) == 3
    finally:
        held.release()
    line = one_line(capsys.readouterr().err)
    assert "another spinemets report is writing run 'r'" in line and "nothing was done" in line
    assert sorted(p.name for p in out.iterdir()) == [".r.lock"]


def test_run_locks_are_all_or_nothing(tmp_path):
    held = FileLock(tmp_path / ".b.lock")
    held.acquire()
    try:
        with pytest.raises(RunBusyError, match="run 'b'"), RunLocks(tmp_path, ["a", "b", "c"]):
            pass
        # 'a' was taken first and released again: another batch can take it now
        with RunLocks(tmp_path, ["a"]) as locks:
            assert len(locks.held) == 1
    finally:
        held.release()


# -- what dead runs leave ----------------------------------------------------------------


def dead_staging(out: Path, name: str, state: str) -> Path:
    staging = out / f".{name}.partial"
    staging.mkdir(parents=True)
    marker = {"format": "spinemets-staging/1", "run": name, "state": state}
    (staging / ".spinemets-staging").write_text(json.dumps(marker))
    (staging / "01_ok.ipynb").write_text("{}")
    return staging


def test_the_sweep_removes_dead_runs_staging_and_keeps_live_and_failed_ones(tmp_path):
    out = tmp_path / "out"
    dead = dead_staging(out, "dead", "running")
    failed = dead_staging(out, "failed", "failed")
    live = dead_staging(out, "live", "running")
    foreign = out / ".foreign.partial"
    foreign.mkdir()
    (foreign / "data.csv").write_text("not the runner's")
    lock = FileLock(out / ".live.lock")
    lock.acquire()  # its runner is alive
    try:
        assert sweep_dead_runs(out, skip=[]) == ["dead"]
    finally:
        lock.release()
    assert not dead.exists()
    assert failed.is_dir() and live.is_dir() and (foreign / "data.csv").is_file()


def test_a_swap_cut_in_two_is_undone(tmp_path):
    out = tmp_path / "out"
    before = previous_report(out, "r")
    f = RunFolders(out, "r")
    f.final.rename(f.old)  # a runner killed between its two renames
    recover(f)
    assert snapshot(f.final) == before and not f.old.exists()
    # with both in place the new report stays and the old one goes
    shutil.copytree(f.final, f.old)
    recover(f)
    assert f.final.is_dir() and not f.old.exists()


def test_private_folders_of_dead_runners_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "spinemets-cohorts-0123456789abcdef"
    (dead / "r").mkdir(parents=True)
    (dead / "r" / "patients.csv").write_text("patient_id,age\nP1,60\n")
    (tmp_path / "spinemets-cohorts-0123456789abcdef.lock").touch()  # its runner was killed
    with NormalisedCohorts() as live:
        assert sweep_dead_private_folders() == [dead]
        assert live.root is not None and live.root.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_private_folder_is_private_and_its_lock_goes_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with NormalisedCohorts() as cohorts:
        root = cohorts.root
        assert root is not None and oct(root.stat().st_mode & 0o777) == "0o700"
        assert (tmp_path / f"{root.name}.lock").is_file()
        env = cohorts.worker_environment()
        assert Path(env["TMPDIR"]).parent == root and Path(env["JUPYTER_RUNTIME_DIR"]).is_dir()
    assert list(tmp_path.iterdir()) == []


# -- writing failures --------------------------------------------------------------------


def test_a_full_disk_while_writing_gives_one_line_and_removes_the_staging_folder(
    tmp_path, monkeypatch, capsys
):
    """ENOSPC cannot be had on demand, so the runner's writing of run.json is made to fail."""
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    out = tmp_path / "out"
    before = previous_report(out, "r")

    def full(f):
        folders.create_staging(f)  # the folder is made, then the disk is full
        assert f.staging.is_dir()
        raise OSError(28, os.strerror(28), str(f.staging / ".spinemets-staging"))

    monkeypatch.setattr(batch, "create_staging", full)
    assert report(runs, out) == 2
    line = one_line(capsys.readouterr().err)
    assert line.endswith("out/.r.partial/.spinemets-staging: cannot write (No space left on "
                         "device); the disk is "
                         "full: free some space or choose another --output-dir")  # fmt: skip
    assert snapshot(out / "r") == before
    assert not (out / ".r.partial").exists()


def test_a_problem_found_after_planning_is_still_refused(tmp_path):
    """Checked again under the run's lock: a folder that appeared meanwhile is not replaced."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "r").mkdir()
    (out / "r" / "data.csv").write_text("x")
    with pytest.raises(OutputFolderError, match="in the way of run 'r'"):
        folders.promote(RunFolders(out, "r"), {"format": "spinemets-run/1"})
    assert (out / "r" / "data.csv").read_text() == "x"


def test_ok_only_for_a_report_complete_on_disk(tmp_path):
    """A run whose staging folder lacks a notebook's HTML is not swapped in, and not "ok"."""
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01', '03']\n")
    out = tmp_path / "out"
    before = previous_report(out, "r")
    (plan,) = batch.plan_runs(runs, output_dir=out, notebooks_dir=FIXTURES)
    folders.create_staging(plan.folders)
    for name in ("01_ok.ipynb", "01_ok.html", "03_param.ipynb"):  # 03_param.html is missing
        (plan.staging_dir / name).write_text("{}")
    promoted: list = []
    outcome = batch._finish_run(plan, [], promoted)
    assert (outcome.status, outcome.messages) == ("failed", ["incomplete: 03_param.html missing"])
    assert snapshot(out / "r") == before and promoted == []
    (plan.staging_dir / "03_param.html").write_text("<html></html>")
    marker = json.loads((plan.staging_dir / ".spinemets-staging").read_text())
    assert marker["state"] == "failed"
    outcome = batch._finish_run(plan, [], promoted)
    assert outcome.status == "ok" and promoted == [plan]
    assert read_marker(out / "r")["notebooks"][1]["stem"] == "03_param"
    assert not (out / "r" / "previous.txt").exists()
