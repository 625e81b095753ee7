"""From the tables as read to the tables as validated: mapping, names, identifiers, extras.

In this order, for both tables:

1. the user's column mapping (:mod:`spinemets.cohort.mapping`) renames columns
   and recodes cells;
2. format column names are matched ignoring case, spaces and punctuation
   (``Age``, ``OS months`` are ``age``, ``os_months``:
   :func:`spinemets.cohort.read.header_key`);
3. direct identifiers (:mod:`spinemets.cohort.identifiers`) are refused: a
   column whose name looks like one, and every cell of a text column (``patient_id``,
   ``detail`` and every column outside the format) whose value looks like one.
   A refusal names the file, the column, the first row and the kind of
   identifier, never the value. With ``allow_identifiers`` the flagged columns
   are dropped instead (``detail`` too); a flagged ``patient_id``, which the format
   needs, is replaced by study codes ``P001``, ``P002``... in the patients file's
   row order (:func:`pseudonymous_ids`), in both tables;
4. columns outside the cohort format are dropped, with one note naming them,
   unless the mapping lists them under ``keep``.

Tested in ``tests/cohort/test_mapping.py``, ``tests/test_privacy.py`` and the corpus
(``tests/cohort/test_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths
from . import identifiers
from .mapping import ColumnMapping, conflicting_renames, read_mapping, unused_columns
from .problems import Problem
from .read import RawTable, header_key
from .spec import COMPLICATION_COLUMNS, DATE_COLUMNS, PATIENT_COLUMNS, SYNTHETIC_MARKER

#: The column names of each table of the format (patients, complications).
TABLE_NAMES: tuple[frozenset[str], frozenset[str]] = (
    frozenset(c.name for c in (*PATIENT_COLUMNS, *DATE_COLUMNS, SYNTHETIC_MARKER)),
    frozenset(c.name for c in COMPLICATION_COLUMNS),
)
#: Every column name the cohort format knows (never taken for an identifier).
FORMAT_NAMES: frozenset[str] = TABLE_NAMES[0] | TABLE_NAMES[1]
#: Columns of the format whose cells are free text or codes of the user's choosing, and so
#: are screened for identifiers (the other format columns must hold numbers or codes).
TEXT_COLUMNS: frozenset[str] = frozenset(
    c.name for c in (*PATIENT_COLUMNS, *COMPLICATION_COLUMNS) if c.kind in ("id", "text")
)
#: Format columns that are dropped when their values look like identifiers and the user
#: allows identifiers (``patient_id`` is replaced by study codes instead).
DROPPABLE: frozenset[str] = frozenset(c.name for c in COMPLICATION_COLUMNS if not c.required)

_HOW_TO_FIX = (
    "delete the column (or rename it in a column mapping if it is not one), or allow it with "
    "allow_identifiers=True / --allow-identifiers to have it dropped on loading"
)
_HEADER_EXPECTED = f"no direct identifiers in a cohort file: {_HOW_TO_FIX}"
_VALUE_EXPECTED = (
    "no direct identifiers in a cohort file: remove them from the column, delete the column, "
    "or allow them with allow_identifiers=True / --allow-identifiers to have the column "
    "dropped on loading"
)
_KEY_EXPECTED = (
    "a pseudonymous study code (e.g. S001), never a name or a record number: replace the "
    "codes, or allow identifiers with allow_identifiers=True / --allow-identifiers to have "
    "them replaced by study codes P001, P002... on loading"
)


@dataclass
class Prepared:
    """The two tables ready for validation, what went wrong and what was changed.

    ``pseudonymise`` is True when ``patient_id`` holds identifiers that the user
    allowed: loading then replaces them (:func:`pseudonymous_ids`).
    """

    tables: list[RawTable | None]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pseudonymise: bool = False


def canonical_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename ``Age``, ``AGE`` or ``OS months`` to the format's ``age``, ``os_months``."""
    by_key = {header_key(name): name for name in FORMAT_NAMES}
    renames: dict[str, str] = {}
    for name in frame.columns:
        target = by_key.get(header_key(name))
        if target and target not in frame.columns and target not in renames.values():
            renames[name] = target
    return frame.rename(columns=renames)


def _apply_mapping(mapping: ColumnMapping, table: RawTable) -> tuple[RawTable, list[Problem]]:
    problems = conflicting_renames(mapping, table.frame, table.file)
    frame = mapping.recode(canonical_headers(mapping.rename(table.frame)))
    return RawTable(table.file, frame, table.notes, table.explained), problems


def _rows(rows: list[int]) -> str:
    """``row 4`` / ``rows 4, 7 and 9`` / ``rows 4, 7, 9 and 12 more``."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:3])
    if len(rows) <= 3:
        head, last = shown.rsplit(", ", 1)
        return f"rows {head} and {last}"
    return f"rows {shown} and {len(rows) - 3} more"


def flagged_values(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """The cells of ``columns`` whose values look like identifiers: ``{column: [(row, kind)]}``.

    ``patient_id`` is screened with the stricter :func:`identifiers.key_kind`.
    """
    found: dict[str, list[tuple[int, str]]] = {}
    for name in columns:
        kind_of = identifiers.key_kind if name == "patient_id" else identifiers.value_kind
        kinds = identifiers.screen(frame[name], kind_of).dropna()
        if len(kinds):
            found[name] = [(int(row), str(kind)) for row, kind in kinds.items()]
    return found


def _guard_identifiers(
    table: RawTable, names: frozenset[str], allow: bool, result: Prepared
) -> RawTable:
    """Refuse (or drop) identifier columns of a table whose format columns are ``names``."""
    frame = table.frame
    by_header = identifiers.identifier_columns(frame.columns, allowed=FORMAT_NAMES)
    screened = [c for c in frame.columns if c not in by_header]
    screened = [c for c in screened if c in TEXT_COLUMNS or c not in names]
    by_value = flagged_values(frame, screened)
    if not by_header and not by_value:
        return table
    if allow:
        dropped = [*by_header, *(c for c in by_value if c != "patient_id")]
        if dropped:
            result.notes.append(f"{table.file}: dropped identifier columns {', '.join(dropped)}")
        if "patient_id" in by_value:
            result.pseudonymise = True
        return RawTable(table.file, frame.drop(columns=dropped), table.notes, table.explained)
    for name, kind in by_header.items():
        issue = f"looks like a direct identifier ({kind})"
        result.problems.append(Problem(table.file, None, name, None, _HEADER_EXPECTED, issue=issue))
    for name, cells in by_value.items():
        kinds = list(dict.fromkeys(kind for _, kind in cells))
        where = _rows([row for row, _ in cells])
        issue = f"looks like a direct identifier ({'; '.join(kinds)}; {where})"
        expected = _KEY_EXPECTED if name == "patient_id" else _VALUE_EXPECTED
        result.problems.append(Problem(table.file, cells[0][0], name, None, expected, issue=issue))
    return RawTable(table.file, frame.drop(columns=list(by_header)), table.notes, table.explained)


def _drop_extras(
    table: RawTable, names: frozenset[str], keep: Iterable[str]
) -> tuple[RawTable, str | None]:
    kept = set(keep)
    extras = [c for c in table.frame.columns if c not in names and c not in kept]
    if not extras:
        return table, None
    note = (
        f"{table.file}: dropped {len(extras)} column{'s' if len(extras) > 1 else ''} outside "
        f"the cohort format: {', '.join(extras)} (list a column under 'keep:' in a column "
        "mapping to keep it)"
    )
    frame = table.frame.drop(columns=extras)
    return RawTable(table.file, frame, table.notes, table.explained), note


def pseudonymous_ids(patient_ids: pd.Series) -> dict[str, str]:
    """Study codes ``P001``, ``P002``... for a patients table's ids, in row order.

    The width grows with the cohort (``P0001`` from 1,000 patients on), so codes sort
    in row order.
    """
    width = max(3, len(str(len(patient_ids))))
    return {pid: f"P{i:0{width}d}" for i, pid in enumerate(patient_ids, start=1)}


def prepare(
    tables: list[RawTable | None],
    mapping_file: str | Path | None,
    allow_identifiers: bool,
) -> Prepared:
    """Apply the mapping, match names, guard identifiers, drop extras (module docstring).

    ``tables`` are the patients and the complications table, in this order.
    """
    result = Prepared(list(tables))
    mapping = None
    if mapping_file is not None and str(mapping_file) != "":
        path = paths.resolve(mapping_file, paths.PROJECT_ROOT)
        file = paths.display_path(path)
        mapping, found = read_mapping(path, file)
        result.problems += found
        if mapping is not None and all(t is not None for t in tables):
            result.problems += unused_columns(mapping, [t.frame for t in tables], file)
    for i, table in enumerate(result.tables):
        if table is None:
            continue
        result.notes += table.notes
        if mapping is not None:
            table, found = _apply_mapping(mapping, table)
            result.problems += found
        else:
            table = RawTable(
                table.file, canonical_headers(table.frame), table.notes, table.explained
            )
        table = _guard_identifiers(table, TABLE_NAMES[i], allow_identifiers, result)
        table, note = _drop_extras(table, TABLE_NAMES[i], mapping.keep if mapping else ())
        if note:
            result.notes.append(note)
        result.tables[i] = table
    return result
