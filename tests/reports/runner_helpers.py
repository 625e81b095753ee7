"""Helpers for the runner's tests: real ``spinemets report`` processes and their trees.

The fixture notebook ``05_gate`` writes ``ready_file`` once its kernel runs and then
waits for ``gate_file``: a test knows when a batch is in the middle of a notebook
(workers and kernels up, staging folder and private cohort copy on disk) and can
stop it, race it or let it finish, without sleeping for a guessed time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from spinemets import paths
from spinemets.reports.kernels import SERVER_SCRIPT

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
SPINEMETS = Path(sys.executable).with_name("spinemets")
#: Seconds a test waits for a batch to reach its gate (kernel start on a busy machine).
READY_TIMEOUT = 120.0


def write_runs(folder: Path, body: str) -> Path:
    """``folder/runs.yaml`` with ``body`` under ``runs:``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "runs.yaml"
    path.write_text("runs:\n" + body, encoding="utf-8")
    return path


def gate_run(name: str, folder: Path, *, own_cohort: bool = False) -> str:
    """A run of notebook 05_gate whose ready and gate files are ``folder/<name>.ready|.gate``."""
    cohort = ""
    if own_cohort:
        cohort_dir = folder / "cohort"
        cohort_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(paths.SYNTHETIC_PATIENTS, cohort_dir / "patients.csv")
        shutil.copy(paths.SYNTHETIC_COMPLICATIONS, cohort_dir / "complications.csv")
        cohort = "    patients: cohort/patients.csv\n    complications: cohort/complications.csv\n"
    return (
        f"  {name}:\n{cohort}    notebooks: ['05']\n    parameters:\n"
        f"      ready_file: {folder / (name + '.ready')}\n"
        f"      gate_file: {folder / (name + '.gate')}\n"
        "      wait_seconds: 120\n"
    )


def previous_report(out: Path, name: str) -> dict[str, bytes]:
    """A report folder as the runner leaves it (its marker and a file); returns its bytes."""
    folder = out / name
    folder.mkdir(parents=True)
    marker = {"format": "spinemets-run/1", "name": name, "notebooks": []}
    (folder / "run.json").write_text(json.dumps(marker), encoding="utf-8")
    (folder / "previous.txt").write_text("the report of an earlier, successful run")
    return snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def report_command(runs: Path, out: Path, *extra: str) -> list[str]:
    return [str(SPINEMETS), "report", str(runs), "--output-dir", str(out)] + [
        "--notebooks-dir",
        str(FIXTURES),
        "--jobs",
        "1",
        *extra,
    ]


def environment(tmp: Path) -> dict[str, str]:
    """The environment of a runner under test: its own temporary folder."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


#: Runs the command that follows with SIGINT handled by default, as in a terminal's
#: foreground job. A test suite started as a background job of a non-interactive shell
#: (``make test &``) inherits SIGINT ignored, and so would the runner, which rightly keeps
#: a signal ignored by whoever started it: Ctrl-C would then do nothing.
FOREGROUND = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def start_report(command: list[str], tmp: Path) -> subprocess.Popen[str]:
    """A ``spinemets report`` process in a session of its own, as a terminal's foreground
    job would be (SIGINT not ignored: :data:`FOREGROUND`)."""
    return subprocess.Popen(
        [sys.executable, "-c", FOREGROUND, *command],
        env=environment(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_until_ready(ready: Path, process: subprocess.Popen[str]) -> None:
    """Wait until the gate notebook's kernel wrote ``ready``; fail with the runner's output."""
    end = time.monotonic() + READY_TIMEOUT
    while not ready.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the runner ended before its notebook started:\n{out}\n{err}")
        if time.monotonic() > end:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"the notebook did not start within {READY_TIMEOUT:g} s:\n{out}\n{err}")
        time.sleep(0.05)


def process_tree(pid: int) -> list[psutil.Process]:
    """The processes under ``pid`` (workers, kernels, helpers), not ``pid`` itself."""
    return psutil.Process(pid).children(recursive=True)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of ``processes`` still running (a zombie waiting to be reaped is not running)."""
    running = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                running.append(p)
        except psutil.NoSuchProcess:
            continue
    return running


def wait_gone(
    processes: list[psutil.Process], timeout: float
) -> tuple[list[psutil.Process], float]:
    """Wait up to ``timeout`` s for ``processes`` to end; (those still running, seconds)."""
    start = time.monotonic()
    while alive(processes) and time.monotonic() - start < timeout:
        time.sleep(0.05)
    return alive(processes), time.monotonic() - start


def private_folders(tmp: Path) -> list[str]:
    """What runners left in the temporary folder ``tmp``: private folders and their locks."""
    return sorted(p.name for p in tmp.glob("spinemets-cohorts-*"))


def kernel_processes(processes: list[psutil.Process]) -> list[psutil.Process]:
    """The kernels among ``processes``: started as ``python -m ipykernel_launcher``, or
    forked by a kernel server (they keep its command line; the server is their parent)."""
    found = []
    for p in processes:
        try:
            command = " ".join(p.cmdline())
            parent = p.parent()
            forked = parent is not None and SERVER_SCRIPT.name in " ".join(parent.cmdline())
            if "ipykernel_launcher" in command or (SERVER_SCRIPT.name in command and forked):
                found.append(p)
        except psutil.Error:
            continue
    return found
