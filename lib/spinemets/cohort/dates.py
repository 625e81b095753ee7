"""Survival times from dates: ``surgery_date`` etc. replace the four duration columns.

With dates (DESIGN.md, "The cohort format"), for each patient:

- ``os_months = (end - surgery_date).days / 30.4375`` where ``end`` is
  ``death_date`` if given, else ``last_followup_date``; ``death = 1`` iff
  ``death_date`` is given;
- ``lp_months = (local_progression_date - surgery_date).days / 30.4375`` and
  ``local_progression = 1`` if ``local_progression_date`` is given, else
  ``lp_months = os_months`` (censored at death or last follow-up) and 0.

The order of the dates is validated first (:data:`spinemets.cohort.schema.DATE_RULES`);
the date columns are dropped after derivation, so dates never reach an output.
Tested in ``tests/cohort/test_dates.py`` against hand-computed day counts.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from . import values
from .problems import Problem
from .spec import DATE_COLUMNS, DAYS_PER_MONTH, DURATION_COLUMNS

DATE_NAMES: tuple[str, ...] = tuple(c.name for c in DATE_COLUMNS)


def uses_dates(columns: Iterable[str]) -> bool:
    """True when a patients table gives any date column (dates mode)."""
    return any(name in DATE_NAMES for name in columns)


def conflicting_columns(columns: Iterable[str], file: str) -> list[Problem]:
    """Duration columns given together with dates: ambiguous, so refused."""
    expected = "either the survival columns or the date columns, not both"
    return [
        Problem(file, None, name, None, expected, issue="is given together with date columns")
        for name in columns
        if name in DURATION_COLUMNS
    ]


def _dates(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw.columns:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    parsed = raw[column].map(lambda v: None if values.is_missing(v) else values.parse_date(v))
    return pd.to_datetime(parsed)


def derive_durations(raw: pd.DataFrame) -> pd.DataFrame:
    """The four duration columns of a validated dates-mode table (same index)."""
    surgery = _dates(raw, "surgery_date")
    death_date = _dates(raw, "death_date")
    end = death_date.fillna(_dates(raw, "last_followup_date"))
    progression = _dates(raw, "local_progression_date")
    os_months = (end - surgery).dt.days / DAYS_PER_MONTH
    lp_months = ((progression - surgery).dt.days / DAYS_PER_MONTH).fillna(os_months)
    return pd.DataFrame(
        {
            "os_months": os_months.astype("float64"),
            "death": death_date.notna().astype("int64"),
            "lp_months": lp_months.astype("float64"),
            "local_progression": progression.notna().astype("int64"),
        },
        index=raw.index,
    )
