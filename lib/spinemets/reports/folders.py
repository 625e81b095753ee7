"""What the runner owns in an output folder, and how it replaces it without losing data.

For a run ``NAME`` in the output folder ``OUT`` (``reports/`` by default):

=======================  ==============================================================
``OUT/NAME/``            the report; carries ``run.json`` with ``"format":`` :data:`RUN_FORMAT`
``OUT/.NAME.partial/``   the staging folder the notebooks write into; carries
                         :data:`STAGING_MARKER` (state ``running`` or ``failed``)
``OUT/.NAME.old/``       the previous report, for the moment of the swap only
``OUT/.NAME.cache/``     the run's cache of notebook results (:mod:`~spinemets.reports.cache`);
                         carries :data:`CACHE_MARKER`
``OUT/.NAME.lock``       the run's lock file (empty; it stays, as lock files must)
``OUT/index.html``       the index; carries :data:`INDEX_GENERATOR`
``OUT/.index.html.lock`` the index's lock file
=======================  ==============================================================

Rules, each tested in ``tests/reports/test_folders.py``:

- **Only what the runner made is replaced or deleted.** A path of the table above
  that exists without its marker (a folder of the user's, a symbolic link, a file)
  is refused by :func:`folder_problems` before anything is written, naming the
  path and the fix; nothing is touched. Reports of the runner before markers
  existed are recognised by the exact keys of their ``run.json`` (:func:`read_marker`).
- **One writer per run.** :class:`RunLocks` takes an operating-system lock
  (``filelock``, ``flock`` on POSIX) per run, for the whole batch; a run that is
  locked by another process is refused at once (:class:`RunBusyError`, exit
  code 3), before anything is written. The index is rewritten under its own lock.
- **A swap is never half done.** :func:`promote` writes ``run.json`` and renames
  the staging folder into place with signals held; :func:`recover` finishes or
  undoes a swap that a killed runner left.
- **What dead runs leave is removed.** :func:`sweep_dead_runs` deletes the
  staging folders of runs whose lock can be taken (a lock that can be taken proves
  its owner is dead) and that were still running when they died; a failed run's
  staging folder is kept for debugging until that run is made again. A run's
  cache goes when its report and its staging folder are both gone.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from .. import paths
from ..errors import SpinemetsError
from .interrupt import deferred_signals
from .runs import check_run_name

#: The manifest a complete report carries, and the format tag that marks it as the runner's.
MANIFEST_NAME = "run.json"
RUN_FORMAT = "spinemets-run/1"
#: The marker of a staging folder (hidden, so the index never lists it).
STAGING_MARKER = ".spinemets-staging"
STAGING_FORMAT = "spinemets-staging/1"
#: The marker of a run's cache folder (hidden, as the folder).
CACHE_MARKER = ".spinemets-cache"
CACHE_FORMAT = "spinemets-cache/1"
#: The index page, and the line that marks it as written by the runner.
INDEX_NAME = "index.html"
INDEX_GENERATOR = '<meta name="generator" content="spinemets report">'
#: How the index looked before it carried INDEX_GENERATOR (still recognised as the runner's).
LEGACY_INDEX_TITLE = "<title>spinemets reports</title>"
#: The keys of a run.json written before RUN_FORMAT existed (cohort_options optional).
LEGACY_MANIFEST_KEYS = frozenset(
    {"name", "description", "cohort", "synthetic", "parameters", "notebooks", "runs_file"}
)
#: The largest marker file read, in bytes.
MAX_MARKER_BYTES = 1_000_000
#: Seconds a batch waits for the index lock (held only while a run is swapped in or
#: the index rewritten, a fraction of a second) before giving up.
INDEX_LOCK_TIMEOUT = 60.0


class OutputFolderError(SpinemetsError):
    """The output folder cannot be used as it is (exit code 2): nothing was changed."""


class RunBusyError(SpinemetsError):
    """Another ``spinemets report`` is writing a run of this batch; nothing was done."""

    exit_code = 3


def shown_path(path: str | Path) -> str:
    """A path for a message on the terminal (never written to a report).

    Project-relative inside the project, relative to the working folder inside it,
    else absolute: the user must be able to find the file the message names.
    """
    p = Path(os.path.abspath(path))
    for base in (paths.PROJECT_ROOT, Path.cwd()):
        try:
            return p.relative_to(base).as_posix() or "."
        except ValueError:
            continue
    return str(p)


@dataclass(frozen=True)
class RunFolders:
    """The paths the runner uses for one run in one output folder (see the module doc)."""

    output: Path
    name: str

    @property
    def final(self) -> Path:
        return self.output / self.name

    @property
    def staging(self) -> Path:
        return self.output / f".{self.name}.partial"

    @property
    def old(self) -> Path:
        return self.output / f".{self.name}.old"

    @property
    def lock(self) -> Path:
        return self.output / f".{self.name}.lock"

    @property
    def cache(self) -> Path:
        return self.output / f".{self.name}.cache"

    def all(self) -> tuple[Path, Path, Path, Path, Path]:
        return self.final, self.staging, self.old, self.cache, self.lock


def run_folders(output: str | Path, name: str) -> RunFolders:
    """The folders of run ``name`` in ``output``; ``name`` must be a valid run name."""
    problem = check_run_name(name)
    if problem:
        raise ValueError(problem)
    return RunFolders(Path(os.path.abspath(output)), name)


# -- markers -----------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    """A small JSON file that is a regular file (not a link), or None."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MARKER_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The ``run.json`` of a report the runner made, or None for anything else.

    The runner's reports carry ``"format": "spinemets-run/1"``; reports made before
    the tag existed are recognised by the exact set of keys that runner wrote, with
    ``name`` equal to the folder's name. The folder must be a real folder (not a
    symbolic link) and ``run.json`` a regular file.
    """
    if not _real_folder(folder):
        return None
    data = _read_json(folder / MANIFEST_NAME)
    if not isinstance(data, dict):
        return None
    if data.get("format") == RUN_FORMAT:
        return data
    keys = set(data) - {"cohort_options"}
    if keys == LEGACY_MANIFEST_KEYS and data.get("name") == folder.name:
        return data
    return None


def read_staging_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a staging folder the runner made, or None."""
    if not _real_folder(folder):
        return None
    data = _read_json(folder / STAGING_MARKER)
    if isinstance(data, dict) and data.get("format") == STAGING_FORMAT:
        return data
    return None


def read_cache_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a run's cache folder the runner made, or None."""
    if not _real_folder(folder):
        return None
    data = _read_json(folder / CACHE_MARKER)
    if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
        return data
    return None


def write_cache_marker(folder: Path, name: str) -> None:
    """Mark ``folder`` as run ``name``'s cache (the folder must exist)."""
    record = {"format": CACHE_FORMAT, "run": name}
    (folder / CACHE_MARKER).write_text(json.dumps(record, sort_keys=True) + "\n", "utf-8")


def made_by_runner(folder: Path) -> bool:
    """Whether ``folder`` is a report or a staging folder the runner made."""
    return read_marker(folder) is not None or read_staging_marker(folder) is not None


def is_runner_index(path: Path) -> bool:
    """Whether ``path`` is an index page the runner wrote (a regular file with its mark)."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return INDEX_GENERATOR in head or LEGACY_INDEX_TITLE in head


def _write_staging_marker(folder: Path, name: str, state: str) -> None:
    record = {"format": STAGING_FORMAT, "run": name, "state": state}
    (folder / STAGING_MARKER).write_text(json.dumps(record, sort_keys=True) + "\n", "utf-8")


# -- checks before any work --------------------------------------------------------------


def _kind(path: Path) -> str | None:
    """``"link"``, ``"folder"``, ``"file"``, ``"other"``, or None when nothing is there."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def _path_problem(path: Path, role: str, run: str | None) -> str | None:
    """Why the runner may not use ``path`` in its ``role``, or None."""
    kind = _kind(path)
    if kind is None:
        return None
    shown = shown_path(path)
    thing = {"folder": "a folder", "link": "a symbolic link", "file": "a file"}.get(kind, kind)
    if role == "report":
        if kind == "folder" and read_marker(path) is not None:
            return None
        made = " that spinemets report did not make (no run.json of its own)"
        return (
            f"{shown}: {thing}{made if kind == 'folder' else ''} is in the way of run '{run}'; "
            "nothing was changed: rename the run, choose another --output-dir, or move it away"
        )
    if role in ("staging", "old"):
        if kind == "folder" and made_by_runner(path):
            return None
        return (
            f"{shown}: {thing} that spinemets report did not make has the name it uses while "
            f"writing run '{run}'; nothing was changed: move it away, or choose another "
            "--output-dir"
        )
    if role == "cache":
        if kind == "folder" and read_cache_marker(path) is not None:
            return None
        return (
            f"{shown}: {thing} that spinemets report did not make has the name of run "
            f"'{run}'s cache; nothing was changed: move it away, or choose another --output-dir"
        )
    if role == "lock":
        if kind == "file":
            return None
        return f"{shown}: {thing} has the name of a lock file; nothing was changed: move it away"
    if role == "index":
        if is_runner_index(path):
            return None
        return (
            f"{shown}: {thing} that spinemets report did not write is in the way of the index; "
            "nothing was changed: choose another --output-dir, or move it away"
        )
    raise ValueError(role)


def folder_problems(
    output: Path, names: Iterable[str], inputs: Mapping[str, Mapping[str, Path]] | None = None
) -> list[str]:
    """Everything that stops the runner from writing runs ``names`` into ``output``.

    ``inputs`` maps a run's name to the files it reads (``{"runs.x.patients": path}``);
    a file inside any run's folders would be deleted with the folder, so that is a
    problem too. Reads only; returns one line per problem (empty: all clear).
    """
    kind = _kind(output)
    if kind not in (None, "folder") and not (kind == "link" and output.is_dir()):
        what = {"file": "is a file", "link": "is a link to a file", "other": "is not a folder"}
        if kind == "other" and any(_kind(p) == "file" for p in output.parents):
            what["other"] = "is below a file (a part of the path is a file)"
        return [
            f"{shown_path(output)}: {what[kind]}, not a folder; choose a folder for --output-dir"
        ]
    problems = []
    index = _path_problem(output / INDEX_NAME, "index", None)
    if index:
        problems.append(index)
    lock = _path_problem(output / f".{INDEX_NAME}.lock", "lock", None)
    if lock:
        problems.append(lock)
    names = list(names)
    folders = [RunFolders(Path(os.path.abspath(output)), name) for name in names]
    for f in folders:
        roles = ("report", "staging", "old", "cache", "lock")
        for path, role in zip(f.all(), roles, strict=True):
            problem = _path_problem(path, role, f.name)
            if problem:
                problems.append(problem)
    # the runner's own folders are replaced or deleted: none may hold a file a run reads
    # (a folder that is not the runner's is refused above already)
    replaced = [
        (f, folder)
        for f in folders
        for folder in (f.final, f.staging, f.old, f.cache)
        if made_by_runner(folder) or read_cache_marker(folder) is not None
    ]
    for where, files in (inputs or {}).items():
        for key, file in files.items():
            for f, folder in replaced:
                if Path(os.path.realpath(file)).is_relative_to(os.path.realpath(folder)):
                    problems.append(
                        f"{where}.{key}: {shown_path(file)} is inside {shown_path(folder)}, "
                        f"which the report of run '{f.name}' replaces; move the file out of "
                        "that folder, rename the run or choose another --output-dir"
                    )
    return problems


# -- locks -------------------------------------------------------------------------------


class RunLocks:
    """The locks of a batch's runs, taken together (sorted by name) and held until exit.

    ``RunLocks(output, names)`` is a context manager. Taking a lock never waits: a
    run locked by another process raises :class:`RunBusyError` naming it, after
    releasing the locks already taken.
    """

    def __init__(self, output: Path, names: Iterable[str]) -> None:
        self.folders = [RunFolders(output, n) for n in sorted(set(names))]
        self.held: list[FileLock] = []

    def __enter__(self) -> RunLocks:
        try:
            for f in self.folders:
                lock = FileLock(f.lock)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    raise RunBusyError(
                        f"{shown_path(f.final)}: another spinemets report is writing run "
                        f"'{f.name}' (its lock {shown_path(f.lock)} is taken); nothing was done: "
                        "wait for it to finish, or choose another --output-dir"
                    ) from None
                self.held.append(lock)
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        while self.held:
            self.held.pop().release()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def index_lock(output: Path) -> FileLock:
    """The lock of ``output/index.html``: ``with index_lock(out):`` waits up to a minute."""
    return FileLock(output / f".{INDEX_NAME}.lock", timeout=INDEX_LOCK_TIMEOUT)


def _free(lock_path: Path) -> FileLock | None:
    """The lock at ``lock_path``, taken, when nobody holds it; else None."""
    if _kind(lock_path) not in (None, "file"):
        return None
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return None
    return lock


# -- staging, swap, recovery, sweep ------------------------------------------------------


def remove_runner_folder(folder: Path) -> bool:
    """Delete ``folder`` if the runner made it (never a link, never anything else)."""
    if not made_by_runner(folder):
        return False
    shutil.rmtree(folder)
    return True


def create_staging(f: RunFolders) -> None:
    """A fresh, marked staging folder for run ``f.name`` (the run's lock must be held).

    A staging folder left by an earlier attempt of this run is the runner's and is
    deleted first; anything else of that name is refused.
    """
    if _kind(f.staging) is not None and not remove_runner_folder(f.staging):
        raise OutputFolderError(_path_problem(f.staging, "staging", f.name) or str(f.staging))
    f.staging.mkdir()
    _write_staging_marker(f.staging, f.name, "running")


def mark_failed(f: RunFolders) -> None:
    """Mark the staging folder as a failed run's, kept for debugging."""
    if read_staging_marker(f.staging) is not None:
        _write_staging_marker(f.staging, f.name, "failed")


def promote(f: RunFolders, manifest: Mapping[str, Any]) -> None:
    """Write ``run.json`` into the staging folder and put the folder in place of the report.

    POSIX cannot swap two folders atomically: the previous report is renamed to
    ``.NAME.old``, the staging folder to ``NAME``, then the old one is deleted.
    Signals are held meanwhile (:func:`~spinemets.reports.interrupt.deferred_signals`)
    and a runner killed in between leaves both versions, which :func:`recover` sorts
    out; the name never holds a half-written report. The previous report is checked
    to be the runner's (again, under the run's lock) before it is moved.
    """
    if _kind(f.final) is not None and read_marker(f.final) is None:
        raise OutputFolderError(_path_problem(f.final, "report", f.name) or str(f.final))
    text = json.dumps(dict(manifest), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with deferred_signals():
        (f.staging / MANIFEST_NAME).write_text(text, encoding="utf-8", newline="\n")
        (f.staging / STAGING_MARKER).unlink()
        if _kind(f.old) is not None:
            remove_runner_folder(f.old)
        if _kind(f.final) is not None:
            f.final.rename(f.old)
        f.staging.rename(f.final)
        if _kind(f.old) is not None:
            remove_runner_folder(f.old)


def recover(f: RunFolders) -> None:
    """Finish a swap a dead runner left (the run's lock must be held).

    With ``.NAME.old`` and no ``NAME``, the runner died between the two renames:
    the previous report goes back in place (the new one, in the staging folder, is
    removed by the sweep or replaced by the next attempt). With both, the new report
    is in place and the old one is deleted.
    """
    if read_marker(f.old) is None:
        return
    if _kind(f.final) is None:
        f.old.rename(f.final)
    elif read_marker(f.final) is not None:
        shutil.rmtree(f.old)


def sweep_dead_runs(output: Path, skip: Iterable[str] = ()) -> list[str]:
    """Remove what dead runs left in ``output``; return the names of the runs cleaned.

    For every ``.NAME.partial``, ``.NAME.old`` or ``.NAME.cache`` of a run not in
    ``skip`` (the batch's own runs, whose locks it holds): when NAME's lock can be
    taken, its owner is dead, so a swap it left is finished (:func:`recover`) and a
    staging folder whose state is still ``running`` is deleted. A failed run's
    staging folder (state ``failed``) is left for debugging. A run's cache is
    deleted when neither its report nor its staging folder is left (the user
    removed the report: its cached results go with it).
    """
    skip = set(skip)
    cleaned = []
    try:
        entries = sorted(os.listdir(output))
    except OSError:
        return cleaned
    names = set()
    for entry in entries:
        for suffix in (".partial", ".old", ".cache"):
            if entry.startswith(".") and entry.endswith(suffix):
                name = entry[1 : -len(suffix)]
                if check_run_name(name) is None and name not in skip:
                    names.add(name)
    for name in sorted(names):
        f = RunFolders(output, name)
        lock = _free(f.lock)
        if lock is None:
            continue
        try:
            recover(f)
            marker = read_staging_marker(f.staging)
            if marker is not None and marker.get("state") == "running":
                shutil.rmtree(f.staging)
                cleaned.append(name)
            if orphaned_cache(f):
                shutil.rmtree(f.cache)
                if name not in cleaned:
                    cleaned.append(name)
        finally:
            lock.release()
    return cleaned


def orphaned_cache(f: RunFolders) -> bool:
    """Whether the run has a cache but neither a report nor a staging folder (the user
    deleted the report: its cached results go with it)."""
    gone = _kind(f.final) is None and _kind(f.staging) is None
    return gone and read_cache_marker(f.cache) is not None


def write_atomically(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file and a rename: readers see old or new, whole."""
    temporary = path.with_name(f".{path.name}.writing")
    try:
        temporary.write_text(text, encoding="utf-8", newline="\n")
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


#: How an operating-system error while writing is explained, by errno.
_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space or choose another --output-dir",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another --output-dir",
    errno.EROFS: "the file system is read-only: choose another --output-dir",
    errno.EACCES: "no permission to write there: choose a folder you can write to (--output-dir)",
    errno.EPERM: "not permitted to write there: choose a folder you can write to (--output-dir)",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another --output-dir",
    errno.EEXIST: "a file is in the way: choose another --output-dir",
}


def explain_os_error(error: OSError, fallback: Path) -> str:
    """One line for an operating-system error while writing: path, cause, what to do."""
    path = error.filename or fallback
    cause = error.strerror or type(error).__name__
    advice = _ADVICE.get(error.errno or 0, "check the output folder")
    return f"{shown_path(path)}: cannot write ({cause}); {advice}"
