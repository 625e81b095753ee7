"""Reading one cell's text as a number, a code or a date.

Cohort tables are read as text (so that an error can quote exactly what the
user typed); these functions say whether a cell's text is a valid value of a
kind and what that value is. They are used by the pandera checks of
:mod:`spinemets.cohort.schema` and by the conversion of valid tables.
Tested in ``tests/cohort/test_values.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

#: Cell texts read as "no value" (besides the empty cell), compared case-insensitively.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "."})

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
#: One comma then exactly three digits after 1-3 digits (``1,234``): a thousands separator
#: or a decimal comma, which cannot be told apart.
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
#: Digits in groups of three after separators (``1,234,567``, ``1.234,5``, ``1 234``, ``1'234``).
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,. '\u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def map_unique(column: pd.Series, func: Callable[[object], object]) -> pd.Series:
    """``column.map(func)``, calling ``func`` once per distinct value (None for empty cells).

    Cohort columns hold few distinct values (codes, 0/1 flags), so a 100,000-row table
    costs a few thousand calls instead of 100,000.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = func(None)
    return pd.Series(mapped[codes], index=column.index, dtype=object)


def is_missing(text: object) -> bool:
    """True for None and for the missing-value tokens (``""``, ``NA``, ``NaN``...)."""
    return text is None or str(text).strip().lower() in MISSING_TOKENS


def parse_number(text: str) -> float | None:
    """The finite number a cell holds, or None.

    Accepts a decimal point or a decimal comma (``12,5`` from semicolon-separated
    files) and an exponent; refuses thousands separators, units and infinities.
    The point is always a decimal point (``1.234`` is 1.234); a comma followed by
    exactly three digits after one to three digits (``1,234``, ``12,500``) is
    refused, because it may be a thousands separator (1234) or a decimal comma
    (1.234): see :func:`thousands_hint`.
    """
    s = str(text).strip()
    if not _NUMBER.fullmatch(s) or _AMBIGUOUS_COMMA.fullmatch(s):
        return None
    value = float(s.replace(",", "."))
    return value if math.isfinite(value) else None


def thousands_hint(text: str) -> str | None:
    """Why a number written with a thousands separator is refused, or None if it has none.

    ``"1,234"`` -> it could be 1234 or 1.234; ``"1,234.5"`` -> write 1234.5. Tested in
    ``tests/cohort/test_values.py``.
    """
    s = str(text).strip()
    if _AMBIGUOUS_COMMA.fullmatch(s):
        whole, decimal = s.replace(",", ""), s.replace(",", ".")
        return (
            f"{s!r} could be {whole} or {decimal}: write one of them without a thousands separator"
        )
    if _NUMBER.fullmatch(s) or not _GROUPED.fullmatch(s):
        return None
    marks = [c for c in s if c in ",."]
    decimal_mark = marks[-1] if len(set(marks)) == 2 else None  # 1,234.5 or 1.234,5
    digits = "".join(
        c if c.isdigit() or c in "+-" else ("." if c == decimal_mark and i == s.rindex(c) else "")
        for i, c in enumerate(s)
    )
    return f"thousands separators are not read: write {digits}"


def parse_int(text: str) -> int | None:
    """The whole number a cell holds (``56`` or ``56.0``), or None."""
    value = parse_number(text)
    if value is None or value != int(value):
        return None
    return int(value)


def parse_binary(text: str) -> int | None:
    """0 or 1 (also written ``0.0`` / ``1.0``), or None."""
    value = parse_int(text)
    return value if value in (0, 1) else None


def parse_code(text: str, codes: tuple[str, ...]) -> str | None:
    """The code among ``codes`` a cell names, ignoring case and outer spaces, or None."""
    s = str(text).strip().lower()
    for code in codes:
        if s == code.lower():
            return code
    return None


def parse_date(text: str) -> dt.date | None:
    """A calendar date written ``YYYY-MM-DD`` (time ``00:00:00`` allowed) or ``DD.MM.YYYY``.

    Slash dates (``03/04/2015``) are refused: day-first and month-first cannot be
    told apart.
    """
    s = str(text).strip()
    if s.endswith(" 00:00:00"):
        s = s[: -len(" 00:00:00")]
    if m := _ISO_DATE.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DOTTED_DATE.fullmatch(s):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None
