"""Executing one notebook: the per-notebook step of a report, and of a refresh.

:func:`execute_task` executes a notebook with papermill in its own kernel
(kernel ``spinemets``; forked by the worker's kernel server when the notebook imports
spinemets: :mod:`~spinemets.reports.kernels`) into the run's staging folder, cleans it
(:func:`clean_executed`: no time stamps, no random cell id, no temporary or
staging path) and exports its HTML page next to it (:func:`export_html`, a
separate step: :mod:`~spinemets.reports.html`); :func:`refresh_task` re-executes
a committed notebook in place with nbclient.
Both run in the worker processes of :mod:`~spinemets.reports.pool`, one task at a
time, and never raise: a failure comes back as a :class:`NotebookResult` with a
one-line error naming the cell.

A notebook has a total time budget (``timeout`` seconds) counted from its start:
starting the kernel may use what is left of it, and each cell's nbclient timeout
is what is left when the cell starts. Whatever the notebook is stuck in, the pool
kills it shortly after the budget (:data:`~spinemets.reports.pool.KILL_GRACE`).
The kernel is stopped at once when the notebook ends
(``shutdown_kernel="immediate"``: nothing is left to save in it).
While it runs, the kernel lists the files ``RunOutput`` writes in
``task.written_files`` (:data:`spinemets.paths.WRITTEN_FILES_ENV`), so that the
runner can keep them with the notebook's result (:mod:`~spinemets.reports.cache`).
A task with ``outputs_from`` (a stored executed notebook with the same code and
inputs) is *re-rendered* instead, without a kernel (:func:`render_task`): the
result is the same bytes as executing it.
Tested in ``tests/reports/test_reports.py``, ``tests/reports/test_pool.py``,
``tests/reports/test_html_report.py`` and ``tests/reports/test_cache.py``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError
from papermill.iorw import write_ipynb

from .. import paths
from . import html
from .kernels import kernel_manager_class
from .notebooks import clean_metadata
from .pool import NotebookResult, short

#: The Jupyter kernel every notebook runs in (registered by ``make``).
KERNEL_NAME = "spinemets"
#: Default time budget per notebook, seconds.
DEFAULT_TIMEOUT = 600.0
#: What jupyter_client raises when a kernel dies while starting (a notebook is then
#: executed once more in a new kernel: :func:`execute_task`).
KERNEL_START_FAILED = "Kernel died before replying to kernel_info"
#: Kernel command-line options: only kernel errors reach the terminal (not ipykernel's
#: start-up warnings, printed once per notebook).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


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
    #: ``(text, shown as)`` pairs replaced, in order, in the executed notebook before its
    #: HTML is made: the runner's temporary cohort folder becomes a stable placeholder
    #: and the staging folder the run's own folder, so executed notebooks carry no
    #: random, temporary or absolute path (:func:`clean_executed`).
    aliases: tuple[tuple[str, str], ...] = ()
    #: Where the kernel lists the files RunOutput writes (None: not listed).
    written_files: Path | None = None
    #: A stored executed notebook of the same code and inputs: re-render, do not execute.
    outputs_from: Path | None = None
    #: Environment variables the kernel gets (the run's data-minimisation and paper
    #: settings: :data:`spinemets.paths.PATIENT_ROWS_ENV`, ``REPRODUCES_PAPER_ENV``).
    environment: tuple[tuple[str, str], ...] = ()


class _Deadline:
    """A notebook's time budget, from its start: kernel start, then each cell.

    Used as nbclient's ``timeout_func``: each cell may use what is left of the budget.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.cell: Any = None

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def startup_timeout(self) -> int:
        """Whole seconds the kernel may take to start: what is left, rounded up (nbclient
        takes an integer)."""
        return max(1, math.ceil(self.remaining()))

    def __call__(self, cell: Any) -> float:
        self.cell = cell
        return max(0.1, self.remaining())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def message(self) -> str:
        if self.cell is None:
            where = " while its kernel was starting"
        else:
            where = f" in the cell starting {short(self.cell.source, 60)!r}"
        return f"timed out after {self.seconds:g} s (the notebook's time budget){where}"


def warm_up() -> None:
    """Compile the HTML template (a worker's initializer: done while the runner loads
    cohorts, not when the first notebook starts). papermill, nbclient and nbconvert are
    this module's static imports, loaded with it; jsonschema's ``iri`` format checker
    is left out of the runner's processes (:data:`spinemets.reports.IRI_GRAMMAR_MODULE`).
    """
    html.notebook_html(nbformat.v4.new_notebook(), "warm-up")  # reads and compiles the template


#: The id given to papermill's injected-parameters cell (papermill makes a random one).
INJECTED_CELL_ID = "injected-parameters"


def clean_executed(ipynb: Path, aliases: tuple[tuple[str, str], ...] = ()) -> None:
    """Make an executed notebook deterministic and free of machine paths, in place.

    Each ``(text, shown as)`` pair of ``aliases`` is replaced, in order, everywhere in
    the file (the runner's private cohort folder, the staging folder: see
    :class:`NotebookTask`); execution time stamps are stripped
    (:func:`~spinemets.reports.notebooks.clean_metadata`), the injected-parameters
    cell gets a fixed id instead of papermill's random one, and what a cell printed
    is one output per stream however the kernel happened to send it
    (:func:`merge_streams`).
    """
    if aliases:
        text = ipynb.read_text(encoding="utf-8")
        for old, new in aliases:
            text = text.replace(old, new)
        ipynb.write_text(text, encoding="utf-8")
    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = merge_streams(cell.outputs)
    taken = {cell.get("id") for cell in nb.cells}
    for cell in nb.cells:
        injected = "injected-parameters" in cell.metadata.get("tags", [])
        if injected and "id" in cell and INJECTED_CELL_ID not in taken:
            cell.id = INJECTED_CELL_ID
            break
    nbformat.write(clean_metadata(nb), ipynb)


def merge_streams(outputs: list[Any]) -> list[Any]:
    """A cell's outputs with consecutive outputs of one stream (stdout, stderr) joined.

    The kernel sends printed text in as many messages as its flushes happened to
    make, which depends on the machine's load: one ``print`` loop may arrive as one
    output or as three. Joined, the executed notebook (and its HTML) is the same
    for the same code, and reads the same. Order is kept: text on either side of a
    figure or table stays there, and stdout and stderr are not mixed (unlike
    nbclient's ``coalesce_streams``, which moves all of a stream to its first place).
    Tested in ``tests/reports/test_html_export.py``.
    """
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and output.get("name") == previous.get("name")
        ):
            previous["text"] = _text(previous.get("text")) + _text(output.get("text"))
        else:
            merged.append(output)
    return merged


def _text(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text or "")


def export_html(ipynb: Path) -> Path:
    """Write ``<stem>.html`` beside an executed notebook; return its path
    (:func:`spinemets.reports.html.export_html`)."""
    return html.export_html(ipynb)


def execute_task(task: NotebookTask) -> NotebookResult:
    """Execute a notebook with papermill into ``task.output``, then export its HTML.

    A kernel that dies before it answers (a port taken by another process meanwhile:
    a race of TCP ports that jupyter_client cannot exclude) is started once more. The
    executed notebook is kept (and exported) even when a cell fails, so the
    error can be read where it happened. A task with ``outputs_from`` is re-rendered
    (:func:`render_task`) unless the stored notebook does not fit its code.
    """
    start = time.monotonic()
    if task.outputs_from is not None:
        try:
            return render_task(task)
        except RenderMismatch:
            pass  # executed below, as if nothing were stored
    deadline = _Deadline(task.timeout)
    error = ""
    if task.written_files is not None:
        task.written_files.parent.mkdir(parents=True, exist_ok=True)
        task.written_files.write_text("", encoding="utf-8")
        os.environ[paths.WRITTEN_FILES_ENV] = str(task.written_files)  # the kernel inherits it
    os.environ.update(dict(task.environment))
    try:
        try:
            _papermill(task, deadline)
        except RuntimeError as e:
            if str(e) != KERNEL_START_FAILED or deadline.expired():
                raise
            # The kernel died before it answered: the TCP port jupyter_client chose for it
            # was taken by another process before the kernel bound it. Once more, with
            # new ports (what is left of the budget).
            _papermill(task, deadline)
    except PapermillExecutionError as e:
        error = f"cell [{e.exec_count}]: {e.ename}: {short(e.evalue)}"
    except CellTimeoutError:
        error = deadline.message()
    except DeadKernelError as e:
        error = f"the kernel died: {short(e)}"
    except Exception as e:
        error = deadline.message() if deadline.expired() else f"{type(e).__name__}: {short(e)}"
    finally:
        os.environ.pop(paths.WRITTEN_FILES_ENV, None)
        for name, _ in task.environment:
            os.environ.pop(name, None)
    if task.output.exists():
        try:
            clean_executed(task.output, task.aliases)
            export_html(task.output)
        except Exception as e:
            error = error or f"HTML export failed: {type(e).__name__}: {short(e)}"
    return NotebookResult(task.label, not error, time.monotonic() - start, error)


def _papermill(task: NotebookTask, deadline: _Deadline) -> None:
    papermill.execute_notebook(
        str(task.source),
        str(task.output),
        parameters=task.parameters,
        kernel_name=task.kernel,
        cwd=str(task.cwd),
        progress_bar=False,
        log_output=False,
        start_timeout=deadline.startup_timeout(),
        timeout_func=deadline,
        shutdown_kernel="immediate",
        extra_arguments=KERNEL_ARGUMENTS,
        kernel_manager_class=kernel_manager_class(task.source),
    )


class RenderMismatch(Exception):
    """The stored executed notebook does not have the task's code cells."""


def render_task(task: NotebookTask) -> NotebookResult:
    """Re-render a notebook from a stored execution of the same code and inputs: no kernel.

    papermill prepares the notebook as it would for executing it (parameters
    injected, ``prepare_only``); each code cell then takes the outputs and execution
    count of the stored executed notebook (``task.outputs_from``), and the notebook
    the kernel's ``language_info`` (and widget state, if any); what execution leaves
    in metadata is removed by :func:`clean_executed` on both paths. The result is
    the bytes executing the notebook would give (its Markdown cells and metadata
    are the new ones). Raises :class:`RenderMismatch` when the stored notebook's
    code cells are not the task's (the caller executes the notebook instead).
    """
    start = time.monotonic()
    stored = nbformat.read(task.outputs_from, as_version=4)
    nb = papermill.execute_notebook(
        str(task.source),
        None,
        parameters=task.parameters,
        kernel_name=task.kernel,
        prepare_only=True,
        progress_bar=False,
        log_output=False,
    )
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    stored_code = [cell for cell in stored.cells if cell.cell_type == "code"]
    if len(code) != len(stored_code) or any(
        _shown(cell.source, task.aliases) != old.source
        for cell, old in zip(code, stored_code, strict=True)
    ):
        raise RenderMismatch(task.label)
    for cell, old in zip(code, stored_code, strict=True):
        cell.outputs = old.outputs
        cell.execution_count = old.get("execution_count")
    for key in ("language_info", "widgets"):
        nb.metadata.pop(key, None)
        if key in stored.metadata:
            nb.metadata[key] = stored.metadata[key]
    error = ""
    try:
        write_ipynb(nb, str(task.output))
        clean_executed(task.output, task.aliases)
        export_html(task.output)
    except Exception as e:
        error = f"re-rendering failed: {type(e).__name__}: {short(e)}"
    return NotebookResult(task.label, not error, time.monotonic() - start, error, executed=False)


def _shown(text: str, aliases: tuple[tuple[str, str], ...]) -> str:
    for old, new in aliases:
        text = text.replace(old, new)
    return text


def refresh_task(task: NotebookTask) -> NotebookResult:
    """Re-execute a notebook with its default parameters; write it back only on success."""
    start = time.monotonic()
    deadline = _Deadline(task.timeout)
    nb = nbformat.read(task.source, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=task.kernel,
        startup_timeout=deadline.startup_timeout(),
        timeout_func=deadline,
        shutdown_kernel="immediate",
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        kernel_manager_class=kernel_manager_class(task.source),
        resources={"metadata": {"path": str(task.cwd)}},
    )
    error = ""
    try:
        client.execute()
    except CellExecutionError as e:
        count = next((c.get("execution_count") for c in nb.cells if _has_error(c)), None)
        error = f"cell [{count}]: {e.ename}: {short(e.evalue)}"
    except CellTimeoutError:
        error = deadline.message()
    except DeadKernelError as e:
        error = f"the kernel died: {short(e)}"
    except Exception as e:
        error = deadline.message() if deadline.expired() else f"{type(e).__name__}: {short(e)}"
    if not error:
        # through a temporary file and a rename: a refresh killed while writing leaves the
        # committed notebook as it was, never half written
        temporary = task.output.with_name(f".{task.output.name}.refreshing")
        nbformat.write(clean_metadata(nb), temporary)
        os.replace(temporary, task.output)
    return NotebookResult(task.label, not error, time.monotonic() - start, error)


def _has_error(cell: Any) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


__all__ = [
    "DEFAULT_TIMEOUT",
    "KERNEL_NAME",
    "NotebookResult",
    "NotebookTask",
    "clean_executed",
    "execute_task",
    "export_html",
    "merge_streams",
    "refresh_task",
    "render_task",
    "warm_up",
]
