"""Reports rerun only what changed: a notebook's result is reused while its inputs are the same.

A notebook's executed copy, HTML page, tables and figures are a function of its
**inputs** (the project's determinism rule: same inputs, same bytes), each
recorded as a SHA-256 digest (:class:`Inputs`):

=================  ==============================================================
``code``           its code cells, in order: source and tags (what a kernel runs;
                   tags steer papermill and nbclient)
``parameters``     the parameters injected into it, as the report shows them, and
                   the report's folder
``cohort``         the bytes of the cohort files handed to it: the normalised copies
                   of a run's own cohort, or the bundled ``data/synthetic`` tables
``data``           the bundled data the package reads: ``data/synthetic/`` and
                   ``data/published/`` (the paper's claims)
``package``        every file of the ``spinemets`` package (``lib/spinemets/**``:
                   modules, templates, assets; caches of compiled files aside)
``environment``    ``requirements.lock``, the Python version, the kernel's name and
                   the installed distributions (name and version)
``notebook``       the whole notebook file, its text included
=================  ==============================================================

The first six make the notebook's **key**: a notebook whose key has a result in
the run's cache is not executed. When its ``notebook`` digest is also the same, the
stored files are copied into the new report (*reused*). When only the notebook's
text changed (Markdown cells, metadata: what no kernel reads), the notebook is
*re-rendered*: papermill prepares the new notebook with its parameters (no
kernel), the stored outputs are merged into its code cells, and its HTML page is
made again -- byte-identical to a fresh execution (``tests/reports/test_cache.py``
checks it on a real notebook). Anything else executes it. A notebook's code must
therefore not read its own ``.ipynb`` file, nor files other than those above
without naming them in a parameter whose value changes with them (a file named by
a parameter is keyed by its name, not its bytes; ``--force`` reruns everything).

**Where results are kept.** ``<output>/.<run>.cache/`` (see
:mod:`~spinemets.reports.folders`), one folder per notebook result named by its
key, holding exactly the files the notebook put into the report -- its executed
notebook, HTML page, and the tables and figures it wrote (``RunOutput`` lists
them: :data:`spinemets.paths.WRITTEN_FILES_ENV`) -- and ``entry.json`` with their
digests. Never the normalised cohort copy, nothing the report does not hold. A
stored file whose bytes no longer match its digest makes the entry unusable (it
is deleted and the notebook executed). The cache is bounded: after each run it
keeps only the results of the report in place and, when the run failed, of the
notebooks of this attempt that succeeded (so a fixed notebook reruns alone).
It is written under the run's lock; an entry is written into a temporary folder
and renamed into place.

Tested in ``tests/reports/test_cache.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from .folders import CACHE_MARKER, RunFolders, read_cache_marker, write_cache_marker

#: The package whose every file is an input of every notebook.
PACKAGE_DIR: Path = Path(__file__).resolve().parents[1]
#: The locked environment.
LOCK_FILE: Path = paths.PROJECT_ROOT / "requirements.lock"
#: The bundled data the package reads (besides a run's cohort).
DATA_DIRS: tuple[Path, ...] = (paths.SYNTHETIC_DIR, paths.PUBLISHED_DIR)
#: The record of a cached result, inside its folder; its files are under FILES_FOLDER.
ENTRY_RECORD = "entry.json"
FILES_FOLDER = "files"
ENTRY_FORMAT = "spinemets-cache-entry/1"
#: What a notebook of a report was: executed, reused as stored, or re-rendered.
EXECUTED, REUSED, RERENDERED = "executed", "reused", "re-rendered"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_files(files: Iterable[tuple[str, Path]]) -> str:
    """One digest of named files: each name, its length and its bytes, in the order given."""
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes() if path.is_file() else b""
        present = b"file" if path.is_file() else b"missing"
        digest.update(json.dumps([name, len(data)]).encode() + present + b"\0" + data)
    return digest.hexdigest()


def tree_files(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``root`` (relative name, path), sorted by name; compiled
    caches (``__pycache__``, ``*.pyc``) and hidden files are left out."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__" and d[0] != ".")
        for name in names:
            path = Path(folder) / name
            if name[0] == "." or name.endswith((".pyc", ".pyo")) or not path.is_file():
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def package_digest(root: Path | None = None) -> str:
    """The digest of every file of the package (module doc, ``package``)."""
    return digest_files(tree_files(root or PACKAGE_DIR))


def data_digest(folders: Iterable[Path] | None = None) -> str:
    """The digest of the bundled data folders (module doc, ``data``)."""
    files = []
    for folder in DATA_DIRS if folders is None else folders:
        files += [(f"{folder.name}/{name}", path) for name, path in tree_files(folder)]
    return digest_files(files)


def installed_distributions() -> list[str]:
    """The distributions installed in this Python's environment, by their metadata folders'
    names (``pandas-2.2.3.dist-info``: name and version), sorted."""
    folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    found = set()
    for folder in folders:
        try:
            found |= {n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info"))}
        except OSError:
            continue
    return sorted(found)


def environment_digest(kernel: str, lock_file: Path | None = None) -> str:
    """The digest of the locked environment (module doc, ``environment``)."""
    lock = lock_file or LOCK_FILE
    installed = installed_distributions()
    record = {
        "kernel": kernel,
        "python": sys.version,
        "implementation": sys.implementation.name,
        "lock": sha256_bytes(lock.read_bytes()) if lock.is_file() else None,
        "installed": installed,
    }
    return sha256_bytes(json.dumps(record, sort_keys=True).encode())


def notebook_digests(path: Path) -> tuple[str, str]:
    """``(notebook, code)``: the digest of the whole file and of its code cells' source and
    tags, in order."""
    raw = path.read_bytes()
    cells = json.loads(raw).get("cells", [])
    code = [
        {"source": _text(cell.get("source")), "tags": cell.get("metadata", {}).get("tags", [])}
        for cell in cells
        if cell.get("cell_type") == "code"
    ]
    return sha256_bytes(raw), sha256_bytes(json.dumps(code, sort_keys=True).encode())


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def shown_as(value: Any, aliases: Iterable[tuple[str, str]]) -> Any:
    """``value`` (a parameter) with each ``(text, shown as)`` alias replaced in its texts."""
    if isinstance(value, str):
        for old, new in aliases:
            value = value.replace(old, new)
        return value
    if isinstance(value, list | tuple):
        return [shown_as(v, aliases) for v in value]
    if isinstance(value, dict):
        return {shown_as(k, aliases): shown_as(v, aliases) for k, v in value.items()}
    return value


def parameters_digest(
    parameters: Mapping[str, Any], aliases: Iterable[tuple[str, str]], report: str
) -> str:
    """The digest of the injected parameters as the report shows them, and its folder."""
    aliases = list(aliases)
    record = {"parameters": shown_as(dict(parameters), aliases), "report": report}
    return sha256_bytes(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())


def cohort_digest(files: Iterable[Path]) -> str:
    """The digest of the cohort files handed to the notebooks (their bytes, in order)."""
    return digest_files((f"file{i}", path) for i, path in enumerate(files))


@dataclass(frozen=True)
class Inputs:
    """A notebook's inputs as digests (module doc); all but ``notebook`` make its key."""

    code: str
    parameters: str
    cohort: str
    data: str
    package: str
    environment: str
    notebook: str

    def key(self, stem: str) -> str:
        """The digest that names the notebook's result: everything a kernel could see."""
        record = {k: v for k, v in asdict(self).items() if k != "notebook"}
        record["stem"] = stem
        return sha256_bytes(json.dumps(record, sort_keys=True).encode())

    def record(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Any) -> Inputs | None:
        """The inputs ``run.json`` or ``entry.json`` recorded, or None if malformed."""
        names = cls.__dataclass_fields__
        if not isinstance(record, dict) or not all(isinstance(record.get(n), str) for n in names):
            return None
        return cls(**{n: record[n] for n in names})


@dataclass(frozen=True)
class Entry:
    """A stored result: the files a notebook put into the report, with their digests."""

    folder: Path
    stem: str
    inputs: Inputs
    #: Report-relative path -> SHA-256: the executed notebook, its HTML, its outputs.
    files: Mapping[str, str]
    #: The tables and figures the notebook wrote (report-relative), sorted.
    outputs: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.inputs.key(self.stem)

    def stored(self, name: str) -> Path:
        return self.folder / FILES_FOLDER / name

    def intact(self) -> bool:
        """Whether every stored file is there with the bytes it had when stored."""
        try:
            return all(sha256_file(self.stored(n)) == d for n, d in self.files.items())
        except OSError:
            return False


@dataclass(frozen=True)
class Decision:
    """What to do with one notebook: execute it, reuse a result, or re-render one."""

    how: str
    entry: Entry | None = None


@dataclass
class RunCache:
    """The cache of one run's notebook results, ``<output>/.<run>.cache/`` (module doc).

    Used under the run's lock only.
    """

    folders: RunFolders
    _entries: dict[str, Entry] | None = field(default=None, repr=False)

    @property
    def root(self) -> Path:
        return self.folders.cache

    def exists(self) -> bool:
        return read_cache_marker(self.root) is not None

    def entries(self) -> dict[str, Entry]:
        """The stored results by key (read once; unreadable entries are skipped)."""
        if self._entries is None:
            self._entries = {}
            if self.exists():
                for folder in sorted(self.root.iterdir()):
                    entry = _read_entry(folder)
                    if entry is not None:
                        self._entries[entry.key] = entry
        return self._entries

    def decide(self, stem: str, inputs: Inputs) -> Decision:
        """Reuse, re-render or execute ``stem`` with ``inputs`` (module doc).

        A stored result whose files changed on disk is deleted, and the notebook
        executed.
        """
        entry = self.entries().get(inputs.key(stem))
        if entry is None:
            return Decision(EXECUTED)
        if not entry.intact():
            self._delete(entry)
            return Decision(EXECUTED)
        how = REUSED if entry.inputs.notebook == inputs.notebook else RERENDERED
        return Decision(how, entry)

    def restore(self, entry: Entry, staging: Path, names: Iterable[str]) -> None:
        """Copy the stored files ``names`` of ``entry`` into the staging folder."""
        for name in names:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.stored(name), target)

    def store(self, stem: str, inputs: Inputs, staging: Path, names: Iterable[str]) -> Entry:
        """Keep the files ``names`` (report-relative, in ``staging``) as ``stem``'s result.

        The entry is written into a hidden temporary folder and renamed into place,
        replacing a previous result of the same key.
        """
        if not self.exists():
            self.root.mkdir(exist_ok=True)
            write_cache_marker(self.root, self.folders.name)
        key = inputs.key(stem)
        final = self.root / key
        temporary = self.root / f".{key}.writing"
        if temporary.exists():
            shutil.rmtree(temporary)
        files = {}
        for name in sorted(set(names)):
            target = temporary / FILES_FOLDER / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staging / name, target)
            files[name] = sha256_file(target)
        outputs = sorted(n for n in files if n.startswith(("tables/", "figures/")))
        record = {
            "format": ENTRY_FORMAT,
            "stem": stem,
            "inputs": inputs.record(),
            "files": files,
            "outputs": outputs,
        }
        text = json.dumps(record, indent=1, sort_keys=True) + "\n"
        (temporary / ENTRY_RECORD).write_text(text, encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        temporary.rename(final)
        entry = Entry(final, stem, inputs, files, tuple(outputs))
        self.entries()[key] = entry
        return entry

    def prune(self, keep: Iterable[str]) -> None:
        """Delete every stored result whose key is not in ``keep``, and leftovers of
        interrupted writes."""
        if not self.exists():
            return
        keep = set(keep)
        for path in sorted(self.root.iterdir()):
            if path.name == CACHE_MARKER or path.name in keep:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            if self._entries is not None:
                self._entries.pop(path.name, None)

    def remove(self) -> None:
        """Delete the run's cache (``--no-cache``)."""
        if self.exists():
            shutil.rmtree(self.root)
        self._entries = None

    def _delete(self, entry: Entry) -> None:
        shutil.rmtree(entry.folder, ignore_errors=True)
        if self._entries is not None:
            self._entries.pop(entry.key, None)


def _read_entry(folder: Path) -> Entry | None:
    """The entry stored in ``folder``, or None when it is not a complete entry."""
    if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
        return None
    try:
        record = json.loads((folder / ENTRY_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != ENTRY_FORMAT:
        return None
    inputs = Inputs.from_record(record.get("inputs"))
    stem, files, outputs = record.get("stem"), record.get("files"), record.get("outputs")
    if inputs is None or not isinstance(stem, str) or not isinstance(files, dict):
        return None
    if not isinstance(outputs, list) or inputs.key(stem) != folder.name:
        return None
    if any(not _safe_name(n) or not isinstance(d, str) for n, d in files.items()):
        return None
    if not all(isinstance(o, str) and o in files for o in outputs):
        return None
    return Entry(folder, stem, inputs, dict(files), tuple(outputs))


def _safe_name(name: Any) -> bool:
    """A report-relative file name that stays inside the report (no ``..``, not absolute)."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def report_keys(meta: Mapping[str, Any] | None) -> set[str]:
    """The keys of the notebooks a report's ``run.json`` records (reports before the cache:
    none)."""
    keys = set()
    for item in (meta or {}).get("notebooks") or []:
        if isinstance(item, dict) and isinstance(item.get("stem"), str):
            inputs = Inputs.from_record(item.get("inputs"))
            if inputs is not None:
                keys.add(inputs.key(item["stem"]))
    return keys


__all__ = [
    "EXECUTED",
    "RERENDERED",
    "REUSED",
    "Decision",
    "Entry",
    "Inputs",
    "RunCache",
    "cohort_digest",
    "data_digest",
    "environment_digest",
    "installed_distributions",
    "notebook_digests",
    "package_digest",
    "parameters_digest",
    "report_keys",
    "shown_as",
    "tree_files",
]
