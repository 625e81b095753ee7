"""What a cohort holds, column by column, as aggregates only (never a patient's row).

Notebook 00 shows this instead of the first rows of the tables: a reader sees what
each column contains without seeing any patient. Tests: ``tests/study/test_overview.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cohort.spec import COMPLICATION_COLUMNS, PATIENT_COLUMNS, ColumnSpec

__all__ = ["OVERVIEW_COLUMNS", "cohort_overview", "data_dictionary"]

#: Columns of :func:`cohort_overview`.
OVERVIEW_COLUMNS: tuple[str, ...] = ("table", "column", "value", "n", "summary")
#: Column kinds summarised as numbers (median and quartiles).
NUMERIC_KINDS = frozenset({"int", "score", "months"})


def _quartiles(values: pd.Series) -> str:
    """``median m (IQR q1-q3)`` with R's default quantiles (type 7, as numpy's linear)."""
    q1, median, q3 = np.quantile(values.to_numpy(dtype=float), [0.25, 0.5, 0.75])
    return f"median {median:g} (IQR {q1:g}-{q3:g})"


def _column_rows(table: str, spec: ColumnSpec, values: pd.Series) -> list[dict]:
    known = values.dropna()
    if spec.kind in NUMERIC_KINDS:
        summary = _quartiles(known) if len(known) else ""
        return [
            {"table": table, "column": spec.name, "value": "", "n": len(known), "summary": summary}
        ]
    if spec.kind in ("code", "binary"):
        levels = list(spec.codes) if spec.kind == "code" else [0, 1]
        extra = sorted(set(known.astype(str)) - {str(v) for v in levels})
        counts = known.astype(str).value_counts()
        return [
            {
                "table": table,
                "column": spec.name,
                "value": str(v),
                "n": int(counts.get(str(v), 0)),
                "summary": "",
            }
            for v in [*levels, *extra]
        ]
    # identifiers and free text: how many values are filled in, never the values
    what = "distinct values" if spec.kind == "id" else "filled in (free text, not shown)"
    n = known.nunique() if spec.kind == "id" else int((known.astype(str).str.strip() != "").sum())
    return [{"table": table, "column": spec.name, "value": "", "n": int(n), "summary": what}]


def cohort_overview(patients: pd.DataFrame, complications: pd.DataFrame) -> pd.DataFrame:
    """Every column of the cohort format the tables hold, as aggregates.

    One row per (column, value) for coded and 0/1 columns (``n`` patients or events with
    that value, zeros included); one row per numeric column (``n`` known values and the
    median with R's default quartiles, ``quantile(type = 7)``); for identifiers and free
    text only how many values there are. No row of either table is shown, and ``n`` is a
    count column, so ``min_cell`` masks small counts wherever the table is written or
    displayed. Columns :data:`OVERVIEW_COLUMNS`.
    Tests: tests/study/test_overview.py::test_overview_by_hand.
    """
    rows: list[dict] = []
    for table, frame, specs in (
        ("patients", patients, PATIENT_COLUMNS),
        ("complications", complications, COMPLICATION_COLUMNS),
    ):
        for spec in specs:
            if spec.name in frame.columns:
                rows += _column_rows(table, spec, frame[spec.name])
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))


def data_dictionary() -> pd.DataFrame:
    """The cohort format as a table: table, column, kind, meaning (from the spec).

    Tests: tests/study/test_overview.py::test_data_dictionary.
    """
    rows = [("patients", c.name, c.kind, c.meaning) for c in PATIENT_COLUMNS]
    rows += [("complications", c.name, c.kind, c.meaning) for c in COMPLICATION_COLUMNS]
    return pd.DataFrame(rows, columns=["table", "column", "kind", "meaning"])
