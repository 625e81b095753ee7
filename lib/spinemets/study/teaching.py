"""A simulated teaching cohort whose answer is known: confounding, adjustment,
propensity weighting and the E-value.

The bundled synthetic cohort cannot teach adjustment: its survival times were placed
within the four surgery x therapy cells independently of every other covariate, so it
has no prognostic structure and no confounding, and every adjusted hazard ratio on it is
noise around 1. This module simulates a cohort with a *known* structure instead
(:func:`simulate_teaching_cohort`, seeded):

* three pre-operative factors: ``visceral_mets`` (50 %), ``nonambulatory`` (30 %) and
  ``age`` (normal, mean 62, SD 10 years; ``age_per_10y`` = (age - 62) / 10);
* **confounding by indication**: fitter patients are more often operated on radically,
  ``logit P(metastasectomy) = 0.3 - 1.2 visceral - 1.0 nonambulatory - 0.4 age_per_10y``
  (:data:`TREATMENT_LOGIT`);
* exponential survival with the hazard ratios of :data:`TRUE_HR` (metastasectomy **0.8**,
  visceral metastases 2.0, non-ambulatory 1.8, age 1.3 per 10 years) and a baseline
  median of 24 months; censoring uniform between 12 and 60 months (most patients die:
  a *common* outcome, which matters for the E-value).

The true conditional hazard ratio of metastasectomy (the adjusted Cox model's target)
is 0.8 by construction. Inverse probability weighting targets the *marginal* hazard
ratio instead, which is closer to 1 because hazard ratios are non-collapsible; its true
value is computed from potential outcomes (:func:`true_marginal_hr`: every simulated
patient's survival with and without the operation, same censoring). :func:`adjustment_table`
sets the crude, adjusted, weighted and "one confounder unmeasured" estimates beside their
truths; :func:`balance_table` checks the weighting; :func:`e_value_table` gives the
E-values (common-outcome transform). Tests: ``tests/study/test_teaching.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ..methods.balance import standardized_difference
from ..methods.confounding import e_value, ipw_weights, propensity_scores
from ..methods.cox import coxph

__all__ = [
    "CONFOUNDERS",
    "TEACHING_SEED",
    "TREATMENT_LOGIT",
    "TRUE_HR",
    "adjustment_table",
    "balance_table",
    "e_value_table",
    "simulate_teaching_cohort",
    "true_marginal_hr",
]

#: The named seed of the teaching cohort.
TEACHING_SEED = 20170815
#: True (conditional) hazard ratios of the simulation.
TRUE_HR: dict[str, float] = {
    "metastasectomy": 0.8,
    "visceral_mets": 2.0,
    "nonambulatory": 1.8,
    "age_per_10y": 1.3,
}
#: Coefficients of the logistic model that assigns metastasectomy (intercept first).
TREATMENT_LOGIT: dict[str, float] = {
    "intercept": 0.3,
    "visceral_mets": -1.2,
    "nonambulatory": -1.0,
    "age_per_10y": -0.4,
}
#: The measured confounders, in table order.
CONFOUNDERS: tuple[str, ...] = ("visceral_mets", "nonambulatory", "age_per_10y")
#: Baseline median survival (months) and the censoring window.
BASELINE_MEDIAN = 24.0
CENSORING = (12.0, 60.0)


def _covariates(rng: np.random.Generator, n: int) -> pd.DataFrame:
    age = np.round(rng.normal(62, 10, n))
    return pd.DataFrame(
        {
            "age": age,
            "visceral_mets": (rng.uniform(size=n) < 0.5).astype(int),
            "nonambulatory": (rng.uniform(size=n) < 0.3).astype(int),
            "age_per_10y": (age - 62) / 10,
        }
    )


def _linear(x: pd.DataFrame, coefficients: dict[str, float]) -> np.ndarray:
    return sum(coefficients[c] * x[c].to_numpy(dtype=float) for c in CONFOUNDERS)  # type: ignore[return-value]


def _times(
    rng: np.random.Generator, x: pd.DataFrame, treated: np.ndarray, u: np.ndarray
) -> np.ndarray:
    log_hr = {k: math.log(v) for k, v in TRUE_HR.items()}
    eta = _linear(x, log_hr) + log_hr["metastasectomy"] * treated
    rate = math.log(2) / BASELINE_MEDIAN * np.exp(eta)
    return -np.log(u) / rate


def simulate_teaching_cohort(n: int = 2000, seed: int = TEACHING_SEED) -> pd.DataFrame:
    """``n`` simulated patients with the structure of the module docstring.

    The default 2,000 patients keep the simulation error of an adjusted hazard ratio to
    about +-12 % (95 %): with a few hundred, a single draw can land far from the truth
    (try other seeds to see the spread).

    Columns: patient_id (T0001...), age, visceral_mets, nonambulatory, age_per_10y,
    metastasectomy (0/1), time (months), event (1 = died). Deterministic for a seed.
    Tests: tests/study/test_teaching.py::test_teaching_cohort_has_the_stated_structure.
    """
    if n < 20:
        raise SpinemetsError(f"teaching cohort: n = {n}; expected at least 20 patients")
    rng = np.random.default_rng(seed)
    x = _covariates(rng, n)
    logit = TREATMENT_LOGIT["intercept"] + _linear(x, TREATMENT_LOGIT)
    treated = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    death = _times(rng, x, treated, rng.uniform(size=n))
    censor = rng.uniform(*CENSORING, size=n)
    out = x.copy()
    out.insert(0, "patient_id", [f"T{i + 1:04d}" for i in range(n)])
    out["metastasectomy"] = treated
    out["time"] = np.round(np.minimum(death, censor), 3)
    out["event"] = (death <= censor).astype(int)
    return out


def true_marginal_hr(n: int = 100_000, seed: int = TEACHING_SEED + 1) -> float:
    """The marginal hazard ratio of metastasectomy in the teaching population: every one
    of ``n`` simulated patients followed both with and without the operation (the same
    uniform draw for both survival times, the same censoring), the Cox hazard ratio of
    the ``2n`` potential outcomes (treatment then independent of every covariate).
    Tests: tests/study/test_teaching.py::test_adjustment_recovers_the_truth.
    """
    rng = np.random.default_rng(seed)
    x = _covariates(rng, n)
    u = rng.uniform(size=n)
    censor = rng.uniform(*CENSORING, size=n)
    times = [np.minimum(_times(rng, x, np.full(n, a), u), censor) for a in (1, 0)]
    events = [(_times(rng, x, np.full(n, a), u) <= censor).astype(int) for a in (1, 0)]
    fit = coxph(
        np.r_[times[0], times[1]],
        np.r_[events[0], events[1]],
        np.r_[np.ones(n), np.zeros(n)],
        names=("metastasectomy",),
    )
    return float(np.exp(fit.coef[0]))


def _weights(cohort: pd.DataFrame, confounders: tuple[str, ...] = CONFOUNDERS) -> np.ndarray:
    ps = propensity_scores(cohort[list(confounders)], cohort["metastasectomy"])
    return ipw_weights(cohort["metastasectomy"], ps)


def adjustment_table(
    cohort: pd.DataFrame, marginal_hr: float, conf_level: float = 0.95
) -> pd.DataFrame:
    """The hazard ratio of metastasectomy estimated four ways, beside the truth it targets.

    Rows (method): ``crude`` (Cox, metastasectomy alone), ``adjusted`` (Cox with the
    three confounders; target: the conditional HR, :data:`TRUE_HR`), ``ipw`` (Cox weighted
    by stabilised inverse probability weights from a logistic propensity model of the
    three confounders, robust SE; target: the marginal HR, ``marginal_hr``), and
    ``adjusted, nonambulatory unmeasured`` (the adjusted model without it: residual
    confounding). Columns: method, target, true_hr, hr, lower, upper, covers_truth,
    conf_level. Tests: tests/study/test_teaching.py::test_adjustment_recovers_the_truth.
    """
    t, e = cohort["time"], cohort["event"]
    treated = cohort[["metastasectomy"]].astype(float)
    conditional = TRUE_HR["metastasectomy"]
    partial = tuple(c for c in CONFOUNDERS if c != "nonambulatory")
    fits = {
        "crude": (coxph(t, e, treated), "none (confounded)", conditional),
        "adjusted": (
            coxph(t, e, cohort[["metastasectomy", *CONFOUNDERS]].astype(float)),
            "conditional",
            conditional,
        ),
        "ipw": (
            coxph(t, e, treated, weights=_weights(cohort), robust=True),
            "marginal",
            marginal_hr,
        ),
        "adjusted, nonambulatory unmeasured": (
            coxph(t, e, cohort[["metastasectomy", *partial]].astype(float)),
            "conditional",
            conditional,
        ),
    }
    rows = []
    for method, (fit, target, truth) in fits.items():
        first = fit.table(conf_level).iloc[0]
        rows.append(
            {
                "method": method,
                "target": target,
                "true_hr": truth,
                "hr": first["hr"],
                "lower": first["lower"],
                "upper": first["upper"],
                "covers_truth": bool(first["lower"] <= truth <= first["upper"]),
                "conf_level": conf_level,
            }
        )
    return pd.DataFrame(rows)


def _smd_kind(values: pd.Series) -> str:
    """0/1 confounders as categories (the binary SMD), the others as numbers."""
    return "categorical" if set(values.unique()) <= {0, 1} else "continuous"


def balance_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Absolute standardised differences between the operated and the others of each
    confounder (:func:`spinemets.methods.balance.standardized_difference`: binary SMD
    for 0/1 confounders, Austin's for age), before and after the inverse probability
    weighting of :func:`adjustment_table`.
    Columns: covariate, smd_unweighted, smd_weighted.
    Tests: tests/study/test_teaching.py::test_weighting_balances_the_confounders.
    """
    w = _weights(cohort)
    t = cohort["metastasectomy"]
    return pd.DataFrame(
        [
            {
                "covariate": c,
                "smd_unweighted": standardized_difference(cohort[c], t, _smd_kind(cohort[c])),
                "smd_weighted": standardized_difference(cohort[c], t, _smd_kind(cohort[c]), w),
            }
            for c in CONFOUNDERS
        ]
    )


def e_value_table(adjustment: pd.DataFrame) -> pd.DataFrame:
    """E-values of each row of :func:`adjustment_table` (common outcome: the square-root
    transform of the hazard ratio, :func:`spinemets.methods.confounding.e_value`).
    Columns: method, hr, lower, upper, risk_ratio, e_value, e_value_ci, outcome.
    Tests: tests/study/test_teaching.py::test_e_value_table.
    """
    rows = []
    for r in adjustment.itertuples():
        ev = e_value(r.hr, r.lower, r.upper, rare=False)
        rows.append(
            {
                "method": r.method,
                "hr": r.hr,
                "lower": r.lower,
                "upper": r.upper,
                "risk_ratio": ev.risk_ratio,
                "e_value": ev.e_value,
                "e_value_ci": ev.e_value_ci,
                "outcome": "common (sqrt transform)",
            }
        )
    return pd.DataFrame(rows)
