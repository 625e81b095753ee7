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


def _two_groups(values: pd.Series, group: pd.Series) -> list[pd.Series]:
    keep = values.notna() & group.notna()
    labels = sorted(group[keep].astype(str).unique())
    if len(labels) != 2:
        raise SpinemetsError(
            f"standardized_difference: groups {labels}; expected exactly two groups"
        )
    as_text = group[keep].astype(str)
    return [values[keep][as_text == label] for label in labels]


def standardized_difference(
    values: ArrayLike, group: ArrayLike, kind: Literal["continuous", "categorical"]
) -> float:
    """The absolute standardised mean difference of ``values`` between two groups.

    ``kind`` ``continuous`` (Austin's pooled-SD difference of means) or ``categorical``
    (the multinomial SMD of Yang and Dalton; 0/1 variables are categorical with two
    levels). NaN when a group's variance is 0 in both groups (continuous) or every
    level has the same proportion with no variance. Tests:
    tests/methods/test_balance.py::test_smd_matches_r_formulas,
    ::test_two_levels_is_the_binary_formula.
    """
    if kind not in SMD_KINDS:
        raise SpinemetsError(f"kind {kind!r}; expected one of {', '.join(SMD_KINDS)}")
    first, second = _two_groups(pd.Series(np.asarray(values)), pd.Series(np.asarray(group)))
    if min(len(first), len(second)) == 0:
        return float("nan")
    if kind == "continuous":
        a, b = first.astype(float), second.astype(float)
        pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        return float(abs(a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")
    levels = sorted(pd.concat([first, second]).astype(str).unique())
    p1 = np.array([np.mean(first.astype(str) == lv) for lv in levels])[1:]
    p2 = np.array([np.mean(second.astype(str) == lv) for lv in levels])[1:]
    if p1.size == 0:
        return 0.0
    s = -(np.outer(p1, p1) + np.outer(p2, p2)) / 2
    np.fill_diagonal(s, (p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    d = p1 - p2
    if not np.any(s):
        return 0.0 if not np.any(d) else float("nan")
    return float(np.sqrt(max(d @ np.linalg.pinv(s) @ d, 0.0)))
