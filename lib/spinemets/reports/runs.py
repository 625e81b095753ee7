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

Settings shared by several runs can be written once under a top-level key
starting with ``x-`` and merged into each run (YAML merge keys)::

    x-defaults: &defaults
      notebooks: ["02", "03"]
      parameters: {conf_type: log-log}
    runs:
      site-a: {<<: *defaults, patients: a/patients.csv, complications: a/complications.csv}

A runs file is read defensively (:func:`read_runs_yaml`): at most
:data:`MAX_RUNS_FILE_BYTES`; YAML anchors, aliases and merge keys (``<<: *base``)
are expanded only when the expanded document stays within :data:`MAX_YAML_NODES`
values and :data:`MAX_YAML_DEPTH` levels, measured before anything is built (an
"alias bomb" is refused in milliseconds); a parameter value must be plain data
within :data:`MAX_PARAMETER_ITEMS` items (:func:`check_parameter_value`); run names
follow :func:`check_run_name`.
Tested in ``tests/reports/test_runs.py``, ``tests/reports/test_runs_file_safety.py`` and
``tests/reports/test_run_names.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import SpinemetsError

#: Run names become folder names: 1 to 64 letters, digits, ``-`` or ``_``, starting
#: with a letter or a digit. Without dots a run can never take the name of a file the
#: project keeps in ``reports/`` (:data:`PROJECT_FILES`) nor of the runner's own
#: hidden files and folders (``.<run>.partial``, ``.<run>.lock``); without slashes it
#: is always one folder directly inside the output folder.
RUN_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: Files the project keeps in ``reports/`` (and the index the runner writes there).
PROJECT_FILES = frozenset({"README.md", "runs.yaml", "index.html"})
#: Folder names a run may not take, compared without regard to case: ``interactive``
#: (where notebooks opened in JupyterLab write) and the device names Windows reserves.
RESERVED_RUN_NAMES = frozenset(
    {"interactive", "con", "prn", "aux", "nul"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in range(1, 10)}
)
#: Top-level keys with this prefix are ignored: they hold YAML anchors for runs to merge.
TEMPLATE_KEY_PREFIX = "x-"
#: The largest runs file read, in bytes.
MAX_RUNS_FILE_BYTES = 1_000_000
#: The most YAML values a runs file may have once its aliases and merge keys are expanded.
MAX_YAML_NODES = 20_000
#: The deepest nesting of YAML collections in a runs file.
MAX_YAML_DEPTH = 20
#: The most items (every text, number, list and mapping counted) of one parameter value.
MAX_PARAMETER_ITEMS = 1_000
#: The longest text of a parameter value or a description, in characters.
MAX_TEXT_CHARS = 10_000
#: The largest integer a parameter may be, in absolute value.
MAX_PARAMETER_INT = 2**53

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
    #: The runs file, absolute (to check that a run folder never holds it).
    runs_path: Path | None = None

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

    def input_files(self) -> dict[str, Path]:
        """Every file the run reads, by runs-file key (``runs_file`` for the runs file)."""
        patients, complications = self.cohort_files()
        files = {"patients": patients, "complications": complications}
        if self.mapping is not None:
            files["mapping"] = self.mapping
        if self.runs_path is not None:
            files["runs_file"] = self.runs_path
        return files

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


# -- reading YAML within limits ----------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _ExpansionLimit(Exception):
    """A runs file whose aliases or nesting would expand past the limits."""


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int], depth: int) -> int:
    """The number of values under ``node`` with every alias expanded.

    Measured on the composed graph, where an alias is a reference to its anchor's
    node, so it takes time in proportion to the file, never to the expansion; a merge
    key counts everything it merges. Raises :class:`_ExpansionLimit`.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise _ExpansionLimit("an alias refers to a collection that contains it")
    if depth > MAX_YAML_DEPTH:
        raise _ExpansionLimit(f"collections are nested more than {MAX_YAML_DEPTH} levels deep")
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    else:
        children = []
    active.add(key)
    size = 1
    for child in children:
        size += _expanded_size(child, memo, active, depth + 1)
        if size > MAX_YAML_NODES:
            raise _ExpansionLimit(
                f"its aliases and merge keys expand to more than {MAX_YAML_NODES:,} values "
                "(write the values out, or use fewer aliases)"
            )
    active.discard(key)
    memo[key] = size
    return size


class _RunsFileLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: the composed document is measured before it is built.

    Anchors, aliases and merge keys work as in YAML 1.1 (``<<: *base``; keys written
    in the mapping itself win over merged ones). A document that would expand past
    :data:`MAX_YAML_NODES` values or :data:`MAX_YAML_DEPTH` levels, or refers to
    itself, is refused before any of it is constructed. Duplicate keys are refused
    (PyYAML keeps the last one silently).
    """

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # Checked while scanning: PyYAML's scanner slows down with every open ``[``
        # or ``{`` (thousands of them take it minutes), so stop at the limit.
        if self.flow_level >= MAX_YAML_DEPTH:
            raise _ExpansionLimit(f"collections are nested more than {MAX_YAML_DEPTH} levels deep")
        super().fetch_flow_collection_start(token_class)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) > MAX_YAML_DEPTH:
            raise _ExpansionLimit(f"collections are nested more than {MAX_YAML_DEPTH} levels deep")
        return super().add_indent(column)

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set(), 0)
        return self.construct_document(node)


def _hashable_key(loader: _RunsFileLoader, key_node: yaml.Node, node: yaml.Node) -> Any:
    key = loader.construct_object(key_node, deep=True)
    if not isinstance(key, Hashable):
        raise yaml.constructor.ConstructorError(
            "while reading a mapping", node.start_mark, "a key is a list or a mapping",
            key_node.start_mark,
        )  # fmt: skip
    return key


def _construct_mapping(loader: _RunsFileLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = _hashable_key(loader, key_node, node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)  # merged keys first, then the mapping's own keys
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = _hashable_key(loader, key_node, node)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_RunsFileLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """A PyYAML error on one line: ``line L, column C: problem (context)``."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = error.problem or error.context or "not valid"
        context = f" ({error.context})" if error.context and error.problem else ""
        return _one_line(f"{where}{what}{context}")
    return _one_line(error)


def _one_line(error: object, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_runs_yaml(path: Path, shown: str) -> Any:
    """The YAML document of a runs file, read within the limits; RunsFileError otherwise."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_RUNS_FILE_BYTES + 1)
    except FileNotFoundError:
        raise RunsFileError(f"{shown}: runs file not found") from None
    except IsADirectoryError:
        raise RunsFileError(f"{shown}: is a folder, not a runs file") from None
    except OSError as error:
        raise RunsFileError(f"{shown}: cannot read the runs file ({error.strerror})") from None
    if len(raw) > MAX_RUNS_FILE_BYTES:
        raise RunsFileError(
            f"{shown}: larger than {MAX_RUNS_FILE_BYTES:,} bytes; a runs file is a short "
            "list of runs"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RunsFileError(f"{shown}: not UTF-8 text (byte {error.start})") from None
    try:
        return yaml.load(text, Loader=_RunsFileLoader)
    except _ExpansionLimit as error:
        raise RunsFileError(f"{shown}: refused: {error}") from None
    except yaml.YAMLError as error:
        raise RunsFileError(f"{shown}: not valid YAML: {_yaml_problem(error)}") from None
    except (ValueError, TypeError, OverflowError) as error:
        what = "a number has too many digits" if "digits" in str(error) else _one_line(error)
        raise RunsFileError(f"{shown}: a value cannot be read: {what}") from None
    except RecursionError:
        raise RunsFileError(f"{shown}: refused: collections are nested too deeply") from None


# -- run names and values ----------------------------------------------------------------


def check_run_name(name: Any) -> str | None:
    """Why ``name`` cannot be a run's name (its folder name), or None when it can.

    A run name is 1 to 64 letters, digits, ``-`` or ``_`` and starts with a letter or
    a digit (:data:`RUN_NAME_PATTERN`), and is not a reserved folder name
    (:data:`RESERVED_RUN_NAMES`, in any case). Tested in
    ``tests/reports/test_run_names.py``.
    """
    if not isinstance(name, str):
        return f"run name {_shown(name)} is not text"
    if not RUN_NAME_PATTERN.fullmatch(name):
        return (
            f"run name {_shown(name)} must be 1 to 64 letters, digits, '-' or '_', starting "
            "with a letter or a digit (it becomes a folder name: no dots, spaces or slashes)"
        )
    if name.lower() in RESERVED_RUN_NAMES:
        return f"the name {name!r} is reserved (a folder of that name serves another purpose)"
    return None


def _shown(value: Any, limit: int = 80) -> str:
    """``repr`` of a value for a message, cut short (a value can be large)."""
    text = repr(value) if _small(value) else f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _small(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= MAX_PARAMETER_INT
    if isinstance(value, list | dict | tuple | set):
        return len(value) <= 10 and all(_small(v) for v in value)
    return True


def check_parameter_value(value: Any, where: str) -> None:
    """Refuse a parameter value that is not plain data or is too large (RunsFileError).

    Plain data is what a notebook's ``parameters`` cell can hold as a literal: text,
    integers, finite numbers, booleans, null, and lists and mappings (with text
    keys) of them; at most :data:`MAX_PARAMETER_ITEMS` items in all (nested ones
    counted), texts of at most :data:`MAX_TEXT_CHARS` characters, integers of at
    most :data:`MAX_PARAMETER_INT` in absolute value. A YAML date, binary or set is
    refused (quote a date to pass it as text). Tested in
    ``tests/reports/test_runs_file_safety.py``.
    """
    items = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        items += 1
        if items > MAX_PARAMETER_ITEMS:
            raise RunsFileError(
                f"{where}: more than {MAX_PARAMETER_ITEMS:,} items; a parameter is a setting, "
                "not a data set"
            )
        if depth > MAX_YAML_DEPTH:
            raise RunsFileError(f"{where}: nested more than {MAX_YAML_DEPTH} levels deep")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if abs(item) > MAX_PARAMETER_INT:
                raise RunsFileError(f"{where}: the integer is larger than 2**53")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise RunsFileError(f"{where}: expected a finite number, found {item!r}")
        elif isinstance(item, str):
            if len(item) > MAX_TEXT_CHARS:
                raise RunsFileError(f"{where}: a text longer than {MAX_TEXT_CHARS:,} characters")
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise RunsFileError(f"{where}: the mapping key {_shown(key)} is not text")
                stack.append((key, depth + 1))
                stack.append((v, depth + 1))
        else:
            hint = "; quote it to pass it as text" if hasattr(item, "isoformat") else ""
            raise RunsFileError(
                f"{where}: {_shown(item)} is a {type(item).__name__}, not text, a number, a "
                f"boolean, null, a list or a mapping{hint}"
            )


# -- the runs file -----------------------------------------------------------------------


def load_runs(path: str | Path) -> RunsFile:
    """Read and validate a runs file; raise :class:`RunsFileError` naming file and key."""
    path = Path(path).resolve()
    shown = paths.display_path(path)
    data = read_runs_yaml(path, shown)
    if not isinstance(data, dict) or "runs" not in data or not all(map(_top_level_key, data)):
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise RunsFileError(
            f"{shown}: expected one top-level key 'runs' (a mapping of run name to settings) "
            f"and, for YAML anchors, keys starting with 'x-'; found {_shown(found)}"
        )
    runs = data["runs"]
    if not isinstance(runs, dict) or not runs:
        raise RunsFileError(f"{shown}: runs: expected a non-empty mapping of run name to settings")
    parsed = tuple(_parse_run(name, spec, path) for name, spec in runs.items())
    folded: dict[str, str] = {}
    for run in parsed:
        other = folded.setdefault(run.name.lower(), run.name)
        if other != run.name:
            raise RunsFileError(
                f"{shown}: runs: {other!r} and {run.name!r} differ only in case; on many "
                "systems they are one folder, so rename one of them"
            )
    return RunsFile(path=path, runs=parsed)


def _top_level_key(key: Any) -> bool:
    """``runs``, or an ``x-`` key: a place for anchors that runs merge (``<<: *defaults``)."""
    return key == "runs" or (isinstance(key, str) and key.startswith(TEMPLATE_KEY_PREFIX))


def _parse_run(name: Any, spec: Any, path: Path) -> Run:
    shown = paths.display_path(path)
    problem = check_run_name(name)
    if problem:
        raise RunsFileError(f"{shown}: runs: {problem}; rename the run")
    where = f"{shown}: runs.{name}"
    if not isinstance(spec, dict):
        raise RunsFileError(f"{where}: expected a mapping of settings, found {_shown(spec)}")
    unknown = [k for k in spec if k not in RUN_KEYS and k not in EXTRA_RUN_KEYS]
    if unknown:
        known = ", ".join([*RUN_KEYS, *sorted(EXTRA_RUN_KEYS)])
        raise RunsFileError(
            f"{where}: unknown key(s) {', '.join(_shown(str(k)) for k in unknown)}; "
            f"a run may have: {known}"
        )
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise RunsFileError(f"{where}.description: expected text, found {_shown(description)}")
    if len(description) > MAX_TEXT_CHARS:
        raise RunsFileError(f"{where}.description: longer than {MAX_TEXT_CHARS:,} characters")
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
            f"found {_shown(parameters)}"
        )
    for key, value in parameters.items():
        check_parameter_value(value, f"{where}.parameters.{key}")
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
        raise RunsFileError(
            f"{where}.allow_identifiers: expected true or false, found {_shown(allow)}"
        )
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
        runs_path=path,
    )


def _sheet(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a sheet named 2020 is written without quotes
    if not isinstance(value, str):
        raise RunsFileError(f"{where}: expected a sheet name (text), found {_shown(value)}")
    return value


def _cohort_path(value: Any, where: str, base: Path) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\0" in value:
        raise RunsFileError(f"{where}: expected a file path (text), found {_shown(value)}")
    try:
        p = Path(value).expanduser()
        return (p if p.is_absolute() else base / p).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # ~unknown-user, a symlink loop
        raise RunsFileError(f"{where}: not a usable path: {_one_line(error)}") from None


def _notebook_selection(value: Any, where: str) -> tuple[str, ...] | None:
    if value == "all" or value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_PARAMETER_ITEMS
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)
        or any(isinstance(v, int) and not 0 <= v <= 99 for v in value)
    ):
        raise RunsFileError(
            f'{where}: expected "all" or a non-empty list of notebook stems, found {_shown(value)}'
        )
    return tuple(f"{v:02d}" if isinstance(v, int) else v for v in value)
