"""The hazard per interval (life-table or piecewise-constant hazard).

Within an interval (a, b] of follow-up, the hazard is estimated by events divided by
person-time: h = d / PT, where d counts the events in (a, b] and PT adds, over every
patient still followed after a, the time spent in the interval (min(t, b) - a). This is
the maximum-likelihood estimate of a hazard assumed constant within each interval (the
piecewise exponential model) and what R gives from ``survSplit(Surv(t, e) ~ ., cut =)``
with events and person-time summed per interval (or ``pyears``). Its interval is the
exact Poisson (Garwood) interval of ``poisson.test(d, PT)``: ``qgamma(a/2, d) / PT`` to
``qgamma(1 - a/2, d + 1) / PT`` (0 as lower limit when d = 0).
Tests: ``tests/methods/test_hazard.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import gammaincinv

from ..errors import SpinemetsError
from ._validate import ArrayLike, as_time_event, check_fraction
from .timefix import timefix_times

__all__ = ["HAZARD_COLUMNS", "interval_hazard"]

#: Columns of :func:`interval_hazard`'s table.
HAZARD_COLUMNS = ["start", "stop", "events", "person_time", "hazard", "lower", "upper"]


def interval_hazard(
    time: ArrayLike,
    event: ArrayLike,
    breaks: Sequence[float],
    conf_level: float = 0.95,
    timefix: bool = True,
) -> pd.DataFrame:
    """Events, person-time and hazard (events per unit of time) in each interval of ``breaks``.

    ``breaks`` are increasing cut points b_0 < b_1 < ... < b_k (b_0 >= 0); interval j is
    (b_j, b_{j+1}] as in R's ``survSplit(cut =)``; an event exactly at b_0 (a death on the
    day of surgery, time 0, which R's ``survSplit`` refuses) counts in the first interval,
    with no person-time. Follow-up past b_k is ignored. An
    interval without person-time has an empty hazard and interval. One row per
    interval with :data:`HAZARD_COLUMNS`. Near-equal times are merged first, as R's
    ``Surv`` does (``timefix``).
    Tests: tests/methods/test_hazard.py::test_interval_hazard_matches_r.
    """
    t, e = as_time_event(time, event)
    if timefix:
        t = timefix_times(t)
    cuts = np.asarray(breaks, dtype=float)
    if cuts.ndim != 1 or cuts.size < 2 or not np.all(np.isfinite(cuts)):
        raise SpinemetsError(f"breaks {list(breaks)!r}; expected two or more finite cut points")
    if cuts[0] < 0 or np.any(np.diff(cuts) <= 0):
        raise SpinemetsError(f"breaks {list(breaks)!r}; expected increasing cut points >= 0")
    alpha = 1 - check_fraction("conf_level", conf_level)
    rows = []
    for j, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        inside = ((t > a) | ((t == a) & (j == 0))) & (t <= b)
        events = int(e[inside].sum())
        person_time = float(np.sum(np.clip(t, a, b) - a))
        if person_time > 0:
            hazard = events / person_time
            lower = gammaincinv(events, alpha / 2) / person_time if events > 0 else 0.0
            upper = gammaincinv(events + 1, 1 - alpha / 2) / person_time
        else:
            hazard = lower = upper = np.nan
        rows.append((a, b, events, person_time, hazard, lower, upper))
    return pd.DataFrame(rows, columns=HAZARD_COLUMNS)
