"""The Cox proportional-hazards model: one engine, R's coxph to 1e-9.

One fitter, :func:`coxph`, for right-censored and (start, stop] data, Efron or
Breslow ties, strata, case weights, offsets and the robust (cluster) sandwich
variance. It reproduces R's iteration, not only its answer (survival 3.5-3,
``coxfit6.c`` for right-censored data, ``agfit4.c`` for (start, stop] data):

* start at ``init`` (0), Newton-Raphson steps ``beta + I^-1 U``;
* convergence when the relative change of the log partial likelihood
  ``|1 - loglik_old / loglik_new|`` is at most ``eps`` (1e-9), at most ``iter_max``
  (20) iterations;
* step halving when the likelihood gets worse (or is not finite): the next try is
  ``(k beta_new + beta_old) / (k + 1)`` at the k-th successive halving;
* R's check for an infinite coefficient after convergence (``toler.inf =
  sqrt(eps)`` on the would-be next step ``U' I^-1``).

**A fit that does not converge is never returned.** Where R warns "Ran out of
iterations and did not converge" or "Loglik converged before variable ...;
coefficient may be infinite" and returns the last iterate anyway, :func:`coxph`
raises :class:`CoxConvergenceError` (a :class:`~spinemets.errors.SpinemetsError`)
naming the covariates concerned; a caller that can go on without the model catches
it and says why in its table. Collinear covariates (R's "X matrix deemed to be
singular", NA coefficients) raise the same error. ``notebook.setup()`` silences
warnings, so a warning would have hidden the failure: an error cannot be missed.

Near-equal times are merged first, as R's ``coxph.control(timefix = TRUE)``
(:mod:`spinemets.methods.timefix`). The tests of the fit (likelihood-ratio, Wald and
score) are those of R's ``summary(coxph)``; with a robust variance the Wald test and
the per-coefficient z use it, and the robust score test is reported too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import chdtrc, chdtri, ndtr, ndtri

from ..errors import SpinemetsError
from ._validate import (
    ArrayLike,
    check_counting,
    check_covariates,
    check_offset,
    check_time_event,
    check_weights,
    group_codes,
)
from .timefix import timefix_counting, timefix_times

__all__ = [
    "TIES",
    "CoxConvergenceError",
    "CoxFit",
    "ProfileInterval",
    "coxph",
    "coxph_frame",
    "model_matrix",
    "profile_interval",
]

#: Ways to handle tied event times (R's ``ties``).
TIES: tuple[str, ...] = ("efron", "breslow")
#: R's ``coxph.control()`` defaults.
EPS = 1e-9
ITER_MAX = 20
TOLER_CHOL = float(np.finfo(np.float64).eps ** 0.75)


class CoxConvergenceError(SpinemetsError):
    """The Cox model has no finite maximum-likelihood estimate, or was not reached."""


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class CoxFit:
    """A converged Cox fit, with R's names in mind (``coef``, ``var``, ``loglik``).

    ``var`` is the variance used for inference: the robust sandwich when ``robust``
    (R's ``fit$var``), else the inverse information; ``naive_var`` is always the
    inverse information (R's ``naive.var`` when robust). ``loglik`` is (at ``init``,
    at the estimate). ``score_test`` is R's ``fit$score`` (at ``init``),
    ``wald_test`` R's ``fit$wald.test``, ``robust_score_test`` R's ``fit$rscore``.
    ``terms`` maps each model term to its columns (a factor is one term with several
    columns, as R's ``assign``). The data used (after merging near-equal times) are
    kept in ``data`` for :func:`spinemets.methods.cox_zph.cox_zph`. ``label`` is a
    caller's name for the model (empty unless set), shown in tables.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    var: np.ndarray
    naive_var: np.ndarray
    loglik: tuple[float, float]
    score_test: float
    wald_test: float
    robust_score_test: float | None
    iterations: int
    n: int
    events: int
    ties: str
    robust: bool
    terms: Mapping[str, tuple[int, ...]]
    data: _CoxData = field(repr=False)
    label: str = ""

    @property
    def se(self) -> np.ndarray:
        """Standard errors from ``var`` (robust when the fit is robust)."""
        return np.sqrt(np.diag(self.var))

    @property
    def naive_se(self) -> np.ndarray:
        """Model-based standard errors (inverse information)."""
        return np.sqrt(np.diag(self.naive_var))

    @property
    def df(self) -> int:
        """Number of coefficients (degrees of freedom of the global tests)."""
        return len(self.names)

    def table(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per coefficient, as R ``summary(coxph)$coefficients`` and ``conf.int``.

        Columns: term, coef, hr (exp(coef)), se, z (coef / se), p (two-sided Wald),
        lower, upper (limits of the HR, exp(coef -+ z_{1-(1-conf)/2} se)), se_type
        (``robust`` or ``model``). With a robust fit ``se`` is R's ``robust se``.
        """
        if not 0 < conf_level < 1:
            raise SpinemetsError(f"conf_level {conf_level!r}; expected a number in (0, 1)")
        se = self.se
        z = float(ndtri(1 - (1 - conf_level) / 2))
        stat = self.coef / se
        return pd.DataFrame(
            {
                "term": list(self.names),
                "coef": self.coef,
                "hr": np.exp(self.coef),
                "se": se,
                "z": stat,
                "p": 2 * ndtr(-np.abs(stat)),
                "lower": np.exp(self.coef - z * se),
                "upper": np.exp(self.coef + z * se),
                "se_type": "robust" if self.robust else "model",
            }
        )

    def tests(self) -> pd.DataFrame:
        """The global tests of ``summary(coxph)``: test, chisq, df, p.

        ``likelihood_ratio`` = 2 (loglik - loglik at init), ``wald`` (with the robust
        variance when robust), ``score`` (log-rank for one binary covariate) and, for a
        robust fit, ``robust_score``.
        """
        rows = [
            ("likelihood_ratio", 2.0 * (self.loglik[1] - self.loglik[0])),
            ("wald", self.wald_test),
            ("score", self.score_test),
        ]
        if self.robust_score_test is not None:
            rows.append(("robust_score", self.robust_score_test))
        df = self.df
        return pd.DataFrame(
            [(name, chisq, df, float(chdtrc(df, chisq))) for name, chisq in rows],
            columns=["test", "chisq", "df", "p"],
        )


# ----------------------------------------------------------------------------- the data


@dataclass(frozen=True, eq=False)
class _Stratum:
    """One stratum's rows, binned by event time once for the risk-set sums of every iteration.

    A row is at risk at the k-th event time t_k (start < t_k <= stop) when
    ``start_bin <= k < stop_bin``: ``stop_bin`` counts the event times <= stop,
    ``start_bin`` those <= start.
    """

    rows: np.ndarray  # indices into the full arrays
    x: np.ndarray  # centred covariates of the rows (column-major, as all below)
    xx: np.ndarray  # products x_i x_j of the upper triangle (i <= j)
    w: np.ndarray
    offset: np.ndarray
    stop_bin: np.ndarray  # per row: number of event times <= stop
    start_bin: np.ndarray | None  # per row: number of event times <= start ((start, stop] data)
    times: np.ndarray  # distinct event times
    events: np.ndarray  # local positions of the event rows
    x_events: np.ndarray  # x of the event rows
    xx_events: np.ndarray  # xx of the event rows
    event_time: np.ndarray  # index into ``times`` of each event row
    n_dead: np.ndarray  # events per time
    term_time: np.ndarray  # index into ``times`` of each Efron term
    term_frac: np.ndarray  # l / d of the l-th of d tied events (0 for Breslow)
    term_weight: np.ndarray  # mean weight of the tied events


@dataclass(frozen=True, eq=False)
class _CoxData:
    """A Cox problem, checked and sorted once (the times already merged)."""

    start: np.ndarray | None
    stop: np.ndarray
    event: np.ndarray
    x: np.ndarray  # as given (not centred)
    weights: np.ndarray
    offset: np.ndarray
    strata: np.ndarray  # stratum code of each row
    ties: str
    strata_data: tuple[_Stratum, ...]
    names: tuple[str, ...]

    @property
    def counting(self) -> bool:
        return self.start is not None


def _build(
    start: np.ndarray | None,
    stop: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    offset: np.ndarray,
    strata: np.ndarray,
    ties: str,
    names: tuple[str, ...],
) -> _CoxData:
    p = x.shape[1]
    iu, ju = np.triu_indices(p)
    centred = x - x.mean(axis=0)  # changes nothing but the rounding (as R centres)
    parts = []
    for s in range(int(strata.max()) + 1):
        rows = np.flatnonzero(strata == s)
        if not (event[rows] == 1).any():  # no event: no risk set, nothing to add
            continue
        b, e = stop[rows], event[rows] == 1
        xs = centred[rows]
        xx = xs[:, iu] * xs[:, ju]
        times = np.unique(b[e])
        events = np.flatnonzero(e)
        event_time = np.searchsorted(times, b[events])
        n_dead = np.bincount(event_time, minlength=times.size)
        dead_weight = np.bincount(event_time, weights=weights[rows][events], minlength=times.size)
        term_time = np.repeat(np.arange(times.size), n_dead)
        first = np.cumsum(n_dead) - n_dead
        rank = np.arange(term_time.size) - first[term_time]
        frac = rank / n_dead[term_time] if ties == "efron" else np.zeros(term_time.size)
        stop_bin = np.searchsorted(times, b, side="right")
        start_bin = None if start is None else np.searchsorted(times, start[rows], side="right")
        parts.append(
            _Stratum(
                rows=rows,
                x=np.asfortranarray(xs),
                xx=np.asfortranarray(xx),
                w=weights[rows],
                offset=offset[rows],
                stop_bin=stop_bin,
                start_bin=start_bin,
                times=times,
                events=events,
                x_events=np.asfortranarray(xs[events]),
                xx_events=np.asfortranarray(xx[events]),
                event_time=event_time,
                n_dead=n_dead,
                term_time=term_time,
                term_frac=frac,
                term_weight=(dead_weight / np.maximum(n_dead, 1))[term_time],
            )
        )
    return _CoxData(start, stop, event, x, weights, offset, strata, ties, tuple(parts), names)


@dataclass(frozen=True, eq=False)
class _Terms:
    """One stratum's sums at a given beta: per event time, and per term (one per tied event).

    Term l at event time k with Efron fraction f_l has ``denom_l = S0_k - f_l E0_k``,
    mean ``(S1_k - f_l E1_k) / denom_l`` and covariance
    ``(S2_k - f_l E2_k) / denom_l - mean_l mean_l'``, where S are sums of ``w r``,
    ``w r x`` and ``w r x_i x_j`` (i <= j) over the risk set and E the same sums over
    the time's events. Only the per-time sums and ``denom`` are stored; the means are
    made when asked for and the covariances are summed by :func:`_weighted_sums`.
    """

    eta: np.ndarray  # linear predictor (with offset) of the stratum's rows
    shift: float  # eta is exponentiated as exp(eta - shift)
    risk: np.ndarray  # exp(eta - shift) (no weight)
    denom: np.ndarray  # per term: S0 - frac E0
    s1: np.ndarray  # per event time (times x p)
    e1: np.ndarray
    s2: np.ndarray  # per event time (times x p(p+1)/2)
    e2: np.ndarray
    term_time: np.ndarray = field(repr=False)
    term_frac: np.ndarray = field(repr=False)

    @cached_property
    def mean(self) -> np.ndarray:
        """Per term: (S1 - frac E1) / denom (terms x p)."""
        kt, f = self.term_time, self.term_frac
        return (self.s1[kt] - f[:, None] * self.e1[kt]) / self.denom[:, None]


def _bin_sums(
    bins: np.ndarray, weight: np.ndarray, columns: np.ndarray | None, size: int
) -> np.ndarray:
    """Per bin, the sum of ``weight`` (``columns`` None) or of ``weight * column`` for each
    column: one weighted count per column (fastest with column-major ``columns``)."""
    if columns is None:
        return np.bincount(bins, weights=weight, minlength=size)
    out = np.empty((size, columns.shape[1]))
    for j in range(columns.shape[1]):
        out[:, j] = np.bincount(bins, weights=weight * columns[:, j], minlength=size)
    return out


def _risk_sums(st: _Stratum, weight: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    """Sum of ``weight`` (times each column) over the risk set at each event time.

    Row i is at risk at the k-th event time when ``start_bin_i <= k < stop_bin_i``: the
    sums per bin of the rows' stop (and start), then cumulative sums over the bins from
    the last, cost one pass over the rows per column and iteration.
    """
    nt = st.times.size
    per_bin = _bin_sums(st.stop_bin, weight, columns, nt + 1)
    if st.start_bin is not None:
        per_bin -= _bin_sums(st.start_bin, weight, columns, nt + 1)
    return np.cumsum(per_bin[:0:-1], axis=0)[::-1]


def _stratum_terms(st: _Stratum, beta: np.ndarray) -> _Terms:
    eta = st.x @ beta + st.offset
    top = float(eta.max())
    shift = top if abs(top) > 500 else 0.0  # avoid overflow; the likelihood is invariant
    risk = np.exp(eta - shift)
    wr = st.w * risk
    s0 = _risk_sums(st, wr, None)
    s1 = _risk_sums(st, wr, st.x)
    s2 = _risk_sums(st, wr, st.xx)
    wr_ev, k, nt = wr[st.events], st.event_time, st.times.size
    e0 = _bin_sums(k, wr_ev, None, nt)
    e1 = _bin_sums(k, wr_ev, st.x_events, nt)
    e2 = _bin_sums(k, wr_ev, st.xx_events, nt)
    kt, f = st.term_time, st.term_frac
    return _Terms(
        eta=eta,
        shift=shift,
        risk=risk,
        denom=s0[kt] - f * e0[kt],
        s1=s1,
        e1=e1,
        s2=s2,
        e2=e2,
        term_time=kt,
        term_frac=f,
    )


def _weighted_sums(st: _Stratum, t: _Terms, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_l weight_l mean_l`` (p) and ``sum_l weight_l cov_l`` (p x p) over the terms.

    Each term's covariance is formed as R's coxfit6/agfit4 form it,
    ``((S2 - f E2) - mean (S1 - f E1)') / denom`` (the difference taken term by term,
    which matters when one row dominates a risk set), for the upper triangle only; no
    p x p matrix per term. Equal to the sum of the terms' covariance matrices to
    rounding: tests/methods/test_cox.py::test_sums_by_time_equal_sums_by_term.
    """
    kt, f = st.term_time, st.term_frac
    p = t.s1.shape[1]
    iu, ju = np.triu_indices(p)
    numerator = t.s1[kt] - f[:, None] * t.e1[kt]  # mean = numerator / denom
    mean = t.mean
    second = (weight / t.denom) @ (
        t.s2[kt] - f[:, None] * t.e2[kt] - mean[:, iu] * numerator[:, ju]
    )
    cov_sum = np.empty((p, p))
    cov_sum[iu, ju] = second
    cov_sum[ju, iu] = second
    return weight @ mean, cov_sum


def _derivatives(
    data: _CoxData, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, list[_Terms]]:
    """Log partial likelihood, score and information at ``beta`` (and the terms)."""
    p = beta.size
    loglik, u, imat = 0.0, np.zeros(p), np.zeros((p, p))
    terms = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for st in data.strata_data:
            t = _stratum_terms(st, beta)
            mw = st.term_weight
            w_ev = st.w[st.events]
            loglik += float(w_ev @ (t.eta[st.events] - t.shift) - mw @ np.log(t.denom))
            mean_sum, cov_sum = _weighted_sums(st, t, mw)
            u += w_ev @ st.x_events - mean_sum
            imat += cov_sum
            terms.append(t)
    return loglik, u, imat, terms


# ----------------------------------------------------------------------------- algebra


def _cholesky2(imat: np.ndarray, toler: float) -> tuple[np.ndarray, int, np.ndarray]:
    """R's ``cholesky2``: LDL' with pivots below ``toler * max(diag)`` set to 0.

    Returns the factor (L below the diagonal, D on it), the rank and a mask of the
    columns found singular.
    """
    n = imat.shape[0]
    m = imat.copy()
    eps = float(np.max(np.abs(np.diag(m)))) if n else 0.0
    eps = toler if eps == 0 else eps * toler
    rank = 0
    singular = np.zeros(n, dtype=bool)
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            singular[i] = True
            continue
        rank += 1
        for j in range(i + 1, n):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            for k in range(j + 1, n):
                m[k, j] -= temp * m[k, i]
    return m, rank, singular


def _chsolve2(factor: np.ndarray, y: np.ndarray) -> np.ndarray:
    """R's ``chsolve2``: solve with an LDL' factor, zero pivots giving 0."""
    n = factor.shape[0]
    b = y.astype(np.float64).copy()
    for i in range(n):
        b[i] -= factor[i, :i] @ b[:i]
    for i in range(n - 1, -1, -1):
        b[i] = 0.0 if factor[i, i] == 0 else b[i] / factor[i, i] - factor[i + 1 :, i] @ b[i + 1 :]
    return b


def _inverse(imat: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(imat)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(imat)


def _quadratic(var: np.ndarray, b: np.ndarray) -> float:
    """b' var^-1 b (R ``coxph.wtest``)."""
    factor, _, _ = _cholesky2(var, TOLER_CHOL)
    return float(b @ _chsolve2(factor, b))


# ----------------------------------------------------------------------------- fitting


def _relative_change(old: float, new: float) -> float:
    """|1 - old / new| as C computes it (inf or NaN rather than an exception at 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.abs(1.0 - np.float64(old) / np.float64(new)))


def _newton(
    data: _CoxData, init: np.ndarray, eps: float, iter_max: int, toler_chol: float
) -> tuple[np.ndarray, float, float, np.ndarray, np.ndarray, float, int, bool, int]:
    """R's iteration (coxfit6 / agfit4). Returns beta, loglik0, loglik, u, imat,
    score test, iterations, converged, rank at init."""
    beta = init.astype(np.float64).copy()
    ll0, u, imat, _ = _derivatives(data, beta)
    factor, rank0, singular = _cholesky2(imat, toler_chol)
    if singular.any():
        raise _singular(singular, data.names)
    step = _chsolve2(factor, u)
    sctest = float(u @ step)
    if iter_max == 0 or not np.isfinite(ll0):
        return beta, ll0, ll0, u, imat, sctest, 0, iter_max == 0, rank0
    best = ll0
    old = beta
    new = beta + step
    halving = 0
    if not data.counting:  # coxfit6.c
        newlk = ll0
        for it in range(1, iter_max + 1):
            newlk, u, imat, _ = _derivatives(data, new)
            factor, _, _ = _cholesky2(imat, toler_chol)
            finite = np.isfinite(u).all() and np.isfinite(imat).all() and np.isfinite(newlk)
            if finite and _relative_change(best, newlk) <= eps:
                return new, ll0, newlk, u, imat, sctest, it, True, rank0
            if it == iter_max:
                break
            if not finite or newlk < best:
                halving += 1
                new = (new + halving * old) / (halving + 1.0)
            else:
                halving = 0
                best = newlk
                step = _chsolve2(factor, u)
                old = new
                new = new + step
        if iter_max > 1:  # the last good iterate
            newlk, u, imat, _ = _derivatives(data, old)
        return old, ll0, newlk, u, imat, sctest, iter_max, False, rank0
    # agfit4.c: beta is the current try, old the last good one
    beta = new
    for it in range(1, iter_max + 1):
        newlk, u, imat, _ = _derivatives(data, beta)
        factor, rank2, _ = _cholesky2(imat, toler_chol)
        fail = (
            int((~np.isfinite(np.diag(imat))).sum())
            + int(not np.isfinite(newlk))
            + abs(rank0 - rank2)
        )
        if fail == 0 and halving == 0 and _relative_change(best, newlk) <= eps:
            return beta, ll0, newlk, u, imat, sctest, it, True, rank0
        if it == iter_max:
            if iter_max > 1 and (newlk - best) / abs(best) < -eps:
                beta = old
                newlk, u, imat, _ = _derivatives(data, beta)
            return beta, ll0, newlk, u, imat, sctest, it, False, rank0
        if fail > 0 or newlk < best:
            halving += 1
            beta = (old * halving + beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            step = _chsolve2(factor, u)
            old = beta
            beta = beta + step
    return beta, ll0, newlk, u, imat, sctest, iter_max, False, rank0  # pragma: no cover


def _score_residuals(data: _CoxData, beta: np.ndarray) -> np.ndarray:
    """R's score residuals (coxscore2 / agscore3), one row per observation, unweighted.

    For row i and each event time t in (start_i, stop_i] of its stratum, with the
    Efron terms l of t (hazard h_l = mean death weight / denom_l, mean xbar_l and
    down-weight f_l; one term with f = 0 for Breslow): the compensator
    ``-r_i sum_l h_l (x_i - xbar_l)`` and, for a death at t, ``+ (x_i - mean_l xbar_l)
    + r_i sum_l h_l f_l (x_i - xbar_l)`` (a death is in the later terms only partly).
    """
    p = beta.size
    resid = np.zeros((data.stop.size, p))
    _, _, _, terms = _derivatives(data, beta)
    for st, t in zip(data.strata_data, terms, strict=True):
        nt = st.times.size
        kt = st.term_time
        h = st.term_weight / t.denom
        hm = h[:, None] * t.mean
        haz = np.bincount(kt, weights=h, minlength=nt)
        xhaz = np.stack([np.bincount(kt, weights=hm[:, j], minlength=nt) for j in range(p)], 1)
        cum = np.concatenate(([0.0], np.cumsum(haz)))
        xcum = np.vstack([np.zeros((1, p)), np.cumsum(xhaz, axis=0)])
        b = data.stop[st.rows]
        hi = np.searchsorted(st.times, b, side="right")
        if data.start is not None:
            lo = np.searchsorted(st.times, data.start[st.rows], side="right")
        else:
            lo = np.zeros(b.size, dtype=np.intp)
        x = st.x
        r = np.exp(t.eta - t.shift)
        res = -r[:, None] * (x * (cum[hi] - cum[lo])[:, None] - (xcum[hi] - xcum[lo]))
        hf = h * st.term_frac
        mh1 = np.bincount(kt, weights=hf, minlength=nt)
        mh2 = np.stack(
            [np.bincount(kt, weights=hf * t.mean[:, j], minlength=nt) for j in range(p)], 1
        )
        mh3 = (
            np.stack([np.bincount(kt, weights=t.mean[:, j], minlength=nt) for j in range(p)], 1)
            / st.n_dead[:, None]
        )
        ev, k = st.events, st.event_time
        res[ev] += (x[ev] - mh3[k]) + r[ev, None] * (x[ev] * mh1[k, None] - mh2[k])
        resid[st.rows] = res
    return resid


def _robust(
    data: _CoxData, beta: np.ndarray, init: np.ndarray, naive_var: np.ndarray, cluster: np.ndarray
) -> tuple[np.ndarray, float]:
    """Sandwich variance D'D (D: weighted dfbeta summed per cluster) and robust score test."""
    groups = int(cluster.max()) + 1
    scores = _bin_sums(cluster, data.weights, _score_residuals(data, beta), groups)
    dfbeta = scores @ naive_var
    var = dfbeta.T @ dfbeta
    at_init = _bin_sums(cluster, data.weights, _score_residuals(data, init), groups)
    u = at_init.sum(axis=0)
    return var, _quadratic(at_init.T @ at_init, u)


def coxph(
    time: ArrayLike,
    event: ArrayLike,
    x: ArrayLike | pd.DataFrame,
    *,
    start: ArrayLike | None = None,
    ties: str = "efron",
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    offset: ArrayLike | None = None,
    cluster: ArrayLike | None = None,
    robust: bool | None = None,
    names: Sequence[str] | None = None,
    terms: Mapping[str, Sequence[str]] | None = None,
    init: ArrayLike | None = None,
    eps: float = EPS,
    iter_max: int = ITER_MAX,
    toler_chol: float = TOLER_CHOL,
    toler_inf: float | None = None,
    timefix: bool = True,
) -> CoxFit:
    """Cox model h(t | x) = h0_s(t) exp(x'beta + offset) by maximum partial likelihood.

    ``time`` and ``event`` are the (stop) time and the 0/1 event; with ``start`` the
    rows are (start, stop] intervals (counting-process data, R's
    ``Surv(start, stop, event)``): a row is at risk at t when start < t <= stop.
    Tied events: ``efron`` (R's default) or ``breslow``. ``strata`` gives each stratum
    its own baseline hazard (R's ``strata()``); ``weights`` are case weights (> 0);
    ``offset`` is added to the linear predictor. ``robust``: the sandwich variance of
    Lin and Wei, clustered on ``cluster`` (each row its own cluster when none); None
    follows R: robust when a cluster is given or some weight is not a whole number.
    ``x`` is a DataFrame (its columns name the coefficients) or an array (``names``);
    ``terms`` groups columns into terms (a factor's dummies as one term) for
    :func:`~spinemets.methods.cox_zph.cox_zph`; by default each column is a term.

    Matches R ``coxph(Surv([start,] time, event) ~ x + strata(s) + offset(o) +
    cluster(c), weights = w, ties = ties, robust = robust)`` with R's defaults
    (``coxph.control``: eps 1e-9, iter.max 20, toler.chol eps^0.75, toler.inf
    sqrt(eps), timefix TRUE): coefficients, variance, log-likelihoods and the three
    tests to 1e-9 relative. Raises :class:`CoxConvergenceError` where R would warn of
    non-convergence or of an infinite coefficient, or report a singular X.
    Tests: tests/methods/test_cox.py (R on ovarian, pbc, lung, veteran, colon, jasa1,
    kidney, gbsg, rotterdam, nwtco, flchain, mgus2, retinopathy and edge cases;
    hand arithmetic; lifelines as a second oracle).
    """
    if ties not in TIES:
        raise SpinemetsError(f"ties {ties!r}; expected one of {', '.join(TIES)}")
    if robust is False and cluster is not None:  # R warns "cluster ignored"; we refuse
        raise SpinemetsError("coxph: a cluster was given with robust=False; drop one of them")
    if start is None:
        b, e = check_time_event(time, event)
        e = e.astype(np.float64, copy=False)
        a = None
        if timefix:
            b = timefix_times(b)
    else:
        a, b, e = check_counting(start, time, event)
        if timefix:
            a, b = timefix_counting(a, b)
    n = b.size
    xm, labels = check_covariates(x, n, names)
    w = check_weights(weights, n)
    o = check_offset(offset, n)
    o = o - o.mean() if o.any() else o  # as R: changes nothing but the rounding
    if strata is None:
        scode = np.zeros(n, dtype=np.intp)
    else:
        _, scode, _ = group_codes(strata, n, "strata")
    if e.sum() == 0:
        raise CoxConvergenceError("Cox model: there are no events, nothing to estimate")
    term_map = _term_map(terms, labels)
    p = len(labels)
    beta0 = np.zeros(p) if init is None else np.asarray(init, dtype=np.float64).ravel()
    if beta0.size != p:
        raise SpinemetsError(f"init has {beta0.size} values for {p} coefficients")
    data = _build(a, b, e, xm, w, o, scode, ties, labels)
    beta, ll0, ll1, u, imat, sctest, iterations, converged, _ = _newton(
        data, beta0, eps, iter_max, toler_chol
    )
    _, _, singular = _cholesky2(imat, toler_chol)
    if singular.any():
        raise _singular(singular, labels)
    if not converged and iter_max > 0:
        raise CoxConvergenceError(
            f"Cox model did not converge in {iter_max} iterations (R: 'Ran out of "
            "iterations and did not converge'); the likelihood may have no maximum "
            "(a coefficient going to infinity): check the events in each group"
        )
    naive_var = _inverse(imat)
    step = np.abs(u @ naive_var)
    tol_inf = np.sqrt(eps) if toler_inf is None else toler_inf
    if data.counting:
        infinite = ~np.isfinite(u) | (step > tol_inf * (1 + np.abs(beta)))
    else:
        infinite = ~np.isfinite(u) | ((step > eps) & (step > tol_inf * np.abs(beta)))
    if iter_max > 1 and infinite.any():  # R checks only when it iterated
        bad = [labels[j] for j in np.flatnonzero(infinite)]
        raise CoxConvergenceError(
            f"Cox model: the likelihood converged before {', '.join(repr(c) for c in bad)} "
            "did; its coefficient may be infinite (R warns 'Loglik converged before "
            "variable ...'): typically a group with no events, or a covariate that "
            "separates events from non-events"
        )
    if robust is None:
        robust = cluster is not None or bool(np.any(w != np.floor(w)))
    var, rscore = naive_var, None
    if robust:
        if cluster is None:
            ccode = np.arange(n)
        else:
            _, ccode, _ = group_codes(cluster, n, "cluster")
        var, rscore = _robust(data, beta, beta0, naive_var, ccode)
    return CoxFit(
        names=labels,
        coef=beta,
        var=var,
        naive_var=naive_var,
        loglik=(float(ll0), float(ll1)),
        score_test=sctest,
        wald_test=_quadratic(var, beta - beta0),
        robust_score_test=rscore,
        iterations=iterations,
        n=n,
        events=int(e.sum()),
        ties=ties,
        robust=bool(robust),
        terms=term_map,
        data=data,
    )


def _singular(singular: np.ndarray, labels: Sequence[str]) -> CoxConvergenceError:
    bad = ", ".join(repr(labels[j]) for j in np.flatnonzero(singular))
    return CoxConvergenceError(
        "Cox model: the covariates are collinear or constant (R: 'X matrix deemed to be "
        f"singular'); no estimate for {bad}"
    )


def _term_map(
    terms: Mapping[str, Sequence[str]] | None, labels: tuple[str, ...]
) -> dict[str, tuple[int, ...]]:
    if terms is None:
        return {name: (j,) for j, name in enumerate(labels)}
    index = {name: j for j, name in enumerate(labels)}
    out: dict[str, tuple[int, ...]] = {}
    seen: set[int] = set()
    for term, columns in terms.items():
        unknown = [c for c in columns if c not in index]
        if unknown or not columns:
            raise SpinemetsError(f"term {term!r}: no covariate column {unknown or columns}")
        out[term] = tuple(index[c] for c in columns)
        seen.update(out[term])
    missing = [labels[j] for j in range(len(labels)) if j not in seen]
    if missing:
        raise SpinemetsError(f"terms: column(s) {missing} belong to no term")
    return out


# ----------------------------------------------------------------------------- frames


def model_matrix(
    data: pd.DataFrame, terms: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """R's ``model.matrix`` (treatment contrasts, no intercept) for ``~ term + term ...``.

    A numeric column is one column; a boolean column is one 0/1 column named
    ``<column>TRUE`` (R's logical); any other column is a factor: sorted levels (by
    code point, as R in the C locale; a pandas Categorical keeps its own order, like
    R's factor levels), the first the reference, one 0/1 column per other level named
    ``<column><level>`` as R names them. ``a:b`` is the
    product of every column of ``a`` with every column of ``b`` (names joined by
    ``:``). Returns the matrix and the columns of each term (R's ``assign``). Missing
    values raise SpinemetsError naming row and column.
    Tests: tests/methods/test_cox.py::test_model_matrix_matches_r_names.
    """
    expanded: dict[str, pd.DataFrame] = {}
    out: list[pd.Series] = []
    assign: dict[str, list[str]] = {}
    for term in terms:
        parts = term.split(":")
        blocks = []
        for part in parts:
            if part not in data.columns:
                raise SpinemetsError(f"model term {term!r}: no column {part!r} in the data")
            if part not in expanded:
                expanded[part] = _expand(data[part], part)
            blocks.append(expanded[part])
        block = blocks[0]
        for other in blocks[1:]:
            block = pd.DataFrame(
                {
                    f"{a}:{b}": block[a].to_numpy() * other[b].to_numpy()
                    for a in block.columns
                    for b in other.columns
                },
                index=data.index,
            )
        assign[term] = list(block.columns)
        out.extend(block[c] for c in block.columns)
    frame = pd.concat(out, axis=1) if out else pd.DataFrame(index=data.index)
    return frame, assign


def _expand(column: pd.Series, name: str) -> pd.DataFrame:
    missing = column.isna().to_numpy()
    if missing.any():
        row = column.index[int(np.argmax(missing))]
        raise SpinemetsError(f"column {name!r}, row {row!r}: missing value")
    if pd.api.types.is_bool_dtype(column):
        return pd.DataFrame({f"{name}TRUE": column.astype(np.float64)}, index=column.index)
    if pd.api.types.is_numeric_dtype(column):
        return pd.DataFrame({name: column.astype(np.float64)}, index=column.index)
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = [lv for lv in column.cat.categories if (column == lv).any()]
    else:
        levels = sorted(column.unique(), key=str)
    return pd.DataFrame(
        {f"{name}{lv}": (column == lv).astype(np.float64) for lv in levels[1:]},
        index=column.index,
    )


def coxph_frame(
    data: pd.DataFrame,
    time: str,
    event: str,
    terms: Sequence[str],
    *,
    start: str | None = None,
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    offset: str | None = None,
    cluster: str | None = None,
    na_omit: bool = True,
    **options: object,
) -> CoxFit:
    """:func:`coxph` on the columns of a data frame, as R's formula interface.

    ``terms`` as :func:`model_matrix` (factors, ``a:b`` interactions); ``strata`` one
    column or several (their combinations are the strata, as ``strata(a, b)``).
    Rows with a missing value in any column used are dropped when ``na_omit`` (R's
    default ``na.action = na.omit``), else they raise. Other keyword arguments go to
    :func:`coxph`.
    Tests: tests/methods/test_cox.py (every R model fitted through it).
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or ())
    parts = {p for t in terms for p in t.split(":")}
    used = [c for c in (start, time, event, weights, offset, cluster) if c is not None]
    used += strata_cols + sorted(parts - set(used))
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise SpinemetsError(f"coxph: column(s) {', '.join(missing)} not in the data")
    frame = data[used].dropna() if na_omit else data[used]
    x, assign = model_matrix(frame, terms)
    strata_values = None
    if strata_cols:
        strata_values = (
            frame[strata_cols[0]]
            if len(strata_cols) == 1
            else frame[strata_cols].astype(str).agg("\x1f".join, axis=1)
        )
    return coxph(
        frame[time],
        frame[event],
        x,
        start=None if start is None else frame[start],
        strata=strata_values,
        weights=None if weights is None else frame[weights],
        offset=None if offset is None else frame[offset],
        cluster=None if cluster is None else frame[cluster],
        terms=assign,
        **options,  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood interval of one coefficient, on the hazard-ratio scale.

    ``lower`` / ``upper`` are exp of the two coefficients at which the likelihood-ratio
    statistic ``2 (loglik_max - loglik_profile(b))`` equals ``critical``, the
    ``conf_level`` quantile of chi-square with 1 df (``inf`` / 0 when it never gets
    there: a monotone likelihood). ``lr_at_lower`` / ``lr_at_upper`` are the statistic at
    the limits found (equal to ``critical`` to the root finder's tolerance).
    """

    term: str
    hr: float
    lower: float
    upper: float
    conf_level: float
    critical: float
    lr_at_lower: float
    lr_at_upper: float


def profile_interval(
    time: ArrayLike,
    event: ArrayLike,
    x: pd.DataFrame,
    term: str,
    conf_level: float = 0.95,
    *,
    offset: ArrayLike | None = None,
    search: float = 30.0,
    **options: object,
) -> ProfileInterval:
    """Profile-likelihood confidence interval of the hazard ratio of column ``term``.

    The set of ``b`` with ``2 (l(beta_hat) - l_p(b)) <= chi2_{1, conf_level}``, where
    ``l_p(b)`` is the log partial likelihood maximised over the other coefficients with
    that one fixed at ``b`` (``b * x_term`` as an offset; with no other column, the
    likelihood at ``b`` itself: ``coxph(init = b, iter_max = 0)``). Limits by
    ``scipy.optimize.brentq`` (tolerance 1e-12) between the estimate and
    ``estimate -+ search`` standard errors; a limit the statistic never reaches is
    infinite. Unlike the Wald interval it does not assume a quadratic log likelihood,
    which matters with few events in a group. ``options`` go to :func:`coxph` (ties,
    strata, start, weights...; not robust). R has no built-in profile interval for
    ``coxph``; the test computes it in R the same way (``uniroot`` on ``coxph`` fits
    with an offset) and checks the definition (LR statistic = the quantile at both
    limits, to 1e-6).
    Tests: tests/methods/test_cox.py::test_profile_interval_matches_r and
    ::test_profile_interval_meets_its_definition.
    """
    if not 0 < conf_level < 1:
        raise SpinemetsError(f"conf_level {conf_level!r}; expected a number in (0, 1)")
    if not isinstance(x, pd.DataFrame) or term not in x.columns:
        raise SpinemetsError(f"profile_interval: x must be a DataFrame with a column {term!r}")
    full = coxph(time, event, x, offset=offset, **options)  # type: ignore[arg-type]
    j = full.names.index(term)
    beta, se = float(full.coef[j]), float(full.se[j])
    best = full.loglik[1]
    xj = x[term].to_numpy(dtype=np.float64)
    others = x.drop(columns=[term])
    base = np.zeros(xj.size) if offset is None else np.asarray(offset, dtype=np.float64)
    critical = float(chdtri(1, 1 - conf_level))
    # with no other column, the data checked and binned once serve every b
    alone = None if others.shape[1] else full.data

    def statistic(b: float) -> float:
        if alone is not None:  # what coxph(init = b, iter_max = 0) would compute
            loglik = _derivatives(alone, np.array([b], dtype=np.float64))[0]
        else:
            fit = coxph(time, event, others, offset=base + b * xj, **options)  # type: ignore[arg-type]
            loglik = fit.loglik[1]
        return 2.0 * (best - loglik) - critical

    limits = []
    for sign in (-1.0, 1.0):
        far = beta + sign * search * se
        if statistic(far) < 0:
            limits.append(sign * np.inf)
            continue
        lo, hi = sorted((beta, far))
        limits.append(brentq(statistic, lo, hi, xtol=1e-12, rtol=1e-12))
    lower, upper = limits
    at = [statistic(b) + critical if np.isfinite(b) else np.nan for b in limits]
    return ProfileInterval(
        term=term,
        hr=float(np.exp(beta)),
        lower=float(np.exp(lower)),
        upper=float(np.exp(upper)),
        conf_level=conf_level,
        critical=critical,
        lr_at_lower=float(at[0]),
        lr_at_upper=float(at[1]),
    )
