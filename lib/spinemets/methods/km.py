"""The Kaplan-Meier (product-limit) estimate with R's conventions.

One sort of the durations gives the event table at the sorted unique times; the
curve, its Greenwood variance and the pointwise confidence band are cumulative
sums and products over that table. Everything is vectorised numpy, so the
estimate of 10^6 observations costs little more than sorting them. Near-equal
times are merged first, as R does (:mod:`spinemets.methods.timefix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..errors import SpinemetsError
from ._validate import CONF_TYPES, ArrayLike, check_conf, check_indicator, check_time_event
from .timefix import merged_starts

__all__ = [
    "CONF_TYPES",
    "KaplanMeier",
    "Median",
    "confidence_band",
    "kaplan_meier",
    "median_follow_up",
    "median_survival",
    "reverse_kaplan_meier",
    "survival_at",
]

#: R's tolerance for "the curve is at 0.5" (``sqrt(.Machine$double.eps)``).
MEDIAN_TOLERANCE: float = float(np.sqrt(np.finfo(np.float64).eps))


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """A Kaplan-Meier curve at every distinct observed time (events and censorings).

    Arrays are aligned with ``time``, as in R's ``survfit`` object: ``n_risk`` is the
    number still under observation just before ``time`` (censored at t count as at
    risk at t), ``std_err`` is R's ``std.err`` -- the Greenwood standard error of the
    cumulative hazard, ``sqrt(sum d / (n (n - d)))`` -- and ``lower``/``upper`` are the
    pointwise band of ``conf_type`` at ``conf_level``.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float

    @property
    def n(self) -> int:
        """Number of observations."""
        return int(self.n_risk[0])

    @property
    def events(self) -> int:
        """Number of events."""
        return int(self.n_event.sum())


def sorted_key(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The sorted uint64 keys ``bits(time) << 1 | event`` of checked arrays.

    A non-negative float64's bit pattern, read as an unsigned integer, orders like the
    number, and its top (sign) bit is free: one plain (SIMD) sort of the packed key is
    several times faster than ``argsort`` plus two gathers, and exact. ``event`` may
    be of any numeric dtype holding 0/1 (it is cast inside the loop).
    """
    if time.min() == 0:
        time = time + 0.0  # turns -0.0 (sign bit set) into 0.0
    key = time.view(np.uint64) << np.uint64(1)
    np.bitwise_or(key, event, out=key, dtype=np.uint64, casting="unsafe")
    key.sort()
    return key


def _tie_starts(t: np.ndarray) -> np.ndarray | None:
    """First row of each run of equal values in sorted ``t``; None when all are distinct."""
    new = np.empty(t.size, dtype=bool)
    new[:1] = True
    np.not_equal(t[1:], t[:-1], out=new[1:])
    if new.all():
        return None
    return np.flatnonzero(new)


def _integer_table(key: np.ndarray, timefix: bool) -> tuple[np.ndarray, ...]:
    """``(time, n_risk, n_event, n_censor)`` (counts as int64) from sorted keys.

    With ``timefix`` runs of near-equal times are one time (R's aeqSurv: the run's
    first value). ``key`` is overwritten (it becomes the event indicators).
    """
    t = (key >> np.uint64(1)).view(np.float64)
    key &= np.uint64(1)
    e = key.view(np.int64)
    n = key.size
    cut = merged_starts(t) if timefix else None
    starts = _tie_starts(t) if cut is None else np.flatnonzero(cut)
    if starts is None:
        return t, np.arange(n, 0, -1, dtype=np.int64), e, 1 - e
    n_event = np.add.reduceat(e, starts)
    n_total = np.diff(starts, append=n)
    return t[starts], n - starts, n_event, n_total - n_event


def confidence_band(
    surv: np.ndarray, std_err: np.ndarray, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise band of a survival curve from the standard error of its cumulative hazard.

    Matches R ``survival:::survfit_confint`` (logse = TRUE), with z the normal quantile:
    ``log``: S exp(-+ z se), upper capped at 1, undefined (NaN) where S = 0;
    ``log-log``: exp(-exp(log(-log S) -+ z se / log S)), undefined where S is 0 or 1;
    ``plain``: S -+ z se S clipped to [0, 1] (NaN where S = 0 and se is infinite).
    Tests: tests/methods/test_km.py::test_km_matches_r (all three conf types).
    """
    check_conf(conf_type, conf_level)
    surv = np.asarray(surv, dtype=np.float64)
    std_err = np.asarray(std_err, dtype=np.float64)
    z = float(ndtri(1.0 - (1.0 - conf_level) / 2.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            zero = surv == 0
            s = np.where(zero, np.nan, surv) if zero.any() else surv
            lower = np.multiply(-z, std_err)  # in place from here: fewer large allocations
            np.exp(lower, out=lower)
            lower *= s
            upper = np.multiply(z, std_err)
            np.exp(upper, out=upper)
            upper *= s
            np.minimum(upper, 1.0, out=upper)
        elif conf_type == "log-log":
            lower = np.log(surv)  # in place: log S, log(-log S), then exp(-exp(. -+ half))
            undefined = (surv == 0) | (surv == 1)
            if undefined.any():
                lower[undefined] = np.nan
            half = np.multiply(z, std_err)
            half /= lower
            np.negative(lower, out=lower)
            np.log(lower, out=lower)
            upper = np.add(lower, half)
            lower -= half
            for limit in (lower, upper):
                np.exp(limit, out=limit)
                np.negative(limit, out=limit)
                np.exp(limit, out=limit)
        else:
            half = z * std_err * surv
            lower = np.maximum(surv - half, 0.0)
            upper = np.minimum(surv + half, 1.0)
    return lower, upper


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    conf_type: str = "log",
    conf_level: float = 0.95,
    timefix: bool = True,
) -> KaplanMeier:
    """Kaplan-Meier estimate S(t) = prod_{t_i <= t} (1 - d_i / n_i) with Greenwood errors.

    Matches R ``survfit(Surv(time, event) ~ 1, conf.type = conf_type, conf.int =
    conf_level, timefix = timefix)``: rows at every distinct time (near-equal times
    merged first unless ``timefix`` is False), censored at t still at risk at t,
    ``std_err`` the Greenwood standard error of the cumulative hazard (infinite once
    the curve reaches 0), band as in :func:`confidence_band`.
    Tests: tests/methods/test_km.py (R on lung, veteran, colon, pbc, aml, ... and the
    edge cases; hand arithmetic; lifelines as a second oracle),
    tests/methods/test_properties.py.
    """
    check_conf(conf_type, conf_level)
    key = sorted_key(*check_time_event(time, event))
    times, n_risk, n_event, n_censor = _integer_table(key, timefix)
    # Integer counts enter float loops directly (exact): no float copies of them.
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.divide(n_event, n_risk, dtype=np.float64)  # 1 - d/n, its running product
        np.subtract(1.0, surv, out=surv)
        np.cumprod(surv, out=surv)
        std_err = np.subtract(n_risk, n_event, dtype=np.float64)  # sqrt(cumsum d/(n(n-d)))
        std_err *= n_risk
        np.divide(n_event, std_err, out=std_err)
        np.cumsum(std_err, out=std_err)
        np.sqrt(std_err, out=std_err)
    lower, upper = confidence_band(surv, std_err, conf_type, conf_level)
    return KaplanMeier(
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def survival_at(km: KaplanMeier, times: ArrayLike) -> pd.DataFrame:
    """Milestone rates: S(t), its band and the number at risk at each of ``times``.

    Columns ``time, n_risk, survival, lower, upper``, one row per requested time in the
    order given. S(t) includes the events at t. ``n_risk`` is the number with
    follow-up >= t (at risk at t-0), as R ``summary(fit, times = t)`` reports it.
    Before the first observed time S = 1 and the band is [1, 1] (R's survfit0 row).
    Past the group's last follow-up R's default ``summary(extend = FALSE)`` drops the
    row; here the row stays with NaN survival and band (never extrapolated) and
    ``n_risk`` 0 (as ``extend = TRUE`` counts it).
    Tests: tests/methods/test_km.py::test_milestones_match_r.
    """
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or not np.isfinite(t).all():
        raise SpinemetsError(f"milestone times {times!r}; expected finite numbers")
    row = np.searchsorted(km.time, t, side="right") - 1
    before = row < 0
    past = t > km.time[-1]
    pick = np.clip(row, 0, None)
    surv = np.where(before, 1.0, km.surv[pick])
    lower = np.where(before, 1.0, km.lower[pick])
    upper = np.where(before, 1.0, km.upper[pick])
    surv[past] = lower[past] = upper[past] = np.nan
    first_at_or_after = np.searchsorted(km.time, t, side="left")
    n_risk = np.append(km.n_risk, 0)[first_at_or_after]
    return pd.DataFrame(
        {"time": t, "n_risk": n_risk, "survival": surv, "lower": lower, "upper": upper}
    )


class Median(NamedTuple):
    """Median survival time with its confidence limits; NaN where not reached."""

    median: float
    lower: float
    upper: float


def _first_below_half(curve: np.ndarray, time: np.ndarray) -> float:
    """R ``survival:::survmean``'s ``minmin``: first time a curve is <= 0.5.

    Values within MEDIAN_TOLERANCE of 0.5 count as 0.5; if the curve sits at 0.5 and
    drops later, the answer is the midpoint of the time it reached 0.5 and the time of
    the next drop. NaN values of the curve (an undefined band) are skipped.
    """
    below = curve < 0.5 + MEDIAN_TOLERANCE  # False where the curve is NaN
    first = int(np.argmax(below))
    if not below[first]:
        return float("nan")
    y0 = curve[first]
    if abs(y0 - 0.5) < MEDIAN_TOLERANCE:
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
    Tests: tests/methods/test_km.py::test_medians_match_r (incl. toy_half, toy_flat_end).
    """
    return Median(
        median=_first_below_half(km.surv, km.time),
        lower=_first_below_half(km.lower, km.time),
        upper=_first_below_half(km.upper, km.time),
    )


def reverse_kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    conf_type: str = "log",
    conf_level: float = 0.95,
    timefix: bool = True,
) -> KaplanMeier:
    """The reverse Kaplan-Meier: censoring is the "event", events censor.

    Its median is the median potential follow-up (Schemper and Smith 1996), R
    ``survfit(Surv(time, 1 - event) ~ 1)``.
    Tests: tests/methods/test_km.py::test_reverse_km_matches_r.
    """
    e = check_indicator(event, "event")
    return kaplan_meier(time, 1 - e, conf_type, conf_level, timefix)


def median_follow_up(
    time: ArrayLike,
    event: ArrayLike,
    conf_type: str = "log",
    conf_level: float = 0.95,
    timefix: bool = True,
) -> Median:
    """Median follow-up and its CI: :func:`median_survival` of :func:`reverse_kaplan_meier`.

    As R ``print(survfit(Surv(time, 1 - event) ~ 1))``.
    Tests: tests/methods/test_km.py::test_reverse_km_matches_r.
    """
    return median_survival(reverse_kaplan_meier(time, event, conf_type, conf_level, timefix))
