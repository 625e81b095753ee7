"""Survival claims recomputed from a cohort (spinemets.survival.published).

The cohort is a hand-made one whose Kaplan-Meier numbers are worked out below, so
expected values come from arithmetic, not from the code under test.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from spinemets import scorecard
from spinemets.claims import Claim
from spinemets.cohort import Cohort
from spinemets.errors import SpinemetsError
from spinemets.survival import recompute_survival

# Group a: deaths at 10, 20, 30, 40 (S = .75, .5, .25, 0) -> median (20 + 30) / 2 = 25.
# Group b: deaths at 5 and 50, censored at 15, 70 -> S(36) = .75 * (1 - 1/2) ... see below.
PATIENTS = pd.DataFrame(
    {
        "surgery": ["a"] * 4 + ["b"] * 4,
        "os_months": [10, 20, 30, 40, 5, 15, 50, 70],
        "death": [1, 1, 1, 1, 1, 0, 1, 0],
        "lp_months": [10, 20, 30, 40, 5, 15, 50, 70],
        "local_progression": [0] * 8,
    }
)


def claim(computation: str, printed: str = "1", id_: str = "", **args) -> Claim:
    value = None if computation == "km_median_ci" else float(printed.lstrip("."))
    interval = (16.0, 32.0) if computation == "km_median_ci" else None
    return Claim(
        id=id_ or f"test_{computation}",
        section="results",
        quote="test",
        printed=printed,
        unit="months",
        tolerance=0.5,
        computation=computation,
        args=args,
        value=value,
        interval=interval,
    )


def test_median_by_hand() -> None:
    c = claim("km_median", "25", endpoint="os", strata="surgery", group="a")
    assert recompute_survival(c, PATIENTS) == 25.0  # flat at exactly 0.5: midpoint


def test_survival_percent_by_hand() -> None:
    # group b: S = 3/4 after t = 5; at 50, 2 at risk, 1 dies: 3/4 * 1/2 = 37.5 %
    c = claim("km_survival", "37.5", endpoint="os", strata="surgery", group="b", time=60)
    assert recompute_survival(c, PATIENTS) == pytest.approx(37.5)
    past = claim("km_survival", endpoint="os", strata="surgery", group="a", time=60)
    assert recompute_survival(past, PATIENTS) is None  # group a followed to 40 only


def test_median_ci_limit_not_reached_is_nan() -> None:
    c = claim("km_median_ci", "16–32", endpoint="os", strata="surgery", group="b")
    lower, upper = recompute_survival(c, PATIENTS)
    assert math.isnan(upper)


def test_comparison_table() -> None:
    # all 8: S = 7/8, 6/8, (censored 15), 6/8 * 4/5 = .6, .6 * 3/4 = .45 at 30 -> 30
    claims = [
        claim("km_median", "25", id_="a", endpoint="os", strata="surgery", group="a"),
        claim("km_median", "29", id_="all", endpoint="os", strata="all", group="all"),
        claim("km_median_ci", "16–32", id_="b", endpoint="os", strata="surgery", group="b"),
    ]
    cohort = Cohort(PATIENTS, PATIENTS.iloc[:0], is_synthetic=False, label="t", source_files=())
    table = scorecard.compare(cohort, ["all", "a", "b"], claims)
    assert table.claim.tolist() == ["all", "a", "b"]
    assert table.reproduced.tolist()[:2] == ["30", "25"]
    assert table.reproduced[2].endswith("–NR")
    assert table.status.tolist() == ["close", "exact", "differs"]


def test_non_survival_claim_is_refused() -> None:
    with pytest.raises(SpinemetsError, match="not a survival one"):
        recompute_survival(claim("median", column="age"), PATIENTS)
