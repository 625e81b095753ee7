"""From the tables as read to the tables as validated: mapping, names, identifiers.

In this order, for both tables: the user's column mapping
(:mod:`spinemets.cohort.mapping`) renames columns and recodes cells; format
column names are matched case-insensitively (``Age`` is ``age``); columns that
look like direct identifiers (:mod:`spinemets.privacy`) are refused, or dropped
when the user allows them. Tested in ``tests/test_cohort_mapping.py`` and
``tests/test_privacy.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths, privacy
from .mapping import ColumnMapping, conflicting_renames, read_mapping, unused_columns
from .problems import Problem
from .read import RawTable
from .spec import COMPLICATION_COLUMNS, DATE_COLUMNS, PATIENT_COLUMNS, SYNTHETIC_MARKER

#: Every column name the cohort format knows (never taken for an identifier).
FORMAT_NAMES: frozenset[str] = frozenset(
    c.name for c in (*PATIENT_COLUMNS, *DATE_COLUMNS, SYNTHETIC_MARKER, *COMPLICATION_COLUMNS)
)

_IDENTIFIER_EXPECTED = (
    "no direct identifiers in a cohort file: delete the column (or rename it in a column "
    "mapping if it is not one), or allow it with allow_identifiers=True / --allow-identifiers "
    "to have it dropped on loading"
)


@dataclass
class Prepared:
    """The two tables ready for validation, what went wrong and what was changed."""

    tables: list[RawTable | None]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def canonical_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename ``Age`` or ``AGE`` to ``age``: format names match case-insensitively."""
    lower = {name.lower(): name for name in FORMAT_NAMES}
    renames: dict[str, str] = {}
    for name in frame.columns:
        target = lower.get(str(name).lower())
        if target and target not in frame.columns and target not in renames.values():
            renames[name] = target
    return frame.rename(columns=renames)


def _apply_mapping(mapping: ColumnMapping, table: RawTable) -> tuple[RawTable, list[Problem]]:
    problems = conflicting_renames(mapping, table.frame, table.file)
    frame = mapping.recode(canonical_headers(mapping.rename(table.frame)))
    return RawTable(table.file, frame), problems


def _guard_identifiers(
    table: RawTable, allow: bool, problems: list[Problem], notes: list[str]
) -> RawTable:
    found = privacy.identifier_columns(table.frame.columns, allowed=FORMAT_NAMES)
    if not found:
        return table
    if allow:
        notes.append(f"{table.file}: dropped identifier columns {', '.join(found)}")
        return RawTable(table.file, table.frame.drop(columns=list(found)))
    for name, kind in found.items():
        issue = f"looks like a direct identifier ({kind})"
        problems.append(Problem(table.file, None, name, None, _IDENTIFIER_EXPECTED, issue=issue))
    return RawTable(table.file, table.frame.drop(columns=list(found)))


def prepare(
    tables: list[RawTable | None],
    mapping_file: str | Path | None,
    allow_identifiers: bool,
) -> Prepared:
    """Apply the mapping, match names, guard identifiers (see the module docstring)."""
    result = Prepared(list(tables))
    mapping = None
    if mapping_file is not None and str(mapping_file) != "":
        path = paths.resolve(mapping_file, paths.PROJECT_ROOT)
        file = paths.display_path(path)
        mapping, found = read_mapping(path, file)
        result.problems += found
        if mapping is not None:
            frames = [t.frame for t in tables if t is not None]
            result.problems += unused_columns(mapping, frames, file)
    for i, table in enumerate(result.tables):
        if table is None:
            continue
        if mapping is not None:
            table, found = _apply_mapping(mapping, table)
            result.problems += found
        else:
            table = RawTable(table.file, canonical_headers(table.frame))
        result.tables[i] = _guard_identifiers(
            table, allow_identifiers, result.problems, result.notes
        )
    return result
