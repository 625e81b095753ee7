"""Median survival and its confidence interval, as R's print.survfit reports them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .km import KaplanMeier

#: R's tolerance for "the curve is at 0.5" (``sqrt(.Machine$double.eps)``).
TOLERANCE: float = float(np.sqrt(np.finfo(np.float64).eps))


class Median(NamedTuple):
    """Median survival time with its confidence limits; NaN where not reached."""

    median: float
    lower: float
    upper: float


def _first_below_half(curve: np.ndarray, time: np.ndarray) -> float:
    """R ``survival:::survmean``'s ``minmin``: first time a curve is <= 0.5.

    Values within TOLERANCE of 0.5 count as 0.5; if the curve sits at 0.5 and drops
    later, the answer is the midpoint of the time it reached 0.5 and the time of the
    next drop. NaN values of the curve (an undefined band) are skipped.
    """
    below = curve < 0.5 + TOLERANCE  # False where the curve is NaN
    first = int(np.argmax(below))
    if not below[first]:
        return float("nan")
    y0 = curve[first]
    if abs(y0 - 0.5) < TOLERANCE:
        later = np.flatnonzero(curve[first + 1 :] < y0)
        if later.size:
            return float((time[first] + time[first + 1 + later[0]]) / 2.0)
    return float(time[first])


def median_survival(km: KaplanMeier) -> Median:
    """Median survival: the first time S(t) <= 0.5; limits: the same rule on the band.

    Matches the median, 0.95LCL and 0.95UCL of R ``print(survfit(...))`` (computed by
    ``survival:::survmean``): tolerance sqrt(eps) around 0.5, midpoint rule on a flat
    segment at exactly 0.5, lower limit from the lower band, upper from the upper band,
    NaN (never infinity) when not reached. R ``quantile.survfit`` agrees except when
    the curve ends flat at exactly 0.5: it then returns the midpoint with the last
    follow-up time, print.survfit (and this function) the time the curve reached 0.5.
    Tests: tests/test_survival_r_parity.py::test_medians (incl. toy_half, toy_flat_end).
    """
    return Median(
        median=_first_below_half(km.surv, km.time),
        lower=_first_below_half(km.lower, km.time),
        upper=_first_below_half(km.upper, km.time),
    )
