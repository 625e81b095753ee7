"""R's merging of near-equal times (``survival::aeqSurv``), done once for every method.

Times computed by arithmetic (0.1 + 0.2 versus 0.3, days / 30.4375) can differ in the
last bits although they mean the same instant. R's survival package therefore passes
every response through ``aeqSurv()`` before ``survfit``, ``survdiff``, ``coxph``
(``coxph.control(timefix = TRUE)``), ``cox.zph`` (through the fit) and ``finegray``:

1. take the sorted unique finite time values ``y`` (for (start, stop] data, the start
   and the stop times together) and their gaps ``dy = diff(y)``;
2. a gap is *tied* when ``dy <= tol`` or ``dy / mean(abs(y)) <= tol``, with
   ``tol = sqrt(.Machine$double.eps)`` (about 1.49e-8);
3. the cut points are ``y[c(TRUE, !tied)]`` (each run of tied values keeps its first
   value) and every time becomes the largest cut point not above it
   (``findInterval``);
4. for (start, stop] data an interval whose start and stop fall on the same cut point
   is an error ("an interval has effective length 0").

Every function of :mod:`spinemets.methods` that takes times has a ``timefix``
argument, ``True`` by default as in R, and calls this module for it; ``False`` uses
the times as given (what ``cmprsk::cuminc``, which has no such step, and lifelines
do). Example: times 0.1 + 0.2 and 0.3 are one time, so the Kaplan-Meier curve has one
row for both. Tests: tests/methods/test_timefix.py (R's aeqSurv on edge cases, and
the Kaplan-Meier, log-rank and Cox numbers R gives on near-equal times).
"""

from __future__ import annotations

import numpy as np

from ..errors import SpinemetsError

__all__ = [
    "TOLERANCE",
    "cut_points",
    "merged_starts",
    "timefix_counting",
    "timefix_sorted",
    "timefix_times",
]

#: R's default tolerance, ``sqrt(.Machine$double.eps)``.
TOLERANCE: float = float(np.sqrt(np.finfo(np.float64).eps))


def cut_points(unique_sorted: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray | None:
    """aeqSurv's cut points from sorted unique finite values; None when none are tied.

    Tests: tests/methods/test_timefix.py::test_timefix_matches_r_aeqsurv."""
    y = unique_sorted
    if y.size < 2 or tolerance <= 0:
        return None
    dy = np.diff(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return None
    return y[np.concatenate(([True], ~tied))]


def _find_interval(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """R ``findInterval(x, cuts)`` - 1: index of the largest cut <= x (x >= cuts[0])."""
    return np.searchsorted(cuts, x, side="right") - 1


def timefix_times(time: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Durations with near-equal values merged as R's ``aeqSurv``; ``time`` itself if none are.

    ``time`` must already be checked (finite numbers). Costs one sort.
    Tests: tests/methods/test_timefix.py::test_timefix_matches_r_aeqsurv.
    """
    cuts = cut_points(np.unique(time), tolerance)
    if cuts is None:
        return time
    return cuts[_find_interval(time, cuts)]


def merged_starts(time: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray | None:
    """For times sorted ascending, where each merged time starts; None if none merge.

    Returns a boolean array, True at the first element of every run of equal or
    near-equal values (as R's aeqSurv groups them), or None when aeqSurv would change
    nothing (no gap is tied). The fast path costs one pass: ``mean(abs(y)) <=
    max(abs(y))``, so a sample whose smallest positive gap exceeds ``tolerance *
    max(1, max|y|)`` has no tied gap; in sorted data the gap before a new value is
    its gap in ``diff(y)``, so no search is needed.
    Tests: tests/methods/test_timefix.py::test_timefix_matches_r_aeqsurv (through
    :func:`timefix_sorted`) and the near-equal cases of tests/methods/test_logrank.py.
    """
    if time.size < 2 or tolerance <= 0:
        return None
    gaps = np.diff(time)
    distinct = gaps > 0
    bound = tolerance * max(1.0, float(max(abs(time[0]), abs(time[-1]))))
    if not np.any(distinct & (gaps <= bound)):
        return None
    values = np.abs(time[1:]) if time[0] < 0 else time[1:]  # sorted: >= 0 from time[0] >= 0
    mean = (abs(float(time[0])) + float(np.sum(values, where=distinct))) / (
        1 + int(np.count_nonzero(distinct))
    )
    # R's rule, (gap <= tol) | (gap / mean <= tol), evaluated where it can hold
    near = np.flatnonzero(distinct & (gaps <= tolerance * max(1.0, mean) * (1 + 1e-9)))
    g = gaps[near]
    with np.errstate(divide="ignore", invalid="ignore"):
        tied = near[(g <= tolerance) | (g / mean <= tolerance)]
    if tied.size == 0:
        return None
    cut = np.empty(time.size, dtype=bool)
    cut[0] = True
    cut[1:] = distinct
    cut[tied + 1] = False
    return cut


def timefix_sorted(time: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray | None:
    """As :func:`timefix_times` for times sorted ascending; None when nothing changes.

    Tests: tests/methods/test_timefix.py::test_timefix_matches_r_aeqsurv."""
    cut = merged_starts(time, tolerance)
    if cut is None:
        return None
    start = np.where(cut, np.arange(time.size), 0)
    np.maximum.accumulate(start, out=start)
    return time[start]


def timefix_counting(
    start: np.ndarray, stop: np.ndarray, tolerance: float = TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """(start, stop] times merged as R's ``aeqSurv`` on a counting-process ``Surv``.

    Raises SpinemetsError naming the row when an interval shrinks to length 0.
    Tests: tests/methods/test_timefix.py::test_counting_interval_of_length_zero_is_refused_as_in_r.
    """
    cuts = cut_points(np.unique(np.concatenate((start, stop))), tolerance)
    if cuts is None:
        return start, stop
    i1, i2 = _find_interval(start, cuts), _find_interval(stop, cuts)
    zero = (i1 == i2) & (start != stop)
    if zero.any():
        row = int(np.argmax(zero))
        raise SpinemetsError(
            f"row {row}: interval ({float(start[row])!r}, {float(stop[row])!r}] has "
            "effective length 0 "
            "once near-equal times are merged (R's aeqSurv); use timefix=False or "
            "round the times"
        )
    return cuts[i1], cuts[i2]
