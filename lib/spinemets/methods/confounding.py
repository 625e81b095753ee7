"""Measured and unmeasured confounding: propensity scores, inverse probability weights
and the E-value (the balance check of a weighting, the weighted standardised
difference, lives with the other standardised differences in
:func:`spinemets.methods.balance.standardized_difference`).

* :func:`propensity_scores`: P(treated | x) from a logistic regression (statsmodels
  ``GLM`` with a binomial family, logit link; R ``glm(family = binomial)``, fitted
  values).
* :func:`ipw_weights`: inverse probability of treatment weights, ``1 / e(x)`` for the
  treated and ``1 / (1 - e(x))`` for the others; *stabilised* (the default) multiplies
  them by the marginal share of the group each patient is in, so that the weights
  average about 1. A weighted Cox model with a robust (sandwich) variance,
  :func:`spinemets.methods.cox.coxph` ``(weights=..., robust=True)``, then estimates the
  **marginal** hazard ratio (the population's, had everyone or no one been treated),
  which differs from the **conditional** hazard ratio of a covariate-adjusted Cox model
  even without any confounding, because hazard ratios are non-collapsible.
* :func:`e_value`: the minimum strength of association, on the risk-ratio scale, that an
  unmeasured confounder would need with both the treatment and the outcome to explain
  away an observed association (VanderWeele & Ding 2017, Ann Intern Med 167:268):
  ``E = RR + sqrt(RR (RR - 1))`` for RR >= 1 (use 1 / RR below 1). For a **hazard
  ratio**, RR ~ HR only when the outcome is *rare* (under about 15 % by the end of
  follow-up); for a *common* outcome (most patients here die) the approximation
  ``RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1 / HR))`` is used (VanderWeele 2020,
  the ``EValue`` package's ``evalues.HR(rare = FALSE)``). The E-value of a confidence
  interval is that of the limit closest to 1 (1 when the interval contains 1).

Tests: ``tests/methods/test_confounding.py`` (R ``glm`` and weighted ``coxph`` on
survival's ``lung`` from ``tests/fixtures/r_confounding.R``; the E-value by hand).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning
from statsmodels.tools.tools import add_constant

from ..errors import SpinemetsError

__all__ = [
    "EValue",
    "e_value",
    "ipw_weights",
    "propensity_scores",
]


def _binary(treated: object, name: str = "treated") -> np.ndarray:
    values = np.asarray(treated, dtype=np.float64).ravel()
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(f"{name}: row {i}, value {float(values[i])!r}; expected 0 or 1")
    if values.min() == values.max():
        raise SpinemetsError(f"{name}: every value is {values[0]:g}; expected both 0 and 1")
    return values


def propensity_scores(x: pd.DataFrame, treated: object) -> np.ndarray:
    """P(treated = 1 | x) by logistic regression with an intercept (statsmodels GLM,
    binomial family; R ``fitted(glm(treated ~ x, family = binomial))``).

    Raises :class:`SpinemetsError` for a treatment that is not 0/1, or for perfect
    separation (a fitted probability of 0 or 1: no weight exists).
    Tests: tests/methods/test_confounding.py::test_propensity_and_weighted_cox_match_r.
    """
    t = _binary(treated)
    design = add_constant(x.astype(float), has_constant="add")
    with warnings.catch_warnings():  # separation is refused below, in one clear line
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = GLM(t, design, family=Binomial()).fit(tol=1e-12, maxiter=100)
    ps = np.asarray(fit.fittedvalues, dtype=np.float64)
    if (ps < 1e-8).any() or (ps > 1 - 1e-8).any():
        raise SpinemetsError(
            "propensity scores: a fitted probability is 0 or 1 (the covariates separate "
            "the groups); inverse probability weights do not exist"
        )
    return ps


def ipw_weights(treated: object, propensity: object, stabilized: bool = True) -> np.ndarray:
    """Inverse probability of treatment weights for the average treatment effect.

    ``1 / e`` for the treated, ``1 / (1 - e)`` for the others; stabilised: times the
    share of the treated (or of the others). Tests:
    tests/methods/test_confounding.py::test_ipw_weights_by_hand and
    ::test_propensity_and_weighted_cox_match_r.
    """
    t = _binary(treated)
    e = np.asarray(propensity, dtype=np.float64).ravel()
    if e.size != t.size:
        raise SpinemetsError(f"propensity: {e.size} values for {t.size} patients")
    if not ((e > 0) & (e < 1)).all():
        raise SpinemetsError("propensity: every value must lie strictly between 0 and 1")
    weights = np.where(t == 1, 1 / e, 1 / (1 - e))
    if stabilized:
        share = t.mean()
        weights = weights * np.where(t == 1, share, 1 - share)
    return weights


@dataclass(frozen=True)
class EValue:
    """E-values of an estimate and of its confidence limit closest to 1."""

    estimate: float
    risk_ratio: float
    e_value: float
    e_value_ci: float
    rare: bool


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def _hr_to_rr(hr: float, rare: bool) -> float:
    if rare:
        return hr
    return (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))


def e_value(
    hr: float, lower: float | None = None, upper: float | None = None, rare: bool = False
) -> EValue:
    """The E-value of a hazard ratio and of its confidence interval.

    ``rare`` True: RR = HR (outcome under about 15 % by the end of follow-up); False
    (the default, and the case of a cohort where most patients die): RR =
    ``(1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))``. The interval's E-value is that of
    the limit closer to 1, or 1 if the interval contains 1. Tests:
    tests/methods/test_confounding.py::test_e_value_by_hand.
    """
    for name, value in (("hr", hr), ("lower", lower), ("upper", upper)):
        if value is not None and not value > 0:
            raise SpinemetsError(f"e_value: {name} {value!r}; expected a positive ratio")
    rr = _hr_to_rr(hr, rare)
    ci = 1.0
    if lower is not None and upper is not None:
        if lower > 1:
            ci = _e(_hr_to_rr(lower, rare))
        elif upper < 1:
            ci = _e(_hr_to_rr(upper, rare))
    return EValue(hr, rr, _e(rr), ci, rare)
