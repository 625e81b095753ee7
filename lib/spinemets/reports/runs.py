"""The runs file: which runs to make, on which cohort, with which parameters.

A runs file is YAML with one top-level key, ``runs``, mapping a run's name (its
folder under ``reports/``) to its settings::

    runs:
      paper:
        description: The paper's analyses on the bundled SYNTHETIC cohort
        patients: ""           # "" = bundled synthetic cohort
        complications: ""      # relative paths: relative to the runs file's folder
        notebooks: all         # or a list of notebook stems (or their NN numbers)
        parameters:            # passed to every selected notebook that declares them
          conf_type: log
          min_cell: 10         # mask counts 1..9 in every exported table and figure
        mapping: mapping.yaml  # optional, for your own cohort: YAML column/code mapping
        sheet: Patients        # optional: Excel sheet of the patients table
        complications_sheet: Complications   # optional: Excel sheet of the complications
        allow_identifiers: false              # true: drop identifier-like columns

Every problem is a :class:`RunsFileError` naming the file and the key
(``reports/runs.yaml: runs.paper.parameters: ...``). Parameters are checked
against the notebooks' declarations in :mod:`spinemets.reports.notebooks`.

``mapping``, ``sheet``, ``complications_sheet`` and ``allow_identifiers`` are the
options of :func:`spinemets.cohort.load_cohort`; they apply to a run's own cohort
files (the bundled cohort needs none). Later keys are added to
:data:`EXTRA_RUN_KEYS` with a validator; a run with any key not listed is
rejected, so that a setting is never silently ignored.
Tested in ``tests/test_runs.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import SpinemetsError

#: Run names become folder names: letters, digits, ``_ . -``; no leading dot.
RUN_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: Folder names under ``reports/`` that a run may not take.
RESERVED_RUN_NAMES = frozenset({"interactive"})
#: Keys every run may have (``description`` .. ``parameters``), with their meaning.
RUN_KEYS: Mapping[str, str] = {
    "description": "one line shown in reports/index.html",
    "patients": 'patients table ("" = the bundled synthetic cohort)',
    "complications": 'complications table ("" = the bundled synthetic cohort)',
    "notebooks": '"all" or a list of notebook stems (e.g. 02_overall_survival) or numbers',
    "parameters": "notebook parameters, passed to every selected notebook that declares them",
    "mapping": "YAML column/code mapping of the run's cohort (data/README.md)",
    "sheet": "Excel sheet of the patients table",
    "complications_sheet": "Excel sheet of the complications table",
    "allow_identifiers": "true: accept identifier-like columns, dropped on loading",
}
#: The keys that are options of ``load_cohort`` (meaningful for a run's own cohort only).
COHORT_OPTION_KEYS = ("mapping", "sheet", "complications_sheet", "allow_identifiers")

#: A validator for an extra run key: ``(value, where) -> normalised value``; it
#: raises :class:`RunsFileError` (``where`` is the ``file: runs.<run>.<key>`` prefix).
ExtraKeyValidator = Callable[[Any, str], Any]

#: The extension point for later run keys (e.g. ``mapping``, ``allow_identifiers``,
#: ``min_cell``): register ``EXTRA_RUN_KEYS["min_cell"] = validator``; the validated
#: value is in :attr:`Run.extras`. Keys not here nor in :data:`RUN_KEYS` are errors.
EXTRA_RUN_KEYS: dict[str, ExtraKeyValidator] = {}


class RunsFileError(SpinemetsError):
    """A runs file that cannot be read or has a bad or unknown key."""


@dataclass(frozen=True)
class Run:
    """One run of a runs file, validated (cohort files are checked for existence later)."""

    name: str
    description: str
    #: Cohort tables, absolute; ``None`` means the bundled synthetic cohort.
    patients: Path | None
    complications: Path | None
    #: Notebook stems or ``NN`` numbers as written; ``None`` means all numbered notebooks.
    notebooks: tuple[str, ...] | None
    parameters: Mapping[str, Any]
    #: The runs file, as shown to users (project-relative, or its name only).
    runs_file: str
    extras: Mapping[str, Any] = field(default_factory=dict)
    #: YAML column mapping, absolute (relative paths: from the runs file's folder).
    mapping: Path | None = None
    #: Excel sheets of the two tables (None: ``patients``/``complications``, else the first).
    sheet: str | None = None
    complications_sheet: str | None = None
    #: Accept (and drop) columns that look like direct identifiers.
    allow_identifiers: bool = False

    @property
    def where(self) -> str:
        """``"<runs file>: runs.<name>"``, the prefix of every message about this run."""
        return f"{self.runs_file}: runs.{self.name}"

    @property
    def bundled_cohort(self) -> bool:
        """True when the run uses the bundled synthetic cohort."""
        return self.patients is None

    def cohort_files(self) -> tuple[Path, Path]:
        """The absolute paths of the patients and complications tables."""
        if self.patients is None or self.complications is None:
            return paths.SYNTHETIC_PATIENTS, paths.SYNTHETIC_COMPLICATIONS
        return self.patients, self.complications

    def cohort_label(self) -> str:
        """How reports name the cohort (no absolute paths)."""
        if self.bundled_cohort:
            return "bundled synthetic cohort (data/synthetic/)"
        patients, complications = self.cohort_files()
        return f"{paths.display_path(patients)} + {paths.display_path(complications)}"


@dataclass(frozen=True)
class RunsFile:
    """A parsed runs file: its path and its runs in file order."""

    path: Path
    runs: tuple[Run, ...]

    def select(self, names: list[str] | None) -> list[Run]:
        """The runs named (in the order given), or all of them for ``None``/empty."""
        if not names:
            return list(self.runs)
        by_name = {run.name: run for run in self.runs}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise RunsFileError(
                f"{paths.display_path(self.path)}: no run named {', '.join(map(repr, unknown))}; "
                f"the file defines: {', '.join(by_name) or '(none)'}"
            )
        return [by_name[n] for n in dict.fromkeys(names)]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_runs(path: str | Path) -> RunsFile:
    """Read and validate a runs file; raise :class:`RunsFileError` naming file and key."""
    path = Path(path).resolve()
    shown = paths.display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunsFileError(f"{shown}: runs file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunsFileError(f"{shown}: cannot read the runs file ({error})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise RunsFileError(f"{shown}: not valid YAML: {error}") from None
    if not isinstance(data, dict) or set(data) != {"runs"}:
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise RunsFileError(
            f"{shown}: expected exactly one top-level key 'runs' (a mapping of run name to "
            f"settings), found {found}"
        )
    runs = data["runs"]
    if not isinstance(runs, dict) or not runs:
        raise RunsFileError(f"{shown}: runs: expected a non-empty mapping of run name to settings")
    return RunsFile(
        path=path, runs=tuple(_parse_run(name, spec, path) for name, spec in runs.items())
    )


def _parse_run(name: Any, spec: Any, path: Path) -> Run:
    shown = paths.display_path(path)
    where = f"{shown}: runs.{name}"
    if not isinstance(name, str) or not RUN_NAME_PATTERN.fullmatch(name):
        raise RunsFileError(
            f"{shown}: runs: run name {name!r} must be letters, digits, '_', '.' or '-' "
            "(it becomes a folder name) and not start with '.'"
        )
    if name in RESERVED_RUN_NAMES:
        raise RunsFileError(f"{where}: the name {name!r} is reserved (reports/{name}/ is taken)")
    if not isinstance(spec, dict):
        raise RunsFileError(f"{where}: expected a mapping of settings, found {spec!r}")
    unknown = [k for k in spec if k not in RUN_KEYS and k not in EXTRA_RUN_KEYS]
    if unknown:
        known = ", ".join([*RUN_KEYS, *sorted(EXTRA_RUN_KEYS)])
        raise RunsFileError(
            f"{where}: unknown key(s) {', '.join(map(repr, map(str, unknown)))}; "
            f"a run may have: {known}"
        )
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise RunsFileError(f"{where}.description: expected text, found {description!r}")
    patients = _cohort_path(spec.get("patients", ""), f"{where}.patients", path.parent)
    complications = _cohort_path(
        spec.get("complications", ""), f"{where}.complications", path.parent
    )
    if (patients is None) != (complications is None):
        raise RunsFileError(
            f"{where}: give both 'patients' and 'complications', or leave both empty "
            "for the bundled synthetic cohort"
        )
    parameters = spec.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(isinstance(k, str) for k in parameters):
        raise RunsFileError(
            f"{where}.parameters: expected a mapping of parameter name to value, "
            f"found {parameters!r}"
        )
    extras = {
        k: EXTRA_RUN_KEYS[k](v, f"{where}.{k}") for k, v in spec.items() if k in EXTRA_RUN_KEYS
    }
    given = [k for k in COHORT_OPTION_KEYS if k in spec]
    if patients is None and given:
        raise RunsFileError(
            f"{where}.{given[0]}: applies to your own cohort files ('patients' and "
            "'complications'); the bundled synthetic cohort needs no options"
        )
    allow = spec.get("allow_identifiers", False)
    if not isinstance(allow, bool):
        raise RunsFileError(f"{where}.allow_identifiers: expected true or false, found {allow!r}")
    return Run(
        name=name,
        description=description.strip(),
        patients=patients,
        complications=complications,
        notebooks=_notebook_selection(spec.get("notebooks", "all"), f"{where}.notebooks"),
        parameters=dict(parameters),
        runs_file=shown,
        extras=extras,
        mapping=_cohort_path(spec.get("mapping", ""), f"{where}.mapping", path.parent),
        sheet=_sheet(spec.get("sheet"), f"{where}.sheet"),
        complications_sheet=_sheet(spec.get("complications_sheet"), f"{where}.complications_sheet"),
        allow_identifiers=allow,
    )


def _sheet(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a sheet named 2020 is written without quotes
    if not isinstance(value, str):
        raise RunsFileError(f"{where}: expected a sheet name (text), found {value!r}")
    return value


def _cohort_path(value: Any, where: str, base: Path) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RunsFileError(f"{where}: expected a file path (text), found {value!r}")
    p = Path(value).expanduser()
    return (p if p.is_absolute() else base / p).resolve()


def _notebook_selection(value: Any, where: str) -> tuple[str, ...] | None:
    if value == "all" or value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)
    ):
        raise RunsFileError(
            f'{where}: expected "all" or a non-empty list of notebook stems, found {value!r}'
        )
    return tuple(f"{v:02d}" if isinstance(v, int) else v for v in value)
