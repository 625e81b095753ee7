"""Small-cell suppression: counts below ``min_cell`` masked wherever a reader sees them.

In exported tables (:func:`suppress_table`), in the tables a notebook displays
(:func:`mask_displayed_tables`) and in figures (:func:`shown_count`). (Direct
identifiers in a cohort file are the cohort loader's concern:
:mod:`spinemets.cohort.identifiers`.) Tested in ``tests/test_privacy.py`` and
``tests/test_output_suppression.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from IPython import get_ipython

from .errors import ParameterError


def suppress_small_cells(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    min_cell: int,
    *,
    mask_zero: bool = False,
) -> pd.DataFrame:
    """A copy of ``df`` whose small counts are masked as ``"<min_cell"``.

    Counts ``1 .. min_cell - 1`` in ``count_columns`` become the text
    ``f"<{min_cell}"`` (zeros too when ``mask_zero``); the other counts become
    their decimal text and missing values the empty string, so each count
    column is text throughout (CSV and Markdown writers print it as is). This
    is primary suppression only: a masked cell may still be recovered from a
    row or column total printed beside it. ``min_cell=1`` masks nothing.
    Tested in ``tests/test_privacy.py`` on hand-made tables.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ParameterError(f"min_cell: value {min_cell!r} — expected an integer >= 1")
    missing = [c for c in count_columns if c not in df.columns]
    if missing:
        raise ParameterError(
            f"count_columns: {', '.join(map(repr, missing))} not in the table — expected "
            f"some of {', '.join(map(str, df.columns))}"
        )
    out = df.copy()
    for column in count_columns:
        out[column] = [_masked(v, column, min_cell, mask_zero) for v in df[column]]
        out[column] = out[column].astype(object)
    return out


def _masked(value: object, column: str, min_cell: int, mask_zero: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    try:
        count = float(value)
    except (TypeError, ValueError):
        count = float("nan")
    if not (count >= 0 and count == int(count)):
        raise ParameterError(f"column {column}: value {value!r} — expected a count (integer >= 0)")
    count = int(count)
    if count < min_cell and (count > 0 or mask_zero):
        return f"<{min_cell}"
    return str(count)


# --- which columns of an exported table are counts ----------------------------------------

#: Column names that hold counts of patients or events in the notebooks' tables (the
#: documented set; reports/README.md, "Small cells"). A column is a count column when its
#: name, or the last word of its name (``"all (n=100) events"``), is in this set, or when
#: it is headed ``<group> (n=<N>)`` (the display tables 1-3).
COUNT_COLUMNS: frozenset[str] = frozenset(
    {
        "n",
        "count",
        "events",
        "patients",
        "n_risk",
        "n_event",
        "n_censor",
        "n_patients",
        "patients_with",
        "progressions",
        "local_progressions",
        "deaths",
        "started",
        "n_treated",
        "events_treated",
        "n_untreated",
        "events_untreated",
        "summary",
    }
)
#: Columns holding a percentage of a count; masked on the rows where a count was masked.
PERCENT_COLUMNS: frozenset[str] = frozenset({"percent", "pct"})
#: A display header with a group size: ``targeted (n=26)``.
_GROUP_SIZE = re.compile(r"\(n=(\d+)\)")
#: A count shown with its percentage: ``7 (17.9%)``; the count is the leading integer.
_COUNT_WITH_PERCENT = re.compile(r"\s*(\d+)\s*\([^)]*%[^)]*\)\s*")


def is_count_column(name: object) -> bool:
    """Whether a column of an exported table holds counts (see :data:`COUNT_COLUMNS`)."""
    text = str(name).strip()
    last = re.split(r"\s+", text)[-1] if text else ""
    return text in COUNT_COLUMNS or last in COUNT_COLUMNS or bool(_GROUP_SIZE.search(text))


def _cell_count(value: object) -> int | None:
    """The count a cell shows: a whole number >= 0 or ``N (p%)``; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) and not (isinstance(value, float) and pd.isna(value)):
        return int(value) if value >= 0 and value == int(value) else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        match = _COUNT_WITH_PERCENT.fullmatch(text)
        return int(match.group(1)) if match else None
    return None


def suppress_table(
    df: pd.DataFrame, min_cell: int, count_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """A copy of an exported table with every count below ``min_cell`` masked.

    The count columns are those named in ``count_columns`` plus every column
    :func:`is_count_column` recognises. A column of whole numbers goes through
    :func:`suppress_small_cells` (1 .. min_cell - 1 become ``"<min_cell"``); in a
    column of text, cells showing a count (``7`` or ``7 (17.9%)``) are masked the
    same way and other cells (a median ``56 (50-59)``, a range) are kept. On each
    row where a count was masked, the percentages of :data:`PERCENT_COLUMNS`
    become ``"suppressed"``; a header ``group (n=N)`` with ``N < min_cell`` becomes
    ``group (n<min_cell)``. Zeros are kept. Primary suppression only: a masked
    count may still be recovered from totals or from estimates printed beside it.
    ``min_cell`` 0 or 1 masks nothing. Tested in ``tests/test_output_suppression.py``.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise ParameterError(f"min_cell: value {min_cell!r} — expected an integer >= 0 (0 = off)")
    unknown = [c for c in count_columns if c not in df.columns]
    if unknown:
        raise ParameterError(
            f"count_columns: {', '.join(map(repr, unknown))} not in the table — expected "
            f"some of {', '.join(map(str, df.columns))}"
        )
    if min_cell <= 1:
        return df.copy()
    columns = list(dict.fromkeys([*count_columns, *(c for c in df.columns if is_count_column(c))]))
    out = df.copy()
    masked = pd.Series(False, index=df.index)
    marker = f"<{min_cell}"
    for column in columns:
        values = df[column]
        counts = values.map(_cell_count)
        small = counts.map(lambda c: c is not None and 0 < c < min_cell).astype(bool)
        present = values.map(lambda v: not (v is None or (isinstance(v, float) and pd.isna(v))))
        numeric = pd.api.types.is_numeric_dtype(values) and counts[present].notna().all()
        if numeric:
            out[column] = suppress_small_cells(df[[column]], [column], min_cell)[column]
        else:
            out[column] = [marker if s else v for v, s in zip(values, small, strict=True)]
            out[column] = out[column].astype(object)
        masked |= small
    if masked.any():
        for column in df.columns:
            if str(column) in PERCENT_COLUMNS or str(column).endswith("_pct"):
                out[column] = out[column].astype(object)
                out.loc[masked, column] = "suppressed"
    renames = {}
    for column in out.columns:
        match = _GROUP_SIZE.search(str(column))
        if match and 0 < int(match.group(1)) < min_cell:
            renames[column] = _GROUP_SIZE.sub(f"(n{marker})", str(column))
    return out.rename(columns=renames)


def shown_count(count: int, min_cell: int = 0) -> str:
    """A count as drawn on a figure: ``"<min_cell"`` for 1 .. min_cell - 1, else the number.

    The figure twin of :func:`suppress_table`; zeros are drawn.
    Tests: tests/test_privacy.py::test_shown_count.
    """
    return f"<{min_cell}" if 0 < count < min_cell else f"{count:d}"


def mask_displayed_tables(min_cell: int) -> None:
    """Mask small counts in every DataFrame the running notebook displays.

    With ``min_cell`` > 1, IPython's HTML and plain-text formatters for DataFrames
    pass each table through :func:`suppress_table` first (counts ``1 .. min_cell - 1``
    in count columns become ``"<min_cell"``), the same rule as the exported tables.
    ``min_cell`` 0 or 1 restores pandas' own display. Outside IPython this does
    nothing. ``print(df)`` and Styler objects are not covered: notebooks display tables
    as a cell's last expression. ``RunOutput`` calls it.
    Tested in tests/test_output_suppression.py::test_displayed_tables_are_masked.
    """
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    html, plain = formatters["text/html"], formatters["text/plain"]
    if min_cell <= 1:
        html.pop(pd.DataFrame, None)
        plain.pop(pd.DataFrame, None)
        return
    html.for_type(pd.DataFrame, lambda df: suppress_table(df, min_cell)._repr_html_())
    plain.for_type(
        pd.DataFrame,
        lambda df, printer, cycle: printer.text(repr(suppress_table(df, min_cell))),
    )
