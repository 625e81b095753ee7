"""Executing notebooks in worker processes, several at a time.

Each worker of a process pool runs one notebook at a time in its own kernel
(kernel ``spinemets``): :func:`execute_task` with papermill for a report (then
exports HTML next to the executed notebook), :func:`refresh_task` with nbclient
for refreshing a committed notebook in place. A notebook gets a total time
budget (``timeout`` seconds): each cell's nbclient timeout is what is left of
it. A failure never raises: it comes back as a :class:`NotebookResult` with a
one-line error naming the cell. Tested in ``tests/test_reports.py``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

#: The Jupyter kernel every notebook runs in (registered by ``make``).
KERNEL_NAME = "spinemets"
#: Default time budget per notebook, seconds.
DEFAULT_TIMEOUT = 600.0
#: Kernel command-line options: only kernel errors reach the terminal (not ipykernel's
#: start-up warnings, printed once per notebook).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
#: HTML keeps the code cells: the notebooks teach methods, the code is part of it.
HTML_EXCLUDE_INPUT = False


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute: ``source`` -> ``output`` (the same file for a refresh)."""

    label: str
    source: Path
    output: Path
    cwd: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    kernel: str = KERNEL_NAME
    timeout: float = DEFAULT_TIMEOUT
    #: ``(text, shown as)`` pairs replaced in the executed notebook before its HTML is
    #: made: the runner's temporary cohort folder becomes a stable placeholder, so
    #: executed notebooks carry no random absolute path.
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NotebookResult:
    """What became of a task: ``ok``, wall time in seconds, a one-line ``error``."""

    label: str
    ok: bool
    seconds: float
    error: str = ""


def _short(text: Any, limit: int = 160) -> str:
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


class _Deadline:
    """nbclient ``timeout_func``: each cell may use what is left of the notebook's budget."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.cell: Any = None

    def __call__(self, cell: Any) -> float:
        self.cell = cell
        return max(0.1, self.end - time.monotonic())

    def message(self) -> str:
        where = f" in the cell starting {_short(self.cell.source, 60)!r}" if self.cell else ""
        return f"timed out after {self.seconds:g} s (the notebook's time budget){where}"


def _init_worker() -> None:
    # Quiet kernels and libraries: the terminal shows one line per notebook.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # nbclient logs through papermill's logger; failures come back as results instead.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.ERROR)


_EXPORTER: Any = None


def export_html(ipynb: Path) -> Path:
    """Write ``<stem>.html`` beside an executed notebook (nbconvert, lab template)."""
    global _EXPORTER
    import nbformat
    from nbconvert import HTMLExporter

    if _EXPORTER is None:
        _EXPORTER = HTMLExporter(template_name="lab", exclude_input=HTML_EXCLUDE_INPUT)
    nb = nbformat.read(ipynb, as_version=4)
    body, _ = _EXPORTER.from_notebook_node(nb, resources={"metadata": {"name": ipynb.stem}})
    html = ipynb.with_suffix(".html")
    html.write_text(body, encoding="utf-8", newline="\n")
    return html


def _clean_file(ipynb: Path, aliases: tuple[tuple[str, str], ...] = ()) -> None:
    import nbformat

    from .notebooks import clean_metadata

    if aliases:
        text = ipynb.read_text(encoding="utf-8")
        for old, new in aliases:
            text = text.replace(old, new)
        ipynb.write_text(text, encoding="utf-8")
    nb = nbformat.read(ipynb, as_version=4)
    nbformat.write(clean_metadata(nb), ipynb)


def execute_task(task: NotebookTask) -> NotebookResult:
    """Execute a notebook with papermill into ``task.output``, then export its HTML.

    The executed notebook is kept (and exported) even when a cell fails, so the
    error can be read where it happened.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    start = time.monotonic()
    deadline = _Deadline(task.timeout)
    error = ""
    try:
        papermill.execute_notebook(
            str(task.source),
            str(task.output),
            parameters=task.parameters,
            kernel_name=task.kernel,
            cwd=str(task.cwd),
            progress_bar=False,
            log_output=False,
            timeout_func=deadline,
            extra_arguments=KERNEL_ARGUMENTS,
        )
    except PapermillExecutionError as e:
        error = f"cell [{e.exec_count}]: {e.ename}: {_short(e.evalue)}"
    except CellTimeoutError:
        error = deadline.message()
    except DeadKernelError as e:
        error = f"the kernel died: {_short(e)}"
    except Exception as e:
        error = f"{type(e).__name__}: {_short(e)}"
    if task.output.exists():
        try:
            _clean_file(task.output, task.aliases)
            export_html(task.output)
        except Exception as e:
            error = error or f"HTML export failed: {type(e).__name__}: {_short(e)}"
    return NotebookResult(task.label, not error, time.monotonic() - start, error)


def refresh_task(task: NotebookTask) -> NotebookResult:
    """Re-execute a notebook with its default parameters; write it back only on success."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from .notebooks import clean_metadata

    start = time.monotonic()
    deadline = _Deadline(task.timeout)
    nb = nbformat.read(task.source, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=task.kernel,
        timeout_func=deadline,
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": str(task.cwd)}},
    )
    error = ""
    try:
        client.execute()
    except CellExecutionError as e:
        count = next((c.get("execution_count") for c in nb.cells if _has_error(c)), None)
        error = f"cell [{count}]: {e.ename}: {_short(e.evalue)}"
    except CellTimeoutError:
        error = deadline.message()
    except DeadKernelError as e:
        error = f"the kernel died: {_short(e)}"
    except Exception as e:
        error = f"{type(e).__name__}: {_short(e)}"
    if not error:
        nbformat.write(clean_metadata(nb), task.output)
    return NotebookResult(task.label, not error, time.monotonic() - start, error)


def _has_error(cell: Any) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def run_parallel(
    worker: Callable[[NotebookTask], NotebookResult],
    tasks: Sequence[NotebookTask],
    jobs: int,
) -> Iterator[NotebookResult]:
    """Run ``worker`` over ``tasks`` in up to ``jobs`` processes; yield results as they end.

    Workers are spawned (not forked), so each starts clean and imports papermill
    once. A worker process that dies turns its remaining tasks into failures.
    """
    if not tasks:
        return
    workers = max(1, min(jobs, len(tasks)))
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker
    ) as pool:
        futures = {pool.submit(worker, task): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield future.result()
            except Exception as e:
                yield NotebookResult(
                    task.label, False, 0.0, f"worker failed: {type(e).__name__}: {_short(e)}"
                )
