"""Turning a validated text table into the typed DataFrame notebooks use.

Types (the contract teammates rely on, checked by :func:`output_schema`):
``patient_id``, codes and free text are ``str`` (codes lower-case, Frankel grades
upper-case); whole numbers and 0/1 flags are ``int64``; months are ``float64``;
VAS scores are ``int64`` when every score is whole, else ``float64``. Columns
come in the format's order, then the columns a mapping keeps, in file order
(numeric when every value is a number, else text). Rows keep the file's order; the index is
0..n-1. Tested in ``tests/cohort/test_load.py``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from . import values
from .spec import ColumnSpec


def typed_column(raw: pd.Series, spec: ColumnSpec) -> pd.Series:
    """One validated column in its type (see the module docstring)."""
    kind = spec.kind
    if kind == "id":
        return values.map_unique(raw, lambda v: str(v).strip())
    if kind == "text":
        return values.map_unique(raw, lambda v: "" if v is None else str(v))
    if kind == "code":
        return values.map_unique(raw, lambda v: values.parse_code(v, spec.codes))
    if kind in ("int", "binary"):
        return values.map_unique(raw, values.parse_int).astype("int64")
    numbers = values.map_unique(raw, values.parse_number).astype("float64")
    if kind == "score" and (numbers == numbers.round()).all():
        return numbers.astype("int64")
    return numbers


def extra_column(raw: pd.Series) -> pd.Series:
    """A column a mapping keeps: numbers if every value is one, else text."""
    cells = raw.map(lambda v: None if values.is_missing(v) else v)
    present = cells.dropna()
    numbers = present.map(values.parse_number)
    if len(present) and numbers.notna().all():
        parsed = cells.map(lambda v: None if v is None else values.parse_number(v)).astype(
            "float64"
        )
        whole = parsed.notna().all() and (parsed == parsed.round()).all()
        return parsed.astype("int64") if whole else parsed
    return cells.astype(object)


def typed_table(raw: pd.DataFrame, specs: tuple[ColumnSpec, ...], drop: set[str]) -> pd.DataFrame:
    """The typed table: format columns in order, then kept columns; ``drop`` removed."""
    columns: dict[str, pd.Series] = {}
    for spec in specs:
        if spec.name in raw.columns and spec.name not in drop:
            columns[spec.name] = typed_column(raw[spec.name], spec)
    known = {s.name for s in specs}
    for name in raw.columns:
        if name not in known and name not in drop:
            columns[name] = extra_column(raw[name])
    table = pd.DataFrame(columns, index=raw.index)
    return table.reset_index(drop=True)


def _all_str(column: pd.Series) -> bool:
    """Every value is a ``str`` (one pass in C, not a Python call per cell)."""
    return pd.api.types.infer_dtype(column, skipna=False) in ("string", "empty")


def output_schema(specs: tuple[ColumnSpec, ...]) -> pa.DataFrameSchema:
    """The dtypes a loaded table guarantees (a failure here is a bug, not bad input)."""
    dtype = {"int": "int64", "binary": "int64", "months": "float64"}  # scores: int or float
    columns = {}
    for s in specs:
        if s.kind == "date":
            continue
        checks = []
        if s.kind in ("id", "text", "code"):  # str values in an object column
            checks.append(pa.Check(_all_str, error="str values"))
        if s.kind == "code":
            checks.append(pa.Check.isin(list(s.codes)))
        if s.kind == "binary":
            checks.append(pa.Check.isin([0, 1]))
        columns[s.name] = pa.Column(dtype.get(s.kind), checks, required=s.required, name=s.name)
    return pa.DataFrameSchema(columns, strict=False)
