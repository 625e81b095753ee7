"""One writer per run: a real concurrent pair (and trio) of ``spinemets report`` processes.

Process A writes run ``a`` and waits at its gate (05_gate), holding the run's lock.
Meanwhile a second report of ``a`` (another process) is refused at once without
touching anything, and a report of another run, ``b``, into the same output folder
goes through (from the test's process). Then
A finishes: both reports are complete and the index lists both.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from runner_helpers import (
    environment,
    gate_run,
    report_command,
    snapshot,
    start_report,
    wait_until_ready,
    write_runs,
)
from spinemets import cli

pytestmark = pytest.mark.slow


def test_a_second_report_of_a_run_being_written_is_refused_and_others_go_through(tmp_path, capsys):
    runs = write_runs(tmp_path, gate_run("a", tmp_path) + gate_run("b", tmp_path))
    out = tmp_path / "out"
    first = start_report(report_command(runs, out, "--run", "a"), tmp_path / "tmp")
    try:
        wait_until_ready(tmp_path / "a.ready", first)
        during = snapshot(out)

        second = subprocess.run(
            report_command(runs, out, "--run", "a"),
            env=environment(tmp_path / "tmp"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 3
        assert second.stderr.count("\n") == 1, second.stderr
        assert "another spinemets report is writing run 'a'" in second.stderr
        assert "nothing was done" in second.stderr
        assert "ok" not in second.stdout
        assert snapshot(out) == during  # the refused report wrote nothing

        (tmp_path / "b.gate").touch()  # another run, into the same folder, from this process
        assert cli.main(report_command(runs, out, "--run", "b")[1:]) == 0
        assert "ok      1 notebook(s)" in capsys.readouterr().out

        (tmp_path / "a.gate").touch()
        stdout, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, stdout + stderr
    assert "ok      1 notebook(s)" in stdout
    for run in ("a", "b"):
        manifest = json.loads((out / run / "run.json").read_text(encoding="utf-8"))
        assert manifest["format"] == "spinemets-run/1" and manifest["name"] == run
        for name in ("05_gate.ipynb", "05_gate.html"):
            assert (out / run / name).is_file(), f"{run}/{name}"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="#run-a"' in index and 'href="#run-b"' in index
    assert not [p.name for p in out.iterdir() if p.name.endswith((".partial", ".old"))]
