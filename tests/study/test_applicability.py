"""spinemets.study.applicability: one line saying why an analysis cannot apply."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from spinemets.cohort import load_cohort
from spinemets.errors import NotApplicable, SpinemetsError
from spinemets.study import competing_risks, endpoints
from spinemets.study.applicability import require_events, require_groups

CORPUS = Path(__file__).parents[1] / "data" / "cohorts" / "corpus"


def test_require_groups() -> None:
    df = pd.DataFrame({"surgery": ["b", "a", "b", None]})
    assert require_groups(df, "surgery") == ["a", "b"]
    with pytest.raises(NotApplicable, match=r"^surgery: one group \(b\) in this cohort"):
        require_groups(df[df.surgery == "b"], "surgery")
    with pytest.raises(NotApplicable, match="surgery: no group in this cohort"):
        require_groups(df.iloc[3:], "surgery")
    assert issubclass(NotApplicable, SpinemetsError) and NotApplicable.kind == "cannot apply"


def test_require_events() -> None:
    assert require_events([0, 1, 1], "deaths") == 2
    with pytest.raises(NotApplicable, match="no deaths in this cohort; nothing to estimate"):
        require_events(pd.Series([0, 0]), "deaths")


def test_a_cohort_with_one_surgery_group_gets_reasons_not_errors() -> None:
    """The corpus's valid cohort with only decompression patients (tests/data)."""
    case = CORPUS / "ok_degenerate_one_surgery_group"
    patients = load_cohort(case / "patients.csv", case / "complications.csv").patients
    one_line = r"^surgery: one group \(decompression\) in this cohort; nothing to compare$"
    for analysis in (
        lambda: competing_risks.gray_tests(patients),
        lambda: competing_risks.comparison_hazard_ratios(patients),
        lambda: endpoints.permutation_table(patients, n_permutations=10),
        lambda: endpoints.progressions_by_group(patients, "surgery"),
    ):
        with pytest.raises(NotApplicable, match=one_line):
            analysis()
    # analyses that do not compare surgeries still apply
    assert len(endpoints.survival_tables(patients, strata=["all"]).medians) == 2
