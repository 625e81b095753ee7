"""Worker functions for the pool's tests (importable by spawned worker processes).

A task here is a :class:`Task`: ``hang`` starts a child process (standing for a
kernel), writes its pid to ``task.pid_file`` and then never returns; ``die``
ends its worker process at once; ``threads`` answers with the worker's
``OPENBLAS_NUM_THREADS``; ``echo`` answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from spinemets.reports.pool import NotebookResult


@dataclass(frozen=True)
class Task:
    label: str
    action: str
    timeout: float = 1.0
    pid_file: str = ""


def work(task: Task) -> NotebookResult:
    if task.action == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        Path(task.pid_file).write_text(str(child.pid), encoding="utf-8")
        while True:  # stuck, as papermill was translating the alias bomb
            time.sleep(0.01)
    if task.action == "die":
        os._exit(3)
    if task.action == "threads":  # what the worker's kernels would inherit
        return NotebookResult(task.label, True, 0.0, os.environ.get("OPENBLAS_NUM_THREADS", ""))
    return NotebookResult(task.label, True, 0.0, f"pid {os.getpid()}")
