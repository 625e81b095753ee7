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
Tested in ``tests/test_reports.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from .. import paths
from ..errors import SpinemetsError
from .execute import DEFAULT_TIMEOUT, KERNEL_NAME, NotebookTask, refresh_task
from .notebooks import discover_notebooks
from .interrupt import RunInterrupted, interruptible
from .pool import run_parallel

#: What an interrupted refresh leaves, said in the one line the command line prints.
INTERRUPTED = "the notebooks and their kernels were stopped; notebooks not yet refreshed are unchanged"


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
    failed = []
    width = max(len(t.label) for t in tasks)
    with interruptible():
        try:
            for done, result in enumerate(run_parallel(refresh_task, tasks, jobs), start=1):
                status = "ok" if result.ok else "FAILED (left unchanged)"
                line = f"[{done}/{len(tasks)}] {result.label:<{width}}  "
                line += f"{result.seconds:6.1f} s  {status}"
                print(line + (f"  {result.error}" if result.error else ""), file=out, flush=True)
                if not result.ok:
                    failed.append(result.label)
        except RunInterrupted as error:
            raise RunInterrupted(error.signum, INTERRUPTED) from error
    shown = paths.display_path(notebooks_dir)
    if failed:
        names = ", ".join(sorted(failed))
        print(f"{len(failed)} of {len(tasks)} notebooks failed in {shown}/: {names}", file=out)
        return 1
    print(f"{len(tasks)} notebooks refreshed in {shown}/", file=out)
    return 0
