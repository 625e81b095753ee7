"""spinemets.paper.uncertainty: the beyond-paper results are the notebooks' own, and the
spread summary is checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets.cohort import load_cohort
from spinemets.paper import uncertainty
from spinemets.study import competing_risks, immortal_time, models


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return load_cohort(None, None).patients


def test_beyond_paper_results_are_the_notebooks(patients: pd.DataFrame) -> None:
    results = uncertainty.beyond_paper_results(patients).set_index("quantity")["value"]
    assert list(results.index) == [
        "gray_p_surgery", "shr_metastasectomy", "csh_metastasectomy",
        "td_hr_targeted", "adj_hr_metastasectomy", "adj_td_hr_targeted",
    ]  # fmt: skip
    # each equals the study function the notebooks call (06, 07, 08), row by row
    gray = competing_risks.gray_tests(patients).set_index(["strata", "cause"])["p"]
    assert results["gray_p_surgery"] == gray[("surgery", 1)]
    hrs = competing_risks.comparison_hazard_ratios(patients, conf_level=0.95)
    by_model = hrs[hrs["strata"] == "surgery"].set_index("model")["hr"]
    assert results["shr_metastasectomy"] == by_model["fine_gray"]
    assert results["csh_metastasectomy"] == by_model["cause_specific"]
    starts = immortal_time.adjuvant_starts(patients, seed=20201982)
    td = immortal_time.time_dependent_cox(starts.patients, 0.95).set_index("model")["hr"]
    assert results["td_hr_targeted"] == td["time_dependent"]
    fits = models.fit_os_models(patients) | models.therapy_models(starts.patients)
    table = models.model_table(fits, 0.95).set_index(["model", "term"])["hr"]
    assert results["adj_hr_metastasectomy"] == table["main", "metastasectomy"]
    assert results["adj_td_hr_targeted"] == table["therapy_time_dependent", "treated"]
    assert 0 < results["gray_p_surgery"] < 1 and (results.drop("gray_p_surgery") > 0).all()


def test_spread_by_hand() -> None:
    results = pd.DataFrame({"quantity": ["a", "a", "a", "b"], "value": [3.0, 1.0, 2.0, 5.0]})
    table = uncertainty.spread(results)
    assert table.to_dict("records") == [
        {"quantity": "a", "n": 3, "minimum": 1.0, "median": 2.0, "maximum": 3.0},
        {"quantity": "b", "n": 1, "minimum": 5.0, "median": 5.0, "maximum": 5.0},
    ]
    with_fits = results.assign(
        targeted_progression_surgery=["m", "m", "d", "m"], seed=[1, 2, 1, 1], restarts=8,
        targets_met=[36, 35, 34, 36], targets=37,
    )  # fmt: skip
    fitted = uncertainty.fits(with_fits)[["targeted_progression_surgery", "seed"]]
    assert fitted.values.tolist() == [["m", 1], ["m", 2], ["d", 1]]
