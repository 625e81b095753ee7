"""Worker processes that execute notebooks, and that never outlive the runner.

:class:`WorkerPool` keeps up to ``jobs`` spawned worker processes; each executes
one task at a time (one notebook, in its own kernel) and sends back a
:class:`NotebookResult`. Unlike :class:`concurrent.futures.ProcessPoolExecutor`,
the pool can stop one worker without breaking the others, which it needs for:

- **a hard time budget.** A task has ``task.timeout`` seconds from the moment its
  worker starts it (kernel start included); the worker stops the notebook itself
  at that point (:mod:`~spinemets.reports.execute`), and if it has not answered
  :data:`KILL_GRACE` seconds later -- whatever it is stuck in -- the pool kills the
  worker and its kernel and starts a fresh worker for the next task (a worker that
  does not even start a task within :data:`START_ALLOWANCE` seconds is killed too);
- **a clean stop.** Leaving the ``with`` block (normally, on an error or on
  SIGINT/SIGTERM) kills every worker together with its kernels
  (:func:`kill_process_tree`) and waits for them;
- **no orphans.** A worker checks every :data:`PARENT_POLL` seconds that the
  runner that started it is alive; when it is not (SIGKILL of the runner) the
  worker kills its kernel server and kernel and exits. The server exits when the
  worker's end of its socket closes, and kernels watch the server (ipykernel's
  parent poller: :mod:`~spinemets.reports.kernels`).

Workers ignore SIGINT, so Ctrl-C in a terminal reaches the runner only (which
stops them): no traceback from a worker or a kernel reaches the terminal.
Tested in ``tests/reports/test_pool.py`` and ``tests/reports/test_signals.py``.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

import psutil

from .kernels import stop_server

#: Seconds a task may run past its time budget before its worker is killed.
KILL_GRACE = 10.0
#: Seconds a worker may take to start a task it was handed (a new interpreter importing
#: papermill on a busy machine) before it is taken for stuck.
START_ALLOWANCE = 120.0
#: How often a worker checks that the runner is still alive, in seconds.
PARENT_POLL = 0.25
#: Longest wait of the runner for its workers. A SIGINT or SIGTERM sent to the runner
#: may be delivered to any of its threads that does not block it (POSIX lets the system
#: choose; Linux prefers the main thread when it can take it; numpy's BLAS starts other
#: threads); Python runs the handler in the main thread only when that thread runs again,
#: so the runner must not sleep past the signal (a Ctrl-C would otherwise wait for the
#: notebook's whole budget).
SIGNAL_POLL = 0.5
#: The variables that set how many threads the numerical libraries start (OpenBLAS,
#: OpenMP, MKL, Accelerate, numexpr), as joblib's loky sets them for its workers.
THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
#: Seconds to wait for killed processes to be gone.
KILL_WAIT = 5.0


@dataclass(frozen=True)
class NotebookResult:
    """What became of a task: ``ok``, wall time in seconds, a one-line ``error``;
    ``executed``: whether a kernel ran (a re-rendered notebook runs none)."""

    label: str
    ok: bool
    seconds: float
    error: str = ""
    executed: bool = True


def short(text: Any, limit: int = 160) -> str:
    """The first line of ``text``, cut to ``limit`` characters."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def thread_limits(jobs: int) -> dict[str, str]:
    """Threads of the numerical libraries for each of ``jobs`` workers: its share of the
    machine's cores (at least 1), as joblib's loky gives its workers.

    numpy's and scipy's BLAS (OpenBLAS) starts a thread per core in every process that
    imports it, and its idle threads spin: two kernels on two cores, each with two BLAS
    threads, spend CPU time on waiting that their notebooks need. Measured on 2 cores: a
    batch of the nine notebooks on 100,000 patients took 93 CPU-s with the default threads
    and 81 with one (by hand); the notebooks' main library calls alone, 22.7 and 10.6 CPU-s
    (``benchmarks/results/large_cohort.md``). The committed notebooks came out
    byte-identical either way. A variable the user has set is left as it is.
    Tests: tests/reports/test_pool.py::test_each_worker_gets_its_share_of_the_cores.
    """
    share = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    return {name: share for name in THREAD_VARIABLES if name not in os.environ}


def kill_process_tree(pid: int, timeout: float = KILL_WAIT) -> None:
    """Kill process ``pid`` and every process under it (SIGKILL); wait until they are gone."""
    try:
        root = psutil.Process(pid)
        processes = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    end = time.monotonic() + timeout
    while any(map(_running, processes)) and time.monotonic() < end:
        time.sleep(0.02)


def _running(process: psutil.Process) -> bool:
    """Whether ``process`` still runs (a killed zombie waiting to be reaped does not)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _watch_parent(parent_pid: int) -> None:
    """Thread of a worker: when the runner is gone, kill this worker's kernels and exit."""
    while True:
        if os.getppid() != parent_pid:
            try:
                for child in psutil.Process().children(recursive=True):
                    child.kill()
            except psutil.Error:
                pass
            os._exit(1)
        time.sleep(PARENT_POLL)


def _worker_main(
    conn: Connection,
    worker: Callable[[Any], NotebookResult],
    parent_pid: int,
    env: Mapping[str, str],
    initializer: Callable[[], None] | None,
) -> None:
    """The loop of a worker process: receive a task, run it, send its result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    os.environ.update(env)
    tempfile.tempdir = None  # read TMPDIR again, if env set it
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # nbclient logs through papermill's logger; failures come back as results instead.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    if initializer is not None:
        try:
            initializer()
        except Exception:
            pass  # the task will fail with the same error, reported as its result
    try:
        _serve(conn, worker)
    finally:
        stop_server()  # the worker's kernel server ends with it (and is reaped by it)


def _serve(conn: Connection, worker: Callable[[Any], NotebookResult]) -> None:
    """Receive a task, run it, send its result; until the runner says stop."""
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        start = time.monotonic()
        try:
            conn.send(_STARTED)
        except (OSError, ValueError):
            return
        try:
            result = worker(task)
        except BaseException as error:  # a worker never dies of a task
            message = f"{type(error).__name__}: {short(error)}"
            result = NotebookResult(task.label, False, time.monotonic() - start, message)
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


#: What a worker sends when it starts a task (the task's clock starts then).
_STARTED = "started"


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: Any = None
    started: float = 0.0
    deadline: float = field(default=float("inf"))


class WorkerPool:
    """Up to ``jobs`` worker processes running ``worker(task)``; a context manager.

    ``grace`` is how long past its budget a task may run before it is killed.
    ``initializer`` runs once in each worker when it starts (the runner imports
    papermill and nbconvert there while it loads the cohorts itself).
    ``env`` is added to each worker's environment (the runner points ``TMPDIR`` and
    ``JUPYTER_RUNTIME_DIR``, where kernels' connection files go, into its private
    temporary folder, so that what a killed batch leaves is in one place), after
    :func:`thread_limits` (each worker's share of the cores for the threads of the
    numerical libraries, which its kernels inherit). Tasks need ``label`` and
    ``timeout`` attributes.
    """

    def __init__(
        self,
        worker: Callable[[Any], NotebookResult],
        jobs: int,
        env: Mapping[str, str] | None = None,
        initializer: Callable[[], None] | None = None,
        grace: float = KILL_GRACE,
    ) -> None:
        self.worker = worker
        self.jobs = max(1, jobs)
        self.env = {**thread_limits(self.jobs), **(env or {})}
        self.initializer = initializer
        self.grace = grace
        self.workers: list[_Worker] = []
        #: Workers told to exit (no task was left for them); killed if still there at stop.
        self.retired: list[_Worker] = []
        self.context = get_context("spawn")

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_worker(self) -> _Worker:
        parent_conn, child_conn = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main,
            args=(child_conn, self.worker, os.getpid(), self.env, self.initializer),
            daemon=True,
        )
        # The new process starts with SIGINT/SIGTERM blocked (the mask is inherited) and
        # unblocks them once it ignores SIGINT; here, a signal arriving during start is
        # handled after the worker is on the list, so the stop always finds it.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
        try:
            process.start()
            worker = _Worker(process, parent_conn)
            self.workers.append(worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        child_conn.close()
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and its kernels, and forget it."""
        # exitcode is None: the worker runs and is not reaped, so its pid is still its own
        # (a reaped process's pid may already belong to someone else).
        if worker.process.pid is not None and worker.process.exitcode is None:
            kill_process_tree(worker.process.pid)
        worker.process.join(timeout=KILL_WAIT)
        worker.conn.close()
        for workers in (self.workers, self.retired):
            if worker in workers:
                workers.remove(worker)

    def start(self, count: int) -> None:
        """Start up to ``count`` workers now (at most ``jobs``), so that their start-up
        (a new interpreter, ``initializer``) overlaps with the caller's own work."""
        while len(self.workers) < min(count, self.jobs):
            self._start_worker()

    def stop(self) -> None:
        """Stop every worker: idle ones are told to exit, and whatever still runs is killed
        (an idle worker holds nothing to save: its kernel was shut down with its last
        notebook), so the batch never waits for an interpreter to wind down."""
        self._retire_idle()
        for worker in [*self.workers, *self.retired]:
            self._discard(worker)

    def _retire_idle(self) -> None:
        """Tell the idle workers to exit (they do so while the others work); they are
        taken off the list of workers that get tasks."""
        for worker in [w for w in self.workers if w.task is None]:
            if worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except (OSError, ValueError):
                    pass
            self.workers.remove(worker)
            self.retired.append(worker)

    def run(self, tasks: Sequence[Any]) -> Iterator[NotebookResult]:
        """Execute ``tasks``; yield each result as it ends (in the order they end)."""
        pending = deque(tasks)
        while pending or any(w.task is not None for w in self.workers):
            while pending:
                idle = next((w for w in self.workers if w.task is None), None)
                if idle is None:
                    if len(self.workers) >= min(self.jobs, len(tasks)):
                        break
                    idle = self._start_worker()
                task = pending.popleft()
                idle.task, idle.started = task, time.monotonic()
                idle.deadline = idle.started + START_ALLOWANCE + task.timeout + self.grace
                try:
                    idle.conn.send(task)
                except (OSError, ValueError) as error:
                    yield self._lost(idle, f"the worker could not take it ({short(error)})")
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                continue
            now = time.monotonic()
            # never longer than SIGNAL_POLL: a stop signal that the kernel handed to
            # another of the runner's threads is acted upon when this wait returns
            timeout = min(max(0.0, min(w.deadline for w in busy) - now), SIGNAL_POLL)
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
            for worker in busy:
                message: Any = None
                while worker.conn.poll():
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        message = None
                        break
                    if message != _STARTED:
                        break
                    worker.started = time.monotonic()  # the budget counts from here
                    worker.deadline = worker.started + worker.task.timeout + self.grace
                    message = None
                if isinstance(message, NotebookResult):
                    worker.task = None
                    if not pending:
                        self._retire_idle()  # no task is left for them
                    yield message
                elif not worker.process.is_alive():
                    yield self._lost(worker, self._death(worker))
                elif time.monotonic() >= worker.deadline:
                    task = worker.task
                    yield self._lost(
                        worker,
                        f"timed out after {task.timeout:g} s (the notebook's time budget, "
                        "counted from its start); its worker and kernel were stopped",
                    )

    def _death(self, worker: _Worker) -> str:
        worker.process.join(timeout=KILL_WAIT)
        code = worker.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"its worker process died ({how})"

    def _lost(self, worker: _Worker, error: str) -> NotebookResult:
        """The result of a task whose worker is gone or is killed now."""
        task = worker.task
        seconds = time.monotonic() - worker.started
        self._discard(worker)
        return NotebookResult(task.label, False, seconds, error)
