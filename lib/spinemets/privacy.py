"""Privacy guards: refuse direct identifiers; suppress small cells in exported tables.

Direct identifiers (DESIGN.md, "Privacy"): a cohort column whose name looks like a
name, a record or insurance number, a birth date, an address, a phone number or
an e-mail address is refused by :func:`spinemets.cohort.load_cohort` unless the
user passes ``allow_identifiers=True``; even then the column is dropped before
the tables are returned, so it never reaches an output. Names are matched
case-insensitively after splitting ``camelCase`` and turning every character
other than letters and digits into ``_``; :data:`IDENTIFIER_PATTERNS` is the
documented list (data/README.md, "Privacy"). Tested in ``tests/test_privacy.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from .errors import ParameterError

_T = r"(?:^|_)"  # token start
_E = r"(?:_|$)"  # token end

#: (regular expression on the normalised column name, what it looks like).
IDENTIFIER_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"name", "a name"),
    (rf"{_T}(initials|fio|фио|имя|фамилия|отчество){_E}", "a name"),
    (rf"{_T}mrn{_E}", "a medical record number"),
    (r"record", "a record number"),
    (rf"{_T}(chart|hospital|nhs)_?(no|nr|num|number){_E}", "a record number"),
    (r"insur", "an insurance number"),
    (rf"{_T}(ssn|snils|polis|oms){_E}", "an insurance or social security number"),
    (r"social_?security", "a social security number"),
    (r"passport", "a passport number"),
    (r"national_?id", "a national identity number"),
    (r"birth", "a birth date"),
    (rf"{_T}(dob|born){_E}", "a birth date"),
    (r"address", "an address"),
    (r"street", "an address"),
    (rf"{_T}zip", "a postal code"),
    (r"post_?code|postal", "a postal code"),
    (r"phone", "a phone number"),
    (rf"{_T}(tel|fax){_E}", "a phone number"),
    (r"e_?mail", "an e-mail address"),
    (rf"{_T}mail{_E}", "an e-mail address"),
)


def normalise_name(name: str) -> str:
    """``"FirstName"`` -> ``"first_name"``; ``"E-mail address"`` -> ``"e_mail_address"``."""
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name).strip())
    return re.sub(r"[\W_]+", "_", split.lower()).strip("_")


def identifier_kind(name: str) -> str | None:
    """What a column name looks like (``"a name"``, ``"a birth date"``...), or None."""
    normalised = normalise_name(name)
    for pattern, kind in IDENTIFIER_PATTERNS:
        if re.search(pattern, normalised):
            return kind
    return None


def identifier_columns(columns: Iterable[str], allowed: Iterable[str] = ()) -> dict[str, str]:
    """The columns that look like direct identifiers, with what each looks like.

    ``allowed`` names are never flagged (the cohort format's own columns).
    """
    keep = set(allowed)
    found = {}
    for name in columns:
        if name not in keep and (kind := identifier_kind(name)) is not None:
            found[name] = kind
    return found


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
