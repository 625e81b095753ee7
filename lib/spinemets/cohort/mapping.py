"""A column mapping: from the user's column names and codes to the cohort format.

A small YAML file (example in data/README.md, "Column mapping")::

    columns: {"Frankel preop": frankel_pre, "Age at surgery": age}
    values:
      surgery: {"En bloc": metastasectomy, "Decompr.": decompression}
      death: {yes: 1, no: 0}
    keep: [ecog]

``columns`` renames columns (in whichever of the two tables has them);
``values`` recodes cells of a column, named by its cohort-format name, matching
the user's text case-insensitively after trimming spaces; cells not listed are
kept as written; ``keep`` lists columns outside the cohort format to keep after
loading (every other such column is dropped, :mod:`spinemets.cohort.prepare`).
Everything is read as text (YAML's ``yes``/``no`` stay the words ``yes``/``no``).
The user's files are never modified: the mapping is applied to the tables in
memory. Tested in ``tests/cohort/test_mapping.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .problems import Problem

_EXPECTED = (
    "a YAML mapping with 'columns: {your name: cohort name}' and/or "
    "'values: {cohort column: {your code: cohort code}}'"
)


@dataclass(frozen=True)
class ColumnMapping:
    """Renames (``columns``), recodings (``values``) and extra columns kept (``keep``)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    keep: tuple[str, ...] = ()

    def rename(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with the user's column names replaced by the format's.

        A rename onto a column the table already has is skipped (and reported by
        :func:`conflicting_renames`).
        """
        renames = {
            k: v for k, v in self.columns.items() if k in frame.columns and v not in frame.columns
        }
        return frame.rename(columns=renames)

    def recode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with listed codes replaced (case-insensitive, trimmed)."""
        out = frame.copy()
        for column, codes in self.values.items():
            if column in out.columns:
                lookup = {k.strip().lower(): v for k, v in codes.items()}
                out[column] = out[column].map(
                    lambda v, lookup=lookup: (
                        v if v is None else lookup.get(str(v).strip().lower(), v)
                    )
                )
        return out


def read_mapping(path: Path, file: str) -> tuple[ColumnMapping | None, list[Problem]]:
    """Read and check a mapping file (shown to users as ``file``)."""
    if not path.is_file():
        return None, [Problem(file, None, None, None, "an existing YAML file", issue="not found")]
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)
    except UnicodeDecodeError:
        return None, [Problem(file, None, None, None, _EXPECTED, issue="is not UTF-8 text")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        reason = getattr(error, "problem", None) or "invalid YAML"
        return None, [
            Problem(file, row, None, None, _EXPECTED, issue=f"is not valid YAML ({reason})")
        ]
    problems: list[Problem] = []
    if data is None or data == "":
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(file, None, None, None, _EXPECTED, issue="is not a mapping")]
    for key in data:
        if key not in ("columns", "values", "keep"):
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    None,
                    "only the keys 'columns', 'values' and 'keep'",
                    issue=f"unknown key {key!r}",
                )
            )
    columns = data.get("columns") or {}
    if not _is_text_mapping(columns):
        problems.append(
            Problem(
                file,
                None,
                "columns",
                None,
                "pairs 'your column name: cohort column name'",
                issue="is not a mapping of names",
            )
        )
        columns = {}
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(_is_text_mapping(v) for v in values.values()):
        problems.append(
            Problem(
                file,
                None,
                "values",
                None,
                "'cohort column: {your code: cohort code}' entries",
                issue="is not a mapping of codes per column",
            )
        )
        values = {}
    keep = data.get("keep") or []
    if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
        problems.append(
            Problem(
                file,
                None,
                "keep",
                None,
                "a list of column names, e.g. 'keep: [ecog]'",
                issue="is not a list of names",
            )
        )
        keep = []
    targets = list(columns.values())
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        sources = ", ".join(repr(k) for k, v in columns.items() if v == target)
        problems.append(
            Problem(
                file,
                None,
                "columns",
                None,
                "one source column per cohort column",
                issue=f"{sources} all map to {target!r}",
            )
        )
    if problems:
        return None, problems
    mapping = ColumnMapping(dict(columns), {k: dict(v) for k, v in values.items()}, tuple(keep))
    return mapping, []


def _is_text_mapping(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def unused_columns(mapping: ColumnMapping, frames: list[pd.DataFrame], file: str) -> list[Problem]:
    """Source columns of the mapping found in none of the tables (likely a typo).

    Names under ``keep`` are looked for after the renames of ``columns``.
    """
    present = {c for f in frames for c in f.columns}
    renamed = present | {mapping.columns.get(c, c) for c in present}
    return [
        Problem(
            file,
            None,
            "columns",
            None,
            "a column name of the patients or complications file",
            issue=f"names column {name!r}, which is in neither file",
        )
        for name in mapping.columns
        if name not in present
    ] + [
        Problem(
            file,
            None,
            "keep",
            None,
            "a column name of the patients or complications file",
            issue=f"names column {name!r}, which is in neither file",
        )
        for name in mapping.keep
        if name not in renamed
    ]


def conflicting_renames(mapping: ColumnMapping, frame: pd.DataFrame, file: str) -> list[Problem]:
    """A rename onto a column the table already has (both would hold the same thing)."""
    return [
        Problem(
            file,
            1,
            target,
            None,
            "one column per cohort column",
            issue=f"column {source!r} is mapped to {target!r}, which the file already has",
        )
        for source, target in mapping.columns.items()
        if source in frame.columns and target in frame.columns and source != target
    ]
