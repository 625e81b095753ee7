"""Standardised mean differences: how far apart two groups are on a characteristic.

Unlike a p-value, a standardised difference does not grow with the sample size, which
is why STROBE (and Austin 2009, Stat Med 28:3083) prefer it for describing baseline
balance. Definitions (Austin 2009; Yang and Dalton 2012, SAS Global Forum 335 for
several categories), the definitions R's ``tableone`` uses:

* a number: ``|mean_1 - mean_2| / sqrt((var_1 + var_2) / 2)`` (sample variances, n - 1);
* categories (a 0/1 variable is the case of two): the multinomial (Mahalanobis)
  distance ``sqrt((p_1 - p_2)' S^-1 (p_1 - p_2))`` between the groups' proportions of
  every level but the first, with ``S`` the average of the two multinomial covariance
  matrices (``S_kk = (p_1k (1 - p_1k) + p_2k (1 - p_2k)) / 2``, ``S_kl = -(p_1k p_1l +
  p_2k p_2l) / 2``); a generalised (Moore-Penrose) inverse when ``S`` is singular, as
  tableone. For two levels it is ``|p_1 - p_2| / sqrt((p_1 (1 - p_1) + p_2 (1 - p_2)) / 2)``.

Always >= 0; an |SMD| above 0.1 is the usual flag of imbalance. Missing values are
left out of each variable. Tests: ``tests/methods/test_balance.py`` (formulas written
independently in R, ``tests/fixtures/r_lessons.R``, and by hand).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ._validate import ArrayLike

__all__ = ["SMD_KINDS", "standardized_difference"]

#: What :func:`standardized_difference` accepts as ``kind``.
SMD_KINDS = ("continuous", "categorical")


def _two_groups(
    values: pd.Series, group: pd.Series, weights: pd.Series
) -> list[tuple[pd.Series, np.ndarray]]:
    keep = (values.notna() & group.notna()).to_numpy()
    codes, texts = pd.factorize(group[keep].astype(str).to_numpy())
    labels = sorted(texts)
    if len(labels) != 2:
        raise SpinemetsError(
            f"standardized_difference: groups {labels}; expected exactly two groups"
        )
    kept_values, kept_weights = values[keep], weights.to_numpy(float)[keep]
    masks = [codes == list(texts).index(label) for label in labels]
    return [(kept_values[m], kept_weights[m]) for m in masks]


def _level_codes(first: pd.Series, second: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Each value's level as text, coded 0, 1, ... in sorted order of the levels."""
    text = pd.concat([first, second]).astype(str).to_numpy()
    codes, uniques = pd.factorize(text)
    order = sorted(range(len(uniques)), key=lambda i: uniques[i])
    rank = np.empty(len(uniques), dtype=np.intp)
    rank[order] = np.arange(len(uniques))
    ranked = rank[codes]
    return ranked[: len(first)], ranked[len(first) :], len(uniques)


def _weighted_variance(x: np.ndarray, w: np.ndarray) -> float:
    """Austin & Stuart's (2015) weighted variance, sum(w) / (sum(w)^2 - sum(w^2)) *
    sum(w (x - mean_w)^2): the sample variance (n - 1) when every weight is 1."""
    mean = np.average(x, weights=w)
    denominator = w.sum() ** 2 - (w**2).sum()
    if denominator <= 0:
        return float("nan")
    return float(w.sum() / denominator * np.sum(w * (x - mean) ** 2))


def standardized_difference(
    values: ArrayLike,
    group: ArrayLike,
    kind: Literal["continuous", "categorical"],
    weights: ArrayLike | None = None,
) -> float:
    """The absolute standardised mean difference of ``values`` between two groups.

    ``kind`` ``continuous`` (Austin's pooled-SD difference of means) or ``categorical``
    (the multinomial SMD of Yang and Dalton; 0/1 variables are categorical with two
    levels). With ``weights`` (e.g. inverse probability weights) the means, proportions
    and variances are weighted as Austin & Stuart 2015 (Stat Med 34:3661) define them
    (:func:`_weighted_variance`); without, they are the plain ones above. NaN when a
    group's variance is 0 in both groups (continuous) or every level has the same
    proportion with no variance. Tests:
    tests/methods/test_balance.py::test_smd_matches_r_formulas,
    ::test_two_levels_is_the_binary_formula, ::test_weighted_smd_by_hand.
    """
    if kind not in SMD_KINDS:
        raise SpinemetsError(f"kind {kind!r}; expected one of {', '.join(SMD_KINDS)}")
    series = pd.Series(np.asarray(values))
    w = pd.Series(np.ones(len(series)) if weights is None else np.asarray(weights, float))
    if len(w) != len(series) or not np.all(np.isfinite(w)) or (w < 0).any():
        raise SpinemetsError("standardized_difference: weights must be finite, >= 0, one per value")
    (first, w1), (second, w2) = _two_groups(series, pd.Series(np.asarray(group)), w)
    if min(len(first), len(second)) == 0:
        return float("nan")
    if kind == "continuous":
        a, b = first.to_numpy(float), second.to_numpy(float)
        pooled = np.sqrt((_weighted_variance(a, w1) + _weighted_variance(b, w2)) / 2)
        difference = np.average(a, weights=w1) - np.average(b, weights=w2)
        return float(abs(difference) / pooled) if pooled > 0 else float("nan")
    c1, c2, n_levels = _level_codes(first, second)
    p1 = np.array([np.average(c1 == k, weights=w1) for k in range(n_levels)])[1:]
    p2 = np.array([np.average(c2 == k, weights=w2) for k in range(n_levels)])[1:]
    if p1.size == 0:
        return 0.0
    s = -(np.outer(p1, p1) + np.outer(p2, p2)) / 2
    np.fill_diagonal(s, (p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    d = p1 - p2
    if not np.any(s):
        return 0.0 if not np.any(d) else float("nan")
    return float(np.sqrt(max(d @ np.linalg.pinv(s) @ d, 0.0)))
