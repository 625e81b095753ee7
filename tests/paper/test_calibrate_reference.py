"""A slow, literal per-patient reference for the calibration evaluator (and its own tests).

Written from R's survival sources (survfit.km, survfit_confint, quantile.survfit's
findq, survdiff), looping over distinct times, independent of the vectorised
month-grid code it checks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

Z = 1.959963984540054
TOL = math.sqrt(np.finfo(float).eps)


def km_table(time, event):
    """Distinct times, n at risk, events, S, lower, upper (conf.type = "log")."""
    rows = []
    s, var = 1.0, 0.0
    for t in sorted(set(time)):
        n = sum(1 for x in time if x >= t)
        d = sum(1 for x, e in zip(time, event, strict=True) if x == t and e)
        if d:
            s *= 1 - d / n
            var = var + d / (n * (n - d)) if n > d else math.inf
        if s > 0:
            se = math.sqrt(var)
            lo, hi = s * math.exp(-Z * se), min(1.0, s * math.exp(Z * se))
        else:
            lo = hi = math.nan
        rows.append((t, n, d, s, lo, hi))
    return rows


def findq(x, y, p=0.5):
    """survival:::findq, literally (approx(method = "constant", f = 1) semantics)."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True)]
    if max(b for _, b in pairs if not math.isnan(b)) < p:
        return math.nan
    xmax = x[-1]
    seen, xs, ys = [], [], []
    for a, b in pairs:  # duplicated(y): NaN equals NaN here as in R
        key = "nan" if math.isnan(b) else b
        if key in seen:
            continue
        seen.append(key)
        xs.append(a)
        ys.append(b)

    def approx_index(shift):
        # approx(ys + shift, 1:n, p, "constant", f = 1): NA pairs dropped, knots sorted;
        # exactly at a knot -> that knot, between knots -> the right one, outside -> NA
        knots = sorted((b + shift, i) for i, b in enumerate(ys) if not math.isnan(b))
        if not knots or p < knots[0][0] or p > knots[-1][0]:
            return None
        for v, i in knots:
            if v >= p:
                return i
        return None

    i1, i2 = approx_index(TOL), approx_index(-TOL)
    q = (xs[i1] + xs[i2]) / 2 if i1 is not None and i2 is not None else math.nan
    if not math.isnan(ys[-1]) and abs(p - ys[-1]) < TOL and i1 is not None:
        q = (xs[i1] + xmax) / 2
    return q


def median_ci(time, event):
    rows = km_table(time, event)
    x = [0.0] + [r[0] for r in rows]
    return tuple(
        findq(x, [0.0] + [1 - r[k] for r in rows]) for k in (3, 4, 5)
    )  # median, lower (from the lower band), upper


def rate(time, event, t):
    rows = km_table(time, event)
    if max(time) < t:
        return math.nan
    s = 1.0
    for r in rows:
        if r[0] <= t:
            s = r[3]
    return s


def logrank_p(time, event, group):
    o1 = e1 = v = 0.0
    for t in sorted(set(time)):
        n = sum(1 for x in time if x >= t)
        n1 = sum(1 for x, g in zip(time, group, strict=True) if x >= t and g)
        d = sum(1 for x, e in zip(time, event, strict=True) if x == t and e)
        d1 = sum(1 for x, e, g in zip(time, event, group, strict=True) if x == t and e and g)
        o1 += d1
        e1 += n1 * d / n
        if n > 1:
            v += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return float(chi2.sf((o1 - e1) ** 2 / v, 1))


# --- the reference itself, checked by hand arithmetic --------------------------------


def test_reference_km_by_hand() -> None:
    # times 1, 2+, 3, 3, 4+: S(1) = 4/5, S(3) = 4/5 * (1 - 2/3) = 4/15
    rows = km_table([1, 2, 3, 3, 4], [1, 0, 1, 1, 0])
    assert [r[1] for r in rows] == [5, 4, 3, 1]  # censored at 2 still at risk at 2
    assert rows[2][3] == pytest.approx(4 / 15)
    var = 1 / (5 * 4) + 2 / (3 * 1)
    assert rows[2][4] == pytest.approx(4 / 15 * math.exp(-Z * math.sqrt(var)))
    assert rate([1, 2, 3, 3, 4], [1, 0, 1, 1, 0], 3) == pytest.approx(4 / 15)


def test_reference_median_by_hand() -> None:
    # four deaths at 1, 2, 3, 4: S(2) = 0.5 exactly -> midpoint of 2 and 3
    assert median_ci([1, 2, 3, 4], [1, 1, 1, 1])[0] == 2.5
    # five deaths: S(3) = 0.4 is the first value below 0.5
    assert median_ci([1, 2, 3, 4, 5], [1] * 5)[0] == 3
    # S never below 0.5: not reached
    assert math.isnan(median_ci([1, 2, 3, 4], [1, 0, 0, 0])[0])


def test_reference_logrank_by_hand() -> None:
    # group 1 dies at 1, group 0 at 2 (one each): O1 = 1, E1 = 1/2, V = 1/4
    # chi-square = (1/2)^2 / (1/4) = 1
    assert logrank_p([1, 2], [1, 1], [1, 0]) == pytest.approx(float(chi2.sf(1.0, 1)))
