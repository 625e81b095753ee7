"""spinemets.study.teaching: the simulated teaching cohort has the structure its
docstring states, and adjustment recovers the truth within simulation error.

Every check uses a large seeded sample and a tolerance from the estimate's own standard
error (so a failure is a real bias, with a probability below 1 in 300 by chance)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from spinemets.errors import SpinemetsError
from spinemets.methods.confounding import e_value
from spinemets.methods.cox import coxph
from spinemets.study import teaching

LARGE = 20_000


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return teaching.simulate_teaching_cohort(LARGE, seed=11)


@pytest.fixture(scope="module")
def marginal() -> float:
    return teaching.true_marginal_hr()


def test_teaching_cohort_has_the_stated_structure(large: pd.DataFrame) -> None:
    again = teaching.simulate_teaching_cohort(LARGE, seed=11)
    pd.testing.assert_frame_equal(large, again)
    assert large["patient_id"].iloc[0] == "T0001" and large["patient_id"].is_unique
    # the treatment model: logistic coefficients within 3.5 SE of TREATMENT_LOGIT
    x = sm.add_constant(large[list(teaching.CONFOUNDERS)].astype(float))
    fit = sm.GLM(large["metastasectomy"], x, family=sm.families.Binomial()).fit()
    truth = [teaching.TREATMENT_LOGIT[k] for k in ("intercept", *teaching.CONFOUNDERS)]
    assert np.all(np.abs(fit.params.to_numpy() - truth) < 3.5 * fit.bse.to_numpy())
    # the outcome model: every true log hazard ratio within 3.5 SE (full model)
    cols = ["metastasectomy", *teaching.CONFOUNDERS]
    cox = coxph(large["time"], large["event"], large[cols].astype(float))
    truth = np.log([teaching.TRUE_HR[c] for c in cols])
    assert np.all(np.abs(cox.coef - truth) < 3.5 * cox.se)
    assert 0.6 < large["event"].mean() < 0.9  # a common outcome
    with pytest.raises(SpinemetsError, match="at least 20"):
        teaching.simulate_teaching_cohort(5)


def test_adjustment_recovers_the_truth(large: pd.DataFrame, marginal: float) -> None:
    """Adjusted Cox within 3 SE of the conditional HR 0.8, IPW within 3 robust SE of
    the marginal HR; the crude HR is biased (more than 5 SE off), the model missing a
    confounder partly so; the marginal HR lies between the conditional one and 1."""
    table = teaching.adjustment_table(large, marginal).set_index("method")
    z = 1.959963984540054  # qnorm(0.975)

    def se(row: pd.Series) -> float:
        return (math.log(row["upper"]) - math.log(row["lower"])) / (2 * z)

    def off(method: str) -> float:
        row = table.loc[method]
        return abs(math.log(row["hr"]) - math.log(row["true_hr"])) / se(row)

    assert off("adjusted") < 3 and off("ipw") < 3
    assert off("crude") > 5
    # leaving out a confounder that makes surgery less likely and death more likely
    # flatters surgery: the estimate moves from the adjusted one towards the crude one
    hr = table["hr"]
    assert hr["crude"] < hr["adjusted, nonambulatory unmeasured"] < hr["adjusted"]
    assert table.loc["ipw", "true_hr"] == marginal
    assert teaching.TRUE_HR["metastasectomy"] < marginal < 1
    row = table.loc["adjusted"]
    assert row["covers_truth"] == (row["lower"] <= row["true_hr"] <= row["upper"])


def test_weighting_balances_the_confounders(large: pd.DataFrame) -> None:
    table = teaching.balance_table(large)
    assert table["covariate"].tolist() == list(teaching.CONFOUNDERS)
    assert (table["smd_unweighted"] > 0.2).all()  # imbalanced before weighting
    assert (table["smd_weighted"] < 0.05).all()  # balanced after
    operated = large[large["metastasectomy"] == 1]
    others = large[large["metastasectomy"] == 0]
    for confounder in teaching.CONFOUNDERS:  # the operated are fitter (younger, fewer risks)
        assert operated[confounder].mean() < others[confounder].mean()


def test_e_value_table() -> None:
    cohort = teaching.simulate_teaching_cohort(400, seed=2)
    adjustment = teaching.adjustment_table(cohort, 0.82)
    table = teaching.e_value_table(adjustment)
    for row in table.itertuples():
        ev = e_value(row.hr, row.lower, row.upper, rare=False)
        assert row.e_value == ev.e_value and row.e_value_ci == ev.e_value_ci
    assert (table["outcome"] == "common (sqrt transform)").all()
    assert table["method"].tolist() == adjustment["method"].tolist()
