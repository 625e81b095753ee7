"""spinemets.formatting: the one p-value formatter, for tables and for figures."""

from __future__ import annotations

import math

import pytest
from spinemets.formatting import format_p


@pytest.mark.parametrize(
    ("p", "table", "figure"),
    [
        (0.0426, "0.043", "p = 0.043"),
        (0.0123, "0.012", "p = 0.012"),
        (0.75, "0.750", "p = 0.750"),
        (0.001, "0.001", "p = 0.001"),
        (0.0004, "<0.001", "p < 0.001"),
        (math.nan, "", "p = NA"),
        (None, "", "p = NA"),
    ],
)
def test_format_p(p, table: str, figure: str) -> None:
    assert format_p(p) == table
    assert format_p(p, prefix=True) == figure
