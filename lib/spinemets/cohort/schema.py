"""The cohort format as pandera schemas, and pandera's failures as :class:`Problem` s.

Tables are validated as text (``str`` or None cells, index = spreadsheet row):

- each column of :mod:`spinemets.cohort.spec` becomes a ``pa.Column`` with a
  check of its kind, cell by cell (each distinct text checked once:
  :func:`spinemets.cohort.values.map_unique`; its ``error`` is the "expected ..." text),
  ``nullable=False`` unless free text, ``unique=True`` for ``patient_id``;
- rules across columns (``lp_months <= os_months``, the order of dates) are
  DataFrame-level checks, each blaming one column;
- complications' ``patient_id`` must be one of the patients' (``Check.isin``).

Validation is lazy (``schema.validate(frame, lazy=True)``), so every failure of
every row is collected; :func:`problems_from_failures` turns pandera's
``failure_cases`` into user-facing problems. Tested in ``tests/cohort/test_load.py`` and the
corpus (``tests/cohort/test_corpus.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from . import values
from .problems import Problem
from .spec import (
    COMPLICATION_COLUMNS,
    DATE_COLUMNS,
    DAYS_PER_MONTH,
    DURATION_COLUMNS,
    MAX_MONTHS,
    PATIENT_COLUMNS,
    SYNTHETIC_MARKER,
    ColumnSpec,
    by_name,
)

#: Tolerance when comparing month values (floating-point rounding of derived months).
MONTHS_TOLERANCE = 1e-9


def _valid_cell(spec: ColumnSpec) -> Callable[[object], bool]:
    kind = spec.kind
    if kind == "id":
        return lambda v: isinstance(v, str) and v.strip() != ""
    if kind == "int":
        return lambda v: (x := values.parse_int(v)) is not None and spec.low <= x <= spec.high
    if kind == "code":
        return lambda v: values.parse_code(v, spec.codes) is not None
    if kind == "binary":
        return lambda v: values.parse_binary(v) is not None
    if kind in ("score", "months"):
        high = spec.high if spec.high is not None else float("inf")
        return lambda v: (x := values.parse_number(v)) is not None and spec.low <= x <= high
    if kind == "date":
        return lambda v: values.parse_date(v) is not None
    return lambda v: True


def _cell_check(spec: ColumnSpec) -> pa.Check:
    """The kind's check, cell by cell; empty cells pass (``nullable`` is checked apart).

    Empty cells are let through by the check itself rather than by pandera's
    ``ignore_na``, which would scan the column for missing values once more.
    """
    valid = _valid_cell(spec)
    return pa.Check(
        lambda column: values.map_unique(column, lambda v: v is None or valid(v)).astype(bool),
        error=spec.expected,
        ignore_na=False,
    )


def column_schema(spec: ColumnSpec) -> pa.Column:
    """The pandera column of one spec: its kind's check, nullability, uniqueness."""
    return pa.Column(
        dtype=None,
        checks=_cell_check(spec),
        nullable=spec.kind in ("text", "date") and not spec.required,
        unique=spec.unique,
        report_duplicates="exclude_first",
        required=spec.required,
        name=spec.name,
    )


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: ``holds(frame)`` is a boolean Series.

    A failing row is reported at ``column`` with ``expected(row)`` as the
    expectation. Rows where a needed cell is itself invalid pass (that cell is
    reported by its own column check).
    """

    name: str
    column: str
    holds: Callable[[pd.DataFrame], pd.Series]
    expected: Callable[[pd.Series], str]

    def check(self) -> pa.Check:
        return pa.Check(self.holds, name=self.name, error=self.name)


def _parsed(frame: pd.DataFrame, column: str, parse: Callable[[str], object]) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return values.map_unique(frame[column], lambda v: None if values.is_missing(v) else parse(v))


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column's numbers; NaN where the cell is missing or fails its own check."""
    valid = _valid_cell(by_name(PATIENT_COLUMNS)[column])
    parsed = _parsed(frame, column, lambda v: values.parse_number(v) if valid(v) else None)
    return pd.to_numeric(parsed, errors="coerce")


def _not_later(frame: pd.DataFrame, early: str, late: str) -> pd.Series:
    """True unless both dates parse and ``early`` is after ``late``."""
    a = _parsed(frame, early, values.parse_date)
    b = _parsed(frame, late, values.parse_date)
    return pd.Series(
        [x is None or y is None or x <= y for x, y in zip(a, b, strict=True)],
        index=frame.index,
        dtype=bool,
    )


def _lp_within_os(frame: pd.DataFrame) -> pd.Series:
    lp, os_ = _numbers(frame, "lp_months"), _numbers(frame, "os_months")
    return ~(lp > os_ + MONTHS_TOLERANCE)


def _cell(row: pd.Series, column: str) -> str:
    v = row.get(column)
    return "" if v is None else str(v)


DURATION_RULES: tuple[RowRule, ...] = (
    RowRule(
        "lp_months_within_os_months",
        "lp_months",
        _lp_within_os,
        lambda row: (
            f"at most os_months ({_cell(row, 'os_months')}): local progression "
            "or its censoring cannot come after death or last follow-up"
        ),
    ),
)


def _date_order(early: str, late: str, column: str) -> RowRule:
    before = column == late  # the blamed column must be on or after the other one
    other = early if before else late
    word = "after" if before else "before"
    return RowRule(
        f"{early}_not_after_{late}",
        column,
        lambda frame: _not_later(frame, early, late),
        lambda row: f"a date on or {word} {other} ({_cell(row, other)})",
    )


def _not_in_future(column: str) -> RowRule:
    def holds(frame: pd.DataFrame) -> pd.Series:
        today = dt.date.today()
        dates = _parsed(frame, column, values.parse_date)
        return pd.Series([d is None or d <= today for d in dates], index=frame.index, dtype=bool)

    return RowRule(f"{column}_not_in_future", column, holds, lambda row: "a date not after today")


def _has_end_date(frame: pd.DataFrame) -> pd.Series:
    lfu = _parsed(frame, "last_followup_date", lambda v: v)
    death = _parsed(frame, "death_date", lambda v: v)
    return lfu.notna() | death.notna()


def _within_max_months(column: str) -> RowRule:
    """A date at most MAX_MONTHS after surgery_date (the survival columns' range)."""

    def holds(frame: pd.DataFrame) -> pd.Series:
        surgery = _parsed(frame, "surgery_date", values.parse_date)
        date = _parsed(frame, column, values.parse_date)
        return pd.Series(
            [
                s is None or d is None or (d - s).days / DAYS_PER_MONTH <= MAX_MONTHS
                for s, d in zip(surgery, date, strict=True)
            ],
            index=frame.index,
            dtype=bool,
        )

    return RowRule(
        f"{column}_within_{MAX_MONTHS}_months",
        column,
        holds,
        lambda row: (
            f"a date at most {MAX_MONTHS} months ({MAX_MONTHS // 12} years) after "
            f"surgery_date ({_cell(row, 'surgery_date')})"
        ),
    )


DATE_RULES: tuple[RowRule, ...] = (
    RowRule(
        "followup_or_death_date_given",
        "last_followup_date",
        _has_end_date,
        lambda row: "a date (each row needs a last_followup_date or a death_date)",
    ),
    _date_order("surgery_date", "death_date", "death_date"),
    _date_order("surgery_date", "last_followup_date", "last_followup_date"),
    _date_order("surgery_date", "local_progression_date", "local_progression_date"),
    _date_order("last_followup_date", "death_date", "last_followup_date"),
    _date_order("local_progression_date", "death_date", "local_progression_date"),
    _date_order("local_progression_date", "last_followup_date", "local_progression_date"),
    *(_not_in_future(c.name) for c in DATE_COLUMNS),
    *(_within_max_months(c.name) for c in DATE_COLUMNS if c.name != "surgery_date"),
)


def patient_specs(dates: bool, columns: Iterable[str]) -> tuple[ColumnSpec, ...]:
    """The specs a patients table is checked against (durations or dates mode)."""
    specs = [c for c in PATIENT_COLUMNS if not (dates and c.name in DURATION_COLUMNS)]
    if dates:
        specs += DATE_COLUMNS
    if SYNTHETIC_MARKER.name in columns:
        specs.append(SYNTHETIC_MARKER)
    return tuple(specs)


def patients_schema(
    specs: tuple[ColumnSpec, ...], rules: tuple[RowRule, ...]
) -> pa.DataFrameSchema:
    """The pandera schema of a patients table given as text, with its row rules."""
    return pa.DataFrameSchema(
        {s.name: column_schema(s) for s in specs},
        checks=[r.check() for r in rules],
        strict=False,
        name="patients",
    )


def complications_schema(patient_ids: set[str] | None) -> pa.DataFrameSchema:
    """The pandera schema of a complications table; ids must be in ``patient_ids``."""
    columns = {s.name: column_schema(s) for s in COMPLICATION_COLUMNS}
    if patient_ids is not None:
        columns["patient_id"] = pa.Column(
            dtype=None,
            checks=[
                columns["patient_id"].checks[0],
                pa.Check(
                    lambda column: values.map_unique(
                        column, lambda v: v is None or v in patient_ids
                    ).astype(bool),
                    error="a patient_id of the patients table",
                    ignore_na=False,
                ),
            ],
            nullable=False,
            name="patient_id",
        )
    return pa.DataFrameSchema(columns, strict=False, name="complications")


def validate_frame(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    file: str,
    specs: tuple[ColumnSpec, ...],
    rules: tuple[RowRule, ...] = (),
) -> list[Problem]:
    """Validate ``frame`` lazily against ``schema``; every failure as a Problem."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return problems_from_failures(errors.failure_cases, frame, file, specs, rules)
    return []


def problems_from_failures(
    failures: pd.DataFrame,
    frame: pd.DataFrame,
    file: str,
    specs: tuple[ColumnSpec, ...],
    rules: tuple[RowRule, ...],
) -> list[Problem]:
    """Translate pandera's ``failure_cases`` into problems (one per row and column)."""
    by_spec = {s.name: s for s in specs}
    by_rule = {r.name: r for r in rules}
    problems: set[Problem] = set()
    for failure in failures.itertuples(index=False):
        check, column, case = str(failure.check), failure.column, failure.failure_case
        row = None if pd.isna(failure.index) else int(failure.index)
        if check == "column_in_dataframe":
            spec = by_spec.get(str(case))
            meaning = f" ({spec.meaning})" if spec else ""
            expected = f"a column named {case}{meaning}"
            problems.add(Problem(file, None, str(case), None, expected, issue="column is missing"))
        elif check in by_rule:
            rule = by_rule[check]
            record = frame.loc[row]
            problems.add(
                Problem(file, row, rule.column, record.get(rule.column), rule.expected(record))
            )
        elif check == "not_nullable":
            expected = by_spec[column].expected if column in by_spec else "a value"
            problems.add(Problem(file, row, column, None, expected))
        elif check == "field_uniqueness":
            first = int(frame.index[frame[column] == case][0])
            issue = f"is used again (first in row {first})"
            problems.add(Problem(file, row, column, str(case), f"each {column} once", issue=issue))
        else:
            value = (
                None if case is None or (isinstance(case, float) and pd.isna(case)) else str(case)
            )
            hint = None if value is None else values.thousands_hint(value)
            expected = check if hint is None else f"{check}; {hint}"
            problems.add(Problem(file, row, column, value, expected))
    return sorted(problems, key=_order(specs, rules))


def _order(specs: tuple[ColumnSpec, ...], rules: tuple[RowRule, ...]) -> Callable[[Problem], tuple]:
    position = {s.name: i for i, s in enumerate(specs)}

    def key(p: Problem) -> tuple:
        return (
            -1 if p.row is None else p.row,
            position.get(p.column or "", len(position)),
            p.column or "",
            str(p),
        )

    return key
