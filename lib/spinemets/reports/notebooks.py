"""The numbered notebooks: finding them, reading their parameters, cleaning them.

A notebook declares its parameters in the cell tagged ``parameters``
(CONTRIBUTING.md), literals only; :func:`inspect_notebooks` reads them as papermill
does (``papermill.inspect_notebook``: each ``name = value`` of that cell, the value's
text as written, its comment left out), with Python's own parser and without
importing papermill and nbformat (about a second of the runner's start on each
run). :func:`check_parameters` refuses, before anything
runs, a runs-file parameter that no selected notebook declares and a value whose
type differs from the notebook's literal default, and a privacy parameter
(:data:`PRIVACY_PARAMETERS`) that some selected notebook does not declare.
:func:`clean_metadata` strips
the time stamps and absolute paths that papermill and nbclient record.
Tested in ``tests/reports/test_runs.py`` and ``tests/reports/test_reports.py``.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import ParameterError
from .runs import Run, RunsFileError

#: Numbered notebooks, read in this order: ``NN_name.ipynb``.
NOTEBOOK_PATTERN = re.compile(r"(\d{2})_[^/]+\.ipynb")
#: Parameters the runner fills for every notebook that declares them.
COMMON_PARAMETERS = ("patients_file", "complications_file", "output_dir")
#: Privacy parameters: when a run sets one (to anything but its off value), every
#: selected notebook must declare it, so that none exports unprotected tables.
PRIVACY_PARAMETERS: Mapping[str, Any] = {"min_cell": 0}


@dataclass(frozen=True)
class NotebookSpec:
    """A numbered notebook and the parameters its ``parameters`` cell declares."""

    path: Path
    #: Parameter name -> the default's source text, as written in the notebook.
    parameters: Mapping[str, str]

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def number(self) -> str:
        return self.path.name[:2]

    @property
    def own_parameters(self) -> list[str]:
        """The declared parameters the runner does not fill itself."""
        return [p for p in self.parameters if p not in COMMON_PARAMETERS]


def discover_notebooks(directory: str | Path) -> list[Path]:
    """The numbered notebooks (``NN_*.ipynb``) of ``directory``, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RunsFileError(f"{paths.display_path(directory)}: notebooks folder not found")
    return sorted(p for p in directory.iterdir() if NOTEBOOK_PATTERN.fullmatch(p.name))


def inspect_notebooks(notebooks: list[Path]) -> list[NotebookSpec]:
    """Each notebook's declared parameters (:func:`declared_parameters`)."""
    specs = []
    for path in notebooks:
        try:
            declared = declared_parameters(path)
        except (OSError, ValueError, SyntaxError, AttributeError, TypeError) as error:
            raise RunsFileError(
                f"{paths.display_path(path)}: cannot read its parameters cell: {error}"
            ) from None
        specs.append(NotebookSpec(path, declared))
    return specs


def declared_parameters(path: Path) -> dict[str, str]:
    """Name -> the default's source text, for each ``name = value`` (or ``name: type =
    value``) at the top level of the notebook's first cell tagged ``parameters``, in
    order; a notebook without that cell declares none.

    What ``papermill.inspect_notebook`` gives as each parameter's ``default`` for the
    literal assignments of a parameters cell (``tests/reports/test_reports.py`` compares the
    two on every notebook).
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(
        (c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])),
        None,
    )
    if cell is None:
        return {}
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    declared = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name):
            declared[target.id] = ast.get_source_segment(source, node.value) or ""
    return declared


def select_notebooks(run: Run, specs: list[NotebookSpec]) -> list[NotebookSpec]:
    """The notebooks a run asks for (stems or ``NN`` numbers), in reading order."""
    if run.notebooks is None:
        return list(specs)
    wanted = set(run.notebooks)
    unknown = wanted - {s.stem for s in specs} - {s.number for s in specs}
    if unknown:
        raise RunsFileError(
            f"{run.where}.notebooks: no numbered notebook {', '.join(sorted(unknown))}; "
            f"available: {', '.join(s.stem for s in specs) or '(none)'}"
        )
    return [s for s in specs if s.stem in wanted or s.number in wanted]


def _literal(source: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _type_name(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "text",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _compatible(value: Any, default: Any) -> bool:
    """Whether a runs-file value may replace a notebook's literal default."""
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return type(value) is type(default)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, list | tuple):
        if not isinstance(value, list | tuple):
            return False
        kinds = {_kind(d) for d in default}
        if len(kinds) != 1 or None in kinds:
            return True  # an empty or mixed default says nothing about its items
        return all(_compatible(v, default[0]) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return type(value) is type(default)


def _kind(value: Any) -> str | None:
    """``"number"``, ``"text"``, ``"boolean"`` ...: what a list item of a default is."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def check_parameters(run: Run, specs: list[NotebookSpec]) -> None:
    """Refuse unknown parameters and values of the wrong type, all problems at once.

    ``specs`` are the run's selected notebooks. A parameter is known when at least
    one of them declares it; its value must have the type of every declaring
    notebook's literal default (an integer is accepted where a float is declared;
    a default of ``None`` accepts anything; a list whose default items are all of
    one kind -- numbers, texts or booleans -- takes items of that kind only). The
    values themselves were checked to be plain data of bounded size when the runs
    file was read (:func:`~spinemets.reports.runs.check_parameter_value`).
    """
    problems = []
    for name, off in PRIVACY_PARAMETERS.items():
        if run.parameters.get(name, off) != off:
            missing = [s.stem for s in specs if name not in s.parameters]
            if missing:
                problems.append(
                    f"{run.where}.parameters.{name}: {', '.join(missing)} do(es) not declare "
                    f"{name!r}, so its tables would not be protected; leave it out of the "
                    "run's notebooks or add the parameter to it"
                )
    for name, value in run.parameters.items():
        where = f"{run.where}.parameters.{name}"
        if name in COMMON_PARAMETERS:
            problems.append(
                f"{where}: set by the runner; use the run's 'patients'/'complications' keys "
                "(the output folder is the run's folder)"
            )
            continue
        declaring = [s for s in specs if name in s.parameters]
        if not declaring:
            problems.append(
                f"{where}: no selected notebook declares a parameter {name!r}; "
                f"known parameters: {_known_parameters(specs)}"
            )
            continue
        for spec in declaring:
            default_source = spec.parameters[name]
            is_literal, default = _literal(default_source)
            if is_literal and not _compatible(value, default):
                problems.append(
                    f"{where}: {_short_repr(value)} is {_type_name(value)}, but {spec.stem} "
                    f"declares {name} = {_cut(default_source)} ({_type_name(default)}"
                    f"{_items_of(default)})"
                )
    if problems:
        raise ParameterError("\n".join(problems))


def _items_of(default: Any) -> str:
    kinds = {_kind(d) for d in default} if isinstance(default, list | tuple) else set()
    return f" of {kinds.pop()} items" if len(kinds) == 1 and None not in kinds else ""


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_repr(value: Any) -> str:
    return _cut(repr(value))


def _known_parameters(specs: list[NotebookSpec]) -> str:
    owners: dict[str, list[str]] = {}
    for spec in specs:
        for name in spec.own_parameters:
            owners.setdefault(name, []).append(spec.stem)
    if not owners:
        return "(the selected notebooks declare none besides " + ", ".join(COMMON_PARAMETERS) + ")"
    return "; ".join(f"{n} ({', '.join(stems)})" for n, stems in sorted(owners.items()))


def notebook_parameters(
    spec: NotebookSpec, run_parameters: Mapping[str, Any], common: Mapping[str, str]
) -> dict[str, Any]:
    """The values to inject into one notebook: only what it declares."""
    values = {**common, **run_parameters}
    return {name: values[name] for name in spec.parameters if name in values}


def clean_metadata(nb: Any) -> Any:
    """Strip execution noise from a notebook (in place; returns it).

    Removes cell metadata ``papermill`` (start/end times, durations, status) and
    ``execution`` (nbclient's time stamps), and reduces the notebook's
    ``papermill`` metadata to the parameters that were injected, so executed
    notebooks carry no time stamps or absolute paths and diffs stay small.
    """
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    papermill_meta = nb.metadata.pop("papermill", None)
    if papermill_meta and papermill_meta.get("parameters"):
        nb.metadata["papermill"] = {"parameters": papermill_meta["parameters"]}
    return nb
