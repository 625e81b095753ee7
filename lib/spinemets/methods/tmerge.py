"""Counting-process (start, stop] data with time-dependent 0/1 covariates, as R's tmerge.

One row per subject goes in (the end of follow-up, the event indicator and, per
covariate, the time it switches from 0 to 1, NaN for never); one row per interval of
constant covariates comes out, ready for :func:`spinemets.methods.cox.coxph` with
``start=``. Times are copied, not merged (R's tmerge does not merge near-equal times
either; the Cox fit does, once).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ._validate import ArrayLike, _as_float, check_indicator, name_of

__all__ = ["counting_origin", "tmerge"]


def counting_origin(time: ArrayLike) -> float:
    """The start of the first (start, stop] interval: 0, or 2 min(time) - 1 if min <= 0.

    R's ``finegray`` (and ``coxph`` for right-censored data) put the origin below every
    observed time, so that a death on the day of surgery (time 0) is an event in a
    non-empty interval rather than an empty (0, 0].
    Tests: tests/methods/test_tmerge.py::test_counting_origin.
    """
    lowest = float(np.min(np.asarray(time, dtype=np.float64)))
    return 0.0 if lowest > 0 else 2 * lowest - 1


def tmerge(
    end: ArrayLike,
    event: ArrayLike,
    changes: Mapping[str, ArrayLike],
    origin: float = 0.0,
) -> pd.DataFrame:
    """Split each subject's follow-up (origin, end] where a 0/1 covariate switches on.

    As R ``tmerge(base, data, id, event = event(end, event), name = tdc(change), ...)``:
    for each name in ``changes`` the covariate is 0 before its change time and 1 from
    it on (``tdc(time)``); a change at or before ``origin`` makes it 1 throughout, at or
    after ``end`` (or NaN) leaves it 0. Intervals are cut at every change time strictly
    inside (origin, end); the event sits on the last interval. Columns: ``row`` (the
    subject's 0-based position), ``tstart``, ``tstop``, ``event``, then one column per
    covariate; rows ordered by subject and time. A follow-up ending at or before
    ``origin`` raises (R refuses it too; :func:`counting_origin` gives a lower origin).
    Tests: tests/methods/test_tmerge.py (R's tmerge on myeloid and jasa, and the Cox
    fits on its rows).
    """
    ename = name_of(end, "end")
    t = _as_float(end, ename, "end times")
    e = check_indicator(event, name_of(event, "event")).astype(np.int64)
    if t.size != e.size:
        raise SpinemetsError(f"tmerge: {t.size} end times for {e.size} event indicators")
    bad = ~np.isfinite(t) | ~(t > origin)
    if bad.any():
        row = int(np.argmax(bad))
        raise SpinemetsError(
            f"column {ename!r}, row {row}: end of follow-up {float(t[row])!r}; expected a "
            f"number > the origin {origin!r} (use counting_origin for follow-up of 0)"
        )
    n = t.size
    names = list(changes)
    change = np.empty((n, len(names)))
    for k, name in enumerate(names):
        c = _as_float(changes[name], name, "change times")
        if c.size != n:
            raise SpinemetsError(f"tmerge: {c.size} change times in {name!r} for {n} subjects")
        change[:, k] = c
    inside = np.isfinite(change) & (change > origin) & (change < t[:, None])
    subject = np.repeat(np.arange(n), len(names)).reshape(n, len(names))[inside]
    cuts = change[inside]
    # every interval start: the origin, then the distinct cut points, per subject
    starts_subject = np.concatenate((np.arange(n), subject))
    starts_time = np.concatenate((np.full(n, float(origin)), cuts))
    order = np.lexsort((starts_time, starts_subject))
    starts_subject, starts_time = starts_subject[order], starts_time[order]
    keep = np.ones(starts_time.size, dtype=bool)
    keep[1:] = (starts_subject[1:] != starts_subject[:-1]) | (starts_time[1:] != starts_time[:-1])
    starts_subject, starts_time = starts_subject[keep], starts_time[keep]
    last = np.ones(starts_time.size, dtype=bool)
    last[:-1] = starts_subject[1:] != starts_subject[:-1]
    stops = np.where(last, t[starts_subject], np.roll(starts_time, -1))
    out = pd.DataFrame(
        {
            "row": starts_subject,
            "tstart": starts_time,
            "tstop": stops,
            "event": np.where(last, e[starts_subject], 0),
        }
    )
    for k, name in enumerate(names):
        c = change[starts_subject, k]
        out[name] = (np.isfinite(c) & (c <= starts_time)).astype(np.int64)
    return out
