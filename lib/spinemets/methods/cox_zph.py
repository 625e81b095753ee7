"""The test of proportional hazards of a Cox model, as R's ``cox.zph`` (survival >= 3.0).

For a fitted model with coefficients beta, add ``x * g(t)`` (g a transform of time,
centred over the events) and test gamma = 0 by a score test at (beta, 0): with U the
score of gamma and I the information of (beta, gamma), the statistic of term j is
``U_j' [I^-1]_jj U_j`` on as many degrees of freedom as the term has columns (a factor
is one term, R's ``terms = TRUE``; ``terms = False`` tests each column), and the
GLOBAL row tests all of gamma at once. The information uses the fit's ties (Efron or
Breslow), weights and strata, as R's C routines ``zph1`` (right-censored) and
``zph2`` ((start, stop] data). The scaled Schoenfeld residuals are
``r V^-1 + beta`` with V the information divided by the number of events
(per stratum where a covariate is constant in some strata, as R).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc
from scipy.stats import rankdata

from ..errors import SpinemetsError
from .cox import CoxFit, _CoxData, _derivatives, _weighted_sums

__all__ = ["TRANSFORMS", "CoxZph", "cox_zph"]

#: Transforms of time accepted (R's ``transform``).
TRANSFORMS: tuple[str, ...] = ("km", "rank", "identity", "log")


@dataclass(frozen=True, eq=False)
class CoxZph:
    """R ``cox.zph``: ``table`` (term, chisq, df, p; last row GLOBAL), the transformed
    event times ``x``, the event ``time``s, the scaled Schoenfeld ``residuals`` (one
    column per term, one row per event in (stratum, time) order; NaN where R has NA)
    and ``var`` (R's ``var``, the inverse of the mean information)."""

    table: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    residuals: pd.DataFrame
    var: np.ndarray
    transform: str
    coef: np.ndarray


def _km_before(data: _CoxData) -> np.ndarray:
    """1 - S(t-) for each row's (stop) time: the Kaplan-Meier of all rows, unweighted,
    with (start, stop] risk sets for counting data (R's ``survfitKM`` on the fit's y)."""
    stop, event = data.stop, data.event == 1
    times = np.unique(stop[event])
    n_risk = stop.size - np.searchsorted(np.sort(stop), times, side="left")
    if data.start is not None:
        n_risk = n_risk - (stop.size - np.searchsorted(np.sort(data.start), times, side="left"))
    deaths = np.bincount(np.searchsorted(times, stop[event]), minlength=times.size)
    surv = np.concatenate(([1.0], np.cumprod(1.0 - deaths / n_risk)))
    return 1.0 - surv[np.searchsorted(times, stop, side="left")]


def _transform(data: _CoxData, transform: str) -> np.ndarray:
    times = data.stop
    if transform == "km":
        return _km_before(data)
    if transform == "rank":
        return rankdata(times, method="average")
    if transform == "identity":
        return times.astype(np.float64)
    if transform == "log":
        if (times <= 0).any():
            row = int(np.argmax(times <= 0))
            raise SpinemetsError(
                f"cox_zph: row {row}: time {float(times[row])!r}; the log transform needs times > 0"
            )
        return np.log(times)
    raise SpinemetsError(
        f"cox_zph: unknown transform {transform!r}, expected one of {', '.join(TRANSFORMS)}"
    )


def _event_order(data: _CoxData) -> np.ndarray:
    """The event rows in R's order: by stratum and time; tied (start, stop] events in
    reverse row order (zph2 walks its sort order backwards)."""
    rows = np.arange(data.stop.size)
    key = rows if data.start is None else -rows
    order = np.lexsort((key, data.stop, data.strata))
    return order[data.event[order] == 1]


def _used(data: _CoxData, n_events: np.ndarray) -> np.ndarray:
    """R's ``used``: per stratum and column, its events if the column varies there, else 0."""
    p = data.x.shape[1]
    out = np.zeros((n_events.size, p))
    for s in range(n_events.size):
        xs = data.x[data.strata == s]
        if xs.size:
            out[s] = np.where((xs != xs[0]).any(axis=0), n_events[s], 0)
    return out


def cox_zph(
    fit: CoxFit, transform: str = "km", terms: bool = True, global_test: bool = True
) -> CoxZph:
    """Score tests of proportional hazards, per term (or column) and GLOBAL.

    Matches R ``cox.zph(fit, transform, terms)`` of survival 3.5-3 on right-censored
    and (start, stop] fits with Efron or Breslow ties, weights and strata:
    ``transform`` ``km`` (1 - S(t-) of the Kaplan-Meier of all observations; R's
    default), ``rank``, ``identity`` or ``log``. ``terms=True`` tests a factor's
    columns together (df = its number of columns). Times are the fit's (near-equal
    times already merged).
    Tests: tests/methods/test_cox_zph.py (R on pbc, rotterdam, mgus2, gbsg, kidney,
    nwtco, aml, flchain, jasa1 and edge cases; four transforms; terms TRUE and FALSE).
    """
    data = fit.data
    p = fit.coef.size
    ttimes = _transform(data, transform)
    event = data.event == 1
    gtime = ttimes - ttimes[event].mean()
    _, _, _, per_stratum = _derivatives(data, fit.coef)
    u2 = np.zeros(p)
    imat = np.zeros((2 * p, 2 * p))
    schoen = np.zeros((data.stop.size, p))
    for st, t in zip(data.strata_data, per_stratum, strict=True):
        rows = st.rows
        g_time = np.zeros(st.times.size)
        g_time[st.event_time] = gtime[rows[st.events]]  # g is a function of time alone
        g = g_time[st.term_time]
        mw = st.term_weight
        ev = st.events
        u2 += (st.w[ev] * g_time[st.event_time]) @ st.x[ev] - (mw * g) @ t.mean
        for a, b, weight in ((0, 0, mw), (0, 1, mw * g), (1, 1, mw * g * g)):
            block = _weighted_sums(st, t, weight)[1]
            imat[a * p : (a + 1) * p, b * p : (b + 1) * p] += block
        term_mean = np.zeros((st.times.size, p))
        np.add.at(term_mean, st.term_time, t.mean)
        term_mean /= st.n_dead[:, None]
        schoen[rows[ev]] = st.x[ev] - term_mean[st.event_time]
    imat[p:, :p] = imat[:p, p:].T
    if terms:
        assign = {name: list(cols) for name, cols in fit.terms.items()}
    else:
        assign = {name: [j] for j, name in enumerate(fit.names)}
    rows_out = []
    for name, cols in assign.items():
        kk = [*range(p), *(p + j for j in cols)]
        score = np.concatenate((np.zeros(p), u2[cols]))
        chisq = float(score @ np.linalg.solve(imat[np.ix_(kk, kk)], score))
        rows_out.append((name, chisq, len(cols)))
    if global_test:
        score = np.concatenate((np.zeros(p), u2))
        rows_out.append(("GLOBAL", float(score @ np.linalg.solve(imat, score)), p))
    table = pd.DataFrame(rows_out, columns=["term", "chisq", "df"])
    table["p"] = chdtrc(table["df"].to_numpy(float), table["chisq"].to_numpy())
    # scaled Schoenfeld residuals, as R
    order = _event_order(data)
    n_strata = int(data.strata.max()) + 1
    n_events = np.bincount(data.strata[event], minlength=n_strata)
    used = _used(data, n_events)
    wtmat = sum(np.minimum.outer(u, u) for u in used)
    vmean = imat[:p, :p] / np.where(wtmat == 0, 1.0, wtmat)
    sresid = schoen[order]
    names = list(assign)
    if terms and any(len(c) > 1 for c in assign.values()):
        temp = np.zeros((p, len(assign)))
        for i, cols in enumerate(assign.values()):
            temp[cols, i] = 1.0 if len(cols) == 1 else fit.coef[cols]
        sresid = sresid @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [cols[0] for cols in assign.values()]]
    scaled = np.full(sresid.shape, np.nan)
    event_strata = data.strata[order]
    for s in range(n_strata):
        k = np.flatnonzero(used[s] > 0)
        j = event_strata == s
        if k.size and j.any():
            scaled[np.ix_(j, k)] = np.linalg.solve(vmean[np.ix_(k, k)], sresid[np.ix_(j, k)].T).T
    for i, cols in enumerate(assign.values()):
        scaled[:, i] += fit.coef[cols[0]] if len(cols) == 1 else 1.0
    return CoxZph(
        table=table,
        x=ttimes[order],
        time=data.stop[order],
        residuals=pd.DataFrame(scaled, columns=names),
        var=np.linalg.inv(vmean),
        transform=transform,
        coef=fit.coef.copy(),
    )
