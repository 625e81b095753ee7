"""A run's cohort, loaded once and handed to the notebooks in the plain format.

The batch loads and validates each run's cohort once, with the run's options
(``mapping``, ``sheet``, ``complications_sheet``, ``allow_identifiers``), and
writes the **normalised** tables -- the format's columns in order and no other
(not even those a mapping keeps: ``Cohort.format_only()``); months (derived
from dates when the file gave dates); codes as the format spells them;
identifier and date columns dropped -- as plain UTF-8 CSV
into a private temporary folder outside ``reports/``. The notebooks read those
files as ``patients_file`` / ``complications_file``, so every notebook accepts
Excel, dates and mappings without knowing about them. The folder is created
readable by its owner only and removed at the end of the batch, even when the
batch fails.

A synthetic cohort stays synthetic: the normalised patients table then carries
a ``synthetic`` column equal to 1 on every row, the cohort module's own marker.
The bundled cohort is not rewritten: its notebooks get ``""`` as before.

The private folder ``<tmp>/spinemets-cohorts-<random>/`` has a lock file beside it,
``spinemets-cohorts-<random>.lock``, taken *before* the folder is made and held
until it is removed. A runner killed with SIGKILL cannot remove its folder, but
its lock dies with it: :func:`sweep_dead_private_folders`, called at the start of
every batch, removes every such folder of the current user whose lock it can take.
The workers' and kernels' temporary files (``TMPDIR``, ``JUPYTER_RUNTIME_DIR``:
connection files) go into the same folder.
Tested in ``tests/reports/test_byoc.py`` and ``tests/reports/test_signals.py``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pandas as pd
from filelock import FileLock, Timeout

from ..cohort import Cohort, load_cohort
from .runs import Run

#: What an executed notebook shows instead of the temporary folder's absolute path.
PLACEHOLDER = "<temporary normalised copy>"
#: The private folder's name: this prefix and a random part; its lock adds ``.lock``.
PRIVATE_PREFIX = "spinemets-cohorts-"
#: Where kernels' connection files go, inside the private folder.
RUNTIME_FOLDER = "jupyter-runtime"
#: The temporary folder of the workers and kernels (``TMPDIR``), inside the private folder.
TMP_FOLDER = "tmp"


def load_run_cohort(run: Run) -> Cohort:
    """Load and validate a run's cohort with its options (bundled cohort for ``None``).

    Raises ``CohortValidationError`` (a SpinemetsError listing every problem).
    """
    return load_cohort(
        run.patients,
        run.complications,
        sheet=run.sheet,
        complications_sheet=run.complications_sheet,
        mapping_file=run.mapping,
        allow_identifiers=run.allow_identifiers,
    )


def _csv(frame: pd.DataFrame) -> str:
    # Default float formatting is repr (shortest round-trip): reading the file back
    # gives the very same floats, so the notebooks compute what the loader computed.
    return frame.to_csv(index=False, lineterminator="\n")


def write_normalised(cohort: Cohort, folder: Path) -> tuple[Path, Path]:
    """Write a loaded cohort's two tables as plain CSV in ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    cohort = cohort.format_only()
    patients = cohort.patients.copy()
    if cohort.is_synthetic:
        patients["synthetic"] = 1
    p_path, c_path = folder / "patients.csv", folder / "complications.csv"
    p_path.write_text(_csv(patients), encoding="utf-8")
    c_path.write_text(_csv(cohort.complications), encoding="utf-8")
    return p_path, c_path


@dataclass
class NormalisedCohorts:
    """A private temporary folder holding each run's normalised cohort.

    A context manager: the folder (mode 0700, outside the project, its lock held)
    exists inside the ``with`` block and is removed on leaving it, whatever happens.
    """

    root: Path | None = None
    _lock: FileLock | None = field(default=None, repr=False)

    def __enter__(self) -> NormalisedCohorts:
        base = Path(tempfile.gettempdir()).resolve()
        name = PRIVATE_PREFIX + secrets.token_hex(8)
        lock = FileLock(base / f"{name}.lock")
        lock.acquire(timeout=0)  # a new, unique file: free
        try:
            root = base / name
            root.mkdir(mode=0o700)
            root.chmod(0o700)  # whatever the umask
            (root / RUNTIME_FOLDER).mkdir(mode=0o700)
            (root / TMP_FOLDER).mkdir(mode=0o700)
        except BaseException:
            shutil.rmtree(base / name, ignore_errors=True)
            _unlink_and_release(lock)
            raise
        self.root, self._lock = root, lock
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        if self._lock is not None:
            _unlink_and_release(self._lock)
            self._lock = None

    def worker_environment(self) -> dict[str, str]:
        """Environment for workers and kernels: their temporary files go into this folder.

        ``JUPYTER_RUNTIME_DIR`` (kernel connection files) and ``TMPDIR`` (what
        jupyter_client, papermill and the notebooks put in the temporary folder), so
        the folder's removal -- or the sweep after a killed batch -- takes them too.
        """
        if self.root is None:
            raise RuntimeError("NormalisedCohorts used outside its with block")
        return {
            "JUPYTER_RUNTIME_DIR": str(self.root / RUNTIME_FOLDER),
            "TMPDIR": str(self.root / TMP_FOLDER),
        }

    def write(self, run_name: str, cohort: Cohort) -> tuple[Path, Path]:
        """The run's normalised tables, written under ``<root>/<run name>/``."""
        if self.root is None:
            raise RuntimeError("NormalisedCohorts used outside its with block")
        return write_normalised(cohort, self.root / run_name)


def _unlink_and_release(lock: FileLock) -> None:
    try:
        Path(lock.lock_file).unlink(missing_ok=True)  # while held: nobody else uses it
    finally:
        lock.release()


def sweep_dead_private_folders(base: Path | None = None) -> list[Path]:
    """Remove the private folders that dead runners left; return the folders removed.

    A folder ``spinemets-cohorts-<random>`` (of the current user, not a link) is
    removed with its lock file when that lock can be taken: a runner that is alive
    holds it. Folders of runners still running, and of other users, are left alone.
    """
    base = Path(tempfile.gettempdir()).resolve() if base is None else base
    removed = []
    for lock_path in sorted(base.glob(PRIVATE_PREFIX + "*.lock")):
        try:
            info = lock_path.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            continue
        lock = FileLock(lock_path)
        try:
            lock.acquire(timeout=0)
        except (Timeout, OSError):
            continue  # its runner is alive (or the file is not ours to lock)
        try:
            folder = lock_path.with_suffix("")
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        finally:
            _unlink_and_release(lock)
    return removed
