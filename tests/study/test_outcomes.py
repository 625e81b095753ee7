"""spinemets.study.outcomes on hand-made cohorts; values by hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.study import outcomes


@pytest.fixture
def cohort() -> pd.DataFrame:
    # before -> after: A->C, B->D, C->C, C->E, D->D, D->E, E->D, E->E, and one missing.
    return pd.DataFrame(
        {
            "frankel_pre": ["A", "B", "C", "C", "D", "D", "E", "E", "C"],
            "frankel_post": ["C", "D", "C", "E", "D", "E", "D", "E", None],
            "vas_pre": [8, 7, 9, 6, 5, 8, 7, 6, np.nan],
            "vas_post": [2, 3, 9, 2, 1, 3, 4, 2, 3],
        }
    )


def test_shift_table(cohort: pd.DataFrame) -> None:
    shift = outcomes.frankel_shift_table(cohort)
    assert list(shift.index) == list("ABCDE") and list(shift.columns) == list("ABCDE")
    assert int(shift.to_numpy().sum()) == 8  # the missing "after" is left out
    assert shift.loc["C", "E"] == 1 and shift.loc["E", "D"] == 1 and shift.loc["A", "A"] == 0


def test_change_and_ambulatory(cohort: pd.DataFrame) -> None:
    shift = outcomes.frankel_shift_table(cohort)
    change = outcomes.frankel_change(shift).set_index("change")["n"]
    assert change.to_dict() == {"improved": 4, "unchanged": 3, "worse": 1}
    amb = outcomes.ambulatory_table(shift)
    # not ambulatory before: A, B, C, C -> after C, D, C, E: 2 stay, 2 walk; ambulatory 4 stay.
    assert amb.to_numpy().tolist() == [[2, 2], [0, 4]]


def test_frankel_tests_hand_arithmetic(cohort: pd.DataFrame) -> None:
    res = outcomes.frankel_tests(outcomes.frankel_shift_table(cohort))
    # McNemar with correction: b = 2, c = 0 -> (|2 - 0| - 1)^2 / 2 = 0.5
    assert res["ambulatory_paired"].statistic == pytest.approx(0.5)
    # Bowker over the non-empty pairs A-C (1, 0), B-D (1, 0), C-E (1, 0), D-E (1, 1):
    # 1 + 1 + 1 + 0 = 3 on 4 df
    assert res["grades_symmetry"].statistic == pytest.approx(3.0)
    assert res["grades_symmetry"].parameter == 4
    frame = outcomes.tests_frame(res)
    assert list(frame.columns) == ["comparison", "method", "statistic", "df", "p", "note"]


def test_paper_like_ambulatory_mcnemar() -> None:
    # 50 not ambulatory before, 29 of them walk after, nobody stops walking:
    # (29 - 1)^2 / 29 on 1 df, p < .0001 as printed.
    rows = [("C", "D")] * 29 + [("C", "C")] * 21 + [("D", "D")] * 50
    df = pd.DataFrame(rows, columns=["frankel_pre", "frankel_post"])
    res = outcomes.frankel_tests(outcomes.frankel_shift_table(df))["ambulatory_paired"]
    assert res.statistic == pytest.approx(28**2 / 29)
    assert res.p_value < 1e-4


def test_vas_summary_and_test(cohort: pd.DataFrame) -> None:
    s = outcomes.vas_summary(cohort).set_index("timepoint")
    # 8 complete pairs; before: 8 7 9 6 5 8 7 6 -> mean 56 / 8 = 7
    assert s.loc["before", "n"] == 8 and s.loc["before", "mean"] == pytest.approx(7.0)
    assert s.loc["day 7", "mean"] == pytest.approx(26 / 8)
    sd = math.sqrt(sum((v - 7) ** 2 for v in [8, 7, 9, 6, 5, 8, 7, 6]) / 7)
    half = 2.3646242510102993 * sd / math.sqrt(8)  # qt(0.975, 7)
    assert s.loc["before", "lower"] == pytest.approx(7 - half)
    res = outcomes.vas_test(cohort)
    # differences pre - post: 6 4 0 4 4 5 3 4 -> zero dropped; V = 28 (all positive)
    assert res.statistic == 28
    assert res.method == "Wilcoxon signed rank test with continuity correction"


def test_vas_change(cohort: pd.DataFrame) -> None:
    ch = outcomes.vas_change(cohort)
    assert ch["n"].sum() == 8
    assert ch.set_index("change").loc[0.0, "direction"] == "unchanged"
    assert ch.set_index("change").loc[-4.0, "n"] == 4


def test_bad_grade_named() -> None:
    df = pd.DataFrame({"frankel_pre": ["A", "F"], "frankel_post": ["B", "C"]})
    with pytest.raises(SpinemetsError, match=r"row 2, column 'frankel_pre': value 'F'"):
        outcomes.frankel_shift_table(df)


def test_bad_vas_named() -> None:
    df = pd.DataFrame({"vas_pre": [5, "high"], "vas_post": [2, 3]})
    with pytest.raises(SpinemetsError, match=r"row 2, column 'vas_pre'.*expected a number"):
        outcomes.vas_test(df)
