"""spinemets.methods.balance: standardised mean differences (Austin 2009; Yang and Dalton 2012).

R values: the formulas written out independently in base R (tests/fixtures/r_lessons.R,
``smd.json``) on survival's pbc (trial rows; groups = trt): age (a number), sex (two
levels) and histologic stage (four levels).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods.balance import standardized_difference

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_lessons"


def test_smd_matches_r_formulas() -> None:
    ref = json.loads((FIXTURES / "smd.json").read_text())
    pbc = pd.read_csv(FIXTURES / "data_pbc.csv", dtype={"group": str, "sex": str, "stage": str})
    assert standardized_difference(pbc.age, pbc.group, "continuous") == pytest.approx(
        ref["age"], rel=1e-12
    )
    assert standardized_difference(pbc.sex, pbc.group, "categorical") == pytest.approx(
        ref["sex"], rel=1e-12
    )
    assert standardized_difference(pbc.stage, pbc.group, "categorical") == pytest.approx(
        ref["stage"], rel=1e-12
    )


def test_two_levels_is_the_binary_formula() -> None:
    x = [1, 1, 0, 0, 0, 1, 1, 1, 0, 1]
    g = ["a"] * 4 + ["b"] * 6
    p1, p2 = 2 / 4, 4 / 6
    by_hand = abs(p1 - p2) / math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    assert standardized_difference(x, g, "categorical") == pytest.approx(by_hand, rel=1e-12)
    # continuous by hand: pooled SD of the two sample variances
    y = np.array([1.0, 2, 3, 4, 2, 4, 6, 8, 10, 12])
    a, b = y[:4], y[4:]
    pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    got = standardized_difference(y, g, "continuous")
    assert got == pytest.approx(abs(a.mean() - b.mean()) / pooled, rel=1e-12)


def test_identical_groups_and_order() -> None:
    x = ["A", "B", "C", "A", "B", "C"]
    assert standardized_difference(x, [0, 0, 0, 1, 1, 1], "categorical") == pytest.approx(0)
    # swapping the groups does not change an absolute difference
    g = ["a", "a", "b", "b", "b", "a"]
    h = ["b" if v == "a" else "a" for v in g]
    assert standardized_difference(x, g, "categorical") == pytest.approx(
        standardized_difference(x, h, "categorical")
    )


def test_missing_values_are_left_out() -> None:
    x = [1.0, 2, np.nan, 4, 5, 6]
    g = ["a", "a", "a", "b", "b", "b"]
    assert standardized_difference(x, g, "continuous") == pytest.approx(
        standardized_difference([1.0, 2, 4, 5, 6], g[:2] + g[3:], "continuous")
    )


def test_bad_input() -> None:
    with pytest.raises(SpinemetsError, match="two groups"):
        standardized_difference([1, 2, 3], ["a", "b", "c"], "continuous")
    with pytest.raises(SpinemetsError, match="kind"):
        standardized_difference([1, 2], ["a", "b"], "ordinal")  # type: ignore[arg-type]


def test_weighted_smd_by_hand() -> None:
    """Treated 1, 3 with weights 3, 1: weighted mean 1.5, sum w (x - m)^2 = 3 * 0.25 +
    2.25 = 3, Austin & Stuart's factor sum w / ((sum w)^2 - sum w^2) = 4 / 6, variance 2;
    untreated 0, 0: variance 0. d = 1.5 / sqrt(1) = 1.5; unit weights give the plain SMD
    (means 2 and 0, variances 2 and 0: d = 2). A binary variable with weights: weighted
    proportions 3/4 and 0 -> |0.75 - 0| / sqrt((0.1875 + 0) / 2)."""
    x, t = [1, 3, 0, 0], [1, 1, 0, 0]
    assert standardized_difference(x, t, "continuous", [3, 1, 1, 1]) == pytest.approx(1.5)
    assert standardized_difference(x, t, "continuous", [1, 1, 1, 1]) == pytest.approx(
        standardized_difference(x, t, "continuous")
    )
    assert standardized_difference(x, t, "continuous") == pytest.approx(2.0)
    binary = standardized_difference([1, 0, 0, 0], t, "categorical", [3, 1, 1, 1])
    assert binary == pytest.approx(0.75 / math.sqrt(0.1875 / 2))
    with pytest.raises(SpinemetsError, match="weights must be finite"):
        standardized_difference(x, t, "continuous", [1, -1, 1, 1])
