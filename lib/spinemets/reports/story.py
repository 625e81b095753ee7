"""What a notebook tells a reader of the index: its title, question, key figures and numbers.

Each numbered notebook declares, in its notebook metadata (not in a cell), what the
index shows about it::

    "metadata": {"spinemets": {
        "question": "How long did patients live after surgery, and ...?",
        "key_figures": [
            {"name": "figure2_os_by_surgery",
             "caption": "Overall survival by surgery: Kaplan-Meier curves ...",
             "alt": "Two Kaplan-Meier step curves, decompression and ..."}
        ],
        "key_numbers": [
            {"table": "survival_medians", "where": {"endpoint": "os"}},
            {"table": "cox_multivariable", "where": {"model": "main"},
             "columns": ["term", "hr", "lower", "upper", "p"],
             "caption": "Cox model for overall survival"}
        ]
    }}

``key_figures`` name files ``figures/<name>.png`` (and ``.svg``) the notebook
writes; ``key_numbers`` name tables ``tables/<table>.csv``, the rows to show
(``where``: column -> value, compared as text) and, for tables other than the
output contract's (whose views are built into :mod:`~spinemets.reports.index`),
the columns and a caption. A table with a contract table's columns can take its
view (``"view": "survival_medians"`` for the notebook's own
``survival_medians_os``). The title is the text of the notebook's first Markdown
``#`` heading.

The index reads these from each run's *executed* notebook (papermill keeps the
notebook's metadata), so it shows what that run's notebooks declared. A malformed
entry is skipped, never an error: the index is always written. The declarations of
the committed notebooks are checked in ``tests/reports/test_story.py``; that real
runs write every figure and table they name (:func:`undelivered`) in
``tests/reports/test_pipeline.py`` (one real notebook), ``tests/reports/test_html_report.py``
and, by name for every committed notebook, ``tests/test_notebook_cells.py``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The notebook-metadata key that holds a notebook's story.
METADATA_KEY = "spinemets"
#: Tables of the output contract that a notebook may name before it writes them (other
#: work adds them): the index shows them when present; :func:`undelivered` allows them
#: to be missing.
OPTIONAL_TABLES = frozenset({"hazard_ratios", "rmst", "follow_up"})


@dataclass(frozen=True)
class KeyFigure:
    """A figure the index shows for a notebook: ``figures/<name>.png``, captioned."""

    name: str
    caption: str
    alt: str


@dataclass(frozen=True)
class KeyNumbers:
    """Rows of a run's table that the index shows for a notebook."""

    table: str
    where: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()
    caption: str = ""
    #: The output-contract table whose view this table takes (it has its columns): e.g.
    #: ``survival_medians`` for ``survival_medians_os``. Empty: the table's own name.
    view: str = ""


@dataclass(frozen=True)
class NotebookStory:
    """What the index says about one executed notebook."""

    stem: str
    title: str
    question: str = ""
    key_figures: tuple[KeyFigure, ...] = ()
    key_numbers: tuple[KeyNumbers, ...] = field(default_factory=tuple)


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def notebook_title(nb: Mapping[str, Any], default: str) -> str:
    """The text of the notebook's first Markdown ``#`` heading (emphasis marks dropped)."""
    cells = nb.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "markdown":
            continue
        for line in _text(cell.get("source")).splitlines():
            match = re.match(r"#\s+(.+?)\s*#*\s*$", line)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip()
    return default


def _strings(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _figures(entries: Any) -> tuple[KeyFigure, ...]:
    figures = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and _strings(entry.get("name")):
            name = str(entry["name"])
            if "/" in name or name.startswith("."):
                continue  # a file name inside figures/, nothing else
            caption = str(entry.get("caption") or "")
            figures.append(KeyFigure(name, caption, str(entry.get("alt") or caption or name)))
    return tuple(figures)


def _numbers(entries: Any) -> tuple[KeyNumbers, ...]:
    numbers = []
    for entry in entries if isinstance(entries, list) else []:
        if not (isinstance(entry, Mapping) and _strings(entry.get("table"))):
            continue
        table = str(entry["table"])
        if "/" in table or table.startswith("."):
            continue
        where = entry.get("where") or {}
        columns = entry.get("columns") or []
        view = entry.get("view") or ""
        if not isinstance(where, Mapping) or not isinstance(columns, list):
            continue
        numbers.append(
            KeyNumbers(
                table,
                tuple((str(k), str(v)) for k, v in where.items()),
                tuple(str(c) for c in columns),
                str(entry.get("caption") or ""),
                view if isinstance(view, str) else "",
            )
        )
    return tuple(numbers)


def story_of(nb: Mapping[str, Any], stem: str) -> NotebookStory:
    """A notebook's story from its content (a notebook as read from JSON)."""
    metadata = nb.get("metadata")
    meta = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(meta, Mapping):
        meta = {}
    question = meta.get("question")
    return NotebookStory(
        stem=stem,
        title=notebook_title(nb, stem),
        question=str(question).strip() if _strings(question) else "",
        key_figures=_figures(meta.get("key_figures")),
        key_numbers=_numbers(meta.get("key_numbers")),
    )


def read_story(ipynb: Path) -> NotebookStory:
    """The story of a notebook file; a missing or unreadable file gives the bare stem."""
    try:
        nb = json.loads(ipynb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return NotebookStory(stem=ipynb.stem, title=ipynb.stem)
    if not isinstance(nb, Mapping):
        return NotebookStory(stem=ipynb.stem, title=ipynb.stem)
    return story_of(nb, ipynb.stem)


def undelivered(run_dir: Path, story: NotebookStory) -> list[str]:
    """What a notebook's story names that its run folder lacks: key figures (PNG),
    tables (but :data:`OPTIONAL_TABLES`), a declared column, or rows for ``where``.

    Used by the tests on real runs, so that a declaration never outlives the figure or
    table it names (the index would skip it silently).
    """
    missing = []
    for figure in story.key_figures:
        if not (run_dir / "figures" / f"{figure.name}.png").is_file():
            missing.append(f"{story.stem}: figures/{figure.name}.png")
    for numbers in story.key_numbers:
        path = run_dir / "tables" / f"{numbers.table}.csv"
        if not path.is_file():
            if numbers.table not in OPTIONAL_TABLES:
                missing.append(f"{story.stem}: tables/{numbers.table}.csv")
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        header = list(rows[0]) if rows else []
        for column in [*numbers.columns, *(k for k, _ in numbers.where)]:
            if column not in header:
                missing.append(f"{story.stem}: tables/{numbers.table}.csv has no column {column}")
        if header and not any(all(r.get(k) == v for k, v in numbers.where) for r in rows):
            missing.append(f"{story.stem}: tables/{numbers.table}.csv has no row {numbers.where}")
    return missing


__all__ = [
    "METADATA_KEY",
    "OPTIONAL_TABLES",
    "KeyFigure",
    "KeyNumbers",
    "NotebookStory",
    "notebook_title",
    "read_story",
    "story_of",
    "undelivered",
]
