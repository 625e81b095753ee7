"""The worker pool: hard time budgets, dead workers, and the kernel's start in the budget.

The pool tests use tiny worker functions (pool_workers.py) in real spawned
processes; the last test runs a real notebook with a kernel that never starts.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from pool_workers import Task, work
from runner_helpers import FIXTURES, alive, wait_gone, write_runs
from spinemets.reports import batch
from spinemets.reports.interrupt import RunInterrupted, interruptible
from spinemets.reports.pool import THREAD_VARIABLES, WorkerPool, thread_limits

pytestmark = pytest.mark.slow


def still_running(pid: int) -> list[psutil.Process]:
    """``[process]`` while ``pid`` runs, ``[]`` once it is gone."""
    try:
        return [psutil.Process(pid)]
    except psutil.NoSuchProcess:
        return []


def test_a_task_stuck_past_its_budget_is_killed_with_its_children_and_the_pool_goes_on(
    tmp_path, kill_leftovers
):
    pid_file = tmp_path / "child.pid"
    tasks = [Task("stuck", "hang", timeout=1.0, pid_file=str(pid_file)), Task("next", "echo")]
    with WorkerPool(work, jobs=1, grace=0.5) as pool:
        results = {r.label: r for r in pool.run(tasks)}
    child = still_running(int(pid_file.read_text()))
    kill_leftovers.extend(child)
    assert not results["stuck"].ok
    assert results["stuck"].error.startswith("timed out after 1 s (the notebook's time budget")
    assert "its worker and kernel were stopped" in results["stuck"].error
    assert results["next"].ok  # a fresh worker took the next task
    left, _ = wait_gone(child, timeout=5)
    assert not left, "the stuck task's child process (its kernel) outlived it"


def test_a_stop_signal_taken_by_another_thread_still_stops_the_runner(tmp_path, kill_leftovers):
    # A process's SIGINT may be delivered to any of its threads that does not block it
    # (POSIX lets the system choose; Linux prefers the main thread when it can take it;
    # the runner has BLAS threads);
    # Python then runs the handler in the main thread only when that thread next runs.
    # Here the signal goes to another thread on purpose, while the main
    # thread waits for a task whose budget is 120 s: the stop must not wait for that.
    pid_file = tmp_path / "child.pid"
    task = Task("stuck", "hang", timeout=120.0, pid_file=str(pid_file))

    def signal_from_another_thread() -> None:
        end = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < end:  # the task has started
            time.sleep(0.05)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # to this thread only

    other = threading.Thread(target=signal_from_another_thread)
    start = time.monotonic()
    # as in a terminal (a suite started as a background job inherits SIGINT ignored, which
    # interruptible() rightly keeps)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(RunInterrupted), interruptible(), WorkerPool(work, jobs=1) as pool:
            other.start()
            list(pool.run([task]))
    finally:
        signal.signal(signal.SIGINT, previous)
    other.join()
    assert pid_file.exists(), "the task never started, so the test proves nothing"
    kill_leftovers.extend(still_running(int(pid_file.read_text())))
    # stopped within a few polls of the runner's wait, not at the task's budget (120 s)
    assert time.monotonic() - start < 60, f"the stop waited {time.monotonic() - start:.0f} s"


def test_each_worker_gets_its_share_of_the_cores(monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert thread_limits(2) == dict.fromkeys(THREAD_VARIABLES, "4")
    assert thread_limits(3) == dict.fromkeys(THREAD_VARIABLES, "2")
    assert thread_limits(16) == dict.fromkeys(THREAD_VARIABLES, "1")  # never 0
    monkeypatch.undo()
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    share = str(max(1, (os.cpu_count() or 1) // 2))
    with WorkerPool(work, jobs=2) as pool:
        results = list(pool.run([Task("a", "threads"), Task("b", "threads")]))
    assert [r.error for r in results] == [share, share]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # the user's setting is kept
    assert "OPENBLAS_NUM_THREADS" not in thread_limits(2)
    with WorkerPool(work, jobs=2) as pool:
        [result] = pool.run([Task("a", "threads")])
    assert result.error == "3"


def test_a_worker_that_dies_fails_its_task_only(tmp_path):
    tasks = [Task("dies", "die"), Task("a", "echo"), Task("b", "echo")]
    with WorkerPool(work, jobs=2) as pool:
        results = {r.label: r for r in pool.run(tasks)}
    assert results["dies"].error == "its worker process died (exit code 3)"
    assert results["a"].ok and results["b"].ok


def test_leaving_the_pool_stops_every_worker(tmp_path):
    with WorkerPool(work, jobs=2) as pool:
        pool.start(2)
        workers = [psutil.Process(w.process.pid) for w in pool.workers]
        assert len(alive(workers)) == 2
    assert not alive(workers)


def test_the_time_budget_covers_the_kernels_start(tmp_path, monkeypatch, kill_leftovers):
    """A kernel that never answers fails its notebook at the budget, not 60 s later.

    Before, the budget started with the first cell: the kernel had papermill's own
    60 s and the error was "Kernel didn't respond in 60 seconds".
    """
    spec = tmp_path / "jupyter" / "kernels" / "never-ready"
    spec.mkdir(parents=True)
    pid_file = tmp_path / "kernel.pid"
    code = (
        "import os, sys, time; "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", code, "{connection_file}"],
                "display_name": "never ready",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    stream = io.StringIO()
    summary = batch.run_reports(
        runs,
        output_dir=tmp_path / "out",
        notebooks_dir=FIXTURES,
        kernel="never-ready",
        timeout=3,
        jobs=1,
        cohort_loader=lambda run: None,
        stream=stream,
    )
    printed = stream.getvalue()
    assert summary.exit_code == 1, printed
    expected = "timed out after 3 s (the notebook's time budget) while its kernel was starting"
    assert expected in printed
    assert pid_file.is_file(), "the kernel was never launched, so the test proves nothing"
    kernel = still_running(int(pid_file.read_text()))
    kill_leftovers.extend(kernel)
    left, _ = wait_gone(kernel, 10)
    assert not left, "the kernel that never started is still running"
    assert not (tmp_path / "out" / "r").exists()
    assert Path(tmp_path / "out" / ".r.partial").is_dir()  # kept for debugging, as any failure
