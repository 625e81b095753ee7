"""Real signals sent to a real batch: nothing is lost, nothing is left behind.

Each test starts ``spinemets report`` as a process of its own (its own session and
temporary folder) on a cohort of its own, so the run has a private normalised copy
of the cohort; the fixture notebook 05_gate holds the batch in the middle of a
notebook (worker and kernel running, staging folder and private copy on disk)
until the test acts.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time

import pytest
from runner_helpers import (
    gate_run,
    kernel_processes,
    previous_report,
    private_folders,
    process_tree,
    report_command,
    snapshot,
    start_report,
    wait_gone,
    wait_until_ready,
    write_runs,
)
from spinemets import cli

pytestmark = pytest.mark.slow


def start_gated_batch(tmp_path, kill_leftovers):
    """A batch of run 'r' (own cohort) stopped at its gate, with a previous report."""
    runs = write_runs(tmp_path, gate_run("r", tmp_path, own_cohort=True))
    out = tmp_path / "out"
    before = previous_report(out, "r")
    process = start_report(report_command(runs, out), tmp_path / "tmp")
    wait_until_ready(tmp_path / "r.ready", process)
    tree = process_tree(process.pid)
    kill_leftovers.extend(tree)
    # the state a stop must clean up, seen while the notebook runs (so the test can fail)
    assert kernel_processes(tree), "no kernel found under the runner"
    assert (out / ".r.partial").is_dir()
    copies = list((tmp_path / "tmp").glob("spinemets-cohorts-*/r/patients.csv"))
    assert copies, "no private normalised copy of the cohort while the batch runs"
    return process, tree, out, before


@pytest.mark.parametrize(
    ("how", "code", "name"),
    [("ctrl-c", 130, "SIGINT"), ("kill", 143, "SIGTERM")],
)
def test_a_stopped_batch_leaves_the_previous_report_and_nothing_else(
    tmp_path, kill_leftovers, how, code, name
):
    process, tree, out, before = start_gated_batch(tmp_path, kill_leftovers)
    if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == code
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # one line: no traceback from the runner, a worker or a kernel
    assert lines[0].startswith(f"spinemets report: interrupted: {name}: ")
    assert "previous report is kept" in lines[0]
    assert "Traceback" not in stdout + stderr
    assert "ok " not in stdout
    left, _ = wait_gone(tree, timeout=10)
    assert not left, f"still running after the stop: {[p.cmdline() for p in left]}"
    assert snapshot(out / "r") == before
    assert sorted(p.name for p in out.iterdir()) == [".r.lock", "r"]  # no staging folder
    assert private_folders(tmp_path / "tmp") == []  # no private copy, no lock file


def test_after_sigkill_workers_and_kernels_exit_and_the_next_run_cleans_up(
    tmp_path, kill_leftovers, monkeypatch, capsys
):
    process, tree, out, before = start_gated_batch(tmp_path, kill_leftovers)
    start = time.monotonic()
    process.kill()  # SIGKILL: the runner cannot clean up anything
    process.wait(timeout=30)  # not communicate(): its pipes stay open while a worker lives
    left, _ = wait_gone(tree, timeout=30)
    seconds = time.monotonic() - start
    assert not left, f"still running {seconds:.0f} s after SIGKILL: {[p.cmdline() for p in left]}"
    process.communicate(timeout=30)
    # what the dead run left: its staging folder and its private copy (and the old report)
    assert (out / ".r.partial").is_dir()
    assert private_folders(tmp_path / "tmp")
    assert snapshot(out / "r") == before

    (tmp_path / "r.gate").touch()  # the next run passes the gate at once
    # the next run, in this process (its temporary folder: the dead run's)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    code = cli.main(report_command(tmp_path / "runs.yaml", out)[1:])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert "ok      1 notebook(s)" in stdout
    assert private_folders(tmp_path / "tmp") == []
    assert sorted(p.name for p in out.iterdir()) == [
        ".index.html.lock",
        ".r.cache",
        ".r.lock",
        "index.html",
        "r",
    ]
    assert sorted(p.name for p in (out / "r").iterdir()) == [
        "05_gate.html",
        "05_gate.ipynb",
        "run.json",
    ]
