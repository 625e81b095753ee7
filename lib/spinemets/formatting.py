"""How numbers are written for readers: the one p-value formatter.

Tables (the display twins of Tables 1-4), figure annotations and printed sentences
all write p-values through :func:`format_p`, so a reader sees one convention
everywhere: three decimals, ``< 0.001`` below that (the paper prints ``P < .0001``
style thresholds; three decimals are what R's ``format.pval(digits = 3)`` shows for
the p-values of this study). Tested in ``tests/test_formatting.py``.
"""

from __future__ import annotations

import math

#: Below this, a p-value is written as a bound, not a number.
SMALLEST_P_SHOWN = 0.001


def format_p(p: float | None, *, prefix: bool = False) -> str:
    """A p-value as shown to readers.

    ``0.0432`` -> ``"0.043"``; ``0.0004`` -> ``"<0.001"``; missing (None or NaN) ->
    ``""`` (a table cell left empty: nothing was tested). With ``prefix`` (figures,
    sentences): ``"p = 0.043"``, ``"p < 0.001"`` and ``"p = NA"``.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = NA" if prefix else ""
    if p < SMALLEST_P_SHOWN:
        return f"p < {SMALLEST_P_SHOWN:g}" if prefix else f"<{SMALLEST_P_SHOWN:g}"
    return f"p = {p:.3f}" if prefix else f"{p:.3f}"
