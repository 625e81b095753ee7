"""What is wrong with a cohort, said the way the user's spreadsheet says it.

A :class:`Problem` names the file (display name, never an absolute path; for a
workbook, with its sheet), the row as a spreadsheet numbers it (header = row 1,
first data row = row 2), the column, the value found and what was expected. A
value that looks like a direct identifier (:mod:`spinemets.cohort.identifiers`)
is never shown: the message says what it looks like instead. A :class:`ValidationReport`
holds every problem of a cohort; :class:`CohortValidationError` carries one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import SpinemetsError
from . import identifiers
from .spec import DATE_COLUMNS

_DATE_NAMES = frozenset(c.name for c in DATE_COLUMNS)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a cohort file.

    ``row`` and ``column`` are None for problems of a whole file or column;
    ``value`` is the cell text as written (None when there is no cell);
    ``issue`` says what is wrong when the problem is not a bad value (a missing
    column, an empty file), or, with a value, what is wrong with it (``value 'T01'
    is used again``). The message shows ``value '...'`` only when the value does
    not look like a direct identifier (:func:`shown_value`).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    issue: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is None or self.value.strip() == "":
            what = self.issue if self.issue is not None else "empty cell"
        else:
            shown = shown_value(self.value, self.column)
            what = shown if self.issue is None else f"{shown} {self.issue}"
        return f"{', '.join(where)}: {what} — expected {self.expected}"


def shown_value(value: str, column: str | None = None) -> str:
    """``value '...'`` for a message, or what the value looks like if it is an identifier.

    ``patient_id`` gets the stricter check (:func:`identifiers.key_kind`); a date in
    one of the format's date columns (``surgery_date``...) is shown, since dates
    are what these columns hold and they never leave the loader.
    """
    key = column == "patient_id"
    kind = identifiers.key_kind(value) if key else identifiers.value_kind(value)
    if kind is None or (kind == identifiers.FULL_DATE and column in _DATE_NAMES):
        return f"value {value!r}"
    return f"a value that looks like {kind} (not shown)"


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in a cohort (empty when the cohort is valid).

    Behaves as a sequence of :class:`Problem` (``len``, iteration); ``ok`` is True
    when there is none.
    """

    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def lines(self) -> list[str]:
        """One line per problem, in file, row and column order."""
        return [str(p) for p in self.problems]

    def __str__(self) -> str:
        if self.ok:
            return "no problems"
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the cohort ({', '.join(self.files)}):"
        return "\n".join([head, *("  " + line for line in self.lines())])


class CohortValidationError(SpinemetsError):
    """A cohort that cannot be used; ``str()`` lists every problem, one per line."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(str(report))
