"""``spinemets refresh-notebooks``: re-execute the committed notebooks in place.

This is the one deliberate exception to "never write executed copies over the
sources": committed notebooks keep their outputs from the bundled synthetic
cohort with default parameters (CONTRIBUTING.md), and this is how maintainers
refresh them (``make notebooks``). Each numbered notebook runs with nbclient in
kernel ``spinemets`` with the project root as working directory and no injected
parameters; execution metadata (time stamps) is stripped, so diffs show only
real changes. A notebook that fails is left untouched on disk; a refreshed one is
written through a temporary file and a rename, so an interrupted refresh never
leaves a notebook half written (SIGINT/SIGTERM stop the workers and kernels, exit
130/143).
Tested in ``tests/reports/test_reports.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .. import paths
from ..errors import SpinemetsError
from .execute import DEFAULT_TIMEOUT, KERNEL_NAME, NotebookTask, refresh_task, warm_up
from .interrupt import RunInterrupted, interruptible
from .notebooks import discover_notebooks
from .pool import NotebookResult, WorkerPool

#: What an interrupted refresh leaves, said in the one line the command line prints.
INTERRUPTED = (
    "the notebooks and their kernels were stopped; notebooks not yet refreshed are unchanged"
)


def refresh_notebooks(
    notebooks_dir: str | Path = paths.NOTEBOOKS_DIR,
    *,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    kernel: str = KERNEL_NAME,
    stream: TextIO | None = None,
) -> int:
    """Re-execute every numbered notebook of ``notebooks_dir`` in place; return the exit code."""
    out = stream or sys.stdout
    notebooks = discover_notebooks(notebooks_dir)
    if not notebooks:
        raise SpinemetsError(f"{paths.display_path(notebooks_dir)}: no numbered notebooks")
    tasks = [
        NotebookTask(nb.stem, nb, nb, cwd=paths.PROJECT_ROOT, kernel=kernel, timeout=timeout)
        for nb in notebooks
    ]
    jobs = jobs or os.cpu_count() or 1
    width = max(len(t.label) for t in tasks)
    with interruptible():
        try:
            with WorkerPool(refresh_task, jobs, initializer=warm_up) as pool:
                results = list(_report_each(pool.run(tasks), len(tasks), width, out))
        except RunInterrupted as error:
            raise RunInterrupted(error.signum, INTERRUPTED) from error
    failed = [r.label for r in results if not r.ok]
    shown = paths.display_path(notebooks_dir)
    if failed:
        names = ", ".join(sorted(failed))
        print(f"{len(failed)} of {len(tasks)} notebooks failed in {shown}/: {names}", file=out)
        return 1
    print(f"{len(tasks)} notebooks refreshed in {shown}/", file=out)
    return 0


def _report_each(
    results: Iterator[NotebookResult], total: int, width: int, out: TextIO
) -> Iterator[NotebookResult]:
    """Print one line per notebook as it ends; pass the results on."""
    for done, result in enumerate(results, start=1):
        status = "ok" if result.ok else "FAILED (left unchanged)"
        line = f"[{done}/{total}] {result.label:<{width}}  {result.seconds:6.1f} s  {status}"
        print(line + (f"  {result.error}" if result.error else ""), file=out, flush=True)
        yield result
