"""spinemets.study.characteristics on small hand-made cohorts; values by hand arithmetic."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from spinemets.cohort import Cohort
from spinemets.errors import NotApplicable, SpinemetsError
from spinemets.output import RunOutput
from spinemets.paper import scorecard
from spinemets.study import characteristics as tables
from spinemets.study.characteristics import Variable

VARS = (
    Variable("age", "Age, years", "continuous"),
    Variable("nephrectomy", "Radical nephrectomy", "binary"),
    Variable("spine_region", "Spine region", "categorical", ("cervical", "thoracic", "lumbar")),
)


VAR_NAMES = [v.column for v in VARS]


@pytest.fixture
def cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(1, 11)],
            "surgery": ["metastasectomy"] * 4 + ["decompression"] * 6,
            "age": [40, 50, 60, 70, 30, 35, 45, 55, 65, 75],
            "nephrectomy": [1, 1, 1, 0, 1, 0, 0, 0, 0, 1],
            "spine_region": [
                "thoracic",
                "thoracic",
                "lumbar",
                None,
                "cervical",
                "thoracic",
                "lumbar",
                "lumbar",
                "thoracic",
                "thoracic",
            ],
        }
    )


def cell(long: pd.DataFrame, variable: str, level: str, group: str) -> pd.Series:
    sel = long[(long.variable == variable) & (long.level == level) & (long.group == group)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_columns_and_order(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    assert tuple(long.columns) == tables.LONG_COLUMNS
    assert list(long.group[:3]) == ["all", "metastasectomy", "decompression"]
    assert list(dict.fromkeys(long.variable)) == ["patients", "age", "nephrectomy", "spine_region"]
    levels = list(dict.fromkeys(long[long.variable == "spine_region"].level))
    assert levels == ["cervical", "thoracic", "lumbar", "missing"]


def test_counts_and_percentages(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    assert cell(long, "nephrectomy", "yes", "metastasectomy").summary == "3 (75.0%)"
    assert cell(long, "nephrectomy", "yes", "decompression").summary == "2 (33.3%)"
    assert cell(long, "nephrectomy", "yes", "all").summary == "5 (50.0%)"
    # percentages of patients with a known value: 2 of 3 known in metastasectomy
    row = cell(long, "spine_region", "thoracic", "metastasectomy")
    assert (row.n, row.percent) == (2, pytest.approx(200 / 3))
    assert cell(long, "spine_region", "missing", "metastasectomy").n == 1
    assert cell(long, "spine_region", "missing", "decompression").n == 0


def test_median_iqr_range_type7(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    # 40, 50, 60, 70: median 55, Q1 = 40 + 0.75 * 10, Q3 = 60 + 0.25 * 10 (R type 7)
    assert cell(long, "age", "median (IQR)", "metastasectomy").summary == "55 (47.5–62.5)"
    assert cell(long, "age", "range", "metastasectomy").summary == "40–70"
    assert cell(long, "age", "median (IQR)", "all").summary == "52.5 (41.25–63.75)"


def test_fisher_when_expected_below_threshold(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    row = cell(long, "nephrectomy", "yes", "all")
    assert row.test == "Fisher's Exact Test for Count Data"
    # table yes/no x groups = [[3, 2], [1, 4]]; hypergeometric weights C(4,x) C(6,5-x) for
    # x = 0..4 are 6, 60, 120, 60, 6 (of 252); p = (6 + 60 + 60 + 6) / 252.
    assert row.p == pytest.approx(132 / 252)


def test_mann_whitney_against_enumeration(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    row = cell(long, "age", "range", "all")
    assert row.test == "Wilcoxon rank sum exact test"
    assert row.statistic == 14  # ranks 3 + 5 + 7 + 9 - 4 * 5 / 2
    # exact null: every choice of 4 of the 10 ranks is equally likely
    u = [sum(c) - 10 for c in itertools.combinations(range(1, 11), 4)]
    p = 2 * sum(x >= 14 for x in u) / len(u)
    assert row.p == pytest.approx(p)


def test_rule_chooses_chisq_or_fisher() -> None:
    # The paper's local progression table: smallest expected count 6.24 >= 5 -> chi-square.
    res = tables.categorical_test(np.array([[3, 36], [13, 48]]))
    assert res is not None and res.method.startswith("Pearson")
    assert round(res.statistic, 2) == 2.35
    # smallest expected count 8 * 39 / 100 = 3.12 < 5 -> Fisher
    res = tables.categorical_test(np.array([[2, 37], [6, 55]]))
    assert res is not None and res.method.startswith("Fisher")
    # a threshold of 3 keeps the chi-square
    res = tables.categorical_test(np.array([[2, 37], [6, 55]]), fisher_threshold=3)
    assert res is not None and res.method.startswith("Pearson")
    # one non-empty level: nothing to test
    assert tables.categorical_test(np.array([[0, 0], [39, 61]])) is None


def test_overall_table_has_no_p(cohort: pd.DataFrame) -> None:
    long = tables.table1(cohort, variables=(*VARS, tables.TABLE1_VARIABLES[1]))
    assert long.p.isna().all() and (long.test == "").all()
    assert "surgery" in set(long.variable)


def test_wide_table(cohort: pd.DataFrame) -> None:
    wide = tables.wide_table(tables.characteristics(cohort, by="surgery", variables=VARS))
    assert list(wide.columns) == [
        "characteristic",
        "level",
        "all (n=10)",
        "metastasectomy (n=4)",
        "decompression (n=6)",
        "SMD",
        "p",
        "test",
    ]
    assert list(wide.characteristic[:3]) == ["Age, years", "", "Radical nephrectomy"]
    assert wide.loc[2, "p"] == "0.524" and wide.loc[2, "test"] == "Fisher exact"
    assert wide.loc[2, "SMD"] == "0.92" and wide.loc[4, "SMD"] == ""  # first row only


def test_standardized_differences_by_hand(cohort: pd.DataFrame) -> None:
    long = tables.characteristics(cohort, by="surgery", variables=VARS)
    smd = long.drop_duplicates("variable").set_index("variable")["smd"]
    assert np.isnan(smd["patients"])
    a, b = np.array([40.0, 50, 60, 70]), np.array([30.0, 35, 45, 55, 65, 75])
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    assert smd["age"] == pytest.approx(abs(a.mean() - b.mean()) / pooled, rel=1e-12)
    p1, p2 = 3 / 4, 2 / 6  # nephrectomy: 3 of 4 vs 2 of 6
    by_hand = abs(p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    assert smd["nephrectomy"] == pytest.approx(by_hand, rel=1e-12)
    assert smd["spine_region"] > 0  # three levels, the missing value left out
    overall = tables.table1(cohort, variables=VARS)
    assert overall.smd.isna().all()
    summary = tables.standardized_differences(long)
    assert summary.variable.tolist() == sorted(VAR_NAMES, key=lambda v: -smd[v])
    assert summary.set_index("variable").smd.to_dict() == {v: smd[v] for v in VAR_NAMES}
    assert (summary.imbalanced == (summary.smd > 0.1)).all()


def test_deterministic_and_row_order_invariant(cohort: pd.DataFrame, tmp_path) -> None:
    a = tables.characteristics(cohort, by="surgery", variables=VARS)
    b = tables.characteristics(cohort.iloc[::-1], by="surgery", variables=VARS)
    pd.testing.assert_frame_equal(a, b)
    out = RunOutput(tmp_path)
    tables.write_characteristics(out, a, "t")
    first = (tmp_path / "tables" / "t_wide.md").read_bytes()
    tables.write_characteristics(out, b, "t")
    assert (tmp_path / "tables" / "t_wide.md").read_bytes() == first
    assert (tmp_path / "tables" / "t.csv").exists()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("nephrectomy", 2, "expected 0 or 1"),
        ("spine_region", "sacral", "expected one of cervical, thoracic, lumbar"),
        ("age", "old", "expected a number"),
    ],
)
def test_bad_values_name_row_and_column(cohort, column, value, expected) -> None:
    bad = cohort.astype({column: object})
    bad.loc[6, column] = value
    with pytest.raises(SpinemetsError, match=rf"row 7 \(patient_id P7\), column '{column}'.*"):
        tables.characteristics(bad, by="surgery", variables=VARS)
    with pytest.raises(SpinemetsError, match=expected):
        tables.characteristics(bad, by="surgery", variables=VARS)


def test_more_than_two_groups_refused(cohort: pd.DataFrame) -> None:
    with pytest.raises(NotApplicable, match="exactly two groups"):
        tables.characteristics(cohort, by="spine_region", variables=VARS[:2])


def test_missing_column_named(cohort: pd.DataFrame) -> None:
    with pytest.raises(SpinemetsError, match="'biopsy' is missing"):
        tables.characteristics(cohort, variables=(Variable("biopsy", "Biopsy", "binary"),))


def test_published_beside_reproduced(cohort: pd.DataFrame) -> None:
    from spinemets.paper.claims import Claim

    claims = [
        Claim(
            "age_med",
            "results",
            "median age",
            "52",
            "years",
            0.5,
            "median",
            {"column": "age"},
            value=52.0,
        ),
        Claim(
            "neph",
            "results",
            "nephrectomy",
            "60",
            "percent",
            0.5,
            "percent",
            {"where": {"nephrectomy": 1}},
            value=60.0,
        ),
    ]
    whole = Cohort(cohort, cohort.iloc[:0], is_synthetic=False, label="test", source_files=())
    got = scorecard.compare(whole, ["neph", "age_med"], claims)
    assert got.claim.tolist() == ["neph", "age_med"]
    # ages 30..75: median (50 + 55) / 2 = 52.5, within 0.5 of 52; nephrectomy 5 of 10 = 50%
    # shown at the printed precision (whole numbers): 52.5 prints as 52
    assert got.reproduced.tolist() == ["50", "52"]
    assert got.status.tolist() == ["differs", "within rounding"]
