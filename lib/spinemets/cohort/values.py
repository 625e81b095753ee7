"""Reading one cell's text as a number, a code or a date.

Cohort tables are read as text (so that an error can quote exactly what the
user typed); these functions say whether a cell's text is a valid value of a
kind and what that value is. They are used by the pandera checks of
:mod:`spinemets.cohort.schema` and by the conversion of valid tables.
Tested in ``tests/test_cohort_values.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

#: Cell texts read as "no value" (besides the empty cell), compared case-insensitively.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "."})

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def is_missing(text: object) -> bool:
    """True for None and for the missing-value tokens (``""``, ``NA``, ``NaN``...)."""
    return text is None or str(text).strip().lower() in MISSING_TOKENS


def parse_number(text: str) -> float | None:
    """The finite number a cell holds, or None.

    Accepts a decimal point or a decimal comma (``12,5`` from semicolon-separated
    files) and an exponent; refuses thousands separators, units and infinities.
    """
    s = str(text).strip()
    if not _NUMBER.fullmatch(s):
        return None
    value = float(s.replace(",", "."))
    return value if math.isfinite(value) else None


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
